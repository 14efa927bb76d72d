"""Any end of a consumer departs, exactly once (DESIGN rule 5): no ghost, ever.

A ghost is a peer row whose socket is gone: the rest of its pool keeps negotiating with
it, and every new joiner is told to wait for it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from django.utils import timezone

from rtcpool_django import pools
from rtcpool_django.heartbeat import heartbeat
from rtcpool_django.models import Peer, Pool, Worker
from rtcpool_django.registry import registry

from .conftest import wait_for


@pytest.fixture
def failing_receive(monkeypatch):
    """channels to poison: the layer's receive raises for them on their next message,
    as channels_redis does when Redis goes away under a consumer's receive loop."""
    layer = get_channel_layer()
    receive = layer.receive
    poisoned: set[str] = set()

    async def maybe_failing(channel):
        message = await receive(channel)
        if channel in poisoned:
            raise ConnectionError("Error while reading from the channel layer")
        return message

    monkeypatch.setattr(layer, "receive", maybe_failing)
    return poisoned


async def ids() -> set[str]:
    return {str(pk) async for pk in Peer.objects.values_list("id", flat=True)}


async def test_a_consumer_killed_by_the_layer_failing_departs(failing_receive, connect):
    a, b = await connect(), await connect()
    await a.join("p")
    await b.join("p")
    await a.expect("rtc:peer")
    b_channel = await Peer.objects.values_list("channel_name", flat=True).aget(pk=b.id)

    failing_receive.add(b_channel)
    await a.send("rtc:candidate", {"for": b.id, "candidate": None})  # wakes b's receive
    with pytest.raises(ConnectionError):
        await b.communicator.wait(2)
    b.closed = True

    assert (await a.expect("rtc:close"))["id"] == b.id
    assert await ids() == {a.id}
    await a.nothing()


async def test_a_departure_that_fails_is_pruned_by_the_next_heartbeat(connect, monkeypatch):
    a, b = await connect(), await connect()
    await a.join("p")
    await b.join("p")
    await a.expect("rtc:peer")
    leave = pools.aleave

    async def database_down(peer_id):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(pools, "aleave", database_down)
    await b.close()
    assert await ids() == {a.id, b.id}  # the ghost, for now
    monkeypatch.setattr(pools, "aleave", leave)

    await heartbeat.tick()
    assert await ids() == {a.id}
    assert (await a.expect("rtc:close"))["id"] == b.id
    await a.nothing()


async def test_the_heartbeat_leaves_peers_of_open_connections_alone(connect):
    a, b = await connect(), await connect()
    await a.join("p")
    await b.join("p")
    await heartbeat.tick()
    assert await ids() == {a.id, b.id}
    await a.expect("rtc:peer")
    await a.nothing()


async def test_an_idle_worker_prunes_the_peers_of_a_dead_one(live_worker):
    """A worker with no connection at all still beats and prunes."""
    pool = await Pool.objects.acreate(name="p")
    long_ago = timezone.now() - timedelta(seconds=60)
    await Worker.objects.acreate(id="dead-worker", last_seen=long_ago)
    ghost = await Peer.objects.acreate(pool=pool, channel_name="specific.x!y", worker="dead-worker")
    live_worker(extra_env={"RTCPOOL_HEARTBEAT_INTERVAL": "0.2", "RTCPOOL_WORKER_TIMEOUT": "1"})

    async def ghost_and_its_worker_gone() -> bool:
        # The prune removes the peers first and the worker's row after them: a check of
        # the row made as soon as the peer is gone can fall between the two.
        return not (
            await Peer.objects.filter(pk=ghost.pk).aexists()
            or await Worker.objects.filter(id="dead-worker").aexists()
        )

    await wait_for(ghost_and_its_worker_gone, timeout=30)


async def test_a_join_landing_during_the_orphan_check_is_not_taken_for_an_orphan(
    connect, monkeypatch
):
    """The open connections are consulted after the database read: a connection that opens
    and joins while the heartbeat reads is not pruned (a copy taken before would be)."""
    a = await connect()
    await a.join("p")
    a_channel = await Peer.objects.values_list("channel_name", flat=True).aget(pk=a.id)
    live: dict[str, object] = {}  # a's connection "opens" during the read below
    run = pools.run_in_thread
    calls = 0

    async def read_then_connect(fn, *args, **kwargs):
        nonlocal calls
        calls += 1
        result = await run(fn, *args, **kwargs)
        if calls == 1:
            live[a_channel] = object()
        return result

    monkeypatch.setattr(pools, "run_in_thread", read_then_connect)
    assert await pools.aprune_orphans(registry.worker_id, live) == 0
    assert await ids() == {a.id}


async def test_the_layer_keeps_nothing_for_a_consumer_that_has_ended(connect):
    # A notice that crosses a departure (sent to the leaver's channel after it stopped
    # reading) is dropped at once, not queued in the worker until it expires.
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    assert (await a.expect("rtc:peer"))["id"] == b.id
    b_channel = await Peer.objects.values_list("channel_name", flat=True).aget(pk=b.id)
    layer = get_channel_layer()
    await b.close()
    await layer.send(b_channel, {"type": "rtcpool.peer", "pool": 1, "id": "late"})
    assert b_channel not in layer.channels
    assert (await a.expect("rtc:close"))["id"] == b.id
