"""The job queue's behaviour, the same on both backends (memory and Redis)."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from bot.keyspace import Keys, connect
from bot.queue import Job, JobQueue, JobState, Outcome, Submission
from bot.queue.redis_streams import RedisJobQueue
from tests.conftest import RedisServer, eventually
from tests.integration.conftest import Backend

KEY = "x:x.com:123"


async def _claim_one(queue: JobQueue, consumer: str = "a") -> Job:
    jobs = await queue.claim(consumer, count=1, block_s=0)
    assert len(jobs) == 1
    return jobs[0]


async def _requests(queue: JobQueue, job: Job) -> list[bytes]:
    """The job's requests, in arrival order (none is answered where this is used)."""
    return [raw for _index, raw in await queue.undelivered(job)]


async def test_submit_queues_when_nothing_runs(backend: Backend) -> None:
    submission = await backend.queue().submit(KEY, b"r1")
    assert (submission.outcome, submission.result) == (Outcome.QUEUED, None)


async def test_submit_attaches_when_job_runs(backend: Backend) -> None:
    queue = backend.queue()
    first = await queue.submit(KEY, b"r1")
    second = await queue.submit(KEY, b"r2")
    assert (second.outcome, second.job_id) == (Outcome.ATTACHED, first.job_id)


async def test_submit_answers_from_cache_when_finished(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.finish(await _claim_one(queue), b"result", ttl_s=60)
    submission = await queue.submit(KEY, b"r2")
    assert (submission.outcome, submission.result) == (Outcome.CACHED, b"result")


async def test_fresh_submit_skips_cache(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.finish(await _claim_one(queue), b"result", ttl_s=60)
    assert (await queue.submit(KEY, b"r2", fresh=True)).outcome == Outcome.QUEUED


async def test_fresh_submit_joins_running_job(backend: Backend) -> None:
    queue = backend.queue()
    first = await queue.submit(KEY, b"r1")
    fresh = await queue.submit(KEY, b"r2", fresh=True)
    assert (fresh.outcome, fresh.job_id) == (Outcome.ATTACHED, first.job_id)


async def test_concurrent_submits_make_one_job(backend: Backend) -> None:
    queue = backend.queue()
    sent = [f"r{i}".encode() for i in range(200)]
    submissions = await asyncio.gather(*(queue.submit(KEY, r) for r in sent))
    outcomes = [s.outcome for s in submissions]
    assert (outcomes.count(Outcome.QUEUED), outcomes.count(Outcome.ATTACHED)) == (1, 199)


async def test_concurrent_submits_all_reach_the_job(backend: Backend) -> None:
    queue = backend.queue()
    sent = [f"r{i}".encode() for i in range(200)]
    await asyncio.gather(*(queue.submit(KEY, r) for r in sent))
    assert sorted(await _requests(queue, await _claim_one(queue))) == sorted(sent)


async def test_submit_racing_finish_is_never_lost(backend: Backend) -> None:
    """Every request sent while a job finishes is either on the frozen list or answered."""
    queue = backend.queue()
    await queue.submit(KEY, b"first")
    job = await _claim_one(queue)
    sent = [f"r{i}".encode() for i in range(50)]
    early = [queue.submit(KEY, r) for r in sent[:25]]
    late = [queue.submit(KEY, r) for r in sent[25:]]
    replies = await asyncio.gather(*early, queue.finish(job, b"result", ttl_s=60), *late)
    submissions = cast(list[Submission], replies[:25] + replies[26:])
    attached = {r for r, s in zip(sent, submissions, strict=True) if s.outcome == Outcome.ATTACHED}
    cached = {r for r, s in zip(sent, submissions, strict=True) if s.result == b"result"}
    assert (attached | cached, set(await _requests(queue, job))) == (
        set(sent),
        {b"first", *attached},
    )


async def test_claim_hands_out_new_job_once_delivered(backend: Backend) -> None:
    queue = backend.queue()
    submission = await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    assert (job.id, job.key, job.deliveries) == (submission.job_id, KEY, 1)


async def test_claim_returns_nothing_when_queue_empty(backend: Backend) -> None:
    assert await backend.queue().claim("a", count=5, block_s=0) == []


async def test_claim_hands_each_job_to_one_consumer(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await _claim_one(queue, "a")
    assert await queue.claim("b", count=5, block_s=0) == []


async def test_blocking_claim_wakes_when_job_arrives(backend: Backend) -> None:
    queue = backend.queue()
    waiting = asyncio.create_task(queue.claim("a", count=1, block_s=10))
    await asyncio.sleep(0.05)  # let the claim start waiting before anything is queued
    submission = await queue.submit(KEY, b"r1")
    assert [job.id for job in await waiting] == [submission.job_id]


async def test_claim_respects_count(backend: Backend) -> None:
    queue = backend.queue()
    for i in range(5):
        await queue.submit(f"{KEY}{i}", b"r")
    assert len(await queue.claim("a", count=3, block_s=0)) == 3


async def test_ack_forgets_the_job(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.ack(job)
    stats = await queue.stats()
    assert (stats.pending, stats.lag, await queue.undelivered(job)) == (0, 0, [])


async def test_ack_without_finish_ends_single_flight(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.ack(await _claim_one(queue))
    assert (await queue.submit(KEY, b"r2")).outcome == Outcome.QUEUED


async def test_retry_later_holds_job_until_due(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.retry_later(await _claim_one(queue), 60)
    assert (await queue.claim("a", count=1, block_s=0), (await queue.stats()).delayed) == ([], 1)


async def test_retry_later_counts_a_delivery(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    for _ in range(4):
        await queue.retry_later(job, 0)
        job = await _claim_one(queue)
    assert job.deliveries == 5


async def test_retry_keeps_single_flight(backend: Backend) -> None:
    queue = backend.queue()
    first = await queue.submit(KEY, b"r1")
    await queue.retry_later(await _claim_one(queue), 60)
    assert (await queue.submit(KEY, b"r2")).job_id == first.job_id


async def test_retry_later_twice_parks_job_once(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.retry_later(job, 0)
    await queue.retry_later(job, 0)
    assert len(await queue.claim("a", count=5, block_s=0)) == 1


async def test_move_due_retries_counts_moved_jobs(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.retry_later(await _claim_one(queue), 0)
    assert await queue.move_due_retries() == 1


async def test_dead_letter_is_counted(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.dead_letter(await _claim_one(queue), "gave up")
    stats = await queue.stats()
    assert (stats.dead_letters, stats.pending, stats.lag) == (1, 1, 0)


async def test_dead_letter_is_counted_once_however_often_given_up(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.dead_letter(job, "gave up")
    await queue.dead_letter(job, "gave up again")
    assert (await queue.stats()).dead_letters == 1


async def test_dead_letter_leaves_the_job_pending_until_ack(backend: Backend) -> None:
    """An apology that fails must be tried again: the hand-out stays until it is settled."""
    queue = backend.queue(reclaim_idle_s=0.1)
    await queue.submit(KEY, b"r1")
    await queue.dead_letter(await _claim_one(queue, "gone"), "gave up")
    await asyncio.sleep(0.2)
    job = await _claim_one(queue, "b")
    await queue.ack(job)
    assert ((job.deliveries, await queue.undelivered(job)), (await queue.stats()).pending) == (
        (2, []),
        0,
    )


async def test_dead_letter_then_defer_hands_the_job_out_again(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.dead_letter(job, "gave up")
    await queue.defer(job, 0)
    again = await _claim_one(queue)
    assert (again.id, await queue.undelivered(again)) == (job.id, [(0, b"r1")])


async def test_dead_letter_keeps_requests_until_ack(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.dead_letter(job, "gave up")
    assert await queue.undelivered(job) == [(0, b"r1")]


async def test_dead_letter_lets_new_request_try_again(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.dead_letter(await _claim_one(queue), "gave up")
    assert (await queue.submit(KEY, b"r2")).outcome == Outcome.QUEUED


async def test_job_of_silent_consumer_is_reclaimed(backend: Backend) -> None:
    queue = backend.queue(reclaim_idle_s=0.2)
    submission = await queue.submit(KEY, b"r1")
    await _claim_one(queue, "gone")
    taken: list[Job] = []

    async def reclaimed() -> bool:
        taken.extend(await queue.claim("b", count=1, block_s=0))
        return bool(taken)

    await eventually(reclaimed)
    assert [(job.id, job.deliveries) for job in taken] == [(submission.job_id, 2)]


async def test_claim_fills_with_new_jobs_after_the_ones_taken_over(backend: Backend) -> None:
    queue = backend.queue(reclaim_idle_s=0.1)
    stale = await queue.submit(KEY, b"r1")
    await _claim_one(queue, "gone")
    await asyncio.sleep(0.2)  # past the idle threshold
    fresh = await queue.submit("x:x.com:2", b"r2")
    await queue.submit("x:x.com:3", b"r3")
    jobs = await queue.claim("b", count=2, block_s=0)
    assert [(job.id, job.deliveries) for job in jobs] == [(stale.job_id, 2), (fresh.job_id, 1)]


async def test_claim_waits_for_a_new_job_when_none_is_there(backend: Backend) -> None:
    queue = backend.queue()
    await queue.claim("a", count=1, block_s=0)  # the consumer group exists from here on
    claimed = asyncio.create_task(queue.claim("a", count=1, block_s=5))
    await asyncio.sleep(0.1)
    submission = await queue.submit(KEY, b"r1")
    assert [job.id for job in await claimed] == [submission.job_id]


async def test_renewed_job_is_not_reclaimed(backend: Backend) -> None:
    queue = backend.queue(reclaim_idle_s=2.0)  # renewed every 0.3 s: room for a stalled loop
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue, "a")
    stolen = []
    for _ in range(8):  # 2.4 s in all: longer than the idle threshold
        await asyncio.sleep(0.3)
        await queue.renew(job, "a")
        stolen += await queue.claim("b", count=1, block_s=0)
    assert stolen == []


async def test_mark_delivered_true_only_first_time(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    marks = [await queue.mark_delivered(job, i) for i in (0, 0, 1)]
    assert marks == [True, False, True]


async def test_state_holds_the_result_recorded_by_finish(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    before = await queue.state(job)
    await queue.finish(job, b"result", ttl_s=60)
    assert (before.result, (await queue.state(job)).result) == (None, b"result")


async def test_finish_without_ttl_records_but_does_not_cache(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.finish(job, b"result", ttl_s=0)
    assert (await queue.cached_result(KEY), (await queue.state(job)).result) == (None, b"result")


async def test_short_cache_ttl_expires(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.finish(await _claim_one(queue), b"failure", ttl_s=1)
    assert await queue.cached_result(KEY) == b"failure"
    await eventually(lambda: _is_uncached(queue), timeout_s=5)


async def _is_uncached(queue: JobQueue) -> bool:
    return await queue.cached_result(KEY) is None


async def test_forget_result_drops_cache(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.finish(await _claim_one(queue), b"result", ttl_s=60)
    await queue.forget_result(KEY)
    assert (await queue.submit(KEY, b"r2")).outcome == Outcome.QUEUED


async def test_stats_count_waiting_and_claimed(backend: Backend) -> None:
    queue = backend.queue()
    for i in range(3):
        await queue.submit(f"{KEY}{i}", b"r")
    await _claim_one(queue)
    stats = await queue.stats()
    assert (stats.pending, stats.lag, stats.delayed, stats.dead_letters) == (1, 2, 0, 0)


async def test_stats_oldest_age_zero_when_empty(backend: Backend) -> None:
    assert (await backend.queue().stats()).oldest_pending_age_s == 0


@pytest.mark.slow
async def test_queued_jobs_survive_redis_restart(own_redis_server: RedisServer) -> None:
    redis = connect(own_redis_server.url)
    queue = RedisJobQueue(redis, prefix="restart:", reclaim_idle_s=0)
    sent = {(await queue.submit(f"{KEY}{i}", b"r")).job_id for i in range(3)}
    await _claim_one(queue, "crashed")  # one job is mid-flight when Redis goes down
    own_redis_server.stop()
    own_redis_server.start()
    jobs = await queue.claim("b", count=10, block_s=0)
    await redis.aclose()
    assert {job.id for job in jobs} == sent


async def test_claim_recreates_vanished_stream(redis_server: RedisServer, key_prefix: str) -> None:
    redis = connect(redis_server.url)
    queue = RedisJobQueue(redis, prefix=key_prefix)
    await queue.claim("a", count=1, block_s=0)
    await redis.delete(Keys(key_prefix).stream)
    submission = await queue.submit(KEY, b"r1")
    jobs = await queue.claim("a", count=1, block_s=0)
    await redis.delete(*[name async for name in redis.scan_iter(match=f"{key_prefix}*")])
    await redis.aclose()
    assert [job.id for job in jobs] == [submission.job_id]


async def test_marker_of_a_job_nobody_renews_lapses(backend: Backend) -> None:
    """A marker lives a lease past its last renewal; then a request starts a fresh job."""
    queue = backend.queue(reclaim_idle_s=0.1)  # a lease of 0.4 s
    first = await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.renew(job, "a")
    await asyncio.sleep(0.6)
    second = await queue.submit(KEY, b"r2")
    assert (second.outcome, second.job_id != first.job_id) == (Outcome.QUEUED, True)


async def test_renewed_marker_keeps_the_flight(backend: Backend) -> None:
    queue = backend.queue(reclaim_idle_s=0.25)  # a 1-second lease, renewed every 0.15 s
    first = await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    for _ in range(10):  # 1.5 s in all: longer than the lease
        await asyncio.sleep(0.15)
        await queue.renew(job, "a")
    assert (await queue.submit(KEY, b"r2")).job_id == first.job_id


@pytest.mark.parametrize("lost", ["job data", "stream entry"])
async def test_submit_takes_over_a_marker_whose_job_is_gone(
    redis_server: RedisServer, key_prefix: str, lost: str
) -> None:
    """Redis lost the job (or trimmed its entry) but kept the marker: no one waits on it."""
    redis = connect(redis_server.url)
    keys = Keys(key_prefix)
    queue = RedisJobQueue(redis, prefix=key_prefix)
    first = await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    if lost == "job data":
        await redis.delete(keys.job(job.id), keys.job_requests(job.id))
    else:
        await redis.xdel(keys.stream, job.entry_id)
    second = await queue.submit(KEY, b"r2")
    await redis.delete(*[name async for name in redis.scan_iter(match=f"{key_prefix}*")])
    await redis.aclose()
    assert (second.outcome, second.job_id != first.job_id) == (Outcome.QUEUED, True)


async def test_submit_joins_a_job_waiting_for_its_retry(
    redis_server: RedisServer, key_prefix: str
) -> None:
    """The liveness check finds a delayed job in the delayed set, not in the stream."""
    redis = connect(redis_server.url)
    queue = RedisJobQueue(redis, prefix=key_prefix)
    first = await queue.submit(KEY, b"r1")
    await queue.retry_later(await _claim_one(queue), 60)
    second = await queue.submit(KEY, b"r2")
    await redis.delete(*[name async for name in redis.scan_iter(match=f"{key_prefix}*")])
    await redis.aclose()
    assert (second.outcome, second.job_id) == (Outcome.ATTACHED, first.job_id)


async def test_renew_after_redis_lost_its_data_does_not_fail(
    own_redis_server: RedisServer,
) -> None:
    """FLUSHALL (this test's own server) under a running job: renewing it renews nothing."""
    redis = connect(own_redis_server.url)
    queue = RedisJobQueue(redis, prefix="flushed:")
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await redis.flushall()
    await queue.renew(job, "a")
    submission = await queue.submit(KEY, b"r2")
    await redis.aclose()
    assert submission.outcome == Outcome.QUEUED


async def test_finish_after_redis_lost_its_data_says_the_job_is_gone(
    own_redis_server: RedisServer,
) -> None:
    """FLUSHALL under a running job: `finish` still caches the result, and says the queue no
    longer holds the job (not "nobody is left to answer"), so its worker answers whom it read."""
    redis = connect(own_redis_server.url)
    queue = RedisJobQueue(redis, prefix="flushed:")
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await redis.flushall()
    undelivered = await queue.finish(job, b"result", ttl_s=60)
    submission = await queue.submit(KEY, b"r2")
    await redis.aclose()
    assert (undelivered, submission.outcome, submission.result) == (
        None,
        Outcome.CACHED,
        b"result",
    )


async def test_late_finish_of_a_job_another_worker_took_over_and_settled_is_an_empty_list(
    backend: Backend,
) -> None:
    """Worker a's claim lapsed mid-fetch; b took the job over, answered and acked it. a's
    `finish` must not read the job as lost (None): its requests were answered by b."""
    queue = backend.queue(reclaim_idle_s=0.1)
    await queue.submit(KEY, b"r1")
    stalled = await _claim_one(queue, "a")
    await asyncio.sleep(0.2)
    taken_over = await _claim_one(queue, "b")
    await queue.finish(taken_over, b"result", ttl_s=60)
    await queue.mark_delivered(taken_over, 0)
    await queue.ack(taken_over)
    assert await queue.finish(stalled, b"result", ttl_s=60) == []


async def test_finish_of_a_job_all_answered_is_an_empty_list(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.mark_delivered(job, 0)
    assert await queue.finish(job, b"result", ttl_s=60) == []


async def _dead_letter_with_a_late_request(queue: JobQueue) -> tuple[Job, str | None]:
    """Submit r1, fail a try, let r2 attach (late), give up; return the job and successor."""
    await queue.submit(KEY, b"r1")
    await queue.retry_later(await _claim_one(queue), 0)
    await queue.submit(KEY, b"r2")
    job = await _claim_one(queue)
    return job, await queue.dead_letter(job, "gave up")


async def test_dead_letter_hands_late_requests_to_a_new_job(backend: Backend) -> None:
    queue = backend.queue()
    _job, successor = await _dead_letter_with_a_late_request(queue)
    new = await _claim_one(queue)
    assert (new.id, new.deliveries, await queue.undelivered(new)) == (successor, 1, [(0, b"r2")])


async def test_dead_letter_leaves_early_requests_to_the_apology(backend: Backend) -> None:
    queue = backend.queue()
    job, _successor = await _dead_letter_with_a_late_request(queue)
    assert await queue.undelivered(job) == [(0, b"r1")]  # r2 went to the successor


async def test_undelivered_leaves_out_the_requests_answered(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.submit(KEY, b"r2")
    await queue.submit(KEY, b"r3")
    await queue.mark_delivered(job, 1)
    assert await queue.undelivered(job) == [(0, b"r1"), (2, b"r3")]


async def test_finish_returns_the_requests_not_answered(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.submit(KEY, b"r2")
    await queue.mark_delivered(job, 0)
    assert await queue.finish(job, b"result", ttl_s=60) == [(1, b"r2")]


async def test_state_reads_the_result_and_the_requests_not_answered(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    await queue.submit(KEY, b"r2")
    await queue.finish(job, b"result", ttl_s=60)
    await queue.mark_delivered(job, 0)
    assert await queue.state(job) == JobState(b"result", [(1, b"r2")])


async def test_successor_of_dead_letter_holds_the_flight(backend: Backend) -> None:
    queue = backend.queue()
    _job, successor = await _dead_letter_with_a_late_request(queue)
    assert (await queue.submit(KEY, b"r3")).job_id == successor


async def test_dead_letter_without_late_requests_has_no_successor(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.retry_later(await _claim_one(queue), 0)
    assert await queue.dead_letter(await _claim_one(queue), "gave up") is None


async def test_retry_counts_a_failed_try(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    await queue.retry_later(await _claim_one(queue), 0)
    assert (await _claim_one(queue)).failures == 1


async def test_defer_counts_a_deferral_not_a_failed_try(backend: Backend) -> None:
    queue = backend.queue()
    await queue.submit(KEY, b"r1")
    job = await _claim_one(queue)
    for _ in range(3):
        await queue.defer(job, 0)
        job = await _claim_one(queue)
    assert (job.deliveries, job.failures, job.deferrals) == (4, 0, 3)


async def test_deferrals_survive_a_reclaim_and_a_release(backend: Backend) -> None:
    queue = backend.queue(reclaim_idle_s=0.1)
    await queue.submit(KEY, b"r1")
    await queue.defer(await _claim_one(queue), 0)
    await queue.release(await _claim_one(queue))
    await _claim_one(queue, "gone")
    await asyncio.sleep(0.2)
    job = await _claim_one(queue, "b")
    assert (job.deliveries, job.failures, job.deferrals) == (3, 0, 1)


async def test_defer_keeps_single_flight_and_requests_that_join_are_not_late(
    backend: Backend,
) -> None:
    queue = backend.queue()
    first = await queue.submit(KEY, b"r1")
    await queue.defer(await _claim_one(queue), 0)
    joined = await queue.submit(KEY, b"r2")
    job = await _claim_one(queue)
    # No failed try: nobody is late, so giving up hands nothing to a successor.
    assert (joined.job_id, await queue.dead_letter(job, "gave up")) == (first.job_id, None)


async def test_reclaim_after_a_crash_is_not_a_failed_try(backend: Backend) -> None:
    queue = backend.queue(reclaim_idle_s=0.1)
    await queue.submit(KEY, b"r1")
    await _claim_one(queue, "gone")
    await asyncio.sleep(0.2)
    job = await _claim_one(queue, "b")
    assert (job.deliveries, job.failures) == (2, 0)
