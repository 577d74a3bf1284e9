"""The worker loop against both queue backends, with a handler that records what it was asked."""

from __future__ import annotations

import asyncio
import logging
import sys
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.delivery import NotDeliveredError
from bot.errors import PostUnavailableError, RateLimitedError, SourceError, UnrollError
from bot.keyspace import connect
from bot.metrics import REGISTRY
from bot.queue import Job, JobQueue
from bot.queue.memory import MemoryJobQueue
from bot.queue.redis_streams import RedisJobQueue
from bot.worker import Worker, backoff_s
from tests.conftest import RedisServer, eventually
from tests.integration.conftest import Backend

KEY = "x:x.com:123"

_CLAIM_AND_HANG = """
import asyncio, sys
from bot.keyspace import connect
from bot.queue.redis_streams import RedisJobQueue

async def main():
    queue = RedisJobQueue(connect(sys.argv[1]), prefix=sys.argv[2])
    await queue.claim("doomed", count=1, block_s=5)
    print("claimed", flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


@dataclass
class RecordingHandler:
    """Finishes and delivers like the real handler; raises `errors` in turn, then succeeds."""

    queue: JobQueue
    errors: list[Exception] = field(default_factory=list)
    always: Exception | None = None
    processed: list[Job] = field(default_factory=list)
    failed: list[UnrollError] = field(default_factory=list)
    given_up: list[str] = field(default_factory=list)
    answered: list[bytes] = field(default_factory=list)
    apologised: list[bytes] = field(default_factory=list)

    async def process(self, job: Job) -> None:
        self.processed.append(job)
        error = self.errors.pop(0) if self.errors else self.always
        if error is not None:
            raise error
        await self.queue.finish(job, b"result", ttl_s=60)
        self.answered += await self._answer_pending(job)

    async def fail(self, job: Job, error: UnrollError) -> None:
        self.failed.append(error)

    async def give_up(self, job: Job, reason: str) -> None:
        self.given_up.append(reason)
        self.apologised += await self._answer_pending(job)

    async def _answer_pending(self, job: Job) -> list[bytes]:
        pending = await self.queue.undelivered(job)
        for index, _request in pending:
            await self.queue.mark_delivered(job, index)
        return [request for _index, request in pending]


def _worker(queue: JobQueue, handler: RecordingHandler, **options: Any) -> Worker:
    return Worker(queue, handler, consumer="w1", backoff_base_s=0, **options)


async def _settled(queue: JobQueue) -> tuple[int, int, int]:
    stats = await queue.stats()
    return stats.pending, stats.lag, stats.delayed


@pytest.mark.parametrize(
    ("deliveries", "retry_after_s", "fraction", "expected"),
    [
        (1, None, 1.0, 1.0),
        (3, None, 1.0, 4.0),
        (3, None, 0.5, 2.0),
        (10, None, 1.0, 60.0),  # capped
        (1, 30.0, 0.0, 30.0),  # never sooner than the source asked
        (1, 30.0, 1.0, 31.0),
        (1, 99_999_999_999.0, 0.0, 60.0),  # an upstream's number is capped
        (1, float("inf"), 0.0, 0.0),  # and a non-number ignored
        (1, -5.0, 0.0, 0.0),
    ],
)
def test_backoff(
    deliveries: int, retry_after_s: float | None, fraction: float, expected: float
) -> None:
    wait = backoff_s(
        deliveries, base_s=1, cap_s=60, retry_after_s=retry_after_s, fraction=lambda: fraction
    )
    assert wait == expected


async def test_success_is_acked(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await _worker(queue, RecordingHandler(queue)).run_until_idle()
    assert (await _settled(queue), await queue.cached_result(KEY)) == ((0, 0, 0), b"result")


async def test_retryable_error_retries_then_succeeds(backend: Backend) -> None:
    queue = backend.queue()
    handler = RecordingHandler(queue, errors=[SourceError("down")])
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    assert [job.deliveries for job in handler.processed] == [1, 2]


async def test_retryable_error_dead_letters_at_max(backend: Backend) -> None:
    queue = backend.queue()
    handler = RecordingHandler(queue, always=SourceError("down"))
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    stats = await queue.stats()
    assert (len(handler.processed), len(handler.given_up), stats.dead_letters) == (5, 1, 1)


async def test_dead_letter_reason_names_the_error(backend: Backend) -> None:
    queue = backend.queue()
    handler = RecordingHandler(queue, always=SourceError("down"))
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    assert handler.given_up == ["SourceError: down"]


async def test_retry_waits_for_retry_after(backend: Backend) -> None:
    queue = backend.queue()
    handler = RecordingHandler(queue, errors=[RateLimitedError("429", retry_after=60)])
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    assert (len(handler.processed), await _settled(queue)) == (1, (0, 0, 1))


async def test_non_retryable_error_fails_once(backend: Backend) -> None:
    queue = backend.queue()
    error = PostUnavailableError("gone")
    handler = RecordingHandler(queue, always=error)
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    assert (handler.failed, len(handler.processed), await _settled(queue)) == (
        [error],
        1,
        (0, 0, 0),
    )


async def test_bug_is_retried_then_dead_lettered(backend: Backend) -> None:
    queue = backend.queue()
    handler = RecordingHandler(queue, always=RuntimeError("bug"))
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    assert (len(handler.processed), handler.given_up) == (5, ["crashed: RuntimeError"])


async def test_bug_is_logged_with_traceback(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    queue = backend.queue()
    handler = RecordingHandler(queue, errors=[RuntimeError("bug")])
    await queue.submit(KEY, b"r1")
    with caplog.at_level(logging.ERROR, logger="bot.worker"):
        await _worker(queue, handler).run_until_idle()
    assert [r.exc_info is not None for r in caplog.records] == [True]


async def test_overdelivered_job_is_buried_unprocessed(backend: Backend) -> None:
    """A job reclaimed past the limit (it keeps killing workers) is not run again."""
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    for _ in range(5):
        job = (await queue.claim("crashing", count=1, block_s=0))[0]
        await queue.retry_later(job, 0)
    handler = RecordingHandler(queue)
    await _worker(queue, handler).run_until_idle()
    assert (handler.processed, handler.given_up) == ([], ["handed out 6 times"])


async def test_concurrency_is_bounded(backend: Backend) -> None:
    queue = backend.queue()
    for i in range(10):
        await queue.submit(f"{KEY}{i}", b"r")
    active, most = 0, 0
    full = asyncio.Event()

    class GatedHandler(RecordingHandler):
        async def process(self, job: Job) -> None:
            nonlocal active, most
            active += 1
            most = max(most, active)
            if active == 3:
                full.set()
            await full.wait()  # without a bound, all ten would be in here at once
            active -= 1
            await super().process(job)

    await _worker(queue, GatedHandler(queue), concurrency=3).run_until_idle()
    assert most == 3


async def test_run_until_idle_returns_on_empty_queue(backend: Backend) -> None:
    queue = backend.queue()
    handler = RecordingHandler(queue)
    await _worker(queue, handler).run_until_idle()
    assert handler.processed == []


async def test_run_processes_until_stopped(backend: Backend) -> None:
    queue = backend.queue()
    handler = RecordingHandler(queue)
    worker = _worker(queue, handler)
    running = asyncio.create_task(worker.run())
    await queue.submit(KEY, b"r1")
    await eventually(lambda: bool(handler.processed))
    worker.stop()
    await running
    assert await _settled(queue) == (0, 0, 0)


async def test_long_job_keeps_its_claim(backend: Backend) -> None:
    queue = backend.queue(reclaim_idle_s=2.0)  # renewed every 0.1 s: room for a stalled loop
    stolen: list[Job] = []

    class SlowHandler(RecordingHandler):
        async def process(self, job: Job) -> None:
            for _ in range(8):  # 2.4 s in all: longer than the reclaim threshold
                await asyncio.sleep(0.3)
                stolen.extend(await self.queue.claim("thief", count=1, block_s=0))
            await super().process(job)

    await queue.submit(KEY, b"r1")
    await _worker(queue, SlowHandler(queue), renew_every_s=0.1).run_until_idle()
    assert stolen == []


async def test_a_job_handed_back_to_the_worker_running_it_is_not_run_twice(
    backend: Backend,
) -> None:
    """Its renewal came late (a stalled event loop): the reclaim hands the job to the same
    consumer, which is still running it, and must not start a second run of it."""
    queue = backend.queue(reclaim_idle_s=0.05)

    class SlowHandler(RecordingHandler):
        async def process(self, job: Job) -> None:
            self.processed.append(job)
            # Past the worker's next claim (each waits up to a second for new jobs), with no
            # renewal in between.
            await asyncio.sleep(1.5)
            await self.queue.finish(job, b"result", ttl_s=60)
            self.answered += await self._answer_pending(job)

    handler = SlowHandler(queue)
    await queue.submit(KEY, b"r1")
    worker = _worker(queue, handler, renew_every_s=10)
    running = asyncio.create_task(worker.run())
    await eventually(lambda: bool(handler.answered), timeout_s=10)
    worker.stop()
    await running
    assert (len(handler.processed), handler.answered) == (1, [b"r1"])


async def test_worker_heartbeats_while_running(backend: Backend) -> None:
    queue, store = backend.queue(), backend.store()
    await _worker(queue, RecordingHandler(queue), store=store).run_until_idle()
    assert await store.alive_workers() == ["w1"]


async def test_settled_jobs_are_counted(backend: Backend) -> None:
    queue = backend.queue()
    before = REGISTRY.get_sample_value("unroll_jobs_total", {"outcome": "done"}) or 0
    await queue.submit(KEY, b"r1")
    await _worker(queue, RecordingHandler(queue)).run_until_idle()
    assert REGISTRY.get_sample_value("unroll_jobs_total", {"outcome": "done"}) == before + 1


async def test_summary_line_per_job(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"secret request")
    with caplog.at_level(logging.INFO, logger="bot.worker"):
        await _worker(queue, RecordingHandler(queue)).run_until_idle()
    assert [("outcome=done" in m, "secret" in m) for m in caplog.messages] == [(True, False)]


@pytest.mark.slow
async def test_job_of_killed_worker_is_finished(
    redis_server: RedisServer, key_prefix: str
) -> None:
    """A worker process SIGKILLed mid-job loses nothing: another takes the job over."""
    redis = connect(redis_server.url)
    queue = RedisJobQueue(redis, prefix=key_prefix, reclaim_idle_s=0.5)
    await queue.submit(KEY, b"r1")
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CLAIM_AND_HANG,
        redis_server.url,
        key_prefix,
        stdout=asyncio.subprocess.PIPE,
    )
    assert doomed.stdout is not None
    claimed = await doomed.stdout.readline()
    doomed.kill()
    await doomed.wait()
    handler = RecordingHandler(queue)
    worker = _worker(queue, handler)

    async def finished() -> bool:
        await worker.run_until_idle()
        return bool(handler.processed)

    await eventually(finished)
    settled = await _settled(queue)
    await redis.aclose()
    assert (claimed, [job.deliveries for job in handler.processed], settled) == (
        b"claimed\n",
        [2],
        (0, 0, 0),
    )


async def test_late_requester_of_a_dead_lettered_job_is_answered(backend: Backend) -> None:
    """r2 came after the first failure: the job's death is r1's bad luck, not r2's."""
    queue = backend.queue()

    class LateArrival(RecordingHandler):
        async def process(self, job: Job) -> None:
            if job.failures == 1:  # the second try: r2 arrives while the source is down
                await self.queue.submit(KEY, b"r2")
            await super().process(job)

    handler = LateArrival(queue, errors=[SourceError("down")] * 5)
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    assert (handler.apologised, handler.answered) == ([b"r1"], [b"r2"])


