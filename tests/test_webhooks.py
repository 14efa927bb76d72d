"""Webhooks: endpoints, signing and verify(), the outbox's order and retries, and a sender
delivering to a real receiver on loopback."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from rtcpool_django import checks, metrics, webhook_queue, webhooks
from rtcpool_django.models import WebhookEvent
from rtcpool_django.webhook_queue import Event, Outcome
from rtcpool_django.webhook_sender import WebhookSender

from .webhook_receiver import Receiver, new_secret

SECRET = new_secret()


def configure(settings, *endpoints, **extra) -> None:
    settings.RTCPOOL = {"WEBHOOKS": list(endpoints), **extra}


def endpoint(url: str = "http://127.0.0.1:9/hooks/", **extra):
    return {"URL": url, "SECRET": SECRET, **extra}


def signed_request(body: bytes, secret: str = SECRET, sent: datetime | None = None):
    headers = webhooks.signed_headers(secret, "msg_1", sent or datetime.now(UTC), body)
    return RequestFactory().post(
        "/hooks/",
        data=body,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "content-type"},
    )


# --- signing and verify ------------------------------------------------------------------


def test_verify_returns_the_payload_of_a_signed_request():
    body = webhooks.encode({"type": "peer.joined", "timestamp": "t", "data": {"pool": "p"}})
    assert webhooks.verify(signed_request(body), SECRET)["data"] == {"pool": "p"}


def test_signature_is_the_standard_webhooks_one():
    body = b'{"type":"pool.started"}'
    sent = datetime.now(UTC)
    headers = webhooks.signed_headers(SECRET, "msg_x", sent, body)
    assert headers["webhook-id"] == "msg_x"
    assert headers["webhook-timestamp"] == str(int(sent.timestamp()))
    assert headers["webhook-signature"] == Webhook(SECRET).sign("msg_x", sent, body.decode())
    assert Webhook(SECRET).verify(body, headers) == {"type": "pool.started"}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: setattr(r, "_body", r.body + b" "),
        lambda r: r.META.__setitem__("HTTP_WEBHOOK_ID", "msg_2"),
        lambda r: r.META.pop("HTTP_WEBHOOK_SIGNATURE"),
        lambda r: r.META.__setitem__("HTTP_WEBHOOK_SIGNATURE", "v1,not base64!"),
        lambda r: r.META.__setitem__("HTTP_WEBHOOK_SIGNATURE", "garbage"),
    ],
)
def test_verify_refuses_a_tampered_request(tamper):
    request = signed_request(b'{"type":"pool.started"}')
    request.body  # noqa: B018 (read it, so _body exists)
    tamper(request)
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(request, SECRET)


def test_verify_refuses_another_secret_and_an_old_request():
    body = b'{"type":"pool.started"}'
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(signed_request(body, secret=new_secret()), SECRET)
    old = datetime.now(UTC) - timedelta(minutes=10)
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(signed_request(body, sent=old), SECRET)


# --- settings and checks -----------------------------------------------------------------


def run_checks():
    return [(e.id, e.msg) for e in checks.check_history_and_webhooks()]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("http://x/", "must be a dict"),
        ({"URL": "ftp://x/", "SECRET": SECRET}, "URL"),
        ({"URL": "http://x/", "SECRET": "hunter2"}, "SECRET"),
        ({"URL": "http://x/", "SECRET": "whsec_!!!"}, "SECRET"),
        ({"URL": "http://x/", "SECRET": SECRET, "EVENTS": ["peer.joind"]}, "peer.joind"),
        ({"URL": "http://x/", "SECRET": SECRET, "EVENTS": "peer.joined"}, "EVENTS"),
        ({"URL": "http://x/", "SECRET": SECRET, "HEADERS": {}}, "HEADERS"),
    ],
)
def test_a_malformed_endpoint_is_rtcpool_E006(settings, entry, words):
    configure(settings, entry)
    found = run_checks()
    assert [id_ for id_, _ in found] == ["rtcpool.E006"]
    assert words in found[0][1]
    assert webhooks.endpoints() == []  # never used


def test_webhooks_must_be_a_list_and_need_history(settings):
    settings.RTCPOOL = {"WEBHOOKS": "http://x/"}
    assert [id_ for id_, _ in run_checks()] == ["rtcpool.E006"]
    configure(settings, endpoint(), HISTORY=False)
    assert [id_ for id_, _ in run_checks()] == ["rtcpool.E006"]


def test_well_formed_endpoints_pass(settings):
    configure(settings, endpoint(), endpoint(EVENTS=["pool.started", "pool.finished"]))
    assert run_checks() == []
    assert [e.events for e in webhooks.endpoints()][1] == {"pool.started", "pool.finished"}


def test_webhooks_without_the_extra_is_rtcpool_E007(settings, monkeypatch):
    monkeypatch.setattr(webhooks, "Webhook", None)
    settings.RTCPOOL = {}
    assert run_checks() == []  # the app runs without the packages while WEBHOOKS is empty
    configure(settings, endpoint())
    assert [id_ for id_, _ in run_checks()] == ["rtcpool.E007"]


@pytest.mark.parametrize(
    "extra",
    [{"HISTORY_DAYS": 0}, {"HISTORY_DAYS": "90"}, {"WEBHOOK_TIMEOUT": 0}, {"HISTORY": 1}],
)
def test_bad_history_and_webhook_numbers_are_rtcpool_E001(settings, extra):
    settings.RTCPOOL = extra
    assert [id_ for id_, _ in run_checks()] == ["rtcpool.E001"]


# --- the outbox --------------------------------------------------------------------------


def enqueue(pool: str, *types: str) -> None:
    now = timezone.now()
    webhook_queue.enqueue(
        pool, [Event(t, now, {"pool": pool, "n": i}) for i, t in enumerate(types)]
    )


def test_events_go_to_the_endpoints_that_want_them(settings, db):
    configure(
        settings,
        endpoint("http://a.test/"),
        endpoint("http://b.test/", EVENTS=["pool.finished"]),
    )
    enqueue("room", "pool.started", "peer.joined", "pool.finished")
    rows = list(WebhookEvent.objects.values_list("endpoint", "type", "event_id"))
    assert [(url, t) for url, t, _ in rows] == [
        ("http://a.test/", "pool.started"),
        ("http://a.test/", "peer.joined"),
        ("http://a.test/", "pool.finished"),
        ("http://b.test/", "pool.finished"),
    ]
    # One id per event, the same for every endpoint: a receiver de-duplicates on it.
    assert rows[2][2] == rows[3][2] and len({r[2] for r in rows}) == 3


def test_no_endpoint_writes_nothing(settings, db):
    settings.RTCPOOL = {}
    enqueue("room", "pool.started")
    assert not WebhookEvent.objects.exists()


def test_an_event_is_committed_with_its_change_or_not_at_all(settings, transactional_db):
    configure(settings, endpoint())
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("room", "pool.started")
        raise RuntimeError("the change fails")
    assert not WebhookEvent.objects.exists()


def test_claim_hands_out_the_head_of_each_queue_only(settings, db):
    configure(settings, endpoint("http://a.test/"), endpoint("http://b.test/"))
    enqueue("one", "pool.started", "peer.joined")
    enqueue("two", "pool.started")
    first = webhook_queue.claim(["http://a.test/", "http://b.test/"])
    assert sorted((e.endpoint, e.pool_name, e.type) for e in first) == [
        ("http://a.test/", "one", "pool.started"),
        ("http://a.test/", "two", "pool.started"),
        ("http://b.test/", "one", "pool.started"),
        ("http://b.test/", "two", "pool.started"),
    ]
    # Leased: nobody else gets them, and the second event of "one" waits for the first.
    assert webhook_queue.claim(["http://a.test/", "http://b.test/"]) == []
    webhook_queue.settle([Outcome(e, True) for e in first if e.pool_name == "one"])
    second = webhook_queue.claim(["http://a.test/", "http://b.test/"])
    assert [(e.pool_name, e.type) for e in second] == [("one", "peer.joined")] * 2


def test_a_lease_that_runs_out_is_claimed_again(settings, db):
    configure(settings, endpoint())
    enqueue("room", "pool.started")
    (event,) = webhook_queue.claim([endpoint()["URL"]])
    WebhookEvent.objects.filter(pk=event.pk).update(
        leased_until=timezone.now() - timedelta(seconds=1)
    )  # its sender died mid-delivery
    assert [e.pk for e in webhook_queue.claim([endpoint()["URL"]])] == [event.pk]


def test_failures_back_off_exponentially_then_fail_past_the_horizon(settings, db):
    configure(settings, endpoint(), WEBHOOK_RETRY_DELAY=2.0, WEBHOOK_RETRY_HORIZON=60.0)
    assert [webhook_queue.retry_delay(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert webhook_queue.retry_delay(40) == webhook_queue.MAX_RETRY_DELAY
    enqueue("room", "pool.started", "peer.joined")
    (event,) = webhook_queue.claim([endpoint()["URL"]])
    before = timezone.now()
    assert webhook_queue.settle([Outcome(event, False, "HTTP 500")]) == []
    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == ("pending", 1, "HTTP 500")
    assert event.next_attempt >= before + timedelta(seconds=2)
    assert webhook_queue.claim([endpoint()["URL"]]) == []  # not due; its queue waits
    event.attempts = 5  # the next delay (32 s) ends past the 60 s horizon
    WebhookEvent.objects.filter(pk=event.pk).update(created=timezone.now() - timedelta(seconds=40))
    event.created = timezone.now() - timedelta(seconds=40)
    assert webhook_queue.settle([Outcome(event, False, "timeout")]) == [event]
    event.refresh_from_db()
    assert event.status == "failed"
    # A failed event no longer holds up its queue.
    assert [e.type for e in webhook_queue.claim([endpoint()["URL"]])] == ["peer.joined"]
    assert webhook_queue.counts() == {"pending": 1, "delivered": 0, "failed": 1}
    assert webhook_queue.retry(WebhookEvent.objects.all()) == 1
    event.refresh_from_db()
    assert (event.status, event.leased_until) == ("pending", None)


# --- delivery to a real receiver ---------------------------------------------------------


@pytest.fixture
def receiver():
    started: list[Receiver] = []

    def start(**kwargs) -> Receiver:
        started.append(Receiver(secret=new_secret(), **kwargs).start())
        return started[-1]

    yield start
    for r in started:
        r.stop()


async def deliver_until_settled(timeout: float = 30.0) -> None:
    sender = WebhookSender()
    sender.start()
    try:
        async with asyncio.timeout(timeout):
            while await sync_to_async(  # noqa: ASYNC110 (polls the database)
                WebhookEvent.objects.filter(status="pending").exists, thread_sensitive=False
            )():
                await asyncio.sleep(0.05)
    finally:
        sender.stop()


@pytest.mark.django_db(transaction=True)
async def test_every_event_arrives_in_order_signed_after_errors_and_a_stall(settings, receiver):
    # The stall outlasts the timeout, so its attempt fails; the timeout is long enough
    # that no other attempt runs out of it on a loaded machine (at 0.5 s, an in-process
    # receiver starved of CPU timed out three more, which were rightly sent again).
    hook = receiver(script=[500, 500, 503, "stall", 500], stall_seconds=4.0)
    configure(
        settings,
        hook.endpoint(),
        WEBHOOK_TIMEOUT=2.0,
        WEBHOOK_RETRY_DELAY=0.05,
        WEBHOOK_POLL_INTERVAL=0.1,
    )
    types = ["pool.started", "peer.joined", "peer.joined", "peer.left", "peer.left"]
    types.append("pool.finished")

    @sync_to_async(thread_sensitive=False)
    def write() -> None:
        for pool in ("one", "two", "three"):
            with transaction.atomic():
                enqueue(pool, *types)

    await write()
    await deliver_until_settled()

    assert all(r.verified for r in hook.requests)
    for pool in ("one", "two", "three"):
        got = hook.events(pool)
        assert [t for t, _ in got] == types  # every event, once, in order
        assert [data["n"] for _, data in got] == list(range(len(types)))
    ids = [r.id for r in hook.requests]
    repeated = {i for i in ids if ids.count(i) > 1}
    # The failed and stalled attempts were repeated under the same id, nothing else.
    assert 1 <= len(repeated) <= 5
    # A repeat is the same event: same id, same bytes (signed afresh per attempt).
    bodies: dict[str, set[bytes]] = {}
    for r in hook.requests:
        bodies.setdefault(r.id, set()).add(r.body)
    assert all(len(b) == 1 for b in bodies.values()) and len(bodies) == 3 * len(types)
    rows = await sync_to_async(list, thread_sensitive=False)(WebhookEvent.objects.all())
    assert {row.status for row in rows} == {"delivered"}
    assert sum(row.attempts for row in rows) == len(rows) + 5


@pytest.mark.django_db(transaction=True)
async def test_a_dead_endpoint_leaves_failed_events_that_retry_delivers(settings, receiver):
    hook = receiver(default=500)
    configure(
        settings,
        hook.endpoint(),
        WEBHOOK_RETRY_DELAY=0.05,
        WEBHOOK_RETRY_HORIZON=0.2,
        WEBHOOK_POLL_INTERVAL=0.05,
    )
    await sync_to_async(enqueue, thread_sensitive=False)("room", "pool.started")
    await deliver_until_settled()
    event = await WebhookEvent.objects.aget()
    assert event.status == "failed" and event.last_error.startswith("HTTP 500")
    assert hook.accepted() == []

    hook.default = 200  # the endpoint is fixed
    await sync_to_async(webhook_queue.retry, thread_sensitive=False)(WebhookEvent.objects.all())
    await deliver_until_settled()
    await event.arefresh_from_db()
    assert event.status == "delivered"
    assert [r.id for r in hook.accepted()] == [event.event_id]


@pytest.mark.django_db(transaction=True)
async def test_metrics_count_deliveries_failures_and_latency(settings, receiver):
    pytest.importorskip("prometheus_client")
    from prometheus_client import REGISTRY

    hook = receiver(script=[500])
    configure(settings, hook.endpoint(), WEBHOOK_RETRY_DELAY=0.05, WEBHOOK_POLL_INTERVAL=0.05)

    def value(name: str) -> float:
        return REGISTRY.get_sample_value(name) or 0.0

    before = {
        name: value(name)
        for name in (
            "rtcpool_webhooks_delivered_total",
            "rtcpool_webhook_attempts_failed_total",
            "rtcpool_webhook_delivery_seconds_count",
        )
    }
    await sync_to_async(enqueue, thread_sensitive=False)("room", "pool.started", "peer.joined")
    await deliver_until_settled()
    assert (
        value("rtcpool_webhooks_delivered_total") - before["rtcpool_webhooks_delivered_total"] == 2
    )
    assert (
        value("rtcpool_webhook_attempts_failed_total")
        - before["rtcpool_webhook_attempts_failed_total"]
        == 1
    )
    assert (
        value("rtcpool_webhook_delivery_seconds_count")
        - before["rtcpool_webhook_delivery_seconds_count"]
        == 2
    )
    metrics.webhooks_pending(3)
    assert value("rtcpool_webhooks_pending") == 3


@pytest.mark.django_db(transaction=True)
def test_rtcpool_webhooks_once_drains_the_outbox(settings, receiver):
    hook = receiver()
    configure(settings, hook.endpoint())
    enqueue("room", "pool.started", "peer.joined")
    call_command("rtcpool_webhooks", "--once")
    assert [t for t, _ in hook.events("room")] == ["pool.started", "peer.joined"]
