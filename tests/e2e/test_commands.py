"""Commands end to end: /start (and its deep links), /help, /unroll, and /settings per chat."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.listener import texts
from bot.listener.texts import ADMINS_ONLY
from tests.conftest import eventually
from tests.e2e.conftest import answers_in, labels, memory_only, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.telegram import FakeChat, FakeTelegram, FakeUser
from tests.fakes.telegraph import FakeTelegraph

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("quick_worker_stop")]


@pytest.fixture
def alice(telegram: FakeTelegram) -> FakeUser:
    return telegram.user("Alice")


@pytest.fixture
def dm(telegram: FakeTelegram, alice: FakeUser) -> FakeChat:
    return telegram.private_chat(alice)


async def change_setting(
    telegram: FakeTelegram, chat: FakeChat, user: FakeUser, change: str
) -> None:
    """Open /settings and press the button making `change` (e.g. "auto=on"), as an admin."""
    if chat.type != "private":
        telegram.make_admin(chat, user)
    sent, edited = len(telegram.sent_to(chat)), answered(telegram, "editMessageReplyMarkup")
    telegram.user_sends(chat, "/settings", user=user)
    panel = (await answers_in(telegram, chat, count=sent + 1))[-1]
    assert panel == "Settings for this chat"
    telegram.press_button(user, telegram.messages_in(chat)[-1], f"set:{change}")
    await eventually(lambda: answered(telegram, "editMessageReplyMarkup") > edited)


def answered(telegram: FakeTelegram, method: str) -> int:
    """Count the calls to `method` the fake has answered."""
    return sum(call.status is not None for call in telegram.calls_to(method))


@memory_only
@pytest.mark.parametrize(
    ("command", "start"),
    [("/start", texts.START[:20]), ("/start help", "How to ask")],
    ids=["greeting", "help-deep-link"],
)
async def test_start_answers_by_payload(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    dm: FakeChat,
    command: str,
    start: str,
) -> None:
    await start_bot()
    telegram.user_sends(dm, command)
    [answer] = await answers_in(telegram, dm)
    assert answer.startswith(start)


@memory_only
async def test_help_explains_privacy_mode_with_the_bot_name(
    telegram: FakeTelegram, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    await start_bot()
    telegram.user_sends(dm, "/help")
    [answer] = await answers_in(telegram, dm)
    assert ("Groups and privacy mode" in answer, "/unroll@UnrollTestBot" in answer) == (
        True,
        True,
    )


@memory_only
async def test_unroll_command_with_link_unrolls_it(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    thread = fxtwitter.add(build_thread(2, rich=False))
    await start_bot()
    telegram.user_sends(dm, f"/unroll {x_link(thread)}")
    [answer] = await answers_in(telegram, dm)
    assert answer.endswith("Original on X · 2 posts")


@memory_only
async def test_unroll_command_without_link_explains_usage(
    telegram: FakeTelegram, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    await start_bot()
    telegram.user_sends(dm, "/unroll")
    [answer] = await answers_in(telegram, dm)
    assert answer.startswith("Use /unroll with a link")


@pytest.mark.parametrize(
    ("backend", "change", "label"),
    [
        ("memory", "mode=original", "Reading: original"),
        ("memory", "output=message", "Answer: always a message"),
        ("memory", "auto=on", "Auto-unroll links: on"),
        ("redis", "auto=on", "Auto-unroll links: on"),
    ],
    indirect=["backend"],
)
async def test_setting_kept_for_the_next_settings_command(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    change: str,
    label: str,
) -> None:
    group = telegram.group("Readers")
    await start_bot()
    await change_setting(telegram, group, alice, change)
    telegram.user_sends(group, "/settings@UnrollTestBot", user=alice)
    await answers_in(telegram, group, count=2)
    assert label in labels(telegram.messages_in(group)[-1])


@memory_only
async def test_group_member_who_is_not_admin_cannot_change_settings(
    telegram: FakeTelegram, start_bot: Callable[..., Any], alice: FakeUser
) -> None:
    group = telegram.group("Readers")
    await start_bot()
    telegram.user_sends(group, "/settings@UnrollTestBot", user=alice)
    await answers_in(telegram, group, count=1)
    telegram.press_button(alice, telegram.messages_in(group)[-1], "set:auto=on")
    refusal = await telegram.wait_for_call("answerCallbackQuery")
    assert (refusal.params.get("text"), answered(telegram, "editMessageReplyMarkup")) == (
        ADMINS_ONLY,
        0,
    )


@memory_only
async def test_auto_unroll_answers_plain_links_once_on(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    """Auto-unroll needs the bot to see every message: privacy mode off (or admin rights)."""
    thread = fxtwitter.add(build_thread(2, rich=False))
    telegram.privacy_mode = False
    group, alice = telegram.group("Readers"), telegram.user("Alice")
    await start_bot()
    await change_setting(telegram, group, alice, "auto=on")
    telegram.user_sends(group, f"look {x_link(thread)}", user=alice)
    answers = await answers_in(telegram, group, count=2)
    assert answers[-1].endswith("Original on X · 2 posts")


@memory_only
async def test_always_page_answers_short_thread_with_page(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    telegraph: FakeTelegraph,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
) -> None:
    thread = fxtwitter.add(build_thread(2, rich=False))
    await start_bot(telegraph_api_url=telegraph.url)
    await change_setting(telegram, dm, alice, "output=message")
    await change_setting(telegram, dm, alice, "output=page")
    telegram.user_sends(dm, x_link(thread))
    await answers_in(telegram, dm, count=3)
    answer = telegram.messages_in(dm)[-1]
    [page] = telegraph.pages
    links = [e["url"] for e in answer["entities"] if e["type"] == "text_link"]
    assert links[-1] == f"{telegraph.url}/{page}"
