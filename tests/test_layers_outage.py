"""rtcpool_django.layers.RedisChannelLayer through a Redis outage, on a redis-server of the
test's own that it kills and restarts (empty, like a restart without persistence)."""

from __future__ import annotations

import asyncio
import logging

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
