"""JobQueue in process, for running without Redis (REDIS_URL unset).

Adapter layer. Behaves like `redis_streams.RedisJobQueue`: every method runs without awaiting
in between its reads and writes, so under asyncio each one is as atomic as the Redis scripts.
A job claimed by a consumer that neither settles nor renews it within `reclaim_idle_s` is handed
out again, as XAUTOCLAIM does, and its single-flight marker lapses after the same lease as in
Redis. Nothing survives the process.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.expiring import ExpiringMap
from bot.keyspace import DEAD_LETTERS_MAXLEN, INFLIGHT_TTL_MS
from bot.queue import LEASE_PER_RECLAIM, Job, JobState, Outcome, QueueStats, Submission


@dataclass
class _JobData:
    key: str
    deliveries: int = 0
    """Deliveries of the job's earlier entries (before its last retry)."""
    requests: list[bytes] = field(default_factory=list)
    delivered: set[int] = field(default_factory=set)
    result: bytes | None = None
    failures: int = 0
    deferrals: int = 0
    late_from: int | None = None
    """How many requests had attached at the first failed try; later ones are late."""
    dead: bool = False
    """Recorded as a dead letter (once, however often it is given up)."""


@dataclass
class _Entry:
    """One hand-out slot of a job, like a stream entry and its pending-list record."""

    job_id: str
    queued_at: float
    consumer: str | None = None
    times_delivered: int = 0
    last_delivery: float = 0.0


