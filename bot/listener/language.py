"""Which language the bot speaks to a request: decided here, and only here.

A chat's choice in /settings wins; without one, the language of the person who asked (their
Telegram `language_code`, best match among the catalogs), which in a group means each asker is
answered in their own; unknown → English. Inline answers and button presses follow the same
rule (an inline message has no chat of ours, so there it is the presser's). The choice travels
in `UnrollRequest.language`, so the worker and scheduled follow updates speak it too.
"""

from __future__ import annotations

from telegram import CallbackQuery, Message, User

from bot.i18n import Words
from bot.i18n.catalogs import best_match, languages, words_for
from bot.listener.context import Services


def pick_language(chosen: str, user: User | None) -> str:
    """Return the chat's `chosen` catalog when it has one, else the best match for `user`."""
    if chosen in languages():
        return chosen
    return best_match(user.language_code if user is not None else None)


async def language_of(services: Services, chat_id: int | None, user: User | None) -> str:
    """Return the catalog that answers `user` in the chat `chat_id` (None: no chat)."""
    chosen = (await services.store.get_settings(chat_id)).language if chat_id is not None else ""
    return pick_language(chosen, user)


async def words_of(services: Services, chat_id: int | None, user: User | None) -> Words:
    """Return the `Words` that answer `user` in the chat `chat_id` (see `language_of`)."""
    return words_for(await language_of(services, chat_id, user))


async def words_for_message(services: Services, message: Message) -> Words:
    """Return the `Words` that answer `message`, by its chat and its sender."""
    return await words_of(services, message.chat_id, message.from_user)


async def words_for_press(services: Services, query: CallbackQuery) -> Words:
    """Return the `Words` that answer a button press, by its chat (if any) and its presser."""
    chat_id = query.message.chat.id if query.message is not None else None
    return await words_of(services, chat_id, query.from_user)
