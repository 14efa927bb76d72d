"""Sending notices (peer joined, left, described, pool stopped, kicked) through the channel
layer: fan-out in few round trips, per-channel order, a bounded retry for bursts, and the
eviction of a peer that cannot be told.

One join notifies up to N peers and one departure as many. A layer with a ``send_many``
method (:class:`rtcpool_django.layers.RedisChannelLayer`) takes a whole fan-out in one call
per Redis shard; any other layer gets one ``send`` per message, the channels in parallel.

A full channel is usually a burst, not a fault: its consumer's process is busy and drains
it a moment later. So a refused notice is offered again, with a short backoff, for up to
``RTCPOOL["DELIVERY_TIMEOUT"]`` seconds before its channel is reported as refused (and its
peer evicted by :func:`deliver`). Messages to one channel keep their order: a channel's
next message is sent only once the one before it was taken. And the messages of one
delivery to one channel go as one (``rtcpool.notices``, up to ``BUNDLE`` of them), which
its consumer handles in order: the ten peers a batch of joins brings into a pool would
otherwise cost each earlier peer's connection up to nine messages of the layer to send,
hold and receive, for nine frames.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer, get_channel_layer
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from . import metrics
from .conf import rtcpool_settings
from .database import run_in_thread
from .loops import PerLoop
from .membership import remove
from .messages import KICK, Outbox, notices
from .models import Peer

logger = logging.getLogger("rtcpool_django")

T = TypeVar("T")

# Backoff between offers of a refused message: from FIRST_BACKOFF, doubling, at most MAX.
FIRST_BACKOFF = 0.01
MAX_BACKOFF = 0.25
# Sends in flight at once per process on a layer without send_many. Each takes a Redis
# connection of channels_redis' pool, which raises MaxConnectionsError (it does not wait)
# when a burst of joins in big pools would need thousands at the same moment.
SEND_CONCURRENCY = 100
# Messages to one channel sent as one rtcpool.notices, at most.
BUNDLE = 100


@dataclass
class Undelivered:
    """What :func:`send_notices` could not deliver within its timeout, by cause."""

    #: Channels that refused a message because they were full all along: their consumer
    #: is stuck (its worker stalled, or far behind).
    full: list[str] = field(default_factory=list)
    #: Channels whose message failed because the layer itself did (Redis unreachable, no
    #: free connection): not their consumer's fault.
    failed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.full or self.failed)


class Backoff:
    """The waits between offers of a refused message or a failing call: from
    ``FIRST_BACKOFF``, doubling, at most ``MAX_BACKOFF``, none past ``timeout`` seconds from
    now. Make one inside the running loop."""

    def __init__(self, timeout: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._deadline = self._loop.time() + timeout
        self.delay = FIRST_BACKOFF

    def reset(self) -> None:
        """Progress was made: the next wait is the shortest again."""
        self.delay = FIRST_BACKOFF

    async def wait(self) -> bool:
        """Sleep the next delay and return True, or return False at once if that sleep
        would end past the deadline: time to give up."""
        if self._loop.time() + self.delay > self._deadline:
            return False
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, MAX_BACKOFF)
        return True


def channel_layer() -> BaseChannelLayer:
    """The default channel layer; a clear error where there is none (``rtcpool.E003``)."""
    layer = get_channel_layer()
    if layer is None:  # rtcpool.E003 reports this at startup already
        raise ImproperlyConfigured("rtcpool_django needs CHANNEL_LAYERS['default'].")
    return layer


async def send_notices(outbox: Outbox, *, timeout: float | None = None) -> Undelivered:
    """Send every message of ``outbox``, offering refused ones again with backoff for up to
    ``timeout`` seconds (default ``DELIVERY_TIMEOUT``); return what was still undelivered.

    An undelivered channel got every message before the refused one and none after it.
    """
    if not outbox:
        return Undelivered()
    if timeout is None:
        timeout = rtcpool_settings.DELIVERY_TIMEOUT
    layer = channel_layer()
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for channel, message in outbox:
        by_channel[channel].append(message)
    queues: dict[str, deque[dict[str, Any]]] = {
        channel: deque(_bundled(messages)) for channel, messages in by_channel.items()
    }

    backoff = Backoff(timeout)
    while True:
        # One round sends the head message of every channel still holding messages.
        heads = [(channel, queue[0]) for channel, queue in queues.items()]
        full, failed = await _send_round(layer, heads)
        refused = full | failed
        for channel, queue in list(queues.items()):
            if channel not in refused:
                queue.popleft()
                if not queue:
                    del queues[channel]
        if not queues:
            return Undelivered()
        if not refused:
            backoff.reset()  # progress: the next round goes at once
            continue
        if not await backoff.wait():
            logger.warning(
                "rtcpool: %d channel(s) full and %d unreachable for %.1f s; giving up on %s",
                len(full),
                len(failed),
                timeout,
                ", ".join(sorted({queues[c][0]["type"] for c in refused})),
            )
            metrics.notices_refused.inc(len(refused))
            return Undelivered(full=sorted(full), failed=sorted(failed))


def _bundled(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One channel's messages, in order, as few messages as :data:`BUNDLE` allows."""
    return [
        chunk[0] if len(chunk) == 1 else notices(chunk)
        for chunk in (messages[n : n + BUNDLE] for n in range(0, len(messages), BUNDLE))
    ]


