"""Running the ORM work of joins, departures and back-end calls off the event loop.

Channels' ``database_sync_to_async`` is thread-sensitive: every call of a process runs on
one shared thread, so a burst of joins queues behind itself even while each one mostly
waits for the database. The domain operations here are self-contained transactions that
need no particular thread, so they run on a small pool of ``DATABASE_THREADS`` threads,
each with its own database connection (closed or kept per ``CONN_MAX_AGE``, as in a
request).

Around each call, what Django does around a request: a connection that is broken or past
its ``CONN_MAX_AGE`` is dropped. Except for one thing: with ``CONN_HEALTH_CHECKS`` Django
pings a persistent connection (``SELECT 1``) at the start of every request, and a request
here is one batch of joins or departures, so the ping would be a round trip in front of
every call. So a connection is checked at most once per ``HEALTH_CHECK_INTERVAL``, and a
call that fails because its connection was dropped between checks is run once more on a
new connection.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from .conf import rtcpool_settings

P = ParamSpec("P")
T = TypeVar("T")

#: Seconds between two health checks (``CONN_HEALTH_CHECKS``) of one connection. Django pings
#: before every request; here a connection checked less than this long ago is used
#: unchecked, and a call that then finds it dropped runs once more on a new one (below), so
#: a lone join on a busy worker costs one round trip, not a ping and then its batch.
HEALTH_CHECK_INTERVAL = 1.0

_executors: dict[str, tuple[tuple[int, int], ThreadPoolExecutor]] = {}
# Per thread: database alias -> (its connection, when its health was last let be checked).
_health = threading.local()


def _threads(lane: str) -> ThreadPoolExecutor:
    # The heartbeat has a thread of its own: a join storm queues hundreds of calls on the
    # pools' threads, and a beat stuck behind them would make a live worker look dead.
    size = rtcpool_settings.DATABASE_THREADS if lane == "pools" else 1
    key = (os.getpid(), size)
    known = _executors.get(lane)
    if known is None or known[0] != key:  # first use, a fork, or new settings
        if known is not None and known[0][0] == key[0]:
            # New settings: the old threads finish the work they hold, then end. After a
            # fork the child has none of them, and the old executor's lock may have been
            # held by a parent thread at the fork: it is left be.
            known[1].shutdown(wait=False)
        known = _executors[lane] = (
            key,
            ThreadPoolExecutor(size, thread_name_prefix=f"rtcpool-{lane}"),
        )
    return known[1]


def _with_fresh_connection(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    close_old_connections()
    used = None
    try:
        try:
            connection.ensure_connection()
            used = connection.connection
            return fn(*args, **kwargs)
        except (OperationalError, InterfaceError):
            # Was it the connection's fault? Not if the connection the call used is still
            # there and answers. (An atomic block that fails on a dropped connection has
            # Django close it and, restoring autocommit, open a new one before the error
            # reaches here: a usable connection then says nothing about the one that failed.)
            if used is not None and connection.connection is used and connection.is_usable():
                raise
            # The connection was dropped (a failover, pg_terminate_backend) since its last
            # health check: each call here is one transaction, which then did not commit
            # (or, were its commit's reply all that was lost, did and is done again: the
            # operations are idempotent or, for a join, keep their peer ids; see entry).
            # So once more, on a new connection.
            connection.close()
            return fn(*args, **kwargs)
    finally:
        close_old_connections()


def close_old_connections() -> None:
    """Django's ``close_old_connections``, with health checks at most once per interval."""
    checked: dict[str, tuple[BaseDatabaseWrapper, float]] = _health.__dict__.setdefault(
        "checked", {}
    )
    now = time.monotonic()
    for conn in connections.all(initialized_only=True):
        # Resets health_check_done: the next query pings first (if CONN_HEALTH_CHECKS).
        conn.close_if_unusable_or_obsolete()
        if conn.connection is None:
            continue
        last = checked.get(conn.alias)
        if last is not None and last[0] is conn and now - last[1] < HEALTH_CHECK_INTERVAL:
            conn.health_check_done = True  # type: ignore[attr-defined]  # checked a moment ago
        else:
            checked[conn.alias] = (conn, now)


async def run_in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Await ``fn(*args, **kwargs)`` run on one of the ORM threads."""
    call = functools.partial(_with_fresh_connection, fn, *args, **kwargs)
    return await sync_to_async(call, thread_sensitive=False, executor=_threads("pools"))()


async def run_in_heartbeat_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Await ``fn(*args, **kwargs)`` on the heartbeat's own thread, never queued behind the
    work of joins and departures."""
    call = functools.partial(_with_fresh_connection, fn, *args, **kwargs)
    return await sync_to_async(call, thread_sensitive=False, executor=_threads("heartbeat"))()


async def run_in_health_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Await ``fn(*args, **kwargs)`` on the health check's own thread: a database that
    hangs holds that one thread, never the pools' or the heartbeat's."""
    call = functools.partial(_with_fresh_connection, fn, *args, **kwargs)
    return await sync_to_async(call, thread_sensitive=False, executor=_threads("health"))()


async def run_in_webhook_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Await ``fn(*args, **kwargs)`` on the webhook sender's own thread: its claims and
    settlements neither queue behind joins nor delay a heartbeat."""
    call = functools.partial(_with_fresh_connection, fn, *args, **kwargs)
    return await sync_to_async(call, thread_sensitive=False, executor=_threads("webhooks"))()
