"""rtcpool_django.layers.RedisChannelLayer against real Redis, next to the stock
channels_redis layer it must interoperate with (scenarios after channels_redis' own
tests/test_core.py). Every layer of a test shares one prefix unique to the test."""

from __future__ import annotations

import asyncio
import logging
import random
import time

import pytest
import redis.asyncio as aioredis
from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels_redis.core import RedisChannelLayer as StockLayer
from redis.asyncio import BlockingConnectionPool

from rtcpool_django.layers import RedisChannelLayer, core
from rtcpool_django.layers.reader import ProcessChannelReader
from rtcpool_django.layers.scripts import POP_BATCH

from .layer_kit import REDIS_URL, count_commands, count_pipelines, host, receive

pytestmark = pytest.mark.redis


def on_db(db: int) -> str:
    """The test server's URL with another database number: a second logical host."""
    return REDIS_URL.rsplit("/", 1)[0] + f"/{db}"


async def nothing_for(layer, channel: str) -> bool:
    """True if the channel receives nothing for a short while (a negative check)."""
    try:
        async with asyncio.timeout(0.3):
            await layer.receive(channel)
    except TimeoutError:
        return True
    return False


# --- interoperability with the stock layer ----------------------------------------------


async def test_stock_sends_and_ours_receives(make):
    stock, ours = make(StockLayer), make()
    specific = await ours.new_channel()
    await stock.send(specific, {"type": "to.specific", "n": 1})
    await stock.send("plain", {"type": "to.plain", "n": 2})
    assert await receive(ours, specific) == {"type": "to.specific", "n": 1}
    assert await receive(ours, "plain") == {"type": "to.plain", "n": 2}


async def test_ours_sends_and_stock_receives(make):
    stock, ours = make(StockLayer), make()
    specific = await stock.new_channel()
    await ours.send(specific, {"type": "to.specific", "n": 1})
    await ours.send("plain", {"type": "to.plain", "n": 2})
    assert await receive(stock, specific) == {"type": "to.specific", "n": 1}
    assert await receive(stock, "plain") == {"type": "to.plain", "n": 2}


async def test_group_send_between_stock_and_ours(make):
    stock, ours = make(StockLayer), make()
    mine, theirs = await ours.new_channel(), await stock.new_channel()
    await ours.group_add("room", mine)
    await stock.group_add("room", theirs)
    await stock.group_send("room", {"type": "from.stock"})
    await ours.group_send("room", {"type": "from.ours"})
    for layer, channel in ((ours, mine), (stock, theirs)):
        assert await receive(layer, channel) == {"type": "from.stock"}
        assert await receive(layer, channel) == {"type": "from.ours"}
    await ours.group_discard("room", mine)
    await stock.group_send("room", {"type": "again"})
    assert await receive(stock, theirs) == {"type": "again"}
    assert await nothing_for(ours, mine)


async def test_several_channels_of_one_process_and_a_group_send_to_them(make):
    sender, ours = make(), make()
    channels = [await ours.new_channel() for _ in range(3)]
    other = await ours.new_channel(prefix="other")
    for channel in [*channels, other]:
        await sender.group_add("all", channel)
    await sender.group_send("all", {"type": "hello"})
    for channel in [*channels, other]:
        assert await receive(ours, channel) == {"type": "hello"}


# --- send_many ------------------------------------------------------------------------------


async def test_send_many_keeps_order_per_channel_across_processes(make):
    sender, one, two = make(), make(), make()
    targets = [await one.new_channel(), await one.new_channel(), await two.new_channel(), "work"]
    messages = [(targets[n % 4], {"type": "m", "n": n}) for n in range(400)]
    random.Random(4).shuffle(messages)
    assert await sender.send_many(messages) == []
    for layer, channel in ((one, targets[0]), (one, targets[1]), (two, targets[2]), (one, "work")):
        expected = [m["n"] for c, m in messages if c == channel]
        assert [(await receive(layer, channel))["n"] for _ in expected] == expected


