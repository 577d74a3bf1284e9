"""Telegram HTML, cut into messages of at most 4096 UTF-16 units of visible text. Pure: no I/O.

The thread is first laid out as runs: stretches of visible text, each with the tags around it,
outermost first. Cuts are chosen in the visible text, which is what Telegram counts, at the best
boundary (paragraph, line, sentence, word; a hard cut only inside a word longer than a message).
Each chunk is then written out on its own, so no tag or character entity is ever split, and a
tag open at a cut is closed at the end of one chunk and opened again at the start of the next.
Only tags Telegram's HTML parse mode accepts are written, and all text is escaped and loses the
characters XML forbids. Every link is written only for a URL `safety.safe_url` allows, the
teaser's page link too (a caller may pass the thread's own URL there). A `tg://` link opens a
chat or bot inside Telegram; the bot makes none in these messages, so none is ever written.

A content warning shows as a "CW:" line, and the posts under it go inside `<tg-spoiler>`: the
reader learns what the warning is about and taps to reveal, as the author asked for on Mastodon.
A quote stays outside the spoiler, because Telegram cannot put a blockquote inside one.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from bot import safety
from bot.i18n import Words
from bot.model import MediaType, Poll, Post, Quote, Segment, SegmentKind, Thread
from bot.rendering import RenderOptions, summary
from bot.rendering.passages import Passage, group_passages, split_paragraphs

MAX_MESSAGE_UNITS = 4096
"""Telegram's `MessageLimit.MAX_TEXT_LENGTH`, counted in UTF-16 code units as Telegram does.

Rendering may not import `telegram` (layer rule), so a unit test pins the two together.
"""
TEASER_PARAGRAPH_UNITS = 600
_MAX_NAME_CHARS = 128
# A sentence ends at . ! ? or … with any closing quotes or brackets, before whitespace.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*(?=\s)")
# Characters outside the Basic Multilingual Plane: two UTF-16 units each.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """A thread as Telegram messages, in order, and the URL to show as the link preview.

    Every chunk is valid Telegram HTML of at most 4096 UTF-16 units of visible text. `chunks` is
    empty only for a thread with nothing to show when header and footer are left out.
    """

    chunks: tuple[str, ...]
    preview_url: str | None


@dataclass(frozen=True, slots=True)
class _Tag:
    name: str
    href: str | None = None
    # Written once per tag, not once per run it opens or closes.
    opening: str = field(init=False, repr=False, compare=False)
    closing: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        attribute = "" if self.href is None else f' href="{html.escape(self.href)}"'
        object.__setattr__(self, "opening", f"<{self.name}{attribute}>")
        object.__setattr__(self, "closing", f"</{self.name}>")


_Tags = tuple[_Tag, ...]
_Run = tuple[str, _Tags]
_Block = list[_Run]

_BOLD = _Tag("b")
_ITALIC = _Tag("i")
_SPOILER = _Tag("tg-spoiler")
_QUOTE = _Tag("blockquote")
_PARAGRAPH_BREAK: _Run = ("\n\n", ())


def render(
    thread: Thread, options: RenderOptions = RenderOptions(), *, max_units: int = MAX_MESSAGE_UNITS
) -> TelegramMessage:
    """Return the thread as Telegram HTML chunks, each within `max_units` UTF-16 units.

    `max_units` is Telegram's message limit unless a caller needs less (a caption, a test).
    """
    if max_units < 2:
        raise ValueError("a chunk must hold at least one character of two UTF-16 units")
    runs = _join(_thread_blocks(thread, options, options.words), _PARAGRAPH_BREAK)
    return TelegramMessage(chunks=_chunks(runs, max_units), preview_url=_preview_url(thread))


CHUNK_SEPARATOR = "\n\n――― next message ―――\n\n"


def render_document(thread: Thread, options: RenderOptions = RenderOptions()) -> str:
    """Return the thread's messages as one document, the messages set apart by a rule.

    Every other text renderer ends with a newline; so does this, after the last message.
    """
    return CHUNK_SEPARATOR.join(render(thread, options).chunks) + "\n"


def render_teaser(thread: Thread, page_url: str, options: RenderOptions = RenderOptions()) -> str:
    """Return the short message that points to a page holding a thread too long to send.

    Title, author, the opening paragraph cut to about 600 units, the facts, and the page link:
    well under one message, since every part is bounded.
    """
    words = options.words
    blocks: list[_Block] = [[(summary.title(thread, words), (_BOLD,))]]
    if options.include_header:
        date = f" · {summary.date_text(thread.posts[0].created_at, words)}" if thread.posts else ""
        blocks.append([*_author_runs(thread), (date, ())])
    blocks.append(_opening(thread))
    facts: _Block = []
    if options.include_footer:
        reading = f" · {summary.reading_time_text(thread, words)}"
        facts = [*_completeness_runs(thread, words), (reading, ()), ("\n", ())]
    blocks.append([*facts, (words.gettext("Read the whole thread"), _link(page_url))])
    return _serialize(_join(blocks, _PARAGRAPH_BREAK))


def fits_one_message(message: TelegramMessage) -> bool:
    """Tell whether the thread can be answered with a single message."""
    return len(message.chunks) == 1


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, as Telegram counts lengths: astral characters count twice."""
    return len(text.encode("utf-16-le")) // 2


