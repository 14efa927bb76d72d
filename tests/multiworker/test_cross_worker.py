"""Peers of one pool on different worker processes must not notice: join, relay, leave.

Run against the Redis channel layers that the README documents.
"""

from __future__ import annotations

import pytest

from ..live import WSClient

pytestmark = [pytest.mark.multiworker, pytest.mark.parametrize("layer", ["core", "pubsub", "ours"])]


async def test_join_relay_leave_between_workers(cluster, layer):
    one, two = cluster(2, layer)
    a = await WSClient.connect(one.url)
    b = await WSClient.connect(two.url)

    joined_a = await a.join("cross")
    assert joined_a["peers"] == []
    joined_b = await b.join("cross")
    assert joined_b["peers"] == [a.id]
    assert (await a.expect("rtc:peer"))["id"] == b.id

    offer = {"type": "offer", "sdp": "v=0 offer"}
    await b.send("rtc:sdp", {"to": a.id, "description": offer})
    assert await a.expect("rtc:sdp") == {"peer": b.id, "description": offer}

    answer = {"type": "answer", "sdp": "v=0 answer"}
    await a.send("rtc:sdp", {"to": b.id, "description": answer})
    assert await b.expect("rtc:sdp") == {"peer": a.id, "description": answer}

    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"}
    await a.send("rtc:candidate", {"for": b.id, "candidate": candidate, "from": "forged"})
    assert await b.expect("rtc:candidate") == {"from": a.id, "candidate": candidate}
    await b.send("rtc:candidate", {"for": a.id, "candidate": None})
    assert await a.expect("rtc:candidate") == {"from": b.id, "candidate": None}

    await b.close()
    closed = await a.expect("rtc:close")
    assert closed["id"] == closed["uid"] == b.id
    assert await a.drain() == []
    await a.close()


async def test_order_from_one_sender_is_kept_across_workers(cluster, layer):
    one, two = cluster(2, layer)
    a = await WSClient.connect(one.url)
    b = await WSClient.connect(two.url)
    await a.join("order")
    await b.join("order")
    await a.expect("rtc:peer")

    for n in range(100):
        await a.send("rtc:candidate", {"for": b.id, "candidate": {"candidate": str(n)}})
    received = [(await b.expect("rtc:candidate"))["candidate"]["candidate"] for _ in range(100)]
    assert received == [str(n) for n in range(100)]
    await a.close()
    await b.close()
