"""`unroll-bot unroll` against upstreams built to hurt: it ends in time, small, with a sentence.

Whoever sends a Mastodon link chooses the server, so every byte from upstream is hostile. Each
case of `tests/fakes/hostile.py` runs `python -m bot unroll URL` as a subprocess with a 3 s
fetch deadline and checks what a user would see and what the machine would pay: the process
ends within the deadline (plus start-up time), exits 4 (the source failed) with one sentence
on stderr and no traceback, and its peak memory (`ru_maxrss` from `os.wait4`) stays under 100 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.fakes.hostile import (
    BLUESKY_CASES,
    FXTWITTER_CASES,
    HTTP_CASES,
    MASTODON_CASES,
    HostileUpstream,
    gzip_bomb,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEADLINE_S = 3.0
STARTUP_SLACK_S = 7.0  # interpreter start and imports, on two cores shared with other work
MAX_RSS_BYTES = 100 * 1024 * 1024
_OUR_VARIABLES = {name.upper() for name in Settings.model_fields}


@dataclass(frozen=True)
class Run:
    """What one `unroll` subprocess did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_bytes: int


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileUpstream]:
    gzip_bomb()  # built once, before any timing starts
    upstream = HostileUpstream()
    with upstream.server:
        yield upstream


# A tiny parent for the measured process. Linux carries the spawning process's peak RSS into
# the child's `ru_maxrss` (the parent's memory is the child's until exec), and pytest with
# its fakes is large; this runner is small, so the number it reports is the CLI's own.
_RUNNER = """
import os, signal, sys, time
pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "bot", *sys.argv[2:]], os.environ)
give_up = time.monotonic() + float(sys.argv[1])
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > give_up:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.02)
print(usage.ru_maxrss * 1024, file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_unroll(hostile: HostileUpstream, url: str, directory: Path, *options: str) -> Run:
    """Run `python -m bot unroll URL` against the hostile upstream; measure time and memory."""
    inherited = {k: v for k, v in os.environ.items() if k.upper() not in _OUR_VARIABLES}
    env = inherited | {
        "FXTWITTER_API_URL": hostile.url,
        "BLUESKY_API_URL": hostile.url,
        "UNROLL_ALLOW_PRIVATE_HOSTS": "true",  # Mastodon links name 127.0.0.1
        "HTTP_DEADLINE_S": str(DEADLINE_S),
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, "60", "unroll", url, *options],
        env=env,
        cwd=directory,
        capture_output=True,
        timeout=90,
        check=False,
    )
    seconds = time.monotonic() - started
    *stderr, max_rss = done.stderr.decode().splitlines()  # the runner's line comes last
    return Run(
        returncode=done.returncode,
        stdout=done.stdout.decode(),
        stderr="\n".join(stderr),
        seconds=seconds,
        max_rss_bytes=int(max_rss),  # the runner turned Linux's kilobytes into bytes
    )


def assert_ended_well(run: Run, *, exit_code: int = 4) -> None:
    """Ended in time and small, with the exit code and (on failure) one plain sentence."""
    assert run.seconds < DEADLINE_S + STARTUP_SLACK_S, run
    assert run.max_rss_bytes < MAX_RSS_BYTES, run
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == exit_code, run
    if exit_code:
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr
        assert lines[0].endswith("."), run.stderr


@pytest.mark.parametrize("case", MASTODON_CASES)
def test_mastodon_chain_that_loops_or_never_ends_fails_in_time(
    hostile: HostileUpstream, tmp_path: Path, case: str
) -> None:
    """Loops are a malformed answer; the endless chain runs out of its fetch budget."""
    hostile.case = case
    assert_ended_well(run_unroll(hostile, hostile.mastodon_url(), tmp_path))


@pytest.mark.parametrize("case", BLUESKY_CASES)
def test_bluesky_cycle_across_refetches_fails_in_time(
    hostile: HostileUpstream, tmp_path: Path, case: str
) -> None:
    hostile.case = case
    run = run_unroll(hostile, hostile.bluesky_url(), tmp_path)
    assert_ended_well(run)
    assert len(hostile.server.requests.matching("getPostThread")) < 10


@pytest.mark.parametrize("case", [c for c in FXTWITTER_CASES if c.startswith("timestamp")])
def test_fxtwitter_impossible_timestamp_fails_with_a_sentence(
    hostile: HostileUpstream, tmp_path: Path, case: str
) -> None:
    hostile.case = case
    assert_ended_well(run_unroll(hostile, hostile.x_url(), tmp_path))


def test_fxtwitter_repeated_posts_kept_once(hostile: HostileUpstream, tmp_path: Path) -> None:
    """A, B, A, B… five hundred times is a two-post thread, not 500 posts."""
    hostile.case = "fxtwitter-duplicates"
    run = run_unroll(hostile, hostile.x_url(), tmp_path, "--format", "json")
    assert_ended_well(run, exit_code=0)
    posts = json.loads(run.stdout)["posts"]
    assert [post["id"] for post in posts] == ["1900000000000000001", "1900000000000000002"]


@pytest.mark.parametrize("case", HTTP_CASES)
@pytest.mark.parametrize("shape", ["mastodon", "bluesky", "fxtwitter"])
def test_hostile_http_answer_fails_in_time(
    hostile: HostileUpstream, tmp_path: Path, case: str, shape: str
) -> None:
    """429s with absurd waits, redirects to non-web addresses, a gzip bomb, a silent server."""
    hostile.case = case
    links = {
        "mastodon": hostile.mastodon_url(),
        "bluesky": hostile.bluesky_url(),
        "fxtwitter": hostile.x_url(),
    }
    run = run_unroll(hostile, links[shape], tmp_path)
    assert_ended_well(run)
    if case.startswith("retry-after"):
        # Clamped to an hour; numbers are written as the language does (Babel): "3,600".
        assert "please wait about 3,600 seconds" in run.stderr
