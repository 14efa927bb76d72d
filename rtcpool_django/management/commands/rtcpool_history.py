import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from rtcpool_django import pools
from rtcpool_django.models import Pool


class Command(BaseCommand):
    help = (
        "Print the stays of peers in POOL, oldest first (with --since, those live at or "
        "after that moment); --json prints a JSON list of objects."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pool", help="The pool's name.")
        parser.add_argument(
            "--since", default=None, help="An ISO 8601 date-time (the site's time zone if naive)."
        )
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, pool: str, since: str | None, json: bool, **options: Any) -> None:
        if not Pool.objects.filter(name=pool).exists():
            raise CommandError(f"No pool named {pool!r}.")
        moment = _moment(since) if since else None
        stays = list(pools.history(pool, since=moment))
        if json:
            self.stdout.write(_dumps([_as_dict(stay) for stay in stays]))
            return
        for stay in stays:
            user = stay.user.get_username() if stay.user else "-"
            left = stay.left.isoformat() if stay.left else "live"
            self.stdout.write(
                f"{stay.peer_id}\t{user}\t{stay.joined.isoformat()}\t{left}\t{stay.reason or '-'}"
            )


def _moment(text: str) -> datetime:
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--since {text!r} is not an ISO 8601 date-time.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _as_dict(stay: Any) -> dict[str, Any]:
    return {
        "peer_id": str(stay.peer_id),
        "user": stay.user.get_username() if stay.user else None,
        "user_id": stay.user_id,
        "joined": stay.joined.isoformat(),
        "left": stay.left.isoformat() if stay.left else None,
        "duration": stay.duration,
        "reason": stay.reason or None,
        "worker": stay.worker,
        "description_at_join": stay.description_at_join,
        "description_at_leave": stay.description_at_leave,
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2)
