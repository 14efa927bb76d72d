"""The Python API of pools.py, called in-process while WebSocket peers observe."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from rtcpool_django import pools
from rtcpool_django.models import Peer, Pool


async def test_create_get_list_and_live_peers(connect):
    pool = await pools.acreate_pool("room", max_peers=3, private=True)
    assert (await pools.aget_pool("room")).pk == pool.pk
    assert pool.max_peers == 3 and pool.private and pool.is_open
    await pools.acreate_pool("empty")

    a, b = await connect(), await connect()
    await a.join("other")
    await b.join("other")
    counts = {p.name: p.peer_count for p in await pools.alist_pools()}
    assert counts == {"empty": 0, "other": 2, "room": 0}
    assert [str(p.id) for p in await pools.alive_peers("other")] == [a.id, b.id]
    other = await pools.aget_pool("other")
    assert [str(p.id) for p in await pools.alive_peers(other)] == [a.id, b.id]

    def sync_side():
        assert pools.get_pool("room").pk == pool.pk
        assert {p.name: p.peer_count for p in pools.list_pools()}["other"] == 2
        assert [str(p.id) for p in pools.live_peers("other")] == [a.id, b.id]
        with pytest.raises(Pool.DoesNotExist):
            pools.get_pool("nope")

    await sync_to_async(sync_side)()


async def test_describe_reaches_every_other_peer_never_itself(connect):
    a, b, c = await connect(), await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await c.join("room")
    outsider = await connect()
    await outsider.join("elsewhere")
    await a.drain()
    await b.drain()

    peer = await pools.adescribe(b.id, {"name": "Bea"})
    assert peer.description == {"name": "Bea"}
    for client in (a, c):
        assert await client.expect("rtc:describe") == {
            "id": b.id,
            "uid": b.id,
            "description": {"name": "Bea"},
        }
    await b.nothing()
    await outsider.nothing()
    stored = await sync_to_async(Peer.objects.get)(pk=b.id)
    assert stored.description == {"name": "Bea"}

    # A peer who joins later sees the stored description in rtc:joined.
    d = await connect()
    joined = await d.join("room")
    assert joined["descriptions"][b.id] == {"name": "Bea"}
    for client in (a, b, c):
        assert await client.expect("rtc:peer") == {"id": d.id}

    # The sync function does the same from a thread (a view, the admin, a command).
    await sync_to_async(pools.describe)(await sync_to_async(Peer.objects.get)(pk=c.id), [1, 2])
    for client in (a, b, d):
        assert (await client.expect("rtc:describe"))["description"] == [1, 2]
    await c.nothing()


async def test_describe_a_gone_peer_raises(connect):
    a = await connect()
    await a.join("room")
    await a.close()
    with pytest.raises(Peer.DoesNotExist):
        await pools.adescribe(a.id, {"name": "late"})


async def test_sync_describe_is_announced_only_once_committed(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.drain()

    class Rollback(Exception):
        pass

    def describe_then_roll_back():
        with pytest.raises(Rollback), transaction.atomic():
            pools.describe(b.id, {"name": "never"})
            raise Rollback

    await sync_to_async(describe_then_roll_back)()
    await a.nothing(0.3)
    assert (await sync_to_async(Peer.objects.get)(pk=b.id)).description is None


async def test_close_pool_stops_every_peer_and_refuses_joins(connect):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.drain()

    assert await pools.aclose_pool("room") == 2
    for client in (a, b):
        frame = await client.recv()
        assert frame == {"type": "rtc:stop", "data": {}}
        assert (await client.communicator.receive_output())["type"] == "websocket.close"
    assert await pools.alive_peers("room") == []
    assert not (await pools.aget_pool("room")).is_open

    c = await connect()
    await c.send("rtc:join", {"pool": "room"})
    await c.error("pool_closed")


async def test_sync_close_pool_by_instance(connect):
    a = await connect()
    await a.join("room")
    pool = await pools.aget_pool("room")
    assert await sync_to_async(pools.close_pool)(pool) == 1
    assert await a.recv() == {"type": "rtc:stop", "data": {}}


async def test_kick_closes_that_socket_and_tells_the_others(connect):
    a, b, c = await connect(), await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await c.join("room")
    await a.drain()
    await b.drain()

    assert await pools.akick(b.id) is True
    # rtc:stop first, so that the RTCPool client tears down, then the close.
    assert await b.recv() == {"type": "rtc:stop", "data": {}}
    assert await b.closed_by_server() == 4001
    for client in (a, c):
        assert await client.expect("rtc:close") == {"id": b.id, "uid": b.id}
    assert [str(p.id) for p in await pools.alive_peers("room")] == [a.id, c.id]
    assert await pools.akick(b.id) is False

    assert await sync_to_async(pools.kick)(c.id) is True
    assert await a.expect("rtc:close") == {"id": c.id, "uid": c.id}


async def test_kicked_and_stopped_channels_leave_the_pool_group(connect):
    from channels.layers import get_channel_layer

    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    pool = await pools.aget_pool("room")
    layer = get_channel_layer()
    assert len(layer.groups[pool.group_name]) == 2
    await a.expect("rtc:peer")

    await pools.akick(a.id)
    await a.expect("rtc:stop")
    await a.closed_by_server()
    await a.close()
    assert len(layer.groups.get(pool.group_name, {})) == 1
    assert await b.expect("rtc:close") == {"id": a.id, "uid": a.id}

    await pools.aclose_pool(pool)
    assert await b.recv() == {"type": "rtc:stop", "data": {}}
    assert (await b.communicator.receive_output())["type"] == "websocket.close"
    await b.close()
    assert not layer.groups.get(pool.group_name)