async def test_crashed_hand_outs_count_half_a_try(backend: Backend) -> None:
    """Two crashes cost one try, so an always-failing job is tried four times, not three."""
    # Wide enough that a loaded machine's late renewal (every 10 ms) is not taken for a crash.
    queue = backend.queue(reclaim_idle_s=0.25)
    await queue.submit(KEY, b"r1")
    for consumer in ("crashed-1", "crashed-2"):
        await queue.claim(consumer, count=1, block_s=0)
        await asyncio.sleep(0.3)  # past the reclaim threshold: the next claim takes it over
    handler = RecordingHandler(queue, always=SourceError("down"))
    await _worker(queue, handler, renew_every_s=0.01).run_until_idle()
    assert [job.deliveries for job in handler.processed] == [3, 4, 5, 6]


async def test_stopped_worker_hands_back_a_job_that_outlasts_the_grace(backend: Backend) -> None:
    """Handed back, not abandoned: another consumer gets it at once, its delivery not counted."""
    queue = backend.queue(reclaim_idle_s=60)

    class HangingHandler(RecordingHandler):
        async def process(self, job: Job) -> None:
            self.processed.append(job)
            await asyncio.sleep(60)

    handler = HangingHandler(queue)
    worker = _worker(queue, handler, shutdown_grace_s=0.2)
    running = asyncio.create_task(worker.run())
    await queue.submit(KEY, b"r1")
    await eventually(lambda: bool(handler.processed))
    worker.stop()
    await asyncio.wait_for(running, timeout=5)
    taken = await queue.claim("other", count=1, block_s=0)
    assert [job.deliveries for job in taken] == [1]


