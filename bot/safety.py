"""What may be shown: links only to the web, text XML can carry, names that hide nothing. Pure.

Upstreams are not trusted. A post's link, an author's URL or a card may name any scheme
(`javascript:`, `data:`, `file:`, `tg://resolve`), a post may carry control characters, and a
display name may hide right-to-left overrides or zero-width characters to pass for someone
else. `sanitize_thread` applies every rule here to a freshly fetched thread; renderers apply
`safe_url` and `clean_text` again on what they write, so a thread that skipped it (a cached
result, a test) is still shown safely.

The rules, all allow-lists or exact character classes:

- A URL is followed only when it is absolute `http` or `https` with a host, and holds no
  control character, backslash, credentials (`https://bank.example@evil.example`) or
  whitespace other than a plain space inside it (written as `%20`, as browsers do).
- Text loses what XML 1.0 forbids (C0 controls but tab, line feed and carriage return; lone
  surrogates; U+FFFE and U+FFFF), which would break the EPUB and the XHTML pages.
- Names and handles also lose invisible format characters (Unicode category Cf: bidirectional
  controls, zero-width characters, tags) and blank fillers, and fold to one line. A zero-width
  joiner between two symbols stays, since emoji sequences such as 🏳️‍🌈 need it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.model import (
    LINK,
    TEXT,
    Author,
    LinkCard,
    Media,
    Model,
    Poll,
    Post,
    Quote,
    Segment,
    Thread,
    kept_if_unchanged,
    with_changes,
)

SAFE_SCHEMES = frozenset({"http", "https"})

# XML 1.0's Char production leaves these out (https://www.w3.org/TR/xml/#charsets).
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Anything a browser or Markdown would drop or reinterpret inside a URL: C0 and C1 controls,
# every space but U+0020 (a URL must start with its scheme, so a space cannot lead), the
# backslash browsers read as "/", and the invisible format characters.
_URL_UNSAFE_CHARS = (
    "\x00-\x1f\x7f-\xa0\\\\\u00ad\u061c\u1680\u180e\u2000-\u200f\u2028-\u202f"
    "\u205f-\u206f\u3000\ufeff\ufff9-\ufffb"
)
_URL_UNSAFE = re.compile(f"[{_URL_UNSAFE_CHARS}]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)")
# The shape nearly every URL has, which `safe_url` returns as it is: a lower-case web scheme, a
# host without credentials, and nothing unsafe and no space anywhere. One match tells it.
_PLAIN_WEB_URL = re.compile(
    f"https?://[^/?#@ {_URL_UNSAFE_CHARS}]+(?:[/?#][^ {_URL_UNSAFE_CHARS}]*)?"
)
_ZERO_WIDTH_JOINER = "\u200d"
# Letters that draw nothing, used to make a name look blank or padded (not category Cf).
_BLANK_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")
# A joiner glues emoji into one picture when it sits between two of them (or a variation
# selector or skin tone and the next emoji).
_JOINABLE = frozenset({"So", "Sk"})
_VARIATION_SELECTOR_16 = "\ufe0f"


def safe_url(url: str | None) -> str | None:
    """Return the URL when a reader may follow it, or None.

    Allowed is an absolute `http` or `https` URL with a host and without credentials,
    control characters, whitespace or backslashes, in any case of the scheme (returned
    lower-cased); a plain space inside it is returned as `%20`. Everything else is refused,
    including relative URLs: the bot has no base for them, and a browser would resolve them
    against the page that shows them.
    """
    if url is None or _PLAIN_WEB_URL.fullmatch(url):
        # Returning the very string spares a copy, and lets the sanitizer's comparison of old
        # and new values end at their identity.
        return url
    if not url or _URL_UNSAFE.search(url):
        return None
    match = _SCHEME.match(url)
    if match is None:
        return None
    scheme, authority = match.groups()
    lowered = scheme.lower()
    if lowered not in SAFE_SCHEMES or not authority or "@" in authority:
        return None
    # Not the plain shape, so the scheme's case or a space inside needs writing anew.
    return lowered + url[len(scheme) :].replace(" ", "%20")


def is_safe_url(url: str | None) -> bool:
    """Tell whether `safe_url` lets the URL through."""
    return safe_url(url) is not None


def is_clean_text(text: str) -> bool:
    """Tell whether `clean_text` leaves the text as it is."""
    return _XML_FORBIDDEN.search(text) is None


def clean_text(text: str) -> str:
    """Return the text without the characters XML 1.0 forbids."""
    return _XML_FORBIDDEN.sub("", text)


def clean_name(name: str) -> str:
    """Return a display name or handle that shows what it is: one line, nothing invisible.

    Bidirectional overrides, isolates and marks, zero-width characters, tag characters and
    blank fillers are removed, except a zero-width joiner inside an emoji sequence.
    Whitespace of every kind folds to single spaces.
    """
    text = clean_text(name)
    if not text.isascii():
        text = "".join(_visible(text))
    return " ".join(text.split())


def sanitize_thread(thread: Thread) -> Thread:
    """Return the thread with every rule of this module applied to every field.

    A link whose URL is unsafe becomes plain text; a mention or hashtag keeps its kind
    (cleaning looks for reply mentions) but loses its URL. A media item whose own URL is
    unsafe is dropped, since there is nothing to show or open; an unsafe thumbnail is
    dropped alone. A card with an unsafe URL is dropped; an unsafe card image is dropped
    alone. A post, author or thread URL that is unsafe becomes "" (the model requires a
    string), and an unsafe quote URL None.

    Every part the rules leave equal comes back as the same object: most of a fetched thread
    is harmless, and rebuilding it would only cost time (here and in cleaning, whose steps
    recognise an untouched post by identity).
    """
    report = _kept_or_replaced(
        thread.report,
        note=_optional_text(thread.report.note),
        other_branch_url=safe_url(thread.report.other_branch_url),
    )
    return _kept_or_replaced(
        thread,
        url=safe_url(thread.url) or "",
        author=_author(thread.author),
        posts=kept_if_unchanged(thread.posts, tuple(_post(post) for post in thread.posts)),
        report=report,
    )


def _kept_or_replaced(value: Model, **fields: Any) -> Model:
    """Return `value` itself when every given field equals its own, else a copy with them."""
    for name, new in fields.items():
        if getattr(value, name) != new:
            return with_changes(value, **fields)
    return value


def _visible(text: str) -> list[str]:
    kept: list[str] = []
    for index, char in enumerate(text):
        if char in _BLANK_FILLERS:
            continue
        if char == _ZERO_WIDTH_JOINER:
            if _joins_emoji(text, index):
                kept.append(char)
            continue
        if char.isascii() or unicodedata.category(char) != "Cf":
            kept.append(char)
    return kept


def _joins_emoji(text: str, index: int) -> bool:
    if index == 0 or index + 1 == len(text):
        return False
    before, after = text[index - 1], text[index + 1]
    joinable_before = before == _VARIATION_SELECTOR_16 or unicodedata.category(before) in _JOINABLE
    return joinable_before and unicodedata.category(after) == "So"


def _author(author: Author) -> Author:
    handle = clean_name(author.handle)
    # A name made only of invisible characters would leave the byline empty.
    name = clean_name(author.name) or handle
    return _kept_or_replaced(author, handle=handle, name=name, url=safe_url(author.url) or "")


def _post(post: Post) -> Post:
    return _kept_or_replaced(
        post,
        url=safe_url(post.url) or "",
        text=_segments(post.text),
        media=_media(post.media),
        quote=_quote(post.quote) if post.quote else None,
        card=_card(post.card) if post.card else None,
        poll=_poll(post.poll) if post.poll else None,
        content_warning=_optional_text(post.content_warning),
    )


def _segments(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    if _are_harmless(segments):
        return segments
    return kept_if_unchanged(segments, tuple(_segment(segment) for segment in segments))


def _are_harmless(segments: tuple[Segment, ...]) -> bool:
    """Tell whether no rule changes any of the segments, asking once for all their text."""
    for segment in segments:
        if segment.url is not None and not _PLAIN_WEB_URL.fullmatch(segment.url):
            return False
    return is_clean_text("".join([segment.text for segment in segments]))


def _segment(segment: Segment) -> Segment:
    text = clean_text(segment.text)
    if segment.url is None:
        return segment if text == segment.text else Segment(segment.kind, text)
    url = safe_url(segment.url)
    if url is None and segment.kind is LINK:
        return Segment(TEXT, text)
    return _kept_or_replaced(segment, text=text, url=url)


def _media(media: tuple[Media, ...]) -> tuple[Media, ...]:
    if not media:
        return media  # most posts have none: no need to build an empty tuple to compare
    return kept_if_unchanged(
        media,
        tuple(_media_item(item, url) for item in media if (url := safe_url(item.url)) is not None),
    )


def _media_item(item: Media, url: str) -> Media:
    return _kept_or_replaced(
        item, url=url, alt=clean_text(item.alt), thumbnail_url=safe_url(item.thumbnail_url)
    )


def _quote(quote: Quote) -> Quote:
    return _kept_or_replaced(
        quote,
        url=safe_url(quote.url),
        author=_author(quote.author) if quote.author else None,
        text=_segments(quote.text),
        media=_media(quote.media),
    )


def _card(card: LinkCard) -> LinkCard | None:
    url = safe_url(card.url)
    if url is None:
        return None
    return _kept_or_replaced(
        card,
        url=url,
        title=clean_text(card.title),
        description=clean_text(card.description),
        image_url=safe_url(card.image_url),
    )


def _poll(poll: Poll) -> Poll:
    options = tuple(
        _kept_or_replaced(option, label=clean_text(option.label)) for option in poll.options
    )
    return _kept_or_replaced(poll, options=kept_if_unchanged(poll.options, options))


def _optional_text(text: str | None) -> str | None:
    return None if text is None else clean_text(text)
