"""The ORM threads: their connection handling (what Django does around a request, but
with ``CONN_HEALTH_CHECKS`` pings at most once per interval instead of before every
call), and a change of ``DATABASE_THREADS`` replacing the pool and ending the old one."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test import override_settings

from rtcpool_django import database
from rtcpool_django.models import Pool


@pytest.fixture
def persistent_checked_connection(transactional_db, monkeypatch):
    """This thread's connection as with CONN_MAX_AGE=None and CONN_HEALTH_CHECKS=True;
    returns the list of health-check pings it gets."""
    connection = connections["default"]
    connection.ensure_connection()
    monkeypatch.setattr(connection, "close_at", None)
    monkeypatch.setattr(connection, "health_check_enabled", True)
    pings = []
    is_usable = type(connection).is_usable

    def counted(self):
        pings.append(1)
        return is_usable(self)

    monkeypatch.setattr(type(connection), "is_usable", counted)
    yield pings
    connection.close()


def test_a_connection_is_health_checked_at_most_once_per_interval(
    persistent_checked_connection, monkeypatch
):
    pings = persistent_checked_connection
    clock = [1000.0]
    monkeypatch.setattr(database.time, "monotonic", lambda: clock[0])
    assert database.HEALTH_CHECK_INTERVAL > 0  # by default: a lone join pays no ping
    for _ in range(20):
        database._with_fresh_connection(Pool.objects.count)
    assert len(pings) == 1
    clock[0] += database.HEALTH_CHECK_INTERVAL
    for _ in range(20):
        database._with_fresh_connection(Pool.objects.count)
    assert len(pings) == 2


def test_a_connection_that_had_an_error_is_checked_before_its_next_call(
    persistent_checked_connection, monkeypatch
):
    pings = persistent_checked_connection
    connection = connections["default"]
    monkeypatch.setattr(database.time, "monotonic", lambda: 1000.0)
    monkeypatch.setattr(database, "HEALTH_CHECK_INTERVAL", 1.0)
    database._with_fresh_connection(Pool.objects.count)
    database._with_fresh_connection(Pool.objects.count)
    checks = len(pings)
    connection.errors_occurred = True  # what a failed query leaves behind
    database._with_fresh_connection(Pool.objects.count)
    assert len(pings) == checks + 1
    assert not connection.errors_occurred


def test_a_connection_past_its_max_age_is_closed(transactional_db):
    connection = connections["default"]
    connection.ensure_connection()
    connection.close_at = 0.0  # long past
    database.close_old_connections()
    assert connection.connection is None


def test_new_settings_shut_the_replaced_threads_down():
    with override_settings(RTCPOOL={"DATABASE_THREADS": 2}):
        old = database._threads("pools")
        thread = old.submit(threading.current_thread).result()
    new = database._threads("pools")  # DATABASE_THREADS is back to its default
    assert new is not old
    with pytest.raises(RuntimeError):
        old.submit(int)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert new.submit(lambda: 42).result() == 42


def test_after_a_fork_the_parents_threads_are_left_alone(monkeypatch):
    # A forked child has none of the parent's threads, and the old executor's lock may
    # have been held by one of them at the fork: shutting it down could hang forever.
    old = database._threads("heartbeat")
    pid = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: pid + 1)
    try:
        assert database._threads("heartbeat") is not old
        assert old.submit(lambda: 42).result() == 42  # not shut down
    finally:
        old.shutdown()
        monkeypatch.undo()
        database._executors.pop("heartbeat")


def test_a_call_whose_connection_was_dropped_runs_once_more(transactional_db, monkeypatch):
    connection = connections["default"]
    calls = []

    def dropped_first():
        calls.append(1)
        Pool.objects.exists()  # the connection is open, then dies
        if len(calls) == 1:
            monkeypatch.setattr(connection, "is_usable", lambda: False)
            raise OperationalError("terminating connection due to administrator command")
        monkeypatch.undo()
        return Pool.objects.count()

    assert database._with_fresh_connection(dropped_first) == 0
    assert len(calls) == 2


def test_an_error_on_a_working_connection_is_not_run_again(transactional_db):
    calls = []

    def failing():
        calls.append(1)
        Pool.objects.exists()
        raise OperationalError("deadlock detected")

    with pytest.raises(OperationalError):
        database._with_fresh_connection(failing)
    assert len(calls) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_terminate_backend")
def test_a_transaction_whose_connection_was_terminated_runs_once_more(
    persistent_checked_connection, monkeypatch
):
    """A real drop inside an atomic block, between health checks: Django closes the broken
    connection and opens a new one before the error reaches the caller, so the new one
    being usable must not pass for the failed one having been fine."""
    monkeypatch.setattr(database.time, "monotonic", lambda: 1000.0)  # no check is due
    calls = []

    def in_a_transaction():
        connection.ensure_connection()
        calls.append(connection.connection.info.backend_pid)
        with transaction.atomic():
            return Pool.objects.select_for_update().count()

    def terminate(pid: int) -> None:  # from another thread, on its own connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        connection.close()

    assert database._with_fresh_connection(in_a_transaction) == 0
    killer = threading.Thread(target=terminate, args=(calls[0],))
    killer.start()
    killer.join()
    assert database._with_fresh_connection(in_a_transaction) == 0
    assert calls[1] == calls[0] and calls[2] != calls[0]  # it failed, then ran on a new one
