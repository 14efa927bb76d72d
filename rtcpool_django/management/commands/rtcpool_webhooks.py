import asyncio
import contextlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rtcpool_django import webhooks
from rtcpool_django.webhook_sender import WebhookSender


class Command(BaseCommand):
    help = (
        "Deliver the webhook outbox as a dedicated process (set "
        "RTCPOOL['WEBHOOK_SENDER_IN_WORKERS'] = False so the workers leave it to this one). "
        "Runs until interrupted; --once delivers what is due and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass until nothing is due.")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        if not webhooks.endpoints():
            raise CommandError("RTCPOOL['WEBHOOKS'] has no endpoint.")
        if not webhooks.available():
            raise CommandError("pip install 'rtcpool-django[webhooks]'")
        sender = WebhookSender()
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._drain(sender) if once else sender.run())

    async def _drain(self, sender: WebhookSender) -> None:
        total = 0
        while attempted := await sender.deliver_once():
            total += attempted
        self.stdout.write(f"Attempted {total} delivery(ies).")
