"""Smoke test: bench/e2e.py still runs the bot end to end and prints its tables.

The figures themselves are not checked (they depend on the machine); the rows and a clean run
are, in the default mode (with the bare bot's floor) and the scale-out mode, so the benchmark
cannot rot unnoticed.
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
        [
            *(sys.executable, str(BENCH), "--requests", "5", "--in-process", "--timeout", "90"),
            *("--open-seconds", "1"),
        ],
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
        "first message, cache miss",
        "answer, cache miss",
        "first message, cache hit",
        "answer, cache hit",
        "first message, repeat hit",
        "answer, repeat hit",
        "limiter at Telegram's 25 msg/s",
        "limiter raised to 10000 msg/s",
        "open loop, 24 requests/s offered",
        "bench + bot (in process)",
        "fetch of the thread, bare httpx",
        "answer, cache miss, vs bare answer + fetch",
        "first message, cache miss, vs bare + fetch",
        "first message, miss, vs bare hit + fetch",
        "Telegram calls per request",
        "bare bot (floor)",
        "lost, failed or wrong answers: 0",
    ],
)
def test_bench_table_has_row_when_run_in_process(
    bench_run: subprocess.CompletedProcess[str], row: str
) -> None:
    assert row in bench_run.stdout


def test_both_bursts_print_their_sends_per_unroll(
    bench_run: subprocess.CompletedProcess[str],
) -> None:
    """The issue asks the bench to prove one limited send per unroll at Telegram's pace."""
    rows = [line for line in bench_run.stdout.splitlines() if line.startswith("limiter ")]
    assert [line.endswith("1.00 limited sends per unroll") for line in rows] == [True, True]


@pytest.mark.parametrize("kind", ["cache miss", "cache hit", "repeat hit"])
def test_bare_bot_makes_the_calls_ours_made(
    bench_run: subprocess.CompletedProcess[str], kind: str
) -> None:
    """The floor replays the calls captured from our bot: a drift would make it no floor."""
    rows = {}
    for line in bench_run.stdout.splitlines():
        for label in (f"ours, {kind}", f"bare bot (floor), {kind}"):
            if line.startswith(f"{label} ") and "sendRichMessage" in line:
                rows[label] = line[len(label) :].split()
    assert rows[f"bare bot (floor), {kind}"] == rows[f"ours, {kind}"]


@pytest.fixture(scope="module")
def scale_out_run() -> subprocess.CompletedProcess[str]:
    """Run the smallest scale-out comparison once for the module (subprocesses, own Redis)."""
    args = ["--workers", "1,2", "--rounds", "1", "--burst", "6", "--raise-limiter"]
    return subprocess.run(
        [sys.executable, str(BENCH), *args, "--upstream-latency-ms", "20", "--timeout", "100"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_scale_out_exits_cleanly(scale_out_run: subprocess.CompletedProcess[str]) -> None:
    assert scale_out_run.returncode == 0, scale_out_run.stderr[-2000:]


@pytest.mark.parametrize(
    "row",
    [
        "unroll-bot scale-out: listener + N workers, one Redis",
        "  listener ",
        "  worker 2 ",
        "  redis-server ",
        "  bench (fakes) ",
        " scaling ",
        "queued, no worker running: per queued job",
        "  job:*:requests ",
        "answered and cached: per cached thread",
        "  result:x:x.com:* ",
        "of which the cached result's value (STRLEN)",
        "lost, failed or wrong answers: 0",
    ],
)
def test_scale_out_table_has_row(
    scale_out_run: subprocess.CompletedProcess[str], row: str
) -> None:
    assert row in scale_out_run.stdout


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


def test_steps_bench_prints_a_row_per_step() -> None:
    """bench/steps.py calls the pipeline's functions by name; a rename must not rot it."""
    run = subprocess.run(
        [sys.executable, str(BENCH.with_name("steps.py")), "--threads", "2", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    steps = [line.rsplit(None, 1)[0] for line in run.stdout.splitlines()[1:]]
    assert (run.returncode, steps) == (
        0,
        [
            "read (parse, finish, sanitize)",
            "encode the result",
            "decode the result",
            "clean (reflow)",
            "rich render",
            "all of them",
        ],
    )
