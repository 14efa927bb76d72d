"""History and webhooks on real daphne workers: the attendance of a join storm, a kick, a
prune and a close is exact; a worker SIGKILLed mid-delivery loses no event; the outbox
rides through a Redis outage. Every webhook goes to a real receiver on loopback that
verifies it with ``standardwebhooks``."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from rtcpool_django.models import Call, Peer, Stay, WebhookEvent, Worker

from ..conftest import wait_for
from ..live import ROOT, WSClient
from ..redis_servers import RedisServer
from ..webhook_receiver import Receiver, new_secret
from .conftest import query

pytestmark = pytest.mark.multiworker

FAST = {
    "RTCPOOL_HEARTBEAT_INTERVAL": "1",
    "RTCPOOL_WORKER_TIMEOUT": "8",  # a loaded machine delays beats by seconds
    "RTCPOOL_WEBHOOK_TIMEOUT": "1",
    "RTCPOOL_WEBHOOK_RETRY_DELAY": "0.1",
    "RTCPOOL_WEBHOOK_POLL_INTERVAL": "0.2",
}


@pytest.fixture
def receiver():
    hook = Receiver(secret=new_secret()).start()
    yield hook
    hook.stop()


def hooked(receiver: Receiver, **extra: str) -> dict[str, str]:
    return {
        **FAST,
        "RTCPOOL_WEBHOOK_URL": receiver.url,
        "RTCPOOL_WEBHOOK_SECRET": receiver.secret,
        **extra,
    }


def manage(worker, *args: str) -> str:
    """Run a management command as the workers' site would (their settings and layer)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=worker.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def received(receiver: Receiver, condition):
    async def check() -> bool:
        return condition([r.type for r in receiver.accepted()])

    return check


async def outbox_settled() -> bool:
    return not await query(lambda: WebhookEvent.objects.filter(status="pending").exists())


async def outbox() -> list[tuple[str, str]]:
    """(event id, type) of every event written, in the order of the outbox."""
    return await query(lambda: list(WebhookEvent.objects.values_list("event_id", "type")))


def assert_received_in_order(receiver: Receiver, written: list[tuple[str, str]]) -> None:
    assert all(r.verified for r in receiver.requests), "a signature did not verify"
    accepted = [(r.id, r.type) for r in receiver.accepted()]
    assert accepted == written  # every event, once after de-duplication, in order


async def test_history_of_a_storm_a_kick_a_prune_and_a_close_is_exact(cluster, receiver):
    w0, w1, doomed = cluster(3, "ours", **hooked(receiver))
    urls = [w0.url, w1.url] * 8 + [doomed.url] * 6
    clients = await asyncio.gather(*(WSClient.connect(url, ping_interval=None) for url in urls))
    await asyncio.gather(*(client.join("storm") for client in clients))
    survivors, lost = clients[:16], clients[16:]
    ids = {client.id for client in clients}

    await survivors[0].close()
    await survivors[1].close()
    kicked = survivors[2].id
    manage(w0, "rtcpool_kick", kicked)
    doomed_worker = await query(lambda: Peer.objects.get(pk=lost[0].id).worker)
    doomed.kill()
    last_beat = await query(lambda: Worker.objects.get(id=doomed_worker).last_seen)
    await wait_for(
        lambda: query(lambda: not Peer.objects.filter(worker=doomed_worker).exists()), timeout=30
    )
    manage(w1, "rtcpool_close", "storm")

    stays = await query(lambda: list(Stay.objects.all()))
    assert sorted(str(s.peer_id) for s in stays) == sorted(ids)  # one stay per peer
    reasons = {str(s.peer_id): s.reason for s in stays}
    assert {i for i, r in reasons.items() if r == "left"} == {c.id for c in survivors[:2]}
    assert {i for i, r in reasons.items() if r == "kicked"} == {kicked}
    assert {i for i, r in reasons.items() if r == "pruned"} == {c.id for c in lost}
    assert {i for i, r in reasons.items() if r == "closed"} == {c.id for c in survivors[3:]}
    for stay in stays:
        assert stay.left is not None and stay.left >= stay.joined
        if stay.reason == "pruned":  # left at the dead worker's last heartbeat
            assert stay.worker == doomed_worker
            assert stay.left == max(last_beat, stay.joined)
    (call,) = await query(lambda: list(Call.objects.all()))
    assert (call.peak_peers, call.stay_count, call.live_peers) == (22, 22, 0)
    assert call.started == min(s.joined for s in stays)
    assert call.ended == max(s.left for s in stays)

    await wait_for(outbox_settled, timeout=60)
    written = await outbox()
    types = [t for _, t in written]
    assert types[0] == "pool.started" and types[-1] == "pool.finished"
    assert types.count("peer.joined") == types.count("peer.left") == 22
    assert types.count("pool.closed") == 1
    assert_received_in_order(receiver, written)
    left = {d["peer_id"]: d["reason"] for t, d in receiver.events("storm") if t == "peer.left"}
    assert left == reasons
    for client in survivors:
        await client.close()


