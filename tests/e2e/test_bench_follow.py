"""Smoke test: bench/follow.py still runs a follow tick against its own Redis and prints its lines.

The figures depend on the machine and are not checked; the lines and a clean run are.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "follow.py"


def test_follow_bench_runs_and_prints_its_figures() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--threads", "50", "--due", "10", "--rounds", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (run.returncode, [line.split(":")[0] for line in run.stdout.splitlines()]) == (
        0,
        [
            "followed threads",
            "tick CPU, this process",
            "tick CPU, redis-server",
            "tick wall time",
            "Redis bytes per follow",
        ],
    )
