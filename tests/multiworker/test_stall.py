"""A worker stalled under relay load (SIGSTOP for 3 s, then SIGCONT), issue "Ride through
faults" item 3: it comes back without evictions unless its queue really overflowed; when it
did, the eviction rules hold and the pools converge."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections import Counter, defaultdict

import pytest

from rtcpool_django.consumers import CLOSE_KICKED
from rtcpool_django.models import Peer

from ..live import Worker, WSClient
from .conftest import query
from .observe import Observer, until

pytestmark = pytest.mark.multiworker

STALL = 3.0
# Candidates per second of one sender: a browser gathering ICE, within the rate limit.
RATE = 20.0


class Relayer(Observer):
    """An observer that also records the numbered candidates it receives (by sender), the
    errors it is answered and whether it was told to stop."""

    def __init__(self, client: WSClient) -> None:
        self.received: dict[str, list[int]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.stopped = 0
        self.sent: dict[str, int] = Counter()
        super().__init__(client)

    def _see(self, kind: str, data: dict) -> None:
        if kind == "rtc:candidate":
            if data["from"] not in self.known:
                self.violations.append(f"candidate from {data['from']}, not in the roster")
            self.received[data["from"]].append(int(data["candidate"]["candidate"]))
        elif kind == "rtc:error":
            self.errors[data["reason"]] += 1
        elif kind == "rtc:stop":
            self.stopped += 1
        else:
            super()._see(kind, data)

    async def relay(self, to: Relayer, stop: asyncio.Event) -> None:
        """Send numbered candidates to ``to`` at RATE per second until ``stop`` is set (or
        ``to`` has been closed for this client)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while not stop.is_set() and to.client.id in self.known:
            n = self.sent[to.client.id]
            await self.client.candidate(to.client.id, {"candidate": str(n)})
            self.sent[to.client.id] = n + 1
            # On a fixed schedule, so that a slow send does not lower the rate.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), start + (n + 1) / RATE - loop.time())


async def connect(worker: Worker, pool: str) -> Relayer:
    relayer = Relayer(await WSClient.connect(worker.url))
    await relayer.join(pool)
    await until(lambda: relayer.joined is not None)
    return relayer


async def fill_pool(members: list[Relayer]) -> None:
    """Wait until every member knows every other one."""
    ids = {m.client.id for m in members}
    await until(lambda: all(m.known == ids - {m.client.id} for m in members))


async def forgotten(peer: Relayer, members: list[Relayer], timeout: float = 20.0) -> None:
    """Wait until no member has ``peer`` in its roster any more."""
    await until(lambda: all(peer.client.id not in m.known for m in members), timeout)


def assert_delivered_in_order(sender: Relayer, receiver: Relayer, refused: int) -> None:
    """Every relay ``sender`` sent to ``receiver`` arrived in order, except ``refused`` of
    them, which ``sender`` was answered rtc:error for."""
    got = receiver.received[sender.client.id]
    assert got == sorted(set(got)), "out of order or duplicated"
    assert len(got) + refused == sender.sent[receiver.client.id]


