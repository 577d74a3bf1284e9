"""The thread's language and direction in every output: tags and `dir` where the format has
them, nothing invisible added where it has not."""

from __future__ import annotations

import io
import json as stdlib_json
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable

import pytest

from bot.model import Thread
from bot.rendering import (
    epub,
    html_page,
    json,
    markdown,
    telegram_html,
    telegram_rich,
    telegraph,
    text,
)
from bot.rendering.direction import is_rtl, text_direction
from tests.samples import arabic_thread, thread
from tests.samples import post as sample_post
from tests.samples import text as plain

ARABIC = "هذا خيط طويل عن الكتب"
HEBREW = "שלום עולם, זה שרשור ארוך"
ENGLISH = "A long thread about books"
# Marks that change how text is laid out without being seen: LRM, RLM, ALM, embeddings,
# overrides and isolates.
_BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_XHTML = "{http://www.w3.org/1999/xhtml}"


def _thread(words: str, *languages: str | None) -> Thread:
    posts = [sample_post(i, plain(words), language=lang) for i, lang in enumerate(languages)]
    return thread(*posts)


@pytest.mark.parametrize(
    ("words", "languages", "expected"),
    [
        (ENGLISH, ["ar"], True),  # the language wins over Latin letters
        (HEBREW, ["en"], False),  # and over Hebrew ones
        (HEBREW, [None], True),  # unknown: the letters decide
        (ENGLISH, [None], False),
        (ENGLISH, ["ar", "en", "ar"], True),
        (ARABIC, ["en", "en", "ar"], False),
    ],
)
def test_direction_prefers_the_thread_language_over_letters(
    words: str, languages: list[str | None], expected: bool
) -> None:
    shown = _thread(words, *languages)
    assert (is_rtl(shown), telegram_rich.render(shown).is_rtl) == (expected, expected)


@pytest.mark.parametrize(
    ("shown", "opening"),
    [
        (arabic_thread(), '<html lang="ar" dir="rtl">'),
        (_thread(ENGLISH, "en-GB"), '<html lang="en-GB" dir="ltr">'),
        (_thread(HEBREW, None), '<html lang="und" dir="rtl">'),
        (_thread(ENGLISH, None), '<html lang="und" dir="ltr">'),
    ],
)
def test_reader_page_names_language_and_direction(shown: Thread, opening: str) -> None:
    assert html_page.render(shown).splitlines()[1] == opening


def test_reader_page_paragraphs_take_their_own_direction() -> None:
    """All but the quoted author's caption, which holds only isolated names and so follows the
    page."""
    page = html_page.render(arabic_thread())
    paragraphs = re.findall(r"<p\b[^>]*>", page)
    undirected = [p for p in paragraphs if 'dir="auto"' not in p]
    assert (len(paragraphs) > 5, undirected) == (True, ['<p class="caption">'])


def test_reader_page_isolates_names_and_handles() -> None:
    """A name in another script must not reorder or redirect the words around it."""
    page = html_page.render(arabic_thread())
    assert (
        '<bdi>ليلى</bdi> (<bdi dir="ltr">@layla</bdi>)' in page,
        '<bdi>Ada &lt;Lovelace&gt; &amp; Co</bdi></a> <bdi dir="ltr">@ada</bdi>' in page,
    ) == (True, True)


def test_reader_page_quote_border_follows_the_inline_start() -> None:
    """An Arabic page's quotes are ruled on the right, which only logical sides give."""
    assert (
        "border-left" in html_page.STYLESHEET,
        "border-inline-start" in html_page.STYLESHEET,
    ) == (
        False,
        True,
    )


def _epub_parts(shown: Thread) -> tuple[ET.Element, ET.Element, str]:
    book = zipfile.ZipFile(io.BytesIO(epub.render(shown)))
    package = ET.fromstring(book.read("EPUB/content.opf"))
    chapter = ET.fromstring(book.read("EPUB/part-1.xhtml"))
    return package, chapter, book.read("EPUB/content.opf").decode()


def test_epub_names_the_thread_language() -> None:
    package, _, _ = _epub_parts(arabic_thread())
    language = package.find(".//{http://purl.org/dc/elements/1.1/}language")
    assert language is not None
    assert language.text == "ar"


def test_epub_turns_pages_right_to_left_for_an_arabic_thread() -> None:
    _, _, opf = _epub_parts(arabic_thread())
    assert 'page-progression-direction="rtl"' in opf


@pytest.mark.parametrize(
    ("shown", "expected"),
    [(arabic_thread(), ("ar", "rtl")), (_thread(ENGLISH, None), ("und", "ltr"))],
)
def test_epub_chapter_carries_language_and_direction(
    shown: Thread, expected: tuple[str, str]
) -> None:
    _, chapter, _ = _epub_parts(shown)
    body = chapter.find(f"{_XHTML}body")
    assert body is not None
    assert (chapter.get("lang"), chapter.get("dir"), body.get("dir")) == (*expected, expected[1])


@pytest.mark.parametrize(
    ("shown", "line"), [(arabic_thread(), 'lang: "ar"'), (_thread("x", None), "lang: null")]
)
def test_markdown_front_matter_names_the_language(shown: Thread, line: str) -> None:
    front_matter = markdown.render(shown).split("---")[1]
    assert line in front_matter.splitlines()


def test_json_gives_each_post_and_the_thread_a_lang() -> None:
    shown = _thread(ENGLISH, "en", None, "ar", "en")
    document = stdlib_json.loads(json.render(shown))
    assert ([p["lang"] for p in document["posts"]], document["lang"]) == (
        ["en", None, "ar", "en"],
        "en",
    )


def _telegraph_text(shown: Thread) -> str:
    pages = telegraph.render(shown)
    return "".join(stdlib_json.dumps(page.content, ensure_ascii=False) for page in pages)


@pytest.mark.parametrize(
    "render",
    [
        lambda shown: "".join(telegram_html.render(shown).chunks),
        lambda shown: telegram_rich.render(shown).html,
        text.render,
        markdown.render,
        _telegraph_text,
    ],
    ids=["telegram-html", "telegram-rich", "text", "markdown", "telegraph"],
)
def test_no_bidi_marks_added_to_right_to_left_text(render: Callable[[Thread], str]) -> None:
    assert _BIDI_MARKS.findall(render(arabic_thread())) == []


def test_telegraph_nodes_carry_no_direction_attributes() -> None:
    content = _telegraph_text(arabic_thread())
    assert ('"dir"' in content, '"lang"' in content, "اقرأ" in content) == (
        False,
        False,
        True,
    )


def test_direction_of_the_whole_thread() -> None:
    assert (text_direction(arabic_thread()), text_direction(_thread(ENGLISH, "en"))) == (
        "rtl",
        "ltr",
    )


def test_ill_formed_language_built_past_the_sources_is_not_written() -> None:
    """Sources only keep well-formed tags; a post built elsewhere must not smuggle one in."""
    shown = _thread(ENGLISH, '" onload="alert(1)', '" onload="alert(1)')
    document = stdlib_json.loads(json.render(shown))
    assert (
        html_page.render(shown).splitlines()[1],
        [p["lang"] for p in document["posts"]],
        document["lang"],
    ) == ('<html lang="und" dir="ltr">', [None, None], None)
