"""The database side of a join: under the pool's row lock, read the other peers and
insert the new one, refusing a closed or full pool.

The lock is what makes discovery exactly-once across workers (DESIGN rule 1), and it is
also what a burst of joins into one pool queues on: every join of the pool waits while
the one holding it finishes. So on PostgreSQL the whole transaction is sent as one batch
of statements (BEGIN; lock; read; insert; COMMIT), one round trip in which the lock is
held only inside the server, never across a Python thread waiting for the GIL. Each
statement of the batch takes its own snapshot (READ COMMITTED), so the read sees every
peer committed by the previous holder of the lock; the attendance history and webhook
outbox rows of the join ride in the same batch (:func:`rtcpool_django.history.join_statements`).
Elsewhere (SQLite, or PostgreSQL with server-side binding, which cannot send several
statements at once) the same transaction runs through the ORM.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from . import history, webhook_queue
from .models import Peer, Pool
from .protocol import ProtocolError

logger = logging.getLogger("rtcpool_django")

Others = list[tuple[Any, str, Any]]  # (peer id, channel name, description)


def enter(
    pool: Pool, *, channel_name: str, description: Any, user: Any, worker: str
) -> tuple[Peer, Others]:
    """Insert a new peer into ``pool``; return it and the pool's other peers.

    Raises ``ProtocolError`` ``pool_closed``, ``pool_full``, or ``pool_not_found`` (the
    pool was deleted meanwhile).
    """
    peer = Peer(
        id=uuid.uuid4(),
        pool=pool,
        channel_name=channel_name,
        description=description,
        user=user,
        joined=timezone.now(),
        worker=worker,
    )
    try:
        return peer, _enter_once(peer)
    except (OperationalError, InterfaceError):
        if connection.is_usable():
            raise
        # The connection was dropped under this join (a failover, pg_terminate_backend):
        # nothing was committed on it, so once more on a new one, with the same peer id
        # (were the first commit's reply all that was lost, the retry fails on that id
        # instead of inserting the peer twice).
        connection.close()
        return peer, _enter_once(peer)


def _enter_once(peer: Peer) -> Others:
    return _enter_batched(peer) if _can_batch() else _enter_orm(peer)


def _can_batch() -> bool:
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


def _enter_orm(peer: Peer) -> Others:
    with transaction.atomic():
        pool = Pool.objects.select_for_update().filter(pk=peer.pool_id).first()
        if pool is None:
            raise ProtocolError("pool_not_found")
        if not pool.is_open:
            raise ProtocolError("pool_closed")
        others = list(
            Peer.objects.filter(pool_id=pool.pk).values_list("id", "channel_name", "description")
        )
        if pool.max_peers is not None and len(others) >= pool.max_peers:
            raise ProtocolError("pool_full")
        peer.save(force_insert=True)
        history.record_joined(pool, [peer])
    return others


def _enter_batched(peer: Peer) -> Others:
    pool_table = connection.ops.quote_name(Pool._meta.db_table)
    peer_table = connection.ops.quote_name(Peer._meta.db_table)
    field = Peer._meta.get_field("description")
    history_sql, history_params = history.join_statements(peer, peer.pool.name)
    sql = f"""
        BEGIN;
        SELECT is_open, max_peers FROM {pool_table} WHERE id = %(pool)s FOR UPDATE;
        SELECT id, channel_name, description FROM {peer_table} WHERE pool_id = %(pool)s;
        INSERT INTO {peer_table} (id, pool_id, channel_name, description, user_id, joined, worker)
        SELECT %(id)s, %(pool)s, %(channel)s, %(description)s, %(user)s, %(joined)s, %(worker)s
        FROM {pool_table} WHERE id = %(pool)s AND is_open AND (
            max_peers IS NULL
            OR max_peers > (SELECT count(*) FROM {peer_table} WHERE pool_id = %(pool)s)
        );
        {history_sql}
        COMMIT;
    """
    params = {
        "pool": peer.pool_id,
        "id": peer.id,
        "channel": peer.channel_name,
        "description": field.get_db_prep_save(peer.description, connection),
        "user": peer.user_id,
        "joined": peer.joined,
        "worker": peer.worker,
        **history_params,
    }
    with connection.cursor() as cursor:
        try:
            cursor.execute(sql, params)
            results = []
            while True:
                results.append((cursor.fetchall() if cursor.description else None, cursor.rowcount))
                if not cursor.nextset():
                    break
        except BaseException:
            # A statement failed (the batch stopped there, inside its transaction): end it.
            # On a connection that died with the batch the ROLLBACK fails too; the batch's
            # error is the one to see (and the one enter() retries on), so it is raised.
            try:
                cursor.execute("ROLLBACK")
            except Exception as exc:
                logger.debug("rtcpool: ROLLBACK after a failed join batch failed: %r", exc)
            raise
    (pool_rows, _), (other_rows, _), (_, inserted) = results[1:4]
    if history_params and inserted == 1:
        webhook_queue.wake()
    assert other_rows is not None
    if not pool_rows:
        raise ProtocolError("pool_not_found")
    if inserted != 1:
        is_open, _ = pool_rows[0]
        raise ProtocolError("pool_full" if is_open else "pool_closed")
    return [
        (pk, channel, field.from_db_value(description, None, connection))  # type: ignore[arg-type]
        for pk, channel, description in other_rows
    ]
