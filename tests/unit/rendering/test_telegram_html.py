"""Telegram HTML: escaping, chunk boundaries, tags across chunks, UTF-16 counting, previews."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.constants import MessageLimit

from bot.model import (
    Author,
    Media,
    MediaType,
    Poll,
    PollOption,
    Post,
    Quote,
    Report,
    Segment,
    SegmentKind,
    Thread,
)
from bot.rendering import RenderOptions
from bot.rendering.telegram_html import (
    MAX_MESSAGE_UNITS,
    TelegramMessage,
    fits_one_message,
    render,
    render_teaser,
    utf16_len,
)
from tests.samples import link, long_thread, post, rich_thread, text, thread

BARE = RenderOptions(include_header=False, include_footer=False)
PAGE_URL = "https://telegra.ph/Why-tags-03-03"

# Tags Telegram's HTML parse mode accepts, and the attributes each may carry.
_ALLOWED_ATTRS: dict[str, set[tuple[tuple[str, str | None], ...]] | None] = {
    "b": {()},
    "strong": {()},
    "i": {()},
    "em": {()},
    "u": {()},
    "ins": {()},
    "s": {()},
    "strike": {()},
    "del": {()},
    "tg-spoiler": {()},
    "span": {(("class", "tg-spoiler"),)},
    "blockquote": {(), (("expandable", None),)},
    "code": {()},
    "pre": {()},
    "a": None,  # one href, checked below
}


class _TelegramHtml(HTMLParser):
    """Check HTML as Telegram's parse mode would, collecting the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.visible: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = _ALLOWED_ATTRS.get(tag, set())
        if tag == "a":
            if len(attrs) != 1 or attrs[0][0] != "href" or not attrs[0][1]:
                self.problems.append(f"bad link attributes {attrs}")
        elif allowed is not None and tuple(attrs) not in allowed:
            self.problems.append(f"tag {tag} with {attrs}")
        if tag == "blockquote" and "blockquote" in self.open:
            self.problems.append("nested blockquote")
        if self.open and self.open[-1] in ("a", "code", "pre") and tag not in ("code",):
            self.problems.append(f"{tag} inside {self.open[-1]}")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"unbalanced </{tag}> with {self.open} open")
            return
        self.open.pop()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_data(self, data: str) -> None:
        if set(data) & {"<", ">", "&"}:
            self.problems.append(f"unescaped text {data!r}")
        self.visible.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problems.append(f"named entity &{name};")
        self.visible.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.visible.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declaration")


def visible_text(chunk: str) -> str:
    """Return the text Telegram shows for `chunk`, failing on anything it would refuse."""
    parser = _TelegramHtml()
    parser.feed(chunk)
    parser.close()
    assert parser.problems == []
    assert parser.open == []
    return "".join(parser.visible)


def one_post_thread(*segments: Segment, **extra: object) -> Thread:
    return thread(post(0, *segments, **extra))


def chunks_of(value: str, max_units: int) -> list[str]:
    message = render(one_post_thread(text(value)), BARE, max_units=max_units)
    return [visible_text(chunk) for chunk in message.chunks]


def test_max_units_is_telegrams_message_limit() -> None:
    assert MessageLimit.MAX_TEXT_LENGTH == MAX_MESSAGE_UNITS


@pytest.mark.parametrize(
    ("value", "units"),
    [("a", 1), ("é", 1), ("世界", 2), ("🧵", 2), ("👍🏽", 4), ("a🧵b", 4), ("", 0)],
)
def test_utf16_len_counts_astral_characters_twice(value: str, units: int) -> None:
    assert utf16_len(value) == units


def test_text_escaped_when_it_looks_like_html() -> None:
    chunk = render(one_post_thread(text("<b>bold?</b> & <i>")), BARE).chunks[0]
    assert chunk == "&lt;b&gt;bold?&lt;/b&gt; &amp; &lt;i&gt;"


def test_link_attribute_escaped_when_url_has_quotes_and_ampersands() -> None:
    segment = link('say "hi"', 'https://e.example/?a=1&b="2"')
    chunk = render(one_post_thread(segment), BARE).chunks[0]
    assert chunk == '<a href="https://e.example/?a=1&amp;b=&quot;2&quot;">say "hi"</a>'


def test_link_left_as_text_when_scheme_is_not_web() -> None:
    chunk = render(one_post_thread(link("click", "javascript:alert(1)")), BARE).chunks[0]
    assert chunk == "click"


@pytest.mark.parametrize(
    "url", ["tg://resolve?domain=evil_bot", "TG://user?id=1", " https://e.example", "file:///x"]
)
def test_post_link_left_as_text_when_only_telegram_or_nothing_opens_it(url: str) -> None:
    """A post's `tg://resolve` link would open a chat or bot the upstream chose."""
    chunk = render(one_post_thread(link("click", url)), BARE).chunks[0]
    assert chunk == "click"


