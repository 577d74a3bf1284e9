"""The Follow and Unfollow buttons under an answer: record or end the chat's follow, redraw.

In groups anyone may follow, unless an admin switched following off in /settings; only the
member who followed, or an admin, may unfollow. The follow itself is kept in the follow store;
the worker's checks do the rest.
"""

from __future__ import annotations

from dataclasses import replace

from telegram import CallbackQuery

from bot.answering import plan
from bot.answering.callback_data import button_ref
from bot.follow import changes
from bot.follow.records import Follower, FollowOutcome
from bot.i18n.catalogs import words_for
from bot.listener import texts
from bot.listener.chat_settings import is_admin
from bot.listener.context import Services, UnrollContext
from bot.model import Thread, ThreadKey
from bot.request import Destination, UnrollRequest


def follower_of(request: UnrollRequest) -> Follower:
    """Return the follow of the answer message `request` names, by the user who pressed."""
    return Follower(
        user_id=request.user_id,
        destination=request.destination,
        chat_id=request.chat_id,
        message_id=request.message_id,
        thread_id=request.thread_id,
        inline_message_id=request.inline_message_id,
        reading_mode=request.reading_mode,
        output=request.output,
        style=request.style,
        language=request.language,
    )


async def with_follow_state(services: Services, request: UnrollRequest) -> UnrollRequest:
    """Return `request` marked `following` when its very message is followed (for Refresh)."""
    follower = await services.follows.follower(str(request.key), follower_of(request).scope)
    followed = follower is not None and follower.is_of_message(
        request.message_id, request.inline_message_id
    )
    return replace(request, following=followed)


async def follow_pressed(
    context: UnrollContext, query: CallbackQuery, request: UnrollRequest
) -> None:
    """Follow the thread for this chat through the pressed answer."""
    services = context.services
    rules = services.follow_rules
    words = words_for(request.language)
    if request.chat_id is not None and request.is_group:
        chat_settings = await services.store.get_settings(request.chat_id)
        if not chat_settings.following:
            await context.acknowledge(query, words.gettext(texts.FOLLOWING_OFF), show_alert=True)
            return
    outcome = await services.follows.follow(
        str(request.key),
        follower_of(request),
        max_per_chat=rules.max_per_chat,
        first_check_s=rules.first_check_s,
        snapshot=await snapshot_of_cached(services, request.key),
    )
    if outcome is FollowOutcome.FULL:
        refusal = texts.follow_cap(rules.max_per_chat, words)
        await context.acknowledge(query, refusal, show_alert=True)
        return
    await context.acknowledge(query, texts.following(rules.follow_for_s, words))
    await _redraw(services, query, request, following=True)


async def unfollow_pressed(
    context: UnrollContext, query: CallbackQuery, request: UnrollRequest
) -> None:
    """End this chat's follow of the thread (someone else's only for admins, in groups)."""
    services = context.services
    words = words_for(request.language)
    key, scope = str(request.key), follower_of(request).scope
    existing = await services.follows.follower(key, scope)
    if (
        existing is not None
        and request.chat_id is not None
        and not await unfollow_allowed(context, existing, request.chat_id, request.user_id)
    ):
        refusal = words.gettext(texts.UNFOLLOW_ADMINS_ONLY)
        await context.acknowledge(query, refusal, show_alert=True)
        return
    await services.follows.unfollow(key, scope)
    await context.acknowledge(query, words.gettext(texts.UNFOLLOWED))
    await _redraw(services, query, request, following=False)


async def unfollow_allowed(
    context: UnrollContext, follow: Follower, chat_id: int, user_id: int
) -> bool:
    """Tell whether `user_id` may end `follow`: its own, any in a private chat, or an admin."""
    if follow.destination is not Destination.GROUP or follow.user_id == user_id:
        return True
    return await is_admin(context, chat_id, user_id)


async def snapshot_of_cached(services: Services, key: ThreadKey) -> str | None:
    """Return the snapshot of the thread as cached: what an answer drawn now shows."""
    cached = await services.queue.cached_result(str(key))
    result = services.answerer.decoded(cached) if cached else None
    return changes.snapshot_of(result) if isinstance(result, Thread) else None


async def _redraw(
    services: Services, query: CallbackQuery, request: UnrollRequest, *, following: bool
) -> None:
    ref = await button_ref(services.store, request.key)
    words = words_for(request.language)
    await query.edit_message_reply_markup(
        plan.answer_buttons(request.destination, ref, words, following=following)
    )
