"""The transactions behind :mod:`rtcpool_django.pools`: join, remove, describe, close.

Each one locks the pool's row, so that joins and departures of one pool are serialised
across every worker process, and returns the :data:`~rtcpool_django.messages.Outbox` of
notices for the peers it saw; the caller delivers them once the change is committed
(:mod:`rtcpool_django.delivery`). Everything here is synchronous ORM work, run on the
ORM threads by the ``a``-prefixed functions of :mod:`rtcpool_django.pools`.

Joins and departures come in batches (:mod:`rtcpool_django.group_commit`): the joins of a
batch are admitted one by one (:mod:`rtcpool_django.admission`), then enter their pools in
one transaction (:mod:`rtcpool_django.entry`), and a batch of departures leaves in one
transaction (:mod:`rtcpool_django.departures`). A join refused or failing fails alone.

Each transaction also writes what happened (:mod:`rtcpool_django.history`: stays, calls
and the webhook outbox) with one ``history.record_*`` call for all the peers it affects,
so history never disagrees with the live rows.

Signals (:mod:`rtcpool_django.signals`) go out with ``transaction.on_commit``: a caller
inside its own ``atomic`` block (the admin's views are) announces nothing that is then
rolled back. They are sent robustly (``Signal.send_robust``): once the change is
committed, a failing receiver can no longer undo it, so it must not hide from the
caller that it succeeded, nor stop the other receivers or the notices to the peers.
Django logs the receiver's exception (logger ``django.dispatch``).
"""

from __future__ import annotations

import functools
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone

from . import history, messages, policy, signals
from .admission import Admission, admit_many, initial_description, joiner, pools_for_joins
from .conf import rtcpool_settings
from .departures import depart_many
from .entry import Entered, Entry, Readmit, enter_many
from .messages import Outbox
from .models import Peer, Pool
from .statements import can_batch

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Joined:
    """What a successful join returns to the consumer."""

    peer_id: str
    pool_id: int
    pool_name: str
    group_name: str
    roster: dict[str, str]  # other peer id -> channel name
    descriptions: dict[str, Any]


