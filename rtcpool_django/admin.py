"""Pools and their live peers in the Django admin; calls, stays and webhook events, read-only.

Every change that peers must hear about goes through :mod:`rtcpool_django.pools`, never a
plain ``save()`` or ``delete()``: editing a description sends ``rtc:describe``, deleting a
peer kicks it, closing or deleting a pool stops its peers with ``rtc:stop``.

Over 400 lines on purpose: one short ``ModelAdmin`` for each of the five models, in the
module ``admin.autodiscover()`` imports, where a reader looks for them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, CharField, ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import pools, webhook_queue
from .models import Call, Peer, Pool, Stay, WebhookEvent

PEER_FIELDS = ("id", "user", "worker", "joined", "description")
# A description in a list cell: long enough for a name and a role, short enough for a row.
SUMMARY_LENGTH = 60


def summary(description: Any) -> str:
    """A peer's description in a few words: its ``"name"`` first when it has one, the rest
    as compact JSON, cut at ``SUMMARY_LENGTH`` characters; ``""`` for no description."""
    if description is None:
        return ""
    name = description.get("name") if isinstance(description, dict) else None
    if isinstance(name, str) and name:
        rest = {key: value for key, value in description.items() if key != "name"}
        text = f"{name} {_compact(rest)}" if rest else name
    else:
        text = _compact(description)
    return Truncator(text).chars(SUMMARY_LENGTH)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


class LivePeerFormSet(BaseInlineFormSet):
    """Peers come and go while a pool's page is open: the form of a peer that has left
    since is emptied, so saving skips it instead of failing on a vanished id."""

    def add_fields(self, form: ModelForm, index: int | None) -> None:
        super().add_fields(form, index)
        initial = index is not None and index < self.initial_form_count()
        if self.is_bound and initial and form.instance._state.adding:
            # Keep only a lenient id field (the formset sets it required afterwards).
            form.fields = {"id": CharField(required=False)}  # Peer's primary key


class PeerInline(admin.TabularInline):
    """A pool's live peers; only the description is editable, "Delete" kicks."""

    model = Peer
    formset = LivePeerFormSet
    fields = PEER_FIELDS
    readonly_fields = ("id", "user", "worker", "joined")
    extra = 0
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # peers exist only while a socket is open


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin):
    list_display = ("name", "peer_count", "is_open", "access", "private", "max_peers", "created")
    list_filter = ("is_open", "access", "private")
    search_fields = ("name",)
    readonly_fields = ("created",)
    fieldsets = (
        (None, {"fields": ("name", "is_open", "max_peers", "created")}),
        (
            _("Who may join"),
            {
                "fields": ("access", "private", "members", "member_groups"),
                "description": _(
                    "Members are asked for when access is 'members'. Holders of a join "
                    "token for this pool (manage.py rtcpool_token) join in every mode."
                ),
            },
        ),
    )
    filter_horizontal = ("members", "member_groups")
    inlines = [PeerInline]
    actions = ["close_selected_pools"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pool]:
        return pools.list_pools()

    @admin.display(description=_("live peers"), ordering="peer_count")
    def peer_count(self, pool: pools.PoolWithPeerCount) -> int:
        return pool.peer_count

    @admin.action(description=_("Close selected pools"), permissions=["change"])
    def close_selected_pools(self, request: HttpRequest, queryset: QuerySet[Pool]) -> None:
        stopped = sum(pools.close_pool(pool) for pool in queryset)
        self.message_user(
            request,
            ngettext(
                "Closed %(pools)d pool(s); %(peers)d peer was stopped.",
                "Closed %(pools)d pool(s); %(peers)d peers were stopped.",
                stopped,
            )
            % {"pools": len(queryset), "peers": stopped},
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: Pool, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_open" in form.changed_data and not obj.is_open:
            pools.close_pool(obj)  # unticking "open" is closing: its peers must stop

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not Peer:
            super().save_formset(request, form, formset, change)
            return
        save_peer_forms(formset)

    def delete_model(self, request: HttpRequest, obj: Pool) -> None:
        pools.close_pool(obj)  # its peers get rtc:stop rather than silence
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Pool]) -> None:
        for pool in queryset:
            self.delete_model(request, pool)


