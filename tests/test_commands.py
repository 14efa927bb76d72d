"""The management commands, run in-process with call_command while peers observe."""

from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from rtcpool_django import pools
from rtcpool_django.models import Peer, Worker


async def run(*args: str) -> str:
    out = StringIO()
    await sync_to_async(call_command)(*args, stdout=out)
    return out.getvalue()


async def test_rtcpool_pools_lists_pools_with_peer_counts(connect, transactional_db):
    ada = await sync_to_async(get_user_model().objects.create_user)("ada")
    a, b = await connect(user=ada), await connect()
    await a.join("busy")
    await b.join("busy")
    await pools.acreate_pool("vip", private=True, max_peers=4, is_open=False)
    assert (await run("rtcpool_pools")).splitlines() == [
        "busy\t2 peers\topen",
        "vip\t0 peers\tclosed private max 4",
    ]
    lines = (await run("rtcpool_pools", "--peers")).splitlines()
    assert lines[1].startswith(f"  {a.id}\tada\t") and lines[2].startswith(f"  {b.id}\t-\t")


async def test_rtcpool_close(connect, transactional_db):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.drain()
    assert await run("rtcpool_close", "room") == "Closed room: 2 peer(s) stopped.\n"
    for client in (a, b):
        assert await client.recv() == {"type": "rtc:stop", "data": {}}
    with pytest.raises(CommandError, match="No pool named 'nope'"):
        await run("rtcpool_close", "nope")


async def test_rtcpool_describe(connect, transactional_db):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.drain()
    await run("rtcpool_describe", b.id, '{"name": "Bea"}')
    assert await a.expect("rtc:describe") == {
        "id": b.id,
        "uid": b.id,
        "description": {"name": "Bea"},
    }
    await b.nothing()
    with pytest.raises(CommandError, match="not valid JSON"):
        await run("rtcpool_describe", b.id, "{name")
    with pytest.raises(CommandError, match="No live peer"):
        await run("rtcpool_describe", str(uuid.uuid4()), "1")


async def test_rtcpool_kick(connect, transactional_db):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.drain()
    assert await run("rtcpool_kick", b.id) == f"Kicked {b.id}.\n"
    assert await a.expect("rtc:close") == {"id": b.id, "uid": b.id}
    await b.expect("rtc:stop")
    assert await b.closed_by_server() == 4001
    with pytest.raises(CommandError, match="No live peer"):
        await run("rtcpool_kick", b.id)


async def test_rtcpool_prune(connect, transactional_db):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await a.drain()
    assert await run("rtcpool_prune") == "Pruned 0 peer(s).\n"
    # b's row now belongs to a worker that stopped beating an hour ago.
    await Worker.objects.acreate(id="dead:1", last_seen=timezone.now() - timedelta(hours=1))
    await Peer.objects.filter(pk=b.id).aupdate(worker="dead:1")
    assert await run("rtcpool_prune") == "Pruned 1 peer(s).\n"
    assert await a.expect("rtc:close") == {"id": b.id, "uid": b.id}
    assert not await Worker.objects.filter(id="dead:1").aexists()
