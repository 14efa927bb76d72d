"""Exactly-once discovery when many peers join one pool at the same moment."""

import asyncio

from .discovery import assert_exactly_once
from .live import WSClient

N = 20


async def _join_all_at_once(clients, pool="crowd"):
    for client in clients:
        await client.send("rtc:join", {"pool": pool})
    views = {}
    for client in clients:
        # rtc:joined comes first (nothing about other peers may reach a client before
        # it), then one rtc:peer for every peer that was not in its rtc:joined.peers.
        joined = await client.expect("rtc:joined", timeout=10)
        events = [await client.recv(timeout=10) for _ in range(N - 1 - len(joined["peers"]))]
        views[joined["client_id"]] = {"peers": joined["peers"], "events": events}
    for client in clients:
        await client.nothing()  # and nothing more: no duplicate rtc:peer
    return views


async def test_twenty_concurrent_joins_in_process(connect):
    clients = [await connect() for _ in range(N)]
    views = await _join_all_at_once(clients)
    assert len(views) == N
    assert_exactly_once(views)


async def test_twenty_concurrent_joins_on_a_live_daphne(live_worker):
    worker = live_worker()
    clients = await asyncio.gather(*(WSClient.connect(worker.url) for _ in range(N)))
    try:
        await asyncio.gather(*(c.send("rtc:join", {"pool": "crowd"}) for c in clients))

        async def view(client):
            # rtc:joined first, then one rtc:peer per peer not in its joined.peers; a
            # duplicate would show up in the final drain.
            joined = await client.expect("rtc:joined", timeout=20)
            count = N - 1 - len(joined["peers"])
            events = [await client.recv(timeout=20) for _ in range(count)]
            return joined, events + await client.drain(timeout=0.3)

        views = {}
        for joined, events in await asyncio.gather(*(view(c) for c in clients)):
            views[joined["client_id"]] = {"peers": joined["peers"], "events": events}
        assert len(views) == N
        assert_exactly_once(views)
    finally:
        await asyncio.gather(*(c.close() for c in clients))
