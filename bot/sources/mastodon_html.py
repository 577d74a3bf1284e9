"""Mastodon status HTML → text segments. Pure: no I/O.

Mastodon sanitizes `content` to a small, well-formed tag set (p, br, a, span, and a few
formatting tags from remote servers), so the stdlib `html.parser` reads it reliably and no
parser dependency is needed. Links keep their `href` as the URL and show the text Mastodon
shows (the `invisible` spans hidden, "…" where the `ellipsis` span was cut); mentions and
hashtags are told apart by their classes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bot.model import Segment, SegmentKind

_BLOCK_TAGS = frozenset({"p", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4"})
_STRAY_LESS_THAN = re.compile(r"<(?!/?[a-zA-Z][^<>]*>)")
MAX_CONTENT_CHARS = 100_000
"""Content HTML read per status: a 500-character post is about 2,000, and instances that
allow long posts stop near 100,000 characters of text."""


def to_segments(content: str, *, drop_quote_inline: bool = False) -> tuple[Segment, ...]:
    """Turn a status's `content` HTML into segments, paragraphs as "\\n\\n", breaks as "\\n".

    `drop_quote_inline` removes the `<p class="quote-inline">RE: …</p>` fallback that
    quoting posts carry, for when the quote itself is shown.
    """
    parser = _ContentParser(drop_quote_inline=drop_quote_inline)
    # The instance is whoever the link names: the content is bounded before it is read, and
    # a "<" that starts no whole tag is text, since `html.parser` takes quadratic time over a
    # flood of "</" or of unclosed "<a" (Mastodon itself escapes every literal "<" and ">").
    cut = len(content) > MAX_CONTENT_CHARS
    parser.feed(_STRAY_LESS_THAN.sub("&lt;", content[:MAX_CONTENT_CHARS]))
    parser.close()
    if cut:
        parser.handle_data("…")
    return tuple(parser.finish())


def _classes(attrs: list[tuple[str, str | None]]) -> set[str]:
    return set((dict(attrs).get("class") or "").split())


class _ContentParser(HTMLParser):
    def __init__(self, *, drop_quote_inline: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[Segment] = []
        self._drop_quote_inline = drop_quote_inline
        self._pending_break = ""
        self._span_hidden: list[bool] = []  # one entry per open span: hides its text
        self._hidden_spans = 0  # how many of them hide (a count, not a scan per text)
        self._text: list[str] = []  # the text after the last segment, joined once
        self._link: tuple[SegmentKind, str] | None = None
        self._link_text: list[str] = []
        self._link_cut = False
        self._skip_depth = 0  # > 0 inside a dropped quote-inline paragraph

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = _classes(attrs)
        if self._skip_depth:
            self._skip_depth += tag == "p"
        elif tag == "p" and self._drop_quote_inline and "quote-inline" in classes:
            self._skip_depth = 1
        elif tag in _BLOCK_TAGS:
            self._break("\n" if tag == "li" else "\n\n")
        elif tag == "br":
            self._pending_break += "\n"
        elif tag == "span":
            self._span_hidden.append("invisible" in classes)
            self._hidden_spans += "invisible" in classes
            # Mastodon cuts long link texts at the `ellipsis` span and shows "…" after it.
            self._link_cut = self._link_cut or "ellipsis" in classes
        elif tag == "a":
            self._start_link(classes, dict(attrs).get("href") or "")
        elif tag == "img" and "custom-emoji" in classes:
            self.handle_data(dict(attrs).get("alt") or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # `<br />` and `<img … />`: only the start matters.
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            self._skip_depth -= tag == "p"
        elif tag in _BLOCK_TAGS:
            self._break("\n\n" if tag != "li" else "\n")
        elif tag == "span" and self._span_hidden:
            self._hidden_spans -= self._span_hidden.pop()
        elif tag == "a" and self._link is not None:
            self._end_link()

    def handle_data(self, data: str) -> None:
        if self._skip_depth or self._hidden_spans:
            return
        if self._link is not None:
            self._link_text.append(data)
        else:
            self._emit(Segment(SegmentKind.TEXT, data))

    def _start_link(self, classes: set[str], href: str) -> None:
        if "hashtag" in classes:
            kind = SegmentKind.HASHTAG
        elif "mention" in classes:
            kind = SegmentKind.MENTION
        else:
            kind = SegmentKind.LINK
        self._link, self._link_text, self._link_cut = (kind, href), [], False

    def _end_link(self) -> None:
        assert self._link is not None
        kind, href = self._link
        text = "".join(self._link_text) + ("…" if self._link_cut else "")
        self._link = None
        self._emit(Segment(kind, text or href, href or None))

    def _break(self, separator: str) -> None:
        if len(separator) > len(self._pending_break):
            self._pending_break = separator

    def finish(self) -> list[Segment]:
        """Return the segments read, the trailing text included."""
        self._flush_text()
        return self.segments

    def _emit(self, segment: Segment) -> None:
        if not segment.text:
            return
        if self._pending_break and (self.segments or self._text):
            self._text.append(self._pending_break)
        self._pending_break = ""
        if segment.kind is SegmentKind.TEXT:
            self._text.append(segment.text)
        else:
            self._flush_text()
            self.segments.append(segment)

    def _flush_text(self) -> None:
        if self._text:
            self.segments.append(Segment(SegmentKind.TEXT, "".join(self._text)))
            self._text.clear()
