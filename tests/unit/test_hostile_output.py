"""Hostile upstreams: whatever a thread holds, nothing any output shows can run.

Hypothesis builds threads whose every URL field (post, author, segments, media, thumbnails,
quote, quote author, card, card image) draws from script and local schemes in every disguise,
and whose every text field draws from markup, control characters, lone surrogates, and
direction and zero-width tricks. Two properties:

- `safety.sanitize_thread` leaves only web URLs, only characters XML allows, and names with
  nothing invisible, and is idempotent;
- every renderer (each of `FORMATS`, Telegram messages and Telegraph pages), fed the thread
  *without* sanitising (defence in depth), writes links and images only to web URLs, no
  script, no event-handler attribute, and no raw HTML from the post text (Markdown is read by
  a real CommonMark parser for this).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.model import (
    Author,
    LinkCard,
    Media,
    MediaType,
    Platform,
    Poll,
    PollOption,
    Post,
    Quote,
    Report,
    Segment,
    SegmentKind,
    Thread,
    ThreadKey,
)
from bot.rendering import (
    FORMATS,
    RenderOptions,
    epub,
    html_page,
    markdown,
    telegram_html,
    telegram_rich,
    telegraph,
)
from bot.safety import clean_text, safe_url, sanitize_thread
from tests.fakes.telegram_rich import validate as validate_rich
from tests.samples import START

PAYLOAD = "alert(1)"
SCHEMES = ["javascript", "vbscript", "data", "file", "tg", "mailto", "ftp", "blob", "about"]
DISGUISES = ["", " ", "\t", "\x00", "\x01", "\n", "\u200b", "\u202e", "\ufeff", "  \x1f"]
URL_ATTRIBUTES = {"href", "src", "cite", "action", "formaction", "srcset", "poster", "data"}
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
HOSTILE_WORDS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<a href='javascript:alert(1)'>x</a>",
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "javascript&colon;alert(1)",
    "&lt;script&gt;",
    "](javascript:alert(1)) [",
    "\\<b>",
    "`<b>`",
    "<!-- x -->",
    "\x00\x07\x1b[2J\ud800\ufffe",
    "\u202eevil\u202c",
    "\u200b\u2066\U000e0041",
    "\n\n# heading\n- item\n> quote\n",
]


def _case_mixed(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if flip else c for c, flip in zip(word, flips, strict=True))


@st.composite
def hostile_urls(draw: st.DrawFn) -> str:
    """A URL with a script or local scheme in disguise, a web URL, or anything at all."""
    kind = draw(st.sampled_from(["scheme", "web", "entity", "tricky-web", "any"]))
    if kind == "scheme":
        scheme = _case_mixed(draw, draw(st.sampled_from(SCHEMES)))
        inside = draw(st.sampled_from(["", "\t", "\n", "\x00"]))
        cut = draw(st.integers(0, len(scheme)))
        separator = draw(st.sampled_from([":", "://", ":///", "&colon;", "&#58;", "%3A"]))
        lead = draw(st.sampled_from(DISGUISES))
        return f"{lead}{scheme[:cut]}{inside}{scheme[cut:]}{separator}{PAYLOAD}"
    if kind == "web":
        return draw(st.sampled_from(["https://ok.example/a?b=1&c=2", "http://ok.example"]))
    if kind == "entity":
        return draw(st.sampled_from(["javascript&colon;alert(1)", "&#106;avascript:alert(1)"]))
    if kind == "tricky-web":
        return draw(
            st.sampled_from(
                [
                    "https://ok.example@evil.example/",
                    "https:\\\\evil.example",
                    "https://ok.example/\x00javascript:alert(1)",
                    "https://ok.example/\"onmouseover='alert(1)'",
                    "https://ok.example/a) [x](javascript:alert(1)",
                    "https://ok.example/<script>",
                    "//evil.example/",
                ]
            )
        )
    return draw(st.text(max_size=30))


def hostile_texts() -> st.SearchStrategy[str]:
    """Markup, controls and invisible characters, alone or inside arbitrary text."""
    words = st.sampled_from(HOSTILE_WORDS)
    return st.lists(st.one_of(words, st.text(max_size=12)), max_size=3).map("".join)


@st.composite
def authors(draw: st.DrawFn) -> Author:
    return Author(draw(hostile_texts()), draw(hostile_texts()), draw(hostile_urls()))


@st.composite
def segments(draw: st.DrawFn) -> tuple[Segment, ...]:
    kinds = st.sampled_from(list(SegmentKind))
    drawn = draw(st.lists(st.tuples(kinds, hostile_texts(), hostile_urls()), max_size=4))
    return tuple(
        Segment(kind, words, None if kind is SegmentKind.TEXT else url)
        for kind, words, url in drawn
    )


@st.composite
def media(draw: st.DrawFn) -> tuple[Media, ...]:
    items = st.builds(
        Media,
        st.sampled_from(list(MediaType)),
        hostile_urls(),
        alt=hostile_texts(),
        thumbnail_url=st.none() | hostile_urls(),
    )
    return tuple(draw(st.lists(items, max_size=2)))


@st.composite
def posts(draw: st.DrawFn, index: int) -> Post:
    quote = Quote(
        url=draw(st.none() | hostile_urls()),
        author=draw(st.none() | authors()),
        text=draw(segments()),
        media=draw(media()),
    )
    card = LinkCard(
        draw(hostile_urls()),
        draw(hostile_texts()),
        draw(hostile_texts()),
        draw(st.none() | hostile_urls()),
    )
    return Post(
        id=str(index),
        url=draw(hostile_urls()),
        created_at=START,
        text=draw(segments()),
        media=draw(media()),
        quote=draw(st.none() | st.just(quote)),
        card=draw(st.none() | st.just(card)),
        poll=draw(st.none() | st.just(Poll((PollOption(draw(hostile_texts())),)))),
        content_warning=draw(st.none() | hostile_texts()),
    )


@st.composite
def threads(draw: st.DrawFn) -> Thread:
    count = draw(st.integers(1, 3))
    return Thread(
        key=ThreadKey(Platform.X, "x.com", "1"),
        source=Platform.X,
        url=draw(hostile_urls()),
        author=draw(authors()),
        posts=tuple(draw(posts(index)) for index in range(count)),
        report=Report(posts=count),
    )


HOSTILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# What the properties look at.


def _urls(thread: Thread) -> Iterator[str | None]:
    """Yield every URL field of the thread."""
    yield thread.url
    yield thread.author.url
    for post in thread.posts:
        yield post.url
        yield from (segment.url for segment in post.text)
        yield from _media_urls(post.media)
        if post.quote:
            yield post.quote.url
            yield post.quote.author.url if post.quote.author else None
            yield from (segment.url for segment in post.quote.text)
            yield from _media_urls(post.quote.media)
        if post.card:
            yield post.card.url
            yield post.card.image_url


def _media_urls(items: tuple[Media, ...]) -> Iterator[str | None]:
    for item in items:
        yield item.url
        yield item.thumbnail_url


def _names(thread: Thread) -> Iterator[str]:
    authors = [thread.author]
    authors += [p.quote.author for p in thread.posts if p.quote and p.quote.author]
    for author in authors:
        yield author.name
        yield author.handle


class _Markup(HTMLParser):
    """Collect what could run in an HTML document: tags, handler attributes, URL attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.handlers: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self.urls += [value or "" for name, value in attrs if name in URL_ATTRIBUTES]
        named = dict(attrs)
        if tag == "meta" and (named.get("property") or "").startswith("og:image"):
            self.urls.append(named.get("content") or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _markup(document: str) -> _Markup:
    parser = _Markup()
    parser.feed(document)
    parser.close()
    return parser


def _unsafe(urls: list[str], *, own: tuple[str, ...] = ()) -> list[str]:
    return [url for url in urls if url not in own and safe_url(url) != url]


def _assert_harmless_html(
    document: str, allowed_tags: set[str] | None = None, *, own: tuple[str, ...] = ()
) -> None:
    found = _markup(document)
    unsafe = _unsafe(found.urls, own=own)
    assert (found.handlers, unsafe, "script" in found.tags) == ([], [], False)
    if allowed_tags is not None:
        assert found.tags <= allowed_tags


def _commonmark_html(text: str) -> str:
    """Render Markdown as a permissive CommonMark reader would: raw HTML on, links unchecked.

    The front matter is cut off first, as notes apps do: CommonMark alone would read it as a
    heading.
    """
    body = text.split("\n---\n\n", 1)[1]
    parser = MarkdownIt("commonmark", {"html": True})
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser.render(body)


def _telegraph_urls(nodes: list[telegraph.Node]) -> Iterator[str]:
    for node in nodes:
        if isinstance(node, str):
            continue
        yield from node.get("attrs", {}).values()
        yield from _telegraph_urls(node.get("children", []))


# Markdown's own tags: a tag outside these in the CommonMark HTML came from the post text.
MARKDOWN_TAGS = {"p", "a", "img", "em", "strong", "blockquote", "hr", "br", "h1", "ul", "li"}


@HOSTILE
@given(threads())
def test_sanitized_thread_keeps_only_web_urls_and_clean_text(thread: Thread) -> None:
    cleaned = sanitize_thread(thread)
    unsafe = [url for url in _urls(cleaned) if url and safe_url(url) != url]
    text = html_page.render(cleaned) + markdown.render(cleaned)
    invisible = [
        char
        for name in _names(cleaned)
        for char in name
        if unicodedata.category(char) == "Cf" and char != "\u200d"
    ]
    assert (unsafe, XML_FORBIDDEN.findall(text), invisible) == ([], [], [])


@HOSTILE
@given(threads())
def test_sanitize_is_idempotent(thread: Thread) -> None:
    once = sanitize_thread(thread)
    assert sanitize_thread(once) == once


@HOSTILE
@given(threads())
def test_reader_page_runs_nothing_without_sanitize(thread: Thread) -> None:
    page = html_page.render(thread)
    _assert_harmless_html(page)
    assert XML_FORBIDDEN.findall(page) == []


@HOSTILE
@given(threads())
def test_epub_builds_and_runs_nothing_without_sanitize(thread: Thread) -> None:
    book = zipfile.ZipFile(io.BytesIO(epub.render(thread)))
    # The table of contents links the book's own chapters by file name.
    chapters = tuple(name.removeprefix("EPUB/") for name in book.namelist())
    for name in book.namelist():
        if name.endswith(".xhtml"):
            _assert_harmless_html(book.read(name).decode(), own=chapters)


@HOSTILE
@given(threads())
def test_markdown_holds_no_raw_html_or_script_link_without_sanitize(thread: Thread) -> None:
    _assert_harmless_html(_commonmark_html(markdown.render(thread)), MARKDOWN_TAGS)


@HOSTILE
@given(threads())
def test_telegraph_links_and_images_only_the_web_without_sanitize(thread: Thread) -> None:
    for page in telegraph.render(thread):
        urls = list(_telegraph_urls(page.content))
        assert _unsafe(urls, own=(telegraph.NEXT_PART_PLACEHOLDER,)) == []
        assert clean_text(telegraph.content_json(page.content)) == telegraph.content_json(
            page.content
        )


@HOSTILE
@given(threads())
def test_telegram_html_links_only_the_web_without_sanitize(thread: Thread) -> None:
    telegram_tags = {"b", "i", "a", "blockquote", "tg-spoiler"}
    for chunk in telegram_html.render(thread).chunks:
        _assert_harmless_html(chunk, telegram_tags)


@HOSTILE
@given(threads())
def test_telegram_rich_links_only_the_web_and_telegram_takes_it_without_sanitize(
    thread: Thread,
) -> None:
    message = telegram_rich.render(thread, continue_url="https://unroll.example/read/1")
    rich_tags = {"h2", "p", "b", "i", "a", "br", "hr", "blockquote", "details", "summary"}
    rich_tags |= {"footer", "ul", "li", "figure", "figcaption", "img", "tg-collage"}
    _assert_harmless_html(message.html, rich_tags)
    validate_rich({"html": message.html, "is_rtl": message.is_rtl})


@HOSTILE
@given(threads())
def test_every_format_finishes_without_sanitize(thread: Thread) -> None:
    """Text and JSON write URLs as data, not links; they must not crash on what they carry."""
    rendered = {name: f.render(thread, RenderOptions()) for name, f in FORMATS.items()}
    assert all(isinstance(output, str | bytes) for output in rendered.values())
