"""The webhook outbox: event rows written with the change they report, claimed and settled
by senders (:mod:`rtcpool_django.webhook_sender`).

An event is a :class:`~rtcpool_django.models.WebhookEvent` row per endpoint that wants
it, inserted by :func:`enqueue` inside the transaction of the join, departure or close:
it is committed with the change or not at all. Each (endpoint, pool) pair is a queue
delivered in order: :func:`claim` only hands out the oldest pending event of a queue, and
leases it (``leased_until``) so that no other sender takes it meanwhile; the lease is
taken with ``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it (PostgreSQL),
so senders on several workers never wait on each other. A sender that dies mid-delivery
leaves its lease to run out, and the event is delivered again: at least once.

Why a lease rather than a row lock held across the HTTP request: the request may take
``WEBHOOK_TIMEOUT`` seconds, and a transaction held open that long on every worker pins
database connections and stalls vacuum; a lease also works on SQLite, where a dedicated
``rtcpool_webhooks`` process and a server share one file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from . import webhooks
from .conf import rtcpool_settings
from .models import WebhookEvent

logger = logging.getLogger("rtcpool_django")

#: Longest wait between two attempts of one event, however many have failed.
MAX_RETRY_DELAY = 3600.0

PENDING = WebhookEvent.Status.PENDING
DELIVERED = WebhookEvent.Status.DELIVERED
FAILED = WebhookEvent.Status.FAILED

#: Called (from any thread) after a transaction that enqueued events commits: the
#: senders of this process register here to wake at once instead of at their next poll.
wakers: set[Callable[[], None]] = set()


@dataclass(frozen=True)
class Event:
    """An event to enqueue: its type, when it happened, and its ``data``."""

    type: str
    at: datetime
    data: dict[str, Any]


def enqueue(pool_name: str, events: Sequence[Event]) -> int:
    """Insert ``events`` of one pool for every endpoint that wants them; call it inside the
    transaction of the change. Returns the rows written (none without endpoints)."""
    return enqueue_many([(pool_name, events)])


def enqueue_many(events_by_pool: Sequence[tuple[str, Sequence[Event]]]) -> int:
    """:func:`enqueue` for several pools' events, in one insert."""
    rows = [row for name, events in events_by_pool for row in outbox_rows(name, events)]
    if rows:
        WebhookEvent.objects.bulk_create(rows)
        transaction.on_commit(wake)
    return len(rows)


def outbox_rows(pool_name: str, events: Sequence[Event]) -> list[WebhookEvent]:
    """The unsaved outbox rows of ``events``: one per event per endpoint that wants it."""
    targets = webhooks.endpoints()
    if not targets or not events:
        return []
    now = timezone.now()
    rows = []
    for event in events:
        event_id = webhooks.new_event_id()
        payload = {
            "type": event.type,
            "timestamp": webhooks.timestamp(event.at),
            "data": event.data,
        }
        rows += [
            WebhookEvent(
                event_id=event_id,
                endpoint=endpoint.url,
                pool_name=pool_name,
                type=event.type,
                payload=payload,
                created=now,
                next_attempt=now,
            )
            for endpoint in targets
            if endpoint.wants(event.type)
        ]
    return rows


def wake() -> None:
    """Tell this process's senders that events were committed."""
    for wake in list(wakers):
        wake()


def lease_seconds() -> float:
    """How long a claimed event is held: the attempt's timeout with room to record it."""
    return 2 * float(rtcpool_settings.WEBHOOK_TIMEOUT) + 5.0


def claim(urls: Iterable[str], *, limit: int = 100) -> list[WebhookEvent]:
    """Lease the oldest due event of up to ``limit`` queues of the endpoints ``urls``.

    An event is due when it is pending, its next attempt has come, nobody holds it, and no
    older event of its queue is pending (order per pool per endpoint).
    """
    urls = list(urls)
    if not urls:
        return []
    now = timezone.now()
    older = WebhookEvent.objects.filter(
        status=PENDING,
        endpoint=OuterRef("endpoint"),
        pool_name=OuterRef("pool_name"),
        id__lt=OuterRef("id"),
    )
    due = (
        WebhookEvent.objects.filter(status=PENDING, endpoint__in=urls, next_attempt__lte=now)
        .filter(Q(leased_until=None) | Q(leased_until__lt=now))
        .filter(~Exists(older))
        .order_by("id")
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = list(due[:limit])
        if claimed:
            WebhookEvent.objects.filter(pk__in=[event.pk for event in claimed]).update(
                leased_until=now + timedelta(seconds=lease_seconds())
            )
    return claimed


@dataclass(frozen=True)
class Outcome:
    """The result of one delivery attempt."""

    event: WebhookEvent
    ok: bool
    error: str = ""


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones (exponential)."""
    base = float(rtcpool_settings.WEBHOOK_RETRY_DELAY)
    factor: float = 2.0 ** max(attempts - 1, 0)
    return min(base * factor, MAX_RETRY_DELAY)


def settle(outcomes: Sequence[Outcome]) -> list[WebhookEvent]:
    """Record attempts: delivered, scheduled again, or failed for good past the retry
    horizon. Returns the events that failed for good."""
    now = timezone.now()
    horizon = timedelta(seconds=float(rtcpool_settings.WEBHOOK_RETRY_HORIZON))
    given_up = []
    with transaction.atomic():
        for outcome in outcomes:
            event = outcome.event
            event.attempts += 1
            event.leased_until = None
            if outcome.ok:
                event.status, event.delivered, event.last_error = DELIVERED, now, ""
            else:
                event.last_error = outcome.error[:2000]
                event.next_attempt = now + timedelta(seconds=retry_delay(event.attempts))
                if event.next_attempt - event.created > horizon:
                    event.status = FAILED
                    given_up.append(event)
                    logger.error(
                        "rtcpool: webhook %s (%s) to %s failed for good after %d attempts: %s",
                        event.event_id,
                        event.type,
                        event.endpoint,
                        event.attempts,
                        event.last_error,
                    )
        WebhookEvent.objects.bulk_update(
            [outcome.event for outcome in outcomes],
            ["attempts", "leased_until", "status", "delivered", "last_error", "next_attempt"],
        )
    return given_up


def retry(events: QuerySet[WebhookEvent]) -> int:
    """Queue failed events again, due now, with a fresh retry horizon (the admin's "retry"
    action). Returns how many were queued."""
    now = timezone.now()
    queued = events.filter(status=FAILED).update(
        status=PENDING, next_attempt=now, leased_until=None, created=now
    )
    if queued:
        transaction.on_commit(wake)
    return queued


def counts() -> dict[str, int]:
    """Events per status (pending, delivered, failed)."""
    found = dict(WebhookEvent.objects.order_by().values_list("status").annotate(n=Count("id")))
    return {status: found.get(status, 0) for status in (PENDING, DELIVERED, FAILED)}


def prune(before: datetime) -> int:
    """Delete delivered and failed events created before ``before``; pending ones stay."""
    deleted, _ = WebhookEvent.objects.filter(created__lt=before).exclude(status=PENDING).delete()
    return deleted
