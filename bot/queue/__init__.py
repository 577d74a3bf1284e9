"""The work queue's shape: jobs, submission outcomes, and the `JobQueue` protocol.

Adapter layer. The listener submits opaque request bytes for a thread key; workers claim jobs,
finish them with opaque result bytes and answer every request attached to the job. Delivery is
at least once: every step a worker takes must be safe to repeat (a job may be handed out again
after a crash). Implementations: `redis_streams.RedisJobQueue` and `memory.MemoryJobQueue`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

LEASE_PER_RECLAIM = 4
"""A running job's single-flight marker lives this many reclaim thresholds past its last renewal.

Renewals come three times per threshold, and a job whose worker died is taken over after one
threshold and renewed by its new holder soon after; four thresholds outlast that, while a marker
nobody renews any more (its job lost) lapses within seconds, so requests start a fresh job.
"""


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of work: fetch the thread behind `key` and answer its requests."""

    id: str
    key: str
    deliveries: int
    """1 on the first hand-out; every reclaim after a crash and every retry adds one."""
    entry_id: str = ""
    """The backend's handle for this hand-out (a stream entry id); opaque to callers."""
    failures: int = 0
    """Earlier tries that failed and were retried (`retry_later`)."""
    deferrals: int = 0
    """Earlier hand-outs whose answers Telegram did not take in transit (`defer`). The other
    earlier hand-outs, `deliveries - 1 - failures - deferrals`, ended without settling: their
    worker crashed."""


class Outcome(StrEnum):
    """What `submit` did with a request."""

    CACHED = "cached"
    ATTACHED = "attached"
    QUEUED = "queued"


@dataclass(frozen=True, slots=True)
class Submission:
    """The answer to `submit`: a cached result, or the job the request now waits on."""

    outcome: Outcome
    job_id: str | None
    result: bytes | None


@dataclass(frozen=True, slots=True)
class JobState:
    """Where a job stands: the result `finish` recorded for it (None before that), and its
    requests not answered yet, with their indexes, in arrival order."""

    result: bytes | None
    undelivered: list[tuple[int, bytes]]


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Gauges for the metrics chore and for admission control.

    `pending` counts jobs handed to a worker and not yet settled; `lag` counts jobs waiting for
    a worker; `oldest_pending_age_s` is the age of the oldest unsettled job (since it was queued
    or re-queued), 0 when there is none.
    """

    pending: int
    lag: int
    delayed: int
    dead_letters: int
    oldest_pending_age_s: float


class JobQueue(Protocol):
    """Single-flight job queue with a result cache, retries and a dead-letter place."""

    async def submit(self, key: str, request: bytes, *, fresh: bool = False) -> Submission:
        """Answer from the cache, attach to the running job for `key`, or queue a new job.

        Atomic. `fresh` skips the cache (the Refresh button) but still joins a running job,
        so one fetch serves everybody who asked meanwhile. A job that can no longer run (its
        data lost, or its marker's lease lapsed) is not joined: the request starts a new job.
        """
        ...

    async def claim(self, consumer: str, *, count: int, block_s: float) -> list[Job]:
        """Hand out up to `count` jobs: new ones, and ones whose consumer stopped renewing.

        Waits up to `block_s` when nothing is ready (0: do not wait). Also moves due retries
        back into the queue first.
        """
        ...

    async def renew(self, job: Job, consumer: str) -> None:
        """Keep a long job's claim fresh, so it is not handed to another consumer.

        Also renews the lease of the key's single-flight marker: a marker not renewed for
        `LEASE_PER_RECLAIM` reclaim thresholds lapses, and the next submit starts a new job.
        """
        ...

    async def finish(
        self, job: Job, result: bytes, *, ttl_s: int
    ) -> list[tuple[int, bytes]] | None:
        """Cache `result` for the key for `ttl_s`, record it for the job, end the single flight;
        return the requests not answered yet, as `undelivered` does, or None when the queue lost
        the job (Redis lost its data while it ran; not a job another worker took over and
        settled, which has nobody left): the caller then answers the requests it read before.

        Atomic: later submits for the key get CACHED (or, with `fresh`, a new job), so the
        job's request list is frozen from here on, and the one returned is final.
        `ttl_s` <= 0 records without caching.
        """
        ...

    async def state(self, job: Job) -> JobState:
        """Return what `finish` recorded and the requests not answered yet, read at once.

        A redelivered job resumes from it: delivery without fetching again when a result is
        recorded, and only to the requesters still waiting.
        """
        ...

    async def mark_delivered(self, job: Job, index: int) -> bool:
        """Record that request `index` was answered; True only the first time."""
        ...

    async def undelivered(self, job: Job) -> list[tuple[int, bytes]]:
        """Return the requests not answered yet, with their indexes, in arrival order (to
        resume after a crash), read at once."""
        ...

    async def ack(self, job: Job) -> None:
        """Settle the job for good and delete its data (after every request is answered).

        Also ends the single flight if `finish` or `dead_letter` did not.
        """
        ...

    async def retry_later(self, job: Job, delay_s: float) -> None:
        """Take the job out of the queue and bring it back after `delay_s`, one delivery on.

        Counts a failed try (`Job.failures`); requests that attach from the first one on are
        late, and `dead_letter` hands them to a new job instead of giving up on them.
        """
        ...

    async def defer(self, job: Job, delay_s: float) -> None:
        """Take the job out of the queue and bring it back after `delay_s`, one delivery on,
        without counting a failed try: its work is done and only its answers wait (Telegram
        did not take them in transit). Counts a deferral (`Job.deferrals`).
        """
        ...

    async def release(self, job: Job) -> None:
        """Hand the job back unfinished, to be claimed again at once (a worker shutting down).

        This hand-out does not count as a delivery. Does nothing if the job was settled.
        """
        ...

    async def move_due_retries(self) -> int:
        """Put delayed jobs whose time has come back into the queue; return how many."""
        ...

    async def dead_letter(self, job: Job, reason: str) -> str | None:
        """Record the job as dead and return the id of its successor.

        Atomic, and safe to repeat: the job is recorded once, and its hand-out stays unsettled
        until `ack` (or `defer`), so an apology Telegram did not take is tried again. Requests
        that attached after the job's first failed try did not see every try fail: they are
        queued as a new job with tries of its own, which takes over the single flight, and
        count as delivered here. Without late requests there is no successor (None) and the
        flight ends, so a new request may try again. The job's requests stay readable (to
        apologise to those not delivered) until `ack`.
        """
        ...

    async def stats(self) -> QueueStats:
        """Return the queue's gauges."""
        ...

    async def cached_result(self, key: str) -> bytes | None:
        """Return the cached result for `key`, if any."""
        ...

    async def forget_result(self, key: str) -> None:
        """Drop the cached result for `key`."""
        ...

    async def aclose(self) -> None:
        """Release what the queue holds (not a client the caller passed in)."""
        ...
