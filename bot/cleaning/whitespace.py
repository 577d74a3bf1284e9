"""Whitespace cleaning: trim posts, collapse blank lines, drop posts left empty. Pure: no I/O.

Runs before the marker steps (so edges start clean) and after them (so the cuts they made
leave no stray spaces or blank lines behind).
"""

from __future__ import annotations

import re

from bot.cleaning.segments import has_attachments, is_blank, tidy_segments, with_posts
from bot.model import TEXT, Post, Segment, Thread, with_changes

_CARRIAGE_RETURN = re.compile(r"\r\n?")
_SPACE_BEFORE_NEWLINE = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")


def collapse_blank_lines(text: str) -> str:
    """Turn any run of blank lines into one paragraph break, so posts keep a steady rhythm."""
    if "\n" not in text and "\r" not in text:
        return text  # every pattern below needs a line break; most posts are one line
    text = _CARRIAGE_RETURN.sub("\n", text)
    text = _SPACE_BEFORE_NEWLINE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text)


def tidy_whitespace(thread: Thread) -> Thread:
    """Trim every post and collapse its blank lines."""
    return with_posts(thread, map(_tidy_post, thread.posts))


def _tidy_post(post: Post) -> Post:
    segments = tidy_segments(map(_collapse_segment, post.text))
    return post if segments == post.text else with_changes(post, text=segments)


def _collapse_segment(segment: Segment) -> Segment:
    if segment.kind is not TEXT:
        return segment
    text = collapse_blank_lines(segment.text)
    if text == segment.text and segment.url is None:
        return segment  # most segments: no new object, so the post can come back as it was
    return Segment(TEXT, text)


def drop_empty_posts(thread: Thread) -> Thread:
    """Drop posts that have neither text nor attachments, e.g. a post that was only "🧵👇".

    A hole recorded before a dropped post (`gap_before`) moves to the next post, so renderers
    still mark it. The thread keeps at least its posts as they were if all would go.
    """
    kept: list[Post] = []
    carried_gap = 0
    for post in thread.posts:
        if is_blank(post) and not has_attachments(post):
            carried_gap += post.gap_before
            continue
        if carried_gap:
            post = with_changes(post, gap_before=post.gap_before + carried_gap)
            carried_gap = 0
        kept.append(post)
    if not kept or len(kept) == len(thread.posts):
        return thread
    return with_changes(thread, posts=tuple(kept))
