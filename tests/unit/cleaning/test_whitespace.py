"""Whitespace: posts trimmed, blank lines collapsed, posts left with nothing dropped."""

from __future__ import annotations

import pytest

from bot.cleaning.whitespace import collapse_blank_lines, drop_empty_posts, tidy_whitespace
from bot.model import Media, MediaType, Quote
from tests.samples import link, post, text, thread
from tests.unit.cleaning.build import texts_of, thread_of, with_post


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\n\n\n\nb", "a\n\nb"),
        ("a\n\nb", "a\n\nb"),
        ("a\nb", "a\nb"),
        ("a \n \n \nb", "a\n\nb"),
        ("a\r\n\r\n\r\nb", "a\n\nb"),
        ("a  b", "a  b"),
    ],
)
def test_collapse_blank_lines(value: str, expected: str) -> None:
    assert collapse_blank_lines(value) == expected


def test_tidy_trims_post_edges_only_in_text() -> None:
    tidied = tidy_whitespace(
        thread(post(0, text("  "), link(" a ", "https://a.example"), text(" \n")))
    )
    assert tidied.posts[0].text == (link(" a ", "https://a.example"),)


def test_tidy_merges_neighbouring_text() -> None:
    tidied = tidy_whitespace(thread(post(0, text("a "), text("b"))))
    assert tidied.posts[0].text == (text("a b"),)


def test_empty_post_dropped_when_nothing_attached() -> None:
    assert texts_of(drop_empty_posts(thread_of("Cats", "", "Owls"))) == ["Cats", "Owls"]


@pytest.mark.parametrize(
    "attachment",
    [
        {"media": (Media(MediaType.PHOTO, "https://img.example/a.jpg"),)},
        {"quote": Quote(url="https://x.com/b/status/1")},
    ],
    ids=["media", "quote"],
)
def test_empty_post_kept_when_something_attached(attachment: dict[str, object]) -> None:
    kept = drop_empty_posts(with_post(thread_of("Cats", ""), 1, **attachment))
    assert len(kept.posts) == 2


def test_dropped_post_passes_its_gap_on() -> None:
    gapped = with_post(thread_of("Cats", "", "Owls"), 1, gap_before=2)
    assert [p.gap_before for p in drop_empty_posts(gapped).posts] == [0, 2]


def test_empty_posts_kept_when_all_are_empty() -> None:
    empty = thread_of("", "")
    assert drop_empty_posts(empty) == empty
