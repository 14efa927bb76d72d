"""Redis goes away under two workers (issue "Ride through faults"), with
rtcpool_django.layers.RedisChannelLayer: a short outage is ridden through, a long one ends
in rtc:stop and a 4012 close; never a ghost, never a wrong view. However long the outage,
and whether a worker holds sockets or none, each serves joins again once Redis answers, and
says so at /rtcpool/health/ (which the tests wait on, rather than on time).

Each test runs its own redis-server (the shared one is never touched), and restarts it
empty, as a Redis without persistence comes back.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
import redis
from websockets.exceptions import ConnectionClosed

from rtcpool_django.models import Peer, Pool
from rtcpool_django.recovery import CLOSE_LAYER_LOST

from ..conftest import wait_for
from ..live import Worker, WSClient
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
    await c.close()  # leaves while only its own worker's peers can be told
    # a is on c's worker: that notice skips Redis (layers.local), so it arrives at once.
    assert await a.expect("rtc:close", timeout=15) == {"id": c.id, "uid": c.id}
    d = await WSClient.connect(w1.url)
    await d.send("rtc:join", {"pool": "outage"})
    await d.error("unavailable", timeout=15)
    await asyncio.sleep(1)
    own_redis.start()  # empty: queues and group memberships are gone

    # Sockets stayed open; each worker says when it reaches Redis again, and repairs what
    # its connections missed. (Until a worker has seen Redis back, a relay across workers
    # may still be answered peer_unavailable: a's rtc:close above proves nothing of it.)
    for worker in (w0, w1):
        assert await health_becomes(worker, 200, within=15) == HEALTHY
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


async def test_a_long_outage_stops_and_closes_sockets_and_leaves_no_ghost(
    cluster, own_redis, tmp_path
):
    # Metrics in multiprocess mode (both workers write to one directory, refreshed at each
    # 1 s heartbeat): the layer gauge is the minimum over them.
    w0, w1 = cluster(
        2,
        "ours",
        redis_url=own_redis.url,
        RTCPOOL_LAYER_OUTAGE_GRACE="2",
        RTCPOOL_HEARTBEAT_INTERVAL="1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    a = await WSClient.connect(w0.url)
    b = await WSClient.connect(w1.url)
    await a.join("long")
    await b.join("long")
    await a.expect("rtc:peer")

    own_redis.kill()
    for client in (a, b):
        await stopped_and_closed(client)
    await wait_for(no_peer_left, timeout=10)  # their consumers departed (rows removed)
    for worker in (w0, w1):
        assert await health_becomes(worker, 503) == LAYER_DOWN
    assert await layer_up_gauge(w0) == 0

    own_redis.start()
    # Each worker says when it serves joins again (it probes Redis, socket or not); from
    # then on the first join is served.
    for worker in (w0, w1):
        assert await health_becomes(worker, 200, within=15) == HEALTHY
    await gauge_becomes(w0, 1)  # 1, not 2: the minimum, once w1's beat has written it
    again = await WSClient.connect(w1.url)
    assert (await again.join("long"))["peers"] == []
    other = await WSClient.connect(w0.url)
    assert (await other.join("long"))["peers"] == [again.id]
    assert (await again.expect("rtc:peer"))["id"] == other.id
    await again.close()
    await other.close()


async def test_three_long_outages_in_a_row_each_end_with_every_worker_serving_joins(
    cluster, own_redis
):
    # w0 holds a socket when Redis goes, w1 holds none: with nothing receiving, an idle
    # worker must still see Redis go and come back.
    w0, w1 = cluster(2, "ours", redis_url=own_redis.url, RTCPOOL_LAYER_OUTAGE_GRACE="2")
    for number in range(3):
        for worker in (w0, w1):
            assert await health_becomes(worker, 200, within=15) == HEALTHY
        held = await WSClient.connect(w0.url)
        await held.join(f"held-{number}")

        own_redis.kill()
        await stopped_and_closed(held)  # past the grace
        for worker in (w0, w1):
            assert await health_becomes(worker, 503) == LAYER_DOWN
        await wait_for(no_peer_left, timeout=10)

        own_redis.start()  # empty
        for worker in (w0, w1):
            assert await health_becomes(worker, 200, within=15) == HEALTHY
        a = await WSClient.connect(w0.url)
        b = await WSClient.connect(w1.url)
        assert (await a.join(f"after-{number}"))["peers"] == []
        assert (await b.join(f"after-{number}"))["peers"] == [a.id]
        assert (await a.expect("rtc:peer"))["id"] == b.id  # notices cross the new Redis
        await a.close()
        await b.close()
        await wait_for(no_peer_left, timeout=10)


HEALTHY = {"database": "ok", "channel_layer": "ok"}
LAYER_DOWN = {"database": "ok", "channel_layer": "down"}


async def stopped_and_closed(client: WSClient) -> None:
    """``client`` gets rtc:stop, then the 4012 close (the grace ran out)."""
    assert await client.recv(timeout=20) == {"type": "rtc:stop", "data": {}}
    with pytest.raises(ConnectionClosed) as closed:
        await client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_LAYER_LOST


async def no_peer_left() -> bool:
    return await query(lambda: Peer.objects.count()) == 0


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


async def layer_up_gauge(worker: Worker) -> float:
    """``rtcpool_channel_layer_up`` in ``worker``'s /metrics."""
    body = await asyncio.to_thread(_scrape, f"{worker.http_url}/metrics")
    (line,) = [line for line in body.splitlines() if line.startswith("rtcpool_channel_layer_up ")]
    return float(line.split()[-1])


async def gauge_becomes(worker: Worker, value: float, within: float = 10) -> None:
    async with asyncio.timeout(within):
        while await layer_up_gauge(worker) != value:  # noqa: ASYNC110 (polls over HTTP)
            await asyncio.sleep(0.2)


def _get_health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def health_becomes(worker: Worker, status: int, within: float = 20) -> dict:
    """Poll ``worker``'s /rtcpool/health/ until it answers ``status``; returns the body.
    ``within`` bounds it: the worker looks at its layer at least once a second."""
    url = f"{worker.http_url}/rtcpool/health/"
    async with asyncio.timeout(within):
        while True:
            answer, body = await asyncio.to_thread(_get_health, url)
            if answer == status:
                return body
            await asyncio.sleep(0.1)
