"""The database side of joins: a batch of admitted joins enters its pools in one
transaction, under the pools' row locks, each join refused on its own when its pool is
closed or full.

The lock is what makes discovery exactly-once across workers (DESIGN rule 1): a join reads
the peers already in its pool and inserts its own row while holding the pool's row lock,
so of two joins of one pool, on any workers, the later one reads the earlier one. Inside a
batch the same holds by order: each join's others are the peers that were there plus the
joins of the batch before it into the same pool, so the later one is told of the earlier
ones and they are sent its notice. The pools of a batch are locked in id order, so two
workers batching the same pools never deadlock; pools a batch creates are inserted in
name order for the same reason.

On PostgreSQL (psycopg 3, client-side binding) the whole transaction is one batch of
statements, one round trip: BEGIN; create the missing pools (``INSERT ... ON CONFLICT DO
NOTHING``); lock the pools; read their peers; insert every join that fits (the capacity
check counts the joins of the batch in order, inside the server); COMMIT. The lock is held
only inside the server, never across a Python thread waiting for the GIL. Each statement
takes its own snapshot (READ COMMITTED), so the reads see every peer committed by the
previous holder of a lock. Elsewhere (SQLite, which serialises writers itself, or
PostgreSQL with server-side binding, or with attendance history on, whose rows the same
transaction writes) the same transaction runs through the ORM.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Field

from . import history, webhook_queue
from .models import Peer, Pool
from .protocol import ProtocolError
from .statements import can_batch, column, execute_batch, execute_counted

Others = list[tuple[Any, str, Any]]  # (peer id, channel name, description)


@dataclass
class Entry:
    """An admitted join, ready to enter its pool."""

    peer: Peer  # unsaved, without its pool
    pool_name: str
    #: The pool admission judged the join against when none existed (unsaved): created
    #: if still missing; if another was created meanwhile, it must be the same.
    assumed: Pool | None = None
    #: The saved pool admission found (None when ``assumed``).
    pool: Pool | None = None


@dataclass
class Entered:
    """A join that went in: its row, its pool's (locked) row, and the pool's other peers."""

    peer: Peer
    pool: Pool
    others: Others = field(default_factory=list)


class Readmit(Exception):
    """The join's pool was created meanwhile, not as admission assumed: admit it again
    against ``pool``, the row that exists."""

    def __init__(self, pool: Pool) -> None:
        super().__init__(pool.name)
        self.pool = pool


Outcome = Entered | Exception  # ProtocolError, Readmit, or a failure of this join alone


def enter_many(entries: Sequence[Entry]) -> list[Outcome]:
    """Enter every join in one transaction; one outcome per entry, in order.

    A join refused by its pool gets ``ProtocolError`` ``pool_closed``, ``pool_full`` or
    ``pool_not_found`` (deleted meanwhile); the others still go in. Should the batch fail
    as a whole (a row the database will not take), each join is tried alone, so that only
    the failing one fails.
    """
    try:
        return _enter_retrying(entries)
    except Exception as exc:
        if len(entries) == 1:
            return [exc]
    return [outcome for entry in entries for outcome in enter_many([entry])]


def _enter_retrying(entries: Sequence[Entry]) -> list[Outcome]:
    try:
        return _enter_once(entries)
    except (OperationalError, InterfaceError):
        if connection.is_usable():
            raise
        # The connection was dropped under this batch (a failover, pg_terminate_backend):
        # nothing was committed on it, so once more on a new one, with the same peer ids
        # (were the commit's reply all that was lost, the retry fails on those ids instead
        # of inserting the peers twice).
        connection.close()
        return _enter_once(entries)


def _enter_once(entries: Sequence[Entry]) -> list[Outcome]:
    # History rows are written by the ORM inside the joins' transaction (one batch of
    # statements cannot hold them): with history on, joins take the ORM path.
    if can_batch() and not history.recording():
        return _enter_batched(entries)
    if can_batch() and len(entries) == 1 and entries[0].pool is not None:
        peer = entries[0].peer
        peer.pool = entries[0].pool
        try:
            others = _enter_one_with_history(peer)
        except ProtocolError as refused:
            return [refused]
        peer._state.adding, peer._state.db = False, connection.alias
        return [Entered(peer, entries[0].pool, others)]
    return _enter_orm(entries)


def _outcomes(
    entries: Sequence[Entry],
    pools: dict[str, Pool],
    present: dict[int, Others],
    went_in: set[Any],
) -> list[Outcome]:
    """Each entry's outcome, in order, from what the transaction found and inserted."""
    outcomes: list[Outcome] = []
    for entry in entries:
        pool = pools.get(entry.pool_name)
        peer = entry.peer
        if pool is None:
            outcomes.append(ProtocolError("pool_not_found"))
        elif peer.id in went_in:
            peer.pool = pool
            # As if saved through the ORM (bulk_create does this; the batched INSERT not).
            peer._state.adding, peer._state.db = False, connection.alias
            members = present[pool.pk]
            outcomes.append(Entered(peer, pool, list(members)))
            members.append((peer.id, peer.channel_name, peer.description))
        elif entry.assumed is not None and not pool.admits_as(entry.assumed):
            outcomes.append(Readmit(pool))
        else:
            outcomes.append(ProtocolError("pool_full" if pool.is_open else "pool_closed"))
    return outcomes


