"""The follow tick: due threads become fresh check jobs on the shared queue.

A check is a request like a Refresh's: `fresh` skips the cached result but joins a job already
running for the thread, and its result replaces the cached one, so one upstream fetch serves
every follower of a thread and everyone who asked for it meanwhile. `claim_due` holds each
thread for LEASE_S, about as long as a job's retries take, so no other tick checks it again
before the check reschedules it. The lease only matters for a process that dies between
claiming and submitting: a submitted check is a queued job, which survives its worker.
"""

from __future__ import annotations

import logging
import time
import uuid

from bot import metrics
from bot.codec import encode
from bot.follow.records import FollowStore
from bot.logs import logged_as
from bot.model import ThreadKey
from bot.queue import JobQueue
from bot.request import Answer, UnrollRequest

log = logging.getLogger("bot.follow")

CHECKS_PER_TICK = 200
LEASE_S = 5 * 60.0


async def run_tick(store: FollowStore, queue: JobQueue, *, limit: int = CHECKS_PER_TICK) -> int:
    """Submit a check job for every due thread (at most `limit`); return how many."""
    keys = await store.claim_due(limit=limit, lease_s=LEASE_S)
    for key in keys:
        request = check_request(ThreadKey.parse(key))
        with logged_as(request.request_id):
            submission = await queue.submit(key, encode(request), fresh=True)
            log.info("follow check", extra={"key": key, "job": submission.job_id})
    threads, follows = await store.counts()
    metrics.FOLLOWED_THREADS.set(threads)
    metrics.FOLLOWERS.set(follows)
    return len(keys)


def check_request(key: ThreadKey) -> UnrollRequest:
    """Return the request a check job carries: no chat, its own id for the logs."""
    return UnrollRequest(
        request_id=uuid.uuid4().hex[:12],
        key=key,
        answer=Answer.FOLLOW_CHECK,
        user_id=0,
        accepted_at=time.time(),
    )
