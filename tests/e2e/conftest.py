"""The whole bot in process against fake Telegram, fake upstreams and a real Redis (or memory)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot import running, worker
from bot.settings import Settings
from tests.conftest import RedisServer, eventually
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.fxtwitter import FakeFxTwitter, FakeThread
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import free_port
from tests.fakes.telegram import FakeChat, FakeTelegram, Json
from tests.fakes.telegraph import FakeTelegraph
from tests.integration.conftest import own_redis_server  # noqa: F401  (a fixture, reused)

pytestmark = pytest.mark.e2e

memory_only = pytest.mark.parametrize("backend", ["memory"], indirect=True)
"""Run a test (or, as `pytestmark`, a module) on the in-process backend alone.

The `backend` fixture runs every test on memory and Redis; a direct parametrization overrides
its params, so paths the backends do not change cost one bot start instead of two.
"""


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt into PTB's timedelta `retry_after` (bot/delivery.py reads either form).

    Otherwise PTB warns while building `RetryAfter`, and `filterwarnings = error` turns every
    Telegram 429 into an exception inside the bot.
    """
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def quick_worker_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the in-process worker notice `stop` within 0.1 s instead of its 1 s claim block.

    A claim returns as soon as a job arrives either way, so only shutdown gets faster: about a
    second per test that starts the bot.
    """
    monkeypatch.setattr(worker, "_CLAIM_BLOCK_S", 0.1)


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A fresh fake Bot API for each test, playing a server older than rich messages and
    drafts, so every way of asking is checked in its classic answer (a placeholder edited into
    the answer); tests of rich answers and drafts turn `supports_rich_messages` and
    `supports_drafts` on."""
    with FakeTelegram(supports_rich_messages=False, supports_drafts=False) as fake:
        yield fake


@pytest.fixture(scope="session")
def fxtwitter_server() -> Iterator[FakeFxTwitter]:
    fake = FakeFxTwitter()
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def fxtwitter(fxtwitter_server: FakeFxTwitter) -> FakeFxTwitter:
    """The shared fake FxTwitter with every knob off."""
    fxtwitter_server.reset()
    return fxtwitter_server


@pytest.fixture(scope="session")
def mastodon_server() -> Iterator[FakeMastodon]:
    fake = FakeMastodon()
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def mastodon(mastodon_server: FakeMastodon) -> FakeMastodon:
    """The shared fake Mastodon instance, empty; links are `{mastodon.base}/@user/ID`."""
    mastodon_server.reset()
    return mastodon_server


@pytest.fixture(scope="session")
def bluesky_server() -> Iterator[FakeBluesky]:
    with FakeBluesky() as fake:
        yield fake


@pytest.fixture
def bluesky(bluesky_server: FakeBluesky) -> FakeBluesky:
    """The shared fake Bluesky AppView, empty; start the bot with `bluesky_api_url=bluesky.url`."""
    bluesky_server.reset()
    return bluesky_server


@pytest.fixture
def telegraph() -> Iterator[FakeTelegraph]:
    """A fresh fake Telegraph; start the bot with `telegraph_api_url=telegraph.url`."""
    with FakeTelegraph() as fake:
        yield fake


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest, key_prefix: str) -> dict[str, Any]:
    """Settings for the in-process backends, or for Redis under a prefix of this test's own."""
    if request.param == "memory":
        return {}
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    return {"redis_url": redis_server.url, "redis_key_prefix": key_prefix}


@pytest.fixture
def bot_settings(
    settings_factory: Callable[..., Settings],
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    backend: dict[str, Any],
) -> Callable[..., Settings]:
    """Build settings pointing the bot at the fakes; keyword arguments override."""

    def create(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": telegram.token,
            "telegram_api_url": telegram.url,
            "fxtwitter_api_url": fxtwitter.url,
            "telegraph_api_url": "http://127.0.0.1:9",  # unreachable unless a test sets one
            "web_port": free_port(),
            "telegram_poll_timeout_s": 1,
            "unroll_allow_private_hosts": True,
            "http_timeout_s": 3,
            **backend,
        }
        values.update(overrides)
        return settings_factory(**values)

    return create


