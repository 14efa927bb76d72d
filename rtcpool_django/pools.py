"""Domain operations on pools and peers: the one way to join, leave, describe, close, kick.

The consumer, the admin, the management commands and a site's own code all call these.
Each operation is a short database transaction that locks the pool row (so joins and
departures of one pool are serialised across every worker process), followed by delivery
of channel-layer messages to the peers that the transaction saw. Sync functions are for
views, the admin and commands; the ``a``-prefixed twins are for async code.

This module is the API; the work is done by modules named after their job:
:mod:`~rtcpool_django.admission` (who may join what), :mod:`~rtcpool_django.membership`
and :mod:`~rtcpool_django.entry` (the transactions), :mod:`~rtcpool_django.liveness`
(peers whose connection is gone) and :mod:`~rtcpool_django.delivery` (the notices, and
evicting the peers that cannot take them).

Why direct sends instead of ``group_send``: the transaction reads the exact set of peers
that must hear about a change, and a direct ``send`` raises ``ChannelFull`` where
``group_send`` drops silently, so a peer that misses a notice is known and evicted (see
:func:`~rtcpool_django.delivery.deliver`) instead of living on with a wrong view of its pool.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Container, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.models import Count, QuerySet

from . import liveness, membership
from .admission import join_refusal, may_join
from .database import run_in_thread
from .delivery import Undelivered, deliver, deliver_on_commit
from .group_commit import GroupCommit
from .history import pool_calls, pool_stays
from .history import prune as prune_calls
from .membership import Joined
from .messages import DESCRIBE, KICK, LEAVE, NOTICES, PEER, RELAY, STOP, SYNC
from .models import Access, Call, Peer, Pool, Stay

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _PeerCount(TypedDict):
        peer_count: int

    #: A :class:`Pool` from :func:`list_pools`, which carries ``peer_count``.
    PoolWithPeerCount: TypeAlias = WithAnnotations[Pool, _PeerCount]

__all__ = [
    "DESCRIBE",
    "KICK",
    "LEAVE",
    "NOTICES",
    "PEER",
    "RELAY",
    "STOP",
    "SYNC",
    "Joined",
    "Undelivered",
    "acalls",
    "aclose_pool",
    "acreate_pool",
    "adescribe",
    "aforget_worker",
    "aget_pool",
    "ahistory",
    "ajoin",
    "akick",
    "aleave",
    "alist_pools",
    "alive_peers",
    "amay_join",
    "aprune_dead_workers",
    "aprune_orphans",
    "calls",
    "close_pool",
    "create_pool",
    "deliver",
    "describe",
    "get_pool",
    "history",
    "join_refusal",
    "kick",
    "leave",
    "list_pools",
    "live_peers",
    "may_join",
    "prune_dead_workers",
    "prune_history",
]

logger = logging.getLogger("rtcpool_django")


# --- queries -----------------------------------------------------------------------------


def get_pool(name: str) -> Pool:
    """The pool called ``name``; raises ``Pool.DoesNotExist``."""
    return Pool.objects.get(name=name)


def create_pool(
    name: str,
    *,
    max_peers: int | None = None,
    private: bool = False,
    is_open: bool = True,
    access: str = Access.PUBLIC,
) -> Pool:
    """Create a pool ahead of any join (needed for private pools). ``access`` is one of
    :class:`~rtcpool_django.models.Access` (``"public"``, ``"authenticated"``,
    ``"members"``, ``"token"``); add members with ``pool.members.add(user)`` and
    ``pool.member_groups.add(group)``."""
    if access not in Access.values:
        raise ValueError(f"access must be one of {', '.join(Access.values)}, not {access!r}")
    return Pool.objects.create(
        name=name, max_peers=max_peers, private=private, is_open=is_open, access=access
    )


def list_pools() -> QuerySet[PoolWithPeerCount]:
    """All pools by name, each annotated with ``peer_count`` (its live peers)."""
    # Explicit order: Django ignores Meta.ordering in aggregating (GROUP BY) queries.
    return Pool.objects.annotate(peer_count=Count("peers")).order_by("name")


def live_peers(pool: Pool | str) -> QuerySet[Peer]:
    """The live peers of a pool, oldest first."""
    return Peer.objects.filter(pool=_pool(pool)).select_related("user")


def history(pool: Pool | str, since: datetime | None = None) -> QuerySet[Stay]:
    """The stays of peers in ``pool`` (a Pool or its name), oldest first; with ``since``,
    the stays that were live at or after it. See :mod:`rtcpool_django.history`."""
    return pool_stays(pool, since)


def calls(pool: Pool | str, since: datetime | None = None) -> QuerySet[Call]:
    """The calls in ``pool``, newest first; with ``since``, those going on at or after it."""
    return pool_calls(pool, since)


async def ahistory(pool: Pool | str, since: datetime | None = None) -> list[Stay]:
    """Async :func:`history`, evaluated to a list."""
    return await run_in_thread(lambda: list(history(pool, since)))


async def acalls(pool: Pool | str, since: datetime | None = None) -> list[Call]:
    """Async :func:`calls`, evaluated to a list."""
    return await run_in_thread(lambda: list(calls(pool, since)))


def prune_history(days: float | None = None) -> tuple[int, int]:
    """Delete calls and stays that ended more than ``days`` ago (default
    ``RTCPOOL["HISTORY_DAYS"]``; None keeps everything), and settled webhook events as
    old. Returns (calls, events) deleted."""
    return prune_calls(days)


async def aget_pool(name: str) -> Pool:
    """Async :func:`get_pool`."""
    return await run_in_thread(get_pool, name)


async def acreate_pool(
    name: str,
    *,
    max_peers: int | None = None,
    private: bool = False,
    is_open: bool = True,
    access: str = Access.PUBLIC,
) -> Pool:
    """Async :func:`create_pool`."""
    return await run_in_thread(
        create_pool, name, max_peers=max_peers, private=private, is_open=is_open, access=access
    )


async def alist_pools() -> list[PoolWithPeerCount]:
    """Async :func:`list_pools`, evaluated to a list."""
    return await run_in_thread(lambda: list(list_pools()))


async def alive_peers(pool: Pool | str) -> list[Peer]:
    """Async :func:`live_peers`, evaluated to a list."""
    return await run_in_thread(lambda: list(live_peers(pool)))


# --- join and leave (the consumer's side) ------------------------------------------------


async def ajoin(
    requested: str, *, channel_name: str, worker: str, scope: Mapping[str, Any]
) -> Joined:
    """Join the pool named ``requested`` (after aliasing); raises ``ProtocolError``.

    Every other peer gets ``rtcpool.peer`` before this returns, so a relay the joiner
    sends afterwards can never overtake the news of its arrival.
    """
    request = membership.JoinRequest(requested, channel_name, worker, scope)
    joined, delivered = await _joins.submit(request)
    await asyncio.shield(delivered)  # the notices of its whole batch, shared
    return joined


async def _join_batch(
    requests: list[membership.JoinRequest],
) -> list[tuple[Joined, asyncio.Future[Undelivered]] | Exception]:
    """Joins that arrived together: one thread hop and one transaction for all of them,
    then one delivery of all their notices, which each join's caller awaits."""
    outcomes = await run_in_thread(membership.join_many, requests)
    outbox = [item for o in outcomes if not isinstance(o, Exception) for item in o[1]]
    delivered = asyncio.ensure_future(deliver(outbox))
    return [o if isinstance(o, Exception) else (o[0], delivered) for o in outcomes]


