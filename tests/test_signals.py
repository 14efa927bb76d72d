"""peer_joined, peer_left (each reason), pool_closed, description_changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rtcpool_django import pools, signals
from rtcpool_django.models import Peer, Pool, Worker


@pytest.fixture
def received():
    """Everything each rtcpool signal sent during the test, as (signal name, kwargs)."""
    log: list[tuple[str, dict]] = []
    receivers = {}
    for name in ("peer_joined", "peer_left", "pool_closed", "description_changed"):

        def receiver(sender, signal, _name=name, **kwargs):
            log.append((_name, {"sender": sender, **kwargs}))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    yield log
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


async def test_peer_joined_and_left(connect, received):
    a = await connect()
    await a.join("room")
    [(name, kwargs)] = received
    assert name == "peer_joined" and kwargs["sender"] is Peer
    assert str(kwargs["peer"].id) == a.id and kwargs["pool"].name == "room"
    # Sent after the commit: the row is there for a receiver to read.
    assert await Peer.objects.filter(pk=a.id).aexists()

    received.clear()
    await a.close()
    assert received == [
        ("peer_left", {"sender": Peer, "peer_id": a.id, "pool": kwargs["pool"], "reason": "left"})
    ]


async def test_peer_left_when_kicked(connect, received):
    a = await connect()
    await a.join("room")
    received.clear()
    await pools.akick(a.id)
    [(name, kwargs)] = received
    assert (name, kwargs["peer_id"], kwargs["reason"]) == ("peer_left", a.id, "kicked")
    await a.communicator.receive_output()
    await a.close()
    assert len(received) == 1  # the socket closing afterwards is not a second departure


async def test_pool_closed_and_peer_left_closed(connect, received):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    received.clear()
    await pools.aclose_pool("room")
    names = [name for name, _ in received]
    assert names == ["pool_closed", "peer_left", "peer_left"]
    assert received[0][1]["sender"] is Pool and received[0][1]["pool"].name == "room"
    assert not received[0][1]["pool"].is_open
    assert {kw["peer_id"] for _, kw in received[1:]} == {a.id, b.id}
    assert {kw["reason"] for _, kw in received[1:]} == {"closed"}


async def test_peer_left_when_pruned(connect, received):
    a = await connect()
    await a.join("room")
    received.clear()
    # Its worker has been silent for an hour: dead.
    await Worker.objects.all().aupdate(last_seen=timezone.now() - timedelta(hours=1))
    assert await pools.aprune_dead_workers(timeout=60) == 1
    [(name, kwargs)] = received
    assert (name, kwargs["peer_id"], kwargs["reason"]) == ("peer_left", a.id, "pruned")


async def test_description_changed(connect, received):
    a = await connect()
    await a.join("room")
    received.clear()
    await pools.adescribe(a.id, {"name": "Ada"})
    [(name, kwargs)] = received
    assert name == "description_changed" and kwargs["sender"] is Peer
    assert str(kwargs["peer"].id) == a.id
    assert kwargs["description"] == kwargs["peer"].description == {"name": "Ada"}
