"""Joins that arrive while a batch is in flight go together (group commit), and inside that
one batch discovery is still exactly-once and each refusal stays with its own join.

The batch is forced deterministically: the first join's database call is held until the
others have been sent, so they queue behind it and go as the next batch."""

from __future__ import annotations

import threading

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from rtcpool_django import membership, pools
from rtcpool_django.models import Peer, Pool

from .conftest import wait_for


async def test_one_batch_is_exactly_once_discovery_and_each_refusal_its_own(connect, monkeypatch):
    await sync_to_async(Pool.objects.create)(name="closed", is_open=False)
    await sync_to_async(Pool.objects.create)(name="small", max_peers=1)
    held, batches = threading.Event(), []
    join_many = membership.join_many

    def holding(requests):
        batches.append([r.requested for r in requests])
        if len(batches) == 1:
            held.wait(10)
        return join_many(requests)

    monkeypatch.setattr(membership, "join_many", holding)
    first = await connect()
    await first.send("rtc:join", {"pool": "room"})
    await wait_for(lambda: _true(batches))  # the first batch is in flight, held
    names = ["room", "closed", "small", "vip-lounge", "small", "room", "room"]
    clients = [await connect() for _ in names]
    with override_settings(RTCPOOL={"ADMIT_PEER": "tests.policies.only_staff_in_vip"}):
        for n, (client, name) in enumerate(zip(clients, names, strict=True)):
            await client.send("rtc:join", {"pool": name})
            # Queued behind the held batch, in this order.
            await wait_for(lambda n=n: _true(pools._joins.queued() == n + 1))
        held.set()
        a = await first.expect("rtc:joined")
        b, closed, small, vip, full, c, d = clients
        joined = {}
        for client in (b, small, c, d):
            joined[client] = await client.expect("rtc:joined")
            client.id = joined[client]["client_id"]
        await closed.error("pool_closed")
        await vip.error("forbidden")
        await full.error("pool_full")
    assert batches == [["room"], names]  # the seven went as one batch

    # Inside the batch, each is told of those before it; they get rtc:peer of it.
    assert joined[b]["peers"] == [a["client_id"]]
    assert joined[c]["peers"] == [a["client_id"], b.id]
    assert joined[d]["peers"] == [a["client_id"], b.id, c.id]
    assert [(await first.expect("rtc:peer"))["id"] for _ in range(3)] == [b.id, c.id, d.id]
    assert [(await b.expect("rtc:peer"))["id"] for _ in range(2)] == [c.id, d.id]
    assert (await c.expect("rtc:peer"))["id"] == d.id
    assert joined[small]["peers"] == []
    for client in (first, b, c, d, small, closed, vip, full):
        await client.nothing()
    # The refused ones changed nothing; a refused join is still free to join elsewhere.
    assert await sync_to_async(Peer.objects.count)() == 5
    assert (await full.join("room"))["peers"] == [a["client_id"], b.id, c.id, d.id]


async def test_a_lone_join_waits_for_no_batch(connect, monkeypatch):
    calls = []
    join_many = membership.join_many

    def counted(requests):
        calls.append(len(requests))
        return join_many(requests)

    monkeypatch.setattr(membership, "join_many", counted)
    client = await connect()
    await client.join("alone")
    assert calls == [1]
    assert pools._joins.batches_in_flight() == 0


async def test_departures_that_arrive_together_are_told_once_each(connect, monkeypatch):
    clients = [await connect() for _ in range(6)]
    for client in clients:
        await client.join("class")
    for client in clients:
        await client.drain()
    held, batches = threading.Event(), []
    remove_each = membership.remove_each

    def holding(departures):
        batches.append(sorted(peer_id for peer_id, _ in departures))
        if len(batches) == 1:
            held.wait(10)
        return remove_each(departures)

    monkeypatch.setattr(membership, "remove_each", holding)
    leavers, stayers = clients[0::2], clients[1::2]
    await hang_up(leavers[0])
    await wait_for(lambda: _true(batches))
    for n, leaver in enumerate(leavers[1:]):
        await hang_up(leaver)
        await wait_for(lambda n=n: _true(pools._departures.queued() == n + 1))
    held.set()
    await wait_for(lambda: _true(len(batches) == 2))
    assert batches == [[leavers[0].id], sorted(leaver.id for leaver in leavers[1:])]
    for stayer in stayers:
        closes = [(await stayer.expect("rtc:close"))["id"] for _ in leavers]
        assert sorted(closes) == sorted(leaver.id for leaver in leavers)
        await stayer.nothing()
    for leaver in leavers:
        await leaver.communicator.wait(timeout=5)


async def hang_up(client) -> None:
    """The client goes away; unlike close(), this does not wait for its departure."""
    client.closed = True
    await client.communicator.send_input({"type": "websocket.disconnect", "code": 1000})


async def _true(value) -> bool:
    return bool(value)


@pytest.mark.django_db(transaction=True)
def test_a_failed_shared_read_of_a_batch_fails_only_the_join_whose_own_read_fails(monkeypatch):
    # The batch reads its pools once (admission.admit_many); should that read fail on a
    # live connection, each join is read on its own and only the one that fails fails.
    from django.db import OperationalError

    admit_many = membership.admit_many
    reads = []

    def failing(joins):
        reads.append([requested for requested, _, _ in joins])
        if any(requested == "broken" for requested, _, _ in joins):
            Pool.objects.count()  # it reached the database, which answered with an error
            raise OperationalError("a read of this join fails")
        return admit_many(joins)

    monkeypatch.setattr(membership, "admit_many", failing)
    names = ["room", "broken", "room"]
    requests = [
        membership.JoinRequest(name, f"c{n}!chan", "w", {"user": None})
        for n, name in enumerate(names)
    ]
    first, broken, last = membership.join_many(requests)
    assert reads == [names, ["room"], ["broken"], ["room"]]
    assert isinstance(broken, OperationalError)
    assert first[0].roster == {} and list(last[0].roster) == [first[0].peer_id]
    assert Peer.objects.count() == 2
