"""The storm scenarios: many peers joining at once (``join_storm``), and half of them
leaving at once (``leave_storm``), each with the correctness counts that must be 0.

Driven by the client of :mod:`benchmarks.scenarios` (one asyncio process, frames decoded
with ujson, no compression, no pings); every wait is bounded by ``Limits``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, WebSocketException

from benchmarks.scenarios import Limits, close_all, connect, frame, loads, percentile


@dataclass(eq=False)
class StormPeer:
    """One peer of a storm, with what it was told about its pool."""

    pool: str
    port: int
    ws: ClientConnection | None = None
    id: str = ""
    sent: float = 0.0
    joined_at: float | None = None
    view: set[str] = field(default_factory=set)  # rtc:joined.peers + rtc:peer - rtc:close
    known: set[str] = field(default_factory=set)  # every id it was told of
    duplicates: int = 0  # an id it was told of a second time
    inconsistent: bool = False  # rtc:close of an unknown id, rtc:joined twice
    failed: str | None = None  # no rtc:joined: why
    evicted: str | None = None  # the server dropped it after rtc:joined: how
    abandoned: bool = False  # the client closed it
    closes: list[tuple[str, float]] = field(default_factory=list)  # rtc:close id, when
    awaiting: set[str] = field(default_factory=set)  # rtc:close ids the leave storm expects

    def learn(self, peer_id: str) -> None:
        if peer_id in self.known:
            self.duplicates += 1
        self.known.add(peer_id)
        self.view.add(peer_id)


class Storm:
    """``peers`` peers of pools of ``pool_size``, their pools spread over the workers."""

    def __init__(self, ports: list[int], peers: int, pool_size: int) -> None:
        run = uuid.uuid4().hex[:8]
        self.peers = [
            StormPeer(f"storm-{run}-{n // pool_size}", ports[n % len(ports)]) for n in range(peers)
        ]
        self.connected: list[StormPeer] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.waiting = 0
        self.all_answered = asyncio.Event()
        self.closes_awaited = 0
        self.all_closes = asyncio.Event()
        self.last_frame = time.monotonic()

    async def connect_all(self, limits: Limits) -> None:
        """Open every socket, at most 100 handshakes at a time."""
        # The gate keeps the SYNs within the servers' listen backlogs (daphne's is 50);
        # opening sockets is not what the storms measure.
        gate = asyncio.Semaphore(100)
        try:
            async with asyncio.timeout(limits.connect):
                await asyncio.gather(*(self.open(peer, gate) for peer in self.peers))
        except TimeoutError:
            for peer in self.peers:
                if peer.ws is None and peer.failed is None:
                    peer.failed = "connect: timeout"
        self.connected = [p for p in self.peers if p.ws is not None and p.failed is None]

    async def open(self, peer: StormPeer, gate: asyncio.Semaphore) -> None:
        async with gate:
            try:
                peer.ws = await connect(peer.port)
            except (OSError, WebSocketException) as exc:
                peer.failed = f"connect: {type(exc).__name__}"

    async def join_all(self, limits: Limits) -> None:
        """Every connected peer sends ``rtc:join`` at once; returns once all are answered
        (or ``limits.join`` passed: the unanswered count as failed and are closed)."""
        self.waiting = len(self.connected)
        if not self.connected:
            self.all_answered.set()
        self.tasks = [asyncio.create_task(self.run(peer)) for peer in self.connected]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_answered.wait(), limits.join)
        for peer in self.connected:
            if peer.joined_at is None and peer.failed is None:
                peer.failed = "rtc:joined timeout"
                peer.abandoned = True  # its close is ours, not an eviction
        await close_all([peer.ws for peer in self.connected if peer.abandoned and peer.ws])

    async def settle(self, limits: Limits) -> bool:
        """Wait until no frame has arrived for ``limits.quiet`` s (at most
        ``limits.settle`` s); whether it got that quiet."""
        deadline = time.monotonic() + limits.settle
        while True:
            idle = time.monotonic() - self.last_frame
            if idle >= limits.quiet or time.monotonic() >= deadline:
                break
            await asyncio.sleep(limits.quiet - idle)
        return time.monotonic() - self.last_frame >= limits.quiet

    def live(self) -> list[StormPeer]:
        return [
            peer
            for peer in self.connected
            if peer.joined_at is not None and peer.evicted is None and peer.failed is None
        ]

    async def close(self) -> None:
        for peer in self.connected:
            peer.abandoned = True
        await close_all([peer.ws for peer in self.connected if peer.ws])
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def answered(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.all_answered.set()

    async def run(self, peer: StormPeer) -> None:
        """Join, then record every frame until the socket closes."""
        assert peer.ws is not None
        peer.sent = time.perf_counter()
        try:
            await peer.ws.send(frame("rtc:join", {"pool": peer.pool}))
            async for raw in peer.ws:
                self.last_frame = time.monotonic()
                message = loads(raw)
                kind, data = message["type"], message["data"]
                if kind == "rtc:peer":
                    peer.learn(data["id"])
                elif kind == "rtc:close":
                    self.closed(peer, data["id"])
                elif kind == "rtc:joined":
                    if peer.failed is not None:  # too late: counted as failed, being closed
                        continue
                    if peer.joined_at is not None:
                        peer.inconsistent = True
                        continue
                    peer.joined_at = time.perf_counter()
                    peer.id = data["client_id"]
                    for other in data["peers"]:
                        peer.learn(other)
                    self.answered()
                elif kind == "rtc:error":
                    reason = data.get("reason")
                    if peer.joined_at is None and peer.failed is None:
                        peer.failed = f"rtc:error {reason}"
                        self.answered()
                    elif reason == "peer_unavailable":
                        peer.evicted = peer.evicted or "rtc:error peer_unavailable"
        except ConnectionClosed as closed:
            self.last_frame = time.monotonic()  # a close is news too: the storm goes on
            if not peer.abandoned:
                code = closed.rcvd.code if closed.rcvd else None
                if peer.joined_at is None and peer.failed is None:
                    peer.failed = f"closed by server ({code})"
                    self.answered()
                elif peer.joined_at is not None:
                    peer.evicted = peer.evicted or f"closed by server ({code})"
            return
        # The server closed the socket cleanly (the iteration ended without an error).
        self.last_frame = time.monotonic()
        how = f"closed by server ({peer.ws.close_code})"
        if not peer.abandoned and peer.joined_at is not None:
            peer.evicted = peer.evicted or how
        elif not peer.abandoned and peer.failed is None:
            peer.failed = how
            self.answered()

    def closed(self, peer: StormPeer, peer_id: str) -> None:
        peer.closes.append((peer_id, time.perf_counter()))
        if peer_id not in peer.known:
            peer.inconsistent = True
        peer.view.discard(peer_id)
        if peer_id in peer.awaiting:
            peer.awaiting.discard(peer_id)
            self.closes_awaited -= 1
            if self.closes_awaited == 0:
                self.all_closes.set()

    def wrong_views(self) -> tuple[int, Counter[str]]:
        """Live peers whose view is not exactly the other live peers of their pool."""
        live = self.live()
        members: dict[str, set[str]] = {}
        for peer in live:
            members.setdefault(peer.pool, set()).add(peer.id)
        wrong, why = 0, Counter[str]()
        for peer in live:
            expected = members[peer.pool] - {peer.id}
            if peer.inconsistent or peer.view != expected:
                wrong += 1
                # What kind of wrong says where to look: a missed rtc:peer, a missed rtc:close.
                why["wrong view: a live peer missing"] += bool(expected - peer.view)
                why["wrong view: a gone peer kept"] += bool(peer.view - expected)
                why["wrong view: close of an unknown id or joined twice"] += peer.inconsistent
        return wrong, why

    def problems(self, why: Counter[str]) -> dict[str, int]:
        problems = Counter(peer.failed or "" for peer in self.peers if peer.failed)
        problems.update(peer.evicted or "" for peer in self.peers if peer.evicted)
        problems.update(+why)  # + drops the zero counts
        return dict(problems.most_common(8))


async def join_storm(
    ports: list[int],
    peers: int,
    pool_size: int,
    limits: Limits,
    server_cpu: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """``peers`` sockets are opened, then all send ``rtc:join`` at once, into pools of
    ``pool_size`` spread over the workers. Figures: joins/s from the first join sent to
    the last ``rtc:joined``; p50/p99 of each peer's time to ``rtc:joined``; and, once no
    frame has arrived for ``limits.quiet`` s, correctness: a live peer's view (ids from
    ``rtc:joined.peers`` + ``rtc:peer`` - ``rtc:close``) must equal the other live peers
    of its pool. With ``server_cpu`` (the servers' CPU seconds so far), also their CPU time
    per join over the same span."""
    storm = Storm(ports, peers, pool_size)
    opening = time.perf_counter()
    await storm.connect_all(limits)
    opening = time.perf_counter() - opening
    cpu = time.process_time()
    served = server_cpu() if server_cpu else 0.0
    await storm.join_all(limits)
    served = server_cpu() - served if server_cpu else 0.0
    cpu = time.process_time() - cpu
    settled = await storm.settle(limits)  # the notices of the storm (and of abandoned peers)
    wrong, why = storm.wrong_views()
    connected = storm.connected
    ids = Counter(peer.id for peer in connected if peer.id)
    await storm.close()

    joined = [peer for peer in connected if peer.joined_at is not None]
    latencies = sorted((peer.joined_at - peer.sent) * 1000 for peer in joined)  # type: ignore[operator]
    span = max(peer.joined_at for peer in joined) - min(p.sent for p in connected) if joined else 0
    return {
        "peers": peers,
        "pool_size": pool_size,
        "joined": len(joined),
        "joins_per_s": len(joined) / span if span else 0.0,
        # Opening the sockets (at most 100 handshakes at a time), before any join.
        "connects_per_s": len(connected) / opening if opening else 0.0,
        "p50_ms": percentile(latencies, 0.5) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
        "wrong_views": wrong,
        "evictions": sum(1 for peer in storm.peers if peer.evicted),
        "failed_handshakes": sum(1 for peer in storm.peers if peer.failed),
        "duplicates": sum(peer.duplicates for peer in connected) + sum(n - 1 for n in ids.values()),
        "settled": settled,
        "problems": storm.problems(why),
        "client_cpu": cpu / span if span else 0.0,
        "server_ms_per_join": served * 1000 / len(joined) if server_cpu and joined else None,
    }


async def leave_storm(
    ports: list[int],
    peers: int,
    pool_size: int,
    limits: Limits,
    server_cpu: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """``peers`` peers join pools of ``pool_size`` (as in the join storm, not measured);
    once that has settled, every other peer of each pool closes its socket, all at once.
    Figures: leaves/s = leavers / time from the first close to the last ``rtc:close``
    received; p50/p99 of each ``rtc:close``'s time from that first close; and the wrong
    counts: an ``rtc:close`` a stayer should get and did not (**missing**), got twice
    (**duplicate**) or should not get (**stray**: no leaver of its pool, or unknown)."""
    storm = Storm(ports, peers, pool_size)
    await storm.connect_all(limits)
    await storm.join_all(limits)
    await storm.settle(limits)
    joined_wrong, why = storm.wrong_views()
    by_pool: dict[str, list[StormPeer]] = {}
    for peer in storm.live():
        by_pool.setdefault(peer.pool, []).append(peer)
    leavers: list[StormPeer] = []
    stayers: list[StormPeer] = []
    leaving: dict[StormPeer, set[str]] = {}  # stayer -> ids of its pool's leavers
    for members in by_pool.values():
        gone = members[0::2]
        leavers += gone
        for stayer in members[1::2]:
            stayers.append(stayer)
            leaving[stayer] = {leaver.id for leaver in gone}
            # A close is owed for each leaver the stayer knew of (all, if its view is right).
            stayer.awaiting = {leaver.id for leaver in gone if leaver.id in stayer.view}
            stayer.closes.clear()
    storm.closes_awaited = sum(len(stayer.awaiting) for stayer in stayers)
    owed = storm.closes_awaited
    if not owed:
        storm.all_closes.set()
    for leaver in leavers:
        leaver.abandoned = True

    cpu = time.process_time()
    served = server_cpu() if server_cpu else 0.0
    began = time.perf_counter()
    closing = [asyncio.ensure_future(leaver.ws.close()) for leaver in leavers if leaver.ws]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(storm.all_closes.wait(), limits.join)
    served = server_cpu() - served if server_cpu else 0.0
    cpu = time.process_time() - cpu
    if closing:
        await asyncio.wait(closing, timeout=10)
    settled = await storm.settle(limits)  # a duplicate or stray close would arrive now

    missing = sum(len(stayer.awaiting) for stayer in stayers)
    duplicate = stray = 0
    times = []
    for stayer in stayers:
        counts = Counter(peer_id for peer_id, _ in stayer.closes)
        duplicate += sum(n - 1 for n in counts.values())
        stray += sum(1 for peer_id in counts if peer_id not in leaving[stayer])
        times += [at for peer_id, at in stayer.closes if peer_id in leaving[stayer]]
    evicted = sum(1 for stayer in stayers if stayer.evicted)
    await storm.close()

    latencies = sorted((at - began) * 1000 for at in times)
    span = (max(times) - began) if times else 0.0
    return {
        "peers": peers,
        "pool_size": pool_size,
        "leavers": len(leavers),
        "closes_owed": owed,
        "leaves_per_s": len(leavers) / span if span else 0.0,
        "p50_ms": percentile(latencies, 0.5) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
        "missing": missing,
        "duplicate": duplicate,
        "stray": stray,
        "evictions": evicted,
        # Peers that never got into the pools, or had a wrong view before anyone left.
        "failed_handshakes": sum(1 for peer in storm.peers if peer.failed),
        "wrong_before": joined_wrong,
        "settled": settled,
        "problems": storm.problems(why),
        "client_cpu": cpu / span if span else 0.0,
        "server_ms_per_leave": served * 1000 / len(leavers) if server_cpu and leavers else None,
    }


async def churn(
    ports: list[int],
    cycles: int,
    concurrency: int,
    pool_size: int,
    limits: Limits,
    rss: Callable[[], int],
) -> dict[str, Any]:
    """``cycles`` join-and-leave cycles, ``concurrency`` at a time, into pools of about
    ``pool_size`` that stay busy: each cycle opens a socket, joins, waits for
    ``rtc:joined`` and closes. Figures: cycles/s, and the servers' resident memory
    (``rss()``, bytes) after the first tenth of the cycles and at the end."""
    pools = max(1, concurrency // pool_size)
    run = uuid.uuid4().hex[:8]
    done = failed = 0
    early: int | None = None
    mark = max(1, cycles // 10)
    counter = iter(range(cycles))

    async def cycle(n: int) -> None:
        nonlocal done, failed, early
        try:
            ws = await connect(ports[n % len(ports)])
            try:
                await ws.send(frame("rtc:join", {"pool": f"churn-{run}-{n % pools}"}))
                while loads(await ws.recv())["type"] != "rtc:joined":
                    pass
            finally:
                await ws.close()
        except (OSError, WebSocketException):
            failed += 1
        done += 1
        if done == mark:
            early = rss()

    async def worker() -> None:
        for n in counter:
            await cycle(n)

    began = time.perf_counter()
    async with asyncio.timeout(limits.run * 10):
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    await asyncio.sleep(limits.quiet)  # the last departures
    end = rss()
    return {
        "cycles": cycles,
        "failed": failed,
        "cycles_per_s": cycles / elapsed,
        "rss_early_mb": (early or 0) / 2**20,
        "rss_end_mb": end / 2**20,
        "rss_growth": end / early if early else None,
    }
