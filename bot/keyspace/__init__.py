"""Our Redis keyspace: the client, every key name, and the Lua scripts, shared by all adapters.

Adapter layer. `connect` builds the one client the queue, store and limiter share; `Keys(prefix)`
only builds names, under one configurable prefix (default `unroll:`), and the queue, store and
limiter take their names from here and nowhere else; `load_script` registers a script of
`scripts/`. The TTL constants say how long each kind of key lives and why;
keys without a TTL are deleted explicitly (a job's data on ack) or are meant to persist (chat
settings, small values).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.commands.core import AsyncScript

from bot.keyspace.direct import DirectRedis

DEFAULT_PREFIX = "unroll:"

GROUP = "workers"
"""The one consumer group every worker reads the job stream through."""

INFLIGHT_TTL_MS = 30 * 60 * 1000
"""Single-flight marker while its job waits (queued, or delayed for a retry): long, because a
backlog may keep it waiting, and a submit checks that the job still exists (hash, and stream
entry or delayed-set member) before joining it, so a job lost with Redis data is replaced at
once. While a worker runs the job, each renewal sets a short lease instead (`LEASE_PER_RECLAIM`
reclaim thresholds, 20 s by default), so a marker whose job nobody runs any more lapses soon."""

JOB_TTL_MS = 24 * 60 * 60 * 1000
"""A job's hash, request list and delivery set. Deleted on ack; the TTL only cleans up after a
job whose worker died between dead-lettering and ack, long after anyone waits for it."""
SETTLED_TTL_MS = 10 * 60 * 1000
"""How long an acked job leaves its mark: a worker whose claim lapsed (its event loop stalled)
and that reaches `finish` after another settled the job is told so, not that Redis lost it."""

DEAD_LETTERS_MAXLEN = 10_000
"""The dead-letter stream is capped (approximately) so a poison flood cannot fill memory."""

STREAM_MAXLEN = 100_000
"""A circuit breaker only: entries are deleted on ack, so the stream holds just the backlog.
Reaching it would drop jobs; alert on `lag` long before."""


@dataclass(frozen=True, slots=True)
class Keys:
    """Names of every Redis key under `prefix`."""

    prefix: str = DEFAULT_PREFIX

    # ----- queue -----
    @property
    def stream(self) -> str:
        """Job stream (no TTL; entries are deleted on ack)."""
        return f"{self.prefix}jobs"

    @property
    def dead_letters(self) -> str:
        """Dead-letter stream (no TTL; capped at DEAD_LETTERS_MAXLEN)."""
        return f"{self.prefix}jobs:dead"

    @property
    def delayed(self) -> str:
        """Sorted set of job ids by due time in ms (no TTL; members leave when moved back)."""
        return f"{self.prefix}jobs:delayed"

    @property
    def job_prefix(self) -> str:
        """Start of every per-job key; scripts that find a job by id build names from it."""
        return f"{self.prefix}job:"

    def job(self, job_id: str) -> str:
        """Job hash: thread key, deliveries and failed tries so far, requests attached by the
        first failure, current stream entry ("": delayed), result (JOB_TTL_MS)."""
        return f"{self.job_prefix}{job_id}"

    def job_requests(self, job_id: str) -> str:
        """List of the job's opaque requests, in arrival order (JOB_TTL_MS)."""
        return f"{self.job_prefix}{job_id}{REQUESTS_SUFFIX}"

    def job_delivered(self, job_id: str) -> str:
        """Set of request indexes already answered (JOB_TTL_MS)."""
        return f"{self.job_prefix}{job_id}:delivered"

    def job_settled(self, job_id: str) -> str:
        """Mark left by `ack` when it deletes the job's data (SETTLED_TTL_MS)."""
        return f"{self.job_prefix}{job_id}:settled"

    def inflight(self, key: str) -> str:
        """Single-flight marker: the id of the job running for a thread key (INFLIGHT_TTL_MS
        while it waits, a lease of a few reclaim thresholds while a worker renews it)."""
        return f"{self.prefix}inflight:{key}"

    def result(self, key: str) -> str:
        """Cached result for a thread key (TTL chosen by `finish`: long for threads, short for
        failures)."""
        return f"{self.prefix}result:{key}"

    # ----- store -----
    def chat_settings(self, chat_id: int) -> str:
        """Hash of a chat's settings (no TTL: settings persist until changed)."""
        return f"{self.prefix}chat:{chat_id}:settings"

    def answer(self, chat_id: int, key: str) -> str:
        """Link to the answer already sent in a chat (TTL from `remember_answer`, about a day)."""
        return f"{self.prefix}chat:{chat_id}:answer:{key}"

    def quota(self, user_id: int) -> str:
        """GCRA state of a user's quota (expires when the user's allowance is full again)."""
        return f"{self.prefix}quota:{user_id}"

    def lock(self, name: str) -> str:
        """Chore lock (TTL from `try_lock`: the lock lapses by itself, nobody releases it)."""
        return f"{self.prefix}lock:{name}"

    @property
    def workers(self) -> str:
        """Sorted set of worker names by heartbeat expiry in ms (pruned on every heartbeat)."""
        return f"{self.prefix}workers"

    def value(self, name: str) -> str:
        """A small persistent value such as the Telegraph token (no TTL)."""
        return f"{self.prefix}value:{name}"

    # ----- follows (bot/follow/records.py) -----
    # No TTLs: a follow ends explicitly (unfollow, FOLLOW_FOR_S without new posts, a gone
    # message or thread), and every followed thread stays in the due set, so its own check
    # always comes round to end it.
    @property
    def follow_due(self) -> str:
        """Sorted set of followed thread keys by next check time in ms (no TTL)."""
        return f"{self.prefix}follow:due"

    @property
    def follow_count(self) -> str:
        """Number of follows (chat, thread) in all, for the followers gauge (no TTL)."""
        return f"{self.prefix}follow:count"

    def follow_thread(self, key: str) -> str:
        """Hash of a followed thread's check state: snapshot, interval, last change (no TTL)."""
        return f"{self.prefix}follow:thread:{key}"

    def follow_followers(self, key: str) -> str:
        """Hash of a followed thread's followers, chat scope → follower record (no TTL)."""
        return f"{self.prefix}follow:thread:{key}{FOLLOWERS_SUFFIX}"

    @property
    def follow_chat_prefix(self) -> str:
        """Start of every per-chat follow set; end_follow.lua builds names from it."""
        return f"{self.prefix}follow:chat:"

    def follow_chat(self, scope: str) -> str:
        """Set of the thread keys a chat scope follows; its size is the chat's count (no TTL)."""
        return f"{self.follow_chat_prefix}{scope}"

    # ----- limiter -----
    def send_bucket(self, scope: str) -> str:
        """GCRA state of a send bucket (`all`, or a chat id); expires once the bucket is full."""
        return f"{self.prefix}send:{scope}"

    def send_pause(self, scope: str) -> str:
        """Pause after a Telegram 429 (`all`, or a chat id); expires when the pause ends."""
        return f"{self.prefix}send:{scope}:pause"


