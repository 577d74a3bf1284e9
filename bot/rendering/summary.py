"""Header and footer facts every renderer shares. Pure: no I/O.

One place decides how a thread is described (reading time, post count, completeness), so the
Telegram message, the pages and the CLI all say the same thing.
"""

from __future__ import annotations

import math
from datetime import datetime

from bot.model import Report, Thread

WORDS_PER_MINUTE = 230


def word_count(thread: Thread) -> int:
    """Count the words of every post's text."""
    return sum(len(post.plain_text.split()) for post in thread.posts)


def reading_minutes(thread: Thread) -> int:
    """Return the reading time in whole minutes, at least 1."""
    return max(1, math.ceil(word_count(thread) / WORDS_PER_MINUTE))


def reading_time_text(thread: Thread) -> str:
    """Return e.g. "3 min read"."""
    return f"{reading_minutes(thread)} min read"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """Return "1 post" or "3 posts"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def completeness_line(report: Report) -> str:
    """Return e.g. "14 posts · 1 deleted · 3 replies by others skipped · may continue"."""
    parts = [plural(report.posts, "post")]
    if report.deleted:
        parts.append(f"{report.deleted} deleted")
    if report.skipped_other_authors:
        parts.append(
            f"{plural(report.skipped_other_authors, 'reply', 'replies')} by others skipped"
        )
    if not report.complete:
        parts.append(report.note or "may be incomplete")
    return " · ".join(parts)


def date_text(moment: datetime) -> str:
    """Return a date people read the same everywhere, e.g. "3 Mar 2025"."""
    return f"{moment.day} {moment:%b %Y}"


def title(thread: Thread, *, max_chars: int = 80) -> str:
    """Return a short title: the first words of the thread, cut at a word boundary."""
    first = thread.posts[0].plain_text.strip().split("\n")[0] if thread.posts else ""
    if len(first) <= max_chars:
        return first or f"Thread by {thread.author.name}"
    cut = first[:max_chars].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-–—") + "…"
