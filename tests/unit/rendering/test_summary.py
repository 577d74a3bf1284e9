"""The shared words of every output: captions of gaps, media, quotes and polls; excerpts;
the completeness line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.i18n import ENGLISH
from bot.model import Author, Media, MediaType, Poll, PollOption, Quote, Report
from bot.rendering import summary
from tests.samples import post, rich_thread, text, thread


@pytest.mark.parametrize(
    ("count", "expected"), [(1, "⋯ 1 deleted post"), (3, "⋯ 3 deleted posts")]
)
def test_gap_text_counts_posts(count: int, expected: str) -> None:
    assert summary.gap_text(count, ENGLISH) == expected


@pytest.mark.parametrize(
    ("media", "expected"),
    [
        (Media(MediaType.PHOTO, "u", alt="A chart"), "🖼 Photo: A chart"),
        (Media(MediaType.PHOTO, "u"), "🖼 Photo"),
        (Media(MediaType.VIDEO, "u", alt="two\nlines"), "🎞 Video: two lines"),
        (Media(MediaType.GIF, "u"), "🎞 GIF"),
    ],
    ids=["photo-alt", "photo-no-alt", "video-alt-folded", "gif"],
)
def test_media_caption_names_kind_and_alt(media: Media, expected: str) -> None:
    assert summary.media_caption(media, ENGLISH) == expected


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        (Quote("u", author=Author("bob", "Bob", "b")), "Bob (@bob)"),
        (Quote("u"), "Quoted post"),
        (Quote(None, unavailable=True), "Quoted post unavailable"),
    ],
    ids=["author", "no-author", "unavailable"],
)
def test_quote_caption(quote: Quote, expected: str) -> None:
    assert summary.quote_caption(quote, ENGLISH) == expected


_END = datetime(2025, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("poll", "expected"),
    [
        (Poll((PollOption("a", 1),), total_votes=4), "📊 Poll · 4 votes"),
        (Poll((PollOption("a", 1), PollOption("b", 2))), "📊 Poll · 3 votes"),
        (Poll((PollOption("a"), PollOption("b", 2))), "📊 Poll"),
        (Poll((PollOption("a", 1),), closed=True), "📊 Poll · 1 vote · final results"),
        (Poll((PollOption("a", 0),), ends_at=_END), "📊 Poll · 0 votes · ends 5 Mar 2025"),
    ],
    ids=["total", "summed", "unknown", "closed", "ends"],
)
def test_poll_caption(poll: Poll, expected: str) -> None:
    assert summary.poll_caption(poll, ENGLISH) == expected


@pytest.mark.parametrize(
    ("option", "poll", "expected"),
    [
        (PollOption("Yes", 3), Poll((), total_votes=4), "Yes — 3 votes (75%)"),
        (PollOption("Yes", 1), Poll((), total_votes=3), "Yes — 1 vote (33%)"),
        (PollOption("Yes", 0), Poll((), total_votes=0), "Yes — 0 votes"),
        (PollOption("Yes"), Poll((), total_votes=4), "Yes"),
    ],
    ids=["share", "rounded", "no-votes-at-all", "unknown-votes"],
)
def test_poll_option_text(option: PollOption, poll: Poll, expected: str) -> None:
    assert summary.poll_option_text(option, poll, ENGLISH) == expected


@pytest.mark.parametrize(
    ("value", "max_chars", "expected"),
    [
        ("short  text\nhere", 80, "short text here"),
        ("one two three four", 9, "one two…"),
        ("one two three four", 7, "one two…"),
        ("Done. More words follow", 8, "Done."),
        ("first, second", 8, "first…"),
    ],
    ids=["folded", "word-boundary", "word-ending-at-limit", "sentence-end", "trailing-comma"],
)
def test_excerpt_cuts_at_word_boundary(value: str, max_chars: int, expected: str) -> None:
    assert summary.excerpt(value, max_chars=max_chars) == expected


def test_title_falls_back_to_author_when_first_post_is_empty() -> None:
    assert summary.title(thread(post(0, text("  "))), ENGLISH) == "Thread by Ada <Lovelace> & Co"


def test_title_is_the_warning_when_the_first_post_has_one() -> None:
    spoiler = thread(post(0, text("The butler did it."), content_warning="film ending"))
    assert summary.title(spoiler, ENGLISH) == "CW: film ending"


def test_byline_facts_give_start_date_and_reading_time() -> None:
    assert summary.byline_facts(rich_thread(), ENGLISH) == "3 Mar 2025 · 1 min read"


def test_source_name_is_the_platform_display_name() -> None:
    assert summary.source_name(rich_thread()) == "X"


FORKED = Report(
    posts=5,
    complete=False,
    other_branch_posts=3,
    other_branch_url="https://x.com/ada/status/2000",
)


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (FORKED, "5 posts · the author also replied elsewhere: 3 posts not shown"),
        (
            replace(FORKED, other_branch_posts=1, other_branch_more=True),
            "5 posts · the author also replied elsewhere: at least 1 post not shown",
        ),
        (
            replace(FORKED, note="cut at 5 posts; the thread goes on"),
            "5 posts · the author also replied elsewhere: 3 posts not shown"
            " · cut at 5 posts; the thread goes on",
        ),
        (Report(posts=5, complete=False), "5 posts · may be incomplete"),
    ],
    ids=["fork", "fork-partly-fetched", "fork-and-cap", "no-fork"],
)
def test_completeness_line_tells_of_other_branches(report: Report, expected: str) -> None:
    """A fork alone needs no "may be incomplete": the branch words say what is missing."""
    assert summary.completeness_line(report, ENGLISH) == expected


def test_completeness_runs_link_only_the_other_branch() -> None:
    assert [url for _text, url in summary.completeness_runs(FORKED, ENGLISH)] == [
        None,
        None,
        "https://x.com/ada/status/2000",
    ]
