from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rtcpool_django import pools


class Command(BaseCommand):
    help = (
        "Remove the peers of dead workers (heartbeat older than --timeout seconds, default "
        "RTCPOOL['WORKER_TIMEOUT']); the rest of their pools get rtc:close. With --history, "
        "also delete calls, stays and settled webhook events older than "
        "RTCPOOL['HISTORY_DAYS'] (or --days)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=None, help="Seconds of silence.")
        parser.add_argument(
            "--history", action="store_true", help="Also enforce the history retention."
        )
        parser.add_argument(
            "--days", type=float, default=None, help="Retention in days (with --history)."
        )

    def handle(
        self,
        *args: Any,
        timeout: float | None,
        history: bool,
        days: float | None,
        **options: Any,
    ) -> None:
        removed = pools.prune_dead_workers(timeout)
        self.stdout.write(f"Pruned {removed} peer(s).")
        if history:
            calls, events = pools.prune_history(days)
            self.stdout.write(
                f"Deleted {calls} call(s) with their stays, {events} webhook event(s)."
            )
