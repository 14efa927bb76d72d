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
        frames = await client.drain(quiet=0.3)
        joined = [f for f in frames if f["type"] == "rtc:joined"]
        assert len(joined) == 1, frames
        index = frames.index(joined[0])
        views[joined[0]["data"]["client_id"]] = {
            "peers": joined[0]["data"]["peers"],
            "events": frames[index + 1 :],
            "before": frames[:index],
        }
    for view in views.values():
        # Nothing about other peers may reach a client before its own rtc:joined.
        assert view["before"] == []
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
        # Each rtc:joined first, however slow a busy machine makes the joins: every joiner
        # sends its rtc:peer notices before it answers rtc:joined, so once all have
        # answered only delivery is left, and a second of silence ends each client's frames.
        firsts = await asyncio.gather(*(c.recv(timeout=30.0) for c in clients))
        rests = await asyncio.gather(*(c.drain(timeout=1.0) for c in clients))
        views = {}
        for frames in ([first, *rest] for first, rest in zip(firsts, rests, strict=True)):
            joined = frames[0]
            assert joined["type"] == "rtc:joined", frames
            views[joined["data"]["client_id"]] = {
                "peers": joined["data"]["peers"],
                "events": frames[1:],
            }
        assert len(views) == N
        assert_exactly_once(views)
    finally:
        await asyncio.gather(*(c.close() for c in clients))