def _enter_orm(entries: Sequence[Entry]) -> list[Outcome]:
    names = sorted({entry.pool_name for entry in entries})
    created = {entry.pool_name: entry.assumed for entry in entries if entry.assumed}
    with transaction.atomic():
        if created:
            Pool.objects.bulk_create(
                [created[name] for name in sorted(created)], ignore_conflicts=True
            )
        locked = Pool.objects.select_for_update().filter(name__in=names).order_by("pk")
        pools = {pool.name: pool for pool in locked}
        present: dict[int, Others] = defaultdict(list)
        rows = Peer.objects.filter(pool__in=pools.values()).values_list(
            "id", "pool_id", "channel_name", "description"
        )
        for pk, pool_id, channel, description in rows:
            present[pool_id].append((pk, channel, description))
        # Decide in order, as the batched statement does, counting the batch's own joins.
        counts = {pool_id: len(members) for pool_id, members in present.items()}
        went_in = set()
        for entry in entries:
            pool = pools.get(entry.pool_name)
            if pool is None or not pool.is_open:
                continue
            if entry.assumed is not None and not pool.admits_as(entry.assumed):
                continue
            if pool.max_peers is not None and counts.get(pool.pk, 0) >= pool.max_peers:
                continue
            counts[pool.pk] = counts.get(pool.pk, 0) + 1
            entry.peer.pool = pool
            went_in.add(entry.peer.id)
        entered = [e.peer for e in entries if e.peer.id in went_in]
        Peer.objects.bulk_create(entered)
        history.record_joins(
            [
                (pool, [peer for peer in entered if peer.pool_id == pool.pk])
                for pool in pools.values()
            ]
        )
    return _outcomes(entries, pools, present, went_in)


def _cast(f: Field[Any, Any]) -> str:
    return f"CAST(%s AS {f.db_type(connection)})"


