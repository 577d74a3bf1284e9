"""One send per answer in groups: a placeholder only for answers slower than PLACEHOLDER_AFTER_MS.

A quick answer (a cache hit, a fast fetch) is one reply to the asking message; a slow one gets
"Unrolling… ⏳" when the time is up, edited into the answer later. Either way a job handed out
again after its worker died sends no second message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot import metrics, running
from bot.listener import texts
from bot.settings import Settings
from tests.conftest import RedisServer, eventually
from tests.e2e.conftest import BotProcess, answers_in, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, FakeThread, build_thread
from tests.fakes.telegram import FakeChat, FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("quick_worker_stop")]

LIMITED = ("sendMessage", "editMessageText", "sendRichMessage", "sendDocument")
ANSWER = "3 posts"


def limited_sends(telegram: FakeTelegram, chat: FakeChat) -> list[str]:
    """Return the limited calls aimed at `chat`, in the order they were made."""
    calls = [call for method in LIMITED for call in telegram.calls_to(method, chat.id)]
    return [call.method for call in sorted(calls, key=lambda call: call.time)]


async def asked_in_two_groups(telegram: FakeTelegram, thread: FakeThread) -> FakeChat:
    """Ask for `thread` in one group, then (a cache hit) in another; return the other."""
    first, second = telegram.group("Readers"), telegram.group("Writers")
    telegram.user_sends(first, f"@unrolltestbot {x_link(thread)}", user=telegram.user())
    await answers_in(telegram, first)
    telegram.user_sends(second, f"@unrolltestbot {x_link(thread)}", user=telegram.user("Bob"))
    await answers_in(telegram, second)
    return second


def answered(telegram: FakeTelegram, chat: FakeChat) -> bool:
    return any(ANSWER in text for text in telegram.sent_to(chat))


async def test_a_quick_answer_in_a_group_is_one_reply(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot(placeholder_after_ms=5000)  # quick, whatever the machine's load
    group = telegram.group("Readers")
    asked = telegram.user_sends(group, f"@unrolltestbot {x_link(thread)}", user=telegram.user())
    await answers_in(telegram, group)
    [answer] = [m for m in telegram.messages_in(group) if m["from"]["is_bot"]]
    assert (
        limited_sends(telegram, group),
        answer["reply_to_message"]["message_id"],
        ANSWER in answer["text"],
        len(telegram.calls_to("sendChatAction", group.id)),
    ) == (["sendMessage"], asked["message_id"], True, 1)


async def test_a_cache_hit_in_another_group_is_one_send(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    """The one call of all: no "typing" either, the answer being there already."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    second = await asked_in_two_groups(telegram, thread)
    assert (
        limited_sends(telegram, second),
        telegram.calls_to("sendChatAction", second.id),
        len(fxtwitter.server.requests.all()),
    ) == (["sendMessage"], [], 1)


@pytest.mark.parametrize(("rich", "presented"), [(True, 1), (False, 2)])
async def test_a_thread_asked_again_and_again_is_presented_once_or_twice(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    rich: bool,
    presented: int,
) -> None:
    """A viral link in many groups: the cached bytes decode to one Thread, so only the first
    hit can clean and render it again; a rich answer does not even then, the worker's rendering
    having come with the cached result (the hits show the very message the miss got)."""
    telegram.supports_rich_messages = rich
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    before = presentations_made()
    answers = []
    for name in ("Readers", "Writers", "Editors"):
        group = telegram.group(name)
        telegram.user_sends(group, f"@unrolltestbot {x_link(thread)}", user=telegram.user(name))
        if rich:
            await eventually(lambda group=group: bool(telegram.rich_sent_to(group)))
        else:
            await answers_in(telegram, group)
        answers.append((limited_sends(telegram, group), telegram.rich_sent_to(group)))
    send = "sendRichMessage" if rich else "sendMessage"
    assert (answers[1:], presentations_made() - before) == (
        [([send], answers[0][1])] * 2,
        presented,
    )


def presentations_made() -> float:
    """Return how many times this process cleaned a thread for an answer."""
    samples = metrics.REGISTRY.get_sample_value(
        "unroll_job_duration_seconds_count", {"stage": "render"}
    )
    return samples or 0.0


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
async def test_a_cache_hit_stores_no_claim(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    redis_server: RedisServer,
    key_prefix: str,
) -> None:
    """Answered by the listener before any timer starts, a hit has nothing to race: no claim
    is written (a round trip and a day-long key saved per hit); the miss keeps its own."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    second = await asked_in_two_groups(telegram, thread)
    redis = Redis.from_url(redis_server.url)
    claims = await redis.keys(f"{key_prefix}value:placeholder:*")
    await redis.aclose()
    assert (len(claims), limited_sends(telegram, second)) == (1, ["sendMessage"])


async def test_a_slow_answer_gets_the_placeholder_then_edits_it(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.delay_s = 1.5
    await start_bot(placeholder_after_ms=300)
    group = telegram.group("Readers")
    asked = telegram.user_sends(group, f"@unrolltestbot {x_link(thread)}", user=telegram.user())
    placeholder = await telegram.wait_for_call("sendMessage")
    await eventually(lambda: answered(telegram, group))
    [answer] = [m for m in telegram.messages_in(group) if m["from"]["is_bot"]]
    assert (
        placeholder.params["text"],
        placeholder.params["reply_parameters"]["message_id"],
        limited_sends(telegram, group),
        answer["reply_to_message"]["message_id"],
    ) == (
        texts.PLACEHOLDER,
        asked["message_id"],
        ["sendMessage", "editMessageText"],
        asked["message_id"],
    )


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
@pytest.mark.parametrize(
    ("placeholder_after_ms", "sends"),
    [
        # The worker dies before the time is up, the answer comes after it: the placeholder
        # shown meanwhile is edited by the next worker.
        (500, ["sendMessage", "editMessageText"]),
        # No placeholder within the test: the next worker answers with the one reply.
        (600_000, ["sendMessage"]),
    ],
    ids=["placeholder-then-edit", "one-reply"],
)
async def test_a_job_whose_worker_died_is_answered_once(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    bot_settings: Callable[..., Settings],
    start_part: Callable[..., Awaitable[None]],
    bot_process: Callable[..., Awaitable[BotProcess]],
    placeholder_after_ms: int,
    sends: list[str],
) -> None:
    """SIGKILL mid-fetch: another worker answers, with no second message in the group."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.delay_s = 5.0
    settings = bot_settings(job_reclaim_idle_s=1.0, placeholder_after_ms=placeholder_after_ms)
    await start_part(running.run_listener, settings, ready="getUpdates")
    doomed = await bot_process("worker", settings)
    group = telegram.group("Readers")
    telegram.user_sends(group, f"@unrolltestbot {x_link(thread)}", user=telegram.user())
    await eventually(lambda: bool(fxtwitter.server.requests.all()), timeout_s=20)
    if len(sends) == 2:
        await telegram.wait_for_call("sendMessage")  # the placeholder, while the fetch hangs
    doomed.kill()
    await doomed.process.wait()
    fxtwitter.delay_s = 0.0
    await bot_process("worker", settings)
    await eventually(lambda: answered(telegram, group), timeout_s=30)
    assert limited_sends(telegram, group) == sends
