"""Following a thread, end to end: the answer grows in place while the author keeps posting.

The bot runs with FOLLOW_FIRST_CHECK_S well under a second and a quick tick, so a follow is
checked several times a second; the fakes grow a thread with `append_self_reply`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot import metrics, scheduler
from bot.answering import texts as answer_texts
from bot.i18n import ENGLISH
from bot.listener import texts
from bot.settings import Settings
from tests.conftest import eventually
from tests.e2e.conftest import BotProcess, answers_in, button_data, labels, memory_only, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, FakeThread, build_thread
from tests.fakes.telegram import FakeChat, FakeTelegram, FakeUser, Json
from tests.fakes.telegraph import FakeTelegraph

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("quick_worker_stop")]

QUICK = {
    "follow_first_check_s": 0.3,
    "follow_max_interval_s": 0.6,
    "telegram_group_per_min": 6000,
    "telegram_private_per_s": 100,
    "telegram_global_per_s": 1000,
}
"""Checks several times a second, and a send limiter that never makes a test wait."""

QUIET_S = 2.0
"""Long enough for several checks: what has not happened by then would not happen at all."""


@pytest.fixture(autouse=True)
def quick_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler, "FOLLOW_TICK_EVERY_S", 0.1)


@pytest.fixture
def alice(telegram: FakeTelegram) -> FakeUser:
    return telegram.user("Alice")


@pytest.fixture
def dm(telegram: FakeTelegram, alice: FakeUser) -> FakeChat:
    return telegram.private_chat(alice)


@pytest.fixture
def thread(fxtwitter: FakeFxTwitter) -> FakeThread:
    return fxtwitter.add(build_thread(2, rich=False))


def toasts(telegram: FakeTelegram) -> list[str]:
    return [str(c.params.get("text", "")) for c in telegram.calls_to("answerCallbackQuery")]


async def follow(telegram: FakeTelegram, user: FakeUser, chat: FakeChat) -> Json:
    """Press Follow under the bot's last message in `chat`; return that message once redrawn."""
    answer = telegram.messages_in(chat)[-1]
    telegram.press_button(user, answer, button_data(answer, "Follow"))
    await eventually(lambda: "🔕 Unfollow" in labels(telegram.messages_in(chat)[-1]))
    return telegram.messages_in(chat)[-1]


async def ask_and_follow(
    telegram: FakeTelegram, user: FakeUser, chat: FakeChat, thread: FakeThread
) -> Json:
    """Ask for `thread` in `chat`, wait for the answer, and follow it; return it redrawn."""
    telegram.user_sends(chat, x_link(thread))
    await answers_in(telegram, chat)
    return await follow(telegram, user, chat)


def grow(fxtwitter: FakeFxTwitter, thread: FakeThread, posts: int) -> None:
    for n in range(posts):
        fxtwitter.append_self_reply(thread, f"And one more thing, number {n + 1}.")


def page_link(message: Json) -> str:
    """Return the last text link of a message: a teaser's page."""
    return [e["url"] for e in message.get("entities", []) if e["type"] == "text_link"][-1]


def refused_edits(telegram: FakeTelegram, chat: FakeChat, *, status: int = 403) -> list[Any]:
    return [call for call in telegram.calls_to("editMessageText", chat) if call.status == status]


def thread_fetches(fxtwitter: FakeFxTwitter) -> int:
    return len(fxtwitter.server.requests.matching("/2/thread/"))


def checks_so_far() -> float:
    return metrics.REGISTRY.get_sample_value("unroll_follow_checks_total") or 0.0


@pytest.mark.parametrize("backend", ["memory", "redis"], indirect=True)
async def test_followed_answer_is_edited_in_place_and_one_reply_says_so(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK)
    answer = await ask_and_follow(telegram, alice, dm, thread)
    grow(fxtwitter, thread, 2)
    await eventually(lambda: len(telegram.sent_to(dm)) == 2)
    await asyncio.sleep(QUIET_S)
    edited, reply = [m for m in telegram.messages_in(dm) if m["from"]["is_bot"]]
    assert (
        edited["message_id"],
        edited["text"].endswith("Original on X · 4 posts"),
        labels(edited)[:2],
        reply["text"],
        reply["reply_to_message"]["message_id"],
        any(
            text.startswith("Following: I'll keep this up to date for 7 days")
            for text in toasts(telegram)
        ),
    ) == (
        answer["message_id"],
        True,
        ["🔄 Refresh", "🔕 Unfollow"],
        "+2 new posts ↑",
        answer["message_id"],
        True,
    )


