"""Sentences only the listener says (errors: `errors.py`; answers: `answering/texts.py`)."""

from __future__ import annotations

COMMANDS = {
    "unroll": "unroll the thread of a link (or of the replied message)",
    "follow": "unroll a thread and keep the answer up to date",
    "following": "the threads this chat follows",
    "unfollow": "stop following a thread",
    "settings": "reading mode, message or page, auto-unroll, following",
    "help": "how to ask, and privacy mode in groups",
}
"""The command menu: each command and its description, in the order Telegram shows them."""

PLACEHOLDER = "Unrolling… ⏳"
QUOTA = "You are asking very fast. Please wait a minute and try again."
PRIVATE_HINT = (
    "Send me a link to any post of a thread on X, Mastodon or Bluesky and I will unroll the "
    "whole thread into one clean message. /help tells more."
)
UNROLL_USAGE = (
    "Use /unroll with a link (<code>/unroll https://bsky.app/profile/…/post/…</code>), or send "
    "/unroll as a reply to a message that contains a link."
)
NO_LINK_IN_REPLY = "I found no link to a thread on X, Mastodon or Bluesky there."
BUG = "Sorry, something went wrong on my side. The problem is logged; please try again."
INLINE_HINT_TITLE = "Paste a link to a thread"
INLINE_PLACEHOLDER = "Unrolling {url} … ⏳"
INLINE_PLACEHOLDER_BUTTON = "⏳ Unrolling…"
INLINE_PLACEHOLDER_TITLE = "Unroll this thread"
INLINE_ERROR_TITLE = "Cannot unroll this"
REFRESHING = "Refreshing…"
SENDING_FILE = "Sending the file…"
BUTTON_EXPIRED = "This answer is too old to refresh; please send the link again."

START = (
    "Hi! I unroll threads from X, Mastodon and Bluesky into one clean, readable message: "
    "thread numbering removed, media and quotes kept, and I always say how complete it is.\n\n"
    "Send me a link to any post of a thread (first, middle or last) to try it."
)

HELP = """\
<b>How to ask</b>
• Send me a link to any post of a thread (or forward a message that has one).
• <code>/unroll LINK</code>, or <code>/unroll</code> as a reply to a message with a link.
• In groups: reply to a message with a link and mention me (<code>@{bot}</code>), or send \
<code>/unroll@{bot}</code> as a reply.
• In any chat: type <code>@{bot} LINK</code> and pick the result (inline mode).

<b>Answers</b>
A thread that fits is answered as one message; a longer one as a page (Instant View) with a short \
summary. The buttons refresh the answer or send it as Markdown or EPUB.

<b>Groups and privacy mode</b>
Telegram's privacy mode is on for bots by default. With it on I see commands \
(<code>/unroll@{bot}</code>), replies to my messages, and usually mentions of me — so those \
always work. To unroll every link posted in a group automatically, an admin makes me a group \
admin (or switches privacy mode off in @BotFather and re-adds me), then turns on "auto-unroll" \
in /settings.

/settings — reading mode (reflow or original), answer as message or page, rich or classic \
messages, auto-unroll in groups."""

SETTINGS_TITLE = "<b>Settings for this chat</b>"
SETTINGS_SAVED = "Saved."
ADMINS_ONLY = "Only the group's admins can change its settings."
READING_ROW = "Reading: {}"
OUTPUT_ROW = "Answer: {}"
STYLE_ROW = "Messages: {}"
AUTO_UNROLL_ROW = "Auto-unroll links: {}"
FOLLOWING_ROW = "Following threads: {}"
FOLLOWING_OFF = "Following threads is switched off in this group (/settings)."
UNFOLLOW_ADMINS_ONLY = "Only the member who followed this thread, or an admin, can unfollow it."
UNFOLLOWED = "Unfollowed: this answer will no longer be updated."
NOT_FOLLOWING = "This chat does not follow that thread."
FOLLOW_USAGE = (
    "Use /follow with a link (<code>/follow https://bsky.app/profile/…/post/…</code>), or send "
    "/follow as a reply to a message that contains a link. I unroll the thread and keep the "
    "answer up to date while the author keeps posting."
)
FOLLOWING_NONE = "This chat follows no threads. Press 🔔 Follow under an answer to follow one."
FOLLOWING_TITLE = "<b>Threads this chat follows</b>"
UNFOLLOW_LISTED = "🔕 Unfollow {number}"
OUTPUT_NAMES = {"auto": "automatic", "message": "always a message", "page": "always a page"}


def following(follow_for_s: float) -> str:
    """Return the toast confirming a follow; it lasts `follow_for_s` without new posts."""
    days = round(follow_for_s / 86400)
    span = f"{days} day{'s' if days != 1 else ''}" if days >= 1 else "a while"
    return f"Following: I'll keep this up to date for {span}."


def follow_cap(max_per_chat: int) -> str:
    """Return the polite refusal of a follow past the chat's cap."""
    return (
        f"This chat already follows {max_per_chat} threads, as many as I can keep up to date. "
        "Unfollow one to follow this one."
    )
