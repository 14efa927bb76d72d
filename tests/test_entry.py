"""The database side of a join survives its connection being dropped under it (a
failover, pg_terminate_backend): once more on a new connection, with the same peer id."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError, connection, connections

from rtcpool_django import entry
from rtcpool_django.models import Peer, Pool


def test_a_join_whose_connection_dropped_is_tried_once_more(transactional_db, monkeypatch):
    pool = Pool.objects.create(name="p")
    once = entry._enter_once
    attempts = []

    def dropped_first(peer):
        attempts.append(peer.id)
        if len(attempts) == 1:
            monkeypatch.setattr(connection, "is_usable", lambda: False)
            raise OperationalError("terminating connection due to administrator command")
        monkeypatch.undo()
        return once(peer)

    monkeypatch.setattr(entry, "_enter_once", dropped_first)
    peer, others = entry.enter(pool, channel_name="c", description=None, user=None, worker="w")
    assert others == [] and attempts == [peer.id, peer.id]
    assert list(Peer.objects.values_list("id", flat=True)) == [peer.id]


def test_an_error_on_a_working_connection_is_not_retried(transactional_db, monkeypatch):
    pool = Pool.objects.create(name="p")

    def failing(peer):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(entry, "_enter_once", failing)
    with pytest.raises(OperationalError):
        entry.enter(pool, channel_name="c", description=None, user=None, worker="w")
    assert not Peer.objects.exists()


class _DeadCursor:
    """A cursor whose connection dies under the batch: the batch fails, and so does
    everything sent after it."""

    description = None

    def __init__(self) -> None:
        self.executed: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params=None):
        self.executed.append(sql.strip().split()[0])
        if len(self.executed) == 1:
            raise OperationalError("terminating connection due to administrator command")
        raise InterfaceError("connection already closed")


def test_a_failed_rollback_does_not_hide_the_batchs_error(transactional_db, monkeypatch):
    pool = Pool.objects.create(name="p")
    peer = Peer(pool=pool, channel_name="c", worker="w")
    cursor = _DeadCursor()
    with monkeypatch.context() as patch, pytest.raises(OperationalError, match="administrator"):
        patch.setattr(connection, "cursor", lambda: cursor)
        entry._enter_batched(peer)
    assert cursor.executed == ["BEGIN;", "ROLLBACK"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the batched join is PostgreSQL's")
def test_a_join_batch_on_a_terminated_connection_surfaces_its_own_error(transactional_db, settings):
    settings.RTCPOOL = {"HISTORY": False}  # history's rows make joins take the ORM path
    if not entry._can_batch():
        pytest.skip("the batched join needs psycopg 3 without server-side binding")
    pool = Pool.objects.create(name="p")
    peer = Peer(pool=pool, channel_name="c", worker="w")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [(pid,)] = cursor.fetchall()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    with pytest.raises(OperationalError) as raised:
        entry._enter_batched(peer)
    # The batch's own error (the server ended the session), not the ROLLBACK's "the
    # connection is lost" (or "closed") that came after it.
    message = str(raised.value)
    assert "connection is lost" not in message and "connection is closed" not in message
    connection.close()
    assert not Peer.objects.exists()
