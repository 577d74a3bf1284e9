"""Posts grouped into passages, the runs of prose document renderers show. Pure: no I/O.

Cleaning marks a post that ends mid-sentence with `joins_next`; here such posts become one
passage whose text runs on with a single space. A passage also breaks where the reader must be
told something first: deleted posts before a post, or a new content warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.model import TEXT, Post, Segment

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_JOINT = Segment(TEXT, " ")

Paragraph = tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Passage:
    """Posts that read as one run, with the text split into the author's paragraphs.

    `content_warning` is the warning to show before this passage: None when the passage has
    none or repeats the previous passage's (Mastodon copies a CW onto every self-reply).
    """

    posts: tuple[Post, ...]
    paragraphs: tuple[Paragraph, ...]
    gap_before: int = 0
    content_warning: str | None = None


def group_passages(posts: Sequence[Post]) -> tuple[Passage, ...]:
    """Group posts into passages, in order; every post lands in exactly one passage."""
    runs: list[list[Post]] = []
    for previous, post in zip([None, *posts], posts, strict=False):
        if previous is None or not _runs_on(previous, post):
            runs.append([])
        runs[-1].append(post)
    passages: list[Passage] = []
    shown_warning: str | None = None
    for run in runs:
        warning = run[0].content_warning
        passages.append(
            Passage(
                posts=tuple(run),
                paragraphs=split_paragraphs(_joined_text(run)),
                gap_before=run[0].gap_before,
                content_warning=warning if warning != shown_warning else None,
            )
        )
        shown_warning = warning
    return tuple(passages)


def split_paragraphs(segments: Sequence[Segment]) -> tuple[Paragraph, ...]:
    """Split text at blank lines inside TEXT segments, trimming each paragraph; drop empty ones."""
    current: list[Segment] = []
    paragraphs = [current]
    for segment in segments:
        text = segment.text
        if segment.kind is not TEXT:
            current.append(segment)
            continue
        # Most text holds no line break, so no paragraph break either: no need to ask the regex.
        pieces = _PARAGRAPH_BREAK.split(text) if "\n" in text else (text,)
        if len(pieces) == 1 and segment.url is None:
            if text:
                current.append(segment)  # no break in it: the segment as it is
            continue
        for index, piece in enumerate(pieces):
            if index:
                current = []
                paragraphs.append(current)
            if piece:
                current.append(Segment(TEXT, piece))
    return tuple(filter(None, map(_trim, paragraphs)))  # empty paragraphs dropped


def _runs_on(previous: Post, post: Post) -> bool:
    # A gap or a changed warning must be shown between the two posts, so the run stops there.
    return (
        previous.joins_next
        and post.gap_before == 0
        and post.content_warning == previous.content_warning
    )


def _joined_text(run: Sequence[Post]) -> list[Segment]:
    segments: list[Segment] = []
    for post in run:
        text = _trim(post.text)
        if segments and text:
            segments.append(_JOINT)
        segments.extend(text)
    return segments


def _trim(segments: Sequence[Segment]) -> Paragraph:
    """Strip whitespace at both ends of a run of segments, dropping TEXT emptied by it."""
    if not segments:
        return ()
    # Most posts and paragraphs need nothing stripped; checking their two ends is enough.
    first, last = segments[0], segments[-1]
    if _is_kept_edge(first, first.text[:1]) and _is_kept_edge(last, last.text[-1:]):
        return tuple(segments)
    start, end = 0, len(segments)
    while start < end and _is_text(segments[start]) and not segments[start].text.strip():
        start += 1
    while end > start and _is_text(segments[end - 1]) and not segments[end - 1].text.strip():
        end -= 1
    result = list(segments[start:end])
    # An edge TEXT is written anew (without a url) unless it is trimmed plain text already;
    # what is left of one at an edge is not blank, so its outer character is there.
    if result and not _is_kept_edge(first := result[0], first.text[:1]):
        result[0] = Segment(TEXT, first.text.lstrip())
    if result and not _is_kept_edge(last := result[-1], last.text[-1:]):
        result[-1] = Segment(TEXT, last.text.rstrip())
    return tuple(result)


def _is_kept_edge(segment: Segment, outer_char: str) -> bool:
    """Tell whether trimming leaves an edge segment as it is: a link, mention or hashtag, or
    plain text without a url whose outer character is there and is not whitespace."""
    return segment.kind is not TEXT or (
        outer_char != "" and segment.url is None and not outer_char.isspace()
    )


def _is_text(segment: Segment) -> bool:
    return segment.kind is TEXT
