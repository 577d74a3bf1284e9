"""CommonMark with YAML front matter, for notes apps and archives. Pure: no I/O.

Post text is escaped so it always reads as text: inline specials get a backslash anywhere, and
characters that only mean something at the start of a line (headings, lists, quotes) get one
there; `<`, `>` and `&` before an entity are escaped too, so a post saying `<script>` is never
raw HTML to a CommonMark reader. A URL becomes a link or an image only when `safety.safe_url`
allows it, so the destination holds no space, control character or backslash that could end
it early; link text is folded to one line so it cannot end its paragraph. Front matter values
are JSON strings, which YAML reads as double-quoted scalars; `lang` is the thread's BCP 47 tag,
or null when no post named one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import orjson

from bot import safety
from bot.i18n import Words
from bot.model import LinkCard, Media, MediaType, Poll, Quote, Segment, SegmentKind, Thread
from bot.rendering import RenderOptions, summary
from bot.rendering.passages import Paragraph, Passage, group_passages, split_paragraphs

# `&` only when it would start an entity ("&amp;"); elsewhere it is plain text.
_INLINE_SPECIALS = re.compile(r"[\\`*_\[\]<>~|]|&(?=#?\w+;)")
_BLOCK_MARKER = re.compile(r"^([#+=-])")
_LIST_MARKER = re.compile(r"^(\d{1,9})([.)])")
_URL_SPECIALS = str.maketrans({" ": "%20", "<": "%3C", ">": "%3E", "(": "%28", ")": "%29"})
_HARD_BREAK = "\\\n"


def render(thread: Thread, options: RenderOptions = RenderOptions()) -> str:
    """Return the thread as Markdown with front matter, ending with a newline."""
    words = options.words
    blocks = [_front_matter(thread, words)]
    if options.include_header:
        blocks.extend(_header(thread, words))
    for passage in group_passages(thread.posts):
        blocks.extend(_passage_blocks(passage, words))
    if options.include_footer:
        blocks.extend(("---", _link(summary.original_on(thread, words), thread.url)))
    return safety.clean_text("\n\n".join(blocks) + "\n")


def escape(value: str) -> str:
    """Backslash-escape the characters that would turn text into Markdown syntax inline."""
    return _INLINE_SPECIALS.sub(r"\\\g<0>", value)


def _lines(inline: str) -> str:
    """Turn escaped inline text into paragraph lines: hard breaks, safe line starts.

    Leading spaces go, since four of them would start a code block; "#", "-", "1." and the
    like are escaped only where they would start a heading or a list, at a line's start.
    """
    lines = (line.lstrip() for line in inline.split("\n"))
    return _HARD_BREAK.join(_escape_line_start(line) for line in lines)


def _escape_line_start(line: str) -> str:
    line = _BLOCK_MARKER.sub(r"\\\1", line)
    return _LIST_MARKER.sub(r"\1\\\2", line)


def _front_matter(thread: Thread, words: Words) -> str:
    fields: dict[str, object] = {
        "title": summary.title(thread, words),
        "author": thread.author.name,
        "handle": thread.author.handle,
        "source_url": thread.url,
        "date": thread.posts[0].created_at.isoformat() if thread.posts else None,
        "posts": len(thread.posts),
        "complete": thread.report.complete,
        "lang": thread.language,
    }
    # orjson refuses a lone surrogate, which a post may carry, so values are cleaned first.
    clean = {k: safety.clean_text(v) if isinstance(v, str) else v for k, v in fields.items()}
    lines = (f"{name}: {orjson.dumps(value).decode()}" for name, value in clean.items())
    return "\n".join(("---", *lines, "---"))


def _header(thread: Thread, words: Words) -> Iterator[str]:
    yield f"# {escape(summary.title(thread, words))}"
    author = thread.author
    byline = f"**{_link(author.name, author.url)}** {escape('@' + author.handle)}"
    facts = (byline, escape(summary.byline_facts(thread, words)))
    runs = summary.completeness_runs(thread.report, words)
    line = _joined(_link(text, url) if url else escape(text) for text, url in runs)
    yield " · ".join(facts) + _HARD_BREAK + line


def _passage_blocks(passage: Passage, words: Words) -> Iterator[str]:
    if passage.gap_before:
        yield f"*{escape(summary.gap_text(passage.gap_before, words))}*"
    if passage.content_warning:
        label = escape(summary.content_warning_label(words))
        yield f"**{label}** {escape(' '.join(passage.content_warning.split()))}"
    yield from (_inline(paragraph) for paragraph in passage.paragraphs)
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
        yield _HARD_BREAK.join(_media(item, words) for item in media)
    if poll:
        yield escape(summary.poll_caption(poll, words))
        options = (escape(summary.poll_option_text(o, poll, words)) for o in poll.options)
        yield "\n".join(f"- {option}" for option in options)
    if card:
        yield _card(card)
    if quote:
        yield _quote(quote, words)


def _media(media: Media, words: Words) -> str:
    url = safety.safe_url(media.url)
    if media.type is MediaType.PHOTO and url:
        return f"![{escape(' '.join(media.alt.split()))}]({_destination(url)})"
    return _link(summary.media_caption(media, words), media.url)


def _card(card: LinkCard) -> str:
    title = _link(card.title or card.url, card.url)
    description = " ".join(card.description.split())
    return f"🔗 {title} — {escape(description)}" if description else f"🔗 {title}"


def _quote(quote: Quote, words: Words) -> str:
    caption = summary.quote_caption(quote, words)
    caption = escape(caption) if quote.unavailable else _link(caption, quote.url)
    blocks = [f"**{caption}**", *(_inline(p) for p in split_paragraphs(quote.text))]
    if quote.media:
        blocks.append(_HARD_BREAK.join(_media(item, words) for item in quote.media))
    lines = "\n\n".join(blocks).split("\n")
    return "\n".join(f"> {line}".rstrip() for line in lines)


def _inline(paragraph: Paragraph) -> str:
    return _lines(_joined(_segment(segment) for segment in paragraph))


def _joined(parts: Iterable[str]) -> str:
    """Join inline parts; a "!" right before a link is escaped, or `![…](…)` is an image."""
    joined: list[str] = []
    for part in parts:
        if part.startswith("[") and joined and joined[-1].endswith("!"):
            joined[-1] = joined[-1][:-1] + "\\!"
        joined.append(part)
    return "".join(joined)


def _segment(segment: Segment) -> str:
    if segment.kind is SegmentKind.TEXT or not segment.url:
        return escape(segment.text)
    return _link(segment.text, segment.url)


def _link(visible: str, url: str | None) -> str:
    """Return `[visible](url)`, or the visible words alone when the URL may not be opened."""
    words = escape(" ".join(visible.split()))
    target = safety.safe_url(url)
    return f"[{words}]({_destination(target)})" if target else words


def _destination(url: str) -> str:
    """Make a URL safe as a bare link destination: no spaces, angle brackets or parentheses."""
    return url.translate(_URL_SPECIALS)
