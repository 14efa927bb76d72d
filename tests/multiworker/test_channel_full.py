"""When the channel layer refuses a message, the sender is told; nothing is lost unseen
(DESIGN rule 7). A receiving worker that has stalled (here: SIGSTOP) stops draining its
channel until the layer's capacity is reached."""

from __future__ import annotations

import signal

from ..live import WSClient

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


async def test_relay_to_a_stalled_worker_answers_peer_unavailable(cluster):
    sender_worker, stalled_worker = cluster(2, "core", RTCPOOL_CHANNEL_CAPACITY=str(CAPACITY))
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
