"""Periodic chores on python-telegram-bot's JobQueue (APScheduler underneath).

The queue gauges are read from the shared queue and are cheap enough for every process to
refresh its own. Due retries need no chore: every claim moves them back into the queue first.
The in-process backends (REDIS_URL unset) get a prune chore that drops their expired entries,
as Redis drops expired keys, so an idle process gives the memory back too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram.ext import CallbackContext
from telegram.ext import JobQueue as PtbJobQueue

from bot import metrics
from bot.queue import JobQueue

log = logging.getLogger("bot.scheduler")

METRICS_EVERY_S = 5.0
PRUNE_EVERY_S = 60.0


def schedule_chores(
    jobs: PtbJobQueue[Any],
    *,
    queue: JobQueue,
    prunes: Sequence[Callable[[], int]] = (),
) -> None:
    """Register the chores on PTB's job queue; `prunes` drop expired in-process entries."""

    async def refresh_gauges(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        metrics.observe_queue(await queue.stats())

    async def prune_expired(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        dropped = sum(prune() for prune in prunes)
        log.debug("pruned %d expired entries", dropped)

    jobs.run_repeating(refresh_gauges, interval=METRICS_EVERY_S, first=0.5, name="metrics")
    if prunes:
        every_s = PRUNE_EVERY_S
        jobs.run_repeating(prune_expired, interval=every_s, first=every_s, name="prune")
