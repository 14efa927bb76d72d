"""The soak ("ride through faults"): churn and ICE-rate relays on two real workers
while the run kills a worker, restarts Redis and terminates the database connections;
then counts what went wrong. See benchmarks/README.md, "Soak".

    python benchmarks/soak.py --short              # ~1 min: what tests/multiworker runs
    python benchmarks/soak.py                      # 5 minutes, 100 peers over 10 pools
    python benchmarks/soak.py --duration 600 --json soak.json

Needs DATABASE_URL (PostgreSQL: the soak creates ``rtcpool_soak_<pid>`` there and drops
it) and ``redis-server`` on PATH (the soak runs its own, on a free port, and restarts it;
it never touches any other Redis). Exits non-zero when any correctness count is non-zero;
never because of a timing figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.exceptions import ConnectionClosed, WebSocketException

from benchmarks.scenarios import CANDIDATE, connect, frame
from benchmarks.setups import ROOT, free_port, raise_nofile_limit, wait_listening

# How long a frame may take from one client to another: a relay sent this close to (or
# after) the end of its sender's or receiver's socket may be lost without a fault.
LATENCY = 2.0
# Short, so that prunes happen within the run; WORKER_TIMEOUT leaves room for a loaded
# machine: at 3 s, on 2 cores shared with other work (load 6-7), live workers missed
# beats, pruned each other's peers and then kicked them (4001).
HEARTBEAT_INTERVAL = 1.0
WORKER_TIMEOUT = 10.0
JOIN_TIMEOUT = 30.0
# Server closes the soak expects, by the name of their category; any other fails the run.
CLOSED_BY_KILL = "closed_by_killed_worker"
# Log records a fault of the scenario causes, by why; anything else at ERROR (or any other
# traceback) is counted as unhandled.
EXPECTED_LOG_LINES = {
    # pg_terminate_backend under a departure: it fails once, and this worker's next
    # heartbeat removes the orphan row (pools.aprune_orphans), so its pool still hears it.
    r"^ERROR rtcpool_django rtcpool: could not remove peer .*"
    r"(server closed the connection|terminating connection)": "departure hit a terminated "
    "database connection (removed by the next heartbeat)",
}
# A log record starts with its level (soak_settings' format) or is one of daphne's access lines.
LOG_RECORD_START = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) |^\d+\.\d+\.\d+\.\d+:\d+ ")
PEER_ID_IN_MESSAGE = re.compile(r"'([^']+)'")


@dataclass(frozen=True)
class Plan:
    """What one soak run does; fault times are fractions of ``duration``."""

    peers: int = 100
    pools: int = 10
    duration: float = 300.0
    rate: float = 5.0  # candidates per second per peer (the default limit is 50/s)
    lifetime: tuple[float, float] = (3.0, 10.0)  # seconds a peer stays, uniform
    redis_restart_at: float = 0.2
    redis_down_for: float = 2.0
    pg_terminate_at: float = 0.4
    worker_kill_at: float = 0.55

    @classmethod
    def short(cls) -> Plan:
        return cls(peers=30, pools=3, duration=30.0, rate=8.0, lifetime=(2.0, 6.0))


@dataclass
class Session:
    """One WebSocket connection of a peer, from rtc:joined to its end."""

    id: str
    worker: int
    joined_at: float
    ended_at: float | None = None
    end: str = ""  # "client", CLOSED_BY_KILL, "evicted", "closed_<code>"


@dataclass
class Record:
    """Everything the clients saw; :func:`analyse` turns it into the report."""

    sessions: dict[str, Session] = field(default_factory=dict)
    # (sender, receiver) -> [(seq, sent at)], and the seqs the receiver got, in order.
    sent: dict[tuple[str, str], list[tuple[int, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    delivered: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    # rtc:error answered to a relay, by (sender, the receiver its message names).
    relay_errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors_by_reason: Counter[str] = field(default_factory=Counter)
    join_errors: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    # When the faults happened (monotonic), for the windows of the analysis.
    redis_down: tuple[float, float] | None = None
    worker_killed: tuple[int, float] | None = None
    pg_terminated: int = 0
    started: float = 0.0
    # Each delivered relay's time from its send to its receipt (one process, one clock).
    latencies: list[float] = field(default_factory=list)


# Counts that must be zero; each is explained in benchmarks/README.md.
FAILING = (
    "unexplained_missing",
    "out_of_order",
    "duplicate_deliveries",
    "delivered_never_sent",
    "relay_from_unknown",
    "duplicate_peer",
    "peer_after_close",
    "close_unknown",
    "describe_unknown",
    "join_timeouts",
    "evicted",
    "unexpected_server_closes",
    "rate_limited",
    "ghosts_during_run",
    "ghosts_at_end",
    "log_errors",
)


RELAY_COUNTS = (
    "sent",
    "delivered",
    "out_of_order",
    "duplicate_deliveries",
    "delivered_never_sent",
    "missing_receiver_ended",
    "missing_sender_ended",
    "missing_redis_restart",
    "missing_receiver_never_joined",
    "missing_answered_rtc_error",
    "unexplained_missing",
)


def analyse(
    record: Record,
    *,
    latency: float = LATENCY,
    repair: float = 0.0,
    samples_out: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The report's relay counts: per stream, delivered must be an in-order subsequence of
    sent, and each missing relay must be explained (see benchmarks/README.md)."""
    out: Counter[str] = Counter(dict.fromkeys(RELAY_COUNTS, 0))
    samples: list[dict[str, Any]] = []
    # A relay is in flight for as long as the slowest delivered one took (a loaded worker
    # lags by seconds), and at least ``latency``.
    in_flight = max([latency, *record.latencies])
    for key, sends in record.sent.items():
        sender, receiver = record.sessions[key[0]], record.sessions.get(key[1])
        got = record.delivered.get(key, [])
        seqs = {seq for seq, _ in sends}
        out["sent"] += len(sends)
        if receiver is None:
            # The server announced a peer whose client never read its rtc:joined (it gave
            # up first: counted in join_timeouts / closed_while_joining).
            out["missing_receiver_never_joined"] += len(sends)
            continue
        out["delivered"] += len(set(got) & seqs)
        out["out_of_order"] += sum(1 for a, b in itertools.pairwise(got) if b < a)
        out["duplicate_deliveries"] += len(got) - len(set(got))
        out["delivered_never_sent"] += len(set(got) - seqs)
        received = set(got)
        unwindowed = 0
        last = max(received & seqs, default=0)
        for seq, at in sends:
            if seq in received:
                continue
            # A gap (a later relay of the stream arrived) cannot be one still in flight
            # when an end closed: only the Redis restart or an rtc:error explains it.
            tail = seq > last
            if tail and receiver.ended_at is not None and at >= receiver.ended_at - in_flight:
                out["missing_receiver_ended"] += 1
            elif tail and sender.ended_at is not None and at >= sender.ended_at - in_flight:
                out["missing_sender_ended"] += 1
            elif record.redis_down and (
                record.redis_down[0] - latency <= at <= record.redis_down[1] + repair + latency
            ):
                out["missing_redis_restart"] += 1
            else:
                unwindowed += 1
                if len(samples) < 20:
                    samples.append(
                        {
                            "stream": key,
                            "seq": seq,
                            "gap": not tail,
                            "sent_at": at,
                            "sender": asdict(sender),
                            "receiver": asdict(receiver),
                            "errors": record.relay_errors.get(key, 0),
                            "delivered": got[-5:],
                        }
                    )
        # An rtc:error names the receiver but not the relay: a stream's errors explain as
        # many of its missing relays outside every window.
        answered = min(unwindowed, record.relay_errors.get(key, 0))
        out["missing_answered_rtc_error"] += answered
        out["unexplained_missing"] += unwindowed - answered
    for key in record.delivered.keys() - record.sent.keys():
        out["delivered_never_sent"] += len(record.delivered[key])
    if samples_out is not None:
        samples_out.extend(samples)
    out["in_flight_window_ms"] = round(in_flight * 1000)
    if record.latencies:
        ordered = sorted(record.latencies)
        out["delivery_p99_ms"] = round(ordered[int(0.99 * (len(ordered) - 1))] * 1000)
    return dict(out)