async def test_send_many_keeps_order_within_one_clock_tick(make, monkeypatch):
    # Equal scores would be ordered by the serializer's random prefix, not by send order.
    sender, ours = make(), make()
    channel = await ours.new_channel()
    now = time.time()
    monkeypatch.setattr(core.time, "time", lambda: now)
    assert await sender.send_many([(channel, {"type": "m", "n": n}) for n in range(50)]) == []
    await sender.send(channel, {"type": "m", "n": 50})
    assert [(await receive(ours, channel))["n"] for _ in range(51)] == list(range(51))


async def test_send_many_reports_refused_channels_and_delivers_the_rest(make):
    sender, full, roomy = make(capacity=3), make(), make()
    crowded, free = await full.new_channel(), await roomy.new_channel()
    messages = [(crowded, {"type": "m", "n": n}) for n in range(5)]
    messages += [(free, {"type": "m", "n": n}) for n in range(2)]
    messages += [("small", {"type": "m", "n": n}) for n in range(2)]
    sender.channel_capacity = sender.compile_capacities({"small": 1})
    refused = await sender.send_many(messages)
    assert refused == [crowded, crowded, "small"]
    assert [(await receive(full, crowded))["n"] for _ in range(3)] == [0, 1, 2]
    assert [(await receive(roomy, free))["n"] for _ in range(2)] == [0, 1]
    assert (await receive(roomy, "small"))["n"] == 0
    assert await nothing_for(full, crowded)


async def test_concurrent_send_manys_share_a_call_and_each_hears_its_own_refusals(
    make, monkeypatch
):
    # One request (one future) per send_many and shard, not one per message; requests that
    # wait together go in one script call, and each gets the refusals of its own messages.
    sender = make(channel_capacity={"small-a": 1, "small-b": 1})
    requests, calls = [], []
    submit, deliver_batch = core.ShardSender.submit, sender.deliver_batch

    def counted_submit(self, items):
        requests.append(len(items))
        return submit(self, items)

    async def counted_deliver(index, items):
        calls.append(len(items))
        return await deliver_batch(index, items)

    monkeypatch.setattr(core.ShardSender, "submit", counted_submit)
    monkeypatch.setattr(sender, "deliver_batch", counted_deliver)
    first = asyncio.ensure_future(sender.send("other", {"type": "in.flight"}))
    await asyncio.sleep(0)  # its call is in flight: the two below wait for the next
    a = [("small-a", {"type": "m", "n": n}) for n in range(2)] + [("roomy", {"type": "m"})]
    b = [("roomy", {"type": "m"}), ("small-b", {"type": "m"}), ("small-b", {"type": "m"})]
    refused_a, refused_b, _ = await asyncio.gather(sender.send_many(a), sender.send_many(b), first)
    assert (refused_a, refused_b) == (["small-a"], ["small-b"])
    assert requests == [1, 3, 3] and calls == [1, 6]
    assert (await receive(sender, "small-a"))["n"] == 0


async def test_round_trips_per_send_group_send_and_received_batch(make, monkeypatch):
    sender, ours = make(), make()
    channels = [await ours.new_channel() for _ in range(3)]
    for channel in channels:
        await sender.group_add("three", channel)
    await sender.send(channels[0], {"type": "warm.up"})  # loads the script on the server
    assert await receive(ours, channels[0]) == {"type": "warm.up"}
    # With no receive() waiting the reader ends after its next, empty, batch call.
    await ours._readers[ours.non_local_name(channels[0])].shards[0].task
    commands = count_commands(monkeypatch)
    await sender.send(channels[0], {"type": "one"})
    assert commands == ["EVALSHA"]
    commands.clear()
    await sender.send_many([(channels[n % 3], {"type": "m", "n": n}) for n in range(60)])
    assert commands == ["EVALSHA"]
    commands.clear()
    await sender.group_send("three", {"type": "all"})
    assert commands == ["EVALSHA", "EVALSHA"]
    commands.clear()
    pipelines = count_pipelines(monkeypatch)
    await sender.group_add("four", channels[0])  # ZADD + EXPIRE in one round trip
    assert commands == [] and pipelines == [2]
    # 64 messages wait; receiving them takes one batch call plus the one that finds the
    # queue empty, and perhaps a BZPOPMIN (stock: four commands per message).
    for channel, count in zip(channels, (22, 21, 21), strict=True):
        for _ in range(count):
            await receive(ours, channel)
    assert commands.count("EVALSHA") <= 3 and len(commands) <= 4, commands


