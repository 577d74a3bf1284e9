"""The one path every way of asking ends in: quota, repeat check, placeholder, cache or queue.

The listener never fetches: it answers from the result cache, or attaches the request to the
job already running for the thread, or queues a new job (one atomic `submit`).
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
import uuid
from dataclasses import replace

from telegram import Chat, InlineKeyboardMarkup, Message, User

from bot import metrics
from bot.answering import late_placeholder, plan
from bot.answering.executor import draft_id, target_of
from bot.answering.texts import ALREADY_UNROLLED
from bot.codec import encode
from bot.delivery import NotDeliveredError, Target, UndeliverableError
from bot.errors import UnrollError
from bot.i18n.catalogs import words_for
from bot.listener import texts
from bot.listener.context import Services
from bot.listener.language import pick_language, words_for_message
from bot.listener.requests import destination_of, link_key, topic_of
from bot.logs import job_id
from bot.model import ThreadKey
from bot.queue import Outcome
from bot.request import Answer, Destination, UnrollRequest

log = logging.getLogger("bot.listener")

QUOTA_WINDOW_S = 60


async def accept_in_chat(
    services: Services,
    *,
    key: ThreadKey,
    user: User,
    chat: Chat,
    reply_to: Message,
    thread_id: int | None,
    following: bool = False,
) -> UnrollRequest | None:
    """Answer a request made in a chat with one message where the answer is quick.

    In private chats a draft shows progress where the server knows drafts; elsewhere the answer
    is one reply when ready within `placeholder_after_s`, else a placeholder sent then is
    edited into it. A followed answer gets its placeholder at once (the follow records it).
    Returns the request as submitted (naming any placeholder), None when it was not: over
    quota, already answered in the group, or the chat refuses messages. `following` draws
    the answer's follow button as Unfollow (the caller records the follow).
    """
    chat_settings = await services.store.get_settings(chat.id)
    request = UnrollRequest(
        request_id=uuid.uuid4().hex[:12],
        key=key,
        answer=Answer.EDIT_PLACEHOLDER,
        user_id=user.id,
        destination=destination_of(chat),
        chat_id=chat.id,
        thread_id=thread_id,
        reading_mode=chat_settings.reading_mode,
        output=chat_settings.output,
        style=chat_settings.style,
        accepted_at=time.time(),
        asked_message_id=reply_to.message_id,
        following=following,
        language=pick_language(chat_settings.language, user),
    )
    words = words_for(request.language)
    job_id.set(request.request_id)
    target = target_of(request)
    sender = services.answerer.sender
    try:
        if not await within_quota(services, user.id):
            await sender.send(target, words.gettext(texts.QUOTA), reply_to=reply_to.message_id)
            return None
        if await _point_to_earlier_answer(services, request):
            return None
        drafts = await _shows_drafts(services, request)
        if services.placeholder_after_s > 0 and not following and not drafts:
            # One send per answer when it is quick; a placeholder only if it is not.
            request = replace(request, answer=Answer.REPLY_OR_PLACEHOLDER)
        else:
            request = await _show_progress(services, request, reply_to.message_id, drafts=drafts)
    except UndeliverableError:
        return None
    outcome = await submit(services, request)
    if request.answer is Answer.REPLY_OR_PLACEHOLDER and outcome is not Outcome.CACHED:
        # "typing" once the job is queued: a cached answer is there already (one call in
        # all), and the job need not wait for Telegram to answer the typing first.
        await sender.typing(target)
        _placeholder_if_slow(services, request)
    return request


async def _show_progress(
    services: Services, request: UnrollRequest, reply_to: int, *, drafts: bool
) -> UnrollRequest:
    """Show "typing" and then a draft (where `drafts`) or a placeholder, before the job is
    queued; return the request naming how its answer is to come."""
    sender = services.answerer.sender
    target = target_of(request)
    placeholder_text = words_for(request.language).gettext(texts.PLACEHOLDER)
    await sender.typing(target)  # at once: Telegram does not count it as a message
    if drafts:
        # One send per answer: a draft shows progress, the answer is one new reply. The
        # draft goes before the job, so a quick answer cannot be followed by it.
        await sender.draft(target, placeholder_text, draft_id=draft_id(request))
        return replace(request, answer=Answer.REPLY)
    placeholder = await sender.send_placeholder(target, placeholder_text, reply_to=reply_to)
    if placeholder is None:
        # Telegram failed in transit: the answer comes as a reply when it is back.
        return replace(request, answer=Answer.REPLY)
    return replace(request, message_id=placeholder.message_id)


def _placeholder_if_slow(services: Services, request: UnrollRequest) -> None:
    """Start the timer that sends the request's placeholder if its answer is slow."""
    timer = asyncio.create_task(
        late_placeholder.send_if_slow(
            services.store,
            services.answerer.sender,
            request,
            after_s=services.placeholder_after_s,
            target=target_of(request),
            text=words_for(request.language).gettext(texts.PLACEHOLDER),
        )
    )
    services.placeholder_timers.add(timer)
    timer.add_done_callback(services.placeholder_timers.discard)