class Redis:
    """This run's own ``redis-server``, without persistence: a restart comes back empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_listening(self.process, self.port, Path("/dev/null"))

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class Cluster:
    """The database, the Redis and the two daphne workers of one soak run."""

    def __init__(self, base_url: str, workdir: Path) -> None:
        self.base_url = base_url
        self.db_name = f"rtcpool_soak_{os.getpid()}"
        self.db_url = urlunsplit(urlsplit(base_url)._replace(path=f"/{self.db_name}"))
        self.workdir = workdir
        self.redis = Redis()
        self.ports = [free_port(), free_port()]
        self.processes: list[subprocess.Popen[bytes] | None] = [None, None]
        self.logs: list[Path] = []
        self.created = False

    def env(self) -> dict[str, str]:
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            DJANGO_SETTINGS_MODULE="benchmarks.soak_settings",
            DATABASE_URL=self.db_url,
            REDIS_URL=self.redis.url,
            RTCPOOL_CHANNEL_LAYER="rtcpool_django.layers.RedisChannelLayer",
            RTCPOOL_CHANNEL_PREFIX="soak",
            RTCPOOL_HEARTBEAT_INTERVAL=str(HEARTBEAT_INTERVAL),
            RTCPOOL_WORKER_TIMEOUT=str(WORKER_TIMEOUT),
        )
        env.pop("RTCPOOL_CHANNEL_CAPACITY", None)
        return env

    def sql(self, statement: str, *params: Any, url: str | None = None) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(url or self.base_url, autocommit=True) as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []

    def start(self) -> None:
        self.sql(f"CREATE DATABASE {self.db_name}")
        self.created = True
        env = self.env()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        self.redis.start()
        for index in range(2):
            self.start_worker(index, wait=False)
        for index in range(2):
            self.wait_worker(index)

    def start_worker(self, index: int, wait: bool = True) -> None:
        port = self.ports[index]
        log_path = self.workdir / f"worker{index}-{len(self.logs)}.log"
        self.logs.append(log_path)
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        with open(log_path, "wb") as log:
            self.processes[index] = subprocess.Popen(
                [*command, "example_project.asgi:application"],
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=log,
            )
        if wait:
            self.wait_worker(index)

    def wait_worker(self, index: int) -> None:
        process = self.processes[index]
        assert process is not None
        wait_listening(process, self.ports[index], self.logs[-1])

    def kill_worker(self, index: int) -> None:
        process = self.processes[index]
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)

    def terminate_database_connections(self) -> int:
        """pg_terminate_backend on the workers' connections to the soak database only."""
        rows = self.sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = 'rtcpool-soak'",
            self.db_name,
        )
        return int(rows[0][0])

    def peer_rows(self) -> set[str]:
        rows = self.sql("SELECT id FROM rtcpool_django_peer", url=self.db_url)
        return {str(row[0]) for row in rows}

    def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.processes:
            if process is None:
                continue
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.redis.kill()
        if self.created:
            self.sql(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")

    def log_errors(self) -> tuple[list[str], int]:
        """Log records (a line and its traceback) at ERROR or CRITICAL, or carrying a
        traceback, in every worker log; minus the expected ones, which are counted."""
        found, expected = [], 0
        for path in self.logs:
            record: list[str] = []
            for line in [*path.read_text(errors="replace").splitlines(), "INFO end"]:
                if LOG_RECORD_START.match(line) and record:
                    text = "\n".join(record)
                    if text.startswith(("ERROR", "CRITICAL")) or "Traceback" in text:
                        if any(re.search(pattern, text, re.S) for pattern in EXPECTED_LOG_LINES):
                            expected += 1
                        else:
                            found.append(f"{path.name}: {record[0]}")
                    record = []
                record.append(line)
        return found, expected


class Soak:
    """The clients: ``plan.peers`` slots, each a peer that joins, relays, leaves, and is
    replaced; plus the faults at their times."""

    def __init__(self, plan: Plan, cluster: Cluster) -> None:
        self.plan = plan
        self.cluster = cluster
        self.record = Record()
        self.started = 0.0
        self.stop_at = 0.0
        self.sending = True
        self.open: dict[str, Any] = {}  # session id -> websocket, while open

    async def run(self) -> None:
        self.started = self.record.started = time.monotonic()
        self.stop_at = self.started + self.plan.duration
        slots = [asyncio.create_task(self.slot(i)) for i in range(self.plan.peers)]
        faults = asyncio.create_task(self.faults())
        await asyncio.sleep(max(0.0, self.stop_at - time.monotonic()))
        # Stop relaying, let the last relays land, check for ghosts while peers are still
        # connected, then let every peer close.
        self.sending = False
        await asyncio.sleep(LATENCY)
        await self.check_ghosts_during_run()
        await asyncio.wait(slots, timeout=30)
        for task in slots:
            task.cancel()
        await faults

    async def faults(self) -> None:
        plan, cluster, record = self.plan, self.cluster, self.record
        events = sorted(
            [
                (plan.redis_restart_at, "redis"),
                (plan.pg_terminate_at, "pg"),
                (plan.worker_kill_at, "kill"),
            ]
        )
        for fraction, kind in events:
            at = self.started + fraction * plan.duration
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if kind == "redis":
                down = time.monotonic()
                cluster.redis.kill()
                await asyncio.sleep(plan.redis_down_for)
                await asyncio.to_thread(cluster.redis.start)
                record.redis_down = (down, time.monotonic())
            elif kind == "pg":
                record.pg_terminated = await asyncio.to_thread(
                    cluster.terminate_database_connections
                )
            else:
                record.worker_killed = (1, time.monotonic())
                cluster.kill_worker(1)
                await asyncio.sleep(1.0)
                await asyncio.to_thread(cluster.start_worker, 1)

    async def slot(self, index: int) -> None:
        pool = f"soak-{index % self.plan.pools}"
        await asyncio.sleep(random.uniform(0, 2))
        while time.monotonic() < self.stop_at - 1:
            worker = random.randrange(2)
            try:
                ws = await asyncio.wait_for(connect(self.cluster.ports[worker]), 5)
            except (OSError, TimeoutError, WebSocketException):
                self.record.counts["connect_failures"] += 1  # a worker down or restarting
                await asyncio.sleep(0.2)
                continue
            try:
                await self.session(ws, worker, pool)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 5)
            await asyncio.sleep(random.uniform(0, 0.5))

    async def session(self, ws: Any, worker: int, pool: str) -> None:
        record = self.record
        try:
            await ws.send(frame("rtc:join", {"pool": pool}))
            # Long enough for a lagging worker (the second long run saw 12 s of delivery
            # lag at load 15 on 2 cores): this counts joins never answered, not slow ones.
            async with asyncio.timeout(JOIN_TIMEOUT):
                message = json.loads(await ws.recv())
        except TimeoutError:
            record.counts["join_timeouts"] += 1
            return
        except ConnectionClosed:
            record.counts["closed_while_joining"] += 1  # its worker killed meanwhile
            return
        if message["type"] != "rtc:joined":
            reason = message["data"].get("reason", message["type"])
            record.join_errors[reason] += 1  # "unavailable" while Redis is down
            await asyncio.sleep(0.5)
            return
        data = message["data"]
        me = Session(data["client_id"], worker, time.monotonic())
        record.sessions[me.id] = me
        record.counts["joins"] += 1
        peers = data["peers"]
        record.counts["duplicate_peer"] += len(peers) - len(set(peers)) + peers.count(me.id)
        roster = set(peers) - {me.id}
        gone: set[str] = set()
        self.open[me.id] = ws
        reader = asyncio.create_task(self.read(ws, me, roster, gone))
        lifetime = random.uniform(*self.plan.lifetime)
        ends = min(me.joined_at + lifetime, self.stop_at + LATENCY * 2)
        seqs: Counter[str] = Counter()
        try:
            while not reader.done() and time.monotonic() < ends:
                await asyncio.sleep(1 / self.plan.rate)
                if not self.sending or not roster:
                    continue
                target = random.choice(sorted(roster))
                seqs[target] += 1
                candidate = {**CANDIDATE, "seq": seqs[target]}
                text = frame("rtc:candidate", {"for": target, "candidate": candidate})
                try:
                    await ws.send(text)
                except ConnectionClosed:
                    break
                record.sent[me.id, target].append((seqs[target], time.monotonic()))
        finally:
            self.open.pop(me.id, None)
            if not reader.done():
                me.ended_at, me.end = time.monotonic(), "client"
                reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        if me.end == "client":
            record.counts["left"] += 1

    async def read(self, ws: Any, me: Session, roster: set[str], gone: set[str]) -> None:
        record = self.record
        try:
            async for raw in ws:
                message = json.loads(raw)
                kind, data = message["type"], message["data"]
                if kind == "rtc:candidate":
                    sender = data["from"]
                    if sender not in roster:
                        record.counts["relay_from_unknown"] += 1
                    seq = data["candidate"]["seq"]
                    record.delivered[sender, me.id].append(seq)
                    sends = record.sent.get((sender, me.id), [])
                    if 0 < seq <= len(sends):  # its sender may not have logged it yet
                        record.latencies.append(time.monotonic() - sends[seq - 1][1])
                elif kind == "rtc:peer":
                    peer = data["id"]
                    if peer in gone:
                        record.counts["peer_after_close"] += 1
                    elif peer in roster or peer == me.id:
                        record.counts["duplicate_peer"] += 1
                    roster.add(peer)
                elif kind == "rtc:close":
                    peer = data["id"]
                    if peer not in roster:
                        record.counts["close_unknown"] += 1
                    roster.discard(peer)
                    gone.add(peer)
                elif kind == "rtc:describe":
                    if data["id"] not in roster:
                        record.counts["describe_unknown"] += 1
                elif kind == "rtc:error":
                    self.error(me, data)
                elif kind == "rtc:stop":
                    record.counts["stopped"] += 1
        except ConnectionClosed as closed:
            me.ended_at = time.monotonic()
            me.end = self.closed_by_server(me, closed.rcvd.code if closed.rcvd else 1006)
            record.counts[me.end] += 1
            if me.end not in (CLOSED_BY_KILL, "evicted"):
                record.counts["unexpected_server_closes"] += 1
        else:
            me.ended_at, me.end = time.monotonic(), "closed_1000"
            record.counts["unexpected_server_closes"] += 1

    def closed_by_server(self, me: Session, code: int) -> str:
        killed = self.record.worker_killed
        if killed and me.worker == killed[0] and 0 <= time.monotonic() - killed[1] < 5:
            return CLOSED_BY_KILL
        return "evicted" if code == 4001 else f"closed_{code}"

    def error(self, me: Session, data: dict[str, Any]) -> None:
        reason = data.get("reason", "?")
        self.record.errors_by_reason[reason] += 1
        if reason == "rate_limited":
            self.record.counts["rate_limited"] += 1
        match = PEER_ID_IN_MESSAGE.search(data.get("message", ""))
        if reason in ("peer_unavailable", "unknown_peer") and match:
            self.record.relay_errors[me.id, match.group(1)] += 1

    async def check_ghosts_during_run(self) -> None:
        """Rows of sockets that ended longer ago than the prune window (while peers are
        still connected)."""
        window = WORKER_TIMEOUT + 2 * HEARTBEAT_INTERVAL + LATENCY
        rows = await asyncio.to_thread(self.cluster.peer_rows)
        now = time.monotonic()
        ended = {
            s.id for s in self.record.sessions.values() if s.ended_at and now - s.ended_at > window
        }
        self.record.counts["ghosts_during_run"] = len(rows & ended)


