"""Small thread builders for the cleaning tests: posts from plain strings."""

from __future__ import annotations

from dataclasses import replace

from bot.model import Post, Thread
from tests.samples import post, text, thread


def thread_of(*texts: str) -> Thread:
    """Build a thread with one TEXT segment per post."""
    return thread(*(post(index, text(value)) for index, value in enumerate(texts)))


def texts_of(thread_: Thread) -> list[str]:
    """Return each post's visible text."""
    return [p.plain_text for p in thread_.posts]


def with_post(thread_: Thread, index: int, **changes: object) -> Thread:
    """Return the thread with one post changed (media, gap_before, …)."""
    posts: list[Post] = list(thread_.posts)
    posts[index] = replace(posts[index], **changes)  # type: ignore[arg-type]
    return replace(thread_, posts=tuple(posts))
