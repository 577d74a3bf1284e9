"""Prometheus metrics, defined once, on the bot's own registry `REGISTRY`.

Adapter layer, no I/O of its own: `web.py` serves `render_latest()`. Names follow Prometheus'
conventions (https://prometheus.io/docs/practices/naming/): the `unroll_` prefix, base units,
`_total` on counters, and never a user, chat or URL in a label.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.queue import QueueStats

REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "unroll_requests_total",
    "Requests the listener handled, by what became of them.",
    ["outcome"],
    registry=REGISTRY,
)
REQUEST_OUTCOMES = ("cached", "attached", "queued", "rejected", "quota", "already")

JOBS = Counter(
    "unroll_jobs_total",
    "Job hand-outs the workers settled, by how.",
    ["outcome"],
    registry=REGISTRY,
)
JOB_OUTCOMES = ("done", "failed", "retried", "deferred", "dead", "dropped", "released")

JOB_DURATION = Histogram(
    "unroll_job_duration_seconds",
    "Time a job spent in each stage of one hand-out.",
    ["stage"],
    registry=REGISTRY,
    # Network-bound work: tens of milliseconds for a cached render up to a slow long chain.
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
JOB_STAGES = ("fetch", "render", "deliver", "total")

QUEUE_PENDING = Gauge(
    "unroll_queue_pending", "Jobs handed to a worker and not yet settled.", registry=REGISTRY
)
QUEUE_LAG = Gauge("unroll_queue_lag", "Jobs waiting for a worker.", registry=REGISTRY)
QUEUE_DELAYED = Gauge(
    "unroll_queue_delayed", "Jobs waiting for their retry time.", registry=REGISTRY
)
DEAD_LETTERS = Gauge(
    "unroll_dead_letters", "Entries in the dead-letter stream.", registry=REGISTRY
)
QUEUE_OLDEST_PENDING = Gauge(
    "unroll_queue_oldest_pending_seconds",
    "Age of the oldest unsettled job since it was queued.",
    registry=REGISTRY,
)

TELEGRAM_429 = Counter(
    "unroll_telegram_429_total", "Telegram answers of 429 Too Many Requests.", registry=REGISTRY
)
UPSTREAM_429 = Counter(
    "unroll_upstream_429_total",
    "Upstream answers of 429 Too Many Requests, by platform.",
    ["platform"],
    registry=REGISTRY,
)

FOLLOWED_THREADS = Gauge(
    "unroll_followed_threads", "Threads at least one chat follows.", registry=REGISTRY
)
FOLLOWERS = Gauge("unroll_followers", "Follows of a thread by a chat, in all.", registry=REGISTRY)
FOLLOW_CHECKS = Counter(
    "unroll_follow_checks_total", "Checks of followed threads settled.", registry=REGISTRY
)
FOLLOW_CHANGES = Counter(
    "unroll_follow_changes_total",
    "Checks that found new or deleted posts in a followed thread.",
    registry=REGISTRY,
)
FOLLOW_EDITS = Counter(
    "unroll_follow_edits_total",
    "Followed answers brought up to date after a change.",
    registry=REGISTRY,
)

# Known label values start at 0, so rates and alerts work before the first event.
for _outcome in REQUEST_OUTCOMES:
    REQUESTS.labels(_outcome)
for _outcome in JOB_OUTCOMES:
    JOBS.labels(_outcome)
for _stage in JOB_STAGES:
    JOB_DURATION.labels(_stage)


def observe_queue(stats: QueueStats) -> None:
    """Set the queue gauges from `stats` (the scheduler's metrics chore)."""
    QUEUE_PENDING.set(stats.pending)
    QUEUE_LAG.set(stats.lag)
    QUEUE_DELAYED.set(stats.delayed)
    DEAD_LETTERS.set(stats.dead_letters)
    QUEUE_OLDEST_PENDING.set(stats.oldest_pending_age_s)


def render_latest() -> bytes:
    """Return the registry in Prometheus' text exposition format, for /metrics."""
    return generate_latest(REGISTRY)
