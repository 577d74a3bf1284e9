"""Renderers: one module per output, each `render(thread, options)`. Pure: no I/O.

Renderers read a thread that cleaning already shaped: a post with `joins_next` runs on into the
next one without a paragraph break (reflow mode); `gap_before` marks deleted posts in place.
`RENDERERS` maps each output format's name to its module's `render`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from bot.model import Thread


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What a caller may choose about an output, beyond the thread itself."""

    include_header: bool = True
    include_footer: bool = True


class Renderer(Protocol):
    """The shape every renderer module's `render` shares; the result type depends on the format."""

    def __call__(self, thread: Thread, options: RenderOptions = ...) -> object: ...


# The renderer modules import RenderOptions from this package, so they load only once it exists.
from bot.rendering import (  # noqa: E402
    epub,
    html_page,
    json,
    markdown,
    telegram_html,
    telegraph,
    text,
)

RENDERERS: Mapping[str, Renderer] = MappingProxyType(
    {
        "text": text.render,
        "markdown": markdown.render,
        "html": html_page.render,
        "epub": epub.render,
        "json": json.render,
        "telegram": telegram_html.render,
        "telegraph": telegraph.render,
    }
)