async def test_concurrent_group_changes_share_round_trips_and_keep_their_order(make, monkeypatch):
    """A burst of group_add and group_discard calls (a join storm, a class ending) goes in
    a few pipelines, not one round trip each; per group the changes keep their order."""
    sender, ours, stock = make(), make(), make(StockLayer)
    channels = [await ours.new_channel() for _ in range(200)]
    await sender.group_add("warm", channels[0])  # the first call goes alone, at once
    pipelines = count_pipelines(monkeypatch)
    await asyncio.gather(
        *(sender.group_add(f"pool{n % 10}", channel) for n, channel in enumerate(channels))
    )
    assert len(pipelines) <= 2, pipelines
    # Per group: ZADD of its twenty channels and EXPIRE, not a ZADD and EXPIRE per channel.
    assert sum(pipelines) <= 2 * 20, pipelines
    pipelines.clear()

    async def in_turn(*changes) -> None:  # each change made once the one before is
        made = []
        for change in changes:
            made.append(asyncio.ensure_future(change))
            await asyncio.sleep(0)  # its task starts: the change is made (not yet done)
        await asyncio.gather(*made)

    def add_then_discard(channel: str):
        return in_turn(sender.group_add("order", channel), sender.group_discard("order", channel))

    def discard_then_add(channel: str):
        return in_turn(sender.group_discard("order", channel), sender.group_add("order", channel))

    await sender.group_add("order", channels[1])
    pipelines.clear()
    await asyncio.gather(add_then_discard(channels[0]), discard_then_add(channels[1]))
    await asyncio.gather(*(sender.group_discard("pool0", c) for c in channels[10:200:10]))
    assert len(pipelines) <= 3, pipelines
    # What the groups now hold, read through group_send (ours) and received by ours.
    await stock.group_send("order", {"type": "order"})
    assert (await receive(ours, channels[1]))["type"] == "order"
    assert await nothing_for(ours, channels[0])
    await stock.group_send("pool0", {"type": "pool0"})
    assert (await receive(ours, channels[0]))["type"] == "pool0"
    assert all([await nothing_for(ours, c) for c in channels[10:200:10]])
    await stock.group_send("pool3", {"type": "pool3"})
    for channel in channels[3:200:10]:
        assert (await receive(ours, channel))["type"] == "pool3"


async def test_a_failing_group_change_fails_each_change_of_its_call(make, monkeypatch):
    layer = make()
    channel = await layer.new_channel()

    async def broken(self, *args, **options):
        raise ConnectionError("Redis is gone")

    monkeypatch.setattr(aioredis.client.Pipeline, "execute", broken)
    results = await asyncio.gather(
        layer.group_add("g", channel), layer.group_discard("h", channel), return_exceptions=True
    )
    assert [type(result) for result in results] == [ConnectionError, ConnectionError]
    monkeypatch.undo()
    await layer.group_add("g", channel)  # the next call goes through
    await layer.group_send("g", {"type": "back"})
    assert (await receive(layer, channel))["type"] == "back"


# --- capacity, expiry, groups, flush ----------------------------------------------------


