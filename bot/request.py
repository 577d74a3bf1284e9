"""UnrollRequest: who asked for a thread and where the answer goes. Pure: no I/O.

The listener builds one per way of asking; it crosses the queue as bytes (`bot.codec`) and the
worker's delivery reads it to know which placeholder to edit, in which chat and topic.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Answer(StrEnum):
    """Where the answer is written."""

    EDIT_PLACEHOLDER = "edit_placeholder"  # a "Unrolling…" reply in a chat, edited in place
    EDIT_INLINE = "edit_inline"  # an inline-mode message, edited by inline_message_id
    REFRESH = "refresh"  # an earlier answer, edited in place by the Refresh button


@dataclass(frozen=True, slots=True)
class UnrollRequest:
    """One person's request for one thread, with everything delivery needs and nothing else.

    `chat_id` and `message_id` name the message to edit (the placeholder, or the earlier answer
    on Refresh); inline answers have `inline_message_id` instead. No message text is kept.
    """

    request_id: str
    key: str
    answer: Answer
    user_id: int
    chat_id: int | None = None
    chat_type: str = "private"
    message_id: int | None = None
    thread_id: int | None = None
    inline_message_id: str | None = None
    reading_mode: str = "reflow"
    output: str = "auto"
    accepted_at: float = 0.0
    previous_posts: int | None = None  # on Refresh: how many posts the earlier answer had

    @property
    def is_group(self) -> bool:
        """Return True for groups and supergroups (their send limits are per minute)."""
        return self.chat_type in ("group", "supergroup")
