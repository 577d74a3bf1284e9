"""Every sentence an answer may say around a thread (errors say their own: `errors.py`)."""

from __future__ import annotations

from bot.rendering.summary import plural

APOLOGY = "Sorry, this thread could not be unrolled after several tries. Please try again later."
ALREADY_UNROLLED = "Already unrolled here today ↑"
TOO_LONG_FOR_MESSAGES = "Too long for messages: the whole thread is in the Markdown file below."
NOT_CACHED = "This answer is older than an hour: press Refresh first, then ask for the file again."
REFRESH_BUTTON = "🔄 Refresh"
REFRESH_UNCHANGED = "Refreshed: no new posts."
FOLLOW_BUTTON = "🔔 Follow"
UNFOLLOW_BUTTON = "🔕 Unfollow"
FOLLOW_TOO_LONG = "Too long for messages: the buttons below send the whole thread as a file."
THREAD_GONE = "This thread was deleted, so I stopped following it."


def progress(posts_so_far: int) -> str:
    """Return the placeholder's text while a long chain is being walked."""
    return f"Unrolling… {posts_so_far} posts so far ⏳"


def refresh_change(change: int) -> str:
    """Return what a Refresh found, `change` being new posts (negative: fewer than before)."""
    if change > 0:
        return f"Refreshed: {plural(change, 'new post')}."
    return f"Refreshed: {plural(-change, 'post')} fewer than before."


def follow_change(added: int, deleted: int) -> str:
    """Return the short reply to a followed answer that was just brought up to date."""
    parts = []
    if added:
        parts.append(f"+{plural(added, 'new post')}")
    if deleted:
        parts.append(f"−{plural(deleted, 'post')} deleted")
    return f"{', '.join(parts)} ↑"