async def test_capacity_raises_channel_full(make):
    layer = make(capacity=3, channel_capacity={"tiny": 1})
    for _ in range(3):
        await layer.send("test-channel-1", {"type": "test.message"})
    with pytest.raises(ChannelFull):
        await layer.send("test-channel-1", {"type": "test.message"})
    await layer.send("tiny", {"type": "test.message"})
    with pytest.raises(ChannelFull):
        await layer.send("tiny", {"type": "test.message"})


async def test_capacity_bounds_a_process_channel(make):
    sender, ours = make(capacity=2), make()
    first, second = await ours.new_channel(), await ours.new_channel()
    await sender.send(first, {"type": "a"})
    await sender.send(second, {"type": "b"})
    # Both channels of the process share one Redis key: it is full.
    with pytest.raises(ChannelFull):
        await sender.send(first, {"type": "c"})


def test_default_capacity_is_sized_for_a_process():
    assert RedisChannelLayer(hosts=[host()]).capacity == RedisChannelLayer.DEFAULT_CAPACITY == 5000
    assert RedisChannelLayer(hosts=[host()], capacity=7).capacity == 7
    assert StockLayer(hosts=[host()]).capacity == 100


async def test_expired_messages_are_dropped(make):
    layer = make(expiry=1)
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "old"})
    await asyncio.sleep(2.1)  # the trim drops scores below int(now) - expiry
    await layer.send(channel, {"type": "new"})
    assert await receive(layer, channel) == {"type": "new"}
    assert await nothing_for(layer, channel)


async def test_group_send_skips_a_full_channel_and_logs_it(make, caplog):
    layer = make(capacity=3)
    full, roomy = await layer.new_channel(), await layer.new_channel(prefix="roomy")
    await layer.group_add("group", full)
    await layer.group_add("group", roomy)
    await layer.send(full, {"type": "message.0"})  # the process key of `full` now holds one
    caplog.set_level(logging.INFO, logger="rtcpool_django.layers")
    for n in (1, 2, 3):
        await layer.group_send("group", {"type": f"message.{n}"})
    assert [(await receive(layer, full))["type"] for _ in range(3)] == [
        "message.0",
        "message.1",
        "message.2",
    ]
    assert [(await receive(layer, roomy))["type"] for _ in range(3)] == [
        "message.1",
        "message.2",
        "message.3",
    ]
    assert await nothing_for(layer, full)
    assert "1 of 2 channels over capacity in group group" in caplog.messages


async def test_group_members_expire_after_group_expiry(make):
    layer = make(group_expiry=1)
    channel = await layer.new_channel()
    await layer.group_add("brief", channel)
    await asyncio.sleep(2.1)
    await layer.group_send("brief", {"type": "late"})
    assert await nothing_for(layer, channel)


async def test_flush_deletes_messages_groups_and_buffers(make):
    layer, other = make(), make()
    channel = await layer.new_channel()
    await layer.group_add("group", channel)
    await layer.send(channel, {"type": "before"})
    await other.send("plain", {"type": "before"})
    await layer.flush()
    connection = aioredis.Redis.from_url(REDIS_URL)
    try:
        assert await connection.keys(layer.prefix + "*") == []
    finally:
        await connection.aclose()
    await other.group_send("group", {"type": "nobody"})
    await other.send(channel, {"type": "after"})
    assert await receive(layer, channel) == {"type": "after"}


# --- receiving: cancellation, buffers, event loops ----------------------------------------


async def test_receives_cancelled_at_random_points_lose_and_duplicate_nothing(make):
    sender, ours = make(), make(receive_batch_size=7)
    channels = [await ours.new_channel() for _ in range(4)]
    total = 600
    received: dict[str, list[int]] = {channel: [] for channel in channels}
    rng = random.Random(9)

    async def send_all() -> None:
        for n in range(total):
            await sender.send(channels[n % 4], {"type": "m", "n": n})
            if n % 25 == 0:
                await asyncio.sleep(0)

    async def receive_with_cancels(channel: str) -> None:
        while len(received[channel]) < total // 4:
            task = asyncio.ensure_future(ours.receive(channel))
            await asyncio.wait([task], timeout=rng.choice([0, 0, 0.0005, 0.002]))
            if task.cancel():
                continue
            received[channel].append(task.result()["n"])

    async with asyncio.timeout(30):
        await asyncio.gather(send_all(), *(receive_with_cancels(c) for c in channels))
    for i, channel in enumerate(channels):
        assert received[channel] == list(range(i, total, 4))
    for channel in channels:
        assert await nothing_for(ours, channel)


