"""Every way of asking, end to end: the user's message in, the edited answer out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.telegram import FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def x_link(thread: Any, index: int = 0) -> str:
    tweet = thread.chain[index]
    return f"https://x.com/{thread.author.handle}/status/{tweet.id}"


async def test_link_in_private_chat_edits_the_placeholder_into_the_thread(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    user = telegram.user("Alice")
    chat = telegram.private_chat(user)
    telegram.user_sends(chat, f"have a look {x_link(thread, 1)} !", user=user)
    await telegram.wait_for_call("editMessageText")
    texts = telegram.sent_to(chat)
    assert len(texts) == 1
    assert "3 posts" in texts[0]
