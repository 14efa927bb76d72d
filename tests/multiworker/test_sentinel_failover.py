"""A Redis Sentinel failover under two workers (issue "Ride through faults" item 2): the
master dies, Sentinel promotes its replica, and the workers' layer (configured through the
Sentinel, as the example project does from REDIS_SENTINELS) follows it. Sockets stay open,
relays meanwhile are refused visibly, a departure meanwhile is repaired, and afterwards
relays and joins work again.

Each test runs its own master, replica and Sentinel (the shared Redis is never touched).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from rtcpool_django.models import Peer

from ..live import WSClient, unique_prefix
from ..redis_servers import RedisServer, Sentinel
from .conftest import query

pytestmark = pytest.mark.multiworker

# Longer than a failover takes here (about 2-4 s after a 1 s down-after), so that sockets
# ride it through even on a loaded machine.
GRACE = "20"


def wait(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def sentinel_setup(tmp_path):
    """A master, its replica and a Sentinel that fails the master over 1 s after it dies."""
    master = RedisServer().start()
    replica = RedisServer(replica_of=master).start()
    sentinel = Sentinel(master, tmp_path, down_after_ms=1000, failover_timeout_ms=5000).start()
    try:
        wait(lambda: sentinel.knows_replica(replica))
        yield master, replica, sentinel
    finally:
        sentinel.kill()
        replica.kill()
        master.kill()


async def test_a_sentinel_failover_is_ridden_through(sentinel_setup, cluster):
    # sentinel_setup comes first so that it is torn down last: workers that lost every
    # Redis take long to shut down.
    master, replica, sentinel = sentinel_setup
    w0, w1 = cluster(
        2,
        "ours",
        redis_url="",
        REDIS_SENTINELS=f"127.0.0.1:{sentinel.port}",
        REDIS_SENTINEL_MASTER=sentinel.name,
        RTCPOOL_CHANNEL_PREFIX=unique_prefix(),
        RTCPOOL_LAYER_OUTAGE_GRACE=GRACE,
    )
    a = await WSClient.connect(w0.url)
    b = await WSClient.connect(w1.url)
    c = await WSClient.connect(w1.url)
    for client in (a, b, c):
        await client.join("failover")
    assert (await a.expect("rtc:peer"))["id"] == b.id
    assert {(await a.expect("rtc:peer"))["id"], (await b.expect("rtc:peer"))["id"]} == {c.id}
    await a.candidate(b.id, {"candidate": "before"})
    assert await b.expect("rtc:candidate") == {"from": a.id, "candidate": {"candidate": "before"}}
    # b can have the relay before a's worker has read Redis' reply to its send; a master
    # killed in between leaves that send's outcome unknown, and a is told peer_unavailable
    # for a relay that arrived. A connection's frames are handled in order, so an answer
    # to the next one means the send was done.
    await a.send("rtc:join", {"pool": "failover"})
    await a.error("already_joined")

    master.kill()
    # Until a master is reachable again, a relay is refused where its sender sees it.
    await a.candidate(b.id, {"candidate": "during"})
    await a.error("peer_unavailable")
    await b.candidate(a.id, {"candidate": "during"})
    await b.error("peer_unavailable")
    await c.close()  # leaves while nobody can be told

    await asyncio.to_thread(wait, lambda: sentinel.master_is(replica))
    # Sockets stayed open; each worker, back on the new master, repairs what its
    # connections missed.
    assert await a.expect("rtc:close", timeout=20) == {"id": c.id, "uid": c.id}
    assert await b.expect("rtc:close", timeout=20) == {"id": c.id, "uid": c.id}

    # Relays flow again, both ways, and a new peer joins and is seen once by everyone.
    await a.candidate(b.id, {"candidate": "after"})
    assert await b.expect("rtc:candidate") == {"from": a.id, "candidate": {"candidate": "after"}}
    await b.candidate(a.id, {"candidate": "after"})
    assert await a.expect("rtc:candidate") == {"from": b.id, "candidate": {"candidate": "after"}}
    d = await WSClient.connect(w0.url)
    assert set((await d.join("failover"))["peers"]) == {a.id, b.id}
    assert (await a.expect("rtc:peer"))["id"] == d.id
    assert (await b.expect("rtc:peer"))["id"] == d.id
    assert await a.drain() == [] and await b.drain() == [] and await d.drain() == []
    assert await query(Peer.objects.count) == 3
    for client in (a, b, d):
        await client.close()
