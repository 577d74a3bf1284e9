"""The Telegram side: `build_application` registers one handler per way of asking.

Handlers only validate, canonicalise and hand over (`intake.py`); fetching happens in workers.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.i18n import ENGLISH, SOURCE_LANGUAGE, Words
from bot.i18n.catalogs import languages, words_for
from bot.listener import texts
from bot.listener.buttons import answer_button
from bot.listener.chat_settings import SETTINGS_PREFIX, settings_button, settings_command
from bot.listener.commands import help_command, start_command, unroll_command
from bot.listener.context import Services, UnrollApplication, UnrollContext
from bot.listener.follow_commands import (
    LISTED_UNFOLLOW,
    follow_command,
    following_command,
    listed_unfollow_button,
    unfollow_command,
)
from bot.listener.inline import chosen_inline_result, inline_query
from bot.listener.intake import say
from bot.listener.messages import link_in_private_chat, message_in_group

log = logging.getLogger("bot.listener")


def command_menu(words: Words) -> list[BotCommand]:
    """Return the command menu in the language of `words`, in the order Telegram shows it."""
    return [BotCommand(name, words.gettext(about)) for name, about in texts.COMMANDS.items()]


def command_menus() -> list[tuple[str | None, list[BotCommand]]]:
    """Return each menu with the Telegram `language_code` it is for (None: everybody else).

    Telegram names languages by two letters only, so `pt_BR`'s menu is the one for `pt`.
    """
    menus: list[tuple[str | None, list[BotCommand]]] = [(None, command_menu(ENGLISH))]
    for language in languages():
        if language != SOURCE_LANGUAGE:
            menus.append((language.split("_")[0], command_menu(words_for(language))))
    return menus


# Updates are answered concurrently: one slow send must not hold up everybody's placeholder.
CONCURRENT_UPDATES = 64
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.CHOSEN_INLINE_RESULT,
]


def build_application(
    services: Services, *, bot: ExtBot[None], polling: bool = True
) -> UnrollApplication:
    """Return the PTB Application with every handler registered, in matching order."""
    builder = (
        Application.builder()
        .bot(bot)
        .application_class(UnrollApplication, kwargs={"services": services})
        .context_types(ContextTypes(context=UnrollContext))
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if not polling:
        builder = builder.updater(None)  # webhook updates arrive through bot.web instead
    application = builder.build()
    assert isinstance(application, UnrollApplication)
    _register(application)
    return application


def _register(application: UnrollApplication) -> None:
    text_or_caption = (filters.TEXT | filters.CAPTION) & filters.UpdateType.MESSAGE
    # Commands first: "/unroll LINK" also contains a link, and must not reach the link handlers.
    application.add_handler(CommandHandler("start", start_command))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("unroll", unroll_command))
    application.add_handler(CommandHandler("settings", settings_command))
    application.add_handler(CommandHandler("follow", follow_command))
    application.add_handler(CommandHandler("following", following_command))
    application.add_handler(CommandHandler("unfollow", unfollow_command))
    # Settings buttons carry a prefix of their own; every other button belongs to an answer.
    application.add_handler(CallbackQueryHandler(settings_button, pattern=f"^{SETTINGS_PREFIX}"))
    # The /following list's Unfollow buttons redraw the list, not an answer.
    application.add_handler(
        CallbackQueryHandler(listed_unfollow_button, pattern=f"^{LISTED_UNFOLLOW}:")
    )
    application.add_handler(CallbackQueryHandler(answer_button, pattern=r"^\w+:"))
    application.add_handler(InlineQueryHandler(inline_query))
    application.add_handler(ChosenInlineResultHandler(chosen_inline_result))
    # Private chats: a link is unrolled, anything else gets a hint (never silence).
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & text_or_caption, link_in_private_chat)
    )
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, _hint)
    )
    # Groups: only mentions of the bot, or links when the chat turned auto-unroll on.
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & text_or_caption, message_in_group)
    )
    application.add_error_handler(_error_handler)


async def _hint(update: Update, context: UnrollContext) -> None:
    """Answer stickers, photos without links and the like in private chats with a hint."""
    if update.effective_message is not None:
        await say(context.services, update.effective_message, texts.PRIVATE_HINT)


async def _error_handler(update: object, context: UnrollContext) -> None:
    """The listener's process boundary: log the bug, then apologise in the chat if there is one."""
    log.error("handler failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        await say(context.services, update.effective_message, texts.BUG)
