"""The chores registered on PTB's job queue (run by hand here: no waiting for their interval)."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.queue.memory import MemoryJobQueue
from bot.scheduler import schedule_chores
from bot.store import MemoryChatStore

App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
def application(monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    return ApplicationBuilder().token("123:not-used").build()


def _chore_names(application: App) -> list[str]:
    assert application.job_queue is not None
    return sorted(job.name or "" for job in application.job_queue.jobs())


def test_no_prune_chore_when_redis_expires_keys(application: App) -> None:
    assert application.job_queue is not None
    schedule_chores(application.job_queue, queue=MemoryJobQueue())
    assert _chore_names(application) == ["metrics"]


async def test_prune_chore_drops_expired_entries(application: App) -> None:
    now = [0.0]
    store = MemoryChatStore(clock=lambda: now[0])
    await store.remember_answer(1, "x:x.com:1", "https://t.me/c/1/2", ttl_s=60)
    assert application.job_queue is not None
    schedule_chores(application.job_queue, queue=MemoryJobQueue(), prunes=[store.prune_expired])
    now[0] = 61.0
    await application.job_queue.get_jobs_by_name("prune")[0].run(application)
    assert store.held_entries() == 0