# Layout: the thread as blocks of runs.


def _thread_blocks(thread: Thread, options: RenderOptions, words: Words) -> Iterator[_Block]:
    if options.include_header:
        posts = summary.posts_text(thread.report.posts, words)
        facts = f"{summary.byline_facts(thread, words)} · {posts}"
        yield [*_author_runs(thread), ("\n" + facts, ())]
    for passage in group_passages(thread.posts):
        yield from _passage_blocks(passage, words)
    if options.include_footer:
        source = summary.original_on(thread, words)
        yield [(source, _link(thread.url)), (" · ", ()), *_completeness_runs(thread, words)]


def _completeness_runs(thread: Thread, words: Words) -> _Block:
    runs = summary.completeness_runs(thread.report, words)
    return [(text, _link(url)) for text, url in runs]


def _author_runs(thread: Thread) -> _Block:
    author = thread.author
    name = author.name[:_MAX_NAME_CHARS]
    return [(name, (_BOLD, *_link(author.url))), (f" (@{author.handle})", ())]


def _passage_blocks(passage: Passage, words: Words) -> Iterator[_Block]:
    if passage.gap_before:
        yield [(summary.gap_text(passage.gap_before, words), (_ITALIC,))]
    if passage.content_warning:
        warning = " " + " ".join(passage.content_warning.split())
        yield [(summary.content_warning_label(words), (_BOLD,)), (warning, ())]
    base = _base_tags(passage.posts[0])
    yield from (_segment_runs(paragraph, base) for paragraph in passage.paragraphs)
    for post in passage.posts:
        yield from _attachment_blocks(post, base, words)


def _base_tags(post: Post) -> _Tags:
    # Every post of a passage shares its first post's warning (passages break where it changes).
    return (_SPOILER,) if post.content_warning else ()


def _attachment_blocks(post: Post, base: _Tags, words: Words) -> Iterator[_Block]:
    if post.media:
        captions = (
            [(summary.media_caption(m, words), (*base, *_link(m.url)))] for m in post.media
        )
        yield _join(captions, ("\n", base))
    if post.poll:
        yield _poll_block(post.poll, base, words)
    if post.card:
        title = post.card.title or post.card.url
        yield [("🔗 ", base), (title, (*base, *_link(post.card.url)))]
    if post.quote:
        yield _quote_block(post.quote, words)


def _poll_block(poll: Poll, base: _Tags, words: Words) -> _Block:
    lines = [summary.poll_caption(poll, words)]
    lines.extend(f"• {summary.poll_option_text(option, poll, words)}" for option in poll.options)
    return [("\n".join(lines), base)]


def _quote_block(quote: Quote, words: Words) -> _Block:
    inside: _Tags = (_QUOTE,)
    if quote.unavailable:
        return [(summary.quote_unavailable(words), (_QUOTE, _ITALIC))]
    head = [(summary.quote_caption(quote, words), (_QUOTE, _BOLD, *_link(quote.url)))]
    paragraphs = (_segment_runs(paragraph, inside) for paragraph in split_paragraphs(quote.text))
    media = ([(summary.media_caption(m, words), (_QUOTE, *_link(m.url)))] for m in quote.media)
    # A blockquote cannot hold blank lines usefully; its paragraphs are single lines.
    return _join([head, *paragraphs, *media], ("\n", inside))


def _opening(thread: Thread) -> _Block:
    passages = group_passages(thread.posts)
    if not passages or not passages[0].paragraphs:
        return []
    base = _base_tags(passages[0].posts[0])
    # Measured before `_join` cleans it, so cleaned here.
    runs = [
        (safety.clean_text(text), tags)
        for text, tags in _segment_runs(passages[0].paragraphs[0], base)
    ]
    visible = "".join(text for text, _ in runs)
    span = next(_spans(visible, TEASER_PARAGRAPH_UNITS), None)
    if span is None:  # a paragraph of empty links shows nothing
        return []
    start, end = span
    opening = _slice(runs, _offsets(runs), start, end)
    if end < len(visible):
        opening.append(("…", base))
    return opening


def _segment_runs(segments: Sequence[Segment], base: _Tags) -> _Block:
    # Not cleaned yet: `_join` cleans every run, once.
    return [
        (
            segment.text,
            base if segment.kind is SegmentKind.TEXT else (*base, *_link(segment.url)),
        )
        for segment in segments
    ]


def _link(url: str | None) -> _Tags:
    # Telegram refuses the whole message for a link it cannot open, and a post's `tg://resolve`
    # would open whatever chat or bot the upstream chose: anything but the web stays text.
    target = safety.safe_url(url)
    return (_Tag("a", target),) if target else ()


