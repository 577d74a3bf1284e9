"""What may be shown: the URL allow-list, text and name cleaning, and the whole-thread pass."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.model import (
    Author,
    LinkCard,
    Media,
    MediaType,
    Poll,
    PollOption,
    Quote,
    Segment,
    SegmentKind,
    Thread,
)
from bot.safety import clean_name, clean_text, safe_url, sanitize_thread
from tests.samples import link, long_thread, post, rich_thread, text, thread
from tests.unit.rendering.threads import bluesky_thread, mastodon_thread, x_thread

EVIL = "javascript:alert(1)"
PHOTO = "https://img.example/1.jpg"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a?x=1&y=2#top",
        "http://example.com",
        "https://hachyderm.io/@kim",
        "https://ru.wikipedia.org/wiki/Привет",
        "https://example.com:8443/path",
    ],
)
def test_web_url_kept(url: str) -> None:
    assert safe_url(url) == url


def test_web_url_kept_as_the_same_string() -> None:
    """The sanitizer keeps a harmless part by comparing old and new values, best by identity."""
    url = "".join(["https://example.com/", "a?x=1"])
    assert safe_url(url) is url


def test_space_inside_written_as_percent_20() -> None:
    assert safe_url("https://example.com/a b") == "https://example.com/a%20b"


def test_scheme_case_folded_to_lower() -> None:
    assert safe_url("HTTPS://Example.com/A") == "https://Example.com/A"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "\x01javascript:alert(1)",
        "java\tscript:alert(1)",
        "javascript&colon;alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "tg://resolve?domain=evil",
        "mailto:a@example.com",
        "ftp://example.com/file",
        "//evil.example/path",
        "/relative/path",
        "https://",
        "https:example.com",
        "https://bank.example@evil.example/",
        "https:\\\\evil.example",
        "https://evil.example/\x00",
        " https://example.com",
        "https://exa\u200bmple.com",
        "https://example.com/\u202eexe.txt",
        "",
        None,
    ],
)
def test_unsafe_url_refused(url: str | None) -> None:
    assert safe_url(url) is None


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("a\x00b\x08c\x0bd\x1fe", "abcde"),
        ("tab\tline\ncarriage\r", "tab\tline\ncarriage\r"),
        ("lone \ud800 surrogate \udfff", "lone  surrogate "),
        ("non\ufffechar\uffff", "nonchar"),
        ("emoji 🧵 and \u202e stay in text", "emoji 🧵 and \u202e stay in text"),
    ],
)
def test_text_loses_only_what_xml_forbids(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Ada\u202e nimda", "Ada nimda"),
        ("\u2066Ada\u2069 \u200eLovelace\u200f\u061c", "Ada Lovelace"),
        ("A\u200bd\u200ca\u2060\ufeff\u180e", "Ada"),
        ("Ada\U000e0041\U000e007f", "Ada"),
        ("Ada\u3164\u115f", "Ada"),
        ("Ada\n\nOfficial\tAccount", "Ada Official Account"),
        ("  Ada\x00  ", "Ada"),
        ("a\u200db", "ab"),
    ],
)
def test_name_loses_invisible_and_direction_characters(raw: str, cleaned: str) -> None:
    assert clean_name(raw) == cleaned


@pytest.mark.parametrize(
    "name", ["Kim 🌻", "👨\u200d👩\u200d👧 family", "🏳️\u200d🌈 Pride", "👍🏽\u200d x", "Ана"]
)
def test_name_keeps_emoji_sequences_and_letters(name: str) -> None:
    assert clean_name(name) == name.replace("\u200d x", " x")


@pytest.mark.parametrize(
    "sample",
    [rich_thread, long_thread, x_thread, mastodon_thread, bluesky_thread],
    ids=lambda f: f.__name__,
)
def test_sanitize_leaves_a_harmless_thread_as_it_was(sample: Callable[[], Thread]) -> None:
    assert sanitize_thread(sample()) == sample()


@pytest.mark.parametrize(
    "sample",
    [rich_thread, long_thread, x_thread, mastodon_thread, bluesky_thread],
    ids=lambda f: f.__name__,
)
def test_sanitize_returns_a_harmless_thread_itself(sample: Callable[[], Thread]) -> None:
    """Nothing is rebuilt when nothing needs cleaning (cleaning then sees the same posts)."""
    harmless = sample()
    assert sanitize_thread(harmless) is harmless


def test_sanitize_keeps_the_harmless_posts_of_a_hostile_thread() -> None:
    harmless = post(1, text("fine"))
    hostile = thread(post(0, link("this", EVIL)), harmless)
    assert sanitize_thread(hostile).posts[1] is harmless


def test_sanitize_turns_unsafe_link_into_text() -> None:
    hostile = thread(post(0, text("see "), link("this", EVIL)))
    assert sanitize_thread(hostile).posts[0].text == (text("see "), text("this"))


def test_sanitize_writes_a_link_url_in_its_safe_form() -> None:
    hostile = thread(post(0, text("see "), link("this", "HTTPS://example.com/a b")))
    cleaned = sanitize_thread(hostile).posts[0].text
    assert cleaned == (text("see "), link("this", "https://example.com/a%20b"))


def test_sanitize_keeps_mention_kind_without_its_url() -> None:
    mention = Segment(SegmentKind.MENTION, "@bob", "tg://resolve?domain=bob")
    hostile = thread(post(0, mention, text(" hi")))
    assert sanitize_thread(hostile).posts[0].text[0] == Segment(SegmentKind.MENTION, "@bob")


def test_sanitize_drops_media_with_unsafe_url() -> None:
    media = (
        Media(MediaType.PHOTO, "data:image/svg+xml,<svg onload=alert(1)>", alt="x"),
        Media(MediaType.PHOTO, PHOTO, alt="kept"),
    )
    hostile = thread(post(0, media=media))
    assert sanitize_thread(hostile).posts[0].media == (media[1],)


def test_sanitize_drops_unsafe_thumbnail_alone() -> None:
    video = Media(MediaType.VIDEO, "https://v.example/1.mp4", thumbnail_url="file:///x.jpg")
    cleaned = sanitize_thread(thread(post(0, media=(video,)))).posts[0].media
    assert cleaned == (Media(MediaType.VIDEO, "https://v.example/1.mp4"),)


def test_sanitize_drops_card_with_unsafe_url() -> None:
    hostile = thread(post(0, card=LinkCard(" javascript:alert(1)", "Click me")))
    assert sanitize_thread(hostile).posts[0].card is None


def test_sanitize_drops_unsafe_card_image_alone() -> None:
    card = LinkCard("https://example.com", "Title\x07", image_url="vbscript:x")
    cleaned = sanitize_thread(thread(post(0, card=card))).posts[0].card
    assert cleaned == LinkCard("https://example.com", "Title")


def test_sanitize_cleans_the_quote() -> None:
    quote = Quote(
        url=EVIL,
        author=Author("bob\u200b", "Bob\u202e", "data:text/html,x"),
        text=(link("here", "file:///etc/passwd"),),
        media=(Media(MediaType.PHOTO, "tg://photo"),),
    )
    cleaned = sanitize_thread(thread(post(0, quote=quote))).posts[0].quote
    assert cleaned == Quote(url=None, author=Author("bob", "Bob", ""), text=(text("here"),))


def test_sanitize_cleans_author_and_falls_back_to_handle_for_blank_name() -> None:
    hostile = Thread(
        key=rich_thread().key,
        source=rich_thread().source,
        url=EVIL,
        author=Author("ada", "\u200b\u202e\u3164", EVIL),
        posts=(post(0),),
        report=rich_thread().report,
    )
    cleaned = sanitize_thread(hostile)
    assert (cleaned.url, cleaned.author) == ("", Author("ada", "ada", ""))


def test_sanitize_cleans_every_text_field() -> None:
    hostile = thread(
        post(
            0,
            text("a\x00b"),
            media=(Media(MediaType.PHOTO, PHOTO, alt="alt\x1b"),),
            poll=Poll((PollOption("yes\x0c"),)),
            content_warning="cw\x01",
        )
    )
    cleaned = sanitize_thread(hostile).posts[0]
    assert (
        cleaned.plain_text,
        cleaned.media[0].alt,
        cleaned.poll and cleaned.poll.options[0].label,
        cleaned.content_warning,
    ) == ("ab", "alt", "yes", "cw")
