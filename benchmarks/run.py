"""Signalling benchmarks on loopback: real servers, real WebSocket clients, and the floor
(a minimal ssp relay on ``websockets``, benchmarks/floor.py) measured in the same run, so
that every figure is printed next to its ratio to the floor. See benchmarks/README.md.

    python benchmarks/run.py                        # default setups, every scenario
    python benchmarks/run.py stock ours -s rtt      # some setups, one scenario
    python benchmarks/run.py --smoke                # seconds: what CI runs

Exits non-zero when a scenario crashes, the join storm counts a wrong view, a duplicate or
a failed handshake, or the leave storm a missing, duplicate or stray rtc:close, on a setup
of this project; never on a timing figure.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report, scenarios, storms
from benchmarks.setups import (
    DEFAULT_SETUPS,
    FLOOR,
    ROOT,
    SETUPS,
    Environment,
    Servers,
    Setup,
    raise_nofile_limit,
)

SCENARIOS = ("rtt", "throughput", "join", "leave", "churn")
# Scenarios run when none is named (churn, a memory figure, takes minutes).
DEFAULT_SCENARIOS = ("rtt", "throughput", "join", "leave")

# Counts of a full run and of --smoke; an option given on the command line wins.
FULL = {
    "round_trips": 500,
    "pairs": 20,
    "messages": 1000,
    "seconds": 10.0,
    "peers": 1000,
    "pool_size": 10,
    "cycles": 20_000,
    "concurrency": 50,
}
SMOKE = {**FULL, "round_trips": 20, "pairs": 2, "messages": 20, "peers": 40, "cycles": 100}
SMOKE_LIMITS = scenarios.Limits(connect=15, run=30, join=20, quiet=0.5, settle=15)


def run_async(coro: Awaitable[Any]) -> Any:
    """Run a coroutine on uvloop when it is installed (a cheaper client), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    return uvloop.run(coro)  # type: ignore[arg-type]


async def warm_up(ports: list[int]) -> None:
    """One join per worker, so that no scenario pays for a first database connection."""
    async with asyncio.timeout(60):
        for port in ports:
            client = await scenarios.Client.join(port, f"warm-up-{port}")
            await client.ws.close()


def scenario_call(
    name: str, params: dict[str, Any], limits: scenarios.Limits, smoke: bool, servers: Servers
) -> Callable[[list[int]], Awaitable[dict[str, Any]]]:
    """The coroutine factory of scenario ``name`` for a list of ports."""
    calls: dict[str, Callable[[list[int]], Awaitable[dict[str, Any]]]] = {
        "rtt": lambda ports: scenarios.rtt(
            ports, params["round_trips"], 5 if smoke else 50, limits
        ),
        "throughput": lambda ports: scenarios.throughput(
            ports,
            params["pairs"],
            params["messages"],
            params["seconds"],
            2 if smoke else 10,
            limits,
        ),
        "join": lambda ports: storms.join_storm(
            ports, params["peers"], params["pool_size"], limits, servers.cpu_seconds
        ),
        "leave": lambda ports: storms.leave_storm(
            ports, params["peers"], params["pool_size"], limits, servers.cpu_seconds
        ),
        "churn": lambda ports: storms.churn(
            ports, params["cycles"], params["concurrency"], params["pool_size"], limits, servers.rss
        ),
    }
    return calls[name]


