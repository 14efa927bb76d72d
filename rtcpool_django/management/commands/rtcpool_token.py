import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rtcpool_django import tokens


class Command(BaseCommand):
    # A script reads the token from stdout; the checks' warnings (W001 on a one-process
    # setup) would only be noise on its stderr, and nothing here depends on them.
    requires_system_checks: list[str] = []
    help = (
        "Print a join token for POOL (and nothing else): the page opens "
        "ws/rtcpool/?token=<token> and joins POOL whatever its access mode."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pool", help="The pool's name (the resolved name, after aliasing).")
        parser.add_argument("--user", help="Join as this user (a username).")
        parser.add_argument(
            "--description", help='The peer\'s initial description, JSON: \'{"name": "Ada"}\'.'
        )
        parser.add_argument(
            "--ttl",
            type=int,
            default=tokens.DEFAULT_TTL,
            help=f"Seconds the token admits for (default {tokens.DEFAULT_TTL}).",
        )

    def handle(
        self,
        *args: Any,
        pool: str,
        user: str | None,
        description: str | None,
        ttl: int,
        **options: Any,
    ) -> None:
        holder = None
        if user is not None:
            model = get_user_model()
            try:
                holder = model._default_manager.get_by_natural_key(user)
            except model.DoesNotExist:
                raise CommandError(f"No user {user!r}.") from None
        value = None
        if description is not None:
            try:
                value = json.loads(description)
            except ValueError as exc:
                raise CommandError(f"The description is not valid JSON: {exc}") from None
        try:
            token = tokens.issue(pool, user=holder, description=value, ttl=ttl)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(token)
