"""The admin's history pages: calls, stays and webhook events, read-only, with filters,
search, CSV export and the "retry" action."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rtcpool_django.models import Call, Pool, Stay, WebhookEvent


@pytest.fixture
def admin_client_(db):
    user = get_user_model().objects.create_superuser("admin", "", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def calls(db):
    """Two pools' calls: "class" at 10:00 with Ada (left) and Bob (kicked), "lab" live."""
    ada = get_user_model().objects.create_user("ada", password="pw")
    start = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    klass, lab = Pool.objects.create(name="class"), Pool.objects.create(name="lab")
    call = Call.objects.create(
        pool=klass,
        pool_name="class",
        started=start,
        ended=start + timedelta(minutes=50),
        peak_peers=2,
        stay_count=2,
    )
    Stay.objects.create(
        call=call, pool=klass, pool_name="class", peer_id=uuid.uuid4(), user=ada, joined=start,
        left=start + timedelta(minutes=50), reason="left", worker="w1",
        description_at_join={"name": "Ada"}, description_at_leave={"name": "Ada", "hand": "up"},
    )  # fmt: skip
    Stay.objects.create(
        call=call, pool=klass, pool_name="class", peer_id=uuid.uuid4(),
        joined=start + timedelta(minutes=5),
        left=start + timedelta(minutes=20), reason="kicked", worker="w2",
    )  # fmt: skip
    live = Call.objects.create(
        pool=lab, pool_name="lab", started=timezone.now(), peak_peers=1, stay_count=1
    )
    Stay.objects.create(
        call=live, pool=lab, pool_name="lab", peer_id=uuid.uuid4(), joined=live.started,
        worker="w1",
    )  # fmt: skip
    return {"class": call, "lab": live, "ada": ada}


def changelist(model: str) -> str:
    return reverse(f"admin:rtcpool_django_{model}_changelist")


def test_stays_filter_by_pool_user_reason_and_date_and_search(admin_client_, calls):
    url = changelist("stay")
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 3
    # Who it was (the description's name), and times to the second: stays can be short.
    start = timezone.localtime(calls["class"].started)
    assert b'<td class="field-who">Ada {&quot;hand&quot;: &quot;up&quot;}</td>' in page.content
    assert f"{start:%Y-%m-%d %H:%M:%S}".encode() in page.content
    for query, expected in [
        ({"pool_name": "class"}, 2),
        ({"user__id__exact": calls["ada"].pk}, 1),
        ({"reason": "kicked"}, 1),
        ({"q": "lab"}, 1),
        # The "joined" filter's "Past 7 days" link (an aware lower bound).
        ({"joined__gte": str(timezone.now() - timedelta(days=7))}, 3),
        ({"joined__gte": str(timezone.now() - timedelta(minutes=30))}, 1),
    ]:
        got = admin_client_.get(url, query)
        assert got.status_code == 200, query
        assert got.context["cl"].result_count == expected, query


def test_calls_list_with_duration_and_filters(admin_client_, calls):
    page = admin_client_.get(changelist("call"))
    assert page.status_code == 200
    assert b"0:50:00" in page.content and b"live" in page.content
    got = admin_client_.get(changelist("call"), {"pool_name": "lab"})
    assert got.context["cl"].result_count == 1
    detail = admin_client_.get(
        reverse("admin:rtcpool_django_call_change", args=[calls["class"].pk])
    )
    assert detail.status_code == 200 and b"kicked" in detail.content  # the stays inline


def test_history_is_read_only(admin_client_, calls):
    assert admin_client_.get(reverse("admin:rtcpool_django_stay_add")).status_code == 403
    stay = Stay.objects.first()
    change = reverse("admin:rtcpool_django_stay_change", args=[stay.pk])
    assert admin_client_.post(change, {"reason": "forged"}).status_code == 403
    delete = reverse("admin:rtcpool_django_call_delete", args=[calls["class"].pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    stay.refresh_from_db()
    assert stay.reason != "forged" and Call.objects.count() == 2


def rows_of(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_csv_export_of_stays_and_calls(admin_client_, calls):
    selected = [
        str(pk) for pk in Stay.objects.filter(pool__name="class").values_list("pk", flat=True)
    ]
    response = admin_client_.post(
        changelist("stay"), {"action": "export_csv", "_selected_action": selected}
    )
    rows = rows_of(response)
    assert [(r["pool"], r["user"], r["reason"]) for r in rows] == [
        ("class", "ada", "left"),
        ("class", "", "kicked"),
    ]
    assert float(rows[0]["duration_seconds"]) == 3000.0
    assert json.loads(rows[0]["description_at_leave"]) == {"name": "Ada", "hand": "up"}

    response = admin_client_.post(
        changelist("call"),
        {"action": "export_csv", "_selected_action": [str(c.pk) for c in Call.objects.all()]},
    )
    rows = rows_of(response)
    assert [(r["pool"], r["peak_peers"], r["stays"]) for r in rows] == [
        ("class", "2", "2"),
        ("lab", "1", "1"),
    ]
    assert rows[1]["ended"] == ""


def test_failed_webhook_events_are_retried_from_the_admin(admin_client_, db):
    failed = WebhookEvent.objects.create(
        event_id="msg_1", endpoint="http://x/", pool_name="room", type="pool.started",
        payload={}, status="failed", attempts=9, last_error="HTTP 500",
    )  # fmt: skip
    delivered = WebhookEvent.objects.create(
        event_id="msg_2", endpoint="http://x/", pool_name="room", type="peer.joined",
        payload={}, status="delivered",
    )  # fmt: skip
    page = admin_client_.get(changelist("webhookevent"), {"status__exact": "failed"})
    assert page.context["cl"].result_count == 1
    response = admin_client_.post(
        changelist("webhookevent"),
        {"action": "retry_events", "_selected_action": [str(failed.pk), str(delivered.pk)]},
        follow=True,
    )
    assert b"Queued 1 event again." in response.content
    failed.refresh_from_db()
    delivered.refresh_from_db()
    assert (failed.status, delivered.status) == ("pending", "delivered")


def test_retry_needs_the_change_permission(db):
    viewer = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    client = Client()
    client.force_login(viewer)
    page = client.get(changelist("webhookevent"))
    assert page.status_code == 200
    assert b"retry_events" not in page.content
