"""Cleaning: the ordered Thread → Thread steps that make a thread read well. Pure: no I/O.

Each step takes a Thread and returns a new one, like a structlog processor; `TEXT_STEPS`
lists them in the order they run. Steps are pure (the rounds skip repeating a step on a thread
it handed back). Quotes, media, polls and cards are never touched. The marker steps expect
posts as `tidy_whitespace` leaves them (it runs first, and each step tidies what it cuts): a
post they cut nothing from comes back as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from bot.cleaning import mentions, numbering, placeholders, reflow, tracking, whitespace
from bot.model import Thread

Step = Callable[[Thread], Thread]


class ReadingMode(StrEnum):
    """How posts are laid out: reflowed prose, or one paragraph per post as posted."""

    REFLOW = "reflow"
    ORIGINAL = "original"


TEXT_STEPS: tuple[Step, ...] = (
    whitespace.tidy_whitespace,  # first, so every marker sits right at an edge
    mentions.strip_reply_mentions,  # before numbering: platforms put "@bob" before "2/"
    placeholders.strip_media_placeholders,  # and X puts its media link after "2/"
    numbering.strip_numbering,
    tracking.strip_tracking_links,
    whitespace.tidy_whitespace,  # again, to close the joints the cuts above left
    whitespace.drop_empty_posts,
)
LAYOUT_STEPS: dict[ReadingMode, Step] = {
    ReadingMode.REFLOW: reflow.join_broken_sentences,
    ReadingMode.ORIGINAL: reflow.keep_post_breaks,
}
# Every round only removes text, so the rounds stop; the cap guards against a future step
# that does not (it has never been reached in the tests).
MAX_ROUNDS = 8


def clean_thread(thread: Thread, mode: ReadingMode = ReadingMode.REFLOW) -> Thread:
    """Return the thread with markers, reply mentions and tracking removed, laid out for mode.

    Removing one marker can uncover another at the same edge ("@bob 🧵 1/"), so the text
    steps run in rounds until nothing changes; that is what makes cleaning idempotent.
    """
    return LAYOUT_STEPS[mode](_clean_text(thread))


def _clean_text(thread: Thread) -> Thread:
    """Run the text steps in rounds until a round changes nothing, or MAX_ROUNDS have run.

    Steps are pure: one that handed back the very thread it was given would hand it back
    again, so it is skipped until another step changes the thread; and once every step has
    handed back the current thread, the rounds left could change nothing. Most threads need
    one round that cuts and a second that only confirms, and this spares most of the second.
    """
    steps = set(TEXT_STEPS)
    unchanged_by: set[Step] = set()
    for _ in range(MAX_ROUNDS):
        before = thread
        for step in TEXT_STEPS:
            if step in unchanged_by:
                continue
            cleaned = step(thread)
            if cleaned is not thread:
                unchanged_by.clear()
                thread = cleaned
                continue
            unchanged_by.add(step)
            if unchanged_by == steps:  # what finishing the rounds would return
                return before if thread == before else thread
        if thread == before:
            return before
    return thread
