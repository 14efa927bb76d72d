"""peer_joined, peer_left (each reason), pool_closed, description_changed."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from rtcpool_django import membership, pools, signals
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


# --- sent once the change is committed -------------------------------------------------


class RolledBack(Exception):
    pass


def _two_peers() -> tuple[Pool, Peer, Peer]:
    pool = Pool.objects.create(name="room")
    Worker.objects.create(id="gone", last_seen=timezone.now() - timedelta(hours=1))
    a = Peer.objects.create(pool=pool, channel_name="a!chan", worker="gone")
    b = Peer.objects.create(pool=pool, channel_name="b!chan", worker="gone")
    return pool, a, b


# Each sync operation a site (or the admin, inside its atomic views) calls, with the
# signals it sends.
OPERATIONS = {
    "describe": (lambda pool, a: pools.describe(a, {"name": "Ada"}), ["description_changed"]),
    "kick": (lambda pool, a: pools.kick(a), ["peer_left"]),
    "leave": (lambda pool, a: pools.leave(a), ["peer_left"]),
    "close_pool": (
        lambda pool, a: pools.close_pool(pool),
        ["pool_closed", "peer_left", "peer_left"],
    ),
    "prune_dead_workers": (
        lambda pool, a: pools.prune_dead_workers(timeout=60),
        ["peer_left", "peer_left"],
    ),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_change_rolled_back_sends_no_signal(transactional_db, received, operation):
    call, _ = OPERATIONS[operation]
    pool, a, _ = _two_peers()
    with pytest.raises(RolledBack), transaction.atomic():
        call(pool, a)
        raise RolledBack
    assert received == []
    assert Peer.objects.count() == 2 and Peer.objects.get(pk=a.pk).description is None


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_signal_waits_for_the_callers_commit(transactional_db, received, operation):
    call, names = OPERATIONS[operation]
    pool, a, _ = _two_peers()
    with transaction.atomic():
        call(pool, a)
        assert received == []  # not committed yet: a receiver would read the old rows
    assert [name for name, _ in received] == names


def test_a_join_rolled_back_sends_no_peer_joined(transactional_db, received):
    Pool.objects.create(name="room")
    with pytest.raises(RolledBack), transaction.atomic():
        membership.join("room", "a!chan", "w", {"user": None})
        raise RolledBack
    assert received == [] and not Peer.objects.exists()
    membership.join("room", "a!chan", "w", {"user": None})
    assert [name for name, _ in received] == ["peer_joined"]


async def test_a_failing_receiver_stops_neither_the_others_nor_the_notices(
    connect, received, caplog
):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    received.clear()

    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    signals.peer_left.connect(broken)
    try:
        with caplog.at_level(logging.ERROR, logger="django.dispatch"):
            assert await pools.akick(b.id) is True  # committed: the call succeeded
    finally:
        signals.peer_left.disconnect(broken)
    await a.expect("rtc:peer")
    assert (await a.expect("rtc:close"))["id"] == b.id
    assert [kwargs["peer_id"] for _, kwargs in received] == [b.id]
    assert "receiver bug" in caplog.text
