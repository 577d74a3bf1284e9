"""What a worker does with one job: fetch the thread once, then answer every requester.

The fetch result is recorded with the job (`finish`) before any answer is sent, and each
answer is recorded once sent, so a job handed out again after a crash resumes where it
stopped instead of fetching or sending twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import metrics
from bot.answering.executor import Answerer
from bot.archive import ThreadArchive
from bot.codec import decode_request, decode_result, encode_result, with_shown
from bot.errors import SourceError, UnrollError
from bot.follow.checks import FollowChecks
from bot.logs import logged_as
from bot.model import Thread, ThreadKey
from bot.net.http import HttpClient
from bot.queue import Job, JobQueue
from bot.request import Answer, UnrollRequest
from bot.sources import SourceConfig, fetch_thread

log = logging.getLogger("bot.jobs")

PROGRESS_EVERY_S = 2.0
MAX_PROGRESS_UPDATES = 3
"""Progress edits (or drafts) one job makes at most, however long its thread and however
often it is handed out."""
PROGRESS_COUNT_TTL_S = 24 * 60 * 60
"""How long a job's count of progress edits is kept: the longest a job's data can live (no
hand-out comes later)."""


@dataclass
class UnrollJobs:
    """The worker's job handler (`bot.worker.JobHandler`)."""

    queue: JobQueue
    http: HttpClient
    config: SourceConfig
    answerer: Answerer
    result_ttl_s: int = 3600
    failure_ttl_s: int = 60
    follow: FollowChecks | None = None
    archive: ThreadArchive | None = None

    async def process(self, job: Job) -> None:
        """Fetch (unless a previous delivery already did) and answer everyone."""
        started = time.perf_counter()
        early = self._early_fetch(job)
        try:
            state = await self.queue.state(job)
            pending: list[tuple[int, UnrollRequest]] = []
            if state.result is None:
                pending = await self._decoded(job, state.undelivered)
            thread = None
            if pending:
                # Every request of a job asks for the same thread; any of them names it.
                thread = await (early or self._fetch(job, pending[0][1].key))
        finally:
            _drop(early)
        if state.result is not None:
            await self._resume(job, state.result, state.undelivered)
            return
        if thread is None:
            return  # nobody left to answer (their requests expired with the job's data)
        metrics.JOB_DURATION.labels(stage="fetch").observe(time.perf_counter() - started)
        encoded = encode_result(thread)
        # The first answer's rich message goes with the cached result (the archive keeps the
        # thread alone): a listener answering a hit in the same mode and language shows it as
        # it is. Answering renders it anyway.
        first = next((request for _, request in pending if not self._is_check(request)), None)
        shown = await self.answerer.rendering(thread, first) if first else None
        cached = encoded if shown is None else with_shown(encoded, shown)
        # Requests that joined during the fetch are in: finish froze the list it returns.
        undelivered = await self.queue.finish(job, cached, ttl_s=self.result_ttl_s)
        if undelivered is None:
            # Redis lost the job while it ran (a restart without its data): nobody can join it
            # any more, so whom it read before the fetch is everyone it is to answer.
            log.warning(
                "job lost by the queue: answering the requests read before", extra={"job": job.id}
            )
        else:
            pending = await self._decoded(job, undelivered)
        await self._answer_all(job, thread, pending)
        # After the answers, which do not wait for it: until the cached result expires, the
        # answers' links and buttons find the thread there.
        await self._keep(thread, encoded)

    def _early_fetch(self, job: Job) -> asyncio.Task[Thread] | None:
        """Start the fetch while the job's state is read, on its first hand-out: the state
        then all but never holds a result (only when a shutdown handed the job back after
        recording one), so the fetch is all but never needless."""
        key = _parsed_key(job) if job.deliveries == 1 else None
        return None if key is None else asyncio.create_task(self._fetch(job, key))

    async def _fetch(self, job: Job, key: ThreadKey) -> Thread:
        return await fetch_thread(
            key, http=self.http, config=self.config, progress=self._progress_reporter(job)
        )

    async def _resume(
        self, job: Job, recorded: bytes, undelivered: list[tuple[int, bytes]]
    ) -> None:
        """Answer whom an earlier hand-out did not, from the result it recorded."""
        resumed = await self._decoded(job, undelivered)
        result = decode_result(recorded)
        await self._answer_all(job, result, resumed)
        if isinstance(result, Thread):
            # The hand-out that fetched may have died before archiving; a newer fetch (a
            # follow's check) may have archived since.
            await self._keep(result, unless_kept=True)

    async def fail(self, job: Job, error: UnrollError) -> None:
        """Cache the failure briefly, so a dead viral link does not hammer the source."""
        undelivered = await self.queue.finish(job, encode_result(error), ttl_s=self.failure_ttl_s)
        if undelivered is None:
            log.error("job lost by the queue: its requesters are unknown", extra={"job": job.id})
            return
        await self._answer_all(job, error, await self._decoded(job, undelivered))

    async def give_up(self, job: Job, reason: str) -> None:
        """Apologise to every requester not answered yet."""
        log.error("job given up", extra={"key": job.key, "reason": reason})
        for index, request in await self._pending(job):
            with logged_as(request.request_id):
                if self._is_check(request):
                    await self._settle_check(request, SourceError(reason))
                else:
                    await self.answerer.apologise(request)
                await self.queue.mark_delivered(job, index)
                log.info("request answered", extra={"job": job.id, "answer": "apology"})

    async def _answer_all(
        self,
        job: Job,
        result: Thread | UnrollError,
        pending: list[tuple[int, UnrollRequest]],
    ) -> None:
        """Answer each request and record it as answered."""
        started = time.perf_counter()
        answer = type(result).__name__
        for index, request in pending:
            # Under the id the listener logged for this request, so one id follows it through.
            with logged_as(request.request_id):
                if self._is_check(request):
                    await self._settle_check(request, result)
                else:
                    await self.answerer.answer(request, result)
                await self.queue.mark_delivered(job, index)
                log.info("request answered", extra={"job": job.id, "answer": answer})
        metrics.JOB_DURATION.labels(stage="deliver").observe(time.perf_counter() - started)

    async def _keep(
        self, thread: Thread, encoded: bytes | None = None, *, unless_kept: bool = False
    ) -> None:
        if self.archive is not None:
            await self.archive.keep(thread, encoded=encoded, unless_kept=unless_kept)

    def _is_check(self, request: UnrollRequest) -> bool:
        """A followed thread's check has no requester: the follow settles it instead."""
        return request.answer is Answer.FOLLOW_CHECK

    async def _settle_check(self, request: UnrollRequest, result: Thread | UnrollError) -> None:
        if self.follow is not None:
            await self.follow.settle(request, result)

    async def _pending(self, job: Job) -> list[tuple[int, UnrollRequest]]:
        return await self._decoded(job, await self.queue.undelivered(job))

    async def _decoded(
        self, job: Job, undelivered: list[tuple[int, bytes]]
    ) -> list[tuple[int, UnrollRequest]]:
        pending: list[tuple[int, UnrollRequest]] = []
        for index, raw in undelivered:
            try:
                pending.append((index, decode_request(raw)))
            except (AttributeError, KeyError, TypeError, ValueError):
                # Nothing says where to answer it; answering the others must not wait on it.
                log.error("unreadable request skipped", extra={"job": job.id, "index": index})
                await self.queue.mark_delivered(job, index)
        return pending

    def _progress_reporter(self, job: Job) -> Callable[[int], Awaitable[None]]:
        name, last_shown, spent = f"progress:{job.id}", time.monotonic(), False

        async def report(posts_so_far: int) -> None:
            nonlocal last_shown, spent
            # Telegram answers loops of edits with long retry_after waits: a few are enough.
            if spent or time.monotonic() - last_shown < PROGRESS_EVERY_S:
                return
            last_shown = time.monotonic()
            # Counted in the store: the cap is the job's, whichever hand-out shows them.
            count = await self.answerer.store.count_value(name, ttl_s=PROGRESS_COUNT_TTL_S)
            if count > MAX_PROGRESS_UPDATES:
                spent = True
                return
            for _index, request in await self._pending(job):
                await self.answerer.progress(request, posts_so_far)

        return report


def _parsed_key(job: Job) -> ThreadKey | None:
    try:
        return ThreadKey.parse(job.key)
    except ValueError:
        return None  # not a key this bot queued: its requests name the thread


def _drop(fetch: asyncio.Task[Thread] | None) -> None:
    """Stop a fetch started early unless it ended, and take its outcome however it ends (an
    error the job did not wait for is not logged as lost)."""
    if fetch is not None:
        fetch.cancel()
        fetch.add_done_callback(_ignore_outcome)


def _ignore_outcome(fetch: asyncio.Task[Thread]) -> None:
    if not fetch.cancelled():
        fetch.exception()  # retrieved, so asyncio does not log it as lost
