"""Segment edits shared by the cleaning steps. Pure: no I/O.

Markers and mentions live in TEXT segments at a post's edges. These helpers tidy the joints
after a step has cut something away (neighbouring TEXT merged, the post's ends trimmed, empty
TEXT dropped), so no step has to reason about segment boundaries on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.model import Post, Segment, SegmentKind


def tidy_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Merge neighbouring TEXT, trim the post's two ends and drop empty TEXT.

    Trimming only touches TEXT: a LINK or MENTION at an edge is never shortened.
    """
    merged: list[Segment] = []
    for segment in segments:
        if segment.kind is SegmentKind.TEXT and merged and merged[-1].kind is SegmentKind.TEXT:
            merged[-1] = Segment(SegmentKind.TEXT, merged[-1].text + segment.text)
        else:
            merged.append(segment)
    if merged and merged[0].kind is SegmentKind.TEXT:
        merged[0] = Segment(SegmentKind.TEXT, merged[0].text.lstrip())
    if merged and merged[-1].kind is SegmentKind.TEXT:
        merged[-1] = Segment(SegmentKind.TEXT, merged[-1].text.rstrip())
    return tuple(s for s in merged if s.kind is not SegmentKind.TEXT or s.text)


def has_attachments(post: Post) -> bool:
    """Say whether the post shows something besides its text (media, quote, poll or card)."""
    return bool(post.media) or post.quote is not None or post.poll is not None or bool(post.card)


def is_blank(post: Post) -> bool:
    """Say whether the post has no visible text at all."""
    return not any(segment.text.strip() for segment in post.text)
