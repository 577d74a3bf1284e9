"""Shared fixtures: clean environment, settings, our own real Redis, `eventually`, golden files.

`pytest tests --update-golden` rewrites the golden files under tests/data/golden/ from the
current outputs; read the diff before committing it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, settings

from bot.settings import Settings
from tests.fakes.server import free_port

# The suite runs in four processes on two cores: an example's time says nothing about the code
# then, so no example fails for being slow (each test's own settings start from these).
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

_OUR_VARIABLES = {name.upper() for name in Settings.model_fields}
SUITE_REDIS_URL = os.environ.get("REDIS_URL")
"""A Redis for the whole suite (read once: `clean_environ` hides it from each test's settings,
so a test that does not ask for Redis never shares one with the other test processes)."""
GOLDEN_DIR = Path(__file__).resolve().parent / "data" / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/data/golden/ from the current outputs",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Return check(name, actual): assert `actual` equals the golden file `name`.

    `name` is relative to tests/data/golden/ and may name a subfolder.
    """
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
        assert path.exists(), f"no golden file {name}; run with --update-golden and read it"
        assert actual == path.read_text(encoding="utf-8")

    return check


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Drop our settings from the environment and run in an empty directory (no stray .env)."""
    for name in list(os.environ):
        if name.upper() in _OUR_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings_factory() -> Callable[..., Settings]:
    """Build Settings from keyword arguments only, ignoring any .env file."""

    def create(**values: Any) -> Settings:
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return create


@dataclass
class RedisServer:
    """A redis-server of the suite's own (or the one REDIS_URL names)."""

    url: str
    port: int | None = None
    directory: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def start(self, *, appendonly: bool = True) -> None:
        """Start (or restart) the server on the same port and directory."""
        assert self.port is not None
        assert self.directory is not None
        self.process = subprocess.Popen(
            [
                _redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes" if appendonly else "no",
                "--appendfsync",
                "always",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)
        # The port was free when chosen; another process's server may have taken it since, and
        # ours then exited: never use (or flush, or restart) a server that is not this one.
        with redis.Redis(port=self.port) as client:
            serving = client.info("server")["process_id"]
        if serving != self.process.pid:
            self.process.wait(timeout=10)
            raise RuntimeError(f"port {self.port} is another redis-server's")


def _redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run scripts/test.sh, which installs it")
    return binary


def _wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"redis-server did not listen on {port}")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real Redis: REDIS_URL when set, otherwise our own server on a free port."""
    if SUITE_REDIS_URL:
        yield RedisServer(url=SUITE_REDIS_URL)
        return
    directory = Path(tempfile.mkdtemp(prefix="unroll-redis-"))
    port = free_port()
    server = RedisServer(url=f"redis://127.0.0.1:{port}/0", port=port, directory=directory)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def key_prefix() -> str:
    """A Redis key prefix unique to this test, so tests never see each other's keys."""
    return f"test:{uuid.uuid4().hex[:12]}:"


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], timeout_s: float = 10.0
) -> None:
    """Poll `condition` until it holds, failing the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.02)
