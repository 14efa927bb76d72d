"""A notice the channel layer does not take (full channel, or the layer failing) must not
leave a peer with a wrong view of its pool, nor a joiner half-joined (DESIGN rule 7).
In-process with the in-memory layer; tests/multiworker/test_channel_full.py does it with
real processes and a real full Redis channel."""

from __future__ import annotations

from channels.layers import get_channel_layer

from rtcpool_django import pools
from rtcpool_django.consumers import CLOSE_KICKED
from rtcpool_django.models import Peer


async def test_a_peer_whose_notice_fails_is_evicted_and_the_join_completes(connect, monkeypatch):
    b = await connect()
    await b.join("p")
    c = await connect()
    layer = get_channel_layer()
    send = layer.send

    async def failing_send(channel, message):
        if message["type"] == pools.PEER:
            # As redis-py 8 raises MaxConnectionsError when its pool is exhausted.
            raise ConnectionError("no connection available")
        await send(channel, message)

    monkeypatch.setattr(layer, "send", failing_send)

    joined = await c.join("p")
    assert joined["peers"] == [b.id]
    # b never heard of c, so b is out of the pool and c hears that it is gone...
    assert (await c.expect("rtc:close"))["id"] == b.id
    # ...and b's socket is closed, so that its client can join again.
    assert await b.communicator.receive_output(2) == {
        "type": "websocket.close",
        "code": CLOSE_KICKED,
    }
    assert [str(pk) async for pk in Peer.objects.values_list("id", flat=True)] == [c.id]
