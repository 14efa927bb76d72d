"""The database side of a join survives its connection being dropped under it (a
failover, pg_terminate_backend): once more on a new connection, with the same peer id."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection

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
