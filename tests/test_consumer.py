"""PoolConsumer in process: every ssp event, every kind of bad input."""

import json
import threading

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings

from rtcpool_django.models import Peer, Pool

OFFER = {"type": "offer", "sdp": "v=0\r\n"}


def describe_by_name(scope, user, pool):
    return {"name": "peer-" + str(Peer.objects.filter(pool=pool).count())}


async def test_join_answers_joined_with_peers_descriptions_and_pool(connect):
    a, b = await connect(), await connect()
    first = await a.join("room")
    assert first == {"client_id": a.id, "peers": [], "descriptions": {}, "pool": "room"}
    await database_sync_to_async(Peer.objects.filter(pk=a.id).update)(description={"name": "A"})
    second = await b.join("room")
    assert second["peers"] == [a.id]
    assert second["descriptions"] == {a.id: {"name": "A"}}
    assert second["pool"] == "room"
    assert second["client_id"] == b.id != a.id
    assert await a.expect("rtc:peer") == {"id": b.id}
    await a.nothing()
    await b.nothing()


async def test_peers_in_other_pools_are_not_told(connect):
    a, b = await connect(), await connect()
    await a.join("one")
    assert (await b.join("two"))["peers"] == []
    await a.nothing()


@override_settings(RTCPOOL={"INITIAL_DESCRIPTION": "tests.test_consumer.describe_by_name"})
async def test_impolite_side_learns_the_joiners_description_right_after_rtc_peer(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    assert await a.expect("rtc:peer") == {"id": b.id}
    assert await a.expect("rtc:describe") == {
        "id": b.id,
        "uid": b.id,
        "description": {"name": "peer-1"},
    }


async def test_a_describe_that_overtakes_the_peer_notice_is_held_until_it(connect):
    a = await connect()
    await a.join("room")
    channel = await database_sync_to_async(lambda: Peer.objects.get(pk=a.id).channel_name)()
    pool_id = await database_sync_to_async(lambda: Pool.objects.get(name="room").pk)()
    layer = get_channel_layer()
    await layer.send(
        channel, {"type": "rtcpool.describe", "pool": pool_id, "id": "p2", "description": 2}
    )
    await a.nothing()  # never rtc:describe about a peer the client does not know
    await layer.send(
        channel,
        {"type": "rtcpool.peer", "pool": pool_id, "id": "p2", "channel": "x", "description": 1},
    )
    assert await a.expect("rtc:peer") == {"id": "p2"}
    assert (await a.expect("rtc:describe"))["description"] == 2


async def test_notices_that_come_as_one_are_handled_in_their_order(connect):
    # One delivery's messages to a channel go as one rtcpool.notices (delivery.BUNDLE).
    from rtcpool_django import messages

    a = await connect()
    await a.join("room")
    channel = await database_sync_to_async(lambda: Peer.objects.get(pk=a.id).channel_name)()
    pool_id = await database_sync_to_async(lambda: Pool.objects.get(name="room").pk)()
    await get_channel_layer().send(
        channel,
        messages.notices(
            [
                messages.peer(pool_id, "p2", "x", None),
                messages.peer(pool_id, "p3", "y", {"name": "C"}),
                messages.leave(pool_id, "p2"),
                messages.peer(pool_id + 1, "p4", "z", None),  # another pool's: ignored
            ]
        ),
    )
    assert await a.expect("rtc:peer") == {"id": "p2"}
    assert await a.expect("rtc:peer") == {"id": "p3"}
    assert (await a.expect("rtc:describe"))["description"] == {"name": "C"}
    assert (await a.expect("rtc:close"))["id"] == "p2"
    await a.nothing()


async def test_sdp_reaches_the_peer_with_the_sender_stamped(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    assert await a.expect("rtc:sdp") == {"peer": b.id, "description": OFFER}
    await b.nothing()


async def test_candidate_stamps_the_real_sender_and_relays_null(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    candidate = {"candidate": "candidate:1 1 udp 2 10.0.0.1 9 typ host", "sdpMid": "0"}
    await b.send("rtc:candidate", {"for": a.id, "from": a.id, "candidate": candidate})
    assert await a.expect("rtc:candidate") == {"from": b.id, "candidate": candidate}
    await b.send("rtc:candidate", {"for": a.id, "from": "someone-else", "candidate": None})
    assert await a.expect("rtc:candidate") == {"from": b.id, "candidate": None}


async def test_order_from_one_sender_to_one_receiver_is_kept(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    for n in range(60):
        await b.send("rtc:candidate", {"for": a.id, "candidate": {"candidate": str(n)}})
    await b.send("rtc:candidate", {"for": a.id, "candidate": None})
    assert (await a.expect("rtc:sdp"))["description"] == OFFER
    received = [(await a.expect("rtc:candidate"))["candidate"] for _ in range(61)]
    assert received == [{"candidate": str(n)} for n in range(60)] + [None]


async def test_relay_path_touches_no_database(connect, monkeypatch):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")

    cursors = []
    original = BaseDatabaseWrapper.cursor

    def counting_cursor(self):
        cursors.append(threading.current_thread().name)
        return original(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", counting_cursor)
    for n in range(20):
        await b.send("rtc:candidate", {"for": a.id, "candidate": {"candidate": str(n)}})
        await a.send("rtc:sdp", {"to": b.id, "description": OFFER})
    for _ in range(20):
        await a.expect("rtc:candidate")
        await b.expect("rtc:sdp")
    assert cursors == []


@pytest.mark.parametrize("event", ["rtc:sdp", "rtc:candidate"])
async def test_unknown_ids_other_pools_and_departed_peers_are_unreachable(connect, event):
    a, b, c, d = await connect(), await connect(), await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    await c.join("elsewhere")
    await d.join("room")
    await a.expect("rtc:peer")
    await b.expect("rtc:peer")
    await d.close()
    await a.expect("rtc:close")
    await b.expect("rtc:close")

    def frame(to):
        if event == "rtc:sdp":
            return {"to": to, "description": OFFER}
        return {"for": to, "candidate": None}

    for target in ("no-such-peer", c.id, d.id, a.id):
        await a.send(event, frame(target))
        await a.error("unknown_peer")
    await b.nothing()
    await c.nothing()


async def test_disconnect_sends_close_once_to_those_who_knew_and_removes_the_row(connect):
    a, b, c, other = await connect(), await connect(), await connect(), await connect()
    await a.join("room")
    await other.join("elsewhere")
    await b.join("room")
    await a.expect("rtc:peer")
    await b.close()
    assert await a.expect("rtc:close") == {"id": b.id, "uid": b.id}
    await c.join("room")
    await a.expect("rtc:peer")
    await a.nothing()
    await c.nothing()  # c never knew b: no rtc:close for it
    await other.nothing()
    assert not await database_sync_to_async(Peer.objects.filter(pk=b.id).exists)()
    assert await database_sync_to_async(Peer.objects.count)() == 3


async def test_custom_events_are_ignored_by_default(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await a.send("chat:message", {"text": "hi"})
    await a.send("ping")
    await a.send_raw(json.dumps({"type": "app", "data": "not an object"}))
    await a.nothing()
    await b.join("room")
    assert await a.expect("rtc:peer") == {"id": b.id}


BAD_FRAMES = [
    ("not json at all", "invalid_json"),
    ("[1, 2, 3]", "invalid_frame"),
    ("42", "invalid_frame"),
    ('{"data": {"pool": "room"}}', "invalid_frame"),
    ('{"type": 1, "data": {}}', "invalid_frame"),
    ('{"type": "rtc:join"}', "invalid_frame"),
    ('{"type": "rtc:join", "data": "room"}', "invalid_frame"),
    ('{"type": "rtc:teleport", "data": {}}', "unknown_event"),
    ('{"type": "rtc:join", "data": {}}', "invalid_pool_name"),
    ('{"type": "rtc:join", "data": {"pool": ""}}', "invalid_pool_name"),
    ('{"type": "rtc:join", "data": {"pool": 12}}', "invalid_pool_name"),
    (json.dumps({"type": "rtc:join", "data": {"pool": "x" * 201}}), "invalid_pool_name"),
    ('{"type": "rtc:sdp", "data": {"description": {}}}', "invalid_field"),
    ('{"type": "rtc:candidate", "data": {"for": "x"}}', "invalid_field"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_FRAMES)
async def test_bad_frames_before_joining_leave_the_connection_usable(connect, text, reason):
    a = await connect()
    await a.send_raw(text)
    await a.error(reason)
    await a.join("room")
    assert await database_sync_to_async(Peer.objects.count)() == 1


@pytest.mark.parametrize(("text", "reason"), BAD_FRAMES)
async def test_bad_frames_after_joining_change_nothing(connect, text, reason):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    await b.send_raw(text)
    await b.error(reason)
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    assert await a.expect("rtc:sdp") == {"peer": b.id, "description": OFFER}
    await a.nothing()
    assert await database_sync_to_async(Peer.objects.count)() == 2


async def test_binary_frame(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.send_raw(binary=b"\x00\x01")
    await b.error("binary_frame")
    await b.join("room")


@override_settings(RTCPOOL={"MAX_FRAME_BYTES": 2000})
async def test_oversize_frame(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    await b.send("rtc:sdp", {"to": a.id, "description": {"type": "offer", "sdp": "x" * 3000}})
    await b.error("frame_too_large")
    await a.nothing()
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    await a.expect("rtc:sdp")


@pytest.mark.parametrize("event", ["rtc:sdp", "rtc:candidate"])
async def test_relay_before_joining(connect, event):
    a = await connect()
    data = (
        {"to": "x", "description": OFFER} if event == "rtc:sdp" else {"for": "x", "candidate": None}
    )
    await a.send(event, data)
    await a.error("not_joined")
    await a.join("room")


async def test_second_join_is_refused_and_changes_nothing(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    await b.send("rtc:join", {"pool": "other"})
    await b.error("already_joined")
    await b.send("rtc:join", {"pool": "room"})
    await b.error("already_joined")
    await a.nothing()
    assert not await database_sync_to_async(Pool.objects.filter(name="other").exists)()
    await b.send("rtc:candidate", {"for": a.id, "candidate": None})
    await a.expect("rtc:candidate")


@override_settings(RTCPOOL={"RATE_LIMIT_PER_SECOND": 0.001, "RATE_LIMIT_BURST": 5})
async def test_too_fast_is_refused_then_recovers_nothing_else(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")  # b: 1 of 5
    await a.expect("rtc:peer")
    for _ in range(4):  # b: 2..5 of 5
        await b.send("rtc:candidate", {"for": a.id, "candidate": None})
    for _ in range(4):
        await a.expect("rtc:candidate")
    await b.send("rtc:candidate", {"for": a.id, "candidate": None})
    await b.error("rate_limited")
    await a.nothing()
    # Other connections have their own budget.
    await a.send("rtc:candidate", {"for": b.id, "candidate": None})
    await b.expect("rtc:candidate")


async def test_an_unexpected_failure_answers_server_error_and_the_connection_lives(
    connect, monkeypatch
):
    from rtcpool_django import pools

    a = await connect()

    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(pools, "ajoin", broken)
    await a.send("rtc:join", {"pool": "room"})
    await a.error("server_error")
    monkeypatch.undo()
    await a.join("room")


async def test_stop_carries_an_empty_object_and_closes_the_socket(connect):
    from rtcpool_django import pools

    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    await pools.aclose_pool("room")
    for client in (a, b):
        assert await client.recv() == {"type": "rtc:stop", "data": {}}
        assert (await client.communicator.receive_output(1))["type"] == "websocket.close"
    assert await database_sync_to_async(Peer.objects.count)() == 0


async def test_a_relay_sent_right_after_joining_never_overtakes_rtc_peer(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await b.send("rtc:sdp", {"to": a.id, "description": OFFER})
    await b.send("rtc:candidate", {"for": a.id, "candidate": None})
    assert [f["type"] for f in await a.drain()] == ["rtc:peer", "rtc:sdp", "rtc:candidate"]


async def test_relays_from_a_peer_the_receiver_does_not_know_are_dropped(connect):
    # E.g. a kicked peer whose socket had not closed yet: the others already got its
    # rtc:close, and the client throws on rtc:sdp from an unknown peer.
    a = await connect()
    await a.join("room")
    channel = await database_sync_to_async(lambda: Peer.objects.get(pk=a.id).channel_name)()
    text = json.dumps({"type": "rtc:sdp", "data": {"peer": "gone", "description": OFFER}})
    await get_channel_layer().send(channel, {"type": "rtcpool.relay", "from": "gone", "text": text})
    await a.nothing()


async def test_a_closing_socket_makes_no_thread_hop_of_its_own(connect, monkeypatch):
    # Channels' websocket_disconnect hops to a thread to close old database connections,
    # for every socket that closes; the departure's own database call cleans up after
    # itself, and the rest of the pool hears rtc:close without waiting for that hop.
    import channels.generic.websocket

    hops = []

    async def aclose_old_connections():
        hops.append(1)

    monkeypatch.setattr(
        channels.generic.websocket, "aclose_old_connections", aclose_old_connections
    )
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.expect("rtc:peer")
    await b.close()
    assert (await a.expect("rtc:close"))["id"] == b.id
    assert hops == []
    assert not await database_sync_to_async(Peer.objects.filter(pk=b.id).exists)()
