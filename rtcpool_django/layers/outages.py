"""How ``rtcpool_django.layers.RedisChannelLayer`` rides out Redis outages: ``connected``,
``probe`` and the ``on_reconnect`` callbacks.

``connected`` belongs to the layer, not to one reader task: a reader or :meth:`probe`
that fails to reach a shard reports it (``outage_started``), and whichever next reaches a
shard that was lost reports it back (``outage_ended``), so an outage that outlived every
receiver still ends. The first report of an outage logs a warning, its end an info line
and runs the callbacks, so the app can restore its group memberships.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from redis import exceptions as redis_exceptions

from .reader import REDIS_DOWN

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("rtcpool_django.layers")


class OutageTracking:
    """The connection state of a layer (mixed into ``core.RedisChannelLayer``)."""

    if TYPE_CHECKING:  # the stock layer's, which this is mixed with
        ring_size: int

        def connection(self, index: int) -> Redis: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: False while a reader cannot reach Redis; True otherwise.
        self.connected = True
        #: ``time.monotonic()`` when ``connected`` turned false; None while connected.
        self.down_since: float | None = None
        # Shards a reader or a probe failed to reach and nothing has reached since.
        self._down_shards: set[int] = set()
        self._reconnect_callbacks: list[Callable[[], Any]] = []
        self._callback_tasks: set[asyncio.Task[Any]] = set()

    def on_reconnect(self, callback: Callable[[], Awaitable[Any] | None]) -> Callable[[], None]:
        """Call ``callback()`` each time a reader reaches Redis again after an outage.

        Redis may have come back empty (restarted without persistence): the callback is the
        place to re-add group memberships. A coroutine function is run as a task on the
        reader's event loop. Returns a function that unregisters the callback.
        """
        self._reconnect_callbacks.append(callback)

        def remove() -> None:
            if callback in self._reconnect_callbacks:
                self._reconnect_callbacks.remove(callback)

        return remove

    async def probe(self, timeout: float = 1.0) -> bool:
        """PING every shard (at most ``timeout`` seconds); returns ``connected`` after it.

        The readers only see Redis while something receives: a process whose last receiver
        left during an outage calls this to learn that Redis is back (or, idle, that it is
        gone). It updates ``connected`` and calls the ``on_reconnect`` callbacks as a
        reader does."""

        async def ping(index: int) -> None:
            try:
                async with asyncio.timeout(timeout):
                    try:
                        await self.connection(index).ping()
                    except REDIS_DOWN:
                        # A pooled connection that broke with an outage fails its first
                        # command after Redis is back; a fresh one tells the truth.
                        await self.connection(index).ping()
            except (*REDIS_DOWN, redis_exceptions.RedisError) as exc:
                self.outage_started(index, exc)
            else:
                await self.shard_reached(index)

        await asyncio.gather(*(ping(index) for index in range(self.ring_size)))
        return self.connected

    def outage_started(self, index: int, exc: BaseException) -> None:
        """Shard ``index`` could not be reached (called by the readers and :meth:`probe`):
        the layer is down until it is again. Logs once per outage."""
        self._down_shards.add(index)
        if self.connected:
            self.connected = False
            self.down_since = time.monotonic()
            logger.warning(
                "Channel layer cannot reach Redis (%s: %s); receivers keep waiting, retrying.",
                type(exc).__name__,
                exc,
            )

    async def shard_reached(self, index: int) -> None:
        """A reader or :meth:`probe` reached shard ``index``: if it had been lost, drop the
        pool's idle connections first, then :meth:`outage_ended`.

        Connections that sat idle through the outage are to the server that went away and
        may still look open; the first command on one fails once Redis is back. A send on
        the relay hot path is tried once (its sender hears ``peer_unavailable``), so none
        may meet one after the layer says it is connected again."""
        if index in self._down_shards:
            pool = self.connection(index).connection_pool
            await pool.disconnect(inuse_connections=False)
        self.outage_ended(index)

    def outage_ended(self, index: int | None = None) -> None:
        """Shard ``index`` (every shard: None) answered (called by the readers and
        :meth:`probe`); once no shard is known down, the layer is connected again and the
        ``on_reconnect`` callbacks run."""
        if index is None:
            self._down_shards.clear()
        else:
            self._down_shards.discard(index)
        if self.connected or self._down_shards:
            return
        self.connected = True
        if self.down_since is not None:
            logger.info(
                "Channel layer reaches Redis again after %.1f s.",
                time.monotonic() - self.down_since,
            )
        self.down_since = None
        for callback in list(self._reconnect_callbacks):
            try:
                result = callback()
            except Exception:
                logger.exception("on_reconnect callback %r failed", callback)
                continue
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                self._callback_tasks.add(task)
                task.add_done_callback(self._callback_done)

    def _callback_done(self, task: asyncio.Task[Any]) -> None:
        self._callback_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("on_reconnect callback failed", exc_info=task.exception())
