"""Mastodon content HTML → segments, in the shapes Mastodon 4 writes."""

from __future__ import annotations

import pytest

from bot.model import Segment, SegmentKind
from bot.sources.mastodon_html import MAX_CONTENT_CHARS, to_segments

T = SegmentKind.TEXT
LINK_HTML = (
    '<a href="https://example.org/a/very/long/path?x=1" target="_blank" rel="nofollow noopener"'
    ' translate="no"><span class="invisible">https://</span><span class="ellipsis">example.org'
    '/a/very/lo</span><span class="invisible">ng/path?x=1</span></a>'
)
QUOTING_HTML = (
    '<p class="quote-inline">RE: <a href="https://m.example/@ada/1"><span class="invisible">'
    'https://</span><span class="">m.example/@ada/1</span><span class="invisible"></span></a>'
    "</p><p>yoooooooo</p>"
)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Hello</p>", (Segment(T, "Hello"),)),
        ("<p>One</p><p>Two</p>", (Segment(T, "One\n\nTwo"),)),
        ("<p>One<br />Two<br>Three</p>", (Segment(T, "One\nTwo\nThree"),)),
        ("<p>a<br /><br />b</p>", (Segment(T, "a\n\nb"),)),
        ("<p>Fish &amp; chips &lt;3 &#39;yes&#39;</p>", (Segment(T, "Fish & chips <3 'yes'"),)),
        ("<p>Привет, 世界! 🧵</p>", (Segment(T, "Привет, 世界! 🧵"),)),
        ("<p>so good :blobcat:</p>", (Segment(T, "so good :blobcat:"),)),
        (
            '<p>so good <img class="custom-emoji" alt=":blobcat:" src="https://e/b.png"></p>',
            (Segment(T, "so good :blobcat:"),),
        ),
        (
            f"<p>see {LINK_HTML} now</p>",
            (
                Segment(T, "see "),
                Segment(
                    SegmentKind.LINK,
                    "example.org/a/very/lo…",
                    "https://example.org/a/very/long/path?x=1",
                ),
                Segment(T, " now"),
            ),
        ),
        (
            '<p><a href="http://example.org/" rel="nofollow"><span class="invisible">http://'
            '</span><span class="">example.org/</span><span class="invisible"></span></a></p>',
            (Segment(SegmentKind.LINK, "example.org/", "http://example.org/"),),
        ),
        (
            '<p><span class="h-card" translate="no"><a href="https://m.example/@bob" '
            'class="u-url mention">@<span>bob</span></a></span> hi</p>',
            (
                Segment(SegmentKind.MENTION, "@bob", "https://m.example/@bob"),
                Segment(T, " hi"),
            ),
        ),
        (
            '<p><a href="https://m.example/tags/hoot" class="mention hashtag" rel="tag">#<span>'
            "hoot</span></a></p>",
            (Segment(SegmentKind.HASHTAG, "#hoot", "https://m.example/tags/hoot"),),
        ),
        ("<p>x</p><ul><li>a</li><li>b</li></ul>", (Segment(T, "x\n\na\nb"),)),
        ("", ()),
    ],
)
def test_segments_match_mastodon_markup(html: str, expected: tuple[Segment, ...]) -> None:
    assert to_segments(html) == expected


def test_quote_inline_dropped_when_quote_shown() -> None:
    assert to_segments(QUOTING_HTML, drop_quote_inline=True) == (Segment(T, "yoooooooo"),)


def test_quote_inline_kept_when_no_quote_shown() -> None:
    segments = to_segments(QUOTING_HTML)
    assert [s.kind for s in segments] == [T, SegmentKind.LINK, T]


def test_link_without_text_shows_its_target() -> None:
    html = '<p><a href="https://example.org/x"></a></p>'
    assert to_segments(html) == (
        Segment(SegmentKind.LINK, "https://example.org/x", "https://example.org/x"),
    )


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("</" * 50_000, "</" * 50_000),  # html.parser is quadratic on these unescaped
        ("<a" * 50_000, "<a" * 50_000),  # and on tags that never close
        ("<span>x" * 10_000, "x" * 10_000),
        ("x<br>" * 20_000, "\n".join(["x"] * 20_000)),
    ],
    ids=["close-tags", "open-tags", "spans", "breaks"],
)
def test_hostile_markup_reads_as_its_text(content: str, text: str) -> None:
    """Whoever runs the instance writes `content`: floods read in linear time, as text."""
    assert "".join(segment.text for segment in to_segments(content)) == text


def test_content_past_the_bound_is_cut_and_says_so() -> None:
    segments = to_segments("<p>" + "word " * (MAX_CONTENT_CHARS // 5) + "</p>")
    text = "".join(segment.text for segment in segments)
    assert (len(text) < MAX_CONTENT_CHARS, text.endswith("…")) == (True, True)
