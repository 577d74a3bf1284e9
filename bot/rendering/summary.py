"""Header and footer facts, and the captions of attachments, every renderer shares. Pure: no I/O.

One place decides how a thread is described (reading time, post count, completeness) and how a
gap, a photo, a quote or a poll is named, so the Telegram message, the pages and the CLI all say
the same thing; each renderer only adds its own markup around these words.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

from bot.i18n import N_, Words
from bot.model import Author, Media, MediaType, Poll, PollOption, Quote, Report, Thread

WORDS_PER_MINUTE = 230
_MEDIA_LABELS = {
    MediaType.PHOTO: ("🖼", N_("Photo")),
    MediaType.VIDEO: ("🎞", N_("Video")),
    MediaType.GIF: ("🎞", N_("GIF")),
}


def word_count(thread: Thread) -> int:
    """Count the words of every post's text."""
    return sum(len(post.plain_text.split()) for post in thread.posts)


def reading_minutes(thread: Thread) -> int:
    """Return the reading time in whole minutes, at least 1."""
    return max(1, math.ceil(word_count(thread) / WORDS_PER_MINUTE))


def reading_time_text(thread: Thread, words: Words) -> str:
    """Return e.g. "3 min read"."""
    minutes = reading_minutes(thread)
    # Translators: reading time of a thread, shown in its header.
    return words.ngettext("{count} min read", "{count} min read", minutes)


def posts_text(count: int, words: Words) -> str:
    """Return "1 post" or "3 posts"."""
    return words.ngettext("{count} post", "{count} posts", count)


def completeness_line(report: Report, words: Words) -> str:
    """Return e.g. "14 posts · 1 deleted · 3 replies by others skipped · may continue"."""
    return "".join(text for text, _url in completeness_runs(report, words))


def completeness_runs(report: Report, words: Words) -> tuple[tuple[str, str | None], ...]:
    """Return the completeness line as runs of text, each with the URL it links to or None.

    Only the other-branch part links anywhere: to the first post the thread does not show.
    """
    runs: list[tuple[str, str | None]] = []
    head = [posts_text(report.posts, words)]
    if report.deleted:
        # Translators: part of the completeness line, "14 posts · 1 deleted"; counts posts.
        head.append(words.ngettext("{count} deleted", "{count} deleted", report.deleted))
    if report.skipped_other_authors:
        count = report.skipped_other_authors
        head.append(
            words.ngettext(
                "{count} reply by others skipped", "{count} replies by others skipped", count
            )
        )
    runs.append((" · ".join(head), None))
    if report.other_branch_posts:
        branch = other_branch_text(report, words)
        runs.extend(((" · ", None), (branch, report.other_branch_url)))
    # A fork alone makes a thread incomplete, and its own words already say so.
    if not report.complete and (report.note or not report.other_branch_posts):
        runs.append((f" · {report_note(report.note, words)}", None))
    return tuple(runs)


_CAP_NOTE = re.compile(r"cut at (\d+) posts; the thread goes on")


def report_note(note: str | None, words: Words) -> str:
    """Return why a thread may be incomplete, in the reader's language.

    Sources write their notes in English (marked for the catalog where they are defined), and
    a cached thread keeps them so; they are translated here, when said.
    """
    if not note:
        return words.gettext("may be incomplete")
    if cap := _CAP_NOTE.fullmatch(note):
        count = int(cap.group(1))
        return words.ngettext(
            "cut at {count} post; the thread goes on",
            "cut at {count} posts; the thread goes on",
            count,
        )
    return words.gettext(note)


def other_branch_text(report: Report, words: Words) -> str:
    """Return e.g. "the author also replied elsewhere: 3 posts not shown".

    "at least" comes in when the source did not fetch below some of the posts it counted.
    """
    count = report.other_branch_posts
    if report.other_branch_more:
        return words.ngettext(
            "the author also replied elsewhere: at least {count} post not shown",
            "the author also replied elsewhere: at least {count} posts not shown",
            count,
        )
    return words.ngettext(
        "the author also replied elsewhere: {count} post not shown",
        "the author also replied elsewhere: {count} posts not shown",
        count,
    )


def date_text(moment: datetime, words: Words) -> str:
    """Return a date in the reader's language, e.g. "3 Mar 2025"."""
    return words.date(moment)