def _enter_batched(entries: Sequence[Entry]) -> list[Outcome]:
    quote = connection.ops.quote_name
    pool_table, peer_table = quote(Pool._meta.db_table), quote(Peer._meta.db_table)
    pool_fields = list(Pool._meta.concrete_fields)
    pool_columns = ", ".join(quote(column(f)) for f in pool_fields)
    names = sorted({entry.pool_name for entry in entries})
    statements = ["BEGIN"]
    params: list[Any] = []

    created = {entry.pool_name: entry.assumed for entry in entries if entry.assumed}
    if created:
        new_fields = [f for f in pool_fields if not f.primary_key]
        row = "(" + ", ".join(_cast(f) for f in new_fields) + ")"
        statements.append(
            f"INSERT INTO {pool_table} ({', '.join(quote(column(f)) for f in new_fields)}) "
            f"VALUES {', '.join([row] * len(created))} ON CONFLICT ({quote('name')}) DO NOTHING"
        )
        for name in sorted(created):
            pool = created[name]
            assert pool is not None
            params += [f.get_db_prep_save(f.pre_save(pool, True), connection) for f in new_fields]

    statements.append(
        f"SELECT {pool_columns} FROM {pool_table} WHERE name = ANY(%s) ORDER BY id FOR UPDATE"
    )
    params.append(names)
    of_pools = f"pool_id IN (SELECT id FROM {pool_table} WHERE name = ANY(%s))"
    statements.append(
        f"SELECT id, pool_id, channel_name, description FROM {peer_table} WHERE {of_pools}"
    )
    params.append(names)

    peer_fields = [cast("Field[Any, Any]", Peer._meta.get_field(name)) for name in _PEER_COLUMNS]
    assumed = Pool.settings_fields()
    value_casts = ["CAST(%s AS integer)", _cast(peer_fields[0]), "CAST(%s AS text)"]
    value_casts += [_cast(f) for f in peer_fields[2:]]
    value_casts += ["CAST(%s AS boolean)"] + [_cast(f) for f in assumed]
    values = ", ".join(["(" + ", ".join(value_casts) + ")"] * len(entries))
    columns = ", ".join(["seq", "id", "pool_name", *_PEER_COLUMNS[2:], "assumed"])
    columns += "".join(f", a_{column(f)}" for f in assumed)
    as_assumed = " AND ".join(
        f"p.{quote(column(f))} IS NOT DISTINCT FROM j.a_{column(f)}" for f in assumed
    )
    insert_columns = ", ".join(_PEER_COLUMNS)
    statements.append(
        f"""INSERT INTO {peer_table} ({insert_columns})
        SELECT {insert_columns} FROM (
            SELECT j.*, p.id AS pool_id, p.max_peers, coalesce(c.n, 0) AS present,
                row_number() OVER (PARTITION BY p.id ORDER BY j.seq) AS rank
            FROM (VALUES {values}) AS j({columns})
            JOIN {pool_table} p ON p.name = j.pool_name
            LEFT JOIN (
                SELECT pool_id, count(*) AS n FROM {peer_table} WHERE {of_pools} GROUP BY pool_id
            ) c ON c.pool_id = p.id
            WHERE p.is_open AND (NOT j.assumed OR ({as_assumed or "true"}))
        ) AS r
        WHERE r.max_peers IS NULL OR r.present + r.rank <= r.max_peers
        RETURNING id"""
    )
    description = Peer._meta.get_field("description")
    for seq, entry in enumerate(entries):
        peer = entry.peer
        params += [seq, peer.id, entry.pool_name, peer.channel_name]
        params.append(description.get_db_prep_save(peer.description, connection))
        params += [peer.user_id, peer.joined, peer.worker, entry.assumed is not None]
        params += [
            f.get_db_prep_save(getattr(entry.assumed, f.attname), connection)
            if entry.assumed is not None
            else None
            for f in assumed
        ]
    params.append(names)
    statements.append("COMMIT")

    results = execute_batch(";\n".join(statements), params)
    pool_rows, peer_rows, inserted = results[-4], results[-3], results[-2]
    field_names = [f.attname for f in pool_fields]
    pools = {}
    for values_ in pool_rows:
        pool = Pool.from_db(connection.alias, field_names, values_)
        pools[pool.name] = pool
    present: dict[int, Others] = defaultdict(list)
    for pk, pool_id, channel, value in peer_rows:
        present[pool_id].append(
            (pk, channel, description.from_db_value(value, None, connection))  # type: ignore[arg-type]
        )
    return _outcomes(entries, pools, present, {row[0] for row in inserted})


# The peer columns a join writes, in the order of the batched INSERT.
_PEER_COLUMNS = ["id", "pool_id", "channel_name", "description", "user_id", "joined", "worker"]


def _enter_one_with_history(peer: Peer) -> Others:
    # A lone join with history on: its stay, call and webhook rows ride in its one batch
    # (history.join_statements, written for one peer).
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
    results = execute_counted(sql, params)
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
