"""Asking in a private chat, end to end: links typed, forwarded or behind text links; refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot import jobs
from bot.listener import texts
from tests.e2e.conftest import answers_in, memory_only, x_link
from tests.fakes import bluesky as bluesky_fake
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeChat, FakeTelegram, FakeUser

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
def dm(telegram: FakeTelegram, alice: FakeUser) -> FakeChat:
    """Alice's private chat with the bot."""
    return telegram.private_chat(alice)


async def test_link_answered_first_with_placeholder_reply(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot(placeholder_after_ms=0)  # the placeholder at once
    asked = telegram.user_sends(dm, x_link(thread))
    first = await telegram.wait_for_call("sendMessage")
    assert (first.params["text"], first.params["reply_parameters"]["message_id"]) == (
        texts.PLACEHOLDER,
        asked["message_id"],
    )


async def test_link_answered_with_typing_action(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    telegram.user_sends(dm, x_link(thread))
    action = await telegram.wait_for_call("sendChatAction")
    assert (action.chat_id, action.params["action"]) == (dm.id, "typing")


async def test_placeholder_edited_into_the_answer(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    """One request leaves one message: the placeholder itself becomes the answer."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot(placeholder_after_ms=0)  # the placeholder at once
    telegram.user_sends(dm, x_link(thread))
    await answers_in(telegram, dm)
    placeholder = telegram.calls_to("sendMessage", dm)[0].result["message_id"]
    edited = {call.params["message_id"] for call in telegram.calls_to("editMessageText", dm)}
    assert (len(telegram.sent_to(dm)), edited) == (1, {placeholder})


async def test_answer_has_header_every_post_and_completeness_footer(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    telegram.user_sends(dm, f"have a look {x_link(thread, 1)} !")
    [answer] = await answers_in(telegram, dm)
    lines = answer.splitlines()
    bodies = [tweet.shown.removeprefix(f"{n}/ ") for n, tweet in enumerate(thread.chain, 1)]
    assert lines[0] == "Ada Lovelace 🧮 (@ada_lovelace)"
    assert lines[1].endswith(" · 1 min read · 3 posts")
    assert [body in answer for body in bodies] == [True, True, True]
    assert lines[-1] == "Original on X · 3 posts"


async def test_forwarded_link_unrolled(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    thread = fxtwitter.add(build_thread(2, rich=False))
    await start_bot()
    telegram.user_sends(dm, f"look {x_link(thread)}", forward_from=telegram.user("Bob"))
    [answer] = await answers_in(telegram, dm)
    assert answer.endswith("Original on X · 2 posts")


async def test_text_link_unrolled_by_its_target(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    """The visible words are no link at all; only the entity knows where it points."""
    thread = fxtwitter.add(build_thread(2, rich=False))
    await start_bot()
    text = "read this thread"
    entity = {"type": "text_link", "offset": 5, "length": 11, "url": x_link(thread)}
    telegram.user_sends(dm, text, entities=[entity])
    [answer] = await answers_in(telegram, dm)
    assert answer.endswith("Original on X · 2 posts")


async def test_mastodon_link_unrolled(
    telegram: FakeTelegram, mastodon: FakeMastodon, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    chain = mastodon.build_thread(3, other_replies=1)
    await start_bot()
    telegram.user_sends(dm, f"{mastodon.base}/@ada/{chain[0]['id']}")
    [answer] = await answers_in(telegram, dm)
    assert ["Part 1" in answer, "Part 3" in answer, answer.splitlines()[-1]] == [
        True,
        True,
        "Original on Mastodon · 3 posts · 3 replies by others skipped",
    ]


async def test_long_fetch_shows_progress_in_placeholder(
    telegram: FakeTelegram,
    mastodon: FakeMastodon,
    start_bot: Callable[..., Any],
    dm: FakeChat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """70 posts take two context pages; the count after the first reaches the placeholder.

    The 2-second spacing between progress edits is set to zero so no test waits for it.
    """
    monkeypatch.setattr(jobs, "PROGRESS_EVERY_S", 0.0)
    chain = mastodon.build_thread(70)
    await start_bot(placeholder_after_ms=0)  # the placeholder at once
    telegram.user_sends(dm, f"{mastodon.base}/@ada/{chain[0]['id']}")
    await answers_in(telegram, dm)
    edits = [call.params["text"] for call in telegram.calls_to("editMessageText", dm)]
    assert (edits[0].startswith("Unrolling… "), edits[0].endswith(" posts so far ⏳")) == (
        True,
        True,
    )


async def test_bluesky_link_unrolled(
    telegram: FakeTelegram, bluesky: FakeBluesky, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    posts = bluesky_fake.build_thread(3)
    bluesky.add(*posts)
    await start_bot(bluesky_api_url=bluesky.url)
    telegram.user_sends(dm, posts[2].url)
    [answer] = await answers_in(telegram, dm)
    assert (answer.splitlines()[0], answer.splitlines()[-1]) == (
        "Alice 🌸 Liddell (@alice.bsky.social)",
        "Original on Bluesky · 3 posts",
    )


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "https://example.com/blog/post",
            "That is not a link to a post on X, Mastodon or Bluesky.",
        ),
        ("https://www.threads.net/@zuck/post/C1a2b3c4d5e", "Threads is not supported yet."),
    ],
    ids=["unsupported", "threads"],
)
async def test_link_refused_with_one_sentence_and_no_placeholder(
    telegram: FakeTelegram,
    start_bot: Callable[..., Any],
    dm: FakeChat,
    text: str,
    sentence: str,
) -> None:
    await start_bot()
    telegram.user_sends(dm, text)
    assert await answers_in(telegram, dm) == [sentence]


async def test_deleted_post_answered_with_one_sentence(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    """FxTwitter answers 404 for a deleted post; the placeholder becomes the sentence."""
    thread = fxtwitter.add(build_thread(2, rich=False, deleted=[1]))
    await start_bot()
    telegram.user_sends(dm, x_link(thread, 1))
    assert await answers_in(telegram, dm) == ["That post is missing or was deleted."]


async def test_text_without_link_gets_a_hint(
    telegram: FakeTelegram, start_bot: Callable[..., Any], dm: FakeChat
) -> None:
    await start_bot()
    telegram.user_sends(dm, "hello, what can you do?")
    await telegram.wait_for_call("sendMessage")
    assert telegram.sent_to(dm) == [texts.PRIVATE_HINT]
