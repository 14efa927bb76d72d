"""The short soak (benchmarks/soak.py --short) on real daphne workers, PostgreSQL and a
Redis of its own: churn and numbered relays through a SIGKILLed worker, a Redis restart
and terminated database connections, with every correctness count at 0.

It runs as a subprocess: the soak makes its own database and Redis, as a user runs it.
The long mode (5 minutes, 100 peers) is documented in benchmarks/README.md, not run here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ..live import ROOT

pytestmark = pytest.mark.multiworker


def test_the_short_soak_counts_nothing_wrong(tmp_path) -> None:
    out = tmp_path / "soak.json"
    result = subprocess.run(
        [sys.executable, "benchmarks/soak.py", "--short", "--json", str(out)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.read_text())
    counts = report["counts"]
    print(result.stdout)  # the table, for the CI log (pytest -rA / on failure)
    assert report["failed"] == [], result.stdout[-3000:]
    assert result.returncode == 0, result.stderr[-3000:]
    # The faults happened, and hit peers that were relaying.
    assert report["faults"]["redis_down_s"] is not None
    assert report["faults"]["pg_connections_terminated"] > 0
    assert counts["closed_by_killed_worker"] > 0
    assert counts["delivered"] > 0
    assert counts["joins"] > report["plan"]["peers"]  # peers left and were replaced
