"""Placeholders: the trailing link X adds for a post's own media goes."""

from __future__ import annotations

import pytest

from bot.cleaning.placeholders import is_media_placeholder, strip_media_placeholders
from bot.model import Media, MediaType
from tests.samples import link, post, text, thread

PHOTO = (Media(MediaType.PHOTO, "https://pbs.twimg.com/media/a.jpg"),)


@pytest.mark.parametrize(
    ("url", "has_media", "expected"),
    [
        ("https://x.com/ada/status/1/photo/1", False, True),
        ("https://twitter.com/ada/status/1/video/1", False, True),
        ("https://pic.twitter.com/AbC123", False, True),
        ("pic.x.com/AbC123", False, True),
        ("https://t.co/AbC123", True, True),
        ("https://t.co/AbC123", False, False),
        ("https://x.com/ada/status/1", True, False),
        ("https://example.com/photo/1", True, False),
    ],
)
def test_is_media_placeholder(url: str, has_media: bool, expected: bool) -> None:
    assert is_media_placeholder(url, has_media=has_media) is expected


def test_placeholder_link_dropped_when_at_end() -> None:
    photo_link = link("pic.x.com/AbC", "https://x.com/ada/status/1/photo/1")
    cleaned = strip_media_placeholders(thread(post(0, text("Look "), photo_link, media=PHOTO)))
    assert cleaned.posts[0].text == (text("Look"),)


def test_placeholder_dropped_when_written_in_text() -> None:
    cleaned = strip_media_placeholders(thread(post(0, text("Look https://t.co/AbC"), media=PHOTO)))
    assert cleaned.posts[0].text == (text("Look"),)


def test_placeholder_link_kept_when_not_at_end() -> None:
    photo_link = link("pic.x.com/AbC", "https://x.com/ada/status/1/photo/1")
    original = thread(post(0, text("See "), photo_link, text(" here"), media=PHOTO))
    assert strip_media_placeholders(original) == original


def test_short_link_kept_when_post_has_no_media() -> None:
    original = thread(post(0, text("Read "), link("t.co/AbC", "https://t.co/AbC")))
    assert strip_media_placeholders(original) == original
