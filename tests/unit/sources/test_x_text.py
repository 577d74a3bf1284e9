"""X post text cut into Segments at its entities (code-point offsets). Pure."""

from __future__ import annotations

import pytest

from bot.model import Segment, SegmentKind
from bot.sources.x_text import XEntity, build_segments

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
