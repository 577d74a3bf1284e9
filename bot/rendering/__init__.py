"""Renderers: one module per output, each `render(thread, options)`. Pure: no I/O.

Renderers read a thread that cleaning already shaped: a post with `joins_next` runs on into the
next one without a paragraph break (reflow mode); `gap_before` marks deleted posts in place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What a caller may choose about an output, beyond the thread itself."""

    include_header: bool = True
    include_footer: bool = True