def save_peer_forms(formset: BaseInlineFormSet) -> None:
    """Apply an edited peer formset through pools: deletions kick, descriptions describe."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    deleted = formset.deleted_forms if formset.can_delete else []
    for form in formset.initial_forms:
        peer = form.instance
        if form in deleted:
            pools.kick(peer)
            formset.deleted_objects.append(peer)
        elif "description" in form.changed_data:
            _describe(peer, form.cleaned_data["description"])
            formset.changed_objects.append((peer, ["description"]))


def _describe(peer: Peer, description: Any) -> None:
    # The peer may have left while the page was open: then there is no one to describe.
    with suppress(Peer.DoesNotExist):
        pools.describe(peer, description)


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    """Who is online: each live peer by its description, with its pool, user, worker and
    when it joined; filter by pool (those with peers), worker or time, search any of them."""

    list_display = ("peer", "pool", "user", "worker", "joined")
    list_display_links = ("peer",)
    list_filter = (("pool", admin.RelatedOnlyFieldListFilter), "worker", "joined")
    list_select_related = ("pool", "user")
    search_fields = (
        "id",
        "description",
        "pool__name",
        "worker",
        f"user__{get_user_model().USERNAME_FIELD}",
    )
    fields = ("pool", *PEER_FIELDS)
    readonly_fields = ("id", "pool", "user", "worker", "joined")
    actions = ["kick_selected_peers"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("peer"))
    def peer(self, obj: Peer) -> str:
        # A peer without a description is told apart by the start of its id.
        return summary(obj.description) or _("(no description) %(id)s") % {"id": str(obj.id)[:8]}

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # Django 6.1 passes action_location (and deprecates overrides without it); 5.2 and
        # 6.0 do not know it, so hand it on only when Django gave it.
        if action_location is None:
            actions = super().get_actions(request)
        else:
            # django-stubs 6.1.2 does not know the parameter yet.
            actions = super().get_actions(request, action_location=action_location)  # type: ignore[call-arg]
        actions.pop("delete_selected", None)  # "kick selected peers" is the delete here
        return actions

    @admin.action(description=_("Kick selected peers"), permissions=["delete"])
    def kick_selected_peers(self, request: HttpRequest, queryset: QuerySet[Peer]) -> None:
        kicked = sum(pools.kick(peer) for peer in queryset)
        self.message_user(
            request,
            ngettext("Kicked %d peer.", "Kicked %d peers.", kicked) % kicked,
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: Peer, form: ModelForm, change: bool) -> None:
        if "description" in form.changed_data:
            _describe(obj, obj.description)

    def delete_model(self, request: HttpRequest, obj: Peer) -> None:
        pools.kick(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Peer]) -> None:
        for peer in queryset:
            pools.kick(peer)


# --- what happened: calls, stays, webhook events (read-only) -----------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by the membership transactions only: never added, edited or
    deleted here (retention is ``manage.py rtcpool_prune --history``)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """A CSV attachment of ``rows`` (datetimes in ISO 8601)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            "" if value is None else value.isoformat() if isinstance(value, datetime) else value
            for value in row
        )
    return response


def moment(value: datetime | None) -> str:
    """A history time to the second, in the site's time zone (the default format stops at
    minutes, and a stay can be shorter than one)."""
    return "" if value is None else f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}"


def duration(seconds: float | None) -> str:
    return "live" if seconds is None else str(timedelta(seconds=round(seconds)))


