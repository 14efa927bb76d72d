"""A notice the channel layer does not take (full channel, or the layer failing) must not
leave a peer with a wrong view of its pool, nor a joiner half-joined (DESIGN rule 7).
In-process with the in-memory layer; tests/multiworker/test_channel_full.py does it with
real processes and a real full Redis channel."""

from __future__ import annotations

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.test import override_settings

from rtcpool_django import pools
from rtcpool_django.consumers import CLOSE_KICKED
from rtcpool_django.heartbeat import heartbeat
from rtcpool_django.models import Peer


async def test_a_peer_whose_channel_stays_full_is_evicted_and_the_join_completes(
    connect, monkeypatch
):
    b = await connect()
    await b.join("p")
    c = await connect()
    layer = get_channel_layer()
    send = layer.send

    async def full(channel, message):
        if message["type"] == pools.PEER:
            raise ChannelFull(channel)
        await send(channel, message)

    monkeypatch.setattr(layer, "send", full)

    with override_settings(RTCPOOL={"DELIVERY_TIMEOUT": 0.3}):  # the retry bound
        joined = await c.join("p")
    assert joined["peers"] == [b.id]
    # b never heard of c, so b is out of the pool and c hears that it is gone...
    assert (await c.expect("rtc:close"))["id"] == b.id
    # ...and b's socket is closed, so that its client can join again.
    await b.expect("rtc:stop")
    assert await b.closed_by_server() == CLOSE_KICKED
    assert [str(pk) async for pk in Peer.objects.values_list("id", flat=True)] == [c.id]


async def test_a_notice_the_layer_fails_to_send_is_repaired_not_evicted(connect, monkeypatch):
    """The layer failing (Redis unreachable, no free connection) is nobody's fault: the
    peer stays, and its worker brings its roster back to the database's truth at the next
    heartbeat."""
    b = await connect()
    await b.join("p")
    c = await connect()
    layer = get_channel_layer()
    send = layer.send

    async def failing_send(channel, message):
        if message["type"] in (pools.PEER, pools.LEAVE):
            raise ConnectionError("no connection available")
        await send(channel, message)

    monkeypatch.setattr(layer, "send", failing_send)
    with override_settings(RTCPOOL={"DELIVERY_TIMEOUT": 0.1}):
        assert (await c.join("p"))["peers"] == [b.id]
        d = await connect()
        await d.join("p")
        await d.close()  # its departure is lost too
    await b.nothing()
    monkeypatch.setattr(layer, "send", send)

    await heartbeat.tick()
    # b learns of c (once), and never of d, which came and went.
    assert await b.expect("rtc:peer") == {"id": c.id}
    await c.send("rtc:candidate", {"for": b.id, "candidate": None})
    assert await b.expect("rtc:candidate") == {"from": c.id, "candidate": None}
    await b.nothing()
    assert {str(pk) async for pk in Peer.objects.values_list("id", flat=True)} == {b.id, c.id}
    await heartbeat.tick()  # nothing more to repair
    await b.nothing()
    await c.nothing()


async def test_a_notice_refused_for_a_moment_is_delivered_late_not_evicted(connect, monkeypatch):
    """A burst fills a queue for a moment: the notice is offered again, in order with what
    follows it, and nobody is evicted."""
    b = await connect()
    await b.join("p")
    layer = get_channel_layer()
    send = layer.send
    refusals = 3

    async def briefly_full(channel, message):
        nonlocal refusals
        if message["type"] == pools.PEER and refusals:
            refusals -= 1
            raise ChannelFull()
        await send(channel, message)

    monkeypatch.setattr(layer, "send", briefly_full)
    c = await connect()
    joined = await c.join("p")
    assert refusals == 0
    assert joined["peers"] == [b.id]
    assert (await b.expect("rtc:peer"))["id"] == c.id
    # The relay c sends after its rtc:joined comes after the late notice, not before it.
    await c.send("rtc:candidate", {"for": b.id, "candidate": None})
    assert await b.expect("rtc:candidate") == {"from": c.id, "candidate": None}
    await b.nothing()
    await c.nothing()
    assert {str(pk) async for pk in Peer.objects.values_list("id", flat=True)} == {b.id, c.id}


def _unbundled(message):
    """The messages a layer message carries: itself, or those of an rtcpool.notices."""
    return message["messages"] if message["type"] == "rtcpool.notices" else [message]


