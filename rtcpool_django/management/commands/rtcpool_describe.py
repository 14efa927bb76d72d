import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rtcpool_django import pools
from rtcpool_django.models import Peer


class Command(BaseCommand):
    help = "Set a live peer's description (JSON); the other peers of its pool get rtc:describe."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("peer", type=uuid.UUID, help="The peer's id.")
        parser.add_argument("description", help='JSON, e.g. \'{"name": "Ada"}\'.')

    def handle(self, *args: Any, peer: uuid.UUID, description: str, **options: Any) -> None:
        try:
            value = json.loads(description)
        except ValueError as exc:
            raise CommandError(f"The description is not valid JSON: {exc}") from None
        try:
            pools.describe(peer, value)
        except Peer.DoesNotExist:
            raise CommandError(f"No live peer {peer}.") from None
        self.stdout.write(f"Described {peer}.")
