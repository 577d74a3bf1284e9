"""Sentences only the listener says (errors: `errors.py`; answers: `answering/texts.py`).

Each is marked with `N_` for the catalog and said through the asker's `Words`
(`words.gettext(texts.QUOTA)`, `texts.following(…, words)`); `{placeholders}` are filled by
name after translation.
"""

from __future__ import annotations

from bot.i18n import N_, Words

COMMANDS = {
    "unroll": N_("unroll the thread of a link (or of the replied message)"),
    "follow": N_("unroll a thread and keep the answer up to date"),
    "following": N_("the threads this chat follows"),
    "unfollow": N_("stop following a thread"),
    "settings": N_("language, reading mode, message or page, auto-unroll, following"),
    "help": N_("how to ask, and privacy mode in groups"),
}
"""The command menu: each command and its description, in the order Telegram shows them."""

PLACEHOLDER = N_("Unrolling… ⏳")
QUOTA = N_("You are asking very fast. Please wait a minute and try again.")
PRIVATE_HINT = N_(
    "Send me a link to any post of a thread on X, Mastodon or Bluesky and I will unroll the "
    "whole thread into one clean message. /help tells more."
)
UNROLL_USAGE = N_(
    "Use /unroll with a link (<code>/unroll https://bsky.app/profile/…/post/…</code>), or send "
    "/unroll as a reply to a message that contains a link."
)
NO_LINK_IN_REPLY = N_("I found no link to a thread on X, Mastodon or Bluesky there.")
BUG = N_("Sorry, something went wrong on my side. The problem is logged; please try again.")
INLINE_HINT_TITLE = N_("Paste a link to a thread")
# Translators: {url} is the link the user typed inline.
INLINE_PLACEHOLDER = N_("Unrolling {url} … ⏳")
INLINE_PLACEHOLDER_BUTTON = N_("⏳ Unrolling…")
INLINE_PLACEHOLDER_TITLE = N_("Unroll this thread")
INLINE_ERROR_TITLE = N_("Cannot unroll this")
REFRESHING = N_("Refreshing…")
SENDING_FILE = N_("Sending the file…")
BUTTON_EXPIRED = N_("This answer is too old to refresh; please send the link again.")

START = N_(
    "Hi! I unroll threads from X, Mastodon and Bluesky into one clean, readable message: "
    "thread numbering removed, media and quotes kept, and I always say how complete it is.\n\n"
    "Send me a link to any post of a thread (first, middle or last) to try it."
)

HELP = N_("""\
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
messages, the language I speak here, auto-unroll in groups.""")

SETTINGS_TITLE = N_("<b>Settings for this chat</b>")
SETTINGS_SAVED = N_("Saved.")
ADMINS_ONLY = N_("Only the group's admins can change its settings.")
# Translators: the /settings rows are buttons; each shows its current choice.
READING_ROW = N_("Reading: {mode}")
OUTPUT_ROW = N_("Answer: {output}")
STYLE_ROW = N_("Messages: {style}")
AUTO_UNROLL_ROW = N_("Auto-unroll links: {state}")
FOLLOWING_ROW = N_("Following threads: {state}")
# Translators: the /settings row of the bot's language; {language} is its own name.
LANGUAGE_ROW = N_("Language: {language}")
# Translators: the language setting when the chat chose none: each person's own language.
LANGUAGE_AUTOMATIC = N_("automatic")
READING_NAMES = {
    # Translators: reading mode: posts joined into flowing paragraphs.
    "reflow": N_("reflow"),
    # Translators: reading mode: each post kept as it was written.
    "original": N_("original"),
}
STYLE_NAMES = {
    # Translators: answer style: one rich Telegram message.
    "rich": N_("rich"),
    # Translators: answer style: plain HTML text messages.
    "classic": N_("classic"),
}
# Translators: the state of a switch in /settings.
SWITCH_NAMES = {True: N_("on"), False: N_("off")}
FOLLOWING_OFF = N_("Following threads is switched off in this group (/settings).")
UNFOLLOW_ADMINS_ONLY = N_(
    "Only the member who followed this thread, or an admin, can unfollow it."
)
UNFOLLOWED = N_("Unfollowed: this answer will no longer be updated.")
NOT_FOLLOWING = N_("This chat does not follow that thread.")
FOLLOW_USAGE = N_(
    "Use /follow with a link (<code>/follow https://bsky.app/profile/…/post/…</code>), or send "
    "/follow as a reply to a message that contains a link. I unroll the thread and keep the "
    "answer up to date while the author keeps posting."
)
FOLLOWING_NONE = N_("This chat follows no threads. Press 🔔 Follow under an answer to follow one.")
FOLLOWING_TITLE = N_("<b>Threads this chat follows</b>")
# Translators: button label under the /following list; {number} is the list's number.
UNFOLLOW_LISTED = N_("🔕 Unfollow {number}")
OUTPUT_NAMES = {
    "auto": N_("automatic"),
    "message": N_("always a message"),
    "page": N_("always a page"),
}


def following(follow_for_s: float, words: Words) -> str:
    """Return the toast confirming a follow; it lasts `follow_for_s` without new posts."""
    days = round(follow_for_s / 86400)
    if days < 1:
        return words.gettext("Following: I'll keep this up to date for a while.")
    return words.ngettext(
        "Following: I'll keep this up to date for {count} day.",
        "Following: I'll keep this up to date for {count} days.",
        days,
    )


def follow_cap(max_per_chat: int, words: Words) -> str:
    """Return the polite refusal of a follow past the chat's cap."""
    return words.ngettext(
        "This chat already follows {count} thread, as many as I can keep up to date. "
        "Unfollow one to follow this one.",
        "This chat already follows {count} threads, as many as I can keep up to date. "
        "Unfollow one to follow this one.",
        max_per_chat,
    )
