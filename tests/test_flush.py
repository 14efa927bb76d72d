"""The test suite's flush survives PostgreSQL choosing it as a deadlock victim."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from rtcpool_django.models import Peer, Pool

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a TRUNCATE deadlock is PostgreSQL's"
)


def blocked(pid: int) -> bool:
    """Whether backend ``pid`` waits for a lock."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)", [pid]
        )
        return cursor.fetchone()[0]


def test_a_flush_aborted_as_the_deadlock_victim_is_retried(transactional_db):
    pool = Pool.objects.create(name="room")
    Peer.objects.create(pool=pool, channel_name="specific.x")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        flusher = cursor.fetchone()[0]
        # The flush notices the deadlock first and so is the one PostgreSQL aborts.
        cursor.execute("SET deadlock_timeout = '3s'")
    holding, done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def other_session() -> None:
        # Like membership.remove: a lock on pools, then a read of peers, in one
        # transaction; the TRUNCATE below takes the tables the other way round.
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL deadlock_timeout = '60s'")
                Pool.objects.select_for_update().get(pk=pool.pk)
                holding.set()
                deadline = time.monotonic() + 30
                while not blocked(flusher):
                    assert time.monotonic() < deadline, "the flush never waited on us"
                    time.sleep(0.01)
                assert Peer.objects.count() == 1
        except BaseException as exc:  # reported by the test's thread
            failures.append(exc)
        finally:
            holding.set()
            connection.close()
            done.set()

    thread = threading.Thread(target=other_session)
    thread.start()
    try:
        assert holding.wait(30)
        connection.ops.execute_sql_flush(
            ['TRUNCATE "rtcpool_django_peer", "rtcpool_django_pool" CASCADE']
        )
    finally:
        thread.join(60)
        with connection.cursor() as cursor:
            cursor.execute("RESET deadlock_timeout")
    assert done.is_set() and failures == []  # the other session won the deadlock...
    assert not Pool.objects.exists() and not Peer.objects.exists()  # ...and the flush ran
