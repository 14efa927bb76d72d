"""The benchmark scenarios, driven by one asyncio client process over real WebSockets.

Each takes the ports of a setup's workers and returns a dict of figures. The client keeps
its own cost low so that it is not what is measured: frames it sends are encoded once per
direction, frames it receives are decoded with ujson when installed (autobahn, thus
daphne, depends on it), the event loop is uvloop's when installed (uvicorn[standard]), no
compression, no pings. Every wait is bounded by a timeout (``Limits``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, WebSocketException

try:
    from ujson import loads
except ImportError:  # pragma: no cover - the stdlib is only slower
    from json import loads

# Any candidate a browser would send; its size matters a little, its content not at all.
CANDIDATE = {
    "candidate": "candidate:842163049 1 udp 1677729535 192.0.2.10 54321 typ srflx "
    "raddr 0.0.0.0 rport 0 generation 0 ufrag sXd7 network-cost 999",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}


class ScenarioError(Exception):
    """The server answered something a scenario cannot go on from."""


@dataclass(frozen=True)
class Limits:
    """Timeouts, in seconds, of every wait of a scenario."""

    connect: float = 30.0  # opening the sockets of a scenario
    run: float = 120.0  # the measured part of rtt / throughput
    join: float = 60.0  # the last rtc:joined of the join storm
    quiet: float = 2.0  # no frame for this long: the storm has settled
    settle: float = 60.0  # ... waited for at most this long


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``samples``."""
    return samples[max(0, math.ceil(q * len(samples)) - 1)]


def frame(kind: str, data: dict[str, Any]) -> str:
    return json.dumps({"type": kind, "data": data}, separators=(",", ":"))


async def connect(port: int) -> ClientConnection:
    return await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/rtcpool/",
        origin="http://127.0.0.1",  # AllowedHostsOriginValidator wants one
        compression=None,
        proxy=None,
        ping_interval=None,
        open_timeout=None,  # bounded by the caller's timeout
        close_timeout=2,
        max_size=None,
    )


class Client:
    """One ssp peer for the relay scenarios."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.id = ""

    @classmethod
    async def join(cls, port: int, pool: str) -> Client:
        client = cls(await connect(port))
        await client.ws.send(frame("rtc:join", {"pool": pool}))
        client.id = (await client.expect("rtc:joined"))["client_id"]
        return client

    async def expect(self, kind: str) -> dict[str, Any]:
        while True:
            message = loads(await self.ws.recv())
            if message["type"] == kind:
                return message["data"]
            if message["type"] == "rtc:error":
                raise ScenarioError(f"rtc:error {message['data'].get('reason')}")

    def candidate_to(self, other: Client) -> str:
        """The frame that relays a candidate to ``other``, encoded once."""
        return frame("rtc:candidate", {"for": other.id, "from": self.id, "candidate": CANDIDATE})


async def join_pair(port_a: int, port_b: int) -> tuple[Client, Client]:
    """Two peers of a new pool; returns once each can relay to the other."""
    pool = f"pair-{uuid.uuid4().hex}"
    a = await Client.join(port_a, pool)
    b = await Client.join(port_b, pool)
    await a.expect("rtc:peer")  # a's server knows b only once it told a
    return a, b


async def bounce(a: Client, b: Client, round_trips: int, until: float = math.inf) -> list[float]:
    """A candidate from a to b, then one from b to a, ``round_trips`` times or until the
    ``time.perf_counter()`` deadline ``until``; each round trip's duration in ms."""
    to_b, to_a = a.candidate_to(b), b.candidate_to(a)
    clock = time.perf_counter
    samples = []
    for _ in range(round_trips):
        began = clock()
        if began >= until:
            break
        await a.ws.send(to_b)
        await b.expect("rtc:candidate")
        await b.ws.send(to_a)
        await a.expect("rtc:candidate")
        samples.append((clock() - began) * 1000)
    return samples


