"""Periodic chores on python-telegram-bot's JobQueue (APScheduler underneath).

The queue gauges are read from the shared queue and are cheap enough for every process to
refresh its own. Due retries need no chore: every claim moves them back into the queue first.
The in-process backends (REDIS_URL unset) get a prune chore that drops their expired entries,
as Redis drops expired keys, so an idle process gives the memory back too. The follow tick
runs in one process at a time, under the store's lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram.ext import CallbackContext
from telegram.ext import JobQueue as PtbJobQueue

from bot import metrics
from bot.follow import tick
from bot.follow.records import FollowStore
from bot.queue import JobQueue
from bot.store import Coordination

log = logging.getLogger("bot.scheduler")

METRICS_EVERY_S = 5.0
PRUNE_EVERY_S = 60.0
FOLLOW_TICK_EVERY_S = 2.0
_FOLLOW_LOCK = "follow-tick"


def schedule_chores(
    jobs: PtbJobQueue[Any],
    *,
    queue: JobQueue,
    prunes: Sequence[Callable[[], int]] = (),
    follows: FollowStore | None = None,
    locks: Coordination | None = None,
) -> None:
    """Register the chores on PTB's job queue; `prunes` drop expired in-process entries."""

    async def refresh_gauges(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        metrics.observe_queue(await queue.stats())

    async def prune_expired(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        dropped = sum(prune() for prune in prunes)
        log.debug("pruned %d expired entries", dropped)

    async def follow_tick(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        # The lock lapses just before the next tick, so another process may take over then.
        assert follows is not None
        assert locks is not None
        if await locks.try_lock(_FOLLOW_LOCK, ttl_s=FOLLOW_TICK_EVERY_S * 0.9):
            await tick.run_tick(follows, queue)

    jobs.run_repeating(refresh_gauges, interval=METRICS_EVERY_S, first=0.5, name="metrics")
    if prunes:
        every_s = PRUNE_EVERY_S
        jobs.run_repeating(prune_expired, interval=every_s, first=every_s, name="prune")
    if follows is not None and locks is not None:
        jobs.run_repeating(follow_tick, interval=FOLLOW_TICK_EVERY_S, first=1.0, name="follow")