async def test_a_deliverys_messages_to_one_channel_go_as_one_in_their_order():
    from rtcpool_django.delivery import send_notices

    layer = get_channel_layer()
    many, one = await layer.new_channel(), await layer.new_channel()
    outbox = [(many, {"type": "t", "n": n}) for n in (1, 2, 3)] + [(one, {"type": "t", "n": 4})]
    assert not await send_notices(outbox, timeout=5)
    assert await layer.receive(many) == {
        "type": "rtcpool.notices",
        "messages": [{"type": "t", "n": n} for n in (1, 2, 3)],
    }
    assert await layer.receive(one) == {"type": "t", "n": 4}  # alone: as it is
    assert many not in layer.channels and one not in layer.channels  # nothing else sent


async def test_notices_after_a_refused_one_wait_for_it(monkeypatch):
    """Per-channel order holds across retries: the second message to a channel is not
    sent before the first one was taken."""
    from rtcpool_django import delivery
    from rtcpool_django.delivery import send_notices

    monkeypatch.setattr(delivery, "BUNDLE", 2)  # five messages: three layer messages
    layer = get_channel_layer()
    channel = await layer.new_channel()
    send = layer.send
    refusals, sent = 2, []

    async def first_refused(to, message):
        nonlocal refusals
        if _unbundled(message)[0]["n"] == 1 and refusals:
            refusals -= 1
            raise ChannelFull()
        sent.append([m["n"] for m in _unbundled(message)])
        await send(to, message)

    monkeypatch.setattr(layer, "send", first_refused)
    outbox = [(channel, {"type": "t", "n": n}) for n in (1, 2, 3, 4, 5)]
    assert not await send_notices(outbox, timeout=5)
    assert sent == [[1, 2], [3, 4], [5]]
    received = [m["n"] for _ in range(3) for m in _unbundled(await layer.receive(channel))]
    assert received == [1, 2, 3, 4, 5]


async def test_a_channel_full_past_the_timeout_is_reported_with_its_later_messages_unsent(
    monkeypatch,
):
    from rtcpool_django import delivery
    from rtcpool_django.delivery import send_notices

    monkeypatch.setattr(delivery, "BUNDLE", 1)  # each message on its own
    layer = get_channel_layer()
    full, fine = await layer.new_channel(), await layer.new_channel()
    send = layer.send

    async def one_full(to, message):
        if to == full and message["n"] == 2:
            raise ChannelFull()
        await send(to, message)

    monkeypatch.setattr(layer, "send", one_full)
    outbox = [(c, {"type": "t", "n": n}) for n in (1, 2, 3) for c in (full, fine)]
    undelivered = await send_notices(outbox, timeout=0.1)
    assert undelivered.full == [full] and undelivered.failed == []
    assert [(await layer.receive(fine))["n"] for _ in range(3)] == [1, 2, 3]
    assert (await layer.receive(full))["n"] == 1
    assert full not in layer.channels  # emptied by the receive: 3 never passed the refused 2


async def test_a_join_whose_group_add_keeps_failing_is_undone_and_answered_unavailable(
    connect, monkeypatch
):
    b = await connect()
    await b.join("p")
    layer = get_channel_layer()
    group_add = layer.group_add

    async def unreachable(group, channel):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(layer, "group_add", unreachable)
    c = await connect()
    await c.send("rtc:join", {"pool": "p"})
    with override_settings(RTCPOOL={"DELIVERY_TIMEOUT": 0.2}):
        await c.error("unavailable")
    # b heard of c and then of its departure; nothing of c is left.
    assert (await b.expect("rtc:peer"))["id"] == (await b.expect("rtc:close"))["id"]
    assert [str(pk) async for pk in Peer.objects.values_list("id", flat=True)] == [b.id]

    # Once the layer answers again, the same connection joins.
    monkeypatch.setattr(layer, "group_add", group_add)
    assert (await c.join("p"))["peers"] == [b.id]
    assert (await b.expect("rtc:peer"))["id"] == c.id


async def test_a_join_rides_through_a_group_add_that_fails_for_a_moment(connect, monkeypatch):
    layer = get_channel_layer()
    group_add = layer.group_add
    failures = 2

    async def flaky(group, channel):
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionError("no connection available")
        await group_add(group, channel)

    monkeypatch.setattr(layer, "group_add", flaky)
    a = await connect()
    assert (await a.join("p"))["peers"] == []
    assert failures == 0


async def test_a_relay_the_layer_fails_to_take_answers_peer_unavailable(connect, monkeypatch):
    a, b = await connect(), await connect()
    await a.join("p")
    await b.join("p")
    await a.expect("rtc:peer")
    layer = get_channel_layer()
    send = layer.send

    async def down(channel, message):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(layer, "send", down)
    await a.send("rtc:candidate", {"for": b.id, "candidate": None})
    await a.error("peer_unavailable")
    monkeypatch.setattr(layer, "send", send)
    await a.send("rtc:candidate", {"for": b.id, "candidate": None})
    assert await b.expect("rtc:candidate") == {"from": a.id, "candidate": None}