async def _departure_batch(
    departures: list[tuple[str, str]],
) -> list[tuple[bool, asyncio.Future[Undelivered]]]:
    """Departures (peer id, reason) that arrived together: one transaction, one delivery."""
    outbox, removed = await run_in_thread(membership.remove_each, departures)
    delivered = asyncio.ensure_future(deliver(outbox))
    outcomes: list[tuple[bool, asyncio.Future[Undelivered]]] = []
    for peer_id, _ in departures:
        # Only the first request for a peer removed it (see membership.remove_each).
        outcomes.append((peer_id in removed, delivered))
        removed.discard(peer_id)
    return outcomes


# Group commit (rtcpool_django.group_commit): the joins, and the departures, that arrive
# while a batch of their kind is in flight go together in the next one.
_joins = GroupCommit(_join_batch)
_departures = GroupCommit(_departure_batch)


async def amay_join(requested: str, *, scope: Mapping[str, Any], user: Any) -> bool:
    """Async :func:`may_join`."""
    return await run_in_thread(may_join, requested, scope=scope, user=user)


def leave(peer: Peer | str | uuid.UUID) -> bool:
    """Remove a peer whose socket is gone; the peers that knew it get ``rtc:close``.
    False if it had already been removed (kicked, pruned, pool closed)."""
    outbox, removed = membership.remove([_peer_id(peer)], reason="left")
    deliver_on_commit(outbox)
    return removed > 0


