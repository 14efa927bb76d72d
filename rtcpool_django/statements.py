"""Several SQL statements in one round trip: what the join and departure transactions use
on PostgreSQL (psycopg 3 with client-side binding, Django's default for it), where a
transaction sent as one batch holds its row locks only inside the server, never across a
Python thread waiting for the GIL. And :func:`update_rows`, many rows' own values saved
in one call, on every database."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

logger = logging.getLogger("rtcpool_django")


def can_batch() -> bool:
    """Whether this thread's connection takes several statements in one ``execute``."""
    if connection.vendor != "postgresql" or not connection.get_autocommit():
        return False
    try:
        import psycopg
    except ImportError:  # psycopg2: one statement per execute
        return False
    connection.ensure_connection()
    return not connection.settings_dict["OPTIONS"].get("server_side_binding") and isinstance(
        connection.connection, psycopg.Connection
    )


def execute_batch(sql: str, params: list[Any]) -> list[list[tuple[Any, ...]]]:
    """Run ``sql`` (statements separated by ``;``, a transaction of its own) in one round
    trip; the rows of each statement, in order (empty for those that return none)."""
    return [rows or [] for rows, _ in execute_counted(sql, params)]


def execute_counted(
    sql: str, params: list[Any] | dict[str, Any]
) -> list[tuple[list[Any] | None, int]]:
    """:func:`execute_batch`, with each statement's row count: ``(rows, rowcount)`` per
    statement, ``rows`` None for a statement that returns none."""
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, params)
            results = []
            while True:
                rows = list(cursor.fetchall()) if cursor.description else None
                results.append((rows, cursor.rowcount))
                if not cursor.nextset():
                    break
        except BaseException:
            # A statement failed (the batch stopped there, inside its transaction): end it.
            # On a connection that died with the batch the ROLLBACK fails too; the batch's
            # error is the one to see (and the one a retry goes by), so it is raised.
            try:
                cursor.execute("ROLLBACK")
            except Exception as exc:
                logger.debug("rtcpool: ROLLBACK after a failed batch failed: %r", exc)
            raise
    return results


def column(field: Field[Any, Any]) -> str:
    """The database column of a concrete field."""
    assert field.column is not None
    return field.column


def update_rows(rows: Sequence[Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of each of ``rows`` (saved instances of one model), as
    ``QuerySet.bulk_update`` does: one ``UPDATE ... WHERE pk = %s`` sent for all of them
    in one ``executemany``, without the ``CASE`` expression of one branch per row and
    field that ``bulk_update`` builds and resolves in Python (most of a departure batch's
    time in the worker, for the stays of 500 leavers)."""
    if not rows:
        return
    meta = rows[0]._meta
    pk = meta.pk
    assert pk is not None and pk.column is not None
    quote = connection.ops.quote_name
    saved = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(column(f))} = %s" for f in saved)  # type: ignore[arg-type]
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in saved]  # type: ignore[union-attr]
        + [pk.get_db_prep_value(row.pk, connection)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
