"""The reader of ``rtcpool_django.layers.RedisChannelLayer``: the only code that pops a
process's own messages from Redis.

One ``ProcessChannelReader`` per process channel (``specific.<client_prefix>!``) runs one task
per shard it reads, on the event loop of its receivers. Receivers never await Redis
themselves, so cancelling a ``receive()`` cannot interrupt a read. The task exits when no
``receive()`` is waiting and the queue is empty; the next ``receive()`` starts it again.
The reader knows its layer only through ``ReadingLayer``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
from typing import Protocol, cast, runtime_checkable

from redis import exceptions as redis_exceptions
from redis.asyncio import ConnectionPool, Redis

from .local import LocalDelivery
from .scripts import POP_BATCH

logger = logging.getLogger("rtcpool_django.layers")

#: What a lost connection to Redis raises, from redis-py or the socket below it.
REDIS_DOWN = (
    redis_exceptions.ConnectionError,
    redis_exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)


@runtime_checkable
class ReadingLayer(Protocol):
    """What a reader needs of its layer (``core.RedisChannelLayer`` provides it)."""

    prefix: str
    ring_size: int
    expiry: int
    #: Longest BZPOPMIN, in seconds (shortened below the connections' read timeout).
    brpop_timeout: int
    #: Messages popped per script call.
    receive_batch_size: int
    #: Backoff after a failed Redis call: first delay and cap, in seconds.
    reconnect_delay: float
    reconnect_delay_max: float
    #: False while some shard is known unreachable.
    connected: bool

    def consistent_hash(self, value: str) -> int:
        """The shard of a channel or group name."""
        ...

    def connection(self, index: int) -> Redis:
        """A Redis client for a shard, on the running event loop."""
        ...

    def backup_key(self, key: str) -> str:
        """The ``$inflight`` backup key of a queue key, as stock names it."""
        ...

    def hand_over(self, members: list[bytes], key: str) -> None:
        """Decode popped messages into their local buffers; synchronous (see core)."""
        ...

    def outage_started(self, index: int, exc: BaseException) -> None:
        """A reader could not reach shard ``index`` (the layer logs once per outage)."""
        ...

    async def shard_reached(self, index: int) -> None:
        """A reader reached shard ``index`` while the layer was down (see outages)."""
        ...


class ProcessChannelReader:
    """Reads one process channel into the layer's local buffers."""

    def __init__(self, layer: ReadingLayer, real_channel: str) -> None:
        self.layer = layer
        self.real_channel = real_channel
        #: receive() calls waiting on any channel of this process channel.
        self.receivers = 0
        home = layer.consistent_hash(real_channel)
        # Stock senders put specific channels on the shard of the full channel name, so with
        # several hosts every shard may hold some of our messages (see core.py).
        others = [index for index in range(layer.ring_size) if index != home]
        self.shards = [_ShardReader(self, index) for index in [home, *others]]
        #: Whether messages to these channels sent on the running loop skip Redis.
        self.local = LocalDelivery()

    def start(self) -> None:
        """Make sure every shard is being read on the running event loop."""
        self.local.reading_on(asyncio.get_running_loop())
        for shard in self.shards:
            shard.start()

    async def stop(self) -> None:
        """Stop reading (``close_pools``, ``flush``); the next receive() starts again."""
        for shard in self.shards:
            await shard.stop()


