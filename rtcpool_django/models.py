"""Pools, their live peers, and the worker processes that hold those peers' sockets."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conf import POOL_NAME_COLUMN_LENGTH


class Access(models.TextChoices):
    """Who may join a pool (``Pool.access``). A valid join token for the pool admits its
    holder whatever the mode (:mod:`rtcpool_django.tokens`)."""

    PUBLIC = "public", _("anyone")
    AUTHENTICATED = "authenticated", _("signed-in users")
    MEMBERS = "members", _("members (the users and groups listed)")
    TOKEN = "token", _("holders of a join token only")


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
        help_text="A private pool is never created by a join, admits signed-in users only "
        "(the default ADMIT_PEER), and answers every refusal with pool_not_found.",
    )
    access = models.CharField(
        max_length=16,
        choices=Access.choices,
        default=Access.PUBLIC,
        help_text="Who may join (forbidden or token_required otherwise). A valid join "
        "token for this pool admits in every mode.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="rtcpool_pools",
        help_text="Users who may join when access is 'members'.",
    )
    member_groups = models.ManyToManyField(
        "auth.Group",
        blank=True,
        related_name="rtcpool_pools",
        verbose_name="member groups",
        help_text="Groups whose users may join when access is 'members'.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def group_name(self) -> str:
        """The channel-layer group of this pool's peers; valid for any pool name."""
        return f"rtcpool.pool.{self.pk}"

    def admits_as(self, other: Pool) -> bool:
        """Whether this pool's settings are ``other``'s: every field but its id, name,
        creation time and whether it is open, so that a join admitted against one (an
        unsaved pool joining would create) is admitted against the other."""
        return all(
            getattr(self, f.attname) == getattr(other, f.attname) for f in self.settings_fields()
        )

    @classmethod
    def settings_fields(cls) -> list[models.Field[Any, Any]]:
        """The fields :meth:`admits_as` compares."""
        return [f for f in cls._meta.concrete_fields if f.name not in _NOT_SETTINGS]


_NOT_SETTINGS = frozenset({"id", "name", "created", "is_open"})


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


class Call(models.Model):
    """One call in a pool: from the first peer into an empty pool to the last one out."""

    # History outlives its pool: deleting the pool keeps its calls, under the name it had.
    pool = models.ForeignKey(
        Pool, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    pool_name = models.CharField("pool", max_length=POOL_NAME_COLUMN_LENGTH, db_index=True)
    started = models.DateTimeField(db_index=True)
    ended = models.DateTimeField(null=True, blank=True, help_text="Empty while the call goes on.")
    peak_peers = models.PositiveIntegerField(
        "peak", default=0, help_text="Most peers in the pool at the same time."
    )
    stay_count = models.PositiveIntegerField("stays", default=0)
    #: Peers in the call now; kept in the transactions that add and remove them.
    live_peers = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-started"]
        constraints = [
            # At most one call goes on in a pool at a time.
            models.UniqueConstraint(
                fields=["pool"], condition=models.Q(ended=None), name="rtcpool_one_open_call"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pool_name} at {self.started:%Y-%m-%d %H:%M:%S}"

    @property
    def duration(self) -> float | None:
        """Seconds from start to end; None while the call goes on."""
        return None if self.ended is None else (self.ended - self.started).total_seconds()


class Stay(models.Model):
    """One stay of one peer in a pool: from its join to its departure."""

    class Reason(models.TextChoices):
        LEFT = "left", "left"
        KICKED = "kicked", "kicked"
        PRUNED = "pruned", "pruned"
        CLOSED = "closed", "pool closed"
        UNAVAILABLE = "unavailable", "unavailable"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="stays")
    pool = models.ForeignKey(
        Pool, null=True, blank=True, on_delete=models.SET_NULL, related_name="stays"
    )
    pool_name = models.CharField("pool", max_length=POOL_NAME_COLUMN_LENGTH, db_index=True)
    peer_id = models.UUIDField(unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rtcpool_stays",
    )
    description_at_join = models.JSONField(null=True, blank=True)
    description_at_leave = models.JSONField(null=True, blank=True)
    joined = models.DateTimeField(db_index=True)
    left = models.DateTimeField(null=True, blank=True, help_text="Empty while the peer is live.")
    # Not choices-validated: a site's policies may remove peers for reasons of their own.
    reason = models.CharField(max_length=40, blank=True, db_index=True)
    worker = models.CharField(max_length=200)

    class Meta:
        ordering = ["joined"]

    def __str__(self) -> str:
        return str(self.peer_id)

    @property
    def duration(self) -> float | None:
        """Seconds from join to departure; None while the peer is live."""
        return None if self.left is None else (self.left - self.joined).total_seconds()


class WebhookEvent(models.Model):
    """One event for one webhook endpoint: the transactional outbox.

    Written in the transaction of the change it reports, so it exists exactly when the
    change does; a sender delivers it afterwards, at least once, in order per pool.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    #: The Standard Webhooks message id (``webhook-id``): the same for every attempt and
    #: every endpoint, so a receiver de-duplicates on it.
    event_id = models.CharField(max_length=40, db_index=True)
    endpoint = models.CharField(max_length=2000)
    pool_name = models.CharField(max_length=POOL_NAME_COLUMN_LENGTH)
    type = models.CharField(max_length=40)
    payload = models.JSONField()
    created = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(default=timezone.now)
    #: A sender that claimed the event holds it until then; past it, another may retry.
    leased_until = models.DateTimeField(null=True, blank=True)
    delivered = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["endpoint", "pool_name", "id"],
                condition=models.Q(status="pending"),
                name="rtcpool_webhook_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
