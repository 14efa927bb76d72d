"""The database side of joins (rtcpool_django.entry): a batch enters in one transaction
(one round trip on PostgreSQL), discovery inside it is exactly-once, and each join is
refused or fails on its own, never taking its batch with it. Also: a batch whose
connection dropped is tried once more on a new connection, with the same peer ids."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import OperationalError, connection, connections
from django.utils import timezone

from rtcpool_django import entry
from rtcpool_django.models import Peer, Pool
from rtcpool_django.protocol import ProtocolError


def admitted(pool_name: str, *, channel: str | None = None, creates: bool = False, **kwargs):
    peer = Peer(
        id=uuid.uuid4(),
        channel_name=channel or f"chan-{uuid.uuid4().hex[:8]}",
        description=kwargs.pop("description", None),
        joined=timezone.now(),
        worker="w",
    )
    assumed = Pool(name=pool_name, **kwargs) if creates else None
    return entry.Entry(peer=peer, pool_name=pool_name, assumed=assumed)


def reasons(outcomes):
    return [type(o).__name__ if not isinstance(o, ProtocolError) else o.reason for o in outcomes]


def test_a_batch_is_exactly_once_discovery_in_arrival_order(transactional_db):
    pool = Pool.objects.create(name="p")
    there = Peer.objects.create(pool=pool, channel_name="there", worker="w")
    batch = [admitted("p", channel=f"c{n}") for n in range(3)]
    outcomes = entry.enter_many(batch)
    assert reasons(outcomes) == ["Entered"] * 3
    ids = [o.peer.id for o in outcomes]
    # Each is told of those before it (it is the polite side), never of those after it.
    assert [[pk for pk, _, _ in o.others] for o in outcomes] == [
        [there.id],
        [there.id, ids[0]],
        [there.id, ids[0], ids[1]],
    ]
    assert [channel for _, channel, _ in outcomes[2].others] == ["there", "c0", "c1"]
    assert set(Peer.objects.values_list("id", flat=True)) == {there.id, *ids}


def test_each_join_of_a_batch_is_refused_on_its_own(transactional_db):
    Pool.objects.create(name="closed", is_open=False)
    small = Pool.objects.create(name="small", max_peers=2)
    Peer.objects.create(pool=small, channel_name="there", worker="w")
    Pool.objects.create(name="secret", private=True)
    batch = [
        admitted("closed"),
        admitted("small"),  # the last seat
        admitted("missing"),  # gone since admission found it
        admitted("small"),  # full by now: the join before it took the seat
        admitted("new", creates=True),
        admitted("secret", creates=True),  # created meanwhile, not as admission assumed
        admitted("new", creates=True),
    ]
    outcomes = entry.enter_many(batch)
    assert reasons(outcomes) == [
        "pool_closed",
        "Entered",
        "pool_not_found",
        "pool_full",
        "Entered",
        "Readmit",
        "Entered",
    ]
    assert outcomes[5].pool.private and outcomes[5].pool.name == "secret"
    new = Pool.objects.get(name="new")
    assert not new.private and new.max_peers is None
    assert [pk for pk, _, _ in outcomes[6].others] == [batch[4].peer.id]
    assert Peer.objects.filter(pool=small).count() == 2
    assert Peer.objects.filter(pool__name="secret").count() == 0


def test_a_row_the_database_refuses_fails_its_own_join_only(transactional_db):
    Pool.objects.create(name="p")
    bad = admitted("p", description={"not json": object()})
    batch = [admitted("p"), bad, admitted("p")]
    outcomes = entry.enter_many(batch)
    assert reasons(outcomes) == ["Entered", "TypeError", "Entered"]
    assert [pk for pk, _, _ in outcomes[2].others] == [batch[0].peer.id]
    assert Peer.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-batch path")
def test_on_postgresql_a_batch_is_one_round_trip(transactional_db, settings):
    settings.RTCPOOL = {"HISTORY": False}  # history's rows make the batch take the ORM path
    Pool.objects.create(name="a", max_peers=5)
    connection.ensure_connection()
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        outcomes = entry.enter_many(
            [admitted("a"), admitted("b", creates=True), admitted("a"), admitted("b", creates=True)]
        )
    assert reasons(outcomes) == ["Entered"] * 4
    assert len(statements) == 1
    # Stable lock order between workers: pools by id, created pools by name.
    assert "ORDER BY id FOR UPDATE" in statements[0]


def test_a_batch_whose_connection_dropped_is_tried_once_more(transactional_db, monkeypatch):
    Pool.objects.create(name="p")
    once = entry._enter_once
    attempts = []

    def dropped_first(entries):
        attempts.append([e.peer.id for e in entries])
        if len(attempts) == 1:
            monkeypatch.setattr(connection, "is_usable", lambda: False)
            raise OperationalError("terminating connection due to administrator command")
        monkeypatch.undo()
        return once(entries)

    monkeypatch.setattr(entry, "_enter_once", dropped_first)
    batch = [admitted("p"), admitted("p")]
    outcomes = entry.enter_many(batch)
    assert reasons(outcomes) == ["Entered", "Entered"]
    ids = [e.peer.id for e in batch]
    assert attempts == [ids, ids]
    assert set(Peer.objects.values_list("id", flat=True)) == set(ids)


def test_an_error_on_a_working_connection_is_not_retried(transactional_db, monkeypatch):
    Pool.objects.create(name="p")
    attempts = []

    def failing(entries):
        attempts.append(len(entries))
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(entry, "_enter_once", failing)
    outcomes = entry.enter_many([admitted("p")])
    assert reasons(outcomes) == ["OperationalError"] and attempts == [1]
    assert not Peer.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections")
def test_two_batches_into_the_same_pools_at_once_neither_deadlock_nor_miss(transactional_db):
    # As two workers batching joins of the same pools: one batch creates the pools, in
    # the other order; every pair of peers of a pool must be discovered exactly once.
    names = [f"p{n}" for n in range(6)]
    batches = [
        [admitted(name, creates=True) for name in names for _ in range(3)],
        [admitted(name, creates=True) for name in reversed(names) for _ in range(3)],
    ]
    outcomes: list = [None, None]
    start = threading.Barrier(2)

    def run(n: int) -> None:
        try:
            start.wait()
            outcomes[n] = entry.enter_many(batches[n])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    entered = [o for batch in outcomes for o in batch]
    assert reasons(entered) == ["Entered"] * 36
    told = {(o.peer.id, pk) for o in entered for pk, _, _ in o.others}
    for name in names:
        members = [o.peer.id for o in entered if o.pool.name == name]
        assert len(members) == 6
        for x in members:
            for y in members:
                if x != y:
                    assert ((x, y) in told) != ((y, x) in told), (name, x, y)


def test_an_entered_peer_is_a_saved_instance(transactional_db):
    # Signal receivers get it: saving it again must update its row, not insert another.
    Pool.objects.create(name="p")
    [outcome] = entry.enter_many([admitted("p")])
    outcome.peer.description = {"name": "Ada"}
    outcome.peer.save()
    assert Peer.objects.get().description == {"name": "Ada"}