def title(thread: Thread, words: Words, *, max_chars: int = 80) -> str:
    """Return a short title: the first words of the thread, cut at a word boundary.

    When the first post hides behind a content warning, the title is the warning: titles show
    up in link previews and file lists, where the reader has not chosen to look yet.
    """
    if thread.posts and thread.posts[0].content_warning:
        # Translators: "CW" abbreviates "content warning", as Mastodon shows it.
        warning = words.gettext("CW: {warning}", warning=thread.posts[0].content_warning)
        return excerpt(warning, max_chars=max_chars)
    first = thread.posts[0].plain_text.strip().split("\n")[0] if thread.posts else ""
    fallback = words.gettext("Thread by {name}", name=thread.author.name)
    return excerpt(first, max_chars=max_chars) or fallback


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


def byline_facts(thread: Thread, words: Words) -> str:
    """Return e.g. "3 Mar 2025 · 2 min read": when the thread started and how long it reads."""
    facts = [date_text(thread.posts[0].created_at, words)] if thread.posts else []
    facts.append(reading_time_text(thread, words))
    return " · ".join(facts)


def source_name(thread: Thread) -> str:
    """Return the platform's display name, e.g. "Mastodon"."""
    return thread.source.display_name


def original_on(thread: Thread, words: Words) -> str:
    """Return the label of the link to the thread at its source, e.g. "Original on Mastodon"."""
    return words.gettext("Original on {platform}", platform=source_name(thread))


def content_warning_label(words: Words) -> str:
    """Return the label before a post's content warning, "CW:"."""
    # Translators: "CW" abbreviates "content warning", as Mastodon shows it.
    return words.gettext("CW:")


def gap_text(count: int, words: Words) -> str:
    """Return the marker shown where deleted posts were, e.g. "⋯ 1 deleted post"."""
    return words.ngettext("⋯ {count} deleted post", "⋯ {count} deleted posts", count)


def media_label(media: Media, words: Words) -> str:
    """Return the kind of media in one word, e.g. "Photo"."""
    return words.gettext(_MEDIA_LABELS[media.type][1])


def media_caption(media: Media, words: Words) -> str:
    """Return e.g. "🖼 Photo: a chart" or "🎞 Video"; the alt text is folded to one line."""
    icon, label = _MEDIA_LABELS[media.type][0], media_label(media, words)
    alt = " ".join(media.alt.split())
    return f"{icon} {label}: {alt}" if alt else f"{icon} {label}"


def quote_unavailable(words: Words) -> str:
    """Return what stands where a quoted post cannot be shown."""
    return words.gettext("Quoted post unavailable")


def quote_caption(quote: Quote, words: Words) -> str:
    """Return who is quoted ("Bob (@bob)"), or why nothing can be shown."""
    if quote.unavailable:
        return quote_unavailable(words)
    return author_text(quote.author) if quote.author else words.gettext("Quoted post")


def poll_caption(poll: Poll, words: Words) -> str:
    """Return e.g. "📊 Poll · 4 votes · final results"."""
    parts = [words.gettext("📊 Poll")]
    total = _poll_total(poll)
    if total is not None:
        parts.append(votes_text(total, words))
    if poll.closed:
        parts.append(words.gettext("final results"))
    elif poll.ends_at is not None:
        # Translators: when a poll closes, e.g. "ends 3 Mar 2025".
        parts.append(words.gettext("ends {date}", date=date_text(poll.ends_at, words)))
    return " · ".join(parts)


def votes_text(count: int, words: Words) -> str:
    """Return "1 vote" or "4 votes"."""
    return words.ngettext("{count} vote", "{count} votes", count)


def poll_option_text(option: PollOption, poll: Poll, words: Words) -> str:
    """Return e.g. "Yes — 3 votes (75%)", or just the label when votes are unknown."""
    if option.votes is None:
        return option.label
    total = _poll_total(poll)
    share = f" ({words.number(round(100 * option.votes / total))}%)" if total else ""
    return f"{option.label} — {votes_text(option.votes, words)}{share}"


def _poll_total(poll: Poll) -> int | None:
    # Sources do not always report a total; the options' votes add up to it when all are known.
    if poll.total_votes is not None:
        return poll.total_votes
    if any(option.votes is None for option in poll.options):
        return None
    return sum(option.votes or 0 for option in poll.options)
