"""Printing a run's results: one table per scenario, every figure next to its ratio to the
floor of the same run, and the verdict of a run (which results make it fail)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Results: {scenario: {setup name: {"status": ..., "workers": ..., figures...}}}
Results = dict[str, dict[str, dict[str, Any]]]

# The correctness counts of the storms that fail a run (never a timing figure).
CORRECTNESS = {
    "join": ("wrong_views", "duplicates", "failed_handshakes"),
    "leave": ("missing", "duplicate", "stray", "failed_handshakes", "wrong_before"),
    "churn": ("failed",),
}


def ratio(value: float | None, floor: float | None) -> str:
    if value is None or not floor:
        return "-"
    return f"{value / floor:.2f}x"


def number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


# Per scenario: (column title, cell of a result row given the floor's row).
Column = tuple[str, Callable[[dict[str, Any], dict[str, Any]], str]]
COLUMNS: dict[str, list[Column]] = {
    "rtt": [
        ("RTT p50 ms", lambda r, f: number(r["p50_ms"])),
        ("x floor", lambda r, f: ratio(r["p50_ms"], f.get("p50_ms"))),
        ("RTT p99 ms", lambda r, f: number(r["p99_ms"])),
        ("x floor", lambda r, f: ratio(r["p99_ms"], f.get("p99_ms"))),
        ("client CPU", lambda r, f: percent(r["client_cpu"])),
    ],
    "throughput": [
        ("relayed msg/s", lambda r, f: number(r["msgs_per_s"], 0)),
        ("x floor", lambda r, f: ratio(r["msgs_per_s"], f.get("msgs_per_s"))),
        ("client CPU", lambda r, f: percent(r["client_cpu"])),
    ],
    "join": [
        ("joins/s", lambda r, f: number(r["joins_per_s"], 0)),
        ("x floor", lambda r, f: ratio(r["joins_per_s"], f.get("joins_per_s"))),
        ("p50 ms", lambda r, f: number(r["p50_ms"], 0)),
        ("x floor", lambda r, f: ratio(r["p50_ms"], f.get("p50_ms"))),
        ("p99 ms", lambda r, f: number(r["p99_ms"], 0)),
        ("x floor", lambda r, f: ratio(r["p99_ms"], f.get("p99_ms"))),
        ("wrong", lambda r, f: str(r["wrong_views"])),
        ("evicted", lambda r, f: str(r["evictions"])),
        ("failed", lambda r, f: str(r["failed_handshakes"])),
        ("dup", lambda r, f: str(r["duplicates"])),
        ("client CPU", lambda r, f: percent(r["client_cpu"])),
        ("server ms/join", lambda r, f: number(r.get("server_ms_per_join"), 2)),
        ("x floor", lambda r, f: ratio(r.get("server_ms_per_join"), f.get("server_ms_per_join"))),
        ("connects/s", lambda r, f: number(r.get("connects_per_s"), 0)),
        ("x floor", lambda r, f: ratio(r.get("connects_per_s"), f.get("connects_per_s"))),
    ],
    "leave": [
        ("leaves/s", lambda r, f: number(r["leaves_per_s"], 0)),
        ("x floor", lambda r, f: ratio(r["leaves_per_s"], f.get("leaves_per_s"))),
        ("p50 ms", lambda r, f: number(r["p50_ms"], 0)),
        ("x floor", lambda r, f: ratio(r["p50_ms"], f.get("p50_ms"))),
        ("p99 ms", lambda r, f: number(r["p99_ms"], 0)),
        ("x floor", lambda r, f: ratio(r["p99_ms"], f.get("p99_ms"))),
        ("missing", lambda r, f: str(r["missing"])),
        ("dup", lambda r, f: str(r["duplicate"])),
        ("stray", lambda r, f: str(r["stray"])),
        ("evicted", lambda r, f: str(r["evictions"])),
        ("failed", lambda r, f: str(r["failed_handshakes"] + r["wrong_before"])),
        ("client CPU", lambda r, f: percent(r["client_cpu"])),
        ("server ms/leave", lambda r, f: number(r.get("server_ms_per_leave"), 2)),
        ("x floor", lambda r, f: ratio(r.get("server_ms_per_leave"), f.get("server_ms_per_leave"))),
    ],
    "churn": [
        ("cycles/s", lambda r, f: number(r["cycles_per_s"], 0)),
        ("x floor", lambda r, f: ratio(r["cycles_per_s"], f.get("cycles_per_s"))),
        ("RSS after 1/10 MB", lambda r, f: number(r["rss_early_mb"], 1)),
        ("RSS at end MB", lambda r, f: number(r["rss_end_mb"], 1)),
        ("growth", lambda r, f: number(r["rss_growth"])),
        ("failed", lambda r, f: str(r["failed"])),
    ],
}


def title(scenario: str, params: dict[str, Any]) -> str:
    if scenario == "rtt":
        return f"rtt: relay round trip of 1 pair, {params['round_trips']} round trips"
    if scenario == "throughput":
        return (
            f"throughput: {params['pairs']} pairs ping-pong, {params['messages']} relayed "
            f"messages per pair or {params['seconds']:g} s, whichever ends first"
        )
    if scenario == "join":
        return f"join: {params['peers']} peers join pools of {params['pool_size']} at once"
    if scenario == "churn":
        return (
            f"churn: {params['cycles']} join-and-leave cycles, {params['concurrency']} at a "
            f"time, pools of about {params['pool_size']}"
        )
    return (
        f"leave: {params['peers']} peers in pools of {params['pool_size']}, every other one "
        "leaves at once"
    )


def table(scenario: str, rows: dict[str, dict[str, Any]], params: dict[str, Any]) -> str:
    """One scenario's table as text; a setup that did not run gets its reason."""
    floor = rows.get("floor", {})
    floor = floor if floor.get("status") == "ok" else {}
    columns = COLUMNS[scenario]
    header = ["setup", "workers", *(name for name, _ in columns)]
    body: list[list[str]] = []
    notes: list[str] = []
    for name, row in rows.items():
        if row["status"] == "ok":
            body.append([name, str(row["workers"]), *(cell(row, floor) for _, cell in columns)])
            if row.get("problems"):
                notes.append(f"  {name}: {row['problems']}")
            if row.get("settled") is False:
                notes.append(f"  {name}: frames were still arriving when the views were read")
        else:
            body.append([name, str(row["workers"]), f"{row['status']}: {row['error']}"])
    full = [header, *(line for line in body if len(line) == len(header))]
    widths = [max(len(line[i]) for line in full) for i in range(len(header))]
    widths[0] = max(len(line[0]) for line in [header, *body])

    def render(line: list[str]) -> str:
        if len(line) == 3:  # a setup that did not run: its reason spans the figures
            return f"{line[0]:<{widths[0]}}  {line[1]:>{widths[1]}}  {line[2]}"
        return "  ".join(
            f"{cell:<{widths[i]}}" if i == 0 else f"{cell:>{widths[i]}}"
            for i, cell in enumerate(line)
        )

    lines = [title(scenario, params), render(header), *(render(line) for line in body)]
    return "\n".join(lines + notes)


def failures(results: Results, references: set[str]) -> list[str]:
    """What makes the run fail: a scenario that crashed, or a correctness count of a
    storm that is not zero. Timing figures never do, nor do reference servers
    (third-party code the project does not own) or setups that cannot run here."""
    found = []
    for scenario, rows in results.items():
        for name, row in rows.items():
            if name in references:
                continue
            if row["status"] == "failed":
                found.append(f"{scenario} on {name} crashed: {row['error']}")
            elif row["status"] == "ok" and scenario in CORRECTNESS:
                found.extend(
                    f"{scenario} on {name}: {key} = {row[key]}"
                    for key in CORRECTNESS[scenario]
                    if row[key]
                )
    return found