def measure(
    setup: Setup,
    environment: Environment,
    chosen: list[str],
    params: dict[str, Any],
    limits: scenarios.Limits,
    smoke: bool,
) -> dict[str, dict[str, Any]]:
    """Every chosen scenario on one setup; a crash is recorded, never raised."""
    base = {"workers": setup.workers}
    reason = environment.unavailable(setup)
    if reason:
        return {name: {**base, "status": "unavailable", "error": reason} for name in chosen}
    rows: dict[str, dict[str, Any]] = {}
    try:
        with Servers(setup, environment) as servers:
            if setup.django:
                run_async(warm_up(servers.ports))
            for name in chosen:
                if not servers.wait_idle():
                    progress(f"{setup.name}: peers of the last scenario still there after 30 s")
                progress(f"{setup.name}: {name}")
                try:
                    call = scenario_call(name, params, limits, smoke, servers)
                    figures = run_async(call(servers.ports))
                    rows[name] = {**base, "status": "ok", **figures}
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}".rstrip(": ")
                    crashed = servers.crashed()
                    rows[name] = {**base, "status": "failed", "error": crashed or error}
    except Exception as exc:  # the servers did not start
        error = f"{type(exc).__name__}: {exc}"[:500]
        for name in chosen:
            rows.setdefault(name, {**base, "status": "failed", "error": error})
    return rows


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"setups: {', '.join(SETUPS)} (default: {' '.join(DEFAULT_SETUPS)}). "
        "The floor always runs (name only 'floor' to run it alone). Without --smoke: "
        + ", ".join(f"{key} {value}" for key, value in FULL.items())
        + "; with --smoke: "
        + ", ".join(f"{key} {value}" for key, value in SMOKE.items())
        + ".",
    )
    parser.add_argument("setups", nargs="*", metavar="setup", help="setups to measure")
    parser.add_argument(
        "-s",
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="a scenario to run (repeatable; default: all but churn)",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny counts: seconds in total")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write all results here")
    parser.add_argument("--round-trips", type=int, help="rtt: measured round trips")
    parser.add_argument("--pairs", type=int, help="throughput: pairs")
    parser.add_argument("--messages", type=int, help="throughput: relayed messages per pair")
    parser.add_argument("--seconds", type=float, help="throughput: at most this long")
    parser.add_argument("--peers", type=int, help="join, leave: peers that join at once")
    parser.add_argument("--pool-size", type=int, help="join, leave, churn: peers per pool")
    parser.add_argument("--cycles", type=int, help="churn: join-and-leave cycles")
    parser.add_argument("--concurrency", type=int, help="churn: cycles at a time")
    args = parser.parse_args(argv)
    unknown = [name for name in args.setups if name not in SETUPS and name != FLOOR.name]
    if unknown:
        parser.error(f"unknown setup(s): {', '.join(unknown)}; known: {', '.join(SETUPS)}")
    return args


def git_commit() -> str | None:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (CI cancelling a job) unwinds like Ctrl-C, so the servers are stopped and the
    # database and Redis keys of the run are removed.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return measure_all(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def measure_all(args: argparse.Namespace) -> int:
    """Run the chosen scenarios on the floor and every chosen setup; print the tables."""
    chosen = [name for name in SCENARIOS if name in (args.scenario or DEFAULT_SCENARIOS)]
    counts = SMOKE if args.smoke else FULL
    params = {key: getattr(args, key) or value for key, value in counts.items()}
    limits = SMOKE_LIMITS if args.smoke else scenarios.Limits()
    names = dict.fromkeys(args.setups or DEFAULT_SETUPS)  # "floor" alone: only the floor
    setups = [FLOOR, *(SETUPS[name] for name in names if name != FLOOR.name)]
    nofile = raise_nofile_limit()
    environment = Environment()
    meta = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "database": environment.database,
        "client": f"{'uvloop' if has('uvloop') else 'asyncio'}, "
        f"{'ujson' if has('ujson') else 'json'}",
        "open_files": nofile,
        "smoke": args.smoke,
        **params,
    }
    progress(
        f"{meta['cpus']} CPUs, load {meta['load_average_before'][0]:.2f}; "
        f"database {meta['database']}; client {meta['client']}"
    )
    results: report.Results = {name: {} for name in chosen}
    try:
        for setup in setups:
            rows = measure(setup, environment, chosen, params, limits, args.smoke)
            for name in chosen:
                results[name][setup.name] = rows[name]
    finally:
        environment.close()
    meta["load_average_after"] = os.getloadavg()

    print(
        f"\n{meta['date']}, commit {meta['commit']}, {meta['cpus']} CPUs, load average "
        f"{meta['load_average_before'][0]:.2f} -> {meta['load_average_after'][0]:.2f}, "
        f"database {meta['database']}, client {meta['client']}"
    )
    for name in chosen:
        print()
        print(report.table(name, results[name], params))
    references = {setup.name for setup in setups if setup.reference}
    problems = report.failures(results, references)
    if args.json:
        args.json.write_text(
            json.dumps({"meta": meta, "results": results, "failures": problems}, indent=2) + "\n"
        )
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems))
        return 1
    return 0


def has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    sys.exit(main())