def test_teaser_links_no_page_that_is_not_on_the_web() -> None:
    """The plan passes the thread's own URL as the page when there is none, so it is checked."""
    teaser = render_teaser(rich_thread(), "tg://resolve?domain=evil_bot")
    assert ('<a href="tg:' in teaser, "Read the whole thread" in teaser) == (False, True)


def test_preview_skips_an_image_that_is_not_on_the_web() -> None:
    media = (
        Media(MediaType.PHOTO, "tg://resolve?domain=evil"),
        Media(MediaType.PHOTO, "https://img.example/ok.jpg"),
    )
    assert render(one_post_thread(text("x"), media=media)).preview_url == (
        "https://img.example/ok.jpg"
    )


def test_characters_xml_forbids_left_out_of_the_message() -> None:
    chunk = render(one_post_thread(text("bell\x07 ring\ud800 on")), BARE).chunks[0]
    assert chunk == "bell ring on"


def test_rich_thread_fits_one_valid_message() -> None:
    message = render(rich_thread())
    assert [fits_one_message(message), bool(visible_text(message.chunks[0]))] == [True, True]


def test_long_thread_needs_several_messages() -> None:
    assert not fits_one_message(render(long_thread(100)))


def test_header_names_author_date_posts_and_reading_time() -> None:
    header = render(rich_thread()).chunks[0].split("\n\n")[0]
    assert header == (
        '<b><a href="https://x.com/ada">Ada &lt;Lovelace&gt; &amp; Co</a></b> (@ada)\n'
        "3 Mar 2025 · 1 min read · 5 posts"
    )


def test_footer_links_original_with_completeness() -> None:
    footer = render(rich_thread()).chunks[-1].split("\n\n")[-1]
    assert footer == (
        '<a href="https://x.com/ada/status/1000">Original on X</a>'
        " · 5 posts · 1 deleted · 2 replies by others skipped"
    )


def test_joined_posts_read_as_one_paragraph() -> None:
    body = visible_text(render(rich_thread(), BARE).chunks[0])
    assert "\n\nSecond post ends mid sentence and goes on here. Привет, 世界!\n\n" in body


def test_gap_marker_stands_where_posts_were_deleted() -> None:
    body = visible_text(render(rich_thread(), BARE).chunks[0])
    assert "世界!\n\n⋯ 1 deleted post\n\nA quote and a poll:" in body


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"media": (Media(MediaType.PHOTO, "https://i.example/1.jpg", alt="A\nchart"),)},
            'Text\n\n<a href="https://i.example/1.jpg">🖼 Photo: A chart</a>',
        ),
        (
            {"quote": Quote(url=None, unavailable=True)},
            "Text\n\n<blockquote><i>Quoted post unavailable</i></blockquote>",
        ),
        (
            {
                "quote": Quote(
                    url="https://x.com/bob/status/1",
                    author=Author("bob", "Bob", "https://x.com/bob"),
                    text=(text("One.\n\nTwo."),),
                )
            },
            'Text\n\n<blockquote><b><a href="https://x.com/bob/status/1">Bob (@bob)</a></b>'
            "\nOne.\nTwo.</blockquote>",
        ),
        (
            {"poll": Poll(options=(PollOption("Yes", 3), PollOption("No", 1)), closed=True)},
            "Text\n\n📊 Poll · 4 votes · final results\n• Yes — 3 votes (75%)"
            "\n• No — 1 vote (25%)",
        ),
        (
            {"content_warning": "spoilers"},
            "<b>CW:</b> spoilers\n\n<tg-spoiler>Text</tg-spoiler>",
        ),
    ],
    ids=["photo", "unavailable-quote", "quote", "poll", "content-warning"],
)
def test_attachment_rendered_after_text(extra: dict[str, object], expected: str) -> None:
    assert render(one_post_thread(text("Text"), **extra), BARE).chunks == (expected,)


