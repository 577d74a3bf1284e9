"""Smoke test: bench/soak.py still runs in both modes, injects its faults and prints its table.

Both modes run at once for 15 seconds of traffic (each a few seconds more to drain), so the
test takes well under a minute. The figures are not checked: a 15-second soak says nothing
about months. Exit status 3 (a target missed: say, a request lost to the Telegram outage) is
accepted; a crash (1) or a bad command line (2) is not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
SHORT = ["--seconds", "15", "--kill-every", "5", "--drain", "20", "--grace", "2", "--settle", "5"]
RAN_TO_THE_END = {0, 3}


@pytest.fixture(scope="module")
def soak_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """Run the short soak once per mode, both at the same time."""
    started = {
        mode: subprocess.Popen(
            [sys.executable, str(SOAK), *SHORT, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode, extra in {"redis": [], "embedded": ["--embedded"]}.items()
    }
    runs = {}
    for mode, process in started.items():
        try:
            stdout, stderr = process.communicate(timeout=200)  # about 60 s, in four processes
        except subprocess.TimeoutExpired:
            # SIGTERM: the soak stops the bot, Redis and the fakes it started, then exits.
            process.terminate()
            stdout, stderr = process.communicate(timeout=60)
        runs[mode] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return runs


@pytest.mark.parametrize("mode", ["redis", "embedded"])
def test_soak_runs_to_the_end(
    soak_runs: dict[str, subprocess.CompletedProcess[str]], mode: str
) -> None:
    run = soak_runs[mode]
    assert run.returncode in RAN_TO_THE_END, run.stderr[-3000:]


COMMON_ROWS = [
    "requests sent",
    "answered exactly once, with the thread",
    "answered exactly once, apologised (dead letter)",
    "answered twice or more",
    "lost (no answer)",
    "apologies and errors not caused by an injected fault",
    "answer time from the update, p50 / p99 ms",
    "Telegram calls refused with 429 in bursts",
    "Telegram calls refused with 502 in the outage",
    "upstream calls answered 503",
    "upstream calls held by the hanging thread",
]


@pytest.mark.parametrize(
    ("mode", "row"),
    [
        *[("redis", row) for row in COMMON_ROWS],
        *[("embedded", row) for row in COMMON_ROWS],
        ("redis", "worker SIGKILLs (each restarted)"),
        ("redis", "Redis restart (SIGTERM, AOF)"),
        ("redis", "listener restart (SIGTERM)"),
        ("redis", "listener #2"),
        ("redis", "redis-server #2"),
        ("redis", "worker-3 #1"),
        ("embedded", "process restart (SIGTERM)"),
        ("embedded", "unanswered at the process restart"),
        ("embedded", "run #2"),
    ],
)
def test_soak_table_has_row(
    soak_runs: dict[str, subprocess.CompletedProcess[str]], mode: str, row: str
) -> None:
    assert row in soak_runs[mode].stdout


@pytest.mark.parametrize("mode", ["redis", "embedded"])
def test_soak_sends_traffic_of_every_kind(
    soak_runs: dict[str, subprocess.CompletedProcess[str]], mode: str
) -> None:
    sent = next(line for line in soak_runs[mode].stdout.splitlines() if "requests sent" in line)
    assert all(f"{kind} " in sent for kind in ("miss", "hit", "repeat", "refresh"))
