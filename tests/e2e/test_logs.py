"""`unroll-bot run` as a process, without Redis, logging JSON: one id per request, no secrets.

One request goes through the whole bot; the tests then read what the process wrote to stderr.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from bot.settings import Settings
from tests.conftest import eventually
from tests.e2e.conftest import BotProcess, memory_only, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.server import free_port
from tests.fakes.telegram import FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow, memory_only]

USER_WORDS = "my-private-words-4711"


@dataclass
class LoggedRun:
    """What one answered request left in the log, and the words that must not be there."""

    raw: list[str]
    lines: list[dict[str, Any]]
    secrets: list[str]


@pytest.fixture
async def logged_run(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    bot_settings: Callable[..., Settings],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> LoggedRun:
    """Run `python -m bot run` with LOG_FORMAT=json until one request is answered."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    bot = await bot_process("run", bot_settings(log_format="json"))
    chat = telegram.private_chat(telegram.user())
    await eventually(lambda: bool(telegram.calls_to("getUpdates")), timeout_s=20)
    telegram.user_sends(chat, f"{USER_WORDS} {x_link(thread)}", user=chat.user)
    await eventually(lambda: any("3 posts" in text for text in telegram.sent_to(chat)))
    assert await bot.stop() == 0
    raw = bot.log_lines()
    post_text = thread.chain[0].shown[:20]
    return LoggedRun(
        raw, [orjson.loads(line) for line in raw], [telegram.token, USER_WORDS, post_text]
    )


def test_one_id_follows_the_request_from_listener_to_reply(logged_run: LoggedRun) -> None:
    """The listener's request id tags the worker's answer line, which names the job's id."""
    accepted = next(line for line in logged_run.lines if line["event"] == "request accepted")
    answered = next(line for line in logged_run.lines if line["event"] == "request answered")
    summary = next(line for line in logged_run.lines if line["logger"] == "bot.worker")
    assert (answered["job_id"], answered["job"]) == (accepted["job_id"], summary["job_id"])


def test_log_holds_no_token_and_no_text(logged_run: LoggedRun) -> None:
    """Neither the bot token nor the user's words nor the thread's text reach the log."""
    found = [
        secret for secret in logged_run.secrets if any(secret in line for line in logged_run.raw)
    ]
    assert found == []


async def test_debug_log_of_webhook_mode_hides_the_webhook_secret(
    telegram: FakeTelegram,
    bot_settings: Callable[..., Settings],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> None:
    """python-telegram-bot logs `setWebhook`'s parameters at DEBUG, the secret among them."""
    secret = "webhook-secret-never-logged-0815"
    port = free_port()
    settings = bot_settings(
        log_level="DEBUG",
        web_port=port,
        webhook_url=f"http://127.0.0.1:{port}/webhook",
        webhook_secret=secret,
    )
    bot = await bot_process("run", settings)
    await eventually(lambda: bool(telegram.calls_to("setWebhook")), timeout_s=20)
    assert await bot.stop() == 0
    logged = "\n".join(bot.log_lines())
    assert ("setWebhook" in logged, secret in logged, telegram.token in logged) == (
        True,
        False,
        False,
    )
