"""The worker loop: claim → process → settle, a bounded number of jobs at a time.

Entry-point layer. `Worker` only coordinates; the handler (fetch, finish, deliver) does the
work. Settling follows the error tree (bot/errors.py): success is acked; a retryable
`UnrollError` comes back later with exponential backoff and full jitter (never sooner than the
source's `retry_after`); a non-retryable one gets its final answer through `handler.fail`; any
other exception is a bug, logged and counted as a failed try. A job that used up its
`max_deliveries` tries (a crashed hand-out costs `CRASH_WEIGHT` of one) goes to the dead-letter
stream; requesters who waited through all of them get an apology, and those who came after its
first failure are handed to a new job (`JobQueue.dead_letter`). A job whose answer (or
apology) Telegram did not take in transit (`NotDeliveredError`) spends no try: its work is
done, so it is deferred, with the same backoff, and delivers once Telegram takes messages again
(answers already sent are skipped).
Running jobs have their claims renewed, so a slow job is not taken over while it runs.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Protocol

from bot.delivery import NotDeliveredError
from bot.errors import RateLimitedError, UnrollError
from bot.logs import logged_as
from bot.metrics import JOB_DURATION, JOBS, UPSTREAM_429
from bot.queue import Job, JobQueue
from bot.store import ChatStore

log = logging.getLogger("bot.worker")

_CLAIM_BLOCK_S = 1.0
"""How long `run` waits for new jobs per claim; also how soon it notices `stop()`."""

CRASH_WEIGHT = 0.5
"""What a hand-out that never settled (its worker died) costs of a job's `max_deliveries` tries.

A crash is mostly not the job's fault: a deploy, the OOM killer or a lost host take down every
job their worker ran, and a full try each would bury innocent neighbours of a poison job. Half
a try still buries a job that kills every worker it reaches, after twice as many hand-outs."""

MAX_DEFERRALS = 40
"""How often a job's delivery is put off before its answers are dropped, on record.

With full-jitter backoff capped at a minute that is about a quarter of an hour of Telegram not
taking messages: an outage longer than that would not let an apology through either."""

_HEARTBEATS_PER_TTL = 3
"""A heartbeat lives this many renew periods, so one slow renewal does not look like a death."""


class JobHandler(Protocol):
    """What a worker does with a job; every method must be safe to run again for the job."""

    async def process(self, job: Job) -> None:
        """Fetch the thread, `finish` the job and answer every request; may raise anything
        (`NotDeliveredError` when Telegram did not take an answer)."""
        ...

    async def fail(self, job: Job, error: UnrollError) -> None:
        """Give the requesters the final answer for a non-retryable error."""
        ...

    async def give_up(self, job: Job, reason: str) -> None:
        """Apologise to the requesters of a dead-lettered job not yet answered (or handed on)."""
        ...


def backoff_s(
    deliveries: int,
    *,
    base_s: float,
    cap_s: float,
    retry_after_s: float | None = None,
    fraction: Callable[[], float] = random.random,
) -> float:
    """Return the wait before the next try: `retry_after_s` plus full jitter.

    Full jitter (a random share of min(cap, base·2^(n-1))) keeps many workers from retrying in
    step; a source's own `retry_after` is the floor, but never above `cap_s`: the number comes
    from an upstream, and `Retry-After: 99999999999` must not park a job for millennia.
    """
    asked_s = retry_after_s if retry_after_s is not None and math.isfinite(retry_after_s) else 0
    floor_s = min(max(asked_s, 0.0), cap_s)
    return floor_s + fraction() * min(cap_s, base_s * 2.0 ** (deliveries - 1))


def tries_spent(job: Job) -> float:
    """Return how much of its tries the job used before this hand-out: crashes count less, and
    hand-outs deferred for Telegram's sake not at all."""
    crashes = max(job.deliveries - 1 - job.failures - job.deferrals, 0)
    return job.failures + CRASH_WEIGHT * crashes


