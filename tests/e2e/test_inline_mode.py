"""Inline mode end to end: `@bot LINK` offers the thread, or a placeholder edited when done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import eventually
from tests.e2e.conftest import answers_in, memory_only, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, FakeThread, build_thread
from tests.fakes.telegram import FakeTelegram, FakeUser, Json

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.usefixtures("quick_worker_stop"),
    memory_only,
]


@pytest.fixture
def alice(telegram: FakeTelegram) -> FakeUser:
    return telegram.user("Alice")


@pytest.fixture
def thread(fxtwitter: FakeFxTwitter) -> FakeThread:
    return fxtwitter.add(build_thread(2, rich=False))


async def offered(telegram: FakeTelegram, user: FakeUser, query: str) -> tuple[str, list[Json]]:
    """Type `@bot query` and return the query id with the results the bot offered."""
    query_id = telegram.inline_query(user, query)
    call = await telegram.wait_for_call(
        "answerInlineQuery", lambda call: call.params["inline_query_id"] == query_id
    )
    return query_id, list(call.params["results"])


async def test_uncached_thread_offered_as_placeholder(
    telegram: FakeTelegram, start_bot: Callable[..., Any], alice: FakeUser, thread: FakeThread
) -> None:
    await start_bot()
    _, [result] = await offered(telegram, alice, x_link(thread))
    assert result["input_message_content"]["message_text"].startswith("Unrolling https://x.com/")


async def test_chosen_placeholder_edited_into_thread(
    telegram: FakeTelegram, start_bot: Callable[..., Any], alice: FakeUser, thread: FakeThread
) -> None:
    await start_bot()
    query_id, [result] = await offered(telegram, alice, x_link(thread))
    inline_id = telegram.choose_inline_result(alice, query_id, result["id"])
    assert inline_id is not None

    def edited() -> bool:
        assert inline_id is not None
        return not telegram.inline_message(inline_id)["text"].startswith("Unrolling")

    await eventually(edited)
    assert telegram.inline_message(inline_id)["text"].endswith("Original on X · 2 posts")


async def test_cached_thread_offered_whole(
    telegram: FakeTelegram, start_bot: Callable[..., Any], alice: FakeUser, thread: FakeThread
) -> None:
    await start_bot()
    dm = telegram.private_chat(alice)
    telegram.user_sends(dm, x_link(thread))
    await answers_in(telegram, dm)
    _, [result] = await offered(telegram, alice, x_link(thread))
    text = result["input_message_content"]["message_text"]
    assert (result["description"], "Original on X</a> · 2 posts" in text) == ("2 posts", True)


async def test_unsupported_link_offered_as_its_sentence(
    telegram: FakeTelegram, start_bot: Callable[..., Any], alice: FakeUser
) -> None:
    await start_bot()
    _, [result] = await offered(telegram, alice, "https://www.threads.net/@zuck/post/C1a2b3")
    assert result["input_message_content"]["message_text"] == "Threads is not supported yet."


async def test_refresh_edits_inline_message_and_tells_what_changed(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
) -> None:
    whole = build_thread(3, rich=False)
    fxtwitter.add(FakeThread(whole.author, whole.chain[:2]))
    await start_bot()
    query_id, [result] = await offered(telegram, alice, x_link(whole))
    inline_id = telegram.choose_inline_result(alice, query_id, result["id"])
    assert inline_id is not None
    await eventually(lambda: "Original on X" in telegram.inline_message(inline_id)["text"])
    fxtwitter.add(FakeThread(whole.author, whole.chain[2:]))  # the author went on meanwhile
    [[refresh, _follow]] = telegram.inline_message(inline_id)["reply_markup"]["inline_keyboard"]
    telegram.press_button(alice, inline_id, refresh["callback_data"])
    await eventually(lambda: "Refreshed" in telegram.inline_message(inline_id)["text"])
    assert telegram.inline_message(inline_id)["text"].endswith(
        "Original on X · 3 posts\n\nRefreshed: 1 new post."
    )


async def test_an_inline_offer_lost_in_transit_is_offered_again(
    telegram: FakeTelegram, start_bot: Callable[..., Any], alice: FakeUser, thread: FakeThread
) -> None:
    """The soak found it: a 502 on answerInlineQuery left the user's popup empty for good."""
    await start_bot()
    telegram.fail_next("answerInlineQuery", 502, times=2)
    query_id = telegram.inline_query(alice, x_link(thread))
    await eventually(
        lambda: any(call.status == 200 for call in telegram.calls_to("answerInlineQuery"))
    )
    statuses = [
        call.status
        for call in telegram.calls_to("answerInlineQuery")
        if call.params["inline_query_id"] == query_id
    ]
    assert statuses == [502, 502, 200]
