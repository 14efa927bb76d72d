"""A faster ``channels_redis`` channel layer that stock processes can still talk to.

``RedisChannelLayer`` here subclasses ``channels_redis.core.RedisChannelLayer`` and keeps its
Redis keys (``prefix + channel``, the ``$inflight`` backup, ``prefix:group:<name>``), its
message encoding (the stock serializer, ``__asgi_channel__``), send time as the score,
``capacity`` / ``channel_capacity`` / ``ChannelFull``, ``expiry``, ``group_expiry``, ``flush``,
``close_pools`` and every ``hosts`` form the stock layer accepts (URLs, dicts, Sentinel). A
Celery worker or ``manage.py shell`` on the stock layer sends to and receives from it.

What differs, and why:

* ``send`` is one round trip (one Lua script: trim expired, check capacity, ZADD, EXPIRE)
  instead of four, and concurrent sends share it: while one script call to a shard is in
  flight the next messages wait and go together (``layers.sender``), so a burst uses one
  connection per shard instead of one per message. ``group_send`` is two round trips
  instead of two plus two per shard, ``group_add`` one instead of two, and concurrent
  ``group_add`` and ``group_discard`` calls share their round trips as sends do
  (``layers.groups``): a join storm's thousand adds to a shard go in a few pipelines.
  ``send_many`` (new) delivers any number of messages in one script call per shard.
* A process's own channels (``specific.<client_prefix>!...``) are read by one reader task per
  process channel and event loop, in batches: one script call acknowledges the previous
  batch, pops up to ``receive_batch_size`` messages into the ``$inflight`` backup and returns
  them; an empty queue is waited on with BZPOPMIN. ``receive()`` only waits on its local
  buffer, so cancelling it never interrupts a Redis read: a cancelled receive loses nothing
  and duplicates nothing, for its channel or any other. A batch whose reply never arrived
  (the reader was cancelled or the connection broke mid-call) is put back into the queue by
  the next call, which knows the id of the last batch really handed over.
* Guarantees that differ from stock: a message popped by BZPOPMIN (queue was empty) is not
  backed up; it is lost only if the connection breaks after Redis sent the reply and before
  it was read, or if the event loop itself cancels the reader at that instant (loop
  shutdown). ``close_pools``/``flush`` end a blocking read by waking it, not by cancelling
  it. Stock has the same window, plus one between its BZPOPMIN and its backup ZADD. Plain
  (non-``!``) channels are received exactly as stock does. A ``receive()`` still pending
  when ``close_pools`` runs waits until the next ``receive()`` starts the reader again.
* A message to one of this process's own channels, sent from the event loop its readers
  run on, goes straight into the channel's local buffer (``layers.local``): no Redis,
  same order per sender, ``ChannelFull`` when the buffer holds the channel's capacity.
  ``group_send`` reads the members from Redis and delivers to the local ones so too.
* The reader survives Redis outages: receivers keep waiting, the reader retries with capped
  exponential backoff, and the layer reports ``connected`` and calls the ``on_reconnect``
  callbacks, so the app can restore group memberships (``layers.outages``). Sends to other
  processes' channels during an outage raise (redis-py's ``ConnectionError``).
* The reader's BZPOPMIN waits less than the connections' read timeout, so redis-py 8's 5 s
  default ``socket_timeout`` (channels_redis #422) does not break idle receivers; the
  ``rtcpool.E004`` check does not apply to this layer.
* Connection pools block: with all ``POOL_SIZE`` (32) connections of a host busy, a command
  waits for one instead of opening another (redis-py 8 raises ``MaxConnectionsError`` past
  100, and opening connections by the hundred in a burst is slow); a host's
  ``max_connections`` still sets the size. Sentinel hosts keep the stock pool.
* ``capacity`` defaults to ``DEFAULT_CAPACITY`` (5000), not 100: all consumers of a process
  share one Redis key, so the capacity bounds a process, not a consumer.
* Messages buffered for a channel that no ``receive()`` has read for ``expiry`` seconds (its
  consumer has gone) are forgotten; stock keeps them for the life of the process.
* A consumer's local buffer (``capacity`` messages) still drops its oldest message when full
  (a consumer that stopped reading must not grow memory forever), but logs a warning naming
  the channel once per overflow episode and counts it in ``dropped_messages``.
* Specific channels are sent to the shard of their process channel (``specific.<prefix>!``),
  where every receiver reads. Stock 4.3.0 sends them to the shard of the full name (a bug with
  several hosts: ~half are never read), so with several hosts the reader also reads the
  process channel's key on the other shards, which delivers what stock senders put there.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import time
from collections.abc import Iterable
from typing import Any

from channels.exceptions import ChannelFull
from channels_redis import core
from redis.asyncio import BlockingConnectionPool

from ..loops import PerLoop
from .buffers import ChannelBuffer
from .closed import ClosedChannels
from .groups import GroupChanges
from .local import LocalDelivery
from .outages import OutageTracking
from .reader import ProcessChannelReader
from .scripts import DELIVER, GROUP_MEMBERS
from .sender import Item, ShardBatch, ShardSender

logger = logging.getLogger("rtcpool_django.layers")


class RedisChannelLayer(OutageTracking, core.RedisChannelLayer):
    """``channels_redis`` layer with one round trip per send and batched receives.

    Same constructor as the stock layer, plus ``receive_batch_size``; ``capacity`` defaults
    to ``DEFAULT_CAPACITY``. See the module docstring for what differs from stock.
    """

    DEFAULT_CAPACITY = 5000
    #: Connections per Redis host and event loop, unless a host entry sets max_connections.
    POOL_SIZE = 32
    #: Messages (or group sends) per script call of ``send_many``; bounds how long one call
    #: holds Redis.
    SEND_CHUNK = 1000
    #: Reader backoff after a failed Redis call: first delay and cap, in seconds.
    reconnect_delay = 0.05
    reconnect_delay_max = 1.0

    def __init__(
        self,
        hosts: Any = None,
        prefix: str = "asgi",
        expiry: int = 60,
        group_expiry: int = 86400,
        capacity: int | None = None,
        channel_capacity: dict[Any, int] | None = None,
        symmetric_encryption_keys: Any = None,
        random_prefix_length: int = 12,
        serializer_format: str = "msgpack",
        receive_batch_size: int = 100,
    ) -> None:
        super().__init__(
            hosts=hosts,
            prefix=prefix,
            expiry=expiry,
            group_expiry=group_expiry,
            capacity=self.DEFAULT_CAPACITY if capacity is None else capacity,
            channel_capacity=channel_capacity,
            symmetric_encryption_keys=symmetric_encryption_keys,
            random_prefix_length=random_prefix_length,
            serializer_format=serializer_format,
        )
        self.receive_batch_size = receive_batch_size
        # Local buffers by full channel name; replaces stock's BoundedQueues.
        self.receive_buffer: dict[str, ChannelBuffer] = {}
        #: Messages dropped from full local buffers (consumers that stopped reading).
        self.dropped_messages = 0
        self._readers: dict[str, ProcessChannelReader] = {}
        self._last_score = 0.0
        self._senders: PerLoop[int, ShardSender] = PerLoop(lambda index: ShardSender(self, index))
        self._group_changes = GroupChanges(self)
        self._swept_at = time.monotonic()
        self._closed = ClosedChannels(expiry)

    def create_pool(self, index: int) -> Any:
        """A connection pool that waits for a free connection when all are busy, instead of
        opening one more (or raising ``MaxConnectionsError`` past ``max_connections``): a
        burst of joins needs a handful of connections, not one per concurrent command, and
        redis-py makes each new connection slowly. ``max_connections`` of a host entry
        still bounds it (default ``POOL_SIZE``). Sentinel hosts keep the stock pool."""
        host = dict(self.hosts[index])
        if "master_name" in host:
            return super().create_pool(index)
        host.setdefault("max_connections", self.POOL_SIZE)
        host.setdefault("timeout", None)  # wait as long as it takes; commands time out
        address = host.pop("address", None)
        if address is not None:
            return BlockingConnectionPool.from_url(address, **host)
        return BlockingConnectionPool(**host)

    # --- sending ---------------------------------------------------------------------------

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Send a message onto a channel (one round trip, shared with the sends that wait
        alongside it: see :mod:`rtcpool_django.layers.sender`); raise ``ChannelFull`` if
        the channel is full."""
        tracked: list[LocalDelivery] = []
        if self._direct(channel, tracked):
            self._check(channel, message)
            if not self._put_direct(channel, message):
                raise ChannelFull()
            return
        try:
            index = None if "!" in channel else next(self._send_index_generator)
            index, key, payload = self._prepare(channel, message, index)
            full = await self._sender(index).submit(
                [(key, self.get_capacity(channel), self._score(), payload)]
            )
        finally:
            _sent(tracked)  # also when _prepare refuses a bad message
        if full:
            raise ChannelFull()

    def _sender(self, index: int) -> ShardSender:
        return self._senders.get(index)

    async def deliver_batch(self, index: int, items: list[Item]) -> list[int]:
        """Run the delivery script for ``(key, capacity, score, payload)`` items on one
        shard; returns the positions of the refused ones (called by the senders)."""
        batch = ShardBatch()
        for number, (key, capacity, score, payload) in enumerate(items):
            batch.add(number, key, capacity, score)
            batch.payloads.append(payload)
        return await self._deliver(index, batch, int(time.time()) - int(self.expiry))

    def _check(self, channel: str, message: dict[str, Any]) -> None:
        """Check a message as stock does."""
        assert isinstance(message, dict), "message is not a dict"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        assert "__asgi_channel__" not in message

    def _prepare(
        self, channel: str, message: dict[str, Any], plain_index: int | None
    ) -> tuple[int, str, bytes]:
        """Check a message as stock does; its shard, Redis key and serialized form."""
        self._check(channel, message)
        if "!" not in channel:
            assert plain_index is not None
            return plain_index, self.prefix + channel, self.serialize(message)
        # The shard of the process channel, where receivers read (stock 4.3.0 hashes the
        # full name here, which with several hosts sends to a shard nobody reads).
        key_name = self.non_local_name(channel)
        payload = self.serialize({**message, "__asgi_channel__": channel})
        return self.consistent_hash(key_name), self.prefix + key_name, payload

    async def send_many(self, messages: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
        """Send many messages to many channels: one script call per Redis shard.

        Returns the channel names whose message was refused because the channel was full
        (one entry per refused message, in input order); every other message is delivered.
        Messages to one channel arrive in list order. If Redis fails, the exception is
        raised and the messages of the other shards may have been delivered.
        """
        plain_shards: dict[str, int] = {}
        names: list[str] = []
        refused_here: set[int] = set()  # numbers of messages refused by a full buffer here
        # By shard: the messages' numbers and their items, one request to its sender.
        by_shard: dict[int, tuple[list[int], list[Item]]] = {}
        tracked: list[LocalDelivery] = []
        try:
            for number, (channel, message) in enumerate(messages):
                names.append(channel)
                if self._direct(channel, tracked):
                    self._check(channel, message)
                    if not self._put_direct(channel, message):
                        refused_here.add(number)
                    continue
                plain_index = None
                if "!" not in channel:
                    # Round robin like stock, but one shard per channel per call keeps order.
                    if channel not in plain_shards:
                        plain_shards[channel] = next(self._send_index_generator)
                    plain_index = plain_shards[channel]
                index, key, payload = self._prepare(channel, message, plain_index)
                numbers, items = by_shard.setdefault(index, ([], []))
                numbers.append(number)
                items.append((key, self.get_capacity(channel), self._score(), payload))
            requests = [
                (numbers, self._sender(index).submit(items))
                for index, (numbers, items) in by_shard.items()
            ]
            # Every send has ended before the in-flight count drops (layers.local).
            results = await asyncio.gather(*(f for _, f in requests), return_exceptions=True)
        finally:
            _sent(tracked)
        for (numbers, _), result in zip(requests, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            refused_here.update(numbers[position] for position in result)
        return [names[number] for number in sorted(refused_here)]

    async def _deliver_all(self, by_shard: dict[int, ShardBatch], cutoff: int) -> list[int]:
        """Run the delivery script on every shard at once; message numbers refused."""
        if len(by_shard) == 1:
            ((index, batch),) = by_shard.items()
            return await self._deliver(index, batch, cutoff)
        results = await asyncio.gather(
            *(self._deliver(index, batch, cutoff) for index, batch in by_shard.items()),
            return_exceptions=True,
        )
        refused: list[int] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            refused.extend(result)
        return refused

    async def _deliver(self, index: int, batch: ShardBatch, cutoff: int) -> list[int]:
        connection = self.connection(index)
        refused: list[int] = []
        for start in range(0, len(batch.numbers), self.SEND_CHUNK):
            chunk = range(start, min(start + self.SEND_CHUNK, len(batch.numbers)))
            keys: dict[str | bytes, int] = {}
            args: list[Any] = [int(self.expiry), cutoff]
            for i in chunk:
                key_number = keys.setdefault(batch.keys[i], len(keys) + 1)
                args += [key_number, batch.capacities[i], repr(batch.scores[i])]
                args.append(batch.payloads[i])
            answer = await DELIVER(connection, list(keys), args)
            refused.extend(batch.numbers[chunk[int(n) - 1]] for n in answer)
        return refused

    def _score(self) -> float:
        """Send time, strictly increasing within this process: equal scores would be
        ordered by member bytes, which start with the serializer's random prefix."""
        now = time.time()
        if now <= self._last_score:
            now = math.nextafter(self._last_score, math.inf)
        self._last_score = now
        return now

    # --- groups ----------------------------------------------------------------------------

    async def group_add(self, group: str, channel: str) -> None:
        """Add a channel to a group: stock's ZADD and EXPIRE, in one round trip shared with
        the group changes that wait alongside it (see :mod:`rtcpool_django.layers.groups`)."""
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        index = self.consistent_hash(group)
        await self._group_changes.change(index, True, self._group_key(group), channel)

    async def group_discard(self, group: str, channel: str) -> None:
        """Remove a channel from a group if it is in it: stock's ZREM, in one round trip
        shared with the group changes that wait alongside it."""
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        index = self.consistent_hash(group)
        await self._group_changes.change(index, False, self._group_key(group), channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Send to every channel of the group: one round trip to read the group, then one
        script call per shard of the members (run at once). Full channels are skipped and
        logged, as stock does."""
        assert self.require_valid_group_name(group), "Group name not valid"
        connection = self.connection(self.consistent_hash(group))
        members = await GROUP_MEMBERS(
            connection, [self._group_key(group)], [int(time.time()) - self.group_expiry]
        )
        channel_names = [member.decode("utf8") for member in members]
        through_redis: list[str] = []
        tracked: list[LocalDelivery] = []
        full = 0
        try:
            for channel in channel_names:
                if self._direct(channel, tracked):
                    full += not self._put_direct(channel, message)
                    continue
                through_redis.append(channel)
            by_connection, payloads, capacities = self._map_channel_keys_to_connection(
                through_redis, message
            )
            by_shard: dict[int, ShardBatch] = {}
            number = itertools.count()
            for index, channel_keys in by_connection.items():
                batch = by_shard.setdefault(index, ShardBatch())
                for key in channel_keys:
                    batch.add(next(number), key, capacities[key], self._score())
                    batch.payloads.append(payloads[key])
            refused = await self._deliver_all(by_shard, int(time.time()) - int(self.expiry))
        finally:
            _sent(tracked)
        if refused or full:
            logger.info(
                "%s of %s channels over capacity in group %s",
                len(refused) + full,
                len(channel_names),
                group,
            )

    # --- receiving -------------------------------------------------------------------------

    async def receive(self, channel: str) -> dict[str, Any]:
        """Receive the next message of a channel. Cancelling it loses nothing."""
        assert self.require_valid_channel_name(channel)
        if "!" not in channel:
            message: dict[str, Any] = await super().receive(channel)
            return message
        real_channel = self.non_local_name(channel)
        assert real_channel.endswith(self.client_prefix + "!"), "Wrong client prefix"
        process_channel = self._process_channel(real_channel)
        buffer = self._buffer(channel)
        process_channel.receivers += 1
        buffer.waiting += 1
        buffer.read_at = time.monotonic()
        try:
            process_channel.start()
            return await buffer.get()
        finally:
            process_channel.receivers -= 1
            buffer.waiting -= 1
            buffer.read_at = time.monotonic()
            if not buffer.waiting and not buffer and self.receive_buffer.get(channel) is buffer:
                del self.receive_buffer[channel]

    def _process_channel(self, real_channel: str) -> ProcessChannelReader:
        process_channel = self._readers.get(real_channel)
        if process_channel is None:
            process_channel = self._readers[real_channel] = ProcessChannelReader(self, real_channel)
        return process_channel

    def _local(self, channel: str) -> LocalDelivery | None:
        """The direct delivery of ``channel``'s process channel if it is one of this
        process's (a ``specific.<client_prefix>!`` name), else None."""
        if "!" not in channel:
            return None
        real_channel = self.non_local_name(channel)
        if not real_channel.endswith(self.client_prefix + "!"):
            return None
        return self._process_channel(real_channel).local

    def _direct(self, channel: str, tracked: list[LocalDelivery]) -> bool:
        """Whether a message to ``channel`` goes straight into its buffer (the caller puts
        it there with :meth:`_put_direct`). If not and the channel is one of this
        process's, its send through Redis is counted in flight (layers.local) and its
        delivery state appended to ``tracked``: pass that to ``_sent`` once it has ended."""
        local = self._local(channel)
        if local is None:
            return False
        if local.direct():
            return True
        local.sending()
        tracked.append(local)
        return False

    def _buffer(self, channel: str) -> ChannelBuffer:
        """The local buffer of ``channel``, made if it has none."""
        buffer = self.receive_buffer.get(channel)
        if buffer is None:
            buffer = self.receive_buffer[channel] = ChannelBuffer(channel, self.capacity)
        return buffer

    def _put_direct(self, channel: str, message: dict[str, Any]) -> bool:
        """Put a message sent on the readers' loop into its buffer (see
        :mod:`rtcpool_django.layers.local`); False if the buffer holds its channel's
        capacity. The receiver gets its own copy, as through Redis and the serializer."""
        self._sweep_buffers()
        if channel in self._closed:
            return True  # its consumer has ended: as if it had expired unread
        buffer = self._buffer(channel)
        if len(buffer) >= self.get_capacity(channel):
            return False
        serializer = self._serializer
        buffer.put(serializer.from_bytes(serializer.as_bytes(message)))
        return True

    def backup_key(self, key: str) -> str:
        """The ``$inflight`` backup of a queue key, named as stock names it."""
        name: str = self._backup_channel_name(key)
        return name

    def hand_over(self, members: list[bytes], key: str) -> None:
        """Decode messages popped from a process channel into their local buffers (called
        by the readers).

        Synchronous on purpose: between a script's reply and the end of this call there is
        no await, so a batch counts as handed over exactly when this returns."""
        self._sweep_buffers()
        for member in members:
            try:
                message = self.deserialize(member)
                channels = message.pop("__asgi_channel__")
            except Exception:
                logger.exception("Dropping an undecodable message from %s", key)
                continue
            if isinstance(channels, str):
                channels = [channels]
            for n, channel in enumerate(channels):
                if channel in self._closed:
                    continue  # its consumer has ended: as if it had expired unread
                if not self._buffer(channel).put(message if n == 0 else dict(message)):
                    self.dropped_messages += 1

    def close_channel(self, channel: str) -> None:
        """The one reader of ``channel`` (a consumer) has ended: drop what is buffered for
        it, and what arrives for it from now on until it would have expired."""
        buffer = self.receive_buffer.get(channel)
        if buffer is not None and not buffer.waiting:
            del self.receive_buffer[channel]
        self._closed.add(channel)

    def _sweep_buffers(self) -> None:
        """Forget buffers of channels that no receive() has read for ``expiry`` seconds.

        A consumer that has gone still gets the messages sent before its group_discard;
        stock keeps those forever. Messages a live consumer has not asked for within
        ``expiry`` would have expired in Redis too."""
        now = time.monotonic()
        if now - self._swept_at < self.expiry:
            return
        self._swept_at = now
        for channel, buffer in list(self.receive_buffer.items()):
            if not buffer.waiting and now - buffer.read_at > self.expiry:
                del self.receive_buffer[channel]
                logger.debug("Dropped %s unread messages of channel %s", len(buffer), channel)

    # --- flush / close ---------------------------------------------------------------------

    async def flush(self) -> None:
        """Delete all messages and groups of this prefix on all shards, and local buffers."""
        await self._stop_readers()
        for buffer in self.receive_buffer.values():
            buffer.clear()
        self._closed.clear()
        await super().flush()

    async def close_pools(self) -> None:
        """Stop the readers, then close the connection pools of every event loop."""
        await self._stop_readers()
        await super().close_pools()

    async def _stop_readers(self) -> None:
        for process_channel in self._readers.values():
            await process_channel.stop()


def _sent(tracked: list[LocalDelivery]) -> None:
    """The sends counted in flight by ``RedisChannelLayer._direct`` have ended."""
    for local in tracked:
        local.sent()
