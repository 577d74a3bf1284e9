"""Segment edits shared by the cleaning steps. Pure: no I/O.

Markers and mentions live in TEXT segments at a post's edges. These helpers tidy the joints
after a step has cut something away (neighbouring TEXT merged, the post's ends trimmed, empty
TEXT dropped), so no step has to reason about segment boundaries on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.model import TEXT, Post, Segment, Thread, kept_if_unchanged, with_changes


def with_posts(thread: Thread, posts: Iterable[Post]) -> Thread:
    """Return the thread holding `posts`: the thread itself when each came back as it was.

    Every step runs on every post, in every round, and most leave a thread as it is; handing
    it back unchanged saves a copy and lets the round see at a glance that nothing changed.
    """
    kept = kept_if_unchanged(thread.posts, tuple(posts))
    return thread if kept is thread.posts else with_changes(thread, posts=kept)


def tidy_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Merge neighbouring TEXT, trim the post's two ends and drop empty TEXT.

    Trimming only touches TEXT: a LINK or MENTION at an edge is never shortened. Most posts
    a step hands in are tidy already (each step runs on every post, and rounds repeat them),
    so those come back as they are, without building new segments.
    """
    segments = tuple(segments)
    if _is_tidy(segments):
        return segments
    merged: list[Segment] = []
    for segment in segments:
        if segment.kind is TEXT and merged and merged[-1].kind is TEXT:
            merged[-1] = Segment(TEXT, merged[-1].text + segment.text)
        else:
            merged.append(segment)
    if merged and merged[0].kind is TEXT:
        merged[0] = text_segment(merged[0].text.lstrip(), merged[0])
    if merged and merged[-1].kind is TEXT:
        merged[-1] = text_segment(merged[-1].text.rstrip(), merged[-1])
    return tuple(s for s in merged if s.kind is not TEXT or s.text)


def text_segment(text: str, was: Segment) -> Segment:
    """Return a plain TEXT segment showing `text`: `was` itself when it is exactly that.

    Steps cut only a few edges; handing the untouched segments back as they were lets the
    result be recognised as unchanged by identity, without building equal copies.
    """
    if was.text == text and was.kind is TEXT and was.url is None:
        return was
    return Segment(TEXT, text)


def _is_tidy(segments: tuple[Segment, ...]) -> bool:
    """Say whether `tidy_segments` would give back segments equal to these.

    That is: no empty TEXT, no two TEXT side by side, and a TEXT at either end that is
    trimmed already and carries no `url` (trimming rebuilds an edge TEXT without one).
    Written out flat: it runs for every post at every step of every round.
    """
    after_text = False
    for segment in segments:
        if segment.kind is TEXT:
            if after_text or not segment.text:
                return False
            after_text = True
        else:
            after_text = False
    if not segments:
        return True
    # Every TEXT is known to be non-empty here, so its first and last characters exist.
    first, last = segments[0], segments[-1]
    if first.kind is TEXT and (first.url is not None or first.text[0].isspace()):
        return False
    return last.kind is not TEXT or (last.url is None and not last.text[-1].isspace())


def has_attachments(post: Post) -> bool:
    """Say whether the post shows something besides its text (media, quote, poll or card)."""
    return bool(post.media) or post.quote is not None or post.poll is not None or bool(post.card)


def is_blank(post: Post) -> bool:
    """Say whether the post has no visible text at all."""
    return not any(segment.text.strip() for segment in post.text)


def is_blank_text(segment: Segment) -> bool:
    """Say whether the segment is TEXT with nothing but whitespace."""
    return segment.kind is TEXT and not segment.text.strip()
