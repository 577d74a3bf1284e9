"""Rich Messages end to end: the whole thread as one rich message, and classic where not known.

The fake Bot API plays a 10.1 server here (`supports_rich_messages`); the rest of the e2e suite
plays an older one, so every way of asking there is answered classically after the one refused
rich call, with no error shown to anyone.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import eventually
from tests.data import seed_thread as seed
from tests.e2e.conftest import memory_only, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.server import FakeServer
from tests.fakes.telegram import FakeChat, FakeTelegram
from tests.fakes.telegraph import FakeTelegraph

pytestmark = [pytest.mark.e2e, pytest.mark.slow, memory_only]

FILLER = " and the long middle of a post that goes on, as posts do, for a while more" * 2


@pytest.fixture
def rich_telegram(telegram: FakeTelegram) -> FakeTelegram:
    telegram.supports_rich_messages = True
    return telegram


@pytest.fixture
def seed_fxtwitter() -> Iterator[FakeServer]:
    """FxTwitter answering with the seed thread, asked from its fourth post."""

    async def thread(_request: Request) -> JSONResponse:
        return JSONResponse(seed.fxtwitter_thread(3))

    with FakeServer([Route("/2/thread/{id}", thread)], name="seed") as server:
        yield server


async def rich_answer(telegram: FakeTelegram, chat: FakeChat) -> dict[str, Any]:
    """Wait for the chat's one rich message and return its `rich_message`."""
    await eventually(lambda: len(telegram.rich_sent_to(chat)) == 1, timeout_s=20)
    return telegram.rich_sent_to(chat)[0]


def visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def in_order(text: str, parts: list[str]) -> bool:
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


async def test_the_seed_thread_is_one_rich_message_with_every_post_in_order(
    rich_telegram: FakeTelegram,
    seed_fxtwitter: FakeServer,
    start_bot: Callable[..., Any],
) -> None:
    await start_bot(fxtwitter_api_url=seed_fxtwitter.url)
    chat = rich_telegram.private_chat(rich_telegram.user())
    rich_telegram.user_sends(chat, f"https://x.com/{seed.X_HANDLE}/status/{seed.X_IDS[3]}")
    text = " ".join(visible((await rich_answer(rich_telegram, chat))["html"]).split())
    starts = [" ".join(start.split()) for start in seed.BODY_STARTS]
    assert (in_order(text, starts), "utm_" in text, rich_telegram.sent_to(chat)) == (
        True,
        False,
        [],  # the placeholder became the rich message: nothing classic is left in the chat
    )


async def test_fifty_posts_with_photos_and_quotes_are_one_rich_message(
    rich_telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
) -> None:
    thread = fxtwitter.add(build_thread(50))
    await start_bot()
    chat = rich_telegram.private_chat(rich_telegram.user())
    rich_telegram.user_sends(chat, x_link(thread))
    markup = (await rich_answer(rich_telegram, chat))["html"]
    text = visible(markup)
    # The fake's posts cycle through five texts: each shows once per post that has it.
    assert (
        "<img" in markup,
        "<blockquote" in markup,
        [text.count(words) for words in ("Fish & chips", "日本語のテキスト", "First line")],
        "50 posts" in text,
    ) == (True, True, [10, 10, 10], True)


async def test_two_hundred_posts_end_with_a_working_link_to_the_whole_thread(
    rich_telegram: FakeTelegram,
    telegraph: FakeTelegraph,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
) -> None:
    thread = build_thread(200, rich=False)
    for tweet in thread.chain:  # posts of a usual length: 200 of them are more than 32,768
        tweet.text += FILLER
        tweet.shown += FILLER
        tweet.display = (tweet.display[0], len(tweet.text))
    fxtwitter.add(thread)
    await start_bot(telegraph_api_url=telegraph.url)
    chat = rich_telegram.private_chat(rich_telegram.user())
    rich_telegram.user_sends(chat, x_link(thread))
    markup = (await rich_answer(rich_telegram, chat))["html"]
    links = re.findall(r'href="([^"]+)"', markup)
    [page_url] = [url for url in links if url.startswith(telegraph.url)]
    async with httpx.AsyncClient() as client:
        first = await client.get(html.unescape(page_url))
        # A long thread is a chain of Telegraph parts, each linking to the next.
        parts = [(await client.get(f"{telegraph.url}/{path}")).text for path in telegraph.pages]
    posts_on_pages = sum(part.count("the long middle of a post") for part in parts) // 2
    assert (
        first.status_code,
        posts_on_pages,
        "Continue reading" in markup,
        len(rich_telegram.sent_to(chat)),
    ) == (200, 200, True, 0)


