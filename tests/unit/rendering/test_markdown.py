"""Markdown: specials escaped so text stays text, links and images, quotes, front matter."""

from __future__ import annotations

import json
import re

import pytest

from bot.model import Media, MediaType, Segment
from bot.rendering import RenderOptions, markdown
from tests.samples import link, post, rich_thread, thread
from tests.samples import text as plain

_BARE = RenderOptions(include_header=False, include_footer=False)


def _body(*segments: Segment, **extra: object) -> str:
    """Return what follows the front matter for a one-post thread."""
    rendered = markdown.render(thread(post(0, *segments, **extra)), _BARE)
    return rendered.split("---\n\n", 1)[1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a <b> c", "a \\<b\\> c"),
        ("fish & chips", "fish & chips"),
        ("&amp; &#38;", "\\&amp; \\&#38;"),
        ("*not* bold", "\\*not\\* bold"),
        ("snake_case", "snake\\_case"),
        ("[x](y)", "\\[x\\](y)"),
        ("`code`", "\\`code\\`"),
        ("back\\slash", "back\\\\slash"),
        ("~~gone~~ a|b", "\\~\\~gone\\~\\~ a\\|b"),
    ],
    ids=["angle", "lone-ampersand", "entity", "star", "underscore", "bracket", "backtick",
         "backslash", "tilde-pipe"],
)  # fmt: skip
def test_inline_specials_escaped(value: str, expected: str) -> None:
    assert _body(plain(value)) == expected + "\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("# not a heading", "\\# not a heading"),
        ("- not a list", "\\- not a list"),
        ("+ not a list", "\\+ not a list"),
        ("1. not a list", "1\\. not a list"),
        ("12) not a list", "12\\) not a list"),
        ("===", "\\==="),
        ("a\n# b", "a\\\n\\# b"),
        ("a\n    indented", "a\\\nindented"),
        ("costs 1. not 2", "costs 1. not 2"),
    ],
    ids=["heading", "dash", "plus", "ordered", "paren", "setext", "second-line", "indent",
         "mid-line"],
)  # fmt: skip
def test_line_start_specials_escaped_only_at_line_start(value: str, expected: str) -> None:
    assert _body(plain(value)) == expected + "\n"


def test_link_written_as_text_and_url() -> None:
    rendered = _body(link("example.com/a…", "https://example.com/a?x=1"))
    assert rendered == "[example.com/a…](https://example.com/a?x=1)\n"


def test_link_destination_made_safe() -> None:
    rendered = _body(link("wiki", "https://en.wikipedia.org/wiki/A_(b) c"))
    assert rendered == "[wiki](https://en.wikipedia.org/wiki/A_%28b%29%20c)\n"


def test_photo_written_as_image_with_alt() -> None:
    photo = Media(MediaType.PHOTO, "https://img.example/1.jpg", alt="A [chart]")
    assert (
        _body(plain("x"), media=(photo,)) == "x\n\n![A \\[chart\\]](https://img.example/1.jpg)\n"
    )


def test_quote_written_as_blockquote_with_author() -> None:
    quote_block = markdown.render(rich_thread()).split("\n\n> ")[1].split("\n\n")[0]
    assert quote_block == "**[Bob (@bob)](https://x.com/bob/status/1)**\n>\n> Quoted words."


def test_front_matter_values_read_back() -> None:
    front = markdown.render(rich_thread()).split("---\n")[1]
    fields = dict(line.split(": ", 1) for line in front.splitlines())
    assert {name: json.loads(value) for name, value in fields.items()} == {
        "title": "Why <b>tags</b> & entities matter 🧵 — see example.com/a… and @bob #python",
        "author": "Ada <Lovelace> & Co",
        "handle": "ada",
        "source_url": "https://x.com/ada/status/1000",
        "date": "2025-03-03T09:30:00+00:00",
        "posts": 5,
        "complete": True,
        "lang": None,
    }


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "tg://resolve?domain=x", "JAVASCRIPT:x"]
)
def test_unsafe_link_written_as_its_words(url: str) -> None:
    assert _body(plain("see "), link("this", url)) == "see this\n"


def test_photo_with_unsafe_url_written_as_its_caption() -> None:
    photo = Media(MediaType.PHOTO, "javascript:alert(1)", alt="A chart")
    assert _body(plain("x"), media=(photo,)) == "x\n\n🖼 Photo: A chart\n"


def test_link_text_folded_so_it_cannot_end_the_paragraph() -> None:
    rendered = _body(link("one\n\ntwo", "https://example.com"))
    assert rendered == "[one two](https://example.com)\n"


def test_lone_surrogate_and_controls_left_out() -> None:
    """orjson refused the lone surrogate in the front matter's title; the export crashed."""
    rendered = markdown.render(thread(post(0, plain("a\ud800b\x00c"))))
    assert ('title: "abc"' in rendered, "\nabc\n" in rendered) == (True, True)


def test_an_exclamation_mark_before_a_link_does_not_make_an_image() -> None:
    """`Look![x](url)` would load the URL as an image: a tracking pixel in notes apps."""
    post_ = post(1, plain("Look!"), link("tracker", "https://evil.example/pixel.gif"))
    rendered = markdown.render(thread(post_))
    image = re.search(r"(?<!\\)!\[", rendered)
    assert ("Look\\![tracker](https://evil.example/pixel.gif)" in rendered, image) == (True, None)
