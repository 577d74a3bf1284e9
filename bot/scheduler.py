"""Periodic chores on python-telegram-bot's JobQueue (APScheduler underneath).

The queue gauges are read from the shared queue and are cheap enough for every process to
refresh its own. Due retries need no chore: every claim moves them back into the queue first.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import CallbackContext
from telegram.ext import JobQueue as PtbJobQueue

from bot import metrics
from bot.queue import JobQueue

log = logging.getLogger("bot.scheduler")

METRICS_EVERY_S = 5.0


def schedule_chores(jobs: PtbJobQueue[Any], *, queue: JobQueue) -> None:
    """Register the chores on PTB's job queue."""

    async def refresh_gauges(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        metrics.observe_queue(await queue.stats())

    jobs.run_repeating(refresh_gauges, interval=METRICS_EVERY_S, first=0.5, name="metrics")