@pytest.mark.parametrize(
    ("value", "max_units", "expected"),
    [
        (
            "Alpha beta gamma delta.\n\nEpsilon. Zeta eta theta",
            30,
            ["Alpha beta gamma delta.", "Epsilon. Zeta eta theta"],
        ),
        (
            "Alpha beta gamma.\nDelta epsilon. Zeta eta theta",
            30,
            ["Alpha beta gamma.", "Delta epsilon. Zeta eta theta"],
        ),
        (
            "Alpha beta gamma delta. Epsilon zeta eta theta",
            30,
            ["Alpha beta gamma delta.", "Epsilon zeta eta theta"],
        ),
        (
            "Alpha beta gamma delta epsilon zeta",
            20,
            ["Alpha beta gamma", "delta epsilon zeta"],
        ),
        (
            "Hi.\n\nAlpha beta gamma delta epsilon zeta",
            30,
            ["Hi.\n\nAlpha beta gamma delta", "epsilon zeta"],
        ),
        ("abcdefghij" * 3, 12, ["abcdefghijab", "cdefghijabcd", "efghij"]),
    ],
    ids=["paragraph", "line", "sentence", "word", "short-paragraph-skipped", "hard"],
)
def test_chunks_cut_at_best_boundary(value: str, max_units: int, expected: list[str]) -> None:
    assert chunks_of(value, max_units) == expected


def test_emoji_counted_as_two_units_when_chunking() -> None:
    assert chunks_of("🧵" * 25, 20) == ["🧵" * 10, "🧵" * 10, "🧵" * 5]


def test_link_reopened_when_chunk_cuts_through_it() -> None:
    segment = link("one two three four five six", "https://e.example/")
    message = render(one_post_thread(segment), BARE, max_units=14)
    assert message.chunks == (
        '<a href="https://e.example/">one two three</a>',
        '<a href="https://e.example/">four five six</a>',
    )


def test_spoiler_and_link_reopened_in_order_across_chunks() -> None:
    segments = (text("Hidden words "), link("and a longer link", "https://e.example/"))
    message = render(one_post_thread(*segments, content_warning="cw"), BARE, max_units=16)
    assert message.chunks == (
        "<b>CW:</b> cw\n\n<tg-spoiler>Hidden</tg-spoiler>",
        '<tg-spoiler>words <a href="https://e.example/">and a</a></tg-spoiler>',
        '<tg-spoiler><a href="https://e.example/">longer link</a></tg-spoiler>',
    )


def test_chunks_never_split_a_character_entity() -> None:
    assert chunks_of("&<>" * 10, 4) == [
        "&<>&",
        "<>&<",
        ">&<>",
        "&<>&",
        "<>&<",
        ">&<>",
        "&<>&",
        "<>",
    ]


@pytest.mark.parametrize(
    "long",
    [long_thread(300), thread(*(post(i, text("🧵 Ünïcode wörds " * 300)) for i in range(6)))],
    ids=["ascii", "emoji"],
)
def test_chunks_fit_telegrams_limit_when_thread_is_long(long: Thread) -> None:
    visible = [visible_text(chunk) for chunk in render(long).chunks]
    assert max(utf16_len(chunk) for chunk in visible) <= MessageLimit.MAX_TEXT_LENGTH


def test_post_showing_nothing_leaves_no_blank_lines() -> None:
    empty = thread(
        post(0, text("Before")), post(1, link("", "https://e.example/")), post(2, text("After"))
    )
    assert render(empty, BARE).chunks == ("Before\n\nAfter",)


def test_render_refuses_chunks_too_small_for_a_character() -> None:
    with pytest.raises(ValueError, match="at least one character"):
        render(rich_thread(), max_units=1)


def _photo(url: str) -> Media:
    return Media(MediaType.PHOTO, url)


@pytest.mark.parametrize(
    ("posts", "expected"),
    [
        ((post(0),), None),
        ((post(0), post(1, media=(_photo("https://i/1"), _photo("https://i/2")))), "https://i/1"),
        (
            (
                post(
                    0, media=(Media(MediaType.VIDEO, "https://v/1", thumbnail_url="https://t/1"),)
                ),
            ),
            "https://t/1",
        ),
        ((post(0, media=(Media(MediaType.GIF, "https://g/1"),)),), None),
        (
            (
                post(0, media=(_photo("https://i/cw"),), content_warning="gore"),
                post(1, media=(_photo("https://i/ok"),)),
            ),
            "https://i/ok",
        ),
    ],
    ids=["none", "first-photo", "video-thumbnail", "gif-without-thumbnail", "cw-skipped"],
)
def test_preview_url_is_first_image_shown_unasked(
    posts: tuple[Post, ...], expected: str | None
) -> None:
    assert render(thread(*posts)).preview_url == expected


def test_teaser_names_thread_and_links_page() -> None:
    teaser = render_teaser(rich_thread(), PAGE_URL)
    assert teaser.endswith(
        "5 posts · 1 deleted · 2 replies by others skipped · 1 min read\n"
        f'<a href="{PAGE_URL}">Read the whole thread</a>'
    )


def test_teaser_opens_with_bold_title_then_author() -> None:
    teaser = render_teaser(rich_thread(), PAGE_URL)
    assert teaser.startswith(
        "<b>Why &lt;b&gt;tags&lt;/b&gt; &amp; entities matter 🧵 — see example.com/a… and @bob"
        ' #python</b>\n\n<b><a href="https://x.com/ada">Ada &lt;Lovelace&gt; &amp; Co</a></b>'
        " (@ada) · 3 Mar 2025\n\n"
    )


