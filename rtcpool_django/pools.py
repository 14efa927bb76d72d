"""Domain operations on pools and peers: the one way to join, leave, describe, close, kick.

The consumer, the admin, the management commands and a site's own code all call these.
Each operation is a short database transaction that locks the pool row (so joins and
departures of one pool are serialised across every worker process), followed by delivery
of channel-layer messages to the peers that the transaction saw. Sync functions are for
views, the admin and commands; the ``a``-prefixed twins are for async code.

Why direct sends instead of ``group_send``: the transaction reads the exact set of peers
that must hear about a change, and a direct ``send`` raises ``ChannelFull`` where
``group_send`` drops silently, so a peer that misses a notice is known and evicted (see
:func:`deliver`) instead of living on with a wrong view of its pool.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from asgiref.sync import async_to_sync
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from . import signals
from .conf import POOL_NAME_COLUMN_LENGTH, rtcpool_settings
from .database import run_in_thread
from .delivery import Outbox, Undelivered, send_in_background, send_notices
from .entry import enter
from .models import Peer, Pool, Worker

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _PeerCount(TypedDict):
        peer_count: int

    #: A :class:`Pool` from :func:`list_pools`, which carries ``peer_count``.
    PoolWithPeerCount: TypeAlias = WithAnnotations[Pool, _PeerCount]
from .protocol import ProtocolError

logger = logging.getLogger("rtcpool_django")

# Channel-layer message types understood by PoolConsumer (handler = type with "." -> "_").
PEER = "rtcpool.peer"
LEAVE = "rtcpool.leave"
DESCRIBE = "rtcpool.describe"
STOP = "rtcpool.stop"
KICK = "rtcpool.kick"
RELAY = "rtcpool.relay"


@dataclass
class Joined:
    """What a successful join returns to the consumer."""

    peer_id: str
    pool_id: int
    pool_name: str
    group_name: str
    roster: dict[str, str]  # other peer id -> channel name
    descriptions: dict[str, Any]


# --- queries -----------------------------------------------------------------------------


def get_pool(name: str) -> Pool:
    """The pool called ``name``; raises ``Pool.DoesNotExist``."""
    return Pool.objects.get(name=name)


def create_pool(
    name: str, *, max_peers: int | None = None, private: bool = False, is_open: bool = True
) -> Pool:
    """Create a pool ahead of any join (needed for private pools)."""
    return Pool.objects.create(name=name, max_peers=max_peers, private=private, is_open=is_open)


def list_pools() -> QuerySet[PoolWithPeerCount]:
    """All pools by name, each annotated with ``peer_count`` (its live peers)."""
    # Explicit order: Django ignores Meta.ordering in aggregating (GROUP BY) queries.
    return Pool.objects.annotate(peer_count=Count("peers")).order_by("name")


def live_peers(pool: Pool | str) -> QuerySet[Peer]:
    """The live peers of a pool, oldest first."""
    return Peer.objects.filter(pool=_pool(pool)).select_related("user")


async def aget_pool(name: str) -> Pool:
    """Async :func:`get_pool`."""
    return await run_in_thread(get_pool, name)


async def acreate_pool(
    name: str, *, max_peers: int | None = None, private: bool = False, is_open: bool = True
) -> Pool:
    """Async :func:`create_pool`."""
    return await run_in_thread(
        create_pool, name, max_peers=max_peers, private=private, is_open=is_open
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
    joined, outbox = await run_in_thread(_join, requested, channel_name, worker, scope)
    await deliver(outbox)
    return joined


def _join(
    requested: str, channel_name: str, worker: str, scope: Mapping[str, Any]
) -> tuple[Joined, Outbox]:
    user = scope.get("user")
    if user is not None and not user.is_authenticated:
        user = None
    name = _resolve(requested, scope)
    pool = Pool.objects.filter(name=name).first() or _create_for_join(name, scope, user)
    # Admission reads the pool unlocked: what can change under a join (open, full) is
    # checked again under the pool's row lock by entry.enter.
    _admit(scope, user, pool)
    description = rtcpool_settings.INITIAL_DESCRIPTION(scope, user, pool)
    peer, others = enter(
        pool, channel_name=channel_name, description=description, user=user, worker=worker
    )
    signals.peer_joined.send(sender=Peer, peer=peer, pool=pool)

    peer_id = str(peer.id)
    notice = {
        "type": PEER,
        "pool": pool.pk,
        "id": peer_id,
        "channel": channel_name,
        "description": peer.description,
    }
    joined = Joined(
        peer_id=peer_id,
        pool_id=pool.pk,
        pool_name=pool.name,
        group_name=pool.group_name,
        roster={str(pk): channel for pk, channel, _ in others},
        descriptions={str(pk): desc for pk, _, desc in others},
    )
    return joined, [(channel, notice) for _, channel, _ in others]


def _resolve(requested: str, scope: Mapping[str, Any]) -> str:
    name = rtcpool_settings.RESOLVE_POOL_NAME(requested, scope)
    if not name:
        raise ProtocolError("pool_not_found")
    if not isinstance(name, str) or len(name) > POOL_NAME_COLUMN_LENGTH:
        # A site's aliasing hook made a name no pool can have: the client asked for a valid
        # name, so it hears that there is no such pool, and the site's log says why.
        logger.error(
            "rtcpool: RESOLVE_POOL_NAME returned %r for %r: not a str of at most %d characters",
            name if not isinstance(name, str) else f"{name[:40]}... ({len(name)} characters)",
            requested,
            POOL_NAME_COLUMN_LENGTH,
        )
        raise ProtocolError("pool_not_found")
    return name


def _create_for_join(name: str, scope: Mapping[str, Any], user: Any) -> Pool:
    """Create the pool a join asks for, if joining may create it and the joiner would be
    admitted: a refused join must leave no pool behind."""
    if not rtcpool_settings.AUTO_CREATE_POOLS:
        raise ProtocolError("pool_not_found")
    _admit(scope, user, Pool(name=name, max_peers=rtcpool_settings.DEFAULT_MAX_PEERS))
    # Another join may create it meanwhile, maybe differently: the caller admits against
    # the row that exists.
    pool, _ = Pool.objects.get_or_create(
        name=name, defaults={"max_peers": rtcpool_settings.DEFAULT_MAX_PEERS}
    )
    return pool


def _admit(scope: Mapping[str, Any], user: Any, pool: Pool) -> None:
    if not rtcpool_settings.ADMIT_PEER(scope, user, pool):
        # A private pool does not reveal that it exists to those it refuses.
        raise ProtocolError("pool_not_found" if pool.private else "forbidden")


def may_join(requested: str, *, scope: dict[str, Any], user: Any) -> bool:
    """Whether a join of ``requested`` by ``user`` would be admitted now: the name resolves
    (``RESOLVE_POOL_NAME``), the pool exists or joining may create it, ``ADMIT_PEER`` says
    yes and the pool is open. Capacity (``max_peers``) is not checked: it changes by the
    second and says nothing about who you are. Nothing is created."""
    return join_refusal(requested, scope=scope, user=user) is None


def join_refusal(requested: str, *, scope: dict[str, Any], user: Any) -> str | None:
    """The reason a join of ``requested`` by ``user`` would be refused now (``None``: it
    would be admitted), as :func:`may_join` judges it: ``pool_not_found``, ``forbidden``
    or ``pool_closed``, the ``rtc:error`` reason the join itself would answer."""
    user = user if user is not None and user.is_authenticated else None
    try:
        name = _resolve(requested, scope)
        pool = Pool.objects.filter(name=name).first()
        if pool is None:
            if not rtcpool_settings.AUTO_CREATE_POOLS:
                return "pool_not_found"
            pool = Pool(name=name, max_peers=rtcpool_settings.DEFAULT_MAX_PEERS)
        _admit(scope, user, pool)
    except ProtocolError as error:
        return error.reason
    return None if pool.is_open else "pool_closed"


async def amay_join(requested: str, *, scope: dict[str, Any], user: Any) -> bool:
    """Async :func:`may_join`."""
    return await run_in_thread(may_join, requested, scope=scope, user=user)


def leave(peer: Peer | str | uuid.UUID) -> bool:
    """Remove a peer whose socket is gone; the peers that knew it get ``rtc:close``.
    False if it had already been removed (kicked, pruned, pool closed)."""
    outbox, removed = _remove([_peer_id(peer)], reason="left")
    _deliver_on_commit(outbox)
    return removed > 0


async def aleave(peer: Peer | str | uuid.UUID) -> bool:
    """Async :func:`leave`."""
    outbox, removed = await run_in_thread(_remove, [_peer_id(peer)], reason="left")
    await deliver(outbox)
    return removed > 0


# --- back-end control --------------------------------------------------------------------


def describe(peer: Peer | str | uuid.UUID, description: Any) -> Peer:
    """Store a peer's description and send ``rtc:describe`` to the other peers of its pool.

    The described peer itself is never told (the client would throw on its own id).
    Raises ``Peer.DoesNotExist`` when the peer has gone.
    """
    updated, outbox = _describe(_peer_id(peer), description)
    _deliver_on_commit(outbox)
    return updated


async def adescribe(peer: Peer | str | uuid.UUID, description: Any) -> Peer:
    """Async :func:`describe`."""
    updated, outbox = await run_in_thread(_describe, _peer_id(peer), description)
    await deliver(outbox)
    return updated


def _describe(peer_id: str, description: Any) -> tuple[Peer, Outbox]:
    with transaction.atomic():
        pool_id = Peer.objects.values_list("pool_id", flat=True).get(pk=peer_id)
        Pool.objects.select_for_update().get(pk=pool_id)
        updated = Peer.objects.select_related("pool").get(pk=peer_id)
        updated.description = description
        updated.save(update_fields=["description"])
        others = _channels(Peer.objects.filter(pool_id=pool_id).exclude(pk=peer_id))
    signals.description_changed.send(sender=Peer, peer=updated, description=description)
    notice = {"type": DESCRIBE, "pool": pool_id, "id": peer_id, "description": description}
    return updated, [(channel, notice) for channel in others]


def close_pool(pool: Pool | str) -> int:
    """Close a pool: every peer gets ``rtc:stop`` and its socket is closed; joins are
    refused with ``pool_closed`` until the pool is opened again. Returns the peers removed.
    """
    outbox = _close_pool(_pool(pool))
    _deliver_on_commit(outbox)
    return len(outbox)


async def aclose_pool(pool: Pool | str) -> int:
    """Async :func:`close_pool`."""
    outbox = await run_in_thread(lambda: _close_pool(_pool(pool)))
    await deliver(outbox)
    return len(outbox)


def _close_pool(pool: Pool) -> Outbox:
    with transaction.atomic():
        pool = Pool.objects.select_for_update().get(pk=pool.pk)
        pool.is_open = False
        pool.save(update_fields=["is_open"])
        peers = list(Peer.objects.filter(pool=pool).values_list("id", "channel_name"))
        Peer.objects.filter(pool=pool).delete()
    signals.pool_closed.send(sender=Pool, pool=pool)
    for peer_id, _ in peers:
        signals.peer_left.send(sender=Peer, peer_id=str(peer_id), pool=pool, reason="closed")
    return [(channel, {"type": STOP, "pool": pool.pk}) for _, channel in peers]


def kick(peer: Peer | str | uuid.UUID) -> bool:
    """Close a peer's socket; the peers that knew it get ``rtc:close``. False if gone."""
    outbox, removed = _remove([_peer_id(peer)], reason="kicked")
    _deliver_on_commit(outbox)
    return removed > 0


