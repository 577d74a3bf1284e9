"""Plain text: links spelled out as real URLs, one line per paragraph, header and footer."""

from __future__ import annotations

import pytest

from bot.model import Segment, SegmentKind
from bot.rendering import RenderOptions, text
from tests.samples import link, post, rich_thread, thread
from tests.samples import text as plain


def _body(*segments: Segment) -> str:
    bare = RenderOptions(include_header=False, include_footer=False)
    return text.render(thread(post(0, *segments)), bare)


@pytest.mark.parametrize(
    ("visible", "url", "expected"),
    [
        ("example.com/a…", "https://example.com/a?x=1", True),
        ("https://example.com/a", "https://example.com/a", True),
        ("www.example.com/a...", "https://www.example.com/a/b", True),
        ("this paper", "https://arxiv.org/abs/1", False),
        ("example.org", "https://example.com", False),
        ("…", "https://example.com", False),
    ],
    ids=["cut", "whole", "www-dots", "free-text", "other-host", "only-ellipsis"],
)
def test_is_shortened_form(visible: str, url: str, expected: bool) -> None:
    assert text.is_shortened_form(visible, url) is expected


def test_shortened_link_shown_as_its_url() -> None:
    rendered = _body(plain("see "), link("example.com/a…", "https://example.com/a?x=1&y=2"))
    assert rendered == "see https://example.com/a?x=1&y=2\n"


def test_free_text_link_keeps_its_text_and_adds_the_url() -> None:
    rendered = _body(link("this paper", "https://arxiv.org/abs/1"), plain(" says so."))
    assert rendered == "this paper (https://arxiv.org/abs/1) says so.\n"


def test_mention_shown_as_written() -> None:
    rendered = _body(Segment(SegmentKind.MENTION, "@bob", "https://x.com/bob"), plain(" hi"))
    assert rendered == "@bob hi\n"


def test_markup_left_as_typed() -> None:
    assert _body(plain("<b>a</b> & *b*")) == "<b>a</b> & *b*\n"


def test_header_names_author_date_reading_time_and_completeness() -> None:
    header = text.render(rich_thread()).split("\n\n")[0]
    assert header == (
        "Ada <Lovelace> & Co (@ada)\n"
        "3 Mar 2025 · 1 min read\n"
        "5 posts · 1 deleted · 2 replies by others skipped"
    )


def test_footer_links_the_original() -> None:
    assert text.render(rich_thread()).endswith(
        "\n\nOriginal on X: https://x.com/ada/status/1000\n"
    )


def test_terminal_escape_sequences_left_out() -> None:
    """ESC and CSI (C1) from a post would otherwise steer the terminal that prints it."""
    rendered = text.render(thread(post(0, plain("\x1b[2Jclear \x9b31mred\x07 done"))))
    assert "\n[2Jclear 31mred done\n" in rendered
