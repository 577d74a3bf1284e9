"""/settings per chat: reading mode, message or page, auto-unroll in groups (kept in the store)."""

from __future__ import annotations

from dataclasses import replace

from telegram import Chat, ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.listener.context import UnrollContext
from bot.listener.intake import reply
from bot.store import ChatSettings

SETTINGS_PREFIX = "set:"
_MODES = ("reflow", "original")
_OUTPUTS = ("auto", "message", "page")
_OUTPUT_NAMES = {"auto": "automatic", "message": "always a message", "page": "always a page"}
_TITLE = "<b>Settings for this chat</b>"
ADMINS_ONLY = "Only the group's admins can change its settings."


async def settings_command(update: Update, context: UnrollContext) -> None:
    """Show this chat's settings with buttons to change them."""
    message = update.effective_message
    if message is None:
        return
    current = await context.services.store.get_settings(message.chat_id)
    keyboard = _keyboard(current, message.chat.type)
    await reply(context.services, message, _TITLE, buttons=keyboard)


async def settings_button(update: Update, context: UnrollContext) -> None:
    """Change one setting and redraw the keyboard."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    store = context.services.store
    chat = query.message.chat
    if chat.type != Chat.PRIVATE and not await _is_admin(context, chat.id, query.from_user.id):
        await query.answer(ADMINS_ONLY, show_alert=True)
        return
    current = await store.get_settings(chat.id)
    updated = _apply(current, query.data.removeprefix(SETTINGS_PREFIX))
    await store.set_settings(chat.id, updated)
    await query.answer("Saved.")
    await query.edit_message_reply_markup(_keyboard(updated, chat.type))


async def _is_admin(context: UnrollContext, chat_id: int, user_id: int) -> bool:
    member = await context.bot.get_chat_member(chat_id, user_id)
    return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def _apply(current: ChatSettings, change: str) -> ChatSettings:
    name, _, value = change.partition("=")
    if name == "mode" and value in _MODES:
        return replace(current, reading_mode=value)
    if name == "output" and value in _OUTPUTS:
        return replace(current, output=value)
    if name == "auto":
        return replace(current, auto_unroll=value == "on")
    return current


def _keyboard(current: ChatSettings, chat_type: str) -> InlineKeyboardMarkup:
    next_mode = _MODES[(_MODES.index(current.reading_mode) + 1) % len(_MODES)]
    next_output = _OUTPUTS[(_OUTPUTS.index(current.output) + 1) % len(_OUTPUTS)]
    rows = [
        [_button(f"Reading: {current.reading_mode}", f"mode={next_mode}")],
        [_button(f"Answer: {_OUTPUT_NAMES[current.output]}", f"output={next_output}")],
    ]
    if chat_type != Chat.PRIVATE:
        state = "on" if current.auto_unroll else "off"
        rows.append(
            [
                _button(
                    f"Auto-unroll links: {state}", f"auto={'off' if current.auto_unroll else 'on'}"
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


def _button(label: str, change: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=SETTINGS_PREFIX + change)
