"""Mentions: platform-added reply mentions go, the author's own mentions stay."""

from __future__ import annotations

import pytest

from bot.cleaning.mentions import handle_key, strip_reply_mentions
from bot.model import Segment, SegmentKind, Thread
from tests.samples import post, text, thread
from tests.unit.cleaning.build import texts_of


def mention(handle: str) -> Segment:
    return Segment(SegmentKind.MENTION, f"@{handle}", f"https://example.social/@{handle}")


def _chain(*posts_segments: tuple[Segment, ...]) -> Thread:
    return thread(*(post(i, *segments) for i, segments in enumerate(posts_segments)))


def test_mentions_dropped_when_reply_repeats_earlier_mention() -> None:
    chain = _chain((text("Ask "), mention("alice"), text(".")), (mention("alice"), text(" Next.")))
    assert texts_of(strip_reply_mentions(chain)) == ["Ask @alice.", "Next."]


def test_mentions_dropped_when_text_starts_with_author_handle() -> None:
    chain = _chain((text("First."),), (text("@ada Second."),))
    assert texts_of(strip_reply_mentions(chain)) == ["First.", "Second."]


def test_mentions_dropped_when_several_lead_the_post() -> None:
    chain = _chain(
        (text("Hi "), mention("bob")), (mention("ada"), text(" "), mention("bob"), text(" Go"))
    )
    assert texts_of(strip_reply_mentions(chain)) == ["Hi @bob", "Go"]


def test_mentions_kept_on_first_post() -> None:
    chain = _chain((mention("ada"), text(" hello")), (text("Next."),))
    assert texts_of(strip_reply_mentions(chain)) == ["@ada hello", "Next."]


def test_mentions_kept_when_account_is_new_to_the_chain() -> None:
    chain = _chain((text("First."),), (mention("carol"), text(" what do you think?")))
    assert texts_of(strip_reply_mentions(chain)) == ["First.", "@carol what do you think?"]


def test_mentions_kept_when_written_inside_the_sentence() -> None:
    chain = _chain((text("Hi "), mention("bob")), (text("Thanks "), mention("bob")))
    assert texts_of(strip_reply_mentions(chain)) == ["Hi @bob", "Thanks @bob"]


def test_mentions_stop_at_first_unknown_account() -> None:
    chain = _chain((text("First."),), (text("@ada @carol hello"),))
    assert texts_of(strip_reply_mentions(chain)) == ["First.", "@carol hello"]


def test_mentions_leave_empty_text_when_post_was_only_mentions() -> None:
    chain = _chain((text("First."),), (mention("ada"),))
    assert strip_reply_mentions(chain).posts[1].text == ()


@pytest.mark.parametrize(
    ("handle", "expected"),
    [
        ("ada", "ada"),
        ("@Ada", "ada"),
        ("@ada@example.social", "ada"),
        ("ada@example.social", "ada"),
        ("@ada.bsky.social", "ada.bsky.social"),
    ],
)
def test_handle_key_names_the_account(handle: str, expected: str) -> None:
    assert handle_key(handle) == expected
