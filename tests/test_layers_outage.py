"""rtcpool_django.layers.RedisChannelLayer through a Redis outage, on a redis-server of the
test's own that it kills and restarts (empty, like a restart without persistence)."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from rtcpool_django.layers import RedisChannelLayer
from rtcpool_django.layers.reader import REDIS_DOWN

from .redis_servers import RedisServer

pytestmark = pytest.mark.redis


@pytest.fixture
def server():
    own = RedisServer().start()
    yield own
    own.kill()


async def until(condition, what: str) -> None:
    for _ in range(750):  # polls for up to ~15 s
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def test_receivers_survive_an_outage_and_groups_are_restored(server, caplog):
    hosts = [{"address": server.url, "socket_timeout": None}]
    ours, sender = RedisChannelLayer(hosts=hosts), RedisChannelLayer(hosts=hosts)
    ours.reconnect_delay_max = 0.1  # many retries during the outage, one warning
    channel = await ours.new_channel()
    await ours.group_add("pool", channel)
    restored = []

    async def restore_groups() -> None:
        # What the app does: Redis came back empty, so re-add the memberships.
        await ours.group_add("pool", channel)
        restored.append(channel)

    ours.on_reconnect(restore_groups)
    caplog.set_level(logging.INFO, logger="rtcpool_django.layers")

    waiting = asyncio.ensure_future(ours.receive(channel))
    await sender.group_send("pool", {"type": "before"})
    assert await waiting == {"type": "before"}

    waiting = asyncio.ensure_future(ours.receive(channel))
    await asyncio.sleep(0.1)  # the reader now blocks in BZPOPMIN
    server.kill()
    await until(lambda: not ours.connected, "the reader notices the outage")
    with pytest.raises(REDIS_DOWN):
        await sender.send(channel, {"type": "during"})
    await asyncio.sleep(0.5)  # several retries
    assert not waiting.done()  # the receiver is still waiting, not killed

    server.start()
    await until(lambda: restored, "the reader reconnects and calls back")
    assert ours.connected
    await sender.group_send("pool", {"type": "after"})
    async with asyncio.timeout(5):
        assert await waiting == {"type": "after"}

    records = [r for r in caplog.records if r.name == "rtcpool_django.layers"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO], caplog.text
    await ours.close_pools()
    await sender.close_pools()


async def test_on_reconnect_can_be_removed_and_a_failing_callback_is_logged(server, caplog):
    hosts = [{"address": server.url, "socket_timeout": None}]
    ours = RedisChannelLayer(hosts=hosts)
    ours.reconnect_delay_max = 0.1
    calls = []
    remove = ours.on_reconnect(lambda: calls.append("removed"))
    remove()
    ours.on_reconnect(lambda: 1 / 0)
    ours.on_reconnect(lambda: calls.append("called"))
    channel = await ours.new_channel()
    waiting = asyncio.ensure_future(ours.receive(channel))
    await asyncio.sleep(0.1)
    server.kill()
    await until(lambda: not ours.connected, "the reader notices the outage")
    server.start()
    await until(lambda: calls, "the reader reconnects")
    assert calls == ["called"]
    assert "on_reconnect callback" in caplog.text
    waiting.cancel()
    await ours.close_pools()


async def test_an_outage_that_outlived_its_receivers_ends_with_the_next_reader(server, caplog):
    # A long outage closes every socket: the reader that saw Redis go ends with its last
    # receiver, and the reader of the next consumer must be the one to report the return.
    ours = RedisChannelLayer(hosts=[{"address": server.url, "socket_timeout": None}])
    ours.reconnect_delay_max = 0.1
    calls = []
    ours.on_reconnect(lambda: calls.append("reconnected"))
    caplog.set_level(logging.INFO, logger="rtcpool_django.layers")
    channel = await ours.new_channel()
    waiting = asyncio.ensure_future(ours.receive(channel))
    await asyncio.sleep(0.1)
    server.kill()
    await until(lambda: not ours.connected, "the reader notices the outage")
    waiting.cancel()
    reader = ours._readers[ours.non_local_name(channel)].shards[0]
    await until(lambda: reader.task.done(), "the reader ends with its last receiver")
    server.start()
    await asyncio.sleep(0.3)
    assert not ours.connected  # nothing in this process has looked
    waiting = asyncio.ensure_future(ours.receive(await ours.new_channel()))
    await until(lambda: ours.connected, "the next reader reports Redis back")
    assert calls == ["reconnected"]
    records = [r for r in caplog.records if r.name == "rtcpool_django.layers"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO], caplog.text
    waiting.cancel()
    await ours.close_pools()


async def test_a_probe_sees_redis_go_and_come_back_with_nothing_receiving(server, caplog):
    ours = RedisChannelLayer(hosts=[{"address": server.url, "socket_timeout": None}])
    calls = []
    ours.on_reconnect(lambda: calls.append("reconnected"))
    caplog.set_level(logging.INFO, logger="rtcpool_django.layers")
    assert await ours.probe() and ours.down_since is None
    server.kill()
    assert not await ours.probe()
    assert not await ours.probe()  # still down: no second warning
    assert not ours.connected and ours.down_since is not None
    server.start()
    assert await ours.probe()
    assert ours.connected and ours.down_since is None and calls == ["reconnected"]
    records = [r for r in caplog.records if r.name == "rtcpool_django.layers"]
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO], caplog.text
    await ours.close_pools()


async def test_a_probe_of_a_redis_that_never_answers_ends_in_its_timeout():
    # A host that accepts the connection and never replies (a hung or partitioned Redis).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        ours = RedisChannelLayer(hosts=[{"address": url, "socket_timeout": None}])
        started = time.monotonic()
        assert not await ours.probe(timeout=0.3)
        assert time.monotonic() - started < 2
        assert not ours.connected


async def test_one_shard_down_keeps_the_layer_down_until_it_answers(server):
    second = RedisServer().start()
    try:
        hosts = [{"address": s.url, "socket_timeout": None} for s in (server, second)]
        ours = RedisChannelLayer(hosts=hosts)
        ours.reconnect_delay_max = 0.1
        channel = await ours.new_channel()
        waiting = asyncio.ensure_future(ours.receive(channel))  # reads both shards
        await asyncio.sleep(0.1)
        second.kill()
        await until(lambda: not ours.connected, "a reader notices the outage")
        await asyncio.sleep(0.5)  # the first shard's reader reads on, many times
        assert not ours.connected and not await ours.probe()
        second.start()
        await until(lambda: ours.connected, "the second shard's reader reports it back")
        waiting.cancel()
        await ours.close_pools()
    finally:
        second.kill()


async def test_the_first_probe_after_a_restart_is_not_fooled_by_broken_pooled_connections(
    server, caplog
):
    ours = RedisChannelLayer(hosts=[{"address": server.url, "socket_timeout": None}])
    caplog.set_level(logging.INFO, logger="rtcpool_django.layers")
    # Fill the pool with connections, which the restart then breaks.
    await asyncio.gather(*(ours.group_add("g", f"specific.a!{n}") for n in range(40)))
    server.kill()
    server.start()
    assert await ours.probe()
    assert ours.connected
    assert not [r for r in caplog.records if r.name == "rtcpool_django.layers"], caplog.text
    await ours.close_pools()


async def test_sends_after_the_outage_ended_do_not_meet_connections_it_broke(server):
    # The relay hot path sends once: a pooled connection of the dead server must not fail
    # a send once the layer has seen Redis again (the sender would be told
    # peer_unavailable for a Redis that answers).
    hosts = [{"address": server.url, "socket_timeout": None}]
    ours, receiver = RedisChannelLayer(hosts=hosts), RedisChannelLayer(hosts=hosts)
    channel = await receiver.new_channel()
    await asyncio.gather(*(ours.group_add("g", f"specific.a!{n}") for n in range(40)))
    server.kill()
    assert not await ours.probe()
    server.start()
    assert await ours.probe()
    # Its own reader takes a connection for its BZPOPMIN, as a worker's does.
    own = await ours.new_channel()
    reading = asyncio.ensure_future(ours.receive(own))
    await asyncio.sleep(0.2)
    for number in range(40):
        await ours.send(channel, {"type": "after", "n": number})
    for number in range(40):
        assert await receiver.receive(channel) == {"type": "after", "n": number}
    reading.cancel()
    await ours.close_pools()
    await receiver.close_pools()
