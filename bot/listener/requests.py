"""Update → which thread is asked for, and where the answer goes. No network.

Links are read from the text or caption and from the targets of text links, whose visible text
may differ. In forum topics every message "replies" to the topic's first message; that
pseudo-reply is not a reply to a message with a link and is ignored.
"""

from __future__ import annotations

from telegram import Chat, Message, MessageEntity

from bot import links
from bot.model import ThreadKey
from bot.request import Destination

_LINK_ENTITIES: list[str | None] = [MessageEntity.URL, MessageEntity.TEXT_LINK]


def link_key(message: Message) -> ThreadKey | None:
    """Return the thread key of the first supported link in `message`, None when it has no link.

    Raises:
        UnsupportedLinkError: the message has links, but none to a supported post.
    """
    text = message.text or message.caption or ""
    return links.find_key(text, entity_urls(message))


def entity_urls(message: Message) -> list[str]:
    """Return the URLs of the message's link entities, in order (text-link targets included)."""
    parsed = (
        message.parse_entities(_LINK_ENTITIES)
        if message.text
        else message.parse_caption_entities(_LINK_ENTITIES)
    )
    return [entity.url or text for entity, text in parsed.items()]


def replied_message(message: Message) -> Message | None:
    """Return the message this one really replies to (not a forum topic's root)."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return None
    if message.is_topic_message and replied.message_id == message.message_thread_id:
        return None
    return replied


def mentions_bot(message: Message, username: str) -> bool:
    """Return True when the message mentions the bot (usernames compare case-insensitively)."""
    wanted = "@" + username.lower()
    text_entities = (
        message.parse_entities([MessageEntity.MENTION])
        if message.text
        else message.parse_caption_entities([MessageEntity.MENTION])
    )
    return any(text.lower() == wanted for text in text_entities.values())


def topic_of(message: Message) -> int | None:
    """Return the forum topic to answer in, or None outside forum topics."""
    return message.message_thread_id if message.is_topic_message else None


def destination_of(chat: Chat) -> Destination:
    """Return what kind of place `chat` is for an answer: private, or a group (or channel)."""
    return Destination.PRIVATE if chat.type == Chat.PRIVATE else Destination.GROUP