async def _send_round(
    layer: Any, messages: list[tuple[str, dict[str, Any]]]
) -> tuple[set[str], set[str]]:
    """Send at most one message per channel; return the channels that refused theirs
    because they were full, and those whose send failed otherwise."""
    send_many = getattr(layer, "send_many", None)
    if send_many is not None:
        try:
            return set(await send_many(messages)), set()
        except Exception as exc:
            # The layer failing as a whole (Redis unreachable): nothing was sent.
            logger.debug("rtcpool: notices not sent: %r", exc)
            return set(), {channel for channel, _ in messages}

    async def send(channel: str, message: dict[str, Any]) -> tuple[str, bool] | None:
        try:
            async with _send_slots():
                await layer.send(channel, message)
        except ChannelFull:
            return channel, True
        except Exception as exc:
            # The layer failing (redis-py's ConnectionError or MaxConnectionsError).
            logger.debug("rtcpool: %s: %s not sent: %r", channel, message["type"], exc)
            return channel, False
        return None

    results = [r for r in await asyncio.gather(*(send(c, m) for c, m in messages)) if r]
    return {c for c, full in results if full}, {c for c, full in results if not full}


_slots: PerLoop[None, asyncio.Semaphore] = PerLoop(lambda _: asyncio.Semaphore(SEND_CONCURRENCY))


def _send_slots() -> asyncio.Semaphore:
    return _slots.get(None)


async def retry(
    action: Callable[[], Awaitable[T]], *, what: str, timeout: float | None = None
) -> T:
    """Await ``action()`` until it succeeds, with backoff, for up to ``timeout`` seconds
    (default ``DELIVERY_TIMEOUT``); then raise its last exception. For channel-layer calls
    that a burst or a short outage makes fail (``ChannelFull``, ``MaxConnectionsError``)."""
    if timeout is None:
        timeout = rtcpool_settings.DELIVERY_TIMEOUT
    backoff = Backoff(timeout)
    while True:
        try:
            return await action()
        except Exception as exc:
            if not await backoff.wait():
                logger.warning("rtcpool: %s failed for %.1f s: %r", what, timeout, exc)
                raise


_background: set[asyncio.Task[Any]] = set()


def send_in_background(outbox: Iterable[tuple[str, dict[str, Any]]], *, timeout: float) -> None:
    """Offer messages from a task of this process's running loop, for up to ``timeout``
    seconds, without making the caller wait (a kick to a channel that a stalled worker
    stops draining). Best effort: logged if still refused at the end."""
    outbox = list(outbox)
    if not outbox:
        return
    task = asyncio.get_running_loop().create_task(send_notices(outbox, timeout=timeout))
    _background.add(task)
    task.add_done_callback(_background.discard)


# --- delivery with eviction ---------------------------------------------------------------


async def deliver(outbox: Outbox) -> Undelivered:
    """Send each message (see :mod:`rtcpool_django.delivery`); messages to one channel keep
    their order. Returns what was still undelivered after ``DELIVERY_TIMEOUT``.

    A notice refused by a channel that stayed full is not merely logged: the peer behind it
    would keep a wrong view of its pool for good (a peer it never hears of, or a ghost it
    never hears leave), and the client cannot tell. So such a peer is evicted as if kicked:
    the rest of its pool gets ``rtc:close``, and its consumer gets ``rtcpool.kick`` (offered
    while the channel stays full, up to ``WORKER_TIMEOUT``) and closes the socket, after
    which the client joins afresh. A notice lost because the layer itself failed (Redis
    unreachable) is not the peer's fault: its worker repairs the roster from the database
    at its next heartbeat, or as soon as the layer is back (:mod:`rtcpool_django.recovery`).
    """
    # A kick goes to a peer already removed, often one whose channel is full: nobody
    # waits for it, and it is offered for as long as a stalled worker may come back.
    kicks = [(channel, message) for channel, message in outbox if message["type"] == KICK]
    undelivered = await send_notices([item for item in outbox if item[1]["type"] != KICK])
    if kicks:
        missed = await send_notices(kicks, timeout=0)
        unkicked = set(missed.full) | set(missed.failed)
        send_in_background(
            [kick for kick in kicks if kick[0] in unkicked],
            timeout=rtcpool_settings.WORKER_TIMEOUT,
        )
    if undelivered.full:
        evictions, _ = await run_in_thread(_evict, undelivered.full)
        await deliver(evictions)  # ends: each round removes peers, or finds none to remove
    return undelivered


def deliver_on_commit(outbox: Outbox) -> None:
    """:func:`deliver` from sync code, once the current transaction commits."""
    # A sync caller may be inside its own atomic block (the admin's views are): announce
    # the change once it is committed, never one that is then rolled back. Outside an
    # atomic block on_commit runs at once.
    if outbox:
        transaction.on_commit(lambda: async_to_sync(deliver)(outbox))


def _evict(channels: list[str]) -> tuple[Outbox, int]:
    peer_ids = Peer.objects.filter(channel_name__in=channels).values_list("id", flat=True)
    return remove([str(pk) for pk in peer_ids], reason="unavailable")