@pytest.mark.parametrize("layer", ["ours", "core"])
async def test_a_stall_under_relay_load_evicts_nobody_and_loses_nothing_unseen(cluster, layer):
    live, stalled = cluster(2, layer)

    # 5 pools of 4 peers, 2 on each worker; 10 pairs that cross workers, relaying both ways
    # between the pools' members on the two workers.
    async def pool(name: str) -> list[Relayer]:
        members = [await connect(w, name) for w in (live, stalled, live, stalled)]
        await fill_pool(members)
        return members

    names = [f"stall{p}" for p in range(5)]
    pools = dict(zip(names, await asyncio.gather(*map(pool, names)), strict=True))
    pairs = [(ms[0], ms[1]) for ms in pools.values()] + [(ms[3], ms[2]) for ms in pools.values()]
    everyone = [m for members in pools.values() for m in members]

    stop = asyncio.Event()
    senders = [asyncio.create_task(a.relay(b, stop)) for a, b in pairs]
    await asyncio.sleep(1.0)
    stalled.process.send_signal(signal.SIGSTOP)
    try:
        await asyncio.sleep(STALL)
    finally:
        stalled.process.send_signal(signal.SIGCONT)
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*senders)

    def all_answered() -> bool:
        return all(
            len(b.received[a.client.id]) + a.errors["peer_unavailable"] >= a.sent[b.client.id]
            for a, b in pairs
        )

    await until(all_answered)
    for a, b in pairs:
        # Each sender relays to one peer only, so its errors are about that stream.
        assert_delivered_in_order(a, b, a.errors["peer_unavailable"])
        assert a.sent[b.client.id] >= RATE * (STALL + 1.5)
    # Nobody was evicted, told to stop or closed, and no roster went wrong.
    assert not any(m.closes or m.stopped or m.task.done() for m in everyone)
    assert [v for m in everyone for v in m.violations] == []
    assert sum(m.errors.total() for m in everyone) == sum(
        a.errors["peer_unavailable"] for a, _ in pairs
    )
    assert await query(Peer.objects.count) == len(everyone)

    # Joins and leaves converge: each newcomer is seen once by its pool, a leaver's close too.
    async def churn(n: int, name: str, members: list[Relayer]) -> None:
        newcomer = await connect((live, stalled)[n % 2], name)
        await fill_pool([*members, newcomer])
        leaver = members.pop(n % 4)
        await leaver.close()
        await forgotten(leaver, members)
        for m in members:
            assert m.peer_events[newcomer.client.id] == 1
            assert m.closes[leaver.client.id] == 1
        members.append(newcomer)

    await asyncio.gather(*(churn(n, *item) for n, item in enumerate(pools.items())))
    assert [v for ms in pools.values() for m in ms for v in m.violations] == []
    for members in pools.values():
        for m in members:
            await m.close()


async def test_a_stall_that_overflows_evicts_the_peer_a_notice_cannot_reach(cluster):
    # A tiny queue, and a notice is offered for less time than the stall lasts.
    live, stalled = cluster(2, "ours", RTCPOOL_CHANNEL_CAPACITY="5", RTCPOOL_DELIVERY_TIMEOUT="1")
    c1, b, c2 = [await connect(w, "overflow") for w in (live, stalled, live)]
    await fill_pool([c1, b, c2])
    # A bystander on the stalled worker, in another pool: its queue overflows too (it is the
    # worker's queue), but no notice is lost for it, so it is not evicted.
    x, y = [await connect(w, "bystander") for w in (live, stalled)]
    await fill_pool([x, y])

    stop = asyncio.Event()
    senders = [asyncio.create_task(s.relay(r, stop)) for s, r in ((c1, b), (x, y))]
    await asyncio.sleep(0.5)
    stalled.process.send_signal(signal.SIGSTOP)
    try:
        await until(lambda: x.errors["peer_unavailable"] > 0, timeout=STALL)
        # d's join cannot be told to b within DELIVERY_TIMEOUT: b is evicted, and everyone
        # who knew b hears it once.
        d = await connect(live, "overflow")
        assert set(d.joined["peers"]) == {c1.client.id, b.client.id, c2.client.id}
        await forgotten(b, [c1, c2, d], timeout=STALL)
        await asyncio.sleep(max(0.0, STALL - 1.5))
    finally:
        stalled.process.send_signal(signal.SIGCONT)

    # When its worker resumes, b hears rtc:stop and its socket is closed with 4001.
    await asyncio.wait_for(b.task, 10)
    assert b.stopped == 1 and b.close_code == CLOSE_KICKED
    assert b.peer_events[d.client.id] == 0 and not b.closes
    for m in (c1, c2, d):
        assert m.closes[b.client.id] == 1

    # The bystander stayed: what was accepted for it arrives, in order, and the rest was
    # answered rtc:error at its sender.
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*senders)
    await until(
        lambda: len(y.received[x.client.id]) + x.errors["peer_unavailable"] >= x.sent[y.client.id]
    )
    assert_delivered_in_order(x, y, x.errors["peer_unavailable"])
    assert not (x.closes or y.closes or x.stopped or y.stopped or y.task.done())

    # The pool converges: a newcomer on the resumed worker meets exactly c1, c2 and d.
    e = await connect(stalled, "overflow")
    assert set(e.joined["peers"]) == {c1.client.id, c2.client.id, d.client.id}
    await fill_pool([c1, c2, d, e])
    for m in (c1, c2, d):
        assert m.peer_events[e.client.id] == 1
    assert await query(lambda: set(Peer.objects.values_list("id", flat=True))) == {
        uuid.UUID(m.client.id) for m in (c1, c2, d, e, x, y)
    }
    assert [v for m in (c1, c2, d, e, x, y, b) for v in m.violations] == []
    for m in (c1, c2, d, e, x, y):
        await m.close()
