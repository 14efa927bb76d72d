"""The transactions behind :mod:`rtcpool_django.pools`: join, remove, describe, close.

Each one locks the pool's row, so that joins and departures of one pool are serialised
across every worker process, and returns the :data:`~rtcpool_django.messages.Outbox` of
notices for the peers it saw; the caller delivers them once the change is committed
(:mod:`rtcpool_django.delivery`). Everything here is synchronous ORM work, run on the
ORM threads by the ``a``-prefixed functions of :mod:`rtcpool_django.pools`.

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
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal

from . import history, messages, signals
from .admission import admit, initial_description, joiner, pool_for_join
from .entry import enter
from .messages import Outbox
from .models import Peer, Pool


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


def join(
    requested: str, channel_name: str, worker: str, scope: Mapping[str, Any]
) -> tuple[Joined, Outbox]:
    """Admit and insert a new peer; raises ``ProtocolError`` for a refused join."""
    admitted = admit(requested, scope, joiner(scope))
    pool = pool_for_join(admitted, scope)
    user = admitted.user
    description = initial_description(admitted, scope, pool)
    peer, others = enter(
        pool, channel_name=channel_name, description=description, user=user, worker=worker
    )
    announce(signals.peer_joined, Peer, peer=peer, pool=pool)

    peer_id = str(peer.id)
    notice = messages.peer(pool.pk, peer_id, channel_name, peer.description)
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
    """Delete peers, pool by pool under the pool lock; tell the rest of each pool.

    Removed peers whose socket may still be open (kick, prune) are sent ``rtcpool.kick``
    so their consumer closes the socket; a peer leaving by itself needs no such notice.
    Their stays end at ``left_at`` (now by default; one moment, or one per peer id).
    """
    by_pool: dict[int, list[str]] = defaultdict(list)
    for pk, pool_id in Peer.objects.filter(pk__in=list(peer_ids)).values_list("id", "pool_id"):
        by_pool[pool_id].append(str(pk))
    outbox: Outbox = []
    removed = 0
    for pool_id, ids in by_pool.items():
        with transaction.atomic():
            pool = Pool.objects.select_for_update().filter(pk=pool_id).first()
            if pool is None:
                continue
            gone = list(
                Peer.objects.filter(pk__in=ids).values_list("id", "channel_name", "description")
            )
            Peer.objects.filter(pk__in=ids).delete()
            history.record_left(
                pool, [(pk, desc) for pk, _, desc in gone], reason=reason, at=left_at
            )
            remaining = channels(Peer.objects.filter(pool_id=pool_id))
        removed += len(gone)
        for pk, channel, _ in gone:
            peer_id = str(pk)
            outbox += [(c, messages.leave(pool_id, peer_id)) for c in remaining]
            if reason != "left":
                outbox.append((channel, messages.kick(pool_id, peer_id)))
            announce(signals.peer_left, Peer, peer_id=peer_id, pool=pool, reason=reason)
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