async def test_a_batch_popped_but_never_handed_over_is_delivered_once(make):
    sender, ours = make(), make()
    channel = await ours.new_channel()
    for n in range(3):
        await sender.send(channel, {"type": "m", "n": n})
    # As if the reply of a batch call never arrived: Redis moved the messages into the
    # backup under a batch id that the reader never recorded as handed over.
    reader = ours._readers.setdefault(
        ours.non_local_name(channel),
        ProcessChannelReader(ours, ours.non_local_name(channel)),
    )
    shard = reader.shards[0]
    popped = await POP_BATCH(
        ours.connection(shard.index),
        [shard.key, shard.backup_key, shard.batch_key],
        [shard.handed, "lost", 10, 60],
    )
    assert len(popped) == 6
    assert [(await receive(ours, channel))["n"] for _ in range(3)] == [0, 1, 2]
    assert await nothing_for(ours, channel)
    # The handed-over batch is acknowledged: nothing left in the backup.
    assert await ours.connection(shard.index).zcard(shard.backup_key) == 0


async def test_a_full_local_buffer_warns_once_per_episode(make, caplog):
    sender, ours = make(), make(capacity=3)
    idle, busy = await ours.new_channel(), await ours.new_channel()
    caplog.set_level(logging.WARNING, logger="rtcpool_django.layers")
    listener = asyncio.ensure_future(ours.receive(busy))  # keeps the reader running
    await sender.send_many([(idle, {"type": "m", "n": n}) for n in range(5)])
    await sender.send(busy, {"type": "last"})
    assert await listener == {"type": "last"}
    assert ours.dropped_messages == 2
    assert [(await receive(ours, idle))["n"] for _ in range(3)] == [2, 3, 4]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and idle in warnings[0]
    # Emptied, then overflowing again: a new episode, a new warning.
    listener = asyncio.ensure_future(ours.receive(busy))
    await sender.send_many([(idle, {"type": "m", "n": n}) for n in range(4)])
    await sender.send(busy, {"type": "last"})
    await listener
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


async def test_close_pools_ends_a_blocking_read_without_cancelling_it(make):
    # A cancelled BZPOPMIN may lose the message Redis just popped for it.
    sender, ours = make(), make()
    channel = await ours.new_channel()
    waiting = asyncio.ensure_future(ours.receive(channel))
    for _ in range(500):
        readers = ours._readers.get(ours.non_local_name(channel))
        if readers and readers.shards[0].blocking:
            break
        await asyncio.sleep(0.01)
    reader = readers.shards[0].task
    await ours.close_pools()
    assert reader.done() and not reader.cancelled()
    # The pending receive() is served again once a receive() restarts the reader.
    await sender.send_many([(channel, {"type": "m", "n": n}) for n in range(2)])
    later = await receive(ours, channel)
    assert [(await waiting)["n"], later["n"]] == [0, 1]


async def test_buffers_of_channels_nobody_reads_are_forgotten_after_expiry(make):
    sender, ours = make(), make(expiry=1)
    gone, live = await ours.new_channel(), await ours.new_channel()
    await sender.send(gone, {"type": "for.a.consumer.that.left"})
    await sender.send(live, {"type": "m"})
    assert await receive(ours, live) == {"type": "m"}
    assert len(ours.receive_buffer[gone]) == 1
    await asyncio.sleep(1.5)
    await sender.send(live, {"type": "m"})
    assert await receive(ours, live) == {"type": "m"}
    assert gone not in ours.receive_buffer


