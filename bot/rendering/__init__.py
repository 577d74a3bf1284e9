"""Renderers: one module per output, each `render(thread, options)`. Pure: no I/O.

Renderers read a thread that cleaning already shaped: a post with `joins_next` runs on into the
next one without a paragraph break (reflow mode); `gap_before` marks deleted posts in place.
Each module's `render` returns its own type: text as `str`, EPUB as `bytes`, Telegram HTML as a
`TelegramMessage` (chunks), a Telegram rich message as a `RichMessage`, Telegraph as its page
nodes. `FORMATS` names the outputs people ask for as documents; adding one is a renderer module
and one line there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.i18n import ENGLISH, Words
from bot.model import Thread


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What a caller may choose about an output, beyond the thread itself: which parts, and
    the words its own chrome (headers, captions, the completeness line) is said in."""

    include_header: bool = True
    include_footer: bool = True
    words: Words = ENGLISH


# The renderer modules import RenderOptions from this package, so they load only once it exists.
from bot.rendering import (  # noqa: E402
    epub,
    html_page,
    json,
    markdown,
    telegram_html,
    telegram_rich,
    text,
)


@dataclass(frozen=True, slots=True)
class Format:
    """An output people ask for by name: `unroll --format NAME`, a file button, a web page.

    `button` is the label of the file button under an answer (None: no button); `extension`
    names the file; `binary` outputs are bytes, which go to a file, never to a terminal.
    """

    name: str
    render: Callable[[Thread, RenderOptions], str | bytes]
    extension: str
    button: str | None = None  # a format's name: the same in every language
    binary: bool = False


FORMATS: Mapping[str, Format] = MappingProxyType(
    {
        format.name: format
        for format in (
            Format("text", text.render, "txt"),
            Format("markdown", markdown.render, "md", button="Markdown"),
            Format("html", html_page.render, "html"),
            Format("json", json.render, "json"),
            Format("telegram", telegram_html.render_document, "html"),
            Format("telegram-rich", telegram_rich.render_document, "html"),
            Format("epub", epub.render, "epub", button="EPUB", binary=True),
        )
    }
)
"""Every document format, in the order the CLI and the file buttons list them."""
