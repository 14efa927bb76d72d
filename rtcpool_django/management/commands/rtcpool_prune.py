from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rtcpool_django import pools


class Command(BaseCommand):
    help = (
        "Remove the peers of dead workers (heartbeat older than --timeout seconds, default "
        "RTCPOOL['WORKER_TIMEOUT']); the rest of their pools get rtc:close."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=None, help="Seconds of silence.")

    def handle(self, *args: Any, timeout: float | None, **options: Any) -> None:
        removed = pools.prune_dead_workers(timeout)
        self.stdout.write(f"Pruned {removed} peer(s).")
