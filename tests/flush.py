"""A database flush that survives being PostgreSQL's deadlock victim.

Workers shared by a module's tests keep serving while each test's database is flushed:
they process the departures of the sockets the test just closed (``membership.remove``
locks the pool's row, then reads its peers) and their heartbeats beat, prune and repair.
Django's flush is one ``TRUNCATE`` of every table, which takes ACCESS EXCLUSIVE locks
table by table in no particular order (the table names come from a set). A transaction
that holds a lock on a table the ``TRUNCATE`` has not reached yet and then asks for one
it already holds closes a cycle, and PostgreSQL aborts one side. No order of ours can
prevent it: any query that touches two tables may meet the ``TRUNCATE`` half-way.

Retrying is sound. The flush runs in one transaction, so a flush aborted as the victim
has changed nothing and its locks are gone; the other transaction then finishes (its
rows are emptied by the retry, as they would have been had it committed first), and the
retry asks for the same end state: every table empty. It cannot hang: each attempt
either completes, waits on a transaction that commits, or is told of a deadlock within
``deadlock_timeout``; and the attempts are bounded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import OperationalError
from django.db.backends.base.operations import BaseDatabaseOperations

ATTEMPTS = 5
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE for a deadlock victim


def is_deadlock(exc: BaseException) -> bool:
    """Whether ``exc`` is PostgreSQL aborting this session to break a deadlock."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == DEADLOCK_DETECTED


def retrying(execute_sql_flush: Callable[..., Any]) -> Callable[..., Any]:
    """``execute_sql_flush``, run again (up to ``ATTEMPTS`` times) when it lost a deadlock."""

    @functools.wraps(execute_sql_flush)
    def flush(self: BaseDatabaseOperations, sql_list: list[str]) -> Any:
        for _ in range(ATTEMPTS - 1):
            try:
                return execute_sql_flush(self, sql_list)
            except OperationalError as exc:
                if not is_deadlock(exc):
                    raise
        return execute_sql_flush(self, sql_list)

    return flush


@pytest.fixture(scope="session", autouse=True)
def _flush_survives_deadlocks() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            BaseDatabaseOperations,
            "execute_sql_flush",
            retrying(BaseDatabaseOperations.execute_sql_flush),
        )
        yield
