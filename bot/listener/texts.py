"""Sentences only the listener says (errors: `errors.py`; answers: `answering/texts.py`)."""

from __future__ import annotations

COMMANDS = {
    "unroll": "unroll the thread of a link (or of the replied message)",
    "settings": "reading mode, message or page, auto-unroll",
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
OUTPUT_NAMES = {"auto": "automatic", "message": "always a message", "page": "always a page"}
