"""The buttons under an answer: Refresh (re-fetch, edit in place), Markdown and EPUB files."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from telegram import Update

from bot.answering import filename_for, resolve_button_data, target_of
from bot.cleaning import ReadingMode, clean_thread
from bot.codec import decode_result
from bot.delivery import UndeliverableError
from bot.listener import texts
from bot.listener.context import Services, UnrollContext
from bot.listener.intake import submit, within_quota
from bot.model import Thread
from bot.rendering import epub, markdown
from bot.request import Answer, UnrollRequest

NOT_CACHED = "This answer is older than an hour: press Refresh first, then ask for the file again."
_FILES: dict[str, tuple[str, Callable[[Thread], bytes]]] = {
    "md": ("md", lambda thread: markdown.render(thread).encode()),
    "epub": ("epub", epub.render),
}


async def answer_button(update: Update, context: UnrollContext) -> None:
    """Refresh the answer, or send it as a Markdown or EPUB document."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    services = context.services
    action, key = await resolve_button_data(services.store, query.data)
    if key is None:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    message = query.message
    chat = message.chat if message is not None else None
    chat_settings = await services.store.get_settings(chat.id) if chat else None
    request = UnrollRequest(
        request_id=uuid.uuid4().hex[:12],
        key=key,
        answer=Answer.REFRESH,
        user_id=query.from_user.id,
        chat_id=chat.id if chat else None,
        chat_type=chat.type if chat else "inline",
        message_id=message.message_id if message is not None else None,
        thread_id=getattr(message, "message_thread_id", None) if chat and chat.is_forum else None,
        inline_message_id=query.inline_message_id,
        reading_mode=chat_settings.reading_mode if chat_settings else ReadingMode.REFLOW.value,
        output=chat_settings.output if chat_settings else "auto",
        accepted_at=time.time(),
    )
    if action == "refresh":
        if not await within_quota(services, query.from_user.id):
            await query.answer(texts.QUOTA, show_alert=True)
            return
        await query.answer(texts.REFRESHING)
        await _refresh(services, request)
    elif action in _FILES and chat is not None:
        await query.answer(texts.SENDING_FILE)
        await _send_file(services, request, action)
    else:
        await query.answer()


async def _refresh(services: Services, request: UnrollRequest) -> None:
    cached = await services.queue.cached_result(request.key)
    previous = decode_result(cached) if cached else None
    if isinstance(previous, Thread):
        request = replace(request, previous_posts=previous.report.posts)
    # `fresh` skips the cached result without dropping it: if the new fetch fails, the last
    # good thread stays for everybody else (and for the Markdown and EPUB buttons).
    await submit(services, request, fresh=True)


async def _send_file(services: Services, request: UnrollRequest, action: str) -> None:
    cached = await services.queue.cached_result(request.key)
    result = decode_result(cached) if cached else None
    target = target_of(request)
    sender = services.answerer.sender
    try:
        if not isinstance(result, Thread):
            await sender.send(target, NOT_CACHED, reply_to=request.message_id)
            return
        thread = clean_thread(result, ReadingMode(request.reading_mode))
        extension, render = _FILES[action]
        await sender.send_document(target, render(thread), filename_for(thread, extension))
    except UndeliverableError:
        return
