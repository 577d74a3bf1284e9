"""Composition root of the bot: builds queue, stores, limiter, the PTB bot and the web servers.

`bot.running` runs what this builds, as each process of the CLI.

With `oneshot` (the HTTP client and sources, for `unroll-bot unroll` too), the only code besides
`cli` that reads `Settings`; everything below it takes plain values.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypedDict

import uvicorn
from telegram import Update
from telegram.ext import ExtBot

from bot.answering.executor import Answerer
from bot.answering.pages import PagePublisher
from bot.archive import ThreadArchive
from bot.delivery import Sender
from bot.follow.checks import FollowChecks, FollowRules
from bot.follow.records import FollowStore, MemoryFollowStore, RedisFollowStore
from bot.jobs import UnrollJobs
from bot.keyspace import connect
from bot.limiter import MemorySendLimiter, RedisSendLimiter, SendLimiter
from bot.listener.context import UnrollApplication
from bot.model import Thread, ThreadKey
from bot.net.bot_api import JsonBotRequest
from bot.net.http import HttpClient
from bot.oneshot import source_config
from bot.queue import JobQueue
from bot.queue.memory import MemoryJobQueue
from bot.queue.redis_streams import RedisJobQueue
from bot.settings import Settings
from bot.sources import fetch_thread
from bot.store import ChatStore, MemoryChatStore, RedisChatStore
from bot.telegraph_client import TelegraphClient
from bot.web import WebhookTarget, build_web_app
from bot.worker import Worker

log = logging.getLogger("bot.wiring")

BOT_CONNECTIONS = 16
"""Connections to the Bot API per process. Enough: Telegram takes about 30 messages a second
from a bot, which at 50-100 ms a call keeps fewer than ten busy."""
RENEWALS_PER_RECLAIM = 3


@dataclass
class Backends:
    """Queue, per-chat store and send limiter: on Redis, or in process when REDIS_URL is unset."""

    queue: JobQueue
    store: ChatStore
    limiter: SendLimiter
    follows: FollowStore
    prunes: list[Callable[[], int]] = field(default_factory=list)
    """Drop the expired entries of in-process backends; Redis expires its keys itself."""


@asynccontextmanager
async def open_backends(settings: Settings) -> AsyncIterator[Backends]:
    """Connect the backends for this process and close them afterwards."""
    if not settings.redis_url:
        memory_queue = MemoryJobQueue(reclaim_idle_s=settings.job_reclaim_idle_s)
        store = MemoryChatStore()
        limiter = MemorySendLimiter(**_send_rates(settings))
        prunes = [memory_queue.prune_expired, store.prune_expired, limiter.prune_expired]
        try:
            # Follows end explicitly (unfollow, expiry, a gone chat), so they need no pruning.
            yield Backends(memory_queue, store, limiter, MemoryFollowStore(), prunes)
        finally:
            await memory_queue.aclose()
        return
    redis = connect(settings.redis_url)
    prefix = settings.redis_key_prefix
    queue = RedisJobQueue(redis, prefix=prefix, reclaim_idle_s=settings.job_reclaim_idle_s)
    try:
        yield Backends(
            queue,
            RedisChatStore(redis, prefix=prefix),
            RedisSendLimiter(redis, prefix=prefix, **_send_rates(settings)),
            RedisFollowStore(redis, prefix=prefix),
        )
    finally:
        await queue.aclose()
        await redis.aclose()


class _SendRates(TypedDict):
    global_per_s: float
    private_per_s: float
    group_per_min: float


def _send_rates(settings: Settings) -> _SendRates:
    return _SendRates(
        global_per_s=settings.telegram_global_per_s,
        private_per_s=settings.telegram_private_per_s,
        group_per_min=settings.telegram_group_per_min,
    )


def follow_rules(settings: Settings) -> FollowRules:
    """Return the FOLLOW_* settings as the follow code takes them."""
    return FollowRules(
        first_check_s=settings.follow_first_check_s,
        max_interval_s=settings.follow_max_interval_s,
        follow_for_s=settings.follow_for_s,
        max_per_chat=settings.follow_max_per_chat,
    )


def build_bot(settings: Settings) -> ExtBot[None]:
    """Return the Bot API client, pointed at TELEGRAM_API_URL."""
    assert settings.telegram_bot_token is not None
    api_url = settings.telegram_api_url.rstrip("/")
    return ExtBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{api_url}/bot",
        base_file_url=f"{api_url}/file/bot",
        request=JsonBotRequest(connection_pool_size=BOT_CONNECTIONS, pool_timeout=10.0),
        get_updates_request=JsonBotRequest(read_timeout=settings.telegram_poll_timeout_s + 10.0),
    )


def build_answerer(
    settings: Settings, bot: ExtBot[None], backends: Backends, http: HttpClient
) -> Answerer:
    """Return the answer writer with its Telegraph client and page fallbacks."""
    token = settings.telegraph_access_token
    telegraph_client = TelegraphClient(
        http,
        api_url=settings.telegraph_api_url.rstrip("/"),
        access_token=token.get_secret_value() if token else None,
    )
    return Answerer(
        sender=Sender(bot, backends.limiter),
        pages=PagePublisher(
            telegraph_client,
            settings.public_base_url,
            backends.store,
            page_ttl_s=settings.result_cache_ttl_s,
        ),
        store=backends.store,
        max_split_messages=settings.max_split_messages,
    )


def build_worker(
    settings: Settings,
    backends: Backends,
    http: HttpClient,
    answerer: Answerer,
    *,
    concurrency: int | None = None,
) -> Worker:
    """Return a queue consumer whose jobs fetch threads and answer their requesters."""
    jobs = UnrollJobs(
        queue=backends.queue,
        http=http,
        config=source_config(settings),
        answerer=answerer,
        result_ttl_s=settings.result_cache_ttl_s,
        failure_ttl_s=settings.failure_cache_ttl_s,
        follow=FollowChecks(backends.follows, answerer, follow_rules(settings)),
        archive=thread_archive(settings, backends),
    )
    consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return Worker(
        backends.queue,
        jobs,
        consumer=consumer,
        concurrency=concurrency or settings.worker_concurrency,
        max_deliveries=settings.job_max_deliveries,
        # Renewed well inside the reclaim threshold, so a slow job is never taken over alive.
        renew_every_s=settings.job_reclaim_idle_s / RENEWALS_PER_RECLAIM,
        backoff_base_s=settings.retry_backoff_base_s,
        backoff_cap_s=settings.retry_backoff_cap_s,
        shutdown_grace_s=settings.shutdown_grace_s,
        store=backends.store,
    )


def thread_archive(settings: Settings, backends: Backends) -> ThreadArchive:
    """Return where fetched threads are kept for answers' links and file buttons."""
    return ThreadArchive(backends.store, ttl_s=settings.page_ttl_s)