async def aleave(peer: Peer | str | uuid.UUID) -> bool:
    """Async :func:`leave`."""
    removed, delivered = await _departures.submit((_peer_id(peer), "left"))
    await asyncio.shield(delivered)
    return removed


# --- back-end control --------------------------------------------------------------------


def describe(peer: Peer | str | uuid.UUID, description: Any) -> Peer:
    """Store a peer's description and send ``rtc:describe`` to the other peers of its pool.

    The described peer itself is never told (the client would throw on its own id).
    Raises ``Peer.DoesNotExist`` when the peer has gone.
    """
    updated, outbox = membership.describe(_peer_id(peer), description)
    deliver_on_commit(outbox)
    return updated


async def adescribe(peer: Peer | str | uuid.UUID, description: Any) -> Peer:
    """Async :func:`describe`."""
    updated, outbox = await run_in_thread(membership.describe, _peer_id(peer), description)
    await deliver(outbox)
    return updated


def close_pool(pool: Pool | str) -> int:
    """Close a pool: every peer gets ``rtc:stop`` and its socket is closed; joins are
    refused with ``pool_closed`` until the pool is opened again. Returns the peers removed.
    """
    outbox = membership.close(_pool(pool))
    deliver_on_commit(outbox)
    return len(outbox)


async def aclose_pool(pool: Pool | str) -> int:
    """Async :func:`close_pool`."""
    outbox = await run_in_thread(lambda: membership.close(_pool(pool)))
    await deliver(outbox)
    return len(outbox)


def kick(peer: Peer | str | uuid.UUID) -> bool:
    """Close a peer's socket; the peers that knew it get ``rtc:close``. False if gone."""
    outbox, removed = membership.remove([_peer_id(peer)], reason="kicked")
    deliver_on_commit(outbox)
    return removed > 0


async def akick(peer: Peer | str | uuid.UUID) -> bool:
    """Async :func:`kick`."""
    removed, delivered = await _departures.submit((_peer_id(peer), "kicked"))
    await asyncio.shield(delivered)
    return removed


# --- dead workers ------------------------------------------------------------------------


def prune_dead_workers(timeout: float | None = None) -> int:
    """Remove the peers of workers whose heartbeat is older than ``timeout`` seconds
    (default ``WORKER_TIMEOUT``), and peers of no known worker. Returns peers removed."""
    outbox, removed = liveness.prune(timeout)
    deliver_on_commit(outbox)
    return removed


async def aprune_dead_workers(timeout: float | None = None) -> int:
    """Async :func:`prune_dead_workers`."""
    outbox, removed = await run_in_thread(liveness.prune, timeout)
    await deliver(outbox)
    return removed


async def aforget_worker(worker_id: str) -> int:
    """Remove every peer of ``worker_id`` and its heartbeat row; the peers that knew them
    get ``rtc:close``. For a worker on its way out (it is not there to be pruned later)."""
    outbox, removed = await run_in_thread(liveness.forget, worker_id)
    await deliver(outbox)
    return removed


async def aprune_orphans(worker_id: str, live_channels: Container[str]) -> int:
    """Remove the peers of ``worker_id`` (this process) whose channel is not one of its
    open connections: a departure that failed. Their pools get ``rtc:close``.

    ``live_channels`` is read after the database, in the event loop: a connection
    registers before its join inserts a row, so a row whose channel is not open then
    belongs to a connection that is gone (a copy taken before the read would take a join
    that lands meanwhile for an orphan).
    """
    rows = await run_in_thread(liveness.channels_of, worker_id)
    orphans = [peer_id for peer_id, channel in rows if channel not in live_channels]
    if not orphans:
        return 0
    logger.warning("rtcpool: removing %d peer(s) whose connection is gone", len(orphans))
    outbox, removed = await run_in_thread(membership.remove, orphans, reason="pruned")
    await deliver(outbox)
    return removed


def _peer_id(peer: Peer | str | uuid.UUID) -> str:
    return str(peer.pk if isinstance(peer, Peer) else peer)


def _pool(pool: Pool | str) -> Pool:
    return pool if isinstance(pool, Pool) else Pool.objects.get(name=pool)
