"""/settings per chat: reading mode, message or page, auto-unroll and following in groups."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import TypeVar

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.cleaning import ReadingMode
from bot.listener import texts
from bot.listener.context import UnrollContext
from bot.listener.intake import reply
from bot.listener.requests import destination_of
from bot.request import AnswerStyle, Destination, OutputPreference
from bot.store import ChatSettings

SETTINGS_PREFIX = "set:"
E = TypeVar("E", bound=StrEnum)


async def settings_command(update: Update, context: UnrollContext) -> None:
    """Show this chat's settings with buttons to change them."""
    message = update.effective_message
    if message is None:
        return
    current = await context.services.store.get_settings(message.chat_id)
    keyboard = _keyboard(current, destination_of(message.chat))
    await reply(context.services, message, texts.SETTINGS_TITLE, buttons=keyboard)


async def settings_button(update: Update, context: UnrollContext) -> None:
    """Change one setting and redraw the keyboard."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    store = context.services.store
    chat = query.message.chat
    destination = destination_of(chat)
    if destination is Destination.GROUP and not await is_admin(
        context, chat.id, query.from_user.id
    ):
        await context.acknowledge(query, texts.ADMINS_ONLY, show_alert=True)
        return
    current = await store.get_settings(chat.id)
    updated = _apply(current, query.data.removeprefix(SETTINGS_PREFIX))
    await store.set_settings(chat.id, updated)
    await context.acknowledge(query, texts.SETTINGS_SAVED)
    await query.edit_message_reply_markup(_keyboard(updated, destination))


async def is_admin(context: UnrollContext, chat_id: int, user_id: int) -> bool:
    """Tell whether the user is an admin (or the owner) of the group."""
    member = await context.bot.get_chat_member(chat_id, user_id)
    return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def _apply(current: ChatSettings, change: str) -> ChatSettings:
    name, _, value = change.partition("=")
    if name == "mode" and value in set(ReadingMode):
        return replace(current, reading_mode=ReadingMode(value))
    if name == "output" and value in set(OutputPreference):
        return replace(current, output=OutputPreference(value))
    if name == "style" and value in set(AnswerStyle):
        return replace(current, style=AnswerStyle(value))
    if name == "auto":
        return replace(current, auto_unroll=value == "on")
    if name == "follow":
        return replace(current, following=value == "on")
    return current


def _next(member: E) -> E:
    """Return the enum member after `member`, the first after the last."""
    members = list(type(member))
    return members[(members.index(member) + 1) % len(members)]


def _keyboard(current: ChatSettings, destination: Destination) -> InlineKeyboardMarkup:
    output_name = texts.OUTPUT_NAMES[current.output]
    rows = [
        [
            _button(
                texts.READING_ROW.format(current.reading_mode),
                f"mode={_next(current.reading_mode)}",
            )
        ],
        [_button(texts.OUTPUT_ROW.format(output_name), f"output={_next(current.output)}")],
        [_button(texts.STYLE_ROW.format(current.style), f"style={_next(current.style)}")],
    ]
    if destination is Destination.GROUP:
        state = "on" if current.auto_unroll else "off"
        change = f"auto={'off' if current.auto_unroll else 'on'}"
        rows.append([_button(texts.AUTO_UNROLL_ROW.format(state), change)])
        state = "on" if current.following else "off"
        change = f"follow={'off' if current.following else 'on'}"
        rows.append([_button(texts.FOLLOWING_ROW.format(state), change)])
    return InlineKeyboardMarkup(rows)


def _button(label: str, change: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=SETTINGS_PREFIX + change)
