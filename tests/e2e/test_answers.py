"""How a thread is answered, end to end: one message, a page, split messages, a file; buttons.

A thread too long for one message goes to Telegraph; when Telegraph is down, to the bot's own
reader page if PUBLIC_BASE_URL is set, otherwise into a few messages, and past
`max_split_messages` into a Markdown file. The buttons under an answer refresh it in place or
send it as a document.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from telegram.constants import MessageLimit

from tests.conftest import eventually
from tests.e2e.conftest import answers_in, button_data, memory_only, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, FakeThread, build_thread
from tests.fakes.server import free_port
from tests.fakes.telegram import FakeChat, FakeTelegram, FakeUser, Json
from tests.fakes.telegraph import FakeTelegraph

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.usefixtures("quick_worker_stop"),
    memory_only,
]

LONG_POSTS = 150  # about 9,000 UTF-16 units once rendered: more than two messages hold
ARABIC = "مرحبا"  # in every fifth post from the fifth on: past any title or summary


@pytest.fixture
def alice(telegram: FakeTelegram) -> FakeUser:
    return telegram.user("Alice")


@pytest.fixture
def dm(telegram: FakeTelegram, alice: FakeUser) -> FakeChat:
    return telegram.private_chat(alice)


@pytest.fixture
def long_thread(fxtwitter: FakeFxTwitter) -> FakeThread:
    return fxtwitter.add(build_thread(LONG_POSTS, rich=False))


def links_in(message: Json) -> list[str]:
    """Return the targets of a message's text links, in order."""
    return [e["url"] for e in message.get("entities", []) if e["type"] == "text_link"]