async def close_all(clients: list[ClientConnection]) -> None:
    if clients:
        await asyncio.wait([asyncio.ensure_future(ws.close()) for ws in clients], timeout=10)


async def rtt(ports: list[int], round_trips: int, warmup: int, limits: Limits) -> dict[str, Any]:
    """Relay round trip of one pair (on different workers when there are two)."""
    async with asyncio.timeout(limits.connect):
        a, b = await join_pair(ports[0], ports[-1])
    try:
        async with asyncio.timeout(limits.run):
            await bounce(a, b, warmup)
            cpu = time.process_time()
            samples = sorted(await bounce(a, b, round_trips))
            cpu = time.process_time() - cpu
    finally:
        await close_all([a.ws, b.ws])
    return {
        "round_trips": round_trips,
        "p50_ms": percentile(samples, 0.5),
        "p99_ms": percentile(samples, 0.99),
        "client_cpu": cpu / (sum(samples) / 1000),
    }


async def throughput(
    ports: list[int], pairs: int, messages: int, seconds: float, warmup: int, limits: Limits
) -> dict[str, Any]:
    """``pairs`` pairs each bouncing one candidate back and forth, ``messages`` relayed
    per pair or for ``seconds``, whichever ends first; relayed messages/s.

    Each pair has its own pool; its two peers are on different workers when there are
    two, so every relayed message crosses workers.
    """
    async with asyncio.timeout(limits.connect):
        couples = await asyncio.gather(*(join_pair(ports[0], ports[-1]) for _ in range(pairs)))
    try:
        async with asyncio.timeout(limits.run):
            await asyncio.gather(*(bounce(a, b, warmup) for a, b in couples))
            cpu, began = time.process_time(), time.perf_counter()
            until = began + seconds
            done = await asyncio.gather(
                *(bounce(a, b, max(1, messages // 2), until) for a, b in couples)
            )
            elapsed = time.perf_counter() - began
            cpu = time.process_time() - cpu
    finally:
        await close_all([ws for a, b in couples for ws in (a.ws, b.ws)])
    relayed = 2 * sum(len(samples) for samples in done)
    return {
        "pairs": pairs,
        "messages": relayed,
        "seconds": elapsed,
        "msgs_per_s": relayed / elapsed,
        "client_cpu": cpu / elapsed,
    }


@dataclass(eq=False)
class StormPeer:
    """One peer of the join storm, with what it was told about its pool."""

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

    def learn(self, peer_id: str) -> None:
        if peer_id in self.known:
            self.duplicates += 1
        self.known.add(peer_id)
        self.view.add(peer_id)


class Storm:
    """``peers`` peers join pools of ``pool_size`` all at once; see ``join_storm``."""

    def __init__(self, ports: list[int], peers: int, pool_size: int) -> None:
        run = uuid.uuid4().hex[:8]
        self.peers = [
            StormPeer(f"storm-{run}-{n // pool_size}", ports[n % len(ports)]) for n in range(peers)
        ]
        self.waiting = 0
        self.all_answered = asyncio.Event()
        self.last_frame = time.monotonic()

    async def open(self, peer: StormPeer, gate: asyncio.Semaphore) -> None:
        # The gate keeps the SYNs within the servers' listen backlogs (daphne's is 50);
        # opening sockets is not what this scenario measures, the joins are.
        async with gate:
            try:
                peer.ws = await connect(peer.port)
            except (OSError, WebSocketException) as exc:
                peer.failed = f"connect: {type(exc).__name__}"

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
                    if data["id"] not in peer.known:
                        peer.inconsistent = True
                    peer.view.discard(data["id"])
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


async def join_storm(
    ports: list[int], peers: int, pool_size: int, limits: Limits
) -> dict[str, Any]:
    """``peers`` sockets are opened, then all send ``rtc:join`` at once, into pools of
    ``pool_size`` spread over the workers. Figures: joins/s from the first join sent to
    the last ``rtc:joined``; p50/p99 of each peer's time to ``rtc:joined``; and, once no
    frame has arrived for ``limits.quiet`` s, correctness: a live peer's view (ids from
    ``rtc:joined.peers`` + ``rtc:peer`` - ``rtc:close``) must equal the other live peers
    of its pool."""
    storm = Storm(ports, peers, pool_size)
    gate = asyncio.Semaphore(100)
    try:
        async with asyncio.timeout(limits.connect):
            await asyncio.gather(*(storm.open(peer, gate) for peer in storm.peers))
    except TimeoutError:
        for peer in storm.peers:
            if peer.ws is None and peer.failed is None:
                peer.failed = "connect: timeout"
    connected = [peer for peer in storm.peers if peer.ws is not None and peer.failed is None]
    storm.waiting = len(connected)
    if not connected:
        storm.all_answered.set()
    cpu = time.process_time()
    tasks = [asyncio.create_task(storm.run(peer)) for peer in connected]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(storm.all_answered.wait(), limits.join)
    cpu = time.process_time() - cpu
    for peer in connected:
        if peer.joined_at is None and peer.failed is None:
            peer.failed = "rtc:joined timeout"
            peer.abandoned = True  # its close is ours, not an eviction
    await close_all([peer.ws for peer in connected if peer.abandoned and peer.ws])

    # Settle: the notices of the storm (and of the abandoned peers) arrive.
    deadline = time.monotonic() + limits.settle
    while True:
        idle = time.monotonic() - storm.last_frame
        if idle >= limits.quiet or time.monotonic() >= deadline:
            break
        await asyncio.sleep(limits.quiet - idle)
    settled = time.monotonic() - storm.last_frame >= limits.quiet

    live = [
        peer
        for peer in connected
        if peer.joined_at is not None and peer.evicted is None and peer.failed is None
    ]
    members: dict[str, set[str]] = {}
    for peer in live:
        members.setdefault(peer.pool, set()).add(peer.id)
    wrong, why = 0, Counter()
    for peer in live:
        expected = members[peer.pool] - {peer.id}
        if peer.inconsistent or peer.view != expected:
            wrong += 1
            # What kind of wrong says where to look: a missed rtc:peer, a missed rtc:close.
            why["wrong view: a live peer missing"] += bool(expected - peer.view)
            why["wrong view: a gone peer kept"] += bool(peer.view - expected)
            why["wrong view: close of an unknown id or joined twice"] += peer.inconsistent
    ids = Counter(peer.id for peer in connected if peer.id)

    for peer in connected:
        peer.abandoned = True
    await close_all([peer.ws for peer in connected if peer.ws])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    joined = [peer for peer in connected if peer.joined_at is not None]
    latencies = sorted((peer.joined_at - peer.sent) * 1000 for peer in joined)  # type: ignore[operator]
    span = max(peer.joined_at for peer in joined) - min(p.sent for p in connected) if joined else 0
    problems = Counter(peer.failed or "" for peer in storm.peers if peer.failed)
    problems.update(peer.evicted or "" for peer in storm.peers if peer.evicted)
    problems.update(+why)  # + drops the zero counts
    return {
        "peers": peers,
        "pool_size": pool_size,
        "joined": len(joined),
        "joins_per_s": len(joined) / span if span else 0.0,
        "p50_ms": percentile(latencies, 0.5) if latencies else None,
        "p99_ms": percentile(latencies, 0.99) if latencies else None,
        "wrong_views": wrong,
        "evictions": sum(1 for peer in storm.peers if peer.evicted),
        "failed_handshakes": sum(1 for peer in storm.peers if peer.failed),
        "duplicates": sum(peer.duplicates for peer in connected) + sum(n - 1 for n in ids.values()),
        "settled": settled,
        "problems": dict(problems.most_common(8)),
        "client_cpu": cpu / span if span else 0.0,
    }
