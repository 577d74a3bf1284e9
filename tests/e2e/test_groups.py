"""Asking in groups and forum topics, end to end, with Telegram's privacy mode on.

With privacy mode the bot never sees a plain link someone posts; it sees mentions of itself,
commands addressed to it, and replies to its own messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.answering.texts import ALREADY_UNROLLED
from bot.listener import texts
from tests.e2e.conftest import answers_in, memory_only, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, FakeThread, build_thread
from tests.fakes.telegram import FakeChat, FakeTelegram, FakeUser

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("quick_worker_stop")]

FOOTER = "Original on X · 2 posts"


@pytest.fixture
def alice(telegram: FakeTelegram) -> FakeUser:
    return telegram.user("Alice")


@pytest.fixture
def bob(telegram: FakeTelegram) -> FakeUser:
    return telegram.user("Bob")


@pytest.fixture
def group(telegram: FakeTelegram) -> FakeChat:
    return telegram.group("Readers")


@pytest.fixture
def thread(fxtwitter: FakeFxTwitter) -> FakeThread:
    return fxtwitter.add(build_thread(2, rich=False))


@memory_only
@pytest.mark.parametrize("mention", ["@unrolltestbot", "@UNROLLTESTBOT unroll"])
async def test_mention_in_reply_unrolls_replied_link(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    group: FakeChat,
    alice: FakeUser,
    bob: FakeUser,
    thread: FakeThread,
    mention: str,
) -> None:
    await start_bot()
    posted = telegram.user_sends(group, f"wow {x_link(thread)}", user=bob)
    telegram.user_sends(group, mention, user=alice, reply_to=posted)
    [answer] = await answers_in(telegram, group)
    assert answer.endswith(FOOTER)


@memory_only
async def test_mention_next_to_link_unrolls_it(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    group: FakeChat,
    alice: FakeUser,
    thread: FakeThread,
) -> None:
    await start_bot()
    telegram.user_sends(group, f"{x_link(thread)} @UnrollTestBot", user=alice)
    [answer] = await answers_in(telegram, group)
    assert answer.endswith(FOOTER)


@memory_only
async def test_unroll_command_with_bot_name_as_reply_unrolls_replied_link(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    group: FakeChat,
    alice: FakeUser,
    bob: FakeUser,
    thread: FakeThread,
) -> None:
    await start_bot()
    posted = telegram.user_sends(group, x_link(thread), user=bob)
    telegram.user_sends(group, "/unroll@UnrollTestBot", user=alice, reply_to=posted)
    [answer] = await answers_in(telegram, group)
    assert answer.endswith(FOOTER)


@memory_only
async def test_answer_in_forum_topic_stays_in_topic(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    bob: FakeUser,
    thread: FakeThread,
) -> None:
    forum = telegram.group("Forum", forum=True)
    topic = telegram.create_topic(forum, "Threads to read", user=alice)
    await start_bot()
    posted = telegram.user_sends(forum, x_link(thread), user=bob, thread_id=topic)
    telegram.user_sends(forum, "@unrolltestbot", user=alice, reply_to=posted)
    await answers_in(telegram, forum)
    answer = telegram.messages_in(forum)[-1]
    assert (answer["message_thread_id"], answer["text"].endswith(FOOTER)) == (topic, True)


@memory_only
async def test_topic_root_pseudo_reply_is_no_reply(
    telegram: FakeTelegram, start_bot: Callable[..., Any], alice: FakeUser
) -> None:
    """In a topic every message "replies" to the topic's root; that is not asking about it."""
    forum = telegram.group("Forum", forum=True)
    topic = telegram.create_topic(forum, "Threads to read", user=alice)
    await start_bot()
    telegram.user_sends(forum, "@unrolltestbot", user=alice, thread_id=topic)
    await telegram.wait_for_call("sendMessage")
    answer = telegram.messages_in(forum)[-1]
    assert (answer["message_thread_id"], answer["text"]) == (topic, texts.NO_LINK_IN_REPLY)


async def test_repeated_request_points_to_earlier_answer(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    group: FakeChat,
    alice: FakeUser,
    bob: FakeUser,
    thread: FakeThread,
) -> None:
    """The same thread asked again (by another link spelling) gets a pointer, not a copy."""
    await start_bot()
    telegram.user_sends(group, f"@unrolltestbot {x_link(thread)}", user=alice)
    await answers_in(telegram, group)
    first = telegram.messages_in(group)[-1]
    telegram.user_sends(group, f"@unrolltestbot {x_link(thread, host='twitter.com')}", user=bob)
    await answers_in(telegram, group, count=2)
    again = telegram.messages_in(group)[-1]
    assert (again["text"], again["reply_to_message"]["message_id"]) == (
        ALREADY_UNROLLED,
        first["message_id"],
    )


@memory_only
async def test_simultaneous_requests_answered_once(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    group: FakeChat,
    alice: FakeUser,
    bob: FakeUser,
    thread: FakeThread,
) -> None:
    """Asked twice before any answer exists: one placeholder gets the thread, one the pointer.

    Which one depends on which request reached the queue first, not on placeholder order.
    """
    telegram.user_sends(group, f"@unrolltestbot {x_link(thread)}", user=alice)
    telegram.user_sends(group, f"@unrolltestbot {x_link(thread)}", user=bob)
    await start_bot()  # both requests arrive in one batch, handled concurrently
    answers = await answers_in(telegram, group, count=2)
    pointers = [answer for answer in answers if answer == ALREADY_UNROLLED]
    threads = [answer for answer in answers if answer.endswith(FOOTER)]
    assert (len(pointers), len(threads)) == (1, 1)


@memory_only
async def test_request_over_quota_answered_politely(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    group: FakeChat,
    alice: FakeUser,
    thread: FakeThread,
) -> None:
    await start_bot(user_quota_per_minute=1)
    telegram.user_sends(group, f"@unrolltestbot {x_link(thread)}", user=alice)
    await answers_in(telegram, group)
    telegram.user_sends(group, f"@unrolltestbot {x_link(thread, 1)}", user=alice)
    assert (await answers_in(telegram, group, count=2))[-1] == texts.QUOTA
