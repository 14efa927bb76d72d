"""Pools, their live peers, and the worker processes that hold those peers' sockets."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from .conf import POOL_NAME_COLUMN_LENGTH


class Pool(models.Model):
    """A named set of peers that signal to each other (an ssp pool)."""

    name = models.CharField(max_length=POOL_NAME_COLUMN_LENGTH, unique=True)
    created = models.DateTimeField(default=timezone.now, editable=False)
    is_open = models.BooleanField(
        "open", default=True, help_text="A closed pool refuses joins (reason pool_closed)."
    )
    max_peers = models.PositiveIntegerField(
        null=True, blank=True, help_text="Joins beyond this many peers get pool_full."
    )
    private = models.BooleanField(
        default=False,
        help_text="A private pool is never created by a join; it must exist beforehand.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def group_name(self) -> str:
        """The channel-layer group of this pool's peers; valid for any pool name."""
        return f"rtcpool.pool.{self.pk}"


class Peer(models.Model):
    """One live WebSocket connection that has joined a pool."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="peers")
    channel_name = models.CharField(max_length=255, editable=False)
    description = models.JSONField(
        null=True, blank=True, help_text="Set by the back-end only; sent as rtc:describe."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rtcpool_peers",
    )
    joined = models.DateTimeField(default=timezone.now, editable=False)
    worker = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta:
        ordering = ["joined"]

    def __str__(self) -> str:
        return str(self.id)


class Worker(models.Model):
    """A server process holding peers; its heartbeat says it is alive."""

    id = models.CharField(max_length=200, primary_key=True)
    started = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.id
