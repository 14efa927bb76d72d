import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rtcpool_django import pools


class Command(BaseCommand):
    help = "Disconnect live peers; the other peers of their pools get rtc:close."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("peers", nargs="+", type=uuid.UUID, metavar="peer", help="A peer id.")

    def handle(self, *args: Any, peers: list[uuid.UUID], **options: Any) -> None:
        for peer in peers:
            if not pools.kick(peer):
                raise CommandError(f"No live peer {peer}.")
            self.stdout.write(f"Kicked {peer}.")