async def test_a_closed_channel_keeps_nothing_of_what_is_sent_to_it_until_it_expires(make):
    # Its consumer has ended (PoolConsumer calls close_channel): notices that crossed its
    # departure are dropped at once, not kept for expiry seconds.
    sender, ours = make(), make(expiry=1)
    gone, live = await ours.new_channel(), await ours.new_channel()
    await sender.send(gone, {"type": "sent.before.it.closed"})
    await sender.send(live, {"type": "m"})
    assert await receive(ours, live) == {"type": "m"}
    assert len(ours.receive_buffer[gone]) == 1
    ours.close_channel(gone)
    assert gone not in ours.receive_buffer
    await sender.send(gone, {"type": "sent.after.it.closed"})
    await sender.send(live, {"type": "m"})
    assert await receive(ours, live) == {"type": "m"}  # both were read from Redis
    assert gone not in ours.receive_buffer
    # Remembered for expiry seconds only, after which nothing can be in flight to it.
    await asyncio.sleep(1.1)
    ours.close_channel(await ours.new_channel())
    assert gone not in ours._closed


def test_receive_from_two_event_loops_in_turn(make):
    # As channels_redis' test_double_receive: async_to_sync runs each call on a new loop.
    layer = make()
    first = async_to_sync(layer.new_channel)()
    second = async_to_sync(layer.new_channel)()

    async def send_and_close(channel: str, message: dict) -> None:
        await layer.send(channel, message)
        await layer.close_pools()

    async def listen(channel: str) -> dict:
        try:
            return await receive(layer, channel)
        finally:
            await layer.close_pools()

    async_to_sync(send_and_close)(first, {"type": "one"})
    async_to_sync(send_and_close)(second, {"type": "two"})
    assert async_to_sync(listen)(second) == {"type": "two"}
    assert async_to_sync(listen)(first) == {"type": "one"}
    async_to_sync(layer.close_pools)()


def test_invalid_names_are_rejected(make):
    layer = make()
    with pytest.raises(TypeError):
        async_to_sync(layer.send)("=+135!", {"type": "foom"})
    with pytest.raises(AssertionError):
        async_to_sync(layer.receive)("not-client-prefix!local_part")


async def test_an_idle_reader_outlives_a_short_socket_timeout(make, caplog):
    # redis-py 8 gives connections a 5 s socket_timeout, as long as stock's BZPOPMIN wait.
    sender, ours = make(), make(hosts=[{"address": REDIS_URL, "socket_timeout": 0.5}])
    channel = await ours.new_channel()
    caplog.set_level(logging.INFO, logger="rtcpool_django.layers")
    waiting = asyncio.ensure_future(ours.receive(channel))
    await asyncio.sleep(1.5)  # three socket timeouts of idle waiting
    assert ours.connected and not waiting.done()
    await sender.send(channel, {"type": "late"})
    async with asyncio.timeout(5):
        assert await waiting == {"type": "late"}
    assert not [r for r in caplog.records if r.name == "rtcpool_django.layers"], caplog.text
    assert RedisChannelLayer.brpop_timeout == 5


# --- several hosts, Sentinel ----------------------------------------------------------------


