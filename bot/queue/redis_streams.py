"""JobQueue on Redis Streams with one consumer group; every multi-key step is a Lua script.

Adapter layer. Jobs are stream entries handed out with XREADGROUP and taken over from dead
consumers with XAUTOCLAIM; a job stays in the group's pending list until it is settled (ack,
retry_later, defer, release), so a SIGKILLed worker loses nothing. Settled entries are deleted, so
the stream holds only the backlog. Requires Redis 7.0+ (the limiter's `PEXPIRE … GT`) and a
client with `decode_responses=False` (requests and results are bytes). The group is created on
first use and again whenever the stream vanished; reconnecting after a Redis restart is
redis-py's retry.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.keyspace import (
    DEAD_LETTERS_MAXLEN,
    GROUP,
    INFLIGHT_TTL_MS,
    JOB_TTL_MS,
    REQUESTS_SUFFIX,
    SETTLED_TTL_MS,
    STREAM_MAXLEN,
    Keys,
    load_script,
)
from bot.queue import LEASE_PER_RECLAIM, Job, JobState, Outcome, QueueStats, Submission

_T = TypeVar("_T")
_StreamReply = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]

_MOVE_DUE_BATCH = 100
"""Most delayed jobs moved back per call; the next claim moves the rest."""


class RedisJobQueue:
    """The JobQueue protocol on Redis Streams, shared by every process using `prefix`."""

    def __init__(self, redis: Redis, *, prefix: str, reclaim_idle_s: float = 5.0) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._reclaim_idle_ms = int(reclaim_idle_s * 1000)
        self._lease_ms = max(1, int(reclaim_idle_s * LEASE_PER_RECLAIM * 1000))
        self._scripts = {
            name: load_script(redis, name)
            for name in (
                "submit",
                "claim",
                "renew",
                "finish",
                "ack",
                "retry",
                "dead_letter",
                "release",
                "state",
                "deliver",
            )
        }

    async def submit(self, key: str, request: bytes, *, fresh: bool = False) -> Submission:
        """Answer from the cache, attach to the running job for `key`, or queue a new job."""
        job_id = uuid.uuid4().hex
        keys = self._keys
        reply = await self._run(
            "submit",
            [
                keys.result(key),
                keys.inflight(key),
                keys.stream,
                keys.job(job_id),
                keys.job_requests(job_id),
                keys.delayed,
            ],
            [
                request,
                "1" if fresh else "0",
                job_id,
                key,
                keys.job_prefix,
                REQUESTS_SUFFIX,
                INFLIGHT_TTL_MS,
                JOB_TTL_MS,
                STREAM_MAXLEN,
            ],
        )
        outcome = Outcome(reply[0].decode())
        if outcome is Outcome.CACHED:
            return Submission(outcome, None, reply[2])
        return Submission(outcome, reply[1].decode(), None)

    async def claim(self, consumer: str, *, count: int, block_s: float) -> list[Job]:
        """Move due retries back, hand out reclaimable jobs first, then new ones; wait up to
        `block_s` for any.

        Everything but the wait is one script, one round trip; only when it found nothing
        does a blocking read wait for new entries.
        """
        jobs = await self._with_group(lambda: self._take(consumer, count))
        if not jobs and block_s > 0:
            block_ms = int(block_s * 1000)
            jobs = await self._with_group(lambda: self._read_new(consumer, count, block_ms))
        return jobs

    async def renew(self, job: Job, consumer: str) -> None:
        """Reset the idle time of the job's entry and renew its marker's lease, if still held."""
        keys = self._keys
        await self._run(
            "renew",
            [
                keys.stream,
                keys.inflight(job.key),
                keys.job(job.id),
                keys.job_requests(job.id),
                keys.job_delivered(job.id),
            ],
            [GROUP, consumer, job.entry_id, job.id, self._lease_ms, JOB_TTL_MS],
        )

    async def finish(
        self, job: Job, result: bytes, *, ttl_s: int
    ) -> list[tuple[int, bytes]] | None:
        """Cache and record `result`, end the single flight and read the requests not
        answered yet, in one step; None when Redis no longer holds the job."""
        keys = [self._keys.result(job.key), self._keys.inflight(job.key), self._keys.job(job.id)]
        keys += [self._keys.job_requests(job.id), self._keys.job_delivered(job.id)]
        keys.append(self._keys.job_settled(job.id))
        args = [result, max(ttl_s, 0), job.id]
        requests, answered, known = await self._run("finish", keys, args)
        return _undelivered(answered, requests) if known else None

    async def state(self, job: Job) -> JobState:
        """Return what `finish` recorded for the job and its requests not answered yet: one
        round trip."""
        members, raw, result = await self._read_state(job, with_result=True)
        return JobState(result, _undelivered(members, raw))

    async def mark_delivered(self, job: Job, index: int) -> bool:
        """Record request `index` as answered; True only the first time."""
        keys = [self._keys.job_delivered(job.id)]
        return bool(await self._run("deliver", keys, [index, JOB_TTL_MS]))

    async def undelivered(self, job: Job) -> list[tuple[int, bytes]]:
        """Return the requests not answered yet, with their indexes: one round trip."""
        members, raw, _none = await self._read_state(job, with_result=False)
        return _undelivered(members, raw)

    async def _read_state(self, job: Job, *, with_result: bool) -> list[Any]:
        """Run state.lua: {answered indexes, requests, the result (None unless `with_result`)}.

        The result is the whole encoded thread: read only where it is used.
        """
        keys = [self._keys.job_delivered(job.id), self._keys.job_requests(job.id)]
        if with_result:
            keys.append(self._keys.job(job.id))
        return cast(list[Any], await self._run("state", keys, []))

    async def ack(self, job: Job) -> None:
        """Settle the job for good and delete its data."""
        keys = self._keys
        await self._run(
            "ack",
            [
                keys.stream,
                keys.delayed,
                keys.inflight(job.key),
                keys.job(job.id),
                keys.job_requests(job.id),
                keys.job_delivered(job.id),
                keys.job_settled(job.id),
            ],
            [GROUP, job.entry_id, job.id, SETTLED_TTL_MS],
        )

    async def retry_later(self, job: Job, delay_s: float) -> None:
        """Park the job until `delay_s` from now, counting a failed try."""
        await self._park(job, delay_s, counter="failures")

    async def defer(self, job: Job, delay_s: float) -> None:
        """Park the job until `delay_s` from now, counting a deferral, not a failed try."""
        await self._park(job, delay_s, counter="deferrals")

    async def _park(self, job: Job, delay_s: float, *, counter: str) -> None:
        """Run retry.lua: the job's next hand-out, after `delay_s`, counts one more delivery."""
        keys = [self._keys.stream, self._keys.delayed, self._keys.job(job.id)]
        keys += [self._keys.inflight(job.key), self._keys.job_requests(job.id)]
        args = [GROUP, job.entry_id, job.id, job.deliveries, int(delay_s * 1000)]
        await self._run("retry", keys, [*args, INFLIGHT_TTL_MS, counter])

    async def release(self, job: Job) -> None:
        """Settle this hand-out and queue the job again at once, without counting it."""
        keys = [self._keys.stream, self._keys.job(job.id), self._keys.inflight(job.key)]
        args = [GROUP, job.entry_id, job.id, job.deliveries - 1, STREAM_MAXLEN, INFLIGHT_TTL_MS]
        await self._run("release", keys, args)

    async def move_due_retries(self) -> int:
        """Queue again every parked job whose time has come (at most 100 per call)."""
        moved, _taken_over, _new = await self._claim("", 0)
        return int(moved)

    async def dead_letter(self, job: Job, reason: str) -> str | None:
        """Record the job as dead (once); hand its late requests to a new job, or end its
        flight. Its entry stays pending until `ack`."""
        keys = self._keys
        successor = uuid.uuid4().hex
        reply = await self._run(
            "dead_letter",
            [
                keys.stream,
                keys.dead_letters,
                keys.delayed,
                keys.inflight(job.key),
                keys.job(job.id),
                keys.job_requests(job.id),
                keys.job_delivered(job.id),
                keys.job(successor),
                keys.job_requests(successor),
            ],
            [
                *(job.id, job.key, reason, job.deliveries, DEAD_LETTERS_MAXLEN, successor),
                *(INFLIGHT_TTL_MS, JOB_TTL_MS, STREAM_MAXLEN),
            ],
        )
        return None if reply is None else cast(bytes, reply).decode()

    async def stats(self) -> QueueStats:
        """Return the queue's gauges, read in one round trip."""
        return await self._with_group(self._read_stats)

    async def cached_result(self, key: str) -> bytes | None:
        """Return the cached result for `key`, if any."""
        return cast(bytes | None, await self._redis.get(self._keys.result(key)))

    async def forget_result(self, key: str) -> None:
        """Drop the cached result for `key`."""
        await self._redis.delete(self._keys.result(key))

    async def aclose(self) -> None:
        """Hold nothing of its own: the Redis client belongs to whoever passed it in."""

    async def _run(self, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        return await self._scripts[script](keys=list(keys), args=list(args))

    async def _claim(self, consumer: str, count: int) -> list[Any]:
        """Run claim.lua: {moved, taken over, new} (see the script)."""
        keys = [self._keys.delayed, self._keys.stream]
        moving = [self._keys.job_prefix, _MOVE_DUE_BATCH, STREAM_MAXLEN]
        taking = [GROUP, consumer, self._reclaim_idle_ms, count]
        return cast(list[Any], await self._run("claim", keys, [*moving, *taking]))

    async def _take(self, consumer: str, count: int) -> list[Job]:
        _moved, taken_over, new = await self._claim(consumer, count)
        jobs = [
            Job(job.decode(), key.decode(), int(n), entry.decode(), int(failures), int(deferred))
            for entry, job, key, n, failures, deferred in taken_over
        ]
        # From a script, an entry's fields come as one flat list: field, value, field, …
        pairs = ((entry, zip(flat[::2], flat[1::2], strict=True)) for entry, flat in new)
        return jobs + [_job_from_entry(entry, dict(fields)) for entry, fields in pairs]

    async def _read_new(self, consumer: str, count: int, block_ms: int) -> list[Job]:
        streams: dict[Any, Any] = {self._keys.stream: ">"}
        reply = await self._redis.xreadgroup(GROUP, consumer, streams, count=count, block=block_ms)
        # RESP2 shape: [[stream, [(entry id, {field: value}), ...]]], or None after the wait.
        entries = cast(_StreamReply, reply)[0][1] if reply else []
        return [_job_from_entry(entry_id, fields) for entry_id, fields in entries]

    async def _read_stats(self) -> QueueStats:
        keys = self._keys
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xlen(keys.stream)
            pipe.xpending(keys.stream, GROUP)
            pipe.zcard(keys.delayed)
            pipe.xlen(keys.dead_letters)
            pipe.xrange(keys.stream, count=1)
            pipe.time()
            length, pending, delayed, dead, oldest, (seconds, micros) = await pipe.execute()
        now_ms = seconds * 1000 + micros // 1000
        oldest_ms = int(oldest[0][0].split(b"-")[0]) if oldest else now_ms
        return QueueStats(
            pending=pending["pending"],
            # Settled entries are deleted, so whatever is in the stream and not pending waits.
            lag=length - pending["pending"],
            delayed=delayed,
            dead_letters=dead,
            oldest_pending_age_s=max(0, now_ms - oldest_ms) / 1000,
        )

    async def _with_group(self, step: Callable[[], Awaitable[_T]]) -> _T:
        """Run `step`, creating the consumer group first if the stream or group is missing."""
        try:
            return await step()
        except ResponseError as error:
            # A pipeline puts "Command # n (...) of pipeline caused error:" first. A claim
            # blocked on a stream that is deleted meanwhile (Redis lost its data) is woken
            # with UNBLOCKED.
            if "NOGROUP" not in str(error) and not str(error).startswith("UNBLOCKED"):
                raise
        await self._create_group()
        return await step()

    async def _create_group(self) -> None:
        try:
            # From id 0, so jobs submitted before any worker ever claimed are handed out too.
            await self._redis.xgroup_create(self._keys.stream, GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if not str(error).startswith("BUSYGROUP"):
                raise


def _undelivered(delivered: Iterable[bytes], requests: list[bytes]) -> list[tuple[int, bytes]]:
    done = {int(member) for member in delivered}
    return [(index, request) for index, request in enumerate(requests) if index not in done]


def _job_from_entry(entry_id: bytes, fields: dict[bytes, bytes]) -> Job:
    # A fresh entry has been delivered once; `base` counts the job's earlier deliveries.
    deliveries = int(fields[b"base"]) + 1
    failures = int(fields.get(b"failures", b"0"))
    deferrals = int(fields.get(b"deferrals", b"0"))
    job_id, key = fields[b"job"].decode(), fields[b"key"].decode()
    return Job(job_id, key, deliveries, entry_id.decode(), failures, deferrals)
