"""Sending notices (peer joined, left, described, pool stopped, kicked) through the channel
layer: fan-out in few round trips, per-channel order, and a bounded retry for bursts.

One join notifies up to N peers and one departure as many. A layer with a ``send_many``
method (:class:`rtcpool_django.layers.RedisChannelLayer`) takes a whole fan-out in one call
per Redis shard; any other layer gets one ``send`` per message, the channels in parallel.

A full channel is usually a burst, not a fault: its consumer's process is busy and drains
it a moment later. So a refused notice is offered again, with a short backoff, for up to
``RTCPOOL["DELIVERY_TIMEOUT"]`` seconds before its channel is reported as refused (and its
peer evicted by :func:`rtcpool_django.pools.deliver`). Messages to one channel keep their
order: a channel's next message is sent only once the one before it was taken.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer, get_channel_layer
from django.core.exceptions import ImproperlyConfigured

from . import metrics
from .conf import rtcpool_settings

logger = logging.getLogger("rtcpool_django")

Outbox = list[tuple[str, dict[str, Any]]]
T = TypeVar("T")

# Backoff between offers of a refused message: from FIRST_BACKOFF, doubling, at most MAX.
FIRST_BACKOFF = 0.01
MAX_BACKOFF = 0.25
# Sends in flight at once per process on a layer without send_many. Each takes a Redis
# connection of channels_redis' pool, which raises MaxConnectionsError (it does not wait)
# when a burst of joins in big pools would need thousands at the same moment.
SEND_CONCURRENCY = 100


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
    queues: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
    for channel, message in outbox:
        queues[channel].append(message)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    backoff = FIRST_BACKOFF
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
            backoff = FIRST_BACKOFF  # progress: the next round goes at once
            continue
        if loop.time() + backoff > deadline:
            logger.warning(
                "rtcpool: %d channel(s) full and %d unreachable for %.1f s; giving up on %s",
                len(full),
                len(failed),
                timeout,
                ", ".join(sorted({queues[c][0]["type"] for c in refused})),
            )
            metrics.notices_refused.inc(len(refused))
            return Undelivered(full=sorted(full), failed=sorted(failed))
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF)


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


_slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


def _send_slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        for old in [old for old in _slots if old.is_closed()]:
            del _slots[old]
        slots = _slots[loop] = asyncio.Semaphore(SEND_CONCURRENCY)
    return slots


async def retry(
    action: Callable[[], Awaitable[T]], *, what: str, timeout: float | None = None
) -> T:
    """Await ``action()`` until it succeeds, with backoff, for up to ``timeout`` seconds
    (default ``DELIVERY_TIMEOUT``); then raise its last exception. For channel-layer calls
    that a burst or a short outage makes fail (``ChannelFull``, ``MaxConnectionsError``)."""
    if timeout is None:
        timeout = rtcpool_settings.DELIVERY_TIMEOUT
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    backoff = FIRST_BACKOFF
    while True:
        try:
            return await action()
        except Exception as exc:
            if loop.time() + backoff > deadline:
                logger.warning("rtcpool: %s failed for %.1f s: %r", what, timeout, exc)
                raise
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF)


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
