from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rtcpool_django import pools
from rtcpool_django.models import Pool


class Command(BaseCommand):
    help = "Close pools: their peers get rtc:stop and are disconnected; joins are refused."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="+", metavar="pool", help="Name of a pool.")

    def handle(self, *args: Any, names: list[str], **options: Any) -> None:
        for name in names:
            try:
                stopped = pools.close_pool(name)
            except Pool.DoesNotExist:
                raise CommandError(f"No pool named {name!r}.") from None
            self.stdout.write(f"Closed {name}: {stopped} peer(s) stopped.")
