"""Telegram's checks on a rich message (Bot API 10.1) for the fake Bot API and the tests. Pure.

`validate` takes the `rich_message` object a bot sends (InputRichMessage) and either returns
what it holds or raises `RichMessageError` with the text of a 400. It parses the HTML form with
the standard library's parser, independently of the renderer, and applies the documented rules
(https://core.telegram.org/bots/api#inputrichmessage and #rich-messages): exactly one of html,
markdown and blocks; 32768 characters of text (counted as code points, markup and URLs not
included); 500 blocks, nested ones, list items and table rows included; 16 levels of nesting of
formatting and blocks; 50 media. The tags are the ones the Bot API names for rich blocks and
rich text; the error texts are this fake's own, since the documentation does not quote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

MAX_TEXT_CHARS = 32768
MAX_BLOCKS = 500
MAX_DEPTH = 16
MAX_MEDIA = 50

# Inline formatting (rich text) and the block tags the Bot API maps its rich blocks to.
INLINE_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "code", "a"}
    | {"sub", "sup", "mark", "br", "cite"}
)
BLOCK_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "footer", "hr", "blockquote", "aside"}
    | {"ul", "ol", "li", "details", "tg-collage", "tg-slideshow", "table", "tr"}
    | {"img", "video", "audio"}
)
# Parts of a block that are not blocks themselves: a caption, a summary, table cells.
PART_TAGS = frozenset({"figure", "figcaption", "summary", "td", "th"})
MEDIA_TAGS = frozenset({"img", "video", "audio"})
VOID_TAGS = frozenset({"br", "hr", "img"})
_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "img": frozenset({"src"}),
    "video": frozenset({"src", "poster"}),
    "audio": frozenset({"src"}),
    "details": frozenset({"open"}),
    "blockquote": frozenset({"collapsed"}),
    "ol": frozenset({"start", "type"}),
    "td": frozenset({"colspan", "rowspan", "align", "valign"}),
    "th": frozenset({"colspan", "rowspan", "align", "valign"}),
}
_LINK_SCHEMES = ("https://", "http://", "tg://", "mailto:", "tel:")
_MEDIA_SCHEMES = ("https://", "http://", "tg://photo?id=", "tg://video?id=", "tg://audio?id=")


class RichMessageError(ValueError):
    """A rich message Telegram refuses; the text follows "Bad Request: "."""


@dataclass(frozen=True, slots=True)
class RichStats:
    """What a valid rich message holds, measured as Telegram limits it."""

    text: str
    chars: int
    blocks: int
    depth: int
    media: int
    is_rtl: bool


def validate(rich_message: object) -> RichStats:
    """Return the measures of an InputRichMessage, or raise RichMessageError like Telegram."""
    if not isinstance(rich_message, Mapping):
        raise RichMessageError("rich_message must be an object")
    forms = [name for name in ("html", "markdown", "blocks") if rich_message.get(name)]
    if len(forms) != 1:
        raise RichMessageError("exactly one of html, markdown and blocks must be specified")
    if forms[0] != "html":
        raise RichMessageError(f"the fake supports only the html form, not {forms[0]}")
    is_rtl = rich_message.get("is_rtl", False)
    if not isinstance(is_rtl, bool):
        raise RichMessageError("is_rtl must be a boolean")
    stats = measure_html(str(rich_message["html"]))
    return RichStats(stats.text, stats.chars, stats.blocks, stats.depth, stats.media, is_rtl)


def measure_html(markup: str) -> RichStats:
    """Parse the HTML form and check it against the limits."""
    parser = _RichParser()
    parser.feed(markup)
    parser.close()
    if parser.stack:
        raise RichMessageError(f'can\'t parse rich message: unclosed tag "{parser.stack[-1]}"')
    text = "".join(parser.text)
    if not text.strip() and not parser.media:
        raise RichMessageError("rich message is empty")
    stats = RichStats(text, len(text), parser.blocks, parser.depth, parser.media, False)
    _check_limits(stats)
    return stats


def _check_limits(stats: RichStats) -> None:
    if stats.chars > MAX_TEXT_CHARS:
        raise RichMessageError("rich message is too long")
    if stats.blocks > MAX_BLOCKS:
        raise RichMessageError("rich message has too many blocks")
    if stats.depth > MAX_DEPTH:
        raise RichMessageError("rich message is nested too deeply")
    if stats.media > MAX_MEDIA:
        raise RichMessageError("rich message has too many media")


class _RichParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.blocks = 0
        self.depth = 0
        self.media = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        _check_tag(tag, dict(attrs))
        self.depth = max(self.depth, len(self.stack) + 1)
        self.blocks += tag in BLOCK_TAGS
        self.media += tag in MEDIA_TAGS
        if tag == "br":
            self.text.append("\n")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_TAGS:
            raise RichMessageError(f'can\'t parse rich message: "{tag}" cannot be self-closing')
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            expected = self.stack[-1] if self.stack else "nothing"
            raise RichMessageError(
                f'can\'t parse rich message: unmatched end tag "{tag}", expected "{expected}"'
            )
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        raise RichMessageError("can't parse rich message: comments are not supported")


def _check_tag(tag: str, attrs: Mapping[str, Any]) -> None:
    if tag not in INLINE_TAGS | BLOCK_TAGS | PART_TAGS:
        raise RichMessageError(f'can\'t parse rich message: unsupported tag "{tag}"')
    unknown = set(attrs) - _ATTRIBUTES.get(tag, frozenset())
    if unknown:
        name = min(unknown)
        raise RichMessageError(f'can\'t parse rich message: unsupported attribute "{name}"')
    if tag == "a" and not str(attrs.get("href") or "").startswith(_LINK_SCHEMES):
        raise RichMessageError("can't parse rich message: wrong link URL")
    if tag in MEDIA_TAGS and not str(attrs.get("src") or "").startswith(_MEDIA_SCHEMES):
        raise RichMessageError("can't parse rich message: wrong media URL")
