"""X post text → Segments, and the x.com URLs both X sources link to. Pure: no I/O.

X counts entity offsets in Unicode code points in both FxTwitter and
the official API v2, so fxtwitter.py and x_api.py read their own entity shapes into `XEntity`
and share the cutting here.
"""

from __future__ import annotations

import html
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote as url_quote

from bot.model import TEXT, Author, Platform, Segment, SegmentKind

PLATFORM = Platform.X.value
X_WEB = "https://x.com"


@dataclass(slots=True)
class XEntity:
    """One entity of an X post's text: `[start, end)` in code points, and what it becomes.

    `kind` None drops the range from the text (a media placeholder link). `expected` is what X
    says sits in the range (the t.co link, the handle, the tag); it tells which text the offsets
    count in, see `build_segments`.

    Not frozen, though nothing assigns to it: a frozen dataclass sets each of its six fields
    through `object.__setattr__`, which made building one four times as slow, and a post
    builds one per entity of its text.
    """

    start: int
    end: int
    kind: SegmentKind | None
    url: str | None = None
    display: str | None = None
    expected: str | None = None


def mention_url(handle: str) -> str:
    """Return the profile URL a mention of `handle` points at."""
    return f"{X_WEB}/{handle}"


def hashtag_url(tag: str) -> str:
    """Return the hashtag page for `tag` (percent-encoded: tags may be in any script)."""
    return f"{X_WEB}/hashtag/{url_quote(tag, safe='')}"


def post_url(handle: str, post_id: str) -> str:
    """Return the canonical x.com URL of a post."""
    return f"{X_WEB}/{handle}/status/{post_id}"


def x_author(handle: str, name: str | None) -> Author:
    """Return the Author for an X account."""
    return Author(handle=handle, name=name or handle, url=mention_url(handle))


def build_segments(
    raw_text: str, entities: Sequence[XEntity], display_range: Sequence[int] = ()
) -> tuple[Segment, ...]:
    """Cut X post text into Segments at its entities, keeping only the displayed range.

    Offsets are Unicode code points, which is how Python indexes str.
    X escapes `&`, `<` and `>` in the text; whether its offsets count the escaped or the plain
    text is not documented, so the entities' `expected` text decides (see `_offset_text`).
    Entities outside `display_range` (leading reply mentions, trailing media links) vanish.
    """
    text, still_escaped = _offset_text(raw_text, entities)
    start, end = (
        (display_range[0], display_range[1]) if len(display_range) == 2 else (0, len(text))
    )

    segments: list[Segment] = []
    # Plain text since the last entity shown: a dropped entity (a media link) leaves the runs
    # on either side of it as one, and each Segment is built once, when its text is complete.
    pending = ""
    cursor = start
    for entity in sorted(entities, key=_START):
        if entity.start < cursor or entity.end > end:
            continue
        run = text[cursor : entity.start]
        pending += html.unescape(run) if still_escaped else run
        if entity.kind is not None:
            if pending:
                segments.append(Segment(TEXT, pending))
                pending = ""
            shown = entity.display or text[entity.start : entity.end]
            if shown:
                segments.append(Segment(entity.kind, shown, entity.url))
        cursor = entity.end
    # The space before a removed media link would otherwise end the post.
    run = text[cursor:end]
    pending = (pending + (html.unescape(run) if still_escaped else run)).rstrip()
    if pending:
        segments.append(Segment(TEXT, pending))
    return tuple(segments)


_START = operator.attrgetter("start")


def _offset_text(raw_text: str, entities: Sequence[XEntity]) -> tuple[str, bool]:
    """Return the text the offsets count in, and whether its plain runs still need unescaping."""
    plain = html.unescape(raw_text)
    if plain == raw_text or all(_sits_at(plain, entity) for entity in entities):
        return plain, False
    return raw_text, True


def _sits_at(text: str, entity: XEntity) -> bool:
    found = text[entity.start : entity.end].casefold()
    return entity.expected is None or found.endswith(entity.expected.casefold())