REQUESTS_SUFFIX = ":requests"
"""Ends a job's request-list name; submit.lua appends it to `job_prefix` + the running job id,
because the job it attaches to is only known inside the script."""


FOLLOWERS_SUFFIX = ":followers"
"""Ends a followed thread's follower-hash name (after `follow_thread`)."""


_RETRIES = 6
"""About 5 s of reconnecting in all (backoff capped at 2 s): a Redis restart, not an outage."""


def connect(url: str, *, max_connections: int = 64, pool_wait_s: float = 10.0) -> Redis:
    """Build the Redis client the queue, store and limiter expect.

    Bytes replies (requests and results are opaque bytes); a pool that makes callers wait for a
    free connection instead of failing under a burst of submits; and retries with backoff, so
    commands ride out a Redis restart (`Redis.from_url` alone retries nothing).
    """
    retry = Retry(ExponentialWithJitterBackoff(base=0.05, cap=2.0), retries=_RETRIES)
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=pool_wait_s, retry=retry
    )
    return DirectRedis.from_pool(pool)  # the client owns the pool: aclose() closes it


def load_script(redis: Redis, name: str) -> AsyncScript:
    """Register the Lua script `scripts/<name>.lua`; redis-py reloads it after a restart."""
    source = resources.files("bot.keyspace").joinpath("scripts", f"{name}.lua").read_text()
    return redis.register_script(source)
