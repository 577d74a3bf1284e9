"""/settings per chat: language, reading mode, message or page, auto-unroll and following.

The keyboard speaks the language that answers the person who opened or pressed it. Its
Language row opens the list of choices: "automatic" (each asker's own language) and every
catalog by its own name; picking one saves it and brings the settings back.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import TypeVar

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.cleaning import ReadingMode
from bot.i18n import Words
from bot.i18n.catalogs import language_name, languages, words_for
from bot.listener import texts
from bot.listener.context import UnrollContext
from bot.listener.intake import reply
from bot.listener.language import pick_language
from bot.listener.requests import destination_of
from bot.request import AnswerStyle, Destination, OutputPreference
from bot.store import ChatSettings

SETTINGS_PREFIX = "set:"
LANGUAGE_LIST = "langs"
"""The change that opens the list of languages instead of changing anything."""
E = TypeVar("E", bound=StrEnum)


async def settings_command(update: Update, context: UnrollContext) -> None:
    """Show this chat's settings with buttons to change them."""
    message = update.effective_message
    if message is None:
        return
    current = await context.services.store.get_settings(message.chat_id)
    words = words_for(pick_language(current.language, message.from_user))
    keyboard = _keyboard(current, destination_of(message.chat), words)
    title = words.gettext(texts.SETTINGS_TITLE)
    await reply(context.services, message, title, buttons=keyboard)


async def settings_button(update: Update, context: UnrollContext) -> None:
    """Change one setting and redraw the keyboard."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    store = context.services.store
    chat = query.message.chat
    destination = destination_of(chat)
    current = await store.get_settings(chat.id)
    if destination is Destination.GROUP and not await is_admin(
        context, chat.id, query.from_user.id
    ):
        words = words_for(pick_language(current.language, query.from_user))
        await context.acknowledge(query, words.gettext(texts.ADMINS_ONLY), show_alert=True)
        return
    change = query.data.removeprefix(SETTINGS_PREFIX)
    if change == LANGUAGE_LIST:
        await context.acknowledge(query)
        words = words_for(pick_language(current.language, query.from_user))
        await query.edit_message_reply_markup(_language_keyboard(current, words))
        return
    updated = _apply(current, change)
    await store.set_settings(chat.id, updated)
    # Said in the new language, when the press chose one: the change shows at once.
    words = words_for(pick_language(updated.language, query.from_user))
    await context.acknowledge(query, words.gettext(texts.SETTINGS_SAVED))
    keyboard = _keyboard(updated, destination, words)
    if updated.language == current.language:
        await query.edit_message_reply_markup(keyboard)
    else:  # the title changes language too
        title = words.gettext(texts.SETTINGS_TITLE)
        await query.edit_message_text(title, parse_mode="HTML", reply_markup=keyboard)


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
    if name == "lang" and (value in languages() or value == ""):
        return replace(current, language=value)
    return current


def _next(member: E) -> E:
    """Return the enum member after `member`, the first after the last."""
    members = list(type(member))
    return members[(members.index(member) + 1) % len(members)]


def _language_keyboard(current: ChatSettings, words: Words) -> InlineKeyboardMarkup:
    """Return the choice of languages, two a row, the chosen one ticked."""
    choices = [("", words.gettext(texts.LANGUAGE_AUTOMATIC))]
    choices.extend((language, language_name(language)) for language in languages())
    buttons = [
        _button(f"✓ {name}" if language == current.language else name, f"lang={language}")
        for language, name in choices
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _keyboard(
    current: ChatSettings, destination: Destination, words: Words
) -> InlineKeyboardMarkup:
    say = words.gettext
    chosen = current.language if current.language in languages() else ""
    language = language_name(chosen) if chosen else say(texts.LANGUAGE_AUTOMATIC)
    mode = say(texts.READING_NAMES[current.reading_mode])
    output = say(texts.OUTPUT_NAMES[current.output])
    style = say(texts.STYLE_NAMES[current.style])
    rows = [
        [_button(say(texts.LANGUAGE_ROW, language=language), LANGUAGE_LIST)],
        [_button(say(texts.READING_ROW, mode=mode), f"mode={_next(current.reading_mode)}")],
        [_button(say(texts.OUTPUT_ROW, output=output), f"output={_next(current.output)}")],
        [_button(say(texts.STYLE_ROW, style=style), f"style={_next(current.style)}")],
    ]
    if destination is Destination.GROUP:
        state = say(texts.SWITCH_NAMES[current.auto_unroll])
        change = f"auto={'off' if current.auto_unroll else 'on'}"
        rows.append([_button(say(texts.AUTO_UNROLL_ROW, state=state), change)])
        state = say(texts.SWITCH_NAMES[current.following])
        change = f"follow={'off' if current.following else 'on'}"
        rows.append([_button(say(texts.FOLLOWING_ROW, state=state), change)])
    return InlineKeyboardMarkup(rows)


def _button(label: str, change: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=SETTINGS_PREFIX + change)
