"""Redis goes away under two workers (issue "Ride through faults"), with
rtcpool_django.layers.RedisChannelLayer: a short outage is ridden through, a long one ends
in rtc:stop and a 4012 close; never a ghost, never a wrong view.

Each test runs its own redis-server (the shared one is never touched), and restarts it
empty, as a Redis without persistence comes back.
"""

from __future__ import annotations

import asyncio

import pytest
import redis
from websockets.exceptions import ConnectionClosed

from rtcpool_django.models import Peer, Pool
from rtcpool_django.recovery import CLOSE_LAYER_LOST

from ..conftest import wait_for
from ..live import WSClient
from ..redis_servers import RedisServer
from .conftest import query

pytestmark = pytest.mark.multiworker


@pytest.fixture
def own_redis():
    server = RedisServer().start()
    yield server
    server.kill()


async def relay_refused(sender: WSClient, to: str) -> None:
    await sender.candidate(to, None)
    await sender.error("peer_unavailable")


async def test_a_short_outage_is_ridden_through_and_rosters_repaired(cluster, own_redis):
    w0, w1 = cluster(2, "ours", redis_url=own_redis.url)
    a = await WSClient.connect(w0.url)
    b = await WSClient.connect(w1.url)
    c = await WSClient.connect(w0.url)
    for client in (a, b, c):
        await client.join("outage")
    assert (await a.expect("rtc:peer"))["id"] == b.id
    assert {(await a.expect("rtc:peer"))["id"], (await b.expect("rtc:peer"))["id"]} == {c.id}

    own_redis.kill()
    await relay_refused(a, b.id)  # the sender is told; nothing is lost silently
    await c.close()  # leaves while nobody can be told
    d = await WSClient.connect(w1.url)
    await d.send("rtc:join", {"pool": "outage"})
    await d.error("unavailable", timeout=15)
    await asyncio.sleep(1)
    own_redis.start()  # empty: queues and group memberships are gone

    # Sockets stayed open; each worker repairs what its connections missed.
    assert await a.expect("rtc:close", timeout=15) == {"id": c.id, "uid": c.id}
    assert await b.expect("rtc:close", timeout=15) == {"id": c.id, "uid": c.id}
    await a.candidate(b.id, None)
    assert await b.expect("rtc:candidate") == {"from": a.id, "candidate": None}
    assert await d.join("outage")
    assert (await a.expect("rtc:peer"))["id"] == d.id
    assert (await b.expect("rtc:peer"))["id"] == d.id
    assert await a.drain() == [] and await b.drain() == []

    # Group memberships were restored in the new, empty Redis.
    pool = await query(lambda: Pool.objects.get(name="outage"))
    channels = await query(lambda: set(Peer.objects.values_list("channel_name", flat=True)))
    members = redis.Redis.from_url(own_redis.url).zrange(
        f"{w0.prefix}:group:{pool.group_name}", 0, -1
    )
    assert {m.decode() for m in members} == channels
    for client in (a, b, d):
        await client.close()


async def test_a_long_outage_stops_and_closes_sockets_and_leaves_no_ghost(cluster, own_redis):
    w0, w1 = cluster(2, "ours", redis_url=own_redis.url, RTCPOOL_LAYER_OUTAGE_GRACE="2")
    a = await WSClient.connect(w0.url)
    b = await WSClient.connect(w1.url)
    await a.join("long")
    await b.join("long")
    await a.expect("rtc:peer")

    own_redis.kill()
    for client in (a, b):
        assert await client.recv(timeout=20) == {"type": "rtc:stop", "data": {}}
        with pytest.raises(ConnectionClosed) as closed:
            await client.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_LAYER_LOST

    async def no_peer_left() -> bool:
        return await query(lambda: Peer.objects.count()) == 0

    await wait_for(no_peer_left, timeout=10)  # their consumers departed (rows removed)

    own_redis.start()
    # Until the worker's reader has seen Redis back, a join is answered "unavailable" (its
    # reader retries every second at most), or, past the grace, the socket is stopped
    # again: a client tries again, as after any 4012.
    async with asyncio.timeout(30):
        while True:
            again = await WSClient.connect(w1.url)
            try:
                await again.send("rtc:join", {"pool": "long"})
                frame = await again.recv()
            except ConnectionClosed:
                continue
            if frame["type"] == "rtc:joined":
                break
            assert frame["data"]["reason"] == "unavailable" or frame["type"] == "rtc:stop", frame
            await again.close()
            await asyncio.sleep(0.5)
    assert frame["data"]["peers"] == []
    await again.close()
