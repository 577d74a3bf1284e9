"""Rich-message parts: `inline` writes what joining a part per segment would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.model import Segment, SegmentKind
from bot.rendering.rich_markup import Part, inline, join, link, text

_TEXTS = st.text(alphabet="ab é世🧵<>&\"'\n\x00\ud800", max_size=8)
_URLS = st.none() | st.sampled_from(['https://e.x/?a=1&b="2"', "javascript:x", "http://e .x/"])
_SEGMENTS = st.lists(st.builds(Segment, st.sampled_from(SegmentKind), _TEXTS, _URLS), max_size=6)


def _joined(segments: list[Segment]) -> Part:
    return join(
        text(s.text) if s.kind is SegmentKind.TEXT else link(s.text, s.url) for s in segments
    )


@given(_SEGMENTS)
def test_inline_is_the_join_of_a_text_or_link_part_per_segment(segments: list[Segment]) -> None:
    assert inline(segments) == _joined(segments)


def test_inline_links_only_what_is_not_plain_text() -> None:
    segments = [
        Segment(SegmentKind.TEXT, "a & b\n", url="https://ignored.example"),
        Segment(SegmentKind.MENTION, "@c", url="https://x.com/c"),
        Segment(SegmentKind.HASHTAG, "#d", url=None),
    ]
    assert inline(segments) == Part(
        'a &amp; b<br><a href="https://x.com/c">@c</a>#d', chars=10, depth=1
    )
