"""Exactly-once discovery and departure when many peers join and leave one pool at the
same moment on different workers (DESIGN rules 1 and 2, CLIENT-NOTES "Joining")."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from ..live import WSClient
from .observe import Observer, until

pytestmark = pytest.mark.multiworker

# Any Unicode text up to MAX_POOL_NAME_LENGTH (200) must work as a pool name, also across
# workers (its channel-layer group name must stay valid).
POOL = ("会議室 🎥 ünïcode / spaces & symbols " * 8)[:200]


@pytest.mark.parametrize("layer", ["core", "pubsub", "ours"])
async def test_simultaneous_joins_and_leaves_on_three_workers(cluster, layer):
    workers = cluster(3, layer)
    urls = [worker.url for worker in workers]

    # 12 peers already in the pool, spread over the workers.
    settled = [Observer(await WSClient.connect(urls[n % 3])) for n in range(12)]
    for observer in settled:
        await observer.join(POOL)
        await until(lambda o=observer: o.joined is not None)

    # 24 more join at the same moment while 6 of the settled ones leave.
    newcomers = [Observer(await WSClient.connect(urls[n % 3])) for n in range(24)]
    leaving, staying = settled[:6], settled[6:]
    await asyncio.gather(*(o.join(POOL) for o in newcomers), *(o.client.close() for o in leaving))
    await asyncio.gather(*(o.task for o in leaving))

    survivors = staying + newcomers
    await until(lambda: all(o.joined is not None for o in newcomers))
    survivor_ids = {o.client.id for o in survivors}
    await until(lambda: all(o.known == survivor_ids - {o.client.id} for o in survivors))
    await asyncio.sleep(0.5)  # room for a duplicate or stray frame to show up

    for observer in survivors:
        assert observer.violations == [], observer.violations
        assert observer.known == survivor_ids - {observer.client.id}
        assert all(count == 1 for count in observer.closes.values()), observer.closes

    # For every pair exactly one side had the other in rtc:joined.peers (the polite
    # side); the other side got exactly one rtc:peer.
    for x, y in itertools.combinations(newcomers + staying, 2):
        x_polite = y.client.id in x.joined["peers"]
        y_polite = x.client.id in y.joined["peers"]
        assert x_polite != y_polite, (x.client.id, y.client.id)
        impolite, peer = (y, x) if x_polite else (x, y)
        assert impolite.peer_events[peer.client.id] == 1

    await asyncio.gather(*(o.close() for o in survivors))
