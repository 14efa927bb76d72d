"""The database side of departures: a batch of peers leaves in one transaction, under
their pools' row locks, each peer removed at most once.

Exactly-once departure (DESIGN rule 2) rests on two things. The rows are deleted under the
pools' locks, so the peers read as staying are exactly those that knew the leaver: a join
of the pool either came before (it read the leaver, and stays) or comes after (it will not
read it). And only the peers this transaction really deleted are announced, so a peer
removed twice at once (it leaves while the heartbeat prunes it, or a kick races its own
departure) is announced by one of them only. Pools are locked in id order, so that two
workers removing peers of the same pools never deadlock.

On PostgreSQL (psycopg 3, client-side binding) the transaction is one batch of statements,
one round trip: BEGIN; lock the pools; read their peers; ``DELETE ... RETURNING`` (which,
with history on, also ends the stays and calls of the peers it deletes:
:func:`rtcpool_django.history.departure_statement`); COMMIT. Elsewhere (SQLite, which
serialises writers itself, or with webhook endpoints, whose payloads are built from the
history rows read by the ORM) it runs through the ORM.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from . import history
from .models import Peer, Pool
from .statements import can_batch, column, execute_batch


@dataclass
class Departed:
    """A peer this transaction removed, and the channels of its pool's peers that stay."""

    peer_id: str
    channel: str
    pool: Pool
    staying: list[str] = field(default_factory=list)


def depart_many(
    peer_ids: Iterable[str | uuid.UUID],
    *,
    reasons: Mapping[str, str] | None = None,
    left_at: datetime | Mapping[str, datetime] | None = None,
) -> list[Departed]:
    """Remove these peers (those still there) in one transaction; who was removed. Their
    stays end (:mod:`rtcpool_django.history`) for their reason in ``reasons`` (by peer id;
    default ``"left"``) at ``left_at`` (now by default; one moment, or one per peer id)."""
    ids = sorted({uuid.UUID(str(pk)) for pk in peer_ids})
    if not ids:
        return []
    if can_batch() and history.departures_in_sql():
        pools, rows, deleted = _depart_batched(ids, reasons or {}, left_at)
    else:
        pools, rows, deleted = _depart_orm(ids, reasons or {}, left_at)
    by_pool: dict[int, list[str]] = defaultdict(list)
    channels: dict[uuid.UUID, tuple[int, str]] = {}
    for pk, pool_id, channel in rows:
        channels[pk] = (pool_id, channel)
        if pk not in deleted:
            by_pool[pool_id].append(channel)
    return [
        Departed(str(pk), channel, pools[pool_id], by_pool[pool_id])
        for pk, (pool_id, channel) in channels.items()
        if pk in deleted and pool_id in pools
    ]


Rows = list[tuple[uuid.UUID, int, str]]  # (peer id, pool id, channel name)


def _depart_orm(
    ids: list[uuid.UUID],
    reasons: Mapping[str, str],
    left_at: datetime | Mapping[str, datetime] | None,
) -> tuple[dict[int, Pool], Rows, set[uuid.UUID]]:
    with transaction.atomic():
        of_peers = Peer.objects.filter(pk__in=ids).values("pool_id")
        locked = Pool.objects.select_for_update().filter(pk__in=of_peers).order_by("pk")
        pools = {pool.pk: pool for pool in locked}
        found = list(
            Peer.objects.filter(pool_id__in=list(pools)).values_list(
                "id", "pool_id", "channel_name", "description"
            )
        )
        wanted = set(ids)
        deleted = {pk for pk, _, _, _ in found if pk in wanted}
        Peer.objects.filter(pk__in=list(deleted)).delete()
        gone: dict[tuple[int, str], list[tuple[Any, Any]]] = defaultdict(list)
        for pk, pool_id, _, description in found:
            if pk in deleted:
                gone[pool_id, reasons.get(str(pk), "left")].append((pk, description))
        history.record_departures(
            [(pools[pool_id], peers, reason) for (pool_id, reason), peers in gone.items()],
            at=left_at,
        )
    return pools, [(pk, pool_id, channel) for pk, pool_id, channel, _ in found], deleted


def _depart_batched(
    ids: list[uuid.UUID],
    reasons: Mapping[str, str],
    left_at: datetime | Mapping[str, datetime] | None,
) -> tuple[dict[int, Pool], Rows, set[uuid.UUID]]:
    quote = connection.ops.quote_name
    pool_table, peer_table = quote(Pool._meta.db_table), quote(Peer._meta.db_table)
    pool_fields = list(Pool._meta.concrete_fields)
    pool_columns = ", ".join(quote(column(f)) for f in pool_fields)
    of_peers = f"SELECT pool_id FROM {peer_table} WHERE id = ANY(%s)"
    # With history, the stays and calls of the peers deleted end in the same statement.
    delete, delete_params = history.departure_statement(
        f"DELETE FROM {peer_table} WHERE id = ANY(%s) RETURNING id, description",
        [ids],
        {str(pk): reasons.get(str(pk), "left") for pk in ids},
        at=left_at,
    )
    sql = ";\n".join(
        [
            "BEGIN",
            f"SELECT {pool_columns} FROM {pool_table} WHERE id IN ({of_peers}) "
            "ORDER BY id FOR UPDATE",
            f"SELECT id, pool_id, channel_name FROM {peer_table} WHERE pool_id IN ({of_peers})",
            delete,
            "COMMIT",
        ]
    )
    results = execute_batch(sql, [ids, ids, *delete_params])
    pool_rows, rows, deleted = results[1], results[2], results[3]
    names = [f.attname for f in pool_fields]
    pools = {}
    for values in pool_rows:
        pool = Pool.from_db(connection.alias, names, values)
        pools[pool.pk] = pool
    return pools, [tuple(row) for row in rows], {row[0] for row in deleted}