async def submit(services: Services, request: UnrollRequest, *, fresh: bool = False) -> Outcome:
    """Hand the request to the queue, or answer it from the cache at once; return which."""
    key = str(request.key)
    submission = await services.queue.submit(key, encode(request), fresh=fresh)
    metrics.REQUESTS.labels(outcome=submission.outcome.value).inc()
    log.info(
        "request accepted",
        extra={"key": key, "outcome": submission.outcome.value, "job": submission.job_id},
    )
    if submission.outcome is Outcome.CACHED and submission.result is not None:
        # The placeholder timer starts only for a queued job: this answer races nothing.
        request = late_placeholder.answered_at_once(request)
        result = services.answerer.decoded(submission.result)
        try:
            await services.answerer.answer(request, result)
        except NotDeliveredError:
            # Telegram failed in transit: a job answers it, with its tries, when it is back.
            log.warning("cached answer not delivered: queued", extra={"key": key})
            await services.queue.submit(key, encode(request), fresh=True)
    return submission.outcome


async def reply_with_error(services: Services, message: Message, error: UnrollError) -> None:
    """Answer a request the listener rejected itself with the error's one sentence."""
    metrics.REQUESTS.labels(outcome="rejected").inc()
    log.info("request rejected", extra={"error": type(error).__name__})
    words = await words_for_message(services, message)
    await reply(services, message, html.escape(error.user_message(words), quote=False))


async def say(services: Services, message: Message, sentence: str, **values: object) -> None:
    """Reply to `message` with a catalog `sentence`, in the language that answers it."""
    words = await words_for_message(services, message)
    await reply(services, message, words.gettext(sentence, **values))


async def reply(
    services: Services,
    message: Message,
    text_html: str,
    *,
    buttons: InlineKeyboardMarkup | None = None,
) -> None:
    """Reply to `message` in its chat and topic, through the shared limiter."""
    target = Target(
        chat_id=message.chat_id,
        is_group=destination_of(message.chat) is Destination.GROUP,
        thread_id=topic_of(message),
    )
    try:
        await services.answerer.sender.send(
            target, text_html, reply_to=message.message_id, buttons=buttons
        )
    except UndeliverableError:
        return


async def within_quota(services: Services, user_id: int) -> bool:
    """Spend one of the user's requests this minute; False (and counted) when none is left."""
    allowed = await services.store.take_quota(
        user_id, limit=services.user_quota_per_minute, window_s=QUOTA_WINDOW_S
    )
    if not allowed:
        metrics.REQUESTS.labels(outcome="quota").inc()
    return allowed


async def _shows_drafts(services: Services, request: UnrollRequest) -> bool:
    """Whether a draft can show the request's progress: a private chat on a server that
    knows drafts. A followed answer keeps its placeholder, whose id the follow records."""
    return (
        request.destination is Destination.PRIVATE
        and not request.following
        and await services.answerer.sender.knows_drafts()
    )


async def _point_to_earlier_answer(services: Services, request: UnrollRequest) -> bool:
    """Reply to the thread's earlier answer in this group instead of answering again."""
    if not plan.needs_earlier_answer(request):
        return False
    assert request.chat_id is not None
    earlier = await services.store.find_answer(request.chat_id, str(request.key))
    if not plan.is_repeat(request, earlier):
        return False
    assert earlier is not None
    metrics.REQUESTS.labels(outcome="already").inc()
    # An answer still being sent is known by its request, not yet by a message to point at.
    reply_to = int(earlier) if earlier.isdigit() else request.asked_message_id
    sentence = words_for(request.language).gettext(ALREADY_UNROLLED)
    await services.answerer.sender.send(target_of(request), sentence, reply_to=reply_to)
    return True


async def unroll_first_link(
    services: Services,
    trigger: Message,
    user: User,
    candidates: list[Message | None],
    *,
    quiet: bool = False,
) -> bool:
    """Unroll the first supported link found in `candidates`, answering in `trigger`'s chat.

    Returns False when none of them has a link at all. With `quiet`, unsupported links are
    ignored instead of answered (auto-unroll in groups should not lecture people).
    """
    for message in candidates:
        if message is None:
            continue
        try:
            key = link_key(message)
        except UnrollError as error:
            if not quiet:
                await reply_with_error(services, trigger, error)
            return True
        if key is not None:
            await accept_in_chat(
                services,
                key=key,
                user=user,
                chat=trigger.chat,
                reply_to=trigger,
                thread_id=topic_of(trigger),
            )
            return True
    return False