class Worker:
    """Claims jobs for one consumer name and runs up to `concurrency` of them at once."""

    def __init__(
        self,
        queue: JobQueue,
        handler: JobHandler,
        *,
        consumer: str,
        concurrency: int = 8,
        max_deliveries: int = 5,
        renew_every_s: float = 2.0,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
        shutdown_grace_s: float = 10.0,
        store: ChatStore | None = None,
    ) -> None:
        self._queue = queue
        self._handler = handler
        self._consumer = consumer
        self._concurrency = concurrency
        self._max_deliveries = max_deliveries
        self._renew_every_s = renew_every_s
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._shutdown_grace_s = shutdown_grace_s
        self._store = store
        self._running: dict[asyncio.Task[None], Job] = {}
        self._stopping = False
        self._hand_back_at = math.inf

    async def run(self) -> None:
        """Process jobs until `stop()`; then finish or hand back the running ones.

        Running jobs get `shutdown_grace_s` to finish; the rest are cancelled and handed back
        to the queue, where another worker claims them at once.
        """
        async with self._keeping_claims() as renewal:
            while not self._stopping and not renewal.done():
                await self._step(block_s=_CLAIM_BLOCK_S)
            await self._finish_or_hand_back()

    async def run_until_idle(self) -> None:
        """Process jobs until none is claimable and none is running (burst mode, for tests)."""
        async with self._keeping_claims():
            while True:
                # A job that settles while a claim is under way may have re-queued itself
                # after that claim looked: idle only after a claim that began with none running.
                was_running = bool(self._running)
                if await self._step(block_s=0):
                    continue
                if self._running:
                    await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
                elif not was_running:
                    return

    def stop(self) -> None:
        """Ask `run` to claim nothing more, and to return once the running jobs are settled
        or, after the grace time, handed back."""
        self._stopping = True
        # The grace counts from now, not from when a claim under way returns.
        self._hand_back_at = time.monotonic() + self._shutdown_grace_s

    async def _step(self, *, block_s: float) -> bool:
        """Wait for a free slot, or fill the free slots; return whether anything happened."""
        free = self._concurrency - len(self._running)
        if free <= 0:
            await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            return True
        jobs = await self._queue.claim(self._consumer, count=free, block_s=block_s)
        if self._stopping:
            # `stop()` came while the claim waited: these jobs are someone else's to run.
            for job in jobs:
                await self._queue.release(job)
            return bool(jobs)
        running = {job.id for job in self._running.values()}
        for job in jobs:
            if job.id in running:
                # Its renewal came late (the event loop stalled past the reclaim threshold),
                # so the reclaim handed it back to this consumer: it runs already, and will
                # settle the same entry.
                log.warning("job %s handed back while it runs here: not started twice", job.id)
                continue
            task = asyncio.create_task(self._run_job(job))
            self._running[task] = job
            task.add_done_callback(self._forget)
        return bool(jobs)

    async def _finish_or_hand_back(self) -> None:
        if not self._running:
            return
        grace_s = max(self._hand_back_at - time.monotonic(), 0)
        _done, late = await asyncio.wait(self._running, timeout=grace_s)
        late_jobs = {task: self._running[task] for task in late}
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        for task, job in late_jobs.items():
            if not task.cancelled():
                continue  # it swallowed the cancel (in redis-py) and ran to its end
            await self._queue.release(job)
            JOBS.labels("released").inc()
            log.info("job %s handed back unfinished: shutting down", job.id)

    def _forget(self, task: asyncio.Task[None]) -> None:
        del self._running[task]
        if not task.cancelled() and task.exception() is not None:
            # Settling itself failed (the queue is unreachable): the claim lapses and the job
            # is handed out again after the reclaim threshold.
            log.error("could not settle a job", exc_info=task.exception())

    async def _run_job(self, job: Job) -> None:
        with logged_as(job.id):
            await self._run_logged_job(job)

    async def _run_logged_job(self, job: Job) -> None:
        started = time.monotonic()
        try:
            outcome = await self._attempt(job)
        except NotDeliveredError as error:
            outcome = await self._defer(job, error)
        except Exception as exc:  # the per-job guard: a bug costs a delivery, not the worker
            log.exception("job %s crashed", job.id)
            outcome = await self._retry_or_bury(job, f"crashed: {type(exc).__name__}")
        duration_s = time.monotonic() - started
        JOBS.labels(outcome).inc()
        JOB_DURATION.labels("total").observe(duration_s)
        log.info(
            "job %s key=%s outcome=%s duration=%.3fs deliveries=%d",
            *(job.id, job.key, outcome, duration_s, job.deliveries),
        )

    async def _attempt(self, job: Job) -> str:
        if tries_spent(job) >= 2 * self._max_deliveries:
            # Buried before, and even its apology keeps crashing: stop, on record.
            return await self._drop(job, f"handed out {job.deliveries} times")
        if tries_spent(job) >= self._max_deliveries:
            # Handed out again and again without settling (it keeps killing its workers), or
            # buried before and only its apology waits.
            return await self._bury(job, f"handed out {job.deliveries} times", this_try=False)
        try:
            await self._handler.process(job)
        except UnrollError as error:
            return await self._settle_error(job, error)
        await self._queue.ack(job)
        return "done"

    async def _settle_error(self, job: Job, error: UnrollError) -> str:
        if not error.retryable:
            await self._handler.fail(job, error)
            await self._queue.ack(job)
            return "failed"
        retry_after_s = None
        if isinstance(error, RateLimitedError):
            UPSTREAM_429.labels(platform=error.platform or "unknown").inc()
            retry_after_s = error.retry_after
        reason = f"{type(error).__name__}: {error}"
        return await self._retry_or_bury(job, reason, retry_after_s=retry_after_s)

    async def _retry_or_bury(
        self, job: Job, reason: str, *, retry_after_s: float | None = None
    ) -> str:
        if tries_spent(job) + 1 >= self._max_deliveries:
            return await self._bury(job, reason, this_try=True)
        delay_s = backoff_s(
            job.deliveries,
            base_s=self._backoff_base_s,
            cap_s=self._backoff_cap_s,
            retry_after_s=retry_after_s,
        )
        await self._queue.retry_later(job, delay_s)
        return "retried"

    async def _bury(self, job: Job, reason: str, *, this_try: bool) -> str:
        """Dead-letter the job and apologise; `this_try` says this hand-out was its last try
        (not a hand-out after the tries were spent)."""
        successor = await self._queue.dead_letter(job, reason)
        if successor is not None:
            log.info("requests that came after the first failure go to job %s", successor)
        try:
            await self._handler.give_up(job, reason)
        except NotDeliveredError as error:
            # Dead-lettered once; with this try counted, its next hand-out only apologises.
            return await self._defer(job, error, count_try=this_try)
        await self._queue.ack(job)
        return "dead"

    async def _defer(self, job: Job, error: NotDeliveredError, *, count_try: bool = False) -> str:
        """Bring the job back later to deliver; the try counts only when `count_try`."""
        if job.deferrals >= MAX_DEFERRALS:
            return await self._drop(job, f"not delivered: {error}")
        delay_s = backoff_s(
            job.deferrals + 1, base_s=self._backoff_base_s, cap_s=self._backoff_cap_s
        )
        log.warning("job %s waits to deliver for %.1fs: %s", job.id, delay_s, error)
        if count_try:
            await self._queue.retry_later(job, delay_s)
        else:
            await self._queue.defer(job, delay_s)
        return "deferred"

    async def _drop(self, job: Job, reason: str) -> str:
        """Give up on a job without answering: nothing more can be sent for it."""
        log.error("job %s dropped unanswered: %s", job.id, reason)
        await self._queue.dead_letter(job, reason)
        await self._queue.ack(job)
        return "dropped"

    @asynccontextmanager
    async def _keeping_claims(self) -> AsyncIterator[asyncio.Task[None]]:
        """Renew running jobs' claims and this worker's heartbeat while the block runs."""
        await self._heartbeat()
        stopped = asyncio.Event()
        renewal = asyncio.create_task(self._renew_until(stopped))
        try:
            yield renewal
        finally:
            # The flag as well as the cancel: redis-py now and then returns normally from a
            # command it was cancelled in, and the loop would go on renewing, never to end.
            stopped.set()
            renewal.cancel()
            with suppress(asyncio.CancelledError):
                await renewal

    async def _renew_until(self, stopped: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self._renew_every_s)
            for job in list(self._running.values()):
                if stopped.is_set():
                    return
                await self._queue.renew(job, self._consumer)
            if stopped.is_set():
                return  # a stopped worker must not look alive
            await self._heartbeat()

    async def _heartbeat(self) -> None:
        if self._store is not None:
            ttl_s = self._renew_every_s * _HEARTBEATS_PER_TTL
            await self._store.heartbeat(self._consumer, ttl_s=ttl_s)