@pytest.fixture
async def start_bot(
    bot_settings: Callable[..., Settings], telegram: FakeTelegram
) -> AsyncIterator[Callable[..., Any]]:
    """Start `unroll-bot run` in this event loop; stopped when the test ends."""
    parts: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(**overrides: Any) -> Settings:
        settings = bot_settings(**overrides)
        stop = asyncio.Event()
        task = asyncio.create_task(running.run_all(settings, stop=stop))
        parts.append((stop, task))
        # The first long poll arriving means the bot is up; its answer would cost a poll timeout.
        await eventually(lambda: bool(telegram.calls_to("getUpdates")) or task.done())
        if task.done():
            task.result()  # a bot that could not start fails the test with its own error
        return settings

    yield start
    for stop, task in parts:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


def x_link(thread: FakeThread, index: int = 0, *, host: str = "x.com") -> str:
    """Return the web link of post `index` of a fake X thread."""
    tweet = thread.chain[index]
    return f"https://{host}/{thread.author.handle}/status/{tweet.id}"


def labels(message: Json) -> list[str]:
    """Return the texts of a message's inline buttons, row by row."""
    return [button["text"] for row in message["reply_markup"]["inline_keyboard"] for button in row]


def button_data(message: Json, label: str) -> str:
    """Return the callback data of the button whose text contains `label`."""
    rows = message["reply_markup"]["inline_keyboard"]
    return next(str(b["callback_data"]) for row in rows for b in row if label in b["text"])


async def answers_in(telegram: FakeTelegram, chat: FakeChat, *, count: int = 1) -> list[str]:
    """Wait until the bot has `count` messages in `chat` and none is a placeholder; return them.

    Placeholders start with "Unrolling"; progress edits keep that start, so a message that no
    longer has it is a final answer.
    """

    def settled() -> bool:
        texts = telegram.sent_to(chat)
        return len(texts) >= count and not any(t.startswith("Unrolling") for t in texts)

    await eventually(settled)
    return telegram.sent_to(chat)


@pytest.fixture
async def start_part(telegram: FakeTelegram) -> AsyncIterator[Callable[..., Any]]:
    """Run one of `bot.running`'s `run_*` entry points in this event loop until the test ends.

    `start(run, settings, ready=METHOD)` waits for the first Bot API call to METHOD (None: no
    wait); a part that fails to start fails the test with its own error.
    """
    parts: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(
        run: Callable[..., Coroutine[Any, Any, None]],
        settings: Settings,
        *,
        ready: str | None = None,
    ) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings, stop=stop))
        parts.append((stop, task))
        if ready is not None:
            await eventually(lambda: bool(telegram.calls_to(ready)) or task.done())
        if task.done():
            task.result()

    yield start
    for stop, task in parts:
        stop.set()
        await asyncio.wait_for(task, timeout=20)


def settings_env(settings: Settings) -> dict[str, str]:
    """Return `settings` as the environment variables `python -m bot` reads them from."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[name.upper()] = str(value)
    return env


@dataclass
class BotProcess:
    """One `python -m bot COMMAND` process; its stderr (the log) goes to `log_path`."""

    process: asyncio.subprocess.Process
    log_path: Path

    def kill(self) -> None:
        """SIGKILL the process: no cleanup, no goodbye, as a crash or the OOM killer does."""
        if self.process.returncode is None:
            self.process.kill()

    async def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM the process and wait for it to exit (SIGKILL after `timeout_s`)."""
        if self.process.returncode is None:
            self.process.terminate()
        try:
            return await asyncio.wait_for(self.process.wait(), timeout_s)
        except TimeoutError:
            self.kill()
            return await self.process.wait()

    def log_lines(self) -> list[str]:
        """Return what the process logged so far, line by line."""
        return self.log_path.read_text().splitlines()


@pytest.fixture
async def bot_process(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[BotProcess]]]:
    """Start `python -m bot COMMAND` with `settings` in its environment; killed at the end."""
    started: list[BotProcess] = []

    async def start(command: str, settings: Settings) -> BotProcess:
        log_path = tmp_path / f"{command}-{len(started)}.log"
        with log_path.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                command,
                env={**os.environ, **settings_env(settings)},
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log_file,
            )
        started.append(BotProcess(process, log_path))
        return started[-1]

    yield start
    for part in started:
        part.kill()
        await part.process.wait()
