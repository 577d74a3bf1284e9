"""Rich-message HTML built with its measures, so fitting never parses markup. Pure: no I/O.

A `Part` is escaped markup together with what Telegram limits in a rich message: characters of
text (code points; a line break counts as one), blocks, media and the depth of nesting. Every
builder here returns a Part whose measures are those of its markup, and `join` only adds them
up, so a message's measures are the sum of its parts'. `inline` writes a paragraph's segments
as the join of their `text` and `link` parts would be, without a part for each. A link is
written only for a URL `safety.safe_url` allows (its words stay text otherwise), and all text
passes `safety.clean_text`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from bot import safety
from bot.model import TEXT, Segment


class Part(NamedTuple):
    """Markup with the measures of what it holds: text characters, blocks, media, depth.

    A named tuple rather than a frozen dataclass: as immutable, and a render builds hundreds
    of parts, each built five times faster this way (a frozen dataclass sets every field
    through `object.__setattr__`). `text` and `_wrap`, which build most of them, pass all five
    fields by position: by keyword, building one took twice as long.
    """

    markup: str
    chars: int = 0
    blocks: int = 0
    media: int = 0
    depth: int = 0


_MARKUP_CHARS = re.compile("[&<>\n]")
"""What `_escaped` writes differently: the three characters HTML escapes, and a line break."""

EMPTY = Part("")
DIVIDER = Part("<hr>", blocks=1, depth=1)


def text(value: str) -> Part:
    """Escape text; a line break inside a paragraph becomes `<br>`, counted as one character."""
    value = safety.clean_text(value)
    if not value:
        return EMPTY
    markup, depth = _escaped(value)
    return Part(markup, len(value), 0, 0, depth)


def link(value: str, url: str | None) -> Part:
    """Return `value` linked to `url`, or as plain text when `safety.safe_url` refuses it."""
    inner = text(value)
    target = safety.safe_url(url)
    if target is None or not inner.markup:
        return inner
    return _wrap(_link_opening(target), "</a>", inner, blocks=0)


def inline(segments: Sequence[Segment]) -> Part:
    """Return segments as one part: links, mentions and hashtags link to their URL, plain text
    stays text.

    Markup and measures are those of joining a `text` or `link` part for each segment, written
    in one pass: paragraphs hold most of a thread's segments, and building a part for each only
    to take it apart again in `join` was the largest cost of a rich render.
    """
    # Asked once of the whole paragraph: nearly all text holds nothing to clean, and most
    # paragraphs nothing to escape or break either, so their text is their markup.
    written = "".join([segment.text for segment in segments])
    clean = safety.is_clean_text(written)
    plain = clean and _MARKUP_CHARS.search(written) is None
    markup: list[str] = []
    chars = depth = 0
    for segment in segments:
        value = segment.text if clean else safety.clean_text(segment.text)
        if not value:
            continue
        piece, piece_depth = (value, 0) if plain else _escaped(value)
        target = None if segment.kind is TEXT else safety.safe_url(segment.url)
        if target is not None:
            piece, piece_depth = _link_opening(target) + piece + "</a>", piece_depth + 1
        markup.append(piece)
        chars, depth = chars + len(value), max(depth, piece_depth)
    return Part("".join(markup), chars, depth=depth)


def image(url: str) -> Part:
    """Return a photo block (`<img>`) for a URL `safety.safe_url` has returned."""
    return Part(f'<img src="{html.escape(url)}">', blocks=1, media=1, depth=1)


def element(tag: str, inner: Part) -> Part:
    """An inline element, or a part of a block (summary, caption) that is not a block itself."""
    return _wrap(f"<{tag}>", f"</{tag}>", inner, blocks=0)


def block(tag: str, inner: Part) -> Part:
    """A block; one with nothing inside is left out rather than shown as an empty gap."""
    if not inner.markup:
        return EMPTY
    return _wrap(f"<{tag}>", f"</{tag}>", inner, blocks=1)


def join(parts: Iterable[Part], separator: Part = EMPTY) -> Part:
    """Concatenate the parts that show something, `separator` between them."""
    # One pass: joins run thousands of times for a long thread.
    markup: list[str] = []
    chars = blocks = media = depth = 0
    for part in parts:
        if not part.markup:
            continue
        if markup and separator.markup:
            markup.append(separator.markup)
            chars, blocks = chars + separator.chars, blocks + separator.blocks
            media, depth = media + separator.media, max(depth, separator.depth)
        markup.append(part.markup)
        chars, blocks = chars + part.chars, blocks + part.blocks
        media, depth = media + part.media, max(depth, part.depth)
    return Part("".join(markup), chars, blocks, media, depth)


def measures(*parts: Part) -> Part:
    """Return the measures of the parts joined, without writing their markup."""
    return Part(
        "",
        chars=sum(part.chars for part in parts),
        blocks=sum(part.blocks for part in parts),
        media=sum(part.media for part in parts),
        depth=max((part.depth for part in parts), default=0),
    )


def _escaped(value: str) -> tuple[str, int]:
    """Return cleaned text's markup, a line break as `<br>`, and its depth (a `<br>` is one)."""
    if "\n" not in value:
        return html.escape(value, quote=False), 0
    return "<br>".join(html.escape(line, quote=False) for line in value.split("\n")), 1


def _link_opening(url: str) -> str:
    return f'<a href="{html.escape(url)}">'


def _wrap(opening: str, closing: str, inner: Part, *, blocks: int) -> Part:
    return Part(
        opening + inner.markup + closing,
        inner.chars,
        inner.blocks + blocks,
        inner.media,
        inner.depth + 1,
    )
