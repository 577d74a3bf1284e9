"""tidy_segments: joints closed after a cut, and tidy posts handed back untouched."""

from __future__ import annotations

import pytest

from bot.cleaning.segments import text_segment, tidy_segments, with_posts
from bot.model import Segment, SegmentKind
from tests.samples import link, post, text, thread

MENTION = Segment(SegmentKind.MENTION, "@bob", "https://x.com/bob")


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        ((text("  a"), text("b "), MENTION), (text("ab "), MENTION)),
        (
            (MENTION, text(" a "), text(""), link("l", "https://l")),
            (MENTION, text(" a "), link("l", "https://l")),
        ),
        ((text("\u00a0a\u2003"),), (text("a"),)),
        ((Segment(SegmentKind.TEXT, "a", "https://stray"),), (text("a"),)),
        ((MENTION, text(""), MENTION), (MENTION, MENTION)),
    ],
    ids=[
        "merge-and-trim",
        "drop-empty-inside",
        "unicode-spaces",
        "edge-url-dropped",
        "empty-between",
    ],
)
def test_tidy_segments_closes_joints_when_a_cut_left_them_open(
    segments: tuple[Segment, ...], expected: tuple[Segment, ...]
) -> None:
    assert tidy_segments(segments) == expected


def test_tidy_segments_returns_tidy_segments_as_they_are() -> None:
    """Steps compare the result with the post's text, so a tidy post must cost no rebuild."""
    segments = (text("Hello "), MENTION, text(" and "), link("l", "https://l"))
    assert tidy_segments(segments) is segments


def test_tidy_segments_keeps_an_edge_it_did_not_trim() -> None:
    """Only the joint that needed it is rebuilt; the untouched edge stays the same object."""
    last = text(" world")
    tidied = tidy_segments((text(" Hello"), MENTION, last))
    assert (tidied, tidied[-1] is last) == ((text("Hello"), MENTION, last), True)


def test_text_segment_reuses_a_segment_that_already_shows_the_text() -> None:
    segment = text("kept")
    assert text_segment("kept", segment) is segment


@pytest.mark.parametrize(
    "was",
    [text("before"), Segment(SegmentKind.TEXT, "after", "https://l"), link("after", "https://l")],
    ids=["other-text", "text-with-url", "link"],
)
def test_text_segment_builds_plain_text_otherwise(was: Segment) -> None:
    assert text_segment("after", was) == Segment(SegmentKind.TEXT, "after")


def test_with_posts_hands_back_the_thread_when_every_post_came_back() -> None:
    sample = thread(post(0), post(1))
    assert with_posts(sample, list(sample.posts)) is sample


def test_with_posts_holds_the_new_posts_otherwise() -> None:
    sample = thread(post(0), post(1))
    changed = post(1, text("changed"))
    assert with_posts(sample, [sample.posts[0], changed]).posts == (sample.posts[0], changed)