def _join(blocks: Iterable[_Block], separator: _Run) -> _Block:
    # Every run passes here before it is measured, so this is where forbidden characters go
    # (a lone surrogate cannot even be counted in UTF-16).
    joined: _Block = []
    for block in blocks:
        block = [(safety.clean_text(text), tags) for text, tags in block]
        if not any(text for text, _ in block):  # nothing visible: no separator for it either
            continue
        if joined:
            joined.append(separator)
        joined.extend(block)
    return joined


def _preview_url(thread: Thread) -> str | None:
    # Images under a content warning would show in the preview unasked, so they are passed over.
    for post in thread.posts:
        if post.content_warning:
            continue
        for media in post.media:
            url = media.url if media.type is MediaType.PHOTO else media.thumbnail_url
            if safe := safety.safe_url(url):
                return safe
    return None


# Chunking: cut the visible text, then write each chunk's runs as HTML.


def _chunks(runs: _Block, max_units: int) -> tuple[str, ...]:
    visible = "".join(text for text, _ in runs)
    offsets = _offsets(runs)
    return tuple(
        _serialize(_slice(runs, offsets, start, end)) for start, end in _spans(visible, max_units)
    )


def _offsets(runs: _Block) -> list[int]:
    """Return where each run starts in the visible text, plus the total length at the end."""
    return list(accumulate((len(text) for text, _ in runs), initial=0))


def _spans(visible: str, max_units: int) -> Iterator[tuple[int, int]]:
    """Yield (start, end) code-point spans of the chunks, whitespace at their edges left out."""
    astral = [match.start() for match in _ASTRAL.finditer(visible)]
    start = _skip_space(visible, 0)
    while start < len(visible):
        end = _fit(visible, astral, start, max_units)
        if end < len(visible):
            end = _cut(visible, start, end)
        yield start, start + len(visible[start:end].rstrip())
        start = _skip_space(visible, end)


def _fit(visible: str, astral: list[int], start: int, max_units: int) -> int:
    """Return the furthest end such that visible[start:end] is within `max_units` UTF-16 units.

    `astral` holds the positions of the characters outside the BMP, in order: the UTF-16 length
    of a span is its length plus how many of them it holds, counted without encoding it.
    """
    first = bisect_left(astral, start)

    def units(stop: int) -> int:
        return stop - start + bisect_left(astral, stop, first) - first

    end = min(len(visible), start + max_units)
    if units(end) <= max_units:
        return end
    # Astral characters count twice. Half as many code points as units always fit, so binary
    # search between that and `end`, which does not fit.
    fits, too_long = start + max_units // 2, end
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if units(middle) <= max_units:
            fits = middle
        else:
            too_long = middle
    return fits


def _cut(visible: str, start: int, end: int) -> int:
    """Return where to end a chunk that cannot reach `end`: the best boundary at or before it.

    A paragraph, line or sentence boundary counts only when the chunk stays at least half full,
    so a short opening paragraph does not cost a message of its own.
    """
    half = start + (end - start) // 2
    for cut in (
        visible.rfind("\n\n", half, end + 2),
        visible.rfind("\n", half, end + 1),
        _last_sentence_end(visible, half, end),
    ):
        if cut > start and cut >= half:
            return cut
    for index in range(end, start, -1):
        if visible[index].isspace():
            return index
    return end  # one word longer than a whole chunk


def _last_sentence_end(visible: str, low: int, end: int) -> int:
    # The lookahead needs the whitespace after the sentence, so search one character further.
    last = -1
    for match in _SENTENCE_END.finditer(visible, low, end + 1):
        last = match.end()
    return last


def _skip_space(visible: str, index: int) -> int:
    while index < len(visible) and visible[index].isspace():
        index += 1
    return index


def _slice(runs: _Block, offsets: list[int], start: int, end: int) -> _Block:
    """Return the runs covering visible[start:end], the ones at the edges cut to fit."""
    pieces: _Block = []
    for index in range(bisect_right(offsets, start) - 1, len(runs)):
        run_start = offsets[index]
        if run_start >= end:
            break
        text, tags = runs[index]
        piece = text[max(start - run_start, 0) : end - run_start]
        if piece:
            pieces.append((piece, tags))
    return pieces


def _serialize(runs: _Block) -> str:
    """Write runs as HTML, opening and closing only the tags that change between runs."""
    parts: list[str] = []
    open_tags: _Tags = ()
    for text, tags in runs:
        parts.append(_retag(open_tags, tags))
        parts.append(html.escape(text, quote=False))
        open_tags = tags
    parts.append(_retag(open_tags, ()))
    return "".join(parts)


def _retag(current: _Tags, wanted: _Tags) -> str:
    if current == wanted:
        return ""  # most neighbouring runs: plain text, or the same link's words
    shared = 0
    for have, want in zip(current, wanted, strict=False):
        if have != want:
            break
        shared += 1
    closing = "".join(tag.closing for tag in reversed(current[shared:]))
    return closing + "".join(tag.opening for tag in wanted[shared:])
