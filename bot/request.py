"""UnrollRequest: who asked for a thread and where the answer goes. Pure: no I/O.

The listener builds one per way of asking, deciding everything about it once (which thread,
which kind of chat, how to lay it out); it crosses the queue as bytes (`bot.codec`) and the
worker's answer plan reads it to know what to send, in which chat and topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.cleaning import ReadingMode
from bot.model import ThreadKey


class Answer(StrEnum):
    """Where the answer is written."""

    EDIT_PLACEHOLDER = "edit_placeholder"  # a "Unrolling…" reply in a chat, edited in place
    REPLY = "reply"  # no placeholder (a draft showed progress): the answer is one new reply
    # No placeholder yet: one reply if the answer is ready within PLACEHOLDER_AFTER_MS, else
    # the placeholder sent then is edited (`answering.late_placeholder` settles which).
    REPLY_OR_PLACEHOLDER = "reply_or_placeholder"
    EDIT_INLINE = "edit_inline"  # an inline-mode message, edited by inline_message_id
    REFRESH = "refresh"  # an earlier answer, edited in place by the Refresh button
    FOLLOW = "follow"  # a followed answer whose thread changed, edited in place, one short reply
    FOLLOW_CHECK = "follow_check"  # no one's answer: a followed thread's scheduled check


class Destination(StrEnum):
    """The kind of place an answer goes to, which decides its send limits and manners."""

    PRIVATE = "private"  # a private chat with the bot
    GROUP = "group"  # a group, supergroup or channel: paced per minute, repeats pointed at
    INLINE = "inline"  # an inline-mode message, in a chat the bot may not be in


class OutputPreference(StrEnum):
    """How a chat likes its answers: chosen in /settings."""

    AUTO = "auto"  # one message when it fits, else a page
    MESSAGE = "message"  # messages even for long threads
    PAGE = "page"  # always a page with a short teaser


class AnswerStyle(StrEnum):
    """Which kind of Telegram message answers: chosen in /settings."""

    RICH = "rich"  # one rich message (Bot API 10.1) wherever the server knows them
    CLASSIC = "classic"  # HTML text messages, as every Bot API server knows them


@dataclass(frozen=True, slots=True)
class UnrollRequest:
    """One person's request for one thread, with everything delivery needs and nothing else.

    `chat_id` and `message_id` name the message to edit (the placeholder, or the earlier answer
    on Refresh); inline answers have `inline_message_id` instead. No message text is kept.
    """

    request_id: str
    key: ThreadKey
    answer: Answer
    user_id: int
    destination: Destination = Destination.PRIVATE
    chat_id: int | None = None
    message_id: int | None = None
    thread_id: int | None = None
    inline_message_id: str | None = None
    reading_mode: ReadingMode = ReadingMode.REFLOW
    output: OutputPreference = OutputPreference.AUTO
    style: AnswerStyle = AnswerStyle.RICH
    accepted_at: float = 0.0
    previous_posts: int | None = None  # on Refresh: how many posts the earlier answer had
    asked_message_id: int | None = None  # in a chat: the message that asked (REPLY replies to it)
    following: bool = False  # the answer message is followed: its button offers Unfollow
    posts_added: int = 0  # on FOLLOW: what the check found since the answer was last drawn
    posts_deleted: int = 0
    language: str = "en"  # the catalog the answer speaks (`bot.i18n.catalogs`), decided at intake

    @property
    def replies_to(self) -> int | None:
        """Return the message new messages of the answer reply to: the placeholder, or the
        message that asked when there is none."""
        return self.message_id or self.asked_message_id

    @property
    def is_group(self) -> bool:
        """Return True where sends are paced per minute (groups, supergroups, channels)."""
        return self.destination is Destination.GROUP
