"""Inline mode: `@bot LINK` in any chat.

A cached thread that fits one message is offered whole. Otherwise the result posts a
placeholder with a button (Telegram only gives an `inline_message_id` to messages with a
keyboard); when the user picks it, the job is queued and its answer edits that message.
Everything inline speaks the asker's language: the message lands in a chat the bot may not know.
"""

from __future__ import annotations

import hashlib
import html
import time
import uuid

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputMessageContent,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot import links
from bot.answering import callback_data
from bot.answering.plan import answer_buttons
from bot.cleaning import ReadingMode
from bot.delivery import InputRichMessageContent, Target
from bot.errors import UnrollError
from bot.i18n import Words
from bot.i18n.catalogs import words_for
from bot.listener import texts
from bot.listener.commands import HELP_PAYLOAD
from bot.listener.context import Services, UnrollContext
from bot.listener.intake import submit, within_quota
from bot.listener.language import pick_language
from bot.model import Thread, ThreadKey
from bot.presentation import Presentation
from bot.rendering import telegram_html
from bot.rendering.summary import completeness_line, title
from bot.request import Answer, Destination, UnrollRequest

PLACEHOLDER_PREFIX = "p-"
CACHED_PREFIX = "c-"


async def inline_query(update: Update, context: UnrollContext) -> None:
    """Offer the unrolled thread (or a placeholder for it) for the link typed inline."""
    query = update.inline_query
    if query is None:
        return
    words = words_for(pick_language("", query.from_user))
    try:
        key = links.find_key(query.query)
    except UnrollError as error:
        sentence = error.user_message(words)
        heading = words.gettext(texts.INLINE_ERROR_TITLE)
        error_article = _article("x-error", heading, sentence, sentence)
        await context.services.answerer.sender.offer_inline(query, [error_article])
        return
    if key is None:
        button = InlineQueryResultsButton(
            text=words.gettext(texts.INLINE_HINT_TITLE), start_parameter=HELP_PAYLOAD
        )
        await context.services.answerer.sender.offer_inline(query, [], button=button, cache_time=0)
        return
    offer = await _cached_offer(context.services, key, words) or await _placeholder_offer(
        context.services, key, query.query, words
    )
    await context.services.answerer.sender.offer_inline(
        query, [offer], cache_time=0, is_personal=True
    )


async def chosen_inline_result(update: Update, context: UnrollContext) -> None:
    """Queue the job whose answer edits the placeholder the user just posted."""
    chosen = update.chosen_inline_result
    if chosen is None or chosen.inline_message_id is None:
        return
    if not chosen.result_id.startswith(PLACEHOLDER_PREFIX):
        return  # a cached answer was posted whole; nothing left to do
    key = links.find_key(chosen.query)
    if key is None:
        return
    language = pick_language("", chosen.from_user)
    if not await within_quota(context.services, chosen.from_user.id):
        # The inline message has no chat to answer in: say it in the message itself.
        quota = words_for(language).gettext(texts.QUOTA)
        await context.services.answerer.sender.try_edit(
            Target(inline_message_id=chosen.inline_message_id), quota, message_id=None
        )
        return
    request = UnrollRequest(
        request_id=uuid.uuid4().hex[:12],
        key=key,
        answer=Answer.EDIT_INLINE,
        user_id=chosen.from_user.id,
        destination=Destination.INLINE,
        inline_message_id=chosen.inline_message_id,
        accepted_at=time.time(),
        language=language,
    )
    await submit(context.services, request)


async def _cached_offer(
    services: Services, key: ThreadKey, words: Words
) -> InlineQueryResultArticle | None:
    cached = await services.queue.cached_result(str(key))
    if cached is None:
        return None
    result = services.answerer.decoded(cached)
    if not isinstance(result, Thread):
        sentence = result.user_message(words)
        return _article("x-error", words.gettext(texts.INLINE_ERROR_TITLE), sentence, sentence)
    presentation = services.answerer.present(result, ReadingMode.REFLOW, words)
    content = await _whole_thread(services, presentation)
    if content is None:
        return None
    thread = presentation.thread
    ref = await callback_data.button_ref(services.store, key)
    return InlineQueryResultArticle(
        id=CACHED_PREFIX + _digest(str(key)),
        title=f"{thread.author.name}: {title(thread, words)}",
        description=completeness_line(thread.report, words),
        input_message_content=content,
        reply_markup=answer_buttons(Destination.INLINE, ref, words, following=False),
    )


async def _whole_thread(
    services: Services, presentation: Presentation
) -> InputMessageContent | None:
    """Return the whole thread as one message's content: rich where the server knows rich
    messages, else classic; None when it fits neither."""
    if await services.answerer.sender.knows_rich_messages():
        rich = presentation.rich()
        if rich.complete:
            return InputRichMessageContent(rich)
    message = presentation.message
    if telegram_html.fits_one_message(message):
        return InputTextMessageContent(message.chunks[0], parse_mode=ParseMode.HTML)
    return None


async def _placeholder_offer(
    services: Services, key: ThreadKey, url: str, words: Words
) -> InlineQueryResultArticle:
    ref = await callback_data.button_ref(services.store, key)
    refresh = InlineKeyboardButton(
        words.gettext(texts.INLINE_PLACEHOLDER_BUTTON),
        callback_data=callback_data.data(callback_data.REFRESH, ref),
    )
    placeholder = words.gettext(texts.INLINE_PLACEHOLDER, url=url.strip())
    return InlineQueryResultArticle(
        id=PLACEHOLDER_PREFIX + _digest(str(key)),
        title=words.gettext(texts.INLINE_PLACEHOLDER_TITLE),
        description=url.strip()[:120],
        input_message_content=InputTextMessageContent(
            html.escape(placeholder, quote=False),
            parse_mode=ParseMode.HTML,
        ),
        reply_markup=InlineKeyboardMarkup([[refresh]]),
    )


def _article(
    result_id: str, heading: str, description: str, text: str
) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=result_id,
        title=heading,
        description=description,
        input_message_content=InputTextMessageContent(text),
    )


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]
