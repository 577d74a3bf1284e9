"""/start, /help and /unroll."""

from __future__ import annotations

from telegram import Update

from bot.listener import texts
from bot.listener.context import UnrollContext
from bot.listener.intake import say, unroll_first_link
from bot.listener.requests import replied_message

HELP_PAYLOAD = "help"


async def start_command(update: Update, context: UnrollContext) -> None:
    """Greet, or show help when started from a deep link asking for it."""
    message = update.effective_message
    if message is None:
        return
    if context.args and context.args[0] == HELP_PAYLOAD:
        await help_command(update, context)
        return
    await say(context.services, message, texts.START)


async def help_command(update: Update, context: UnrollContext) -> None:
    """Explain every way of asking, and privacy mode in groups."""
    message = update.effective_message
    if message is None:
        return
    await say(context.services, message, texts.HELP, bot=context.bot.username)


async def unroll_command(update: Update, context: UnrollContext) -> None:
    """Unroll the link after /unroll, or the link of the message /unroll replies to."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    candidates = [message, replied_message(message)]
    if not await unroll_first_link(context.services, message, user, candidates):
        await say(context.services, message, texts.UNROLL_USAGE)