def web_server(
    settings: Settings,
    backends: Backends,
    application: UnrollApplication,
    webhook: bool,
    http: HttpClient,
) -> uvicorn.Server:
    """Return the listener's web server: /healthz, /metrics, reader pages and the webhook."""
    target = None
    if webhook:
        assert settings.webhook_secret is not None

        async def feed(data: object) -> None:
            update = Update.de_json(data, application.bot)  # type: ignore[arg-type]
            await application.update_queue.put(update)

        target = WebhookTarget(feed, settings.webhook_secret.get_secret_value())
    config = source_config(settings)

    async def refetch(key: ThreadKey) -> Thread:
        return await fetch_thread(key, http=http, config=config)

    app = build_web_app(
        queue=backends.queue,
        store=backends.store,
        webhook=target,
        archive=thread_archive(settings, backends),
        refetch=refetch,
    )
    server = uvicorn.Config(
        app, host=settings.web_host, port=settings.web_port, log_level="warning", lifespan="off"
    )
    return _EmbeddedServer(server)


def worker_web_server(settings: Settings, backends: Backends) -> uvicorn.Server | None:
    """Return a worker process's /healthz and /metrics server, or None if its port is taken.

    A worker's job is the queue: a port another process holds (several workers on one host
    with the same WEB_PORT) costs its metrics, logged as an error, not its work.
    """
    app = build_web_app(queue=backends.queue, store=backends.store, reader_pages=False)
    try:
        listening = socket.create_server((settings.web_host, settings.web_port))
    except OSError as error:
        log.error("no /healthz or /metrics in this worker: %s", error)
        return None
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    return _EmbeddedServer(config, sockets=[listening])


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handlers: this process handles SIGINT and SIGTERM."""

    def __init__(
        self, config: uvicorn.Config, *, sockets: list[socket.socket] | None = None
    ) -> None:
        super().__init__(config)
        self._sockets = sockets

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve on the sockets given at construction, if any (already bound)."""
        await super().serve(sockets or self._sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
