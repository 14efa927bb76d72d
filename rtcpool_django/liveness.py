"""Removing the peers whose connection no longer exists: those of dead workers, those of
a worker on its way out, and a live worker's own orphans (a departure that failed).

The heartbeat (:mod:`rtcpool_django.heartbeat`) calls these through
:mod:`rtcpool_django.pools`, which delivers the notices they return.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from .conf import rtcpool_settings
from .membership import remove
from .messages import Outbox
from .models import Peer, Worker

logger = logging.getLogger("rtcpool_django")


def prune(timeout: float | None) -> tuple[Outbox, int]:
    """Remove the peers of workers silent for ``timeout`` seconds (default
    ``WORKER_TIMEOUT``) and of no known worker, and the dead workers' rows."""
    if timeout is None:
        timeout = rtcpool_settings.WORKER_TIMEOUT
    cutoff = timezone.now() - timedelta(seconds=timeout)
    dead = list(Worker.objects.filter(last_seen__lt=cutoff).values_list("id", flat=True))
    orphans = Peer.objects.exclude(
        worker__in=Worker.objects.filter(last_seen__gte=cutoff).values("id")
    )
    rows = list(orphans.values_list("id", "worker"))
    # A dead worker's peers left when it last proved alive; peers of no known worker, now.
    last_seen = dict(
        Worker.objects.filter(id__in={w for _, w in rows}).values_list("id", "last_seen")
    )
    left_at = {str(pk): last_seen[w] for pk, w in rows if w in last_seen}
    peer_ids = [str(pk) for pk, _ in rows]
    outbox, removed = remove(peer_ids, reason="pruned", left_at=left_at) if peer_ids else ([], 0)
    if dead:
        Worker.objects.filter(id__in=dead, last_seen__lt=cutoff).delete()
    if removed or dead:
        logger.warning("rtcpool: pruned %d peer(s); dead workers: %s", removed, dead)
    return outbox, removed


def forget(worker_id: str) -> tuple[Outbox, int]:
    """Remove every peer of ``worker_id`` and its heartbeat row."""
    peer_ids = [
        str(pk) for pk in Peer.objects.filter(worker=worker_id).values_list("id", flat=True)
    ]
    outbox, removed = remove(peer_ids, reason="left")
    Worker.objects.filter(id=worker_id).delete()
    return outbox, removed


def channels_of(worker_id: str) -> list[tuple[str, str]]:
    """``(peer id, channel name)`` of every peer of ``worker_id``."""
    rows = Peer.objects.filter(worker=worker_id).values_list("id", "channel_name")
    return [(str(pk), channel) for pk, channel in rows]
