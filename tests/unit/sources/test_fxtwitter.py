"""Pure parts of the FxTwitter source: X entities → Segments, and the chain from an envelope."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import PostUnavailableError, SourceError
from bot.model import Platform, Segment, SegmentKind, ThreadKey
from bot.sources.fxtwitter import JsonObject, XEntity, build_segments, parse_thread

TEXT, LINK = SegmentKind.TEXT, SegmentKind.LINK
MENTION, HASHTAG = SegmentKind.MENTION, SegmentKind.HASHTAG
TCO = "https://t.co/abc"


@pytest.mark.parametrize(
    ("raw", "entities", "display", "expected"),
    [
        pytest.param(
            "🚀💭 #tag",
            [XEntity(3, 7, HASHTAG, "https://x.com/hashtag/tag", expected="tag")],
            (),
            (Segment(TEXT, "🚀💭 "), Segment(HASHTAG, "#tag", "https://x.com/hashtag/tag")),
            id="astral-emoji-count-one-code-point-each",
        ),
        pytest.param(
            f"Привет {TCO} 世界",
            [XEntity(7, 23, LINK, "https://ex.org/путь", "ex.org/путь", expected=TCO)],
            (),
            (
                Segment(TEXT, "Привет "),
                Segment(LINK, "ex.org/путь", "https://ex.org/путь"),
                Segment(TEXT, " 世界"),
            ),
            id="link-shows-display-and-targets-expanded-url",
        ),
        pytest.param(
            f"@bob hi {TCO}",
            [
                XEntity(0, 4, MENTION, "https://x.com/bob", expected="bob"),
                XEntity(8, 24, None, expected=TCO),
            ],
            (5, 7),
            (Segment(TEXT, "hi"),),
            id="display-range-drops-reply-mention-and-media-link",
        ),
        pytest.param(
            "a &amp; b @bob",
            [XEntity(6, 10, MENTION, "https://x.com/bob", expected="bob")],
            (),
            (Segment(TEXT, "a & b "), Segment(MENTION, "@bob", "https://x.com/bob")),
            id="offsets-counting-plain-text",
        ),
        pytest.param(
            "a &amp; b @bob",
            [XEntity(10, 14, MENTION, "https://x.com/bob", expected="bob")],
            (),
            (Segment(TEXT, "a & b "), Segment(MENTION, "@bob", "https://x.com/bob")),
            id="offsets-counting-escaped-text",
        ),
        pytest.param(
            "see #b and #a",
            [
                XEntity(11, 13, HASHTAG, "https://x.com/hashtag/a", expected="a"),
                XEntity(4, 6, HASHTAG, "https://x.com/hashtag/b", expected="b"),
            ],
            (),
            (
                Segment(TEXT, "see "),
                Segment(HASHTAG, "#b", "https://x.com/hashtag/b"),
                Segment(TEXT, " and "),
                Segment(HASHTAG, "#a", "https://x.com/hashtag/a"),
            ),
            id="facets-in-any-order",
        ),
    ],
)
def test_build_segments_cuts_at_entities(
    raw: str, entities: list[XEntity], display: tuple[int, ...], expected: tuple[Segment, ...]
) -> None:
    assert build_segments(raw, entities, display) == expected


def _status(post_id: str, user_id: str, handle: str, parent: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {
        "type": "status",
        "id": post_id,
        "raw_text": {"text": f"post {post_id}", "facets": []},
        "author": {"id": user_id, "screen_name": handle, "name": handle.title()},
        "created_timestamp": 1704070800,
    }
    if parent is not None:
        status["replying_to"] = {"screen_name": parent, "status": "0"}
    return status


def _tombstone(post_id: str) -> dict[str, Any]:
    return {"type": "tombstone", "reason": "deleted", "id": post_id}


KEY = ThreadKey(Platform.X, "x.com", "13")


def test_parse_thread_counts_gap_when_own_root_deleted() -> None:
    """A tombstone above a self-reply is the author's own deleted post, not someone else's."""
    envelope = {
        "status": _status("13", "1", "ada", parent="ada"),
        "thread": [_status("10", "2", "bob"), _tombstone("12"), _status("13", "1", "ada", "ada")],
    }
    thread = parse_thread(KEY, JsonObject(envelope), max_posts=10)
    report = thread.report
    assert (thread.posts[0].gap_before, report.deleted, report.skipped_other_authors) == (1, 1, 1)


def test_parse_thread_ignores_tombstone_above_reply_to_someone_else() -> None:
    envelope = {
        "status": _status("13", "1", "ada", parent="bob"),
        "thread": [_tombstone("12"), _status("13", "1", "ada", parent="bob")],
    }
    thread = parse_thread(KEY, JsonObject(envelope), max_posts=10)
    assert (thread.posts[0].gap_before, thread.report.deleted) == (0, 0)


@pytest.mark.parametrize(
    "envelope",
    [
        pytest.param({"status": None, "thread": None}, id="no-status"),
        pytest.param({"status": _tombstone("13"), "thread": None}, id="tombstone-status"),
        pytest.param(
            {"status": _status("13", "1", "ada"), "thread": [_status("9", "2", "bob")]},
            id="no-own-post-in-thread",
        ),
    ],
)
def test_parse_thread_unavailable_when_no_post_to_show(envelope: dict[str, Any]) -> None:
    with pytest.raises(PostUnavailableError):
        parse_thread(KEY, JsonObject(envelope), max_posts=10)


def test_parse_thread_source_error_when_shape_is_wrong() -> None:
    with pytest.raises(SourceError):
        parse_thread(
            KEY, JsonObject({"status": _status("13", "1", "ada"), "thread": 7}), max_posts=10
        )
