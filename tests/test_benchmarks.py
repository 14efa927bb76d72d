"""The benchmark harness (benchmarks/): the floor relay, the join storm's correctness
counts against servers that get discovery wrong, what fails a run, and the command line
on the floor alone. Tiny counts, servers in this process; no timing is asserted."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from benchmarks import report, run, scenarios, storms
from benchmarks.floor import Relay
from benchmarks.setups import FLOOR, Servers

LIMITS = scenarios.Limits(connect=10, run=10, join=2, quiet=0.3, settle=5)
Handler = Callable[[ServerConnection], Awaitable[None]]


@contextlib.asynccontextmanager
async def listening(handler: Handler) -> AsyncIterator[list[int]]:
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        yield [server.sockets[0].getsockname()[1]]


def frame(kind: str, data: dict) -> str:
    return json.dumps({"type": kind, "data": data})


def faulty_relay(*, announce: int = 1, answer: bool = True, evict: bool = False) -> Handler:
    """A join-only server that tells existing peers of a newcomer ``announce`` times,
    answers ``rtc:joined`` only when ``answer``, and closes (4001) after it if ``evict``."""
    pools: dict[str, dict[str, ServerConnection]] = {}

    async def handle(ws: ServerConnection) -> None:
        async for raw in ws:
            pool = json.loads(raw)["data"]["pool"]
            members = pools.setdefault(pool, {})
            peer_id, others = uuid.uuid4().hex, list(members.values())
            members[peer_id] = ws
            for other in others:
                for _ in range(announce):
                    with contextlib.suppress(ConnectionClosed):  # an evicted peer
                        await other.send(frame("rtc:peer", {"id": peer_id}))
            if answer:
                peers = [member for member in members if member != peer_id]
                joined = {"client_id": peer_id, "peers": peers, "descriptions": {}, "pool": pool}
                await ws.send(frame("rtc:joined", joined))
            if evict:
                await ws.close(4001)

    return handle


async def test_the_floor_relays_and_every_peer_sees_its_pool() -> None:
    async with listening(Relay().handle) as ports:
        rtt = await scenarios.rtt(ports, 5, 1, LIMITS)
        flood = await scenarios.throughput(ports, 2, 10, 60, 1, LIMITS)
        storm = await storms.join_storm(ports, 30, 10, LIMITS)
    assert rtt["round_trips"] == 5 and 0 < rtt["p50_ms"] <= rtt["p99_ms"]
    assert flood["messages"] == 20 and flood["msgs_per_s"] > 0
    assert storm["joined"] == 30 and storm["settled"]
    counts = ("wrong_views", "duplicates", "failed_handshakes", "evictions")
    assert {key: storm[key] for key in counts} == dict.fromkeys(counts, 0)


async def test_the_floor_announces_a_departure_and_relays_sdp() -> None:
    async with listening(Relay().handle) as ports:
        pool = uuid.uuid4().hex
        a = await scenarios.Client.join(ports[0], pool)
        b = await scenarios.Client.join(ports[0], pool)
        assert (await a.expect("rtc:peer"))["id"] == b.id
        await b.ws.send(frame("rtc:sdp", {"to": a.id, "description": {"type": "offer"}}))
        assert await a.expect("rtc:sdp") == {"peer": b.id, "description": {"type": "offer"}}
        await b.ws.send(frame("rtc:candidate", {"for": "nobody", "candidate": None}))
        with pytest.raises(scenarios.ScenarioError, match="unknown_peer"):
            await b.expect("rtc:candidate")
        await b.ws.close()
        assert await a.expect("rtc:close") == {"id": b.id, "uid": b.id}
        await a.ws.close()


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (faulty_relay(announce=0), "wrong_views"),
        (faulty_relay(announce=2), "duplicates"),
        (faulty_relay(answer=False), "failed_handshakes"),
        (faulty_relay(evict=True), "evictions"),
    ],
    ids=["no rtc:peer", "rtc:peer twice", "no rtc:joined", "closed 4001"],
)
async def test_the_join_storm_counts_what_a_server_gets_wrong(
    server: Handler, expected: str
) -> None:
    async with listening(server) as ports:
        storm = await storms.join_storm(ports, 20, 5, LIMITS)
    assert storm[expected] > 0, storm
    if expected == "wrong_views":
        assert set(storm["problems"]) == {"wrong view: a live peer missing"}
    if expected == "failed_handshakes":
        assert storm["problems"] == {"rtc:joined timeout": 20}
    if expected == "evictions":
        assert storm["problems"] == {"closed by server (4001)": 20}


def leaving_relay(*, announce: int = 1, stray: bool = False) -> Handler:
    """The floor, but a departure is announced ``announce`` times to each other peer, and
    with ``stray`` followed by a close of an id that never was in the pool."""
    pools: dict[str, dict[str, ServerConnection]] = {}

    async def handle(ws: ServerConnection) -> None:
        peer_id, members = uuid.uuid4().hex, {}
        try:
            async for raw in ws:
                members = pools.setdefault(json.loads(raw)["data"]["pool"], {})
                others = list(members)
                members[peer_id] = ws
                for other in others:
                    await members[other].send(frame("rtc:peer", {"id": peer_id}))
                joined = {"client_id": peer_id, "peers": others, "descriptions": {}}
                await ws.send(frame("rtc:joined", joined))
        except ConnectionClosed:
            pass
        finally:
            members.pop(peer_id, None)
            for other in list(members.values()):
                with contextlib.suppress(ConnectionClosed):
                    for _ in range(announce):
                        await other.send(frame("rtc:close", {"id": peer_id, "uid": peer_id}))
                    if stray:
                        nobody = uuid.uuid4().hex
                        await other.send(frame("rtc:close", {"id": nobody, "uid": nobody}))

    return handle


async def test_the_leave_storm_on_the_floor_hears_every_departure_once() -> None:
    async with listening(Relay().handle) as ports:
        storm = await storms.leave_storm(ports, 30, 10, LIMITS)
    assert storm["leavers"] == 15 and storm["closes_owed"] == 15 * 5
    counts = ("missing", "duplicate", "stray", "evictions", "failed_handshakes", "wrong_before")
    assert {key: storm[key] for key in counts} == dict.fromkeys(counts, 0)
    assert storm["leaves_per_s"] > 0 and 0 < storm["p50_ms"] <= storm["p99_ms"]


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        (leaving_relay(announce=0), "missing"),
        (leaving_relay(announce=2), "duplicate"),
        (leaving_relay(stray=True), "stray"),
    ],
    ids=["no rtc:close", "rtc:close twice", "rtc:close of a stayer"],
)
async def test_the_leave_storm_counts_what_a_server_gets_wrong(
    server: Handler, expected: str
) -> None:
    async with listening(server) as ports:
        storm = await storms.leave_storm(ports, 20, 4, LIMITS)
    assert storm[expected] > 0, storm
    others = {"missing", "duplicate", "stray"} - {expected}
    assert {key: storm[key] for key in others} == dict.fromkeys(others, 0), storm


def test_a_run_fails_on_crashes_and_wrong_counts_never_on_timing() -> None:
    storm = {"wrong_views": 0, "duplicates": 0, "failed_handshakes": 0, "evictions": 3}
    slow = {"status": "ok", "workers": 2, **storm, "joins_per_s": 0.01, "p99_ms": 1e9}
    results: report.Results = {
        "join": {
            "floor": {"status": "ok", "workers": 1, **storm, "evictions": 0},
            "stock": slow,
            "ours": {"status": "unavailable", "workers": 2, "error": "cannot import"},
            "pyrtc": {**slow, "wrong_views": 5},
        },
        "rtt": {"pyrtc": {"status": "failed", "workers": 1, "error": "boom"}},
        "leave": {
            "ours": {
                "status": "ok",
                "workers": 2,
                "leaves_per_s": 0.1,
                **dict.fromkeys(("missing", "duplicate", "stray", "wrong_before"), 0),
                "failed_handshakes": 0,
            }
        },
    }
    assert report.failures(results, references={"pyrtc"}) == []
    results["join"]["stock"] = {**slow, "duplicates": 1, "failed_handshakes": 2}
    results["rtt"]["memory"] = {"status": "failed", "workers": 1, "error": "TimeoutError"}
    results["leave"]["ours"] = {**results["leave"]["ours"], "stray": 1, "missing": 4}
    assert report.failures(results, references={"pyrtc"}) == [
        "join on stock: duplicates = 1",
        "join on stock: failed_handshakes = 2",
        "rtt on memory crashed: TimeoutError",
        "leave on ours: missing = 4",
        "leave on ours: stray = 1",
    ]


def test_every_figure_is_printed_with_its_ratio_to_the_floor() -> None:
    rows = {
        "floor": {"status": "ok", "workers": 1, "msgs_per_s": 1000.0, "client_cpu": 0.5},
        "stock": {"status": "ok", "workers": 2, "msgs_per_s": 250.0, "client_cpu": 0.1},
        "ours": {"status": "unavailable", "workers": 2, "error": "cannot import it"},
    }
    text = report.table("throughput", rows, {"pairs": 20, "messages": 1000, "seconds": 10.0})
    lines = text.splitlines()
    assert lines[0] == (
        "throughput: 20 pairs ping-pong, 1000 relayed messages per pair or 10 s, "
        "whichever ends first"
    )
    assert lines[2].split() == ["floor", "1", "1,000", "1.00x", "50%"]
    assert lines[3].split() == ["stock", "2", "250", "0.25x", "10%"]
    assert lines[4].split() == ["ours", "2", "unavailable:", "cannot", "import", "it"]


def test_the_command_line_runs_the_floor_alone(tmp_path, capsys) -> None:
    assert run.main(["--smoke", "floor", "--json", str(tmp_path / "out.json")]) == 0
    written = json.loads((tmp_path / "out.json").read_text())
    assert set(written["results"]) == {"rtt", "throughput", "join", "leave"}
    for rows in written["results"].values():
        assert list(rows) == ["floor"] and rows["floor"]["status"] == "ok"
    assert written["results"]["join"]["floor"]["joined"] == run.SMOKE["peers"]
    assert written["results"]["leave"]["floor"]["leavers"] == run.SMOKE["peers"] // 2
    assert "x floor" in capsys.readouterr().out


async def test_a_server_that_refuses_the_connection_is_a_failed_handshake() -> None:
    async def refuse(connection, request):
        return connection.respond(403, "no\n")

    async with serve(lambda ws: ws.wait_closed(), "127.0.0.1", 0, process_request=refuse) as srv:
        port = srv.sockets[0].getsockname()[1]
        storm = await storms.join_storm([port], 4, 2, LIMITS)
    assert storm["failed_handshakes"] == 4 and storm["joined"] == 0
    assert storm["problems"] == {"connect: InvalidStatus": 4}


async def test_the_storms_report_the_servers_cpu_time_per_join_and_per_leave() -> None:
    readings = iter([10.0, 10.3, 20.0, 20.2])  # CPU seconds before and after each storm
    async with listening(Relay().handle) as ports:
        join = await storms.join_storm(ports, 30, 10, LIMITS, lambda: next(readings))
        leave = await storms.leave_storm(ports, 30, 10, LIMITS, lambda: next(readings))
        unmeasured = await storms.join_storm(ports, 4, 2, LIMITS)
    assert join["server_ms_per_join"] == pytest.approx(300 / 30)
    assert leave["server_ms_per_leave"] == pytest.approx(200 / 15)
    assert unmeasured["joined"] == 4 and unmeasured["server_ms_per_join"] is None


def test_a_setups_cpu_time_is_read_from_its_processes_threads() -> None:
    # The child burns 0.3 s of CPU, says so, then waits: a loaded machine slows it, it
    # does not change what it used.
    servers = Servers(FLOOR, None)  # type: ignore[arg-type]
    burn = (
        "import sys, time\n"
        "while time.process_time() < 0.3: pass\n"
        "print(flush=True)\n"
        "sys.stdin.read()"
    )
    busy = subprocess.Popen(
        [sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    servers.processes.append(busy)
    try:
        assert busy.stdout is not None
        busy.stdout.readline()
        assert 0.3 <= servers.cpu_seconds() < 1.0
    finally:
        busy.kill()
        busy.wait()


async def test_the_churn_on_the_floor_completes_every_cycle_and_samples_memory() -> None:
    samples = iter([100 * 2**20, 105 * 2**20])
    async with listening(Relay().handle) as ports:
        churn = await storms.churn(ports, 30, 5, 2, LIMITS, rss=lambda: next(samples))
    assert churn["cycles"] == 30 and churn["failed"] == 0 and churn["cycles_per_s"] > 0
    assert (churn["rss_early_mb"], churn["rss_end_mb"]) == (100, 105)
    assert churn["rss_growth"] == pytest.approx(1.05)


def test_a_scenario_starts_once_the_last_ones_peers_have_left() -> None:
    # Scenarios share their setup's servers: the next one waits for the database to hold
    # no peer (then a moment for their consumers to end), so it never meets the last
    # one's teardown.
    from benchmarks.setups import FLOOR, SETUPS, Servers

    class Environment:
        counts = [3, 1, 0]

        def peers(self, setup):
            return self.counts.pop(0) if len(self.counts) > 1 else self.counts[0]

    environment = Environment()
    servers = Servers(SETUPS["memory"], environment)  # type: ignore[arg-type]
    assert servers.wait_idle(timeout=5, settle=0) is True
    assert environment.counts == [0]
    stuck = Servers(SETUPS["ours"], type("Busy", (), {"peers": lambda self, setup: 2})())  # type: ignore[arg-type]
    assert stuck.wait_idle(timeout=0.3, settle=0) is False
    assert Servers(FLOOR, environment).wait_idle() is True  # type: ignore[arg-type]
