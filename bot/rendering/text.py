"""Plain text for a terminal, the CLI's default output. Pure: no I/O.

One line per paragraph (the terminal wraps), a blank line between blocks, and every link shown
as its real URL so it can be copied: the platforms' shortened link texts ("example.com/a…")
are replaced by the URL they stand for. Control characters are left out (C0 but tab and
line breaks, DEL and C1): an escape sequence in a post must not steer the reader's terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot import safety
from bot.i18n import Words
from bot.model import LinkCard, Media, Poll, Quote, Segment, SegmentKind, Thread
from bot.rendering import RenderOptions, summary
from bot.rendering.passages import Passage, group_passages

_ELLIPSES = ("…", "...")
_TERMINAL_CONTROLS = re.compile("[\x7f-\x9f]")


def render(thread: Thread, options: RenderOptions = RenderOptions()) -> str:
    """Return the thread as plain text, ending with a newline."""
    words = options.words
    blocks: list[str] = []
    if options.include_header:
        blocks.append(_header(thread, words))
    for passage in group_passages(thread.posts):
        blocks.extend(_passage_blocks(passage, words))
    if options.include_footer:
        blocks.append(f"{summary.original_on(thread, words)}: {thread.url}")
    return _TERMINAL_CONTROLS.sub("", safety.clean_text("\n\n".join(blocks) + "\n"))


def is_shortened_form(visible: str, url: str) -> bool:
    """Tell whether a link's visible text is just its URL, possibly without scheme or cut short.

    Platforms show "example.com/a…" for long links; that text carries nothing the URL does not.
    """
    shown = visible.strip().removesuffix(_ELLIPSES[0]).removesuffix(_ELLIPSES[1])
    return bool(shown) and _without_scheme(url).startswith(_without_scheme(shown))


def linked_text(segments: tuple[Segment, ...]) -> str:
    """Return the text with every link written as its full URL (after its label, if any)."""
    return _inline_text(segments)


def _header(thread: Thread, words: Words) -> str:
    return "\n".join(
        (
            summary.author_text(thread.author),
            summary.byline_facts(thread, words),
            _completeness_text(thread, words),
        )
    )


def _completeness_text(thread: Thread, words: Words) -> str:
    # A linked run reads as "words (URL)", as a link in a post does.
    runs = summary.completeness_runs(thread.report, words)
    links = ((text, safety.safe_url(url)) for text, url in runs)
    return "".join(f"{text} ({url})" if url else text for text, url in links)


def _passage_blocks(passage: Passage, words: Words) -> Iterator[str]:
    if passage.gap_before:
        yield summary.gap_text(passage.gap_before, words)
    if passage.content_warning:
        label = summary.content_warning_label(words)
        yield f"{label} {' '.join(passage.content_warning.split())}"
    yield from (_inline_text(paragraph) for paragraph in passage.paragraphs)
    for post in passage.posts:
        yield from _attachment_blocks(post.media, post.poll, post.card, post.quote, words)


def _attachment_blocks(
    media: tuple[Media, ...],
    poll: Poll | None,
    card: LinkCard | None,
    quote: Quote | None,
    words: Words,
) -> Iterator[str]:
    if media:
        yield "\n".join(_media_line(item, words) for item in media)
    if poll:
        options = (f"• {summary.poll_option_text(option, poll, words)}" for option in poll.options)
        yield "\n".join((summary.poll_caption(poll, words), *options))
    if card:
        yield f"🔗 {card.title or card.url} — {card.url}"
    if quote:
        yield _quote_block(quote, words)


def _media_line(media: Media, words: Words) -> str:
    return f"{summary.media_caption(media, words)} — {media.url}"


def _quote_block(quote: Quote, words: Words) -> str:
    caption = summary.quote_caption(quote, words)
    if quote.url and not quote.unavailable:
        caption = f"{caption} — {quote.url}"
    lines = [caption, *_inline_text(quote.text).splitlines()]
    lines.extend(_media_line(item, words) for item in quote.media)
    return "\n".join(f"> {line}".rstrip() for line in lines)


def _inline_text(segments: tuple[Segment, ...]) -> str:
    return "".join(_segment_text(segment) for segment in segments)


def _segment_text(segment: Segment) -> str:
    if segment.kind is not SegmentKind.LINK or not segment.url:
        return segment.text
    if is_shortened_form(segment.text, segment.url):
        return segment.url
    return f"{segment.text} ({segment.url})"


def _without_scheme(url: str) -> str:
    bare = url.split("://", 1)[-1]
    return bare.removeprefix("www.")