class MemoryJobQueue:
    """The JobQueue protocol on plain dicts, for one process."""

    def __init__(
        self, *, reclaim_idle_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._reclaim_idle_s = reclaim_idle_s
        self._clock = clock
        self._entries: dict[str, _Entry] = {}  # insertion order is queue order
        self._entry_count = 0
        self._jobs: dict[str, _JobData] = {}
        self._inflight: ExpiringMap[str, str] = ExpiringMap(clock)
        self._lease_s = reclaim_idle_s * LEASE_PER_RECLAIM
        self._results: ExpiringMap[str, bytes] = ExpiringMap(clock)
        self._delayed: dict[str, float] = {}
        # Capped like the Redis dead-letter stream, so a poison flood cannot fill memory.
        self._dead_letters: deque[tuple[str, str, str]] = deque(maxlen=DEAD_LETTERS_MAXLEN)
        self._arrived = asyncio.Event()

    async def submit(self, key: str, request: bytes, *, fresh: bool = False) -> Submission:
        """Answer from the cache, attach to the running job for `key`, or queue a new job."""
        cached = None if fresh else self._cached(key)
        if cached is not None:
            return Submission(Outcome.CACHED, None, cached)
        running = self._inflight.get(key)
        if running is not None and running in self._jobs:
            self._jobs[running].requests.append(request)
            return Submission(Outcome.ATTACHED, running, None)
        job_id = uuid.uuid4().hex
        self._jobs[job_id] = _JobData(key=key, requests=[request])
        self._set_flight(key, job_id)
        self._add_entry(job_id)
        return Submission(Outcome.QUEUED, job_id, None)

    async def claim(self, consumer: str, *, count: int, block_s: float) -> list[Job]:
        """Hand out reclaimable jobs first, then new ones; wait up to `block_s` for any."""
        deadline = self._clock() + block_s
        while True:
            self._arrived.clear()
            await self.move_due_retries()
            jobs = self._hand_out(consumer, count)
            remaining = deadline - self._clock()
            if jobs or remaining <= 0:
                return jobs
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=remaining)
            except TimeoutError:
                return []

    async def renew(self, job: Job, consumer: str) -> None:
        """Reset the idle time of the job's hand-out, if `consumer` still holds it."""
        entry = self._entries.get(job.entry_id)
        if entry is not None and entry.consumer == consumer:
            entry.last_delivery = self._clock()
            if self._inflight.get(job.key) == job.id:
                self._set_flight(job.key, job.id, lease_s=self._lease_s)

    async def finish(
        self, job: Job, result: bytes, *, ttl_s: int
    ) -> list[tuple[int, bytes]] | None:
        """Cache and record `result`, end the single flight; return the requests not answered
        yet (never None: nothing here is lost while the process lives, and a job acked meanwhile
        by a worker that took it over has nobody left)."""
        if ttl_s > 0:
            self._results.set(job.key, result, expires_at=self._clock() + ttl_s)
        data = self._jobs.get(job.id)
        if data is not None:
            data.result = result
        self._end_flight(job)
        return await self.undelivered(job)

    async def state(self, job: Job) -> JobState:
        """Return what `finish` recorded for the job and its requests not answered yet."""
        data = self._jobs.get(job.id)
        return JobState(None if data is None else data.result, await self.undelivered(job))

    async def mark_delivered(self, job: Job, index: int) -> bool:
        """Record request `index` as answered; True only the first time."""
        data = self._jobs.get(job.id)
        if data is None or index in data.delivered:
            return False
        data.delivered.add(index)
        return True

    async def undelivered(self, job: Job) -> list[tuple[int, bytes]]:
        """Return the requests not answered yet, with their indexes, in arrival order."""
        data = self._jobs.get(job.id)
        if data is None:
            return []
        return [(i, raw) for i, raw in enumerate(data.requests) if i not in data.delivered]

    async def ack(self, job: Job) -> None:
        """Settle the job for good and forget it."""
        self._entries.pop(job.entry_id, None)
        self._delayed.pop(job.id, None)
        self._jobs.pop(job.id, None)
        self._end_flight(job)

    async def retry_later(self, job: Job, delay_s: float) -> None:
        """Park the job until `delay_s` from now, counting a failed try."""
        data = self._park(job, delay_s)
        if data is not None:
            data.failures += 1
            if data.late_from is None:
                data.late_from = len(data.requests)

    async def defer(self, job: Job, delay_s: float) -> None:
        """Park the job until `delay_s` from now, counting a deferral, not a failed try."""
        data = self._park(job, delay_s)
        if data is not None:
            data.deferrals += 1

    def _park(self, job: Job, delay_s: float) -> _JobData | None:
        """Settle the hand-out and bring the job back after `delay_s`, one delivery on; None
        when the hand-out was settled already or the job is gone."""
        data = self._jobs.get(job.id)
        if self._entries.pop(job.entry_id, None) is None or data is None:
            return None
        data.deliveries = job.deliveries
        self._delayed[job.id] = self._clock() + delay_s
        if self._inflight.get(job.key) == job.id:
            self._set_flight(job.key, job.id)
        return data

    async def release(self, job: Job) -> None:
        """Make the job's hand-out claimable again at once, without counting it."""
        entry = self._entries.get(job.entry_id)
        if entry is None or entry.consumer is None:
            return
        entry.consumer = None
        entry.times_delivered -= 1
        if self._inflight.get(job.key) == job.id:
            self._set_flight(job.key, job.id)
        self._arrived.set()

    async def move_due_retries(self) -> int:
        """Queue again every parked job whose time has come."""
        now = self._clock()
        due = [job_id for job_id, at in self._delayed.items() if at <= now]
        for job_id in due:
            del self._delayed[job_id]
            self._add_entry(job_id)
        return len(due)

    async def dead_letter(self, job: Job, reason: str) -> str | None:
        """Record the job as dead (once); hand its late requests to a new job, or end its
        flight. Its hand-out stays unsettled until `ack`."""
        data = self._jobs.get(job.id)
        if data is None or not data.dead:
            self._dead_letters.append((job.id, job.key, reason))
        if data is not None:
            data.dead = True
        self._delayed.pop(job.id, None)
        late = [] if data is None or data.late_from is None else self._take_late(data)
        if not late:
            self._end_flight(job)
            return None
        successor = uuid.uuid4().hex
        self._jobs[successor] = _JobData(key=job.key, requests=late)
        # A marker held by another job (this one's lease lapsed) is left to that job.
        if self._inflight.get(job.key) in (None, job.id):
            self._set_flight(job.key, successor)
        self._add_entry(successor)
        return successor

    async def stats(self) -> QueueStats:
        """Return the queue's gauges."""
        now = self._clock()
        entries = self._entries.values()
        pending = sum(1 for entry in entries if entry.consumer is not None)
        oldest = min((entry.queued_at for entry in entries), default=now)
        return QueueStats(
            pending=pending,
            lag=len(self._entries) - pending,
            delayed=len(self._delayed),
            dead_letters=len(self._dead_letters),
            oldest_pending_age_s=now - oldest,
        )

    async def cached_result(self, key: str) -> bytes | None:
        """Return the cached result for `key`, if it has not expired."""
        return self._cached(key)

    async def forget_result(self, key: str) -> None:
        """Drop the cached result for `key`."""
        self._results.pop(key)

    async def aclose(self) -> None:
        """Wake any claim still waiting, so shutdown does not wait for its timeout."""
        self._arrived.set()

    def prune_expired(self) -> int:
        """Drop every expired cached result now (the scheduler's prune chore)."""
        return self._results.prune()

    def held_entries(self) -> int:
        """Return how many per-key and per-job entries are held, expired or not."""
        return len(self._results) + len(self._jobs) + len(self._inflight) + len(self._entries)

    def _cached(self, key: str) -> bytes | None:
        return self._results.get(key)

    def _add_entry(self, job_id: str) -> None:
        self._entry_count += 1
        self._entries[f"{self._entry_count}-0"] = _Entry(job_id=job_id, queued_at=self._clock())
        self._arrived.set()

    def _hand_out(self, consumer: str, count: int) -> list[Job]:
        now = self._clock()
        stale = now - self._reclaim_idle_s
        # Reclaims first, as XAUTOCLAIM runs before XREADGROUP in the Redis backend.
        reclaimable = [
            e for e in self._entries.items() if e[1].consumer and e[1].last_delivery <= stale
        ]
        new = [e for e in self._entries.items() if e[1].consumer is None]
        jobs = []
        for entry_id, entry in (reclaimable + new)[:count]:
            entry.consumer = consumer
            entry.times_delivered += 1
            entry.last_delivery = now
            data = self._jobs[entry.job_id]
            deliveries = data.deliveries + entry.times_delivered
            jobs.append(
                Job(entry.job_id, data.key, deliveries, entry_id, data.failures, data.deferrals)
            )
        return jobs

    def _take_late(self, data: _JobData) -> list[bytes]:
        """Mark the late requests not answered yet as delivered, and return them."""
        assert data.late_from is not None
        indexes = range(data.late_from, len(data.requests))
        late = [i for i in indexes if i not in data.delivered]
        data.delivered.update(late)
        return [data.requests[i] for i in late]

    def _set_flight(self, key: str, job_id: str, *, lease_s: float | None = None) -> None:
        lasts_s = INFLIGHT_TTL_MS / 1000 if lease_s is None else lease_s
        self._inflight.set(key, job_id, expires_at=self._clock() + lasts_s)

    def _end_flight(self, job: Job) -> None:
        if self._inflight.get(job.key) == job.id:
            self._inflight.pop(job.key)