async def test_a_job_that_swallows_its_cancel_at_shutdown_is_not_handed_back(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    """Cancelled after the grace, it ran to its end anyway (redis-py now and then returns
    normally from a cancelled call): it settled itself, and nothing is handed back."""
    queue = backend.queue()
    started = asyncio.Event()

    class SwallowingHandler(RecordingHandler):
        async def process(self, job: Job) -> None:
            started.set()
            with suppress(asyncio.CancelledError):
                await asyncio.sleep(60)
            await super().process(job)

    handler = SwallowingHandler(queue)
    with caplog.at_level(logging.INFO, logger="bot.worker"):
        await _stop_once_started(queue, handler, started, grace_s=0.2)
    handed_back = [r for r in caplog.records if "handed back" in r.getMessage()]
    assert (handler.answered, handed_back, await _settled(queue)) == ([b"r1"], [], (0, 0, 0))


async def test_stopped_worker_lets_a_job_finish_within_the_grace(backend: Backend) -> None:
    queue = backend.queue()
    started = asyncio.Event()

    class SlowHandler(RecordingHandler):
        async def process(self, job: Job) -> None:
            started.set()
            await asyncio.sleep(0.3)
            await super().process(job)

    handler = SlowHandler(queue)
    await _stop_once_started(queue, handler, started, grace_s=5)
    assert handler.answered == [b"r1"]


async def _stop_once_started(
    queue: JobQueue, handler: RecordingHandler, started: asyncio.Event, *, grace_s: float
) -> None:
    """Run a worker, give it a job, stop it once the job started; return when it returned."""
    worker = _worker(queue, handler, shutdown_grace_s=grace_s)
    running = asyncio.create_task(worker.run())
    await queue.submit(KEY, b"r1")
    await asyncio.wait_for(started.wait(), timeout=5)
    worker.stop()
    await asyncio.wait_for(running, timeout=5)


@dataclass
class TelegramDownHandler(RecordingHandler):
    """Fetches at once, but Telegram takes no answer (or apology) for the first `outage`
    deliveries it tries."""

    outage: int = 0
    delivery_tries: int = 0

    async def _answer_pending(self, job: Job) -> list[bytes]:
        self.delivery_tries += 1
        if self.delivery_tries <= self.outage:
            raise NotDeliveredError("502 Bad Gateway")
        return await super()._answer_pending(job)


async def test_answers_telegram_did_not_take_wait_without_spending_tries(
    backend: Backend,
) -> None:
    """Seven deliveries fail (more than the five tries): the answer still comes, no apology."""
    queue = backend.queue()
    handler = TelegramDownHandler(queue, outage=7)
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    last = handler.processed[-1]
    assert (handler.answered, handler.given_up, await _settled(queue)) == ([b"r1"], [], (0, 0, 0))
    assert (last.deliveries, last.failures, last.deferrals) == (8, 0, 7)


async def test_an_apology_telegram_did_not_take_is_sent_later(backend: Backend) -> None:
    """The source failed every try, and Telegram was down when the job was buried."""
    queue = backend.queue()
    handler = TelegramDownHandler(queue, always=SourceError("down"), outage=3)
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    stats = await queue.stats()
    assert (handler.apologised, len(handler.given_up), stats.dead_letters) == ([b"r1"], 4, 1)
    assert (len(handler.processed), await _settled(queue)) == (5, (0, 0, 0))


async def test_answers_are_dropped_on_record_after_the_deferrals(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.worker.MAX_DEFERRALS", 3)
    queue = backend.queue()
    handler = TelegramDownHandler(queue, outage=100)
    await queue.submit(KEY, b"r1")
    await _worker(queue, handler).run_until_idle()
    stats = await queue.stats()
    assert (handler.delivery_tries, stats.dead_letters, await _settled(queue)) == (4, 1, (0, 0, 0))


async def test_a_job_whose_apology_keeps_crashing_is_dropped(backend: Backend) -> None:
    """Buried after five tries; its apology crashes on every hand-out after that, and the job
    ends, on record, after twice the tries instead of coming back for a day."""
    # Wide enough that a loaded machine's late renewal (every 10 ms) is not taken for a crash.
    queue = backend.queue(reclaim_idle_s=0.25)

    class CrashingApology(RecordingHandler):
        async def give_up(self, job: Job, reason: str) -> None:
            self.given_up.append(reason)
            raise RuntimeError("bug in the apology")

    handler = CrashingApology(queue, always=SourceError("down"))
    await queue.submit(KEY, b"r1")
    worker = _worker(queue, handler, renew_every_s=0.01)
    for _ in range(100):
        await worker.run_until_idle()
        if await _settled(queue) == (0, 0, 0):
            break
        await asyncio.sleep(0.3)  # past the reclaim threshold
    stats = await queue.stats()
    assert (await _settled(queue), stats.dead_letters) == ((0, 0, 0), 1)
    # Five tries and one more after the first crashed apology (a crash costs half a try),
    # then only apologies until twice the tries are spent: twelve hand-outs that bury, each
    # tried twice (the crash guard buries again).
    assert (len(handler.processed), len(handler.given_up)) == (6, 24)


async def test_claims_stop_being_renewed_when_a_renewal_swallows_its_cancel() -> None:
    """redis-py 8.2 now and then returns normally from a command it was cancelled in (seen
    about once in fifteen loaded runs): the worker still stops renewing and returns."""

    class SwallowsOneCancel(MemoryJobQueue):
        swallowed = 0

        async def renew(self, job: Job, consumer: str) -> None:
            if not self.swallowed:
                try:
                    await asyncio.Event().wait()  # a renewal in flight when the worker stops
                except asyncio.CancelledError:
                    self.swallowed += 1
                    return
            await super().renew(job, consumer)

    queue = SwallowsOneCancel()

    class SlowHandler(RecordingHandler):
        async def process(self, job: Job) -> None:
            await asyncio.sleep(0.1)  # long enough for a renewal to start
            await super().process(job)

    await queue.submit(KEY, b"r1")
    handler = SlowHandler(queue)
    running = asyncio.create_task(_worker(queue, handler, renew_every_s=0.01).run_until_idle())
    done, _ = await asyncio.wait({running}, timeout=5)
    assert (done, queue.swallowed, handler.answered) == ({running}, 1, [b"r1"])
