"""The buttons under an answer: Refresh (re-fetch, edit in place), Follow, a file of the thread."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

from telegram import Update

from bot.answering import callback_data, plan
from bot.answering.executor import target_of
from bot.answering.texts import NOT_CACHED
from bot.delivery import UndeliverableError
from bot.i18n.catalogs import words_for
from bot.listener import texts
from bot.listener.context import Services, UnrollContext
from bot.listener.follows import follow_pressed, unfollow_pressed, with_follow_state
from bot.listener.intake import submit, within_quota
from bot.listener.language import pick_language
from bot.listener.requests import destination_of
from bot.model import Thread
from bot.rendering import Format
from bot.request import Answer, Destination, UnrollRequest
from bot.store import ChatSettings


async def answer_button(update: Update, context: UnrollContext) -> None:
    """Refresh the answer, or send it as a file (Markdown, EPUB)."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    services = context.services
    message = query.message
    chat = message.chat if message is not None else None
    chat_settings = await services.store.get_settings(chat.id) if chat else ChatSettings()
    language = pick_language(chat_settings.language, query.from_user)
    words = words_for(language)
    press = await callback_data.read_press(services.store, query.data)
    if press.key is None:
        await context.acknowledge(query, words.gettext(texts.BUTTON_EXPIRED), show_alert=True)
        return
    request = UnrollRequest(
        request_id=uuid.uuid4().hex[:12],
        key=press.key,
        answer=Answer.REFRESH,
        user_id=query.from_user.id,
        destination=destination_of(chat) if chat else Destination.INLINE,
        chat_id=chat.id if chat else None,
        message_id=message.message_id if message is not None else None,
        thread_id=getattr(message, "message_thread_id", None) if chat and chat.is_forum else None,
        inline_message_id=query.inline_message_id,
        reading_mode=chat_settings.reading_mode,
        output=chat_settings.output,
        style=chat_settings.style,
        accepted_at=time.time(),
        language=language,
    )
    file_format = callback_data.FILE_ACTIONS.get(press.action)
    if press.action == callback_data.REFRESH:
        if not await within_quota(services, query.from_user.id):
            await context.acknowledge(query, words.gettext(texts.QUOTA), show_alert=True)
            return
        await context.acknowledge(query, words.gettext(texts.REFRESHING))
        await _refresh(services, await with_follow_state(services, request))
    elif press.action == callback_data.FOLLOW:
        await follow_pressed(context, query, request)
    elif press.action == callback_data.UNFOLLOW:
        await unfollow_pressed(context, query, request)
    elif file_format is not None and chat is not None:
        await context.acknowledge(query, words.gettext(texts.SENDING_FILE))
        await _send_file(services, request, file_format)
    else:
        await context.acknowledge(query)


async def _refresh(services: Services, request: UnrollRequest) -> None:
    cached = await services.queue.cached_result(str(request.key))
    previous = services.answerer.decoded(cached) if cached else None
    if isinstance(previous, Thread):
        request = replace(request, previous_posts=previous.report.posts)
    # `fresh` skips the cached result without dropping it: if the new fetch fails, the last
    # good thread stays for everybody else (and for the file buttons).
    await submit(services, request, fresh=True)


async def _send_file(services: Services, request: UnrollRequest, file_format: Format) -> None:
    cached = await services.queue.cached_result(str(request.key))
    result = services.answerer.decoded(cached) if cached else None
    if not isinstance(result, Thread) and services.archive is not None:
        result = await services.archive.recall(request.key)  # the answer outlived the cache
    target = target_of(request)
    sender = services.answerer.sender
    words = words_for(request.language)
    try:
        if not isinstance(result, Thread):
            await sender.send(target, words.gettext(NOT_CACHED), reply_to=request.message_id)
            return
        presentation = services.answerer.present(result, request.reading_mode, words)
        content = presentation.document(file_format)
        data = content.encode() if isinstance(content, str) else content
        filename = plan.filename_for(presentation.thread, file_format)
        await sender.send_document(target, data, filename)
    except UndeliverableError:
        return
