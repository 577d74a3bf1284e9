"""Smoke test: bench/e2e.py still runs the bot end to end and prints its table.

The figures themselves are not checked (they depend on the machine); the rows and a clean run
are, so the benchmark cannot rot unnoticed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "e2e.py"


@pytest.fixture(scope="module")
def bench_run() -> subprocess.CompletedProcess[str]:
    """Run the smallest benchmark once for the module."""
    return subprocess.run(
        [sys.executable, str(BENCH), "--requests", "5", "--in-process", "--timeout", "90"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


def test_bench_exits_cleanly_when_run_in_process(
    bench_run: subprocess.CompletedProcess[str],
) -> None:
    assert bench_run.returncode == 0, bench_run.stderr[-2000:]


@pytest.mark.parametrize(
    "row",
    [
        "placeholder, cache miss",
        "answer, cache miss",
        "placeholder, cache hit",
        "answer, cache hit",
        "limiter at Telegram's 25 msg/s",
        "limiter raised to 10000 msg/s",
        "bench + bot (in process)",
        "lost, failed or wrong answers: 0",
    ],
)
def test_bench_table_has_row_when_run_in_process(
    bench_run: subprocess.CompletedProcess[str], row: str
) -> None:
    assert row in bench_run.stdout


def test_render_bench_prints_a_row_per_output() -> None:
    """bench/render.py imports the renderers by name; a rename must not rot it unnoticed."""
    run = subprocess.run(
        [sys.executable, str(BENCH.with_name("render.py")), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    rows = {line.split()[0] for line in run.stdout.splitlines()[2:] if line.strip()}
    assert (run.returncode, {"text", "markdown", "telegram", "telegraph"} <= rows) == (0, True)