async def akick(peer: Peer | str | uuid.UUID) -> bool:
    """Async :func:`kick`."""
    outbox, removed = await run_in_thread(_remove, [_peer_id(peer)], reason="kicked")
    await deliver(outbox)
    return removed > 0


# --- dead workers ------------------------------------------------------------------------


def prune_dead_workers(timeout: float | None = None) -> int:
    """Remove the peers of workers whose heartbeat is older than ``timeout`` seconds
    (default ``WORKER_TIMEOUT``), and peers of no known worker. Returns peers removed."""
    outbox, removed = _prune(timeout)
    _deliver_on_commit(outbox)
    return removed


async def aprune_dead_workers(timeout: float | None = None) -> int:
    """Async :func:`prune_dead_workers`."""
    outbox, removed = await run_in_thread(_prune, timeout)
    await deliver(outbox)
    return removed


async def aforget_worker(worker_id: str) -> int:
    """Remove every peer of ``worker_id`` and its heartbeat row; the peers that knew them
    get ``rtc:close``. For a worker on its way out (it is not there to be pruned later)."""

    def forget() -> tuple[Outbox, int]:
        peer_ids = [
            str(pk) for pk in Peer.objects.filter(worker=worker_id).values_list("id", flat=True)
        ]
        outbox, removed = _remove(peer_ids, reason="left")
        Worker.objects.filter(id=worker_id).delete()
        return outbox, removed

    outbox, removed = await run_in_thread(forget)
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
    rows = await run_in_thread(
        lambda: list(Peer.objects.filter(worker=worker_id).values_list("id", "channel_name"))
    )
    orphans = [str(pk) for pk, channel in rows if channel not in live_channels]
    if not orphans:
        return 0
    logger.warning("rtcpool: removing %d peer(s) whose connection is gone", len(orphans))
    outbox, removed = await run_in_thread(_remove, orphans, reason="pruned")
    await deliver(outbox)
    return removed


