"""Running the ORM work of joins, departures and back-end calls off the event loop.

Channels' ``database_sync_to_async`` is thread-sensitive: every call of a process runs on
one shared thread, so a burst of joins queues behind itself even while each one mostly
waits for the database. The domain operations here are self-contained transactions that
need no particular thread, so they run on a small pool of ``DATABASE_THREADS`` threads,
each with its own database connection (closed or kept per ``CONN_MAX_AGE``, as in a
request).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from .conf import rtcpool_settings

P = ParamSpec("P")
T = TypeVar("T")

_executors: dict[str, tuple[tuple[int, int], ThreadPoolExecutor]] = {}


def _threads(lane: str) -> ThreadPoolExecutor:
    # The heartbeat has a thread of its own: a join storm queues hundreds of calls on the
    # pools' threads, and a beat stuck behind them would make a live worker look dead.
    size = rtcpool_settings.DATABASE_THREADS if lane == "pools" else 1
    key = (os.getpid(), size)
    known = _executors.get(lane)
    if known is None or known[0] != key:  # first use, a fork, or new settings
        known = _executors[lane] = (
            key,
            ThreadPoolExecutor(size, thread_name_prefix=f"rtcpool-{lane}"),
        )
    return known[1]


def _with_fresh_connection(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    # What Django does around a request: drop a connection that is broken or past its
    # CONN_MAX_AGE before and after the work.
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


async def run_in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Await ``fn(*args, **kwargs)`` run on one of the ORM threads."""
    call = functools.partial(_with_fresh_connection, fn, *args, **kwargs)
    return await sync_to_async(call, thread_sensitive=False, executor=_threads("pools"))()


async def run_in_heartbeat_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Await ``fn(*args, **kwargs)`` on the heartbeat's own thread, never queued behind the
    work of joins and departures."""
    call = functools.partial(_with_fresh_connection, fn, *args, **kwargs)
    return await sync_to_async(call, thread_sensitive=False, executor=_threads("heartbeat"))()
