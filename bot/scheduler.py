"""Periodic chores on python-telegram-bot's JobQueue (APScheduler underneath).

Moving due retries back into the queue must happen once per tick across all processes, so it
runs under a short store lock; the metrics gauges are read from the shared queue and are cheap
enough for every process to refresh its own.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import CallbackContext
from telegram.ext import JobQueue as PtbJobQueue

from bot import metrics
from bot.queue import JobQueue
from bot.store import ChatStore

log = logging.getLogger("bot.scheduler")

RETRY_SWEEP_EVERY_S = 1.0
METRICS_EVERY_S = 5.0


def schedule_chores(jobs: PtbJobQueue[Any], *, queue: JobQueue, store: ChatStore) -> None:
    """Register the chores on PTB's job queue."""

    async def move_due_retries(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        if await store.try_lock("chore:retries", ttl_s=RETRY_SWEEP_EVERY_S * 0.9):
            moved = await queue.move_due_retries()
            if moved:
                log.info("retries due", extra={"moved": moved})

    async def refresh_gauges(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        metrics.observe_queue(await queue.stats())

    jobs.run_repeating(move_due_retries, interval=RETRY_SWEEP_EVERY_S, name="retries")
    jobs.run_repeating(refresh_gauges, interval=METRICS_EVERY_S, first=0.5, name="metrics")
