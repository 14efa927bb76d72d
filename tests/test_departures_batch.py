"""The database side of departures (rtcpool_django.departures): peers of several pools
leave in one transaction (one round trip on PostgreSQL), each is reported removed at most
once, and the channels that stay are exactly the rest of its pool."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections

from rtcpool_django.departures import depart_many
from rtcpool_django.models import Peer, Pool


def peers(pool: Pool, *channels: str) -> list[Peer]:
    return [Peer.objects.create(pool=pool, channel_name=c, worker="w") for c in channels]


def test_a_batch_removes_peers_of_several_pools_and_names_who_stays(transactional_db):
    a, b = Pool.objects.create(name="a"), Pool.objects.create(name="b")
    a1, a2, a3 = peers(a, "a1", "a2", "a3")
    b1, b2 = peers(b, "b1", "b2")
    departed = depart_many([a1.id, str(a2.id), b1.id, a1.id, uuid.uuid4()])
    by_id = {d.peer_id: d for d in departed}
    assert set(by_id) == {str(a1.id), str(a2.id), str(b1.id)}
    # Leavers of one batch do not hear of each other: they are all gone.
    assert by_id[str(a1.id)].staying == ["a3"] and by_id[str(a2.id)].staying == ["a3"]
    assert by_id[str(b1.id)].staying == ["b2"] and by_id[str(b1.id)].channel == "b1"
    assert by_id[str(b1.id)].pool == b
    assert set(Peer.objects.values_list("id", flat=True)) == {a3.id, b2.id}


def test_a_peer_already_removed_is_not_reported_again(transactional_db):
    pool = Pool.objects.create(name="p")
    gone, _ = peers(pool, "gone", "stays")
    assert [d.peer_id for d in depart_many([gone.id])] == [str(gone.id)]
    assert depart_many([gone.id]) == []
    assert depart_many([]) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-batch path")
def test_on_postgresql_a_batch_is_one_round_trip(transactional_db, settings):
    settings.RTCPOOL = {"HISTORY": False}  # history's rows make the batch take the ORM path
    a, b = Pool.objects.create(name="a"), Pool.objects.create(name="b")
    leavers = peers(a, "a1", "a2") + peers(b, "b1")
    connection.ensure_connection()
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert len(depart_many([p.id for p in leavers])) == 3
    assert len(statements) == 1 and "ORDER BY id FOR UPDATE" in statements[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections")
def test_two_removals_of_the_same_peers_at_once_report_each_peer_once(transactional_db):
    pools = [Pool.objects.create(name=f"p{n}") for n in range(4)]
    everyone = [p for pool in pools for p in peers(pool, *(f"{pool.name}-{n}" for n in range(5)))]
    ids = [p.id for p in everyone]
    reported: list[str] = []
    start = threading.Barrier(2)

    def remove(order: list[uuid.UUID]) -> None:
        try:
            start.wait()
            reported.extend(d.peer_id for d in depart_many(order))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=remove, args=(ids,)),
        threading.Thread(target=remove, args=(list(reversed(ids)),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(reported) == sorted(str(pk) for pk in ids)
    assert not Peer.objects.exists()
