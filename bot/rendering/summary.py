"""Header and footer facts, and the captions of attachments, every renderer shares. Pure: no I/O.

One place decides how a thread is described (reading time, post count, completeness) and how a
gap, a photo, a quote or a poll is named, so the Telegram message, the pages and the CLI all say
the same thing; each renderer only adds its own markup around these words.
"""

from __future__ import annotations

import math
from datetime import datetime

from bot.model import Author, Media, MediaType, Poll, PollOption, Quote, Report, Thread

WORDS_PER_MINUTE = 230
QUOTE_UNAVAILABLE = "Quoted post unavailable"
_MEDIA_LABELS = {
    MediaType.PHOTO: ("🖼", "Photo"),
    MediaType.VIDEO: ("🎞", "Video"),
    MediaType.GIF: ("🎞", "GIF"),
}


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
    return "".join(text for text, _url in completeness_runs(report))


def completeness_runs(report: Report) -> tuple[tuple[str, str | None], ...]:
    """Return the completeness line as runs of text, each with the URL it links to or None.

    Only the other-branch part links anywhere: to the first post the thread does not show.
    """
    runs: list[tuple[str, str | None]] = []
    head = [plural(report.posts, "post")]
    if report.deleted:
        head.append(f"{report.deleted} deleted")
    if report.skipped_other_authors:
        head.append(
            f"{plural(report.skipped_other_authors, 'reply', 'replies')} by others skipped"
        )
    runs.append((" · ".join(head), None))
    if report.other_branch_posts:
        runs.extend(((" · ", None), (other_branch_text(report), report.other_branch_url)))
    # A fork alone makes a thread incomplete, and its own words already say so.
    if not report.complete and (report.note or not report.other_branch_posts):
        runs.append((f" · {report.note or 'may be incomplete'}", None))
    return tuple(runs)


def other_branch_text(report: Report) -> str:
    """Return e.g. "the author also replied elsewhere: 3 posts not shown".

    "at least" comes in when the source did not fetch below some of the posts it counted.
    """
    count = plural(report.other_branch_posts, "post")
    if report.other_branch_more:
        count = f"at least {count}"
    return f"the author also replied elsewhere: {count} not shown"


def date_text(moment: datetime) -> str:
    """Return a date people read the same everywhere, e.g. "3 Mar 2025"."""
    return f"{moment.day} {moment:%b %Y}"


def title(thread: Thread, *, max_chars: int = 80) -> str:
    """Return a short title: the first words of the thread, cut at a word boundary.

    When the first post hides behind a content warning, the title is the warning: titles show
    up in link previews and file lists, where the reader has not chosen to look yet.
    """
    if thread.posts and thread.posts[0].content_warning:
        return excerpt(f"CW: {thread.posts[0].content_warning}", max_chars=max_chars)
    first = thread.posts[0].plain_text.strip().split("\n")[0] if thread.posts else ""
    return excerpt(first, max_chars=max_chars) or f"Thread by {thread.author.name}"


def excerpt(text: str, *, max_chars: int) -> str:
    """Return the text with whitespace folded, cut at a word boundary when too long.

    The cut gets "…" unless it already ends a sentence.
    """
    folded = " ".join(text.split())
    if len(folded) <= max_chars:
        return folded
    # One character more, so a word ending exactly at the limit is kept.
    cut = folded[: max_chars + 1].rsplit(" ", 1)[0].rstrip(",;:-–—")
    return cut if cut.endswith((".", "!", "?", "…")) else cut + "…"


def author_text(author: Author) -> str:
    """Return e.g. "Ada (@ada)", the way every output names a person."""
    return f"{author.name} (@{author.handle})"


def byline_facts(thread: Thread) -> str:
    """Return e.g. "3 Mar 2025 · 2 min read": when the thread started and how long it reads."""
    facts = [date_text(thread.posts[0].created_at)] if thread.posts else []
    facts.append(reading_time_text(thread))
    return " · ".join(facts)


def source_name(thread: Thread) -> str:
    """Return the platform's display name, e.g. "Mastodon"."""
    return thread.source.display_name


def gap_text(count: int) -> str:
    """Return the marker shown where deleted posts were, e.g. "⋯ 1 deleted post"."""
    return f"⋯ {plural(count, 'deleted post')}"


def media_label(media: Media) -> str:
    """Return the kind of media in one word, e.g. "Photo"."""
    return _MEDIA_LABELS[media.type][1]


def media_caption(media: Media) -> str:
    """Return e.g. "🖼 Photo: a chart" or "🎞 Video"; the alt text is folded to one line."""
    icon, label = _MEDIA_LABELS[media.type]
    alt = " ".join(media.alt.split())
    return f"{icon} {label}: {alt}" if alt else f"{icon} {label}"


def quote_caption(quote: Quote) -> str:
    """Return who is quoted ("Bob (@bob)"), or why nothing can be shown."""
    if quote.unavailable:
        return QUOTE_UNAVAILABLE
    return author_text(quote.author) if quote.author else "Quoted post"


def poll_caption(poll: Poll) -> str:
    """Return e.g. "📊 Poll · 4 votes · final results"."""
    parts = ["📊 Poll"]
    total = _poll_total(poll)
    if total is not None:
        parts.append(plural(total, "vote"))
    if poll.closed:
        parts.append("final results")
    elif poll.ends_at is not None:
        parts.append(f"ends {date_text(poll.ends_at)}")
    return " · ".join(parts)


def poll_option_text(option: PollOption, poll: Poll) -> str:
    """Return e.g. "Yes — 3 votes (75%)", or just the label when votes are unknown."""
    if option.votes is None:
        return option.label
    total = _poll_total(poll)
    share = f" ({round(100 * option.votes / total)}%)" if total else ""
    return f"{option.label} — {plural(option.votes, 'vote')}{share}"


def _poll_total(poll: Poll) -> int | None:
    # Sources do not always report a total; the options' votes add up to it when all are known.
    if poll.total_votes is not None:
        return poll.total_votes
    if any(option.votes is None for option in poll.options):
        return None
    return sum(option.votes or 0 for option in poll.options)
