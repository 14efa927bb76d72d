"""The benchmark scenarios, driven by one asyncio client process over real WebSockets.

Each takes the ports of a setup's workers and returns a dict of figures. The client keeps
its own cost low so that it is not what is measured: frames it sends are encoded once per
direction, frames it receives are decoded with ujson when installed (autobahn, thus
daphne, depends on it), the event loop is uvloop's when installed (uvicorn[standard]), no
compression, no pings. Every wait is bounded by a timeout (``Limits``).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

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