class _ShardReader:
    """The reading task of one process channel on one shard, and its batch bookkeeping."""

    def __init__(self, owner: ProcessChannelReader, index: int) -> None:
        layer = owner.layer
        self.owner = owner
        self.layer = layer
        self.index = index
        self.key = layer.prefix + owner.real_channel
        self.backup_key = layer.backup_key(self.key)
        self.batch_key = self.backup_key + "$batch"
        # BZPOPMIN also watches this key, so that stop() can end a blocking read without
        # cancelling it (a cancelled BZPOPMIN may lose the message Redis just popped).
        self.wake_key = self.key + "$wake"
        self.blocking = False
        self.stopping = False
        # Id of the last batch whose messages reached the local buffers; lives as long as
        # the layer, across reader tasks and event loops.
        self.handed = ""
        self.batch_ids = itertools.count(1)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        task = self.task
        if task is not None and not task.done():
            if task.get_loop() is loop:
                return
            if task.get_loop().is_running():
                raise RuntimeError(
                    "Two event loops are trying to receive() on one channel layer at once!"
                )
            # Its loop is closed or stopped for good: that reader will never run again.
        self.stopping = False
        self.task = loop.create_task(self._run(), name=f"rtcpool layer reader {self.key}")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is None or task.done():
            return
        loop = task.get_loop()
        if loop is not asyncio.get_running_loop():
            if not loop.is_closed():
                loop.call_soon_threadsafe(task.cancel)
            return
        self.stopping = True
        if self.blocking and await self._wake():
            await asyncio.wait([task], timeout=1.0)
        # Cancelling a batch call loses nothing: the next call puts an unseen batch back.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _wake(self) -> bool:
        """End the reader's BZPOPMIN; False if Redis cannot be reached."""
        try:
            async with self.layer.connection(self.index).pipeline(transaction=True) as pipe:
                pipe.zadd(self.wake_key, {"wake": 0})
                pipe.expire(self.wake_key, 10)
                await pipe.execute()
        except REDIS_DOWN:
            return False
        return True

    async def _run(self) -> None:
        delay = 0.0
        while True:
            try:
                connection = self.layer.connection(self.index)
                batch = await self._pop_batch(connection)
                if not self.layer.connected:
                    # Redis answered. The task that saw it go may have ended with its
                    # receivers (an outage past the grace closes every socket): the outage
                    # is the layer's, and whichever reader reaches Redis first ends it.
                    await self.layer.shard_reached(self.index)
                if not batch:
                    if self.owner.receivers <= 0 or self.stopping:
                        return
                    self.blocking = True
                    try:
                        # The layer's connections do not decode: (key, member, score).
                        popped = cast(
                            "tuple[bytes, bytes, float] | None",
                            await connection.bzpopmin(
                                [self.key, self.wake_key], timeout=self._block_timeout(connection)
                            ),
                        )
                    finally:
                        self.blocking = False
                    if popped is not None and popped[0].decode() == self.key:
                        self.layer.hand_over([popped[1]], self.key)
                if self.stopping:
                    return
            except REDIS_DOWN as exc:
                self.layer.outage_started(self.index, exc)  # logs once per outage
            except Exception:
                # A bug or a Redis error reply: keep the receivers alive, try again later.
                logger.exception("Channel layer reader of %s failed; retrying.", self.key)
            else:
                delay = 0.0
                continue
            if self.owner.receivers <= 0 or self.stopping:
                return
            delay = min(max(delay * 2, self.layer.reconnect_delay), self.layer.reconnect_delay_max)
            await asyncio.sleep(delay)

    def _block_timeout(self, connection: Redis) -> float:
        """``brpop_timeout``, or less than the connection's read timeout: redis-py 8 reads
        with a 5 s socket_timeout by default, which would end every idle BZPOPMIN of 5 s
        in a TimeoutError (channels_redis #422)."""
        timeout: float = self.layer.brpop_timeout
        read_timeout = _socket_timeout(connection.connection_pool)
        if read_timeout is not None and read_timeout <= timeout + 0.5:
            # 0 would make BZPOPMIN block forever.
            timeout = max(read_timeout / 2, 0.01)
        return float(timeout)

    async def _pop_batch(self, connection: Redis) -> bool:
        """Acknowledge the last batch handed over (or put back one that was not), pop the
        next into the backup and hand it over; False if the queue was empty."""
        batch_id = str(next(self.batch_ids))
        # The home shard is where this layer sends: its empty queue is what lets a new loop
        # deliver to these channels directly (layers.local).
        local = self.owner.local if self is self.owner.shards[0] else None
        asked = local.asking() if local is not None else None
        reply = await POP_BATCH(
            connection,
            [self.key, self.backup_key, self.batch_key],
            [self.handed, batch_id, self.layer.receive_batch_size, int(self.layer.expiry)],
        )
        members = reply[0::2]
        self.layer.hand_over(members, self.key)
        self.handed = batch_id if members else ""
        if local is not None:
            local.popped(asked, not members)
        return bool(members)


def _socket_timeout(pool: ConnectionPool) -> float | None:
    """The read timeout of a pool's connections: as configured, else the class default."""
    if "socket_timeout" in pool.connection_kwargs:
        configured = pool.connection_kwargs["socket_timeout"]
        return None if configured is None else float(configured)
    for cls in pool.connection_class.__mro__:
        if "__init__" in vars(cls):
            parameter = inspect.signature(vars(cls)["__init__"]).parameters.get("socket_timeout")
            if parameter is not None and parameter.default is not inspect.Parameter.empty:
                return None if parameter.default is None else float(parameter.default)
    return None