class StayTimes:
    """Columns shared by the stays list and a call's stays."""

    @admin.display(description=_("who"))
    def who(self, stay: Stay) -> str:
        return summary(stay.description_at_leave or stay.description_at_join)

    @admin.display(description=_("joined"), ordering="joined")
    def joined_at(self, stay: Stay) -> str:
        return moment(stay.joined)

    @admin.display(description=_("left"), ordering="left")
    def left_at(self, stay: Stay) -> str:
        return moment(stay.left)

    @admin.display(description=_("duration"))
    def duration_display(self, stay: Stay) -> str:
        return duration(stay.duration)


class StayInline(StayTimes, admin.TabularInline):
    model = Stay
    fields = (
        "peer_id",
        "who",
        "user",
        "joined_at",
        "left_at",
        "duration_display",
        "reason",
        "worker",
    )
    readonly_fields = fields
    ordering = ("joined",)
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = (
        "pool_name", "started_at", "ended_at", "duration_display", "peak_peers", "stay_count",
    )  # fmt: skip
    fields = readonly_fields = list_display
    list_filter = ("pool_name", "started")
    search_fields = ("pool_name",)
    date_hierarchy = "started"
    inlines = [StayInline]
    actions = ["export_csv"]

    @admin.display(description=_("started"), ordering="started")
    def started_at(self, call: Call) -> str:
        return moment(call.started)

    @admin.display(description=_("ended"), ordering="ended")
    def ended_at(self, call: Call) -> str:
        return moment(call.ended) or "live"

    @admin.display(description=_("duration"))
    def duration_display(self, call: Call) -> str:
        return duration(call.duration)

    @admin.action(description=_("Export selected calls as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Call]) -> HttpResponse:
        return csv_response(
            "calls.csv",
            ["pool", "started", "ended", "duration_seconds", "peak_peers", "stays"],
            (
                (c.pool_name, c.started, c.ended, c.duration, c.peak_peers, c.stay_count)
                for c in queryset.order_by("started", "id")
            ),
        )


@admin.register(Stay)
class StayAdmin(StayTimes, ReadOnlyAdmin):
    list_display = (
        "peer_id", "who", "pool_name", "user", "joined_at", "left_at", "duration_display",
        "reason",
    )  # fmt: skip
    fields = (
        "peer_id", "who", "pool_name", "call", "user", "joined_at", "left_at",
        "duration_display", "reason", "worker", "description_at_join", "description_at_leave",
    )  # fmt: skip
    readonly_fields = fields
    list_filter = (
        "pool_name",
        ("user", admin.RelatedOnlyFieldListFilter),
        "reason",
        "joined",
    )
    list_select_related = ("user",)
    search_fields = ("pool_name", "peer_id", "worker")
    date_hierarchy = "joined"
    actions = ["export_csv"]

    @admin.action(description=_("Export selected stays as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Stay]) -> HttpResponse:
        return csv_response(
            "stays.csv",
            [
                "pool",
                "peer_id",
                "user",
                "joined",
                "left",
                "duration_seconds",
                "reason",
                "worker",
                "description_at_join",
                "description_at_leave",
            ],
            (
                (
                    s.pool_name,
                    s.peer_id,
                    "" if s.user is None else s.user.get_username(),
                    s.joined,
                    s.left,
                    s.duration,
                    s.reason,
                    s.worker,
                    json.dumps(s.description_at_join),
                    json.dumps(s.description_at_leave),
                )
                for s in queryset.select_related("user").order_by("joined", "id")
            ),
        )


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "pool_name", "endpoint", "status", "attempts", "created")
    list_filter = ("status", "type", "endpoint")
    search_fields = ("event_id", "pool_name")
    date_hierarchy = "created"
    actions = ["retry_events"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Retrying changes an event's state: the admin is otherwise read-only.
        return request.user.has_perm(f"{self.opts.app_label}.change_webhookevent")

    @admin.action(description=_("Retry selected failed events"), permissions=["retry"])
    def retry_events(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        queued = webhook_queue.retry(queryset)
        self.message_user(
            request,
            ngettext("Queued %d event again.", "Queued %d events again.", queued) % queued,
            messages.SUCCESS,
        )