async def test_long_thread_answered_with_teaser_linking_telegraph_page(
    telegram: FakeTelegram,
    telegraph: FakeTelegraph,
    start_bot: Callable[..., Any],
    dm: FakeChat,
    long_thread: FakeThread,
) -> None:
    await start_bot(telegraph_api_url=telegraph.url)
    telegram.user_sends(dm, x_link(long_thread))
    [teaser] = await answers_in(telegram, dm)
    page_url = links_in(telegram.messages_in(dm)[-1])[-1]
    async with httpx.AsyncClient() as client:
        page = await client.get(page_url)
    assert (
        f"{LONG_POSTS} posts · " in teaser,
        teaser.endswith(" min read\nRead the whole thread"),
        page_url.startswith(telegraph.url),
        page.text.count(ARABIC),
    ) == (True, True, True, LONG_POSTS // 5)


async def test_long_thread_asked_again_from_the_cache_gets_the_same_page(
    telegram: FakeTelegram,
    telegraph: FakeTelegraph,
    start_bot: Callable[..., Any],
    long_thread: FakeThread,
) -> None:
    """A widely shared long thread must not make one Telegraph page per person."""
    await start_bot(telegraph_api_url=telegraph.url)
    chats = [telegram.private_chat(telegram.user(name)) for name in ("Ann", "Ben")]
    for chat in chats:
        telegram.user_sends(chat, x_link(long_thread))
        await answers_in(telegram, chat)
    page_links = [links_in(telegram.messages_in(chat)[-1])[-1] for chat in chats]
    assert (page_links[0] == page_links[1], len(telegraph.pages)) == (True, 1)


async def test_teaser_carries_refresh_follow_markdown_and_epub_buttons(
    telegram: FakeTelegram,
    telegraph: FakeTelegraph,
    start_bot: Callable[..., Any],
    dm: FakeChat,
    long_thread: FakeThread,
) -> None:
    await start_bot(telegraph_api_url=telegraph.url)
    telegram.user_sends(dm, x_link(long_thread))
    await answers_in(telegram, dm)
    rows = telegram.messages_in(dm)[-1]["reply_markup"]["inline_keyboard"]
    assert [button["text"] for row in rows for button in row] == [
        "🔄 Refresh",
        "🔔 Follow",
        "Markdown",
        "EPUB",
    ]


async def test_own_reader_page_served_when_telegraph_is_down(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    dm: FakeChat,
    long_thread: FakeThread,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    await start_bot(web_port=port, public_base_url=base)  # Telegraph's URL is unreachable
    telegram.user_sends(dm, x_link(long_thread))
    await answers_in(telegram, dm)
    page_url = links_in(telegram.messages_in(dm)[-1])[-1]
    async with httpx.AsyncClient() as client:
        page = await client.get(page_url)
    assert (page_url.startswith(f"{base}/read/"), page.status_code, page.text.count(ARABIC)) == (
        True,
        200,
        LONG_POSTS // 5,
    )


async def test_long_thread_split_into_messages_without_any_page(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    dm: FakeChat,
    long_thread: FakeThread,
) -> None:
    await start_bot()
    telegram.user_sends(dm, x_link(long_thread))
    await eventually(lambda: any("Original on X" in text for text in telegram.sent_to(dm)))
    parts = await answers_in(telegram, dm)
    assert (
        len(parts) > 1,
        max(len(part.encode("utf-16-le")) // 2 for part in parts) <= MessageLimit.MAX_TEXT_LENGTH,
        "".join(parts).count(ARABIC),
        parts[-1].endswith(f"Original on X · {LONG_POSTS} posts"),
    ) == (True, True, LONG_POSTS // 5, True)


async def test_thread_past_split_limit_sent_as_markdown_file(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    dm: FakeChat,
    long_thread: FakeThread,
) -> None:
    await start_bot(max_split_messages=1)
    telegram.user_sends(dm, x_link(long_thread))
    await eventually(lambda: bool(telegram.documents_sent(dm)))
    [document] = telegram.documents_sent(dm)
    assert document.file.filename is not None
    assert document.file.content is not None
    assert (
        document.file.filename.endswith(".md"),
        document.file.content.decode().count(ARABIC),
        len(telegram.sent_to(dm)),
    ) == (True, LONG_POSTS // 5, 1)


async def test_refresh_edits_answer_in_place_and_tells_what_changed(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
) -> None:
    whole = build_thread(3, rich=False)
    fxtwitter.add(FakeThread(whole.author, whole.chain[:2]))
    await start_bot()
    telegram.user_sends(dm, x_link(whole))
    await answers_in(telegram, dm)
    fxtwitter.add(FakeThread(whole.author, whole.chain[2:]))  # the author went on meanwhile
    answer = telegram.messages_in(dm)[-1]
    telegram.press_button(alice, answer, button_data(answer, "Refresh"))
    await eventually(lambda: "Refreshed" in telegram.sent_to(dm)[0])
    [refreshed] = telegram.sent_to(dm)
    assert refreshed.endswith("Original on X · 3 posts\n\nRefreshed: 1 new post.")


async def test_refresh_of_split_answer_edits_pressed_part_and_sends_file(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    long_thread: FakeThread,
) -> None:
    """Only the pressed part can be edited; sending the parts again would duplicate them."""
    await start_bot()
    telegram.user_sends(dm, x_link(long_thread))
    await eventually(lambda: any("Original on X" in text for text in telegram.sent_to(dm)))
    parts = len(telegram.sent_to(dm))
    last = telegram.messages_in(dm)[-1]
    telegram.press_button(alice, last, button_data(last, "Refresh"))
    await eventually(lambda: bool(telegram.documents_sent(dm)))
    texts = telegram.sent_to(dm)
    assert (len(texts), texts[-1].endswith("Refreshed: no new posts.")) == (parts, True)


@pytest.mark.parametrize(
    ("label", "extension", "opening"),
    [("Markdown", ".md", b"---\n"), ("EPUB", ".epub", b"PK\x03\x04")],
)
async def test_file_button_sends_the_thread_as_document(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
    label: str,
    extension: str,
    opening: bytes,
) -> None:
    thread = fxtwitter.add(build_thread(2, rich=False))
    await start_bot()
    telegram.user_sends(dm, x_link(thread))
    await answers_in(telegram, dm)
    answer = telegram.messages_in(dm)[-1]
    telegram.press_button(alice, answer, button_data(answer, label))
    await eventually(lambda: bool(telegram.documents_sent(dm)))
    [document] = telegram.documents_sent(dm)
    assert document.file.filename is not None
    assert document.file.content is not None
    assert (document.file.filename.endswith(extension), document.file.content[:4]) == (
        True,
        opening,
    )


async def test_file_button_works_after_the_result_cache_expired(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    alice: FakeUser,
    dm: FakeChat,
) -> None:
    """The answer's buttons are pressed days later; the thread kept for them answers."""
    thread = fxtwitter.add(build_thread(2, rich=False))
    await start_bot(result_cache_ttl_s=1)
    telegram.user_sends(dm, x_link(thread))
    await answers_in(telegram, dm)
    await asyncio.sleep(1.5)  # the result cache has forgotten the thread by now
    answer = telegram.messages_in(dm)[-1]
    telegram.press_button(alice, answer, button_data(answer, "Markdown"))
    await eventually(lambda: bool(telegram.documents_sent(dm)))
    assert (len(telegram.documents_sent(dm)), len(fxtwitter.server.requests.all())) == (1, 1)