def _prune(timeout: float | None) -> tuple[Outbox, int]:
    if timeout is None:
        timeout = rtcpool_settings.WORKER_TIMEOUT
    cutoff = timezone.now() - timedelta(seconds=timeout)
    dead = list(Worker.objects.filter(last_seen__lt=cutoff).values_list("id", flat=True))
    orphans = Peer.objects.exclude(
        worker__in=Worker.objects.filter(last_seen__gte=cutoff).values("id")
    )
    peer_ids = [str(pk) for pk in orphans.values_list("id", flat=True)]
    outbox, removed = _remove(peer_ids, reason="pruned") if peer_ids else ([], 0)
    if dead:
        Worker.objects.filter(id__in=dead, last_seen__lt=cutoff).delete()
    if removed or dead:
        logger.warning("rtcpool: pruned %d peer(s); dead workers: %s", removed, dead)
    return outbox, removed


# --- shared mechanics --------------------------------------------------------------------


def _remove(peer_ids: Iterable[str], *, reason: str) -> tuple[Outbox, int]:
    """Delete peers, pool by pool under the pool lock; tell the rest of each pool.

    Removed peers whose socket may still be open (kick, prune) are sent ``rtcpool.kick``
    so their consumer closes the socket; a peer leaving by itself needs no such notice.
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
            gone = list(Peer.objects.filter(pk__in=ids).values_list("id", "channel_name"))
            Peer.objects.filter(pk__in=ids).delete()
            remaining = _channels(Peer.objects.filter(pool_id=pool_id))
        removed += len(gone)
        for pk, channel in gone:
            peer_id = str(pk)
            outbox += [(c, {"type": LEAVE, "pool": pool_id, "id": peer_id}) for c in remaining]
            if reason != "left":
                outbox.append((channel, {"type": KICK, "pool": pool_id, "id": peer_id}))
            signals.peer_left.send(sender=Peer, peer_id=peer_id, pool=pool, reason=reason)
    return outbox, removed


def _channels(peers: QuerySet[Peer]) -> list[str]:
    return list(peers.values_list("channel_name", flat=True))


def _deliver_on_commit(outbox: Outbox) -> None:
    # A sync caller may be inside its own atomic block (the admin's views are): announce
    # the change once it is committed, never one that is then rolled back. Outside an
    # atomic block on_commit runs at once.
    if outbox:
        transaction.on_commit(lambda: async_to_sync(deliver)(outbox))


async def deliver(outbox: Outbox) -> Undelivered:
    """Send each message (see :mod:`rtcpool_django.delivery`); messages to one channel keep
    their order. Returns what was still undelivered after ``DELIVERY_TIMEOUT``.

    A notice refused by a channel that stayed full is not merely logged: the peer behind it
    would keep a wrong view of its pool for good (a peer it never hears of, or a ghost it
    never hears leave), and the client cannot tell. So such a peer is evicted as if kicked:
    the rest of its pool gets ``rtc:close``, and its consumer gets ``rtcpool.kick`` (offered
    while the channel stays full, up to ``WORKER_TIMEOUT``) and closes the socket, after
    which the client joins afresh. A notice lost because the layer itself failed (Redis
    unreachable) is not the peer's fault: its worker repairs the roster from the database
    at its next heartbeat, or as soon as the layer is back (:mod:`rtcpool_django.recovery`).
    """
    # A kick goes to a peer already removed, often one whose channel is full: nobody
    # waits for it, and it is offered for as long as a stalled worker may come back.
    kicks = [(channel, message) for channel, message in outbox if message["type"] == KICK]
    undelivered = await send_notices([item for item in outbox if item[1]["type"] != KICK])
    if kicks:
        missed = await send_notices(kicks, timeout=0)
        unkicked = set(missed.full) | set(missed.failed)
        send_in_background(
            [kick for kick in kicks if kick[0] in unkicked],
            timeout=rtcpool_settings.WORKER_TIMEOUT,
        )
    if undelivered.full:
        evictions, _ = await run_in_thread(_evict, undelivered.full)
        await deliver(evictions)  # ends: each round removes peers, or finds none to remove
    return undelivered


def _evict(channels: list[str]) -> tuple[Outbox, int]:
    peer_ids = Peer.objects.filter(channel_name__in=channels).values_list("id", flat=True)
    return _remove([str(pk) for pk in peer_ids], reason="unavailable")


def _peer_id(peer: Peer | str | uuid.UUID) -> str:
    return str(peer.pk if isinstance(peer, Peer) else peer)


def _pool(pool: Pool | str) -> Pool:
    return pool if isinstance(pool, Pool) else Pool.objects.get(name=pool)
