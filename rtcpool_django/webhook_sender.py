"""Delivering the webhook outbox over HTTP (``httpx``), from every worker or one process.

On the embedded default each server process runs one :class:`WebhookSender` task, started
with its heartbeat (:mod:`rtcpool_django.heartbeat`): no extra service to run. Senders on
several workers share the work through :func:`rtcpool_django.webhook_queue.claim`, one
worker per event at a time. With ``RTCPOOL["WEBHOOK_SENDER_IN_WORKERS"] = False`` the
workers only write events and ``manage.py rtcpool_webhooks`` delivers them.

A pass claims the oldest due event of each queue (endpoint, pool), posts them concurrently
(one per queue, so a queue's order holds), and records every outcome in one transaction.
An idle sender sleeps until an event is committed by its own process or for
``WEBHOOK_POLL_INTERVAL`` seconds (events written by other processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

from . import metrics, webhook_queue, webhooks
from .conf import rtcpool_settings
from .database import run_in_webhook_thread
from .models import WebhookEvent
from .webhook_queue import Outcome

try:
    import httpx
except ImportError:  # the optional extra is not installed: no endpoint may be configured
    httpx = None  # type: ignore[assignment]

logger = logging.getLogger("rtcpool_django")

#: Queues served per pass, and requests in flight at once.
BATCH = 100
CONCURRENCY = 20


def wanted() -> bool:
    """Whether this worker process should deliver webhooks itself."""
    return bool(webhooks.endpoints()) and bool(rtcpool_settings.WEBHOOK_SENDER_IN_WORKERS)


class WebhookSender:
    """Delivers pending webhook events until cancelled."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Event | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the sender task in the running loop, once (the heartbeat calls this)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop and self.running:
            return
        self._loop = loop
        self._task = loop.create_task(self.run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def wake(self) -> None:
        """Deliver now rather than at the next poll; safe from any thread."""
        loop, wakeup = self._loop, self._wakeup
        if loop is not None and wakeup is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wakeup.set)

    async def run(self) -> None:
        """Deliver forever: pass after pass while there is work, else wait."""
        self._wakeup = asyncio.Event()
        webhook_queue.wakers.add(self.wake)
        try:
            async with _client() as client:
                while True:
                    try:
                        delivered = await self.deliver_once(client)
                    except Exception:
                        # The database went away for a moment: the events wait in the outbox.
                        logger.exception("rtcpool: webhook delivery pass failed")
                        delivered = 0
                    if not delivered:
                        await self._idle()
        finally:
            webhook_queue.wakers.discard(self.wake)

    async def _idle(self) -> None:
        assert self._wakeup is not None
        try:
            pending = await run_in_webhook_thread(webhook_queue.counts)
            metrics.webhooks_pending(pending[webhook_queue.PENDING])
        except Exception:
            logger.debug("rtcpool: could not count pending webhooks", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self._wakeup.wait(), timeout=float(rtcpool_settings.WEBHOOK_POLL_INTERVAL)
            )
        self._wakeup.clear()

    async def deliver_once(self, client: httpx.AsyncClient | None = None) -> int:
        """One pass: claim, post, settle. Returns the events attempted."""
        targets = {endpoint.url: endpoint for endpoint in webhooks.endpoints()}
        claimed = await run_in_webhook_thread(webhook_queue.claim, targets, limit=BATCH)
        if not claimed:
            return 0
        if client is None:
            async with _client() as own:
                outcomes = await _post_all(own, targets, claimed)
        else:
            outcomes = await _post_all(client, targets, claimed)
        await run_in_webhook_thread(_settle, outcomes)
        return len(claimed)


def _settle(outcomes: list[Outcome]) -> None:
    """Record the outcomes and count them, in one call: counted after an await instead,
    a pass cancelled while its settle ran (the sender stopping) left committed outcomes
    uncounted."""
    given_up = webhook_queue.settle(outcomes)
    for outcome in outcomes:
        if outcome.ok:
            metrics.webhook_delivered(outcome.event)
        else:
            metrics.webhook_attempt_failed()
    for _ in given_up:
        metrics.webhook_failed()


def _client() -> httpx.AsyncClient:
    if httpx is None:
        raise RuntimeError(
            "Webhooks need the 'webhooks' extra: pip install rtcpool-django[webhooks]"
        )
    timeout = float(rtcpool_settings.WEBHOOK_TIMEOUT)
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)


async def _post_all(
    client: httpx.AsyncClient, targets: dict[str, webhooks.Endpoint], events: list[WebhookEvent]
) -> list[Outcome]:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def post(event: WebhookEvent) -> Outcome:
        async with limit:
            return await post_event(client, targets[event.endpoint], event)

    return list(await asyncio.gather(*(post(event) for event in events)))


async def post_event(
    client: httpx.AsyncClient, endpoint: webhooks.Endpoint, event: WebhookEvent
) -> Outcome:
    """One attempt: POST the signed event; any 2xx answer delivers it."""
    body = webhooks.encode(event.payload)
    headers = webhooks.signed_headers(endpoint.secret, event.event_id, datetime.now(UTC), body)
    started = time.monotonic()
    try:
        # The client's timeout is per read or write; this one bounds the whole attempt,
        # which must end well inside the event's lease.
        response = await asyncio.wait_for(
            client.post(endpoint.url, content=body, headers=headers),
            timeout=float(rtcpool_settings.WEBHOOK_TIMEOUT),
        )
    except (httpx.HTTPError, TimeoutError, OSError) as error:
        return Outcome(event, False, f"{type(error).__name__}: {error}".strip(": "))
    if 200 <= response.status_code < 300:
        return Outcome(event, True)
    elapsed = time.monotonic() - started
    return Outcome(event, False, f"HTTP {response.status_code} after {elapsed:.2f} s")


#: This process's sender (the heartbeat starts it when there are endpoints).
sender = WebhookSender()
