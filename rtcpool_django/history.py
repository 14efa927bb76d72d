"""Attendance history: one :class:`~rtcpool_django.models.Stay` per stay of a peer in a
pool, one :class:`~rtcpool_django.models.Call` per call, and the webhook events they make.

The ``record_*`` functions are called by the membership transactions, inside their atomic
block and under the pool's row lock, once per transaction with every peer it affects: the
history and the webhook outbox are committed with the live state or not at all, so the
three never disagree. A call starts with the first peer into an empty pool and ends with
the last one out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from . import webhook_queue, webhooks
from .conf import rtcpool_settings
from .models import Call, Peer, Pool, Stay, WebhookEvent
from .statements import update_rows
from .webhook_queue import Event
from .webhooks import timestamp


def recording() -> bool:
    """Whether history is kept (``RTCPOOL["HISTORY"]``)."""
    return bool(rtcpool_settings.HISTORY)


def record_joined(pool: Pool, peers: Sequence[Peer]) -> None:
    """Open a stay for each of ``peers``, just inserted into ``pool``; a call starts if
    none goes on. Events ``pool.started`` and ``peer.joined``."""
    record_joins([(pool, peers)])


def record_joins(joins: Sequence[tuple[Pool, Sequence[Peer]]]) -> None:
    """:func:`record_joined` for the pools of one join transaction at once (each pool
    once): a fixed number of statements (the open calls read, the new ones counted and
    created, the others updated, the stays and the outbox rows inserted), whatever the
    number of pools."""
    joins = [(pool, peers) for pool, peers in joins if peers]
    if not joins or not recording():
        return
    calls = {
        call.pool_id: call
        for call in Call.objects.filter(pool__in=[pool for pool, _ in joins], ended=None)
    }
    started_now = {pool.pk for pool, _ in joins if pool.pk not in calls}
    if started_now:
        # Counted, not assumed zero: peers that joined before history was kept are live too.
        live = dict(
            Peer.objects.filter(pool_id__in=started_now)
            .values_list("pool_id")
            .annotate(n=Count("id"))
            .values_list("pool_id", "n")
        )
        new_calls = []
        for pool, peers in joins:
            if pool.pk not in started_now:
                continue
            started = min(peer.joined for peer in peers)
            n = live.get(pool.pk, 0)
            new_calls.append(
                Call(
                    pool=pool,
                    pool_name=pool.name,
                    started=started,
                    live_peers=n,
                    peak_peers=n,
                    stay_count=len(peers),
                )
            )
        # Their ids come back with the insert (PostgreSQL, SQLite 3.35+, MariaDB 10.5+).
        for call in Call.objects.bulk_create(new_calls):
            calls[call.pool_id] = call
    going_on = []
    events_by_pool = []
    for pool, peers in joins:
        call = calls[pool.pk]
        events = []
        if pool.pk in started_now:
            events.append(
                Event(
                    "pool.started",
                    call.started,
                    {"pool": pool.name, "started": timestamp(call.started)},
                )
            )
        else:
            call.live_peers += len(peers)
            call.peak_peers = max(call.peak_peers, call.live_peers)
            # A peer's join time is taken before it waits for the pool's lock: one that
            # waited longer than the call's first peer may have asked first.
            call.started = min(call.started, *(peer.joined for peer in peers))
            call.stay_count += len(peers)
            going_on.append(call)
        events += [
            Event(
                "peer.joined",
                peer.joined,
                _peer_data(pool, peer.id, peer.user_id, peer.description, joined=peer.joined),
            )
            for peer in peers
        ]
        events_by_pool.append((pool.name, events))
    if going_on:
        update_rows(going_on, ["started", "live_peers", "peak_peers", "stay_count"])
    _open_stays([peer.id for _, peers in joins for peer in peers])
    webhook_queue.enqueue_many(events_by_pool)


# Ids per INSERT ... SELECT of _open_stays: far below SQLite's 32,766 parameters (and the
# 999 of SQLite before 3.32).
_STAYS_PER_INSERT = 500


def _open_stays(peer_ids: Sequence[Any]) -> None:
    """Insert the stays of peers just inserted, each in its pool's open call, copied from
    their rows by the database: the ORM's bulk_create compiles every value of every row
    in Python, the larger part of a join batch's time in the worker."""
    q = connection.ops.quote_name
    stay, peer, pool, call = (q(m._meta.db_table) for m in (Stay, Peer, Pool, Call))
    col = {f.name: q(f.column) for f in Stay._meta.concrete_fields if f.column}
    pk = Peer._meta.pk
    assert pk is not None
    for start in range(0, len(peer_ids), _STAYS_PER_INSERT):
        chunk = peer_ids[start : start + _STAYS_PER_INSERT]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {stay} ({col["call"]}, {col["pool"]}, {col["pool_name"]},
                    {col["peer_id"]}, {col["user"]}, {col["description_at_join"]},
                    {col["description_at_leave"]}, {col["joined"]}, {col["left"]},
                    {col["reason"]}, {col["worker"]})
                SELECT c.id, p.pool_id, o.name, p.id, p.user_id, p.description, NULL,
                    p.joined, NULL, '', p.worker
                FROM {peer} p
                JOIN {pool} o ON o.id = p.pool_id
                JOIN {call} c ON c.pool_id = p.pool_id AND c.ended IS NULL
                WHERE p.id IN ({", ".join(["%s"] * len(chunk))})""",
                [pk.get_db_prep_value(peer_id, connection) for peer_id in chunk],
            )


def join_statements(peer: Peer, pool_name: str) -> tuple[str, dict[str, Any]]:
    """:func:`record_joined` of one peer as SQL statements (PostgreSQL) to run in the same
    batch as the join's insert, after it: each statement does its work only if the peer's
    row was inserted, so a refused join writes nothing. Returns ("", {}) with history off.
    """
    if not recording():
        return "", {}
    q = connection.ops.quote_name
    call, stay, peer_table = (q(m._meta.db_table) for m in (Call, Stay, Peer))
    event_table = q(WebhookEvent._meta.db_table)
    inserted = f"EXISTS (SELECT 1 FROM {peer_table} WHERE id = %(id)s)"
    open_call = f"{call}.pool_id = %(pool)s AND {call}.ended IS NULL"
    params: dict[str, Any] = {"pool_name": pool_name}
    statements = [
        # A call starts if none goes on; its counts are set by the update below.
        f"""INSERT INTO {call} (pool_id, pool_name, started, ended, peak_peers, stay_count,
            live_peers)
            SELECT %(pool)s, %(pool_name)s, %(joined)s, NULL, 0, 0, 0
            WHERE {inserted} AND NOT EXISTS (SELECT 1 FROM {call} WHERE {open_call})""",
        # Counted, not incremented: peers that joined before history was kept are live too.
        f"""UPDATE {call} SET live_peers = n.c, peak_peers = GREATEST({call}.peak_peers, n.c),
            stay_count = {call}.stay_count + 1, started = LEAST({call}.started, %(joined)s)
            FROM (SELECT count(*) AS c FROM {peer_table} WHERE pool_id = %(pool)s) AS n
            WHERE {open_call} AND {inserted}""",
        f"""INSERT INTO {stay} (call_id, pool_id, pool_name, peer_id, user_id,
            description_at_join, description_at_leave, joined, {q("left")}, reason, worker)
            SELECT id, %(pool)s, %(pool_name)s, %(id)s, %(user)s, %(description)s, NULL,
            %(joined)s, NULL, '', %(worker)s FROM {call} WHERE {open_call} AND {inserted}""",
    ]
    pool = Pool(pk=peer.pool_id, name=pool_name)
    started = webhook_queue.outbox_rows(
        pool_name,
        [
            Event(
                "pool.started", peer.joined, {"pool": pool_name, "started": timestamp(peer.joined)}
            )
        ],
    )
    joined = webhook_queue.outbox_rows(
        pool_name,
        [
            Event(
                "peer.joined",
                peer.joined,
                _peer_data(pool, peer.id, peer.user_id, peer.description, joined=peer.joined),
            )
        ],
    )
    new_call = f"EXISTS (SELECT 1 FROM {call} WHERE {open_call} AND {call}.stay_count = 1)"
    for name, rows, condition in (
        ("started", started, f"{inserted} AND {new_call}"),
        ("joined", joined, inserted),
    ):
        if not rows:
            continue
        values = []
        for n, row in enumerate(rows):
            key = f"{name}{n}"
            params.update(
                {
                    f"{key}_id": row.event_id,
                    f"{key}_endpoint": row.endpoint,
                    f"{key}_type": row.type,
                    f"{key}_payload": json.dumps(row.payload),
                    f"{key}_created": row.created,
                }
            )
            values.append(
                f"SELECT %({key}_id)s, %({key}_endpoint)s, %(pool_name)s, %({key}_type)s, "
                f"%({key}_payload)s::jsonb, %({key}_created)s, 'pending', 0, "
                f"%({key}_created)s, NULL::timestamptz, NULL::timestamptz, '' WHERE {condition}"
            )
        statements.append(
            f"""INSERT INTO {event_table} (event_id, endpoint, pool_name, type, payload,
            created, status, attempts, next_attempt, leased_until, delivered, last_error)
            {" UNION ALL ".join(values)}"""
        )
    return ";\n".join(statements) + ";", params


def record_left(
    pool: Pool,
    gone: Iterable[tuple[Any, Any]],
    *,
    reason: str,
    at: datetime | Mapping[str, datetime] | None = None,
) -> None:
    """Close the stays of the peers ``gone`` from ``pool``, as ``(peer id, description at
    leave)`` pairs, for ``reason``. ``at`` is when they left (now by default), one moment
    or one per peer id (a dead worker's peers left at its last heartbeat). The call ends
    when its last peer is gone. Events ``peer.left`` and ``pool.finished``."""
    record_departures([(pool, list(gone), reason)], at=at)


def record_departures(
    departures: Sequence[tuple[Pool, Sequence[tuple[Any, Any]], str]],
    *,
    at: datetime | Mapping[str, datetime] | None = None,
) -> None:
    """:func:`record_left` for each ``(pool, gone, reason)`` of one departure transaction
    at once: a fixed number of statements, whatever the number of pools."""
    descriptions: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    pools: dict[str, Pool] = {}
    for pool, gone, reason in departures:
        for peer_id, description in gone:
            descriptions[str(peer_id)] = description
            reasons[str(peer_id)] = reason
            pools[str(peer_id)] = pool
    if not descriptions or not recording():
        return
    now = timezone.now()
    stays = list(
        Stay.objects.filter(peer_id__in=list(descriptions), left=None).select_related("call")
    )
    events: dict[str, list[Event]] = {}
    calls: dict[int, tuple[Call, Pool]] = {}
    for stay in stays:
        peer_id = str(stay.peer_id)
        pool = pools[peer_id]
        # A pruned peer's worker fell silent before the peer could have joined, maybe.
        stay.left = max(_left_at(at, peer_id, now), stay.joined)
        stay.reason = reasons[peer_id]
        stay.description_at_leave = descriptions[peer_id]
        call, _ = calls.setdefault(stay.call_id, (stay.call, pool))
        call.live_peers -= 1
        data = _peer_data(
            pool, peer_id, stay.user_id, stay.description_at_leave, joined=stay.joined
        )
        data.update(reason=stay.reason, left=timestamp(stay.left), duration=stay.duration)
        events.setdefault(pool.name, []).append(Event("peer.left", stay.left, data))
    update_rows(stays, ["left", "reason", "description_at_leave"])
    ending = [pk for pk, (call, _) in calls.items() if call.live_peers <= 0]
    last_left = dict(
        Stay.objects.filter(call__in=ending)
        .values_list("call_id")
        .annotate(last=Max("left"))
        .values_list("call_id", "last")
        if ending
        else []
    )
    for pk, (call, pool) in calls.items():
        if pk not in last_left:
            continue
        call.live_peers = 0
        # Not necessarily now: a dead worker's peers left at its last heartbeat.
        call.ended = last_left[pk]
        events.setdefault(pool.name, []).append(
            Event(
                "pool.finished",
                call.ended,
                {
                    "pool": pool.name,
                    "started": timestamp(call.started),
                    "ended": timestamp(call.ended),
                    "duration": call.duration,
                    "peak": call.peak_peers,
                    "stays": call.stay_count,
                },
            )
        )
    if calls:
        update_rows([call for call, _ in calls.values()], ["live_peers", "ended"])
    webhook_queue.enqueue_many(list(events.items()))


def departures_in_sql() -> bool:
    """Whether a departure batch on PostgreSQL writes its history in its own round trip
    (:func:`departure_statement`): with history off, or on with no webhook endpoint. The
    payloads of ``peer.left`` and ``pool.finished`` are built from the rows read by
    :func:`record_departures`, so with endpoints the batch goes through it."""
    return not recording() or not webhooks.endpoints()


def departure_statement(
    delete: str,
    delete_params: list[Any],
    gone: Mapping[str, str],
    *,
    at: datetime | Mapping[str, datetime] | None = None,
) -> tuple[str, list[Any]]:
    """``delete``, a ``DELETE FROM`` the peers ``... RETURNING id, description`` of a
    departure batch (PostgreSQL), as one statement that also does what
    :func:`record_departures` does without webhooks: the stays of the peers it deletes
    end for their reason in ``gone`` (peer id -> reason) at ``at`` (as there), and each
    call ends when its last peer is gone, at its last stay's end. It returns the ids the
    delete returns. Only when :func:`departures_in_sql`."""
    if not recording():
        return delete, delete_params
    q = connection.ops.quote_name
    stay, call = q(Stay._meta.db_table), q(Call._meta.db_table)
    left = q("left")
    now = timezone.now()
    params = list(delete_params)
    rows = []
    for peer_id, reason in gone.items():
        rows.append("(CAST(%s AS uuid), CAST(%s AS text), CAST(%s AS timestamptz))")
        params += [peer_id, reason, _left_at(at, peer_id, now)]
    # Each part sees the rows as they were before the statement: a call's last stay is
    # the latest of those it closes and of those closed before.
    sql = f"""WITH gone AS ({delete}),
        v(id, reason, at) AS (VALUES {", ".join(rows)}),
        closed AS (
            UPDATE {stay} s SET {left} = GREATEST(v.at, s.joined), reason = v.reason,
                description_at_leave = gone.description
            FROM gone JOIN v ON v.id = gone.id
            WHERE s.peer_id = gone.id AND s.{left} IS NULL
            RETURNING s.call_id, s.{left}
        ),
        per_call AS (
            SELECT call_id, count(*) AS n, max({left}) AS last FROM closed GROUP BY call_id
        ),
        ended AS (
            UPDATE {call} c SET live_peers = GREATEST(c.live_peers - p.n, 0),
                ended = CASE WHEN c.live_peers - p.n <= 0 THEN GREATEST(
                    p.last, (SELECT max(s.{left}) FROM {stay} s WHERE s.call_id = c.id)
                ) ELSE c.ended END
            FROM per_call p WHERE c.id = p.call_id
            RETURNING c.id
        )
        SELECT id FROM gone"""
    return sql, params


def _left_at(at: datetime | Mapping[str, datetime] | None, peer_id: str, now: datetime) -> datetime:
    """When peer ``peer_id`` left, by the ``at`` of :func:`record_departures`."""
    if isinstance(at, Mapping):
        return at.get(peer_id, now)
    return at or now


def record_described(pool: Pool, peer: Peer) -> None:
    """A peer's description changed (the stay keeps the last one when the peer leaves).
    Event ``peer.described``."""
    if not recording():
        return
    webhook_queue.enqueue(
        pool.name,
        [
            Event(
                "peer.described",
                timezone.now(),
                _peer_data(pool, peer.id, peer.user_id, peer.description, joined=peer.joined),
            )
        ],
    )


def record_closed(
    pool: Pool, gone: Iterable[tuple[Any, Any]], *, at: datetime | None = None
) -> None:
    """``pool`` was closed and its peers ``gone`` removed (see :func:`record_left`).
    Events ``pool.closed``, then ``peer.left`` (reason ``closed``) and ``pool.finished``."""
    if not recording():
        return
    at = at or timezone.now()
    webhook_queue.enqueue(pool.name, [Event("pool.closed", at, {"pool": pool.name})])
    record_left(pool, gone, reason="closed", at=at)


def _peer_data(
    pool: Pool, peer_id: Any, user_id: Any, description: Any, *, joined: datetime
) -> dict[str, Any]:
    return {
        "pool": pool.name,
        "peer_id": str(peer_id),
        "user_id": user_id,
        "description": description,
        "joined": timestamp(joined),
    }


# --- reading and pruning -----------------------------------------------------------------


def pool_stays(pool: Pool | str, since: datetime | None = None) -> QuerySet[Stay]:
    """The stays in ``pool``, oldest first; with ``since``, those live at or after it."""
    stays = Stay.objects.filter(**_pool_filter(pool)).select_related("user", "pool")
    if since is not None:
        stays = stays.filter(Q(left=None) | Q(left__gte=since))
    return stays.order_by("joined", "id")


def pool_calls(pool: Pool | str, since: datetime | None = None) -> QuerySet[Call]:
    """The calls in ``pool``, newest first; with ``since``, those going on at or after it."""
    calls = Call.objects.filter(**_pool_filter(pool)).select_related("pool")
    if since is not None:
        calls = calls.filter(Q(ended=None) | Q(ended__gte=since))
    return calls.order_by("-started", "-id")


def _pool_filter(pool: Pool | str) -> dict[str, Any]:
    # By name, the history of a pool since deleted (or renamed) is found too.
    return {"pool": pool} if isinstance(pool, Pool) else {"pool_name": pool}


def prune(days: float | None = None) -> tuple[int, int]:
    """Delete calls (with their stays) that ended more than ``days`` ago (default
    ``HISTORY_DAYS``), and delivered or failed webhook events as old. Returns (calls,
    events) deleted; nothing when the retention is None."""
    days = rtcpool_settings.HISTORY_DAYS if days is None else days
    if days is None:
        return 0, 0
    cutoff = timezone.now() - timedelta(days=days)
    _, deleted = Call.objects.filter(ended__lt=cutoff).delete()
    return deleted.get(Call._meta.label, 0), webhook_queue.prune(cutoff)