async def test_refresh_edits_a_rich_answer_in_place(
    rich_telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
) -> None:
    thread = fxtwitter.add(build_thread(5, rich=False))
    await start_bot()
    chat = rich_telegram.private_chat(rich_telegram.user())
    rich_telegram.user_sends(chat, x_link(thread))
    await rich_answer(rich_telegram, chat)
    [answer] = [m for m in rich_telegram.messages_in(chat) if "rich_message" in m]
    refresh = answer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    rich_telegram.press_button(chat.user, answer, refresh)
    await eventually(
        lambda: "Refreshed" in rich_telegram.rich_sent_to(chat)[0]["html"], timeout_s=20
    )
    assert (len(rich_telegram.rich_sent_to(chat)), rich_telegram.sent_to(chat)) == (1, [])


async def test_an_older_bot_api_server_gets_the_classic_answer(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
) -> None:
    """The bot asks the server once, in no chat; every user sees the classic answer."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    chats = [telegram.private_chat(telegram.user(name)) for name in ("Ann", "Ben")]
    for chat in chats:
        telegram.user_sends(chat, x_link(thread))
        await eventually(lambda chat=chat: any("3 posts" in t for t in telegram.sent_to(chat)))
    refused = [c for c in telegram.calls_to("editMessageText") if c.status != 200]
    probes = [c.status for c in telegram.calls_to("sendRichMessage")]
    assert (probes, refused, [telegram.rich_sent_to(chat) for chat in chats]) == (
        [404],  # asked once, in no chat
        [],
        [[], []],
    )


async def test_inline_mode_offers_a_cached_thread_as_one_rich_message(
    rich_telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
) -> None:
    thread = fxtwitter.add(build_thread(60, rich=False))  # four classic messages' worth
    await start_bot()
    alice = rich_telegram.user("Alice")
    dm = rich_telegram.private_chat(alice)
    rich_telegram.user_sends(dm, x_link(thread))
    await rich_answer(rich_telegram, dm)
    query_id = rich_telegram.inline_query(alice, x_link(thread))
    call = await rich_telegram.wait_for_call(
        "answerInlineQuery", lambda call: call.params["inline_query_id"] == query_id
    )
    [result] = call.params["results"]
    inline_id = rich_telegram.choose_inline_result(alice, query_id, result["id"])
    assert inline_id is not None
    posted = rich_telegram.inline_message(inline_id)
    assert ("60 posts" in visible(posted["rich_message"]["html"]), "text" in posted) == (
        True,
        False,
    )


async def test_a_chosen_inline_placeholder_becomes_a_rich_message(
    rich_telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
) -> None:
    thread = fxtwitter.add(build_thread(60, rich=False))
    await start_bot()
    alice = rich_telegram.user("Alice")
    query_id = rich_telegram.inline_query(alice, x_link(thread))
    call = await rich_telegram.wait_for_call(
        "answerInlineQuery", lambda call: call.params["inline_query_id"] == query_id
    )
    [result] = call.params["results"]
    inline_id = rich_telegram.choose_inline_result(alice, query_id, result["id"])
    assert inline_id is not None
    await eventually(lambda: "rich_message" in rich_telegram.inline_message(inline_id))
    assert "60 posts" in visible(rich_telegram.inline_message(inline_id)["rich_message"]["html"])
