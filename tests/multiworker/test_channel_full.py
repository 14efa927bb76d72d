"""When the channel layer refuses a message, the sender is told; nothing is lost unseen
(DESIGN rule 7). A receiving worker that has stalled (here: SIGSTOP) stops draining its
channel until the layer's capacity is reached."""

from __future__ import annotations

import asyncio
import signal
import uuid

import pytest
from websockets.exceptions import ConnectionClosed

from rtcpool_django.consumers import CLOSE_KICKED
from rtcpool_django.models import Peer

from ..live import WSClient
from .conftest import query

pytestmark = pytest.mark.multiworker

CAPACITY = 5


async def refused(client: WSClient) -> bool:
    """Whether the server answered the last relay with peer_unavailable. A relay to an
    unknown id always answers unknown_peer, so it marks where the answers end."""
    await client.send("rtc:candidate", {"for": "barrier", "candidate": None})
    answer = await client.expect("rtc:error")
    if answer["reason"] == "unknown_peer":
        return False
    assert answer["reason"] == "peer_unavailable", answer
    assert answer["message"]
    await client.error("unknown_peer")
    return True


@pytest.mark.parametrize("layer", ["core", "ours"])
async def test_relay_to_a_stalled_worker_answers_peer_unavailable(cluster, layer):
    sender_worker, stalled_worker = cluster(2, layer, RTCPOOL_CHANNEL_CAPACITY=str(CAPACITY))
    a = await WSClient.connect(sender_worker.url)
    b = await WSClient.connect(stalled_worker.url)
    await a.join("stalled")
    await b.join("stalled")
    await a.expect("rtc:peer")

    stalled_worker.process.send_signal(signal.SIGSTOP)
    try:
        accepted = []
        # The stalled process may hold one message already popped for it by Redis, so the
        # refusal comes after CAPACITY or CAPACITY + 1 accepted messages.
        for n in range(CAPACITY + 2):
            await a.send("rtc:candidate", {"for": b.id, "candidate": {"candidate": str(n)}})
            if await refused(a):
                break
            accepted.append(str(n))
        else:
            raise AssertionError("the layer never refused a message")
        assert len(accepted) >= CAPACITY
        await a.send("rtc:sdp", {"to": b.id, "description": {"type": "offer", "sdp": "x"}})
        assert await refused(a)
    finally:
        stalled_worker.process.send_signal(signal.SIGCONT)

    # What the layer accepted arrives, in order; what it refused, the sender knows of.
    received = [(await b.expect("rtc:candidate"))["candidate"]["candidate"] for _ in accepted]
    assert received == accepted
    assert await b.drain() == []
    # Once the worker drains again, relays flow.
    await a.send("rtc:candidate", {"for": b.id, "candidate": None})
    assert await b.expect("rtc:candidate") == {"from": a.id, "candidate": None}
    await a.close()
    await b.close()


@pytest.mark.parametrize("layer", ["core", "ours"])
async def test_a_peer_that_misses_a_notice_is_evicted_not_left_with_a_wrong_view(cluster, layer):
    # The notice is offered for DELIVERY_TIMEOUT before b counts as unreachable.
    live_worker, stalled_worker = cluster(
        2, layer, RTCPOOL_CHANNEL_CAPACITY=str(CAPACITY), RTCPOOL_DELIVERY_TIMEOUT="0.5"
    )
    c = await WSClient.connect(live_worker.url)
    b = await WSClient.connect(stalled_worker.url)
    await c.join("evict")
    await b.join("evict")
    await c.expect("rtc:peer")

    stalled_worker.process.send_signal(signal.SIGSTOP)
    try:
        for n in range(CAPACITY + 2):  # fill the stalled worker's channel
            await c.send("rtc:candidate", {"for": b.id, "candidate": {"candidate": str(n)}})
            if await refused(c):
                break
        else:
            raise AssertionError("the layer never refused a message")

        # b cannot be told that d joined: it would never learn of d. So b is evicted, and
        # everyone who knew b hears that it is gone.
        d = await WSClient.connect(live_worker.url)
        joined = await d.join("evict")
        assert set(joined["peers"]) == {b.id, c.id}
        assert (await d.expect("rtc:close"))["id"] == b.id
        assert (await c.expect("rtc:peer"))["id"] == d.id
        assert (await c.expect("rtc:close"))["id"] == b.id
        assert await query(lambda: set(Peer.objects.values_list("id", flat=True))) == {
            uuid.UUID(c.id),
            uuid.UUID(d.id),
        }
    finally:
        stalled_worker.process.send_signal(signal.SIGCONT)

    # Once its worker runs again, b's socket is closed (the kick was kept being offered),
    # so its client can join again with a true view of the pool.
    # It hears rtc:stop just before the close, so the RTCPool client tears down.
    kinds = []
    async with asyncio.timeout(10):
        while True:
            try:
                kinds.append((await b.recv(timeout=None))["type"])
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == CLOSE_KICKED
                break
    assert kinds[-1] == "rtc:stop" and set(kinds[:-1]) <= {"rtc:candidate"}, kinds
    assert await c.drain() == [] and await d.drain() == []


async def test_a_worker_stalled_for_a_moment_gets_its_notices_late_and_nobody_is_evicted(cluster):
    """A full queue that drains within DELIVERY_TIMEOUT (default 5 s) is a burst, not a
    fault: the notice waits for room, and the joiner's rtc:joined waits for the notice."""
    live_worker, stalled_worker = cluster(2, "core", RTCPOOL_CHANNEL_CAPACITY=str(CAPACITY))
    c = await WSClient.connect(live_worker.url)
    b = await WSClient.connect(stalled_worker.url)
    await c.join("burst")
    await b.join("burst")
    await c.expect("rtc:peer")

    stalled_worker.process.send_signal(signal.SIGSTOP)
    try:
        accepted = []
        for n in range(CAPACITY + 2):  # fill the stalled worker's channel
            await c.send("rtc:candidate", {"for": b.id, "candidate": {"candidate": str(n)}})
            if await refused(c):
                break
            accepted.append(str(n))
        else:
            raise AssertionError("the layer never refused a message")
        d = await WSClient.connect(live_worker.url)
        joining = asyncio.create_task(d.join("burst"))
        await asyncio.sleep(1.0)
        assert not joining.done()  # rtc:joined waits until b can be told
    finally:
        stalled_worker.process.send_signal(signal.SIGCONT)

    joined = await asyncio.wait_for(joining, 10)
    assert set(joined["peers"]) == {b.id, c.id}
    received = [(await b.expect("rtc:candidate"))["candidate"]["candidate"] for _ in accepted]
    assert received == accepted
    assert (await b.expect("rtc:peer"))["id"] == d.id
    assert (await c.expect("rtc:peer"))["id"] == d.id
    # d's first relay reaches b, and nobody was evicted.
    await d.send("rtc:candidate", {"for": b.id, "candidate": None})
    assert await b.expect("rtc:candidate") == {"from": d.id, "candidate": None}
    assert await b.drain() == [] and await c.drain() == [] and await d.drain() == []
    assert await query(lambda: Peer.objects.count()) == 3
    for client in (b, c, d):
        await client.close()