def test_teaser_trims_long_opening_paragraph() -> None:
    teaser = render_teaser(long_thread(1, words_per_post=2000), PAGE_URL)
    opening = visible_text(teaser).split("\n\n")[2]
    assert (opening.endswith("…"), utf16_len(opening) <= 601) == (True, True)


# Properties, on generated threads.

_WORD = st.text(alphabet="abcxyzé世🧵<>&\"'", min_size=1, max_size=12)
_SPACE = st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", "! "])


def _segment(is_link: bool, words: list[tuple[str, str]]) -> Segment:
    value = "".join(word + space for word, space in words)
    if is_link:
        return Segment(SegmentKind.LINK, value.strip(), "https://e.x/?a=1&b=2")
    return Segment(SegmentKind.TEXT, value)


_segments = st.lists(
    st.builds(_segment, st.booleans(), st.lists(st.tuples(_WORD, _SPACE), min_size=1, max_size=4)),
    min_size=1,
    max_size=5,
).map(tuple)
_media = st.builds(Media, st.sampled_from(MediaType), st.just("https://m/1"), _WORD)
_quotes = st.one_of(
    st.none(),
    st.builds(Quote, url=st.just("https://x.com/q"), text=_segments),
    st.just(Quote(url=None, unavailable=True)),
)
_posts = st.builds(
    Post,
    id=st.just("1"),
    url=st.just("https://x.com/ada/status/1"),
    created_at=st.just(datetime(2025, 3, 3, tzinfo=UTC)),
    text=_segments,
    media=st.lists(_media, max_size=2).map(tuple),
    quote=_quotes,
    content_warning=st.none() | _WORD,
    gap_before=st.integers(0, 2),
    joins_next=st.booleans(),
)
_threads = st.lists(_posts, min_size=1, max_size=6).map(lambda posts: thread(*posts))
# Generating threads costs far more than rendering them; 50 examples keep the suite quick.
_PROPERTY = settings(max_examples=50)


def _visible_chunks(message: TelegramMessage) -> list[str]:
    return [visible_text(chunk) for chunk in message.chunks]


def _words_in_order(words: list[str], within: list[str]) -> bool:
    remaining: Iterator[str] = iter(within)
    return all(word in remaining for word in words)


@_PROPERTY
@given(thread=_threads, max_units=st.integers(2, 400))
def test_every_chunk_is_valid_html_within_the_limit(thread: Thread, max_units: int) -> None:
    visible = _visible_chunks(render(thread, max_units=max_units))
    assert max(utf16_len(chunk) for chunk in visible) <= max_units


@_PROPERTY
@given(thread=_threads, max_units=st.integers(2, 400))
def test_chunks_lose_and_repeat_no_character(thread: Thread, max_units: int) -> None:
    whole = visible_text(render(thread, max_units=10**9).chunks[0])
    chunked = "".join(_visible_chunks(render(thread, max_units=max_units)))
    assert re.sub(r"\s", "", chunked) == re.sub(r"\s", "", whole)


@_PROPERTY
@given(thread=_threads, max_units=st.integers(128, 400))
def test_chunks_lose_and_repeat_no_word_when_words_fit(thread: Thread, max_units: int) -> None:
    whole = visible_text(render(thread, max_units=10**9).chunks[0])
    chunked = " ".join(_visible_chunks(render(thread, max_units=max_units)))
    assert chunked.split() == whole.split()


@_PROPERTY
@given(thread=_threads)
def test_rendered_words_follow_the_threads_words(thread: Thread) -> None:
    message = render(thread, BARE)
    shown = " ".join(_visible_chunks(message)).split()
    assert _words_in_order(" ".join(p.plain_text for p in thread.posts).split(), shown)


@_PROPERTY
@given(thread=_threads)
def test_teaser_is_one_valid_message(thread: Thread) -> None:
    assert utf16_len(visible_text(render_teaser(thread, PAGE_URL))) <= MAX_MESSAGE_UNITS


def test_footer_links_the_authors_other_branch() -> None:
    report = Report(
        posts=1,
        complete=False,
        other_branch_posts=3,
        other_branch_url="https://x.com/ada/status/2000",
    )
    footer = render(thread(post(0, text("One")), report=report)).chunks[-1].split("\n\n")[-1]
    assert footer == (
        '<a href="https://x.com/ada/status/1000">Original on X</a> · 1 post · '
        '<a href="https://x.com/ada/status/2000">'
        "the author also replied elsewhere: 3 posts not shown</a>"
    )
