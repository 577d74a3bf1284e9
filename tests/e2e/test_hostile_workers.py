"""Hostile links cannot stop the workers: ordinary requests sent after them are all answered.

The attack found before: a Mastodon server whose status chain loops spun a worker's walk at
100 % CPU without yielding, its claims lapsed, the next worker took the job and hung too, and
nobody else was answered. Here a listener and two worker processes share a real Redis; five
hostile links (loops, and an endless chain answered slowly) come first, ten ordinary ones after.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest

from bot import running
from bot.answering.texts import APOLOGY, progress
from bot.errors import ReplyLoopError
from bot.i18n import ENGLISH
from bot.listener.texts import PLACEHOLDER
from bot.settings import Settings
from tests.conftest import eventually
from tests.e2e.conftest import BotProcess, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.hostile import HostileUpstream
from tests.fakes.telegram import FakeChat, FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROGRESS = progress(0, ENGLISH).split("0")[0]  # "Unrolling… ", however many posts it names


@pytest.fixture
def looping() -> Iterator[HostileUpstream]:
    upstream = HostileUpstream()
    upstream.case = "ancestor-loop"
    with upstream.server:
        yield upstream


@pytest.fixture
def self_looping() -> Iterator[HostileUpstream]:
    upstream = HostileUpstream()
    upstream.case = "self-loop"
    with upstream.server:
        yield upstream


@pytest.fixture
def endless() -> Iterator[HostileUpstream]:
    upstream = HostileUpstream()
    upstream.case = "slow-endless-ancestors"  # only the whole-fetch deadline stops it
    with upstream.server:
        yield upstream


def final_text(telegram: FakeTelegram, chat: FakeChat) -> str | None:
    """Return the bot's answer in `chat` once its placeholder holds more than progress."""
    texts = telegram.sent_to(chat)
    waiting = not texts or texts[-1] == PLACEHOLDER or texts[-1].startswith(PROGRESS)
    return None if waiting else texts[-1]


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
async def test_ordinary_requests_after_hostile_links_are_all_answered(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    looping: HostileUpstream,
    self_looping: HostileUpstream,
    endless: HostileUpstream,
    bot_settings: Callable[..., Settings],
    start_part: Callable[..., Awaitable[None]],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> None:
    settings = bot_settings(
        worker_concurrency=2,  # four slots in all: the five hostile jobs could fill them
        http_deadline_s=3,
        retry_backoff_base_s=0.2,
        retry_backoff_cap_s=1,
        job_reclaim_idle_s=2,
        telegram_private_per_s=100,
    )
    await start_part(running.run_listener, settings, ready="getUpdates")
    workers = [await bot_process("worker", settings) for _ in range(2)]
    hostile_links = [looping.mastodon_url("1"), looping.mastodon_url("2")]
    hostile_links += [self_looping.mastodon_url("1")]
    hostile_links += [endless.mastodon_url("1"), endless.mastodon_url("2")]
    hostile_chats = [telegram.private_chat(telegram.user(f"Mallory {n}")) for n in range(5)]
    for chat, link in zip(hostile_chats, hostile_links, strict=True):
        telegram.user_sends(chat, link, user=chat.user)
    await eventually(lambda: bool(looping.server.requests.all() and endless.server.requests.all()))

    threads = [fxtwitter.add(build_thread(3, rich=False)) for _ in range(10)]
    chats = [telegram.private_chat(telegram.user(f"Reader {n}")) for n in range(10)]
    for chat, thread in zip(chats, threads, strict=True):
        telegram.user_sends(chat, x_link(thread), user=chat.user)

    await eventually(
        lambda: all("3 posts" in (final_text(telegram, chat) or "") for chat in chats),
        timeout_s=60,
    )
    await eventually(
        lambda: all(final_text(telegram, chat) for chat in hostile_chats), timeout_s=90
    )
    # A loop is said at once (no retry would change it); an endless chain may be a passing
    # fault, so it is tried again, then given up with the apology. The workers lived.
    answers = [final_text(telegram, chat) for chat in hostile_chats]
    loop = ReplyLoopError(platform="mastodon").user_message()
    assert (answers, [w.process.returncode for w in workers]) == (
        [loop] * 3 + [APOLOGY] * 2,
        [None, None],
    )
