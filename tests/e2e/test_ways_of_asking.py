"""Every way of asking, end to end: the user's message in, the answer out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import answers_in, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.telegram import FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_link_in_private_chat_is_answered_with_the_thread_in_one_message(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    user = telegram.user("Alice")
    chat = telegram.private_chat(user)
    telegram.user_sends(chat, f"have a look {x_link(thread, 1)} !", user=user)
    await answers_in(telegram, chat)
    texts = telegram.sent_to(chat)
    assert len(texts) == 1
    assert "3 posts" in texts[0]


async def test_command_menu_is_set_when_the_listener_starts(
    telegram: FakeTelegram, start_bot: Callable[..., Any]
) -> None:
    await start_bot()
    call = await telegram.wait_for_call("setMyCommands")
    assert [c["command"] for c in call.params["commands"]] == [
        "unroll",
        "follow",
        "following",
        "unfollow",
        "settings",
        "help",
    ]