def announce(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(functools.partial(signal.send_robust, sender, **kwargs))


@dataclass(frozen=True)
class JoinRequest:
    """A connection asking to join the pool named ``requested``."""

    requested: str
    channel_name: str
    worker: str
    scope: Mapping[str, Any]


def join(
    requested: str, channel_name: str, worker: str, scope: Mapping[str, Any]
) -> tuple[Joined, Outbox]:
    """Admit and insert a new peer; raises ``ProtocolError`` for a refused join."""
    [outcome] = join_many([JoinRequest(requested, channel_name, worker, scope)])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def join_many(requests: Sequence[JoinRequest]) -> list[tuple[Joined, Outbox] | Exception]:
    """Admit each join, then enter all admitted ones in one transaction; one outcome per
    request, in order: the join and its notices, or the exception it alone failed with
    (``ProtocolError`` for a refusal)."""
    outcomes: list[tuple[Joined, Outbox] | Exception | None] = [None] * len(requests)
    admitted: list[tuple[int, Entry]] = []
    # A batch of several may create its pools as it enters them, history or not; a lone
    # join on PostgreSQL with history keeps its one batch of statements, which needs the
    # pool's row (entry.enter_many).
    may_assume = len(requests) > 1 or not can_batch() or not history.recording()
    admissions = _each_alone(
        admit_many, [(r.requested, r.scope, joiner(r.scope)) for r in requests]
    )
    # A join whose pool is missing and that may not assume it (a description hook is
    # given the saved pool) has it created first, with the others of the batch.
    saving = {
        n: (admission, requests[n].scope)
        for n, admission in enumerate(admissions)
        if isinstance(admission, Admission) and not _assumes(admission, may_assume)
    }
    saved = dict(zip(saving, _each_alone(pools_for_joins, list(saving.values())), strict=True))
    for n, (request, admission) in enumerate(zip(requests, admissions, strict=True)):
        try:
            if isinstance(admission, Exception):
                raise admission
            pool = saved.get(n)
            if isinstance(pool, Exception):
                raise pool
            admitted.append((n, _entry(request, admission, pool)))
        except (OperationalError, InterfaceError):
            if _disconnected():
                raise
            outcomes[n] = sys.exc_info()[1]  # type: ignore[assignment]
        except Exception as exc:
            outcomes[n] = exc
    readmit = []
    entered = enter_many([entry for _, entry in admitted]) if admitted else []
    for (n, _), outcome in zip(admitted, entered, strict=True):
        if isinstance(outcome, Readmit):
            readmit.append(n)
        elif isinstance(outcome, Exception):
            outcomes[n] = outcome
        else:
            outcomes[n] = _joined(outcome)
    for n in readmit:
        # Created meanwhile by another join, not as this one assumed (rare): once more,
        # against the row that exists.
        outcomes[n] = join_many([requests[n]])[0]
    assert all(outcome is not None for outcome in outcomes)
    return outcomes  # type: ignore[return-value]


def _each_alone(read: Callable[[list[T]], list[R]], items: list[T]) -> list[R | Exception]:
    """``read(items)``, a read made once for a batch (``admit_many``, ``pools_for_joins``)
    that answers one outcome per item. Should it fail with a database error on a live
    connection, each item is read on its own, so that only an item whose own read fails
    gets that error; on a lost connection the error is raised (the batch is run again)."""
    if not items:
        return []
    try:
        return list(read(items))
    except (OperationalError, InterfaceError) as exc:
        if _disconnected():
            raise
        if len(items) == 1:
            return [exc]
    return [outcome for item in items for outcome in _each_alone(read, [item])]


def _disconnected() -> bool:
    """Whether the connection is gone: a database error then is not a join's failure, and
    the batch is run again on a new one (rtcpool_django.database)."""
    return connection.connection is None or not connection.is_usable()


def _assumes(admission: Admission, may_assume: bool) -> bool:
    """Whether the join enters a pool it creates as it goes in (entry.enter_many), rather
    than one saved before."""
    given, _ = admission.entrant.description
    return (
        admission.pool.pk is None
        and not given
        and rtcpool_settings.INITIAL_DESCRIPTION is policy.initial_description
        and may_assume
    )


def _entry(request: JoinRequest, admission: Admission, pool: Pool | None) -> Entry:
    """The entry of an admitted join, into ``pool`` (saved) or, when None, the one it
    creates (entry.enter_many creates it with the join, or meets the one another join
    created meanwhile: then, if it is not the same, the join is admitted again against it).
    """
    peer = Peer(
        id=uuid.uuid4(),
        channel_name=request.channel_name,
        description=initial_description(admission, request.scope, pool or admission.pool),
        user=admission.user,
        joined=timezone.now(),
        worker=request.worker,
    )
    if pool is None:
        return Entry(peer=peer, pool_name=admission.pool.name, assumed=admission.pool)
    return Entry(peer=peer, pool_name=pool.name, pool=pool)


def _joined(entered: Entered) -> tuple[Joined, Outbox]:
    peer, pool, others = entered.peer, entered.pool, entered.others
    announce(signals.peer_joined, Peer, peer=peer, pool=pool)
    peer_id = str(peer.id)
    notice = messages.peer(pool.pk, peer_id, peer.channel_name, peer.description)
    joined = Joined(
        peer_id=peer_id,
        pool_id=pool.pk,
        pool_name=pool.name,
        group_name=pool.group_name,
        roster={str(pk): channel for pk, channel, _ in others},
        descriptions={str(pk): desc for pk, _, desc in others},
    )
    return joined, [(channel, notice) for _, channel, _ in others]


def remove(
    peer_ids: Iterable[str],
    *,
    reason: str,
    left_at: datetime | Mapping[str, datetime] | None = None,
) -> tuple[Outbox, int]:
    """Delete peers in one transaction under their pools' locks; tell the rest of each
    pool. Returns the notices and how many peers were removed.

    Removed peers whose socket may still be open (kick, prune) are sent ``rtcpool.kick``
    so their consumer closes the socket; a peer leaving by itself needs no such notice.
    Their stays end at ``left_at`` (now by default; one moment, or one per peer id).
    """
    outbox, removed = remove_each([(str(pk), reason) for pk in peer_ids], left_at=left_at)
    return outbox, len(removed)


def remove_each(
    departures: Sequence[tuple[str, str]],
    *,
    left_at: datetime | Mapping[str, datetime] | None = None,
) -> tuple[Outbox, set[str]]:
    """:func:`remove` of ``(peer id, reason)`` pairs, each with its own reason; the notices
    and the ids of the peers removed. A peer asked for twice (kicked, and its socket
    closing by itself meanwhile) leaves for the first request's reason, as if the second
    had come in a later transaction and found it gone."""
    reasons: dict[str, str] = {}
    for peer_id, reason in departures:
        reasons.setdefault(peer_id, reason)
    outbox: Outbox = []
    removed = set()
    for gone in depart_many(reasons, reasons=reasons, left_at=left_at):
        removed.add(gone.peer_id)
        pool_id, reason = gone.pool.pk, reasons[gone.peer_id]
        outbox += [(c, messages.leave(pool_id, gone.peer_id)) for c in gone.staying]
        if reason != "left":
            outbox.append((gone.channel, messages.kick(pool_id, gone.peer_id)))
        announce(signals.peer_left, Peer, peer_id=gone.peer_id, pool=gone.pool, reason=reason)
    return outbox, removed


def describe(peer_id: str, description: Any) -> tuple[Peer, Outbox]:
    """Store a peer's description; the notices go to the other peers of its pool."""
    with transaction.atomic():
        pool_id = Peer.objects.values_list("pool_id", flat=True).get(pk=peer_id)
        Pool.objects.select_for_update().get(pk=pool_id)
        updated = Peer.objects.select_related("pool").get(pk=peer_id)
        updated.description = description
        updated.save(update_fields=["description"])
        history.record_described(updated.pool, updated)
        others = channels(Peer.objects.filter(pool_id=pool_id).exclude(pk=peer_id))
    announce(signals.description_changed, Peer, peer=updated, description=description)
    notice = messages.describe(pool_id, peer_id, description)
    return updated, [(channel, notice) for channel in others]


def close(pool: Pool) -> Outbox:
    """Close ``pool`` and remove all its peers; each of them is sent ``rtcpool.stop``."""
    with transaction.atomic():
        pool = Pool.objects.select_for_update().get(pk=pool.pk)
        pool.is_open = False
        pool.save(update_fields=["is_open"])
        peers = list(
            Peer.objects.filter(pool=pool).values_list("id", "channel_name", "description")
        )
        Peer.objects.filter(pool=pool).delete()
        history.record_closed(pool, [(pk, desc) for pk, _, desc in peers])
    announce(signals.pool_closed, Pool, pool=pool)
    for peer_id, _, _ in peers:
        announce(signals.peer_left, Peer, peer_id=str(peer_id), pool=pool, reason="closed")
    return [(channel, messages.stop(pool.pk)) for _, channel, _ in peers]


def channels(peers: QuerySet[Peer]) -> list[str]:
    """The channel names of ``peers``."""
    return list(peers.values_list("channel_name", flat=True))
