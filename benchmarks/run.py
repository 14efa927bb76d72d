"""Signalling benchmarks on loopback: real servers of the example project, real WebSocket
clients. See benchmarks/README.md.

    python benchmarks/run.py                      # every setup
    python benchmarks/run.py daphne-redis-core    # some of them

Prints, per setup: relay round trip p50/p99 between two peers (on different workers when
the setup has two), relayed messages per second across 20 pairs, and join latency p50 into
a pool that already holds N peers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import websockets

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
WINDOW = 20
CORE = "channels_redis.core.RedisChannelLayer"
PUBSUB = "channels_redis.pubsub.RedisPubSubChannelLayer"


@dataclass(frozen=True)
class Setup:
    server: str  # daphne | uvicorn
    layer: str | None  # None: in-memory (one process)

    @property
    def workers(self) -> int:
        return 1 if self.layer is None else 2


SETUPS = {
    "daphne-memory": Setup("daphne", None),
    "daphne-redis-core": Setup("daphne", CORE),
    "daphne-redis-pubsub": Setup("daphne", PUBSUB),
    "uvicorn-memory": Setup("uvicorn", None),
    "uvicorn-redis-core": Setup("uvicorn", CORE),
    "uvicorn-redis-pubsub": Setup("uvicorn", PUBSUB),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_env(workdir: Path) -> dict[str, str]:
    """A fresh, migrated database: PostgreSQL when DATABASE_URL is set, else SQLite."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="benchmarks.bench_settings")
    url = os.environ.get("DATABASE_URL")
    if url:
        import psycopg

        parts = urlsplit(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS rtcpool_bench WITH (FORCE)")
            conn.execute("CREATE DATABASE rtcpool_bench")
        env["DATABASE_URL"] = urlunsplit(parts._replace(path="/rtcpool_bench"))
    else:
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    return env


def start(setup: Setup, env: dict[str, str], logdir: Path) -> list[tuple[subprocess.Popen, int]]:
    env = dict(env)
    env.pop("REDIS_URL", None)
    if setup.layer:
        env.update(
            REDIS_URL=REDIS_URL,
            RTCPOOL_CHANNEL_LAYER=setup.layer,
            RTCPOOL_CHANNEL_PREFIX=f"bench{uuid.uuid4().hex[:8]}",
        )
    servers = []
    for _ in range(setup.workers):
        port = free_port()
        if setup.server == "daphne":
            cmd = ["-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
        else:
            cmd = ["-m", "uvicorn", "--log-level", "warning", "--host", "127.0.0.1"]
            cmd += ["--port", str(port), "--ws", "websockets"]
        log = open(logdir / f"{setup.server}-{port}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, *cmd, "example_project.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
        servers.append((process, port))
    for process, port in servers:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{setup.server} on {port} did not start")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
    return servers


class Peer:
    def __init__(self, ws) -> None:
        self.ws = ws
        self.id = ""
        self.known = 0

    @classmethod
    async def join(cls, port: int, pool: str) -> Peer:
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/rtcpool/", origin="http://127.0.0.1", max_size=None
        )
        peer = cls(ws)
        await peer.send("rtc:join", {"pool": pool})
        joined = await peer.expect("rtc:joined")
        peer.id, peer.known = joined["client_id"], len(joined["peers"])
        return peer

    async def send(self, kind: str, data: dict) -> None:
        await self.ws.send(json.dumps({"type": kind, "data": data}))

    async def expect(self, kind: str) -> dict:
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if frame["type"] == kind:
                return frame["data"]
            if frame["type"] == "rtc:error":
                raise RuntimeError(frame)


async def relay_rtt(ports: list[int], rounds: int) -> tuple[float, float]:
    pool = f"rtt-{uuid.uuid4().hex}"
    a = await Peer.join(ports[0], pool)
    b = await Peer.join(ports[-1], pool)
    await a.expect("rtc:peer")
    samples = []
    for n in range(rounds + 50):
        began = time.perf_counter()
        await a.send("rtc:candidate", {"for": b.id, "candidate": {"candidate": str(n)}})
        await b.expect("rtc:candidate")
        await b.send("rtc:candidate", {"for": a.id, "candidate": {"candidate": str(n)}})
        await a.expect("rtc:candidate")
        if n >= 50:  # warm-up excluded
            samples.append((time.perf_counter() - began) * 1000)
    await a.ws.close()
    await b.ws.close()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


async def throughput(ports: list[int], pairs: int, per_pair: int) -> float:
    pool = f"flood-{uuid.uuid4().hex}"
    senders, receivers = [], []
    for n in range(pairs):
        senders.append(await Peer.join(ports[n % len(ports)], pool))
        receivers.append(await Peer.join(ports[(n + 1) % len(ports)], pool))
    everyone = senders + receivers
    for peer in everyone:  # wait until everyone knows everyone
        while peer.known < len(everyone) - 1:
            await peer.expect("rtc:peer")
            peer.known += 1
    payload = {"candidate": "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host"}

    async def flood(sender: Peer, receiver: Peer) -> None:
        # At most WINDOW messages in flight per pair: an open-loop flood would only measure
        # how soon RedisChannelLayer's per-worker capacity refuses relays (peer_unavailable).
        received = 0
        progress = asyncio.Event()

        async def drain() -> None:
            nonlocal received
            for _ in range(per_pair):
                await receiver.expect("rtc:candidate")
                received += 1
                progress.set()

        draining = asyncio.create_task(drain())
        for sent in range(per_pair):
            while sent - received >= WINDOW:
                progress.clear()
                await progress.wait()
            await sender.send("rtc:candidate", {"for": receiver.id, "candidate": payload})
        await draining

    began = time.perf_counter()
    await asyncio.gather(*(flood(s, r) for s, r in zip(senders, receivers, strict=True)))
    elapsed = time.perf_counter() - began
    for peer in everyone:
        await peer.ws.close()
    return pairs * per_pair / elapsed


async def join_latency(ports: list[int], existing: int, joins: int) -> float:
    pool = f"join-{uuid.uuid4().hex}"
    members = [await Peer.join(ports[n % len(ports)], pool) for n in range(existing)]
    samples = []
    for n in range(joins):
        began = time.perf_counter()
        newcomer = await Peer.join(ports[n % len(ports)], pool)
        samples.append((time.perf_counter() - began) * 1000)
        await newcomer.ws.close()
    for member in members:
        await member.ws.close()
    return statistics.median(samples)


async def measure(ports: list[int], args: argparse.Namespace) -> dict[str, float]:
    p50, p99 = await relay_rtt(ports, args.rounds)
    rate = await throughput(ports, args.pairs, args.per_pair)
    join = await join_latency(ports, args.pool_size, args.joins)
    return {"p50": p50, "p99": p99, "rate": rate, "join": join}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("setups", nargs="*", metavar="setup", help=", ".join(SETUPS))
    parser.add_argument("--rounds", type=int, default=500, help="relay round trips")
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--per-pair", type=int, default=250, help="messages per pair")
    parser.add_argument("--pool-size", type=int, default=50, help="peers before each join")
    parser.add_argument("--joins", type=int, default=20)
    args = parser.parse_args()
    unknown = set(args.setups) - set(SETUPS)
    if unknown:
        parser.error(f"unknown setup(s): {', '.join(sorted(unknown))}")
    args.setups = args.setups or list(SETUPS)

    workdir = Path(tempfile.mkdtemp(prefix="rtcpool-bench-"))
    env = database_env(workdir)
    print(f"{os.cpu_count()} CPUs; database: {'PostgreSQL' if 'DATABASE_URL' in env else 'SQLite'}")
    print(
        f"{'setup':<22} {'workers':>7} {'RTT p50 ms':>11} {'RTT p99 ms':>11} "
        f"{f'{args.pairs}-pair msg/s':>14} {f'join p50 ms (N={args.pool_size})':>20}"
    )
    try:
        for name in args.setups:
            setup = SETUPS[name]
            servers = start(setup, env, workdir)
            try:
                result = asyncio.run(measure([port for _, port in servers], args))
                print(
                    f"{name:<22} {setup.workers:>7} {result['p50']:>11.2f} {result['p99']:>11.2f} "
                    f"{result['rate']:>14.0f} {result['join']:>20.1f}",
                    flush=True,
                )
            except Exception as exc:  # report and go on with the next setup
                print(f"{name:<22} failed: {exc!r}", flush=True)
            finally:
                for process, _ in servers:
                    process.terminate()
                for process, _ in servers:
                    try:
                        process.wait(15)
                    except subprocess.TimeoutExpired:
                        process.kill()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
