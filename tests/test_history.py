"""Attendance history: stays and calls written with the joins and departures that make
them, read through pools.history/calls and rtcpool_history, pruned by retention."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from rtcpool_django import history, membership, pools
from rtcpool_django.models import Call, Peer, Pool, Stay, WebhookEvent, Worker

from .conftest import wait_for
from .test_webhooks import endpoint


def db(fn):
    return sync_to_async(fn, thread_sensitive=False)


@db
def stays(pool: str = "room") -> list[Stay]:
    return list(pools.history(pool))


@db
def calls(pool: str = "room") -> list[Call]:
    return list(pools.calls(pool))


@db
def event_types(pool: str = "room") -> list[str]:
    return list(WebhookEvent.objects.filter(pool_name=pool).values_list("type", flat=True))


@pytest.fixture
def hooks(settings):
    """Webhooks to an endpoint nobody serves (the events stay in the outbox), sender off."""
    settings.RTCPOOL = {"WEBHOOKS": [endpoint()], "WEBHOOK_SENDER_IN_WORKERS": False}


async def test_a_call_from_first_join_to_last_departure(connect, hooks):
    a, b, c = await connect(), await connect(), await connect()
    await a.join("room")
    await b.join("room")
    (call,) = await calls()
    assert call.ended is None and call.peak_peers == 2 and call.stay_count == 2
    assert [(str(s.peer_id), s.left, s.reason) for s in await stays()] == [
        (a.id, None, ""),
        (b.id, None, ""),
    ]

    await a.close()
    await c.join("room")
    await pools.akick(b.id)
    await c.close()

    (call,) = await calls()
    got = await stays()
    assert [(str(s.peer_id), s.reason) for s in got] == [
        (a.id, "left"),
        (b.id, "kicked"),
        (c.id, "left"),
    ]
    assert all(s.left is not None and s.left >= s.joined for s in got)
    assert call.ended == max(s.left for s in got)
    assert (call.peak_peers, call.stay_count, call.live_peers) == (2, 3, 0)
    assert call.started == got[0].joined
    assert await event_types() == [
        "pool.started",
        "peer.joined",
        "peer.joined",
        "peer.left",
        "peer.joined",
        "peer.left",
        "peer.left",
        "pool.finished",
    ]
    finished = await db(WebhookEvent.objects.get)(type="pool.finished")
    assert finished.payload["data"]["peak"] == 2
    assert finished.payload["data"]["stays"] == 3
    assert finished.payload["data"]["duration"] == pytest.approx(call.duration)

    # The next peer into the empty pool starts a new call.
    d = await connect()
    await d.join("room")
    assert [x.ended is None for x in await calls()] == [True, False]


async def test_descriptions_at_join_and_at_leave_and_the_described_event(connect, hooks):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    await pools.adescribe(a.id, {"name": "Ada", "hand": "up"})
    await a.close()
    stay = (await stays())[0]
    assert stay.description_at_join is None
    assert stay.description_at_leave == {"name": "Ada", "hand": "up"}
    described = await db(WebhookEvent.objects.get)(type="peer.described")
    assert described.payload["data"] == {
        "pool": "room",
        "peer_id": a.id,
        "user_id": None,
        "description": {"name": "Ada", "hand": "up"},
        "joined": described.payload["data"]["joined"],
    }
    left = await db(WebhookEvent.objects.get)(type="peer.left")
    assert left.payload["data"]["reason"] == "left"
    assert left.payload["data"]["description"] == {"name": "Ada", "hand": "up"}


async def test_closing_a_pool_ends_every_stay_and_the_call(connect, hooks):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    assert await pools.aclose_pool("room") == 2
    assert {s.reason for s in await stays()} == {"closed"}
    assert (await calls())[0].ended is not None
    assert await event_types() == [
        "pool.started",
        "peer.joined",
        "peer.joined",
        "pool.closed",
        "peer.left",
        "peer.left",
        "pool.finished",
    ]


async def test_a_refused_join_leaves_no_history(connect, hooks):
    await pools.acreate_pool("room", max_peers=1)
    a, b = await connect(), await connect()
    await a.join("room")
    await b.send("rtc:join", {"pool": "room"})
    await b.error("pool_full")
    assert [str(s.peer_id) for s in await stays()] == [a.id]
    assert await event_types() == ["pool.started", "peer.joined"]


async def test_a_dead_workers_peers_left_at_its_last_heartbeat(connect, hooks):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    last_seen = timezone.now() - timedelta(seconds=120)

    @db
    def worker_dies() -> None:
        # b was held by a worker that fell silent two minutes ago.
        Worker.objects.create(id="dead:1", last_seen=last_seen)
        Peer.objects.filter(pk=b.id).update(worker="dead:1")

    await worker_dies()
    assert await pools.aprune_dead_workers() == 1
    by_peer = {str(s.peer_id): s for s in await stays()}
    assert by_peer[b.id].reason == "pruned"
    assert by_peer[b.id].left == max(last_seen, by_peer[b.id].joined)
    assert by_peer[a.id].left is None


async def test_history_and_calls_since(connect, hooks):
    a = await connect()
    await a.join("room")
    await a.close()
    between = timezone.now()
    b = await connect()
    await b.join("room")
    assert [str(s.peer_id) for s in await pools.ahistory("room", since=between)] == [b.id]
    assert len(await pools.ahistory("room")) == 2
    assert len(await pools.acalls("room", since=between)) == 1
    pool = await pools.aget_pool("room")
    assert len(await pools.acalls(pool)) == 2


async def test_deleting_a_user_leaves_an_anonymous_stay(connect, hooks):
    user = await db(get_user_model().objects.create_user)("ada", password="pw")
    a = await connect(user=user)
    await a.join("room")
    await a.close()
    assert (await stays())[0].user_id == user.pk
    await db(user.delete)()
    stay = (await stays())[0]
    assert stay.user_id is None and stay.reason == "left"


async def test_history_outlives_its_pool(connect, hooks):
    a = await connect()
    await a.join("room")
    await a.close()
    await db(Pool.objects.filter(name="room").delete)()
    (stay,) = await stays()
    assert (stay.pool_id, stay.pool_name, stay.reason) == (None, "room", "left")
    assert len(await calls()) == 1


async def test_history_off_writes_none(connect, settings):
    settings.RTCPOOL = {"HISTORY": False}
    a = await connect()
    await a.join("room")
    await a.close()
    assert await stays() == [] and await calls() == []


# --- the command and retention -----------------------------------------------------------


def command(*args: str) -> str:
    out = StringIO()
    call_command("rtcpool_history", *args, stdout=out)
    return out.getvalue()


async def test_rtcpool_history_prints_the_stays(connect, hooks):
    user = await db(get_user_model().objects.create_user)("ada", password="pw")
    a, b = await connect(user=user), await connect()
    await a.join("room")
    await b.join("room")
    await pools.akick(b.id)

    listed = json.loads(await db(command)("room", "--json"))
    assert [(s["peer_id"], s["user"], s["reason"]) for s in listed] == [
        (a.id, "ada", None),
        (b.id, None, "kicked"),
    ]
    assert listed[0]["left"] is None and listed[1]["left"] is not None
    assert set(listed[0]) >= {"peer_id", "user", "joined", "left", "reason"}

    text = await db(command)("room")
    assert f"{a.id}\tada\t" in text and "\tlive\t" in text and "kicked" in text

    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert [
        s["peer_id"] for s in json.loads(await db(command)("room", "--json", "--since", future))
    ] == [a.id]
    with pytest.raises(CommandError, match="ISO 8601"):
        await db(command)("room", "--since", "yesterday")
    with pytest.raises(CommandError, match="No pool"):
        await db(command)("nope")


@pytest.mark.django_db
def test_rtcpool_prune_history_enforces_the_retention(settings):
    settings.RTCPOOL = {"HISTORY_DAYS": 30}
    pool = Pool.objects.create(name="room")
    now = timezone.now()
    old = Call.objects.create(
        pool=pool, started=now - timedelta(days=40), ended=now - timedelta(days=31)
    )
    Stay.objects.create(
        call=old, pool=pool, peer_id="00000000-0000-0000-0000-000000000001",
        joined=old.started, left=old.ended, reason="left", worker="w",
    )  # fmt: skip
    recent = Call.objects.create(
        pool=pool, started=now - timedelta(days=2), ended=now - timedelta(days=1)
    )
    live = Call.objects.create(
        pool=Pool.objects.create(name="live"), started=now - timedelta(days=60)
    )
    for status in ("delivered", "failed", "pending"):
        WebhookEvent.objects.create(
            event_id=f"msg_{status}", endpoint="http://x/", pool_name="room", type="pool.started",
            payload={}, status=status, created=now - timedelta(days=31),
        )  # fmt: skip

    out = StringIO()
    call_command("rtcpool_prune", "--history", stdout=out)
    assert "Deleted 1 call(s)" in out.getvalue() and "2 webhook event(s)" in out.getvalue()
    assert set(Call.objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    assert not Stay.objects.exists()
    assert list(WebhookEvent.objects.values_list("status", flat=True)) == ["pending"]

    call_command("rtcpool_prune", "--history", "--days", "0.5", stdout=StringIO())
    assert set(Call.objects.values_list("pk", flat=True)) == {live.pk}  # never a live call
    settings.RTCPOOL = {"HISTORY_DAYS": None}
    assert history.prune() == (0, 0)


@pytest.mark.django_db
def test_a_call_starts_at_its_earliest_join_whatever_the_commit_order():
    # A join stamps its time before it waits for the pool's lock: the one that asked first
    # may commit second.
    pool = Pool.objects.create(name="room")
    now = timezone.now()
    first_in = Peer.objects.create(pool=pool, channel_name="a", worker="w", joined=now)
    history.record_joined(pool, [first_in])
    asked_first = Peer.objects.create(
        pool=pool, channel_name="b", worker="w", joined=now - timedelta(milliseconds=20)
    )
    history.record_joined(pool, [asked_first])
    (call,) = Call.objects.all()
    assert call.started == asked_first.joined
    assert (call.peak_peers, call.stay_count, call.live_peers) == (2, 2, 2)


async def test_on_postgresql_a_join_writes_its_history_in_its_one_batch(
    connect, hooks, monkeypatch
):
    from django.db import connection

    from rtcpool_django import entry

    if connection.vendor != "postgresql":
        pytest.skip("the batched join is PostgreSQL's")

    def no_orm(peer):
        raise AssertionError("the join left its batch")

    monkeypatch.setattr(entry, "_enter_orm", no_orm)
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    (call,) = await calls()
    assert (call.peak_peers, call.stay_count, call.live_peers) == (2, 2, 2)
    assert [str(s.peer_id) for s in await stays()] == [a.id, b.id]
    assert await event_types() == ["pool.started", "peer.joined", "peer.joined"]
    await pools.acreate_pool("small", max_peers=1)
    c, d = await connect(), await connect()
    await c.join("small")
    await d.send("rtc:join", {"pool": "small"})
    await d.error("pool_full")  # refused: nothing of it is written
    assert [str(s.peer_id) for s in await stays("small")] == [c.id]
    assert await event_types("small") == ["pool.started", "peer.joined"]


async def test_a_kick_and_the_peers_own_departure_in_one_batch_record_the_kick(
    connect, hooks, monkeypatch
):
    a, b = await connect(), await connect()
    await a.join("room")
    await b.join("room")
    held, batches = threading.Event(), []
    remove_each = membership.remove_each

    def holding(departures):
        batches.append(list(departures))
        if len(batches) == 1:
            held.wait(10)
        return remove_each(departures)

    async def queued(n: int) -> bool:
        return pools._departures.queued() == n

    async def in_flight() -> bool:
        return bool(batches)

    monkeypatch.setattr(membership, "remove_each", holding)
    first = asyncio.ensure_future(pools.aleave(a.id))
    await wait_for(in_flight)  # the first batch is in flight, held
    kick = asyncio.ensure_future(pools.akick(b.id))
    await wait_for(lambda: queued(1))
    # The kicked peer's socket closes by itself meanwhile: its own departure queues after.
    leave = asyncio.ensure_future(pools.aleave(b.id))
    await wait_for(lambda: queued(2))
    held.set()
    assert (await first, await kick, await leave) == (True, True, False)
    assert batches[1] == [(b.id, "kicked"), (b.id, "left")]  # one batch, both requests
    assert {str(s.peer_id): s.reason for s in await stays()} == {a.id: "left", b.id: "kicked"}
    assert (await b.expect("rtc:close"))["id"] == a.id
    await b.expect("rtc:stop")  # the kick's notice reached it


def _bulk_update(sql: str) -> bool:
    """Whether ``sql`` is QuerySet.bulk_update's: a CASE with a branch per row's pk."""
    return "CASE WHEN (" in sql and '"id" = ' in sql


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_joins_writes_its_history_in_the_same_statements_for_any_number_of_pools():
    # Group commit puts joins of many pools in one transaction: their history is read and
    # written for all of them at once, not pool by pool.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Pool.objects.create(name="going-on")
    membership.join("going-on", "early!chan", "w", {"user": None})

    def batch(names: list[str]) -> int:
        requests = [
            membership.JoinRequest(name, f"{name}-{n}!chan", "w", {"user": None})
            for n, name in enumerate(names)
        ]
        with CaptureQueriesContext(connection) as queries:
            outcomes = membership.join_many(requests)
        assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
        # Nothing built row by row in Python: no CASE per row (bulk_update), no stay values.
        assert not [q for q in queries if "CASE" in q["sql"]]
        assert not [
            q
            for q in queries
            if q["sql"].startswith('INSERT INTO "rtcpool_django_stay"') and "SELECT" not in q["sql"]
        ]
        return len(queries)

    # Each batch: one join into the call that goes on, the others into new pools, two each.
    few = batch(["going-on", "a", "a", "b", "b"])
    many = batch(["going-on", *(name for name in "cdefgh" for _ in range(2))])
    assert few == many
    going_on = Call.objects.get(pool_name="going-on")
    assert (going_on.live_peers, going_on.peak_peers, going_on.stay_count) == (3, 3, 3)
    for name in "abcdefgh":
        call = Call.objects.get(pool_name=name, ended=None)
        assert (call.live_peers, call.peak_peers, call.stay_count) == (2, 2, 2)
        assert Stay.objects.filter(call=call).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_departures_writes_its_history_in_the_same_statements_for_any_number_of_pools():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def joined(name: str, n: int) -> str:
        (outcome, _) = membership.join(name, f"{name}-{n}!chan", "w", {"user": None})
        return outcome.peer_id

    def batch(names: str) -> int:
        # Per pool, one of two peers leaves (its call goes on) or both (their call ends).
        leaving = []
        for name in names:
            first, second = joined(name, 1), joined(name, 2)
            leaving += (
                [(first, "left"), (second, "kicked")] if name in "aceg" else [(first, "left")]
            )
        with CaptureQueriesContext(connection) as queries:
            _, removed = membership.remove_each(leaving)
        assert removed == {peer_id for peer_id, _ in leaving}
        assert not [q for q in queries if _bulk_update(q["sql"])]
        return len(queries)

    assert batch("ab") == batch("cdefgh")
    for name in "abcdefgh":
        call = Call.objects.get(pool_name=name)
        ended = name in "aceg"
        assert (call.ended is not None, call.live_peers) == (ended, 0 if ended else 1)
        reasons = sorted(Stay.objects.filter(call=call).values_list("reason", flat=True))
        assert reasons == (["kicked", "left"] if ended else ["", "left"])


def _history_of_a_departure_batch(tag: str) -> dict[str, object]:
    """Peers of three pools leave in one batch: all of one (its call ends), one of another
    (kicked, at a given moment), and one already gone; what the batch wrote."""
    ids: dict[str, str] = {}
    for name, n in (("ends", 2), ("goes-on", 2), ("again", 2)):
        for k in range(n):
            joined, _ = membership.join(f"{tag}-{name}", f"{name}-{k}!chan", "w", {"user": None})
            ids[f"{name}-{k}"] = joined.peer_id
    membership.remove([ids["again-0"]], reason="left")
    at = timezone.now() - timedelta(seconds=5)  # before the peer joined: the join time
    leaving = [("ends-0", "left"), ("ends-1", "left"), ("goes-on-0", "kicked"), ("again-0", "left")]
    _, removed = membership.remove_each(
        [(ids[key], reason) for key, reason in leaving], left_at={ids["goes-on-0"]: at}
    )
    label = {peer_id: key for key, peer_id in ids.items()}
    written: dict[str, object] = {"removed": sorted(label[peer_id] for peer_id in removed)}
    for name in ("ends", "goes-on", "again"):
        stays = Stay.objects.filter(pool_name=f"{tag}-{name}").order_by("joined", "id")
        (call,) = Call.objects.filter(pool_name=f"{tag}-{name}")
        last = max((stay.left for stay in stays if stay.left), default=None)
        written[name] = {
            "stays": [
                (label[str(stay.peer_id)], stay.reason, stay.left == stay.joined, stay.left is None)
                for stay in stays
            ],
            "call": (call.live_peers, call.peak_peers, call.stay_count, call.ended == last),
            "ended": call.ended is not None,
        }
    return written


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_batch_of_departures_writes_the_same_history_in_its_one_round_trip(
    monkeypatch,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rtcpool_django import departures

    if connection.vendor != "postgresql":
        pytest.skip("the batched departure is PostgreSQL's")
    with monkeypatch.context() as orm:
        orm.setattr(departures, "can_batch", lambda: False)
        by_orm = _history_of_a_departure_batch("orm")

    def no_orm(*args):
        raise AssertionError("the batch left its round trip")

    monkeypatch.setattr(departures, "_depart_orm", no_orm)
    with CaptureQueriesContext(connection) as queries:
        batched = _history_of_a_departure_batch("batched")
    assert batched == by_orm
    assert batched["removed"] == ["ends-0", "ends-1", "goes-on-0"]
    assert batched["ends"] == {
        "stays": [("ends-0", "left", False, False), ("ends-1", "left", False, False)],
        "call": (0, 2, 2, True),
        "ended": True,
    }
    assert batched["goes-on"]["stays"][0] == ("goes-on-0", "kicked", True, False)  # type: ignore[index]
    assert batched["goes-on"]["call"][0] == 1  # type: ignore[index]
    assert batched["again"]["call"][0] == 1  # type: ignore[index]  # not counted twice
    # Each departure batch, history and all, is one statement sent.
    assert [q["sql"].count("DELETE") for q in queries if "DELETE" in q["sql"]] == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_with_webhook_endpoints_a_departure_batch_writes_its_events(settings):
    # The payloads of peer.left and pool.finished are built from the stays the ORM reads.
    settings.RTCPOOL = {"WEBHOOKS": [endpoint()], "WEBHOOK_SENDER_IN_WORKERS": False}
    joined, _ = membership.join("room", "a!chan", "w", {"user": None})
    membership.remove([joined.peer_id], reason="left")
    types = WebhookEvent.objects.filter(pool_name="room").values_list("type", flat=True)
    assert list(types) == ["pool.started", "peer.joined", "peer.left", "pool.finished"]