async def test_clients_that_read_nothing_keep_their_sockets_through_keepalive(cluster, receiver):
    # The storm above reads none of its notices; its stays must end for the reasons the
    # test gives them, not because the server's keepalive dropped a silent client (with
    # daphne's 20 s + 30 s, a slow run of it once recorded two closed peers as "left").
    fast_pings = ["--ping-interval", "1", "--ping-timeout", "2"]
    (worker,) = cluster(1, "ours", server_args=fast_pings, **hooked(receiver))
    clients = [await WSClient.connect(worker.url, ping_interval=None) for _ in range(22)]
    for client in clients:
        await client.join("storm")  # the first ones now hold over 16 unread notices
    await asyncio.sleep(8)  # nothing to wait on: pings go out and time out meanwhile
    assert await query(lambda: Peer.objects.count()) == 22
    assert await query(lambda: list(Stay.objects.exclude(reason="").values("reason"))) == []
    for client in clients:
        await client.close()


async def test_a_worker_killed_mid_delivery_loses_no_event(cluster):
    receiver = Receiver(secret=new_secret(), script=["stall"], stall_seconds=60).start()
    try:
        await killed_mid_delivery(cluster, receiver)
    finally:
        receiver.stop()


async def killed_mid_delivery(cluster, receiver: Receiver) -> None:
    (sender,) = cluster(1, "ours", **hooked(receiver))
    clients = [await WSClient.connect(sender.url, ping_interval=None) for _ in range(3)]
    for client in clients:
        await client.join("call")
    await clients[0].close()
    await asyncio.to_thread(receiver.stalling.wait, 30)  # pool.started is being delivered

    sender.kill()
    # Its peers are pruned by the next worker, whose sender redelivers what was in flight
    # once the dead one's lease runs out, then the rest, in order.
    (heir,) = cluster(1, "ours", **hooked(receiver))
    await wait_for(lambda: query(lambda: not Peer.objects.exists()), timeout=30)
    await wait_for(outbox_settled, timeout=60)
    receiver.release()

    written = await outbox()
    assert [t for _, t in written] == [
        "pool.started",
        *["peer.joined"] * 3,
        *["peer.left"] * 3,
        "pool.finished",
    ]
    assert_received_in_order(receiver, written)
    first = [r for r in receiver.requests if r.id == written[0][0]]
    assert len(first) >= 1  # the stalled attempt never answered the killed sender
    assert heir.process is not None


@pytest.fixture
def own_redis():
    server = RedisServer().start()
    yield server
    server.kill()


async def test_the_outbox_rides_through_a_redis_outage(cluster, receiver, own_redis):
    # Sockets stay open through the outage (no 1012 closes, whose departures would race).
    w0, w1 = cluster(
        2, "ours", redis_url=own_redis.url, **hooked(receiver, RTCPOOL_LAYER_OUTAGE_GRACE="60")
    )
    a, b, c = [await WSClient.connect(url, ping_interval=None) for url in (w0.url, w1.url, w0.url)]
    for client in (a, b, c):
        await client.join("outage")
    assert {(await a.expect("rtc:peer"))["id"] for _ in range(2)} == {b.id, c.id}
    assert (await b.expect("rtc:peer"))["id"] == c.id
    await wait_for(received(receiver, lambda types: len(types) == 4), timeout=30)

    own_redis.kill()
    await c.close()  # a departure while nobody can be told: history and outbox still see it
    # Delivered during the outage: webhooks need the database, not Redis.
    await wait_for(received(receiver, lambda types: "peer.left" in types), timeout=30)
    own_redis.start()
    # Each worker is back on the layer once it has repaired its rosters (c is gone).
    assert await a.expect("rtc:close", timeout=30) == {"id": c.id, "uid": c.id}
    assert await b.expect("rtc:close", timeout=30) == {"id": c.id, "uid": c.id}

    d = await WSClient.connect(w1.url, ping_interval=None)
    await d.join("outage")
    for client in (a, b, d):
        await client.close()
    await wait_for(lambda: query(lambda: not Peer.objects.exists()), timeout=30)
    await wait_for(outbox_settled, timeout=60)
    written = await outbox()
    assert [t for _, t in written] == [
        "pool.started",
        *["peer.joined"] * 3,
        "peer.left",
        "peer.joined",
        *["peer.left"] * 3,
        "pool.finished",
    ]
    assert_received_in_order(receiver, written)
