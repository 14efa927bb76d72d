"""A join storm: 1,000 peers join pools of 10 at the same moment, on two workers.

Issue "Scale out": a burst of joins must not evict live peers, leave anyone with a wrong
view of its pool, or fail a handshake. Every join crosses workers for about half of its
notices, so this also loads the channel layer's fan-out.
"""

from __future__ import annotations

import asyncio

import pytest

from rtcpool_django.models import Peer

from ..live import WSClient
from .conftest import query
from .observe import Observer, until

pytestmark = pytest.mark.multiworker

PEERS = 1000
POOL_SIZE = 10


async def connect(url: str, gate: asyncio.Semaphore) -> WSClient:
    async with gate:
        return await WSClient.connect(url, open_timeout=30)


@pytest.mark.parametrize("layer", ["core", "ours"])
async def test_a_thousand_peers_join_pools_of_ten_at_once(cluster, layer):
    workers = cluster(2, layer)
    # Sockets open 100 at a time (a listen backlog is not what this test is about); then
    # every join is sent at the same moment.
    gate = asyncio.Semaphore(100)
    clients = await asyncio.gather(*(connect(workers[n % 2].url, gate) for n in range(PEERS)))
    observers = [Observer(client) for client in clients]
    pools = [f"storm-{n // POOL_SIZE}" for n in range(PEERS)]
    try:
        await asyncio.gather(*(o.join(pool) for o, pool in zip(observers, pools, strict=True)))
        await until(lambda: all(o.joined is not None for o in observers), timeout=120)

        members: dict[str, set[str]] = {}
        for observer, pool in zip(observers, pools, strict=True):
            members.setdefault(pool, set()).add(observer.client.id)
        await until(
            lambda: all(
                o.known == members[pool] - {o.client.id}
                for o, pool in zip(observers, pools, strict=True)
            ),
            timeout=60,
        )
        await asyncio.sleep(0.5)  # room for a duplicate or stray frame to show up

        wrong = [
            o.client.id
            for o, pool in zip(observers, pools, strict=True)
            if o.known != members[pool] - {o.client.id}
        ]
        assert wrong == []
        assert [v for o in observers for v in o.violations] == []
        assert [o.close_code for o in observers if o.ended_by_server] == []  # no eviction
        assert sum(sum(o.closes.values()) for o in observers) == 0
        assert await query(lambda: Peer.objects.count()) == PEERS
    finally:
        await asyncio.gather(*(o.close() for o in observers))