def report(plan: Plan, record: Record, cluster: Cluster, ghosts: set[str]) -> dict[str, Any]:
    repair = 2 * HEARTBEAT_INTERVAL
    counts: dict[str, Any] = {name: 0 for name in FAILING}
    counts.update(record.counts)
    samples: list[dict[str, Any]] = []
    counts.update(analyse(record, repair=repair, samples_out=samples))
    counts["ghosts_at_end"] = len(ghosts)
    errors, counts["expected_log_errors"] = cluster.log_errors()
    counts["log_errors"] = len(errors)
    return {
        "plan": asdict(plan),
        "counts": counts,
        "errors_by_reason": dict(record.errors_by_reason),
        "join_errors": dict(record.join_errors),
        "faults": {
            "redis_down_s": round(record.redis_down[1] - record.redis_down[0], 2)
            if record.redis_down
            else None,
            "pg_connections_terminated": record.pg_terminated,
            "worker_killed": record.worker_killed is not None,
        },
        "log_errors": errors[:20],
        # Times relative to the start; the faults' times to read them against.
        "unexplained_samples": samples,
        "fault_times": {
            "started": record.started,
            "redis_down": record.redis_down,
            "worker_killed": record.worker_killed,
        },
        "failed": sorted(name for name in FAILING if counts.get(name)),
    }


