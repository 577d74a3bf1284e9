"""Settling a followed thread's check: compare, reschedule, and bring the followers up to date.

The worker fetched the thread fresh (the check request rode the queue like a Refresh, sharing
single flight with anyone who asked meanwhile); this decides what the fetch means for the
follow. Only a found change re-renders answers: each follower's answer is edited through the
answerer, one follower after another, so every edit passes the shared send limiter in turn.
A follower Telegram will not take (blocked bot, deleted message) is unfollowed quietly.
"""

from __future__ import annotations

import html
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from bot import metrics
from bot.answering import texts
from bot.answering.executor import Answerer
from bot.delivery import Target, UndeliverableError
from bot.errors import PostUnavailableError, RateLimitedError, UnrollError
from bot.follow import changes
from bot.follow.changes import Change
from bot.follow.records import Follower, FollowStore
from bot.i18n.catalogs import words_for
from bot.model import Thread
from bot.request import Answer, Destination, UnrollRequest

log = logging.getLogger("bot.follow")


@dataclass(frozen=True, slots=True)
class FollowRules:
    """The follow settings (FOLLOW_* in Settings), as plain values."""

    first_check_s: float = 120.0
    max_interval_s: float = 21600.0
    follow_for_s: float = 604800.0
    max_per_chat: int = 20


@dataclass
class FollowChecks:
    """Settles check requests for the worker's job handler."""

    store: FollowStore
    answerer: Answerer
    rules: FollowRules
    fraction: Callable[[], float] = random.random

    async def settle(self, request: UnrollRequest, result: Thread | UnrollError) -> None:
        """Act on one check of `request.key`: end, reschedule, or update every follower."""
        key = str(request.key)
        state = await self.store.state(key)
        metrics.FOLLOW_CHECKS.inc()
        if state is None:
            return  # the last follower left while the check ran
        if isinstance(result, PostUnavailableError):
            await self._end_gone(key)
            return
        if isinstance(result, UnrollError):
            await self._retry_later(key, state.snapshot or "", state.interval_s, result)
            return
        if state.snapshot is None:
            await self._take_snapshot(key, result)
            return
        change = changes.compare(state.snapshot, result)
        if not change.found and changes.is_expired(
            state.idle_s, follow_for_s=self.rules.follow_for_s
        ):
            ended = await self.store.end(key)
            log.info("follow expired", extra={"key": key, "followers": len(ended)})
            return
        interval_s = changes.next_interval_s(
            state.interval_s,
            changed=change.found,
            first_s=self.rules.first_check_s,
            max_s=self.rules.max_interval_s,
        )
        if change.found:
            await self._update_followers(request.request_id, result, change)
        await self.store.reschedule(
            key,
            snapshot=changes.snapshot_of(result),
            interval_s=interval_s,
            due_in_s=changes.jittered_s(interval_s, self.fraction()),
            changed=change.found,
        )
        log.info(
            "follow checked", extra={"key": key, "added": change.added, "deleted": change.deleted}
        )

    async def _take_snapshot(self, key: str, thread: Thread) -> None:
        """A follow made before its answer was cached learns what the answer shows."""
        first_s = self.rules.first_check_s
        await self.store.reschedule(
            key,
            snapshot=changes.snapshot_of(thread),
            interval_s=first_s,
            due_in_s=changes.jittered_s(first_s, self.fraction()),
            changed=False,
        )

    async def _update_followers(self, check_id: str, thread: Thread, change: Change) -> None:
        metrics.FOLLOW_CHANGES.inc()
        key = str(thread.key)
        for follower in await self.store.followers(key):
            request = follow_request(check_id, thread, follower, change)
            if await self.answerer.answer(request, thread):
                metrics.FOLLOW_EDITS.inc()
            else:
                await self.store.unfollow(key, follower.scope)
                log.info("follower gone", extra={"key": key})

    async def _retry_later(
        self, key: str, snapshot: str, interval_s: float, error: UnrollError
    ) -> None:
        """A failed check keeps its snapshot; an upstream's Retry-After moves it further out."""
        wait_s = max(interval_s, getattr(error, "retry_after", None) or 0.0)
        if isinstance(error, RateLimitedError):
            log.info("follow check rate-limited", extra={"key": key, "retry_after_s": wait_s})
        await self.store.reschedule(
            key,
            snapshot=snapshot,
            interval_s=interval_s,
            due_in_s=changes.jittered_s(wait_s, self.fraction()),
            changed=False,
        )

    async def _end_gone(self, key: str) -> None:
        """A thread whose first post is gone ends every follow with one message each."""
        for follower in await self.store.end(key):
            if follower.chat_id is None:
                continue  # an inline message has no chat to say it in
            words = words_for(follower.language)
            sentence = html.escape(words.gettext(texts.THREAD_GONE), quote=False)
            target = Target(
                chat_id=follower.chat_id,
                is_group=follower.destination is Destination.GROUP,
                thread_id=follower.thread_id,
            )
            try:
                await self.answerer.sender.send(
                    target, sentence, reply_to=follower.message_id, quiet=target.is_group
                )
            except UndeliverableError:
                continue


def follow_request(
    check_id: str, thread: Thread, follower: Follower, change: Change
) -> UnrollRequest:
    """Return the request that re-renders `follower`'s answer to show `thread`.

    Its id is the check's and the chat's, so a check handed out again after a crash finds the
    short reply already journaled as sent and does not send it twice.
    """
    return UnrollRequest(
        request_id=f"{check_id}-{follower.scope}",
        key=thread.key,
        answer=Answer.FOLLOW,
        user_id=follower.user_id,
        destination=follower.destination,
        chat_id=follower.chat_id,
        message_id=follower.message_id,
        thread_id=follower.thread_id,
        inline_message_id=follower.inline_message_id,
        reading_mode=follower.reading_mode,
        output=follower.output,
        style=follower.style,
        language=follower.language,
        following=True,
        posts_added=change.added,
        posts_deleted=change.deleted,
    )
