"""Links sent to the bot: in private chats, and in groups by mention or auto-unroll."""

from __future__ import annotations

from telegram import Update

from bot.listener import texts
from bot.listener.context import UnrollContext
from bot.listener.intake import say, unroll_first_link
from bot.listener.requests import mentions_bot, replied_message


async def link_in_private_chat(update: Update, context: UnrollContext) -> None:
    """Unroll the link of a private message (typed, pasted or forwarded), or explain how to."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    services = context.services
    if not await unroll_first_link(services, message, user, [message]):
        await say(services, message, texts.PRIVATE_HINT)


async def message_in_group(update: Update, context: UnrollContext) -> None:
    """Unroll when the bot is mentioned (link here or in the replied message), or auto-unroll."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    services = context.services
    if mentions_bot(message, context.bot.username):
        candidates = [message, replied_message(message)]
        if not await unroll_first_link(services, message, user, candidates):
            await say(services, message, texts.NO_LINK_IN_REPLY)
        return
    chat_settings = await services.store.get_settings(message.chat_id)
    if chat_settings.auto_unroll:
        await unroll_first_link(services, message, user, [message], quiet=True)