def print_report(result: dict[str, Any]) -> None:
    counts = result["counts"]
    print(f"\nsoak: {json.dumps(result['plan'])}")
    print(f"faults: {json.dumps(result['faults'])}")
    print(f"{'count':<34}{'value':>10}")
    for name in sorted(counts):
        mark = "  FAIL" if name in result["failed"] else ""
        print(f"{name:<34}{counts[name]:>10}{mark}")
    for label in ("errors_by_reason", "join_errors"):
        print(f"{label}: {json.dumps(result[label])}")
    for line in result["log_errors"]:
        print(f"log: {line}")
    print("FAILED: " + ", ".join(result["failed"]) if result["failed"] else "OK: every count is 0")


async def soak(plan: Plan, cluster: Cluster) -> dict[str, Any]:
    runner = Soak(plan, cluster)
    async with asyncio.timeout(plan.duration + 120):
        await runner.run()
        # Every socket is closed: after the prune window no row may be left.
        await asyncio.sleep(WORKER_TIMEOUT + 2 * HEARTBEAT_INTERVAL)
        ghosts = await asyncio.to_thread(cluster.peer_rows)
    return report(plan, runner.record, cluster, ghosts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="~1 minute, 30 peers over 3 pools")
    parser.add_argument("--duration", type=float, help="seconds of churn (default 300; 30)")
    parser.add_argument("--peers", type=int)
    parser.add_argument("--pools", type=int)
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    parser.add_argument("--keep-logs", type=Path, help="copy the worker logs to this directory")
    args = parser.parse_args(argv)
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        parser.error("set DATABASE_URL=postgres://... (the soak runs on PostgreSQL)")
    plan = Plan.short() if args.short else Plan()
    overrides = {"duration": args.duration, "peers": args.peers, "pools": args.pools}
    plan = Plan(**{**asdict(plan), **{k: v for k, v in overrides.items() if v is not None}})
    raise_nofile_limit()
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"rtcpool-soak-{uuid.uuid4().hex[:8]}"
    workdir.mkdir(parents=True)
    cluster = Cluster(base_url, workdir)
    try:
        cluster.start()
        result = asyncio.run(soak(plan, cluster))
    finally:
        cluster.stop()
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for path in cluster.logs:
                (args.keep_logs / path.name).write_bytes(path.read_bytes())
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
