"""Every sentence an answer may say around a thread (errors say their own: `errors.py`).

Constants are marked with `N_` and said through the request's `Words` (`words.gettext(...)`);
sentences with a count are functions that take the words.
"""

from __future__ import annotations

from bot.i18n import N_, Words

APOLOGY = N_(
    "Sorry, this thread could not be unrolled after several tries. Please try again later."
)
# Translators: a reply in a group pointing (↑) at the earlier answer to the same thread.
ALREADY_UNROLLED = N_("Already unrolled here today ↑")
TOO_LONG_FOR_MESSAGES = N_(
    "Too long for messages: the whole thread is in the Markdown file below."
)
NOT_CACHED = N_(
    "This answer is older than an hour: press Refresh first, then ask for the file again."
)
# Translators: button label; refreshes the answer from the source.
REFRESH_BUTTON = N_("🔄 Refresh")
REFRESH_UNCHANGED = N_("Refreshed: no new posts.")
# Translators: button label; the bot then keeps the answer up to date.
FOLLOW_BUTTON = N_("🔔 Follow")
# Translators: button label; stops following the thread.
UNFOLLOW_BUTTON = N_("🔕 Unfollow")
FOLLOW_TOO_LONG = N_("Too long for messages: the buttons below send the whole thread as a file.")
THREAD_GONE = N_("This thread was deleted, so I stopped following it.")


def progress(posts_so_far: int, words: Words) -> str:
    """Return the placeholder's text while a long chain is being walked."""
    return words.ngettext(
        "Unrolling… {count} post so far ⏳", "Unrolling… {count} posts so far ⏳", posts_so_far
    )


def refresh_change(change: int, words: Words) -> str:
    """Return what a Refresh found, `change` being new posts (negative: fewer than before)."""
    if change > 0:
        return words.ngettext(
            "Refreshed: {count} new post.", "Refreshed: {count} new posts.", change
        )
    return words.ngettext(
        "Refreshed: {count} post fewer than before.",
        "Refreshed: {count} posts fewer than before.",
        -change,
    )


def follow_change(added: int, deleted: int, words: Words) -> str:
    """Return the short reply to a followed answer that was just brought up to date."""
    parts = []
    if added:
        # Translators: a short reply under a followed answer that grew; ↑ points at it.
        parts.append(words.ngettext("+{count} new post", "+{count} new posts", added))
    if deleted:
        parts.append(words.ngettext("−{count} post deleted", "−{count} posts deleted", deleted))
    return f"{', '.join(parts)} ↑"