@memory_only
async def test_followed_answer_in_a_group_topic_stays_there_and_replies_silently(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    thread: FakeThread,
) -> None:
    forum = telegram.group("Forum", forum=True)
    topic = telegram.create_topic(forum, "Threads to read", user=alice)
    await start_bot(**QUICK)
    telegram.user_sends(forum, f"{x_link(thread)} @unrolltestbot", user=alice, thread_id=topic)
    await answers_in(telegram, forum)
    answer = await follow(telegram, alice, forum)
    grow(fxtwitter, thread, 2)
    await eventually(lambda: len(telegram.sent_to(forum)) == 2)
    sends = telegram.calls_to("sendMessage", forum)
    assert (
        telegram.sent_to(forum)[0].endswith("Original on X · 4 posts"),
        sends[-1].params.get("text"),
        sends[-1].params.get("disable_notification"),
        sends[-1].params.get("message_thread_id"),
        telegram.messages_in(forum)[-2]["message_id"],
    ) == (True, "+2 new posts ↑", True, topic, answer["message_id"])


@memory_only
async def test_answer_that_outgrows_a_message_becomes_a_teaser_whose_page_keeps_its_url(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    telegraph: FakeTelegraph,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK, telegraph_api_url=telegraph.url)
    await ask_and_follow(telegram, alice, dm, thread)
    for n in range(3):  # about 4,500 characters: past one message
        fxtwitter.append_self_reply(thread, f"Long post {n}. " + "All work and no play. " * 70)
    await eventually(lambda: len(telegram.sent_to(dm)) == 2)
    first_url = page_link(telegram.messages_in(dm)[-2])
    fxtwitter.append_self_reply(thread, "The very last word.")
    await eventually(lambda: len(telegram.sent_to(dm)) == 3)
    [page] = telegraph.pages.values()
    assert (
        page_link(telegram.messages_in(dm)[-3]),
        first_url.startswith(telegraph.url),
        "Read the whole thread" in telegram.sent_to(dm)[0],
        page.edits,
        "The very last word." in str(page.content),
    ) == (first_url, True, True, 1, True)


@memory_only
async def test_unfollowed_answer_is_left_alone(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK)
    followed = await ask_and_follow(telegram, alice, dm, thread)
    telegram.press_button(alice, followed, button_data(followed, "Unfollow"))
    await eventually(lambda: "🔔 Follow" in labels(telegram.messages_in(dm)[-1]))
    grow(fxtwitter, thread, 2)
    await asyncio.sleep(QUIET_S)
    assert (len(telegram.sent_to(dm)), telegram.sent_to(dm)[0].endswith("2 posts")) == (1, True)