async def test_two_hosts(make):
    hosts = [host(on_db(1)), host(on_db(2))]
    stock, sender, ours = make(StockLayer, hosts=hosts), make(hosts=hosts), make(hosts=hosts)
    specific = [await ours.new_channel() for _ in range(12)]
    # Ours puts a specific channel on the shard of its process channel, where stock reads.
    home = ours.consistent_hash(ours.non_local_name(specific[0]))
    await sender.send(specific[0], {"type": "m"})
    shard = aioredis.Redis.from_url(on_db(1 + home))
    try:
        assert await shard.zcard(ours.prefix + ours.non_local_name(specific[0])) == 1
    finally:
        await shard.aclose()
    assert await receive(ours, specific[0]) == {"type": "m"}
    # Stock sends specific channels to the shard of the full name; all of them arrive.
    for n, channel in enumerate(specific):
        await stock.send(channel, {"type": "from.stock", "n": n})
    for n, channel in enumerate(specific):
        assert await receive(ours, channel) == {"type": "from.stock", "n": n}
    # Ours to stock, a group spread over both shards, and plain channels.
    theirs = await stock.new_channel()
    await sender.send(theirs, {"type": "to.stock"})
    assert await receive(stock, theirs) == {"type": "to.stock"}
    for channel in [*specific, theirs]:
        await sender.group_add("spread", channel)
    await sender.group_send("spread", {"type": "all"})
    for channel in specific:
        assert await receive(ours, channel) == {"type": "all"}
    assert await receive(stock, theirs) == {"type": "all"}
    refused = await sender.send_many([(f"plain{n}", {"type": "p", "n": n}) for n in range(6)])
    assert refused == []
    for n in range(6):
        assert await receive(ours, f"plain{n}") == {"type": "p", "n": n}


def test_sentinel_and_dict_host_configs_build_like_stock():
    configs = [
        [{"sentinels": [("127.0.0.1", 26379)], "master_name": "m", "socket_timeout": None}],
        [("127.0.0.1", 6379), "redis://127.0.0.1:6379/3"],
        [{"host": "127.0.0.1", "port": 6379, "db": 4}],
    ]
    for hosts in configs:
        stock, ours = StockLayer(hosts=hosts), RedisChannelLayer(hosts=hosts)
        assert ours.hosts == stock.hosts
        for index in range(len(hosts)):
            stock_pool, our_pool = stock.create_pool(index), ours.create_pool(index)
            if "master_name" in hosts[index]:
                assert type(our_pool) is type(stock_pool)
                continue
            # Same server, database and options; but a pool that waits for a free
            # connection instead of opening one per concurrent command.
            assert isinstance(our_pool, BlockingConnectionPool)
            for key in ("host", "port", "db", "socket_timeout"):
                assert our_pool.connection_kwargs.get(key) == stock_pool.connection_kwargs.get(key)
            assert our_pool.max_connections == RedisChannelLayer.POOL_SIZE


async def test_a_burst_waits_for_pooled_connections_instead_of_opening_more(make):
    """500 concurrent commands through a pool of 3 connections: none fails, and no more
    than 3 connections are ever opened (redis-py 8's plain pool would raise
    MaxConnectionsError past its size, and opens one per concurrent command below it)."""
    ours = make(hosts=[{**host(), "max_connections": 3}])
    channel = await ours.new_channel()
    await asyncio.gather(*(ours.group_add(f"burst{n % 7}", channel) for n in range(500)))
    pool = ours.connection(0).connection_pool
    assert len(pool._available_connections) + len(pool._in_use_connections) <= 3


@pytest.fixture
def sentinel(tmp_path):
    from .redis_servers import RedisServer, Sentinel

    master = RedisServer().start()
    watcher = Sentinel(master, tmp_path)
    try:
        yield watcher.start()
    finally:
        watcher.kill()
        master.kill()


async def test_through_a_real_sentinel(sentinel, make):
    hosts = [
        {
            "sentinels": [("127.0.0.1", sentinel.port)],
            "master_name": sentinel.name,
            "socket_timeout": None,
        }
    ]
    stock, ours = make(StockLayer, hosts=hosts), make(hosts=hosts)
    mine, theirs = await ours.new_channel(), await stock.new_channel()
    await stock.send(mine, {"type": "from.stock"})
    await ours.send(theirs, {"type": "from.ours"})
    assert await receive(ours, mine) == {"type": "from.stock"}
    assert await receive(stock, theirs) == {"type": "from.ours"}
    await ours.group_add("g", mine)
    await stock.group_send("g", {"type": "group"})
    assert await receive(ours, mine) == {"type": "group"}