@memory_only
async def test_a_chat_past_its_cap_is_refused_politely(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    other = fxtwitter.add(build_thread(2, rich=False))
    await start_bot(**QUICK, follow_max_per_chat=1)
    await ask_and_follow(telegram, alice, dm, thread)
    telegram.user_sends(dm, x_link(other))
    await answers_in(telegram, dm, count=2)
    second = telegram.messages_in(dm)[-1]
    telegram.press_button(alice, second, button_data(second, "Follow"))
    await eventually(lambda: texts.follow_cap(1, ENGLISH) in toasts(telegram))
    assert labels(telegram.messages_in(dm)[-1])[1] == "🔔 Follow"


@memory_only
async def test_a_blocked_bot_stops_following_quietly(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK)
    await ask_and_follow(telegram, alice, dm, thread)
    telegram.block_chat(dm)
    grow(fxtwitter, thread, 1)
    await eventually(lambda: bool(refused_edits(telegram, dm)))
    grow(fxtwitter, thread, 1)
    await asyncio.sleep(QUIET_S)
    assert len(refused_edits(telegram, dm)) == 1


@memory_only
async def test_a_deleted_answer_stops_the_follow_quietly(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    """Telegram's 400 for a message that is gone: no new answer, no more edits."""
    await start_bot(**QUICK)
    answer = await ask_and_follow(telegram, alice, dm, thread)
    telegram.user_deletes(dm, answer)
    grow(fxtwitter, thread, 1)
    await eventually(lambda: bool(refused_edits(telegram, dm, status=400)))
    grow(fxtwitter, thread, 1)
    await asyncio.sleep(QUIET_S)
    assert (len(refused_edits(telegram, dm, status=400)), telegram.sent_to(dm)) == (1, [])


@memory_only
async def test_a_deleted_post_is_reported_like_new_ones(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot(**QUICK)
    await ask_and_follow(telegram, alice, dm, thread)
    thread.chain[1].deleted = True
    await eventually(lambda: len(telegram.sent_to(dm)) == 2)
    assert telegram.sent_to(dm)[1] == "−1 post deleted ↑"


@memory_only
async def test_a_deleted_thread_ends_the_follow_with_one_message(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK)
    await ask_and_follow(telegram, alice, dm, thread)
    thread.chain[0].deleted = True
    await eventually(lambda: len(telegram.sent_to(dm)) == 2)
    await asyncio.sleep(QUIET_S)
    assert telegram.sent_to(dm)[1:] == [answer_texts.THREAD_GONE]


@memory_only
async def test_a_follow_ends_after_its_time_without_new_posts(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK, follow_for_s=0.5)
    await ask_and_follow(telegram, alice, dm, thread)
    # Quiet for far longer than FOLLOW_FOR_S: the follow has ended, even if its last check
    # came late on a loaded machine.
    await asyncio.sleep(2 * QUIET_S)
    grow(fxtwitter, thread, 2)
    await asyncio.sleep(QUIET_S)
    assert telegram.sent_to(dm)[-1].endswith("Original on X · 2 posts")


@memory_only
async def test_fifty_followers_cost_one_fetch_per_check(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    thread: FakeThread,
) -> None:
    """One check fetches once and edits every follower's answer, through the shared limiter.

    A check may be between its fetch and its settling when the counts are read, hence ±1.
    """
    await start_bot(**QUICK)
    readers = [telegram.user(f"Reader{n}") for n in range(50)]
    chats = [telegram.private_chat(user) for user in readers]
    for chat in chats:
        telegram.user_sends(chat, x_link(thread))
    for chat in chats:
        await answers_in(telegram, chat)
    for user, chat in zip(readers, chats, strict=True):
        await follow(telegram, user, chat)
    fetches, checks = thread_fetches(fxtwitter), checks_so_far()
    edits = len(telegram.calls_to("editMessageText"))
    grow(fxtwitter, thread, 1)
    await eventually(lambda: all(len(telegram.sent_to(chat)) == 2 for chat in chats), timeout_s=30)
    statuses = [call.status for call in telegram.calls]
    assert (
        abs((thread_fetches(fxtwitter) - fetches) - (checks_so_far() - checks)) <= 1,
        len(telegram.calls_to("editMessageText")) - edits,
        statuses.count(429),
    ) == (True, 50, 0)


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
async def test_follows_survive_a_killed_process_and_two_processes_check_once(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    bot_settings: Callable[..., Settings],
    bot_process: Callable[..., Awaitable[BotProcess]],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    """SIGKILL the process running the scheduler; a restarted one and a worker beside it carry
    the follow on, and the change is told once, not once per process."""
    settings = bot_settings(**{**QUICK, "follow_first_check_s": 1.0, "job_reclaim_idle_s": 1.0})
    doomed = await bot_process("run", settings)
    await eventually(lambda: bool(telegram.calls_to("getUpdates")), timeout_s=20)
    await ask_and_follow(telegram, alice, dm, thread)
    doomed.kill()
    await doomed.process.wait()
    grow(fxtwitter, thread, 2)
    await bot_process("run", settings)
    await bot_process("worker", settings)
    await eventually(lambda: len(telegram.sent_to(dm)) == 2, timeout_s=30)
    await asyncio.sleep(2 * QUIET_S)
    assert (
        telegram.sent_to(dm)[0].endswith("Original on X · 4 posts"),
        telegram.sent_to(dm)[1:],
    ) == (True, ["+2 new posts ↑"])


@memory_only
async def test_follow_command_unrolls_and_follows_the_answer(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK)
    checks = checks_so_far()
    telegram.user_sends(dm, f"/follow {x_link(thread)}")
    await answers_in(telegram, dm)
    answer = telegram.messages_in(dm)[-1]
    # Followed before its answer was cached, so the first check (due at once) takes a snapshot.
    await eventually(lambda: checks_so_far() > checks)
    grow(fxtwitter, thread, 1)
    await eventually(lambda: len(telegram.sent_to(dm)) == 2)
    assert (
        labels(answer)[1],
        telegram.sent_to(dm)[0].endswith("Original on X · 3 posts"),
        telegram.sent_to(dm)[1],
    ) == ("🔕 Unfollow", True, "+1 new post ↑")


@memory_only
async def test_following_lists_the_threads_and_unfollows_from_the_list(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK)
    await ask_and_follow(telegram, alice, dm, thread)
    telegram.user_sends(dm, "/following")
    await answers_in(telegram, dm, count=2)
    listing = telegram.messages_in(dm)[-1]
    listed = (listing["text"].splitlines()[1], labels(listing))
    telegram.press_button(alice, listing, button_data(listing, "Unfollow 1"))
    await eventually(lambda: telegram.sent_to(dm)[-1] == texts.FOLLOWING_NONE)
    assert listed == (f"1. https://x.com/i/status/{thread.chain[0].id}", ["🔕 Unfollow 1"])


@memory_only
async def test_unfollow_command_ends_the_follow_of_its_link(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK)
    await ask_and_follow(telegram, alice, dm, thread)
    telegram.user_sends(dm, f"/unfollow {x_link(thread)}")
    await eventually(lambda: telegram.sent_to(dm)[-1] == texts.UNFOLLOWED)
    grow(fxtwitter, thread, 1)
    await asyncio.sleep(QUIET_S)
    assert telegram.sent_to(dm)[0].endswith("Original on X · 2 posts")


@memory_only
@pytest.mark.parametrize(("admin", "still_followed"), [(False, True), (True, False)])
async def test_in_groups_only_the_follower_or_an_admin_unfollows(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    thread: FakeThread,
    admin: bool,
    still_followed: bool,
) -> None:
    group = telegram.group("Readers")
    bob = telegram.user("Bob")
    if admin:
        telegram.make_admin(group, bob)
    await start_bot(**QUICK)
    telegram.user_sends(group, f"{x_link(thread)} @unrolltestbot", user=alice)
    await answers_in(telegram, group)
    followed = await follow(telegram, alice, group)
    telegram.press_button(bob, followed, button_data(followed, "Unfollow"))
    await eventually(lambda: len(toasts(telegram)) == 2)
    if still_followed:
        await asyncio.sleep(1.0)  # a redraw would follow its toast at once
    else:
        await eventually(lambda: "🔕 Unfollow" not in labels(telegram.messages_in(group)[-1]))
    assert ("🔕 Unfollow" in labels(telegram.messages_in(group)[-1])) is still_followed


@memory_only
async def test_a_group_that_switched_following_off_refuses_follows(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    thread: FakeThread,
) -> None:
    group = telegram.group("Readers")
    telegram.make_admin(group, alice)
    await start_bot(**QUICK)
    telegram.user_sends(group, "/settings", user=alice)
    await answers_in(telegram, group)
    telegram.press_button(alice, telegram.messages_in(group)[-1], "set:follow=off")
    await eventually(lambda: bool(telegram.calls_to("editMessageReplyMarkup")))
    telegram.user_sends(group, f"{x_link(thread)} @unrolltestbot", user=alice)
    await answers_in(telegram, group, count=2)
    answer = telegram.messages_in(group)[-1]
    telegram.press_button(alice, answer, button_data(answer, "Follow"))
    await eventually(lambda: texts.FOLLOWING_OFF in toasts(telegram))
    assert labels(telegram.messages_in(group)[-1])[1] == "🔔 Follow"


@memory_only
async def test_a_followed_inline_answer_is_edited_in_place(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    thread: FakeThread,
) -> None:
    await start_bot(**QUICK)
    query_id = telegram.inline_query(alice, x_link(thread))
    call = await telegram.wait_for_call(
        "answerInlineQuery", lambda call: call.params["inline_query_id"] == query_id
    )
    inline_id = telegram.choose_inline_result(alice, query_id, call.params["results"][0]["id"])
    assert inline_id is not None
    await eventually(lambda: "Original on X" in telegram.inline_message(inline_id)["text"])
    telegram.press_button(
        alice, inline_id, button_data(telegram.inline_message(inline_id), "Follow")
    )
    await eventually(lambda: "🔕 Unfollow" in labels(telegram.inline_message(inline_id)))
    grow(fxtwitter, thread, 1)
    await eventually(
        lambda: telegram.inline_message(inline_id)["text"].endswith("Original on X · 3 posts")
    )


@memory_only
async def test_a_followed_rich_answer_stays_one_rich_message(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    thread: FakeThread,
) -> None:
    """On a server with rich messages the followed answer is edited as one, not into text."""
    telegram.supports_rich_messages = True
    await start_bot(**QUICK)
    telegram.user_sends(dm, x_link(thread))
    await eventually(lambda: len(telegram.rich_sent_to(dm)) == 1)
    answer = await follow(telegram, alice, dm)
    grow(fxtwitter, thread, 2)
    await eventually(lambda: "And one more thing, number 2." in str(telegram.rich_sent_to(dm)))
    await eventually(lambda: telegram.sent_to(dm) == ["+2 new posts ↑"])
    assert telegram.messages_in(dm)[-2]["message_id"] == answer["message_id"]
