"""Composition root of the bot: builds queue, stores, limiter and the PTB Application.

With `oneshot` (the HTTP client and sources, for `unroll-bot unroll` too), the only code besides
`cli` that reads `Settings`; everything below it takes plain values.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TypedDict

import uvicorn
from telegram import Update
from telegram.error import NetworkError, RetryAfter
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
from bot.listener import ALLOWED_UPDATES, build_application, command_menus
from bot.listener.context import Services, UnrollApplication
from bot.model import Thread, ThreadKey
from bot.net.bot_api import JsonBotRequest
from bot.net.http import HttpClient
from bot.oneshot import build_http, source_config
from bot.queue import JobQueue
from bot.queue.memory import MemoryJobQueue
from bot.queue.redis_streams import RedisJobQueue
from bot.scheduler import schedule_chores
from bot.settings import Settings
from bot.sources import fetch_thread
from bot.store import ChatStore, MemoryChatStore, RedisChatStore
from bot.telegraph_client import TelegraphClient
from bot.web import WebhookTarget, build_web_app
from bot.worker import Worker

log = logging.getLogger("bot.wiring")

BOT_CONNECTIONS = 16
"""Connections to the Bot API per process. Enough: Telegram takes about 30 messages a second
from a bot, which at 50-100 ms a call keeps fewer than ten busy. More cost CPU on every call:
httpcore checks each pooled connection (and, for each idle one, counts all the idle ones)
whenever a request starts or ends, so a pool of 64 cost the listener about 5 ms per unroll in
a burst."""
RENEWALS_PER_RECLAIM = 3
HAND_BACK_S = 5.0
STARTUP_RETRY_CAP_S = 15.0
"""Longest wait between tries to reach Telegram when a process starts during an outage."""
"""Time past SHUTDOWN_GRACE_S for a worker to cancel and hand back its jobs, and for the web
server to close; a part still running then is cancelled."""


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


async def run_all(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """`unroll-bot run`: listener, one worker, the scheduler and the web server."""
    await _run(settings, listener=True, worker=True, stop=stop)


async def run_listener(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """`unroll-bot listener`: the Telegram side, the scheduler and the web server."""
    await _run(settings, listener=True, worker=False, stop=stop)


async def run_worker(
    settings: Settings, *, concurrency: int | None = None, stop: asyncio.Event | None = None
) -> None:
    """`unroll-bot worker`: queue consumers and the scheduler, no Telegram updates."""
    await _run(settings, listener=False, worker=True, concurrency=concurrency, stop=stop)


async def _run(
    settings: Settings,
    *,
    listener: bool,
    worker: bool,
    concurrency: int | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until `stop` is set, or until SIGINT or SIGTERM when no event is given."""
    # From the start: a signal during start-up must stop the process in order, not kill it.
    stop = stop or _stop_on_signals()
    try:
        await _run_until(
            settings, listener=listener, worker=worker, concurrency=concurrency, stop=stop
        )
    except _StoppedWhileStarting:
        log.info("stopped before Telegram answered")


async def _run_until(
    settings: Settings,
    *,
    listener: bool,
    worker: bool,
    concurrency: int | None,
    stop: asyncio.Event,
) -> None:
    async with AsyncExitStack() as stack:
        backends = await stack.enter_async_context(open_backends(settings))
        http = build_http(settings)
        stack.push_async_callback(http.aclose)
        bot = build_bot(settings)
        answerer = build_answerer(settings, bot, backends, http)
        services = Services(
            backends.queue,
            backends.store,
            answerer,
            settings.user_quota_per_minute,
            follows=backends.follows,
            follow_rules=follow_rules(settings),
            archive=thread_archive(settings, backends),
            placeholder_after_s=settings.placeholder_after_ms / 1000,
        )
        webhook = bool(settings.webhook_url) and listener
        # PTB's initialize asks getMe and fails at once: in an outage, wait it out instead.
        await _until_telegram_answers(bot.initialize, "getMe", stop)
        application = build_application(services, bot=bot, polling=listener and not webhook)
        async with application:
            await application.start()
            try:
                await _start_updates(
                    settings, application, listener=listener, webhook=webhook, stop=stop
                )
                assert application.job_queue is not None  # installed with the [job-queue] extra
                schedule_chores(
                    application.job_queue,
                    queue=backends.queue,
                    prunes=backends.prunes,
                    follows=backends.follows,
                    locks=backends.store,
                )
                parts = _Parts(
                    web=_web_server(settings, backends, application, webhook, http)
                    if listener
                    else _worker_web_server(settings, backends),
                    worker=build_worker(
                        settings, backends, http, answerer, concurrency=concurrency
                    )
                    if worker
                    else None,
                    grace_s=settings.shutdown_grace_s,
                )
                log.info(
                    "started", extra={"listener": listener, "worker": worker, "webhook": webhook}
                )
                await parts.run_until(stop)
            finally:
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
                await application.stop()


@dataclass
class _Parts:
    """The long-running parts of a process besides PTB's own: web server and queue consumer."""

    web: uvicorn.Server | None
    worker: Worker | None
    grace_s: float

    async def run_until(self, stop: asyncio.Event) -> None:
        """Run the parts until `stop` (or a signal), then let them finish within a grace time."""
        tasks: list[asyncio.Task[None]] = []
        if self.web is not None:
            tasks.append(asyncio.create_task(self.web.serve()))
        if self.worker is not None:
            tasks.append(asyncio.create_task(self.worker.run()))
        failure = await _wait_for_stop(tasks, stop)
        if self.worker is not None:
            self.worker.stop()
        if self.web is not None:
            self.web.should_exit = True
        if tasks:
            # The worker itself hands back what is still running after the grace time.
            _done, late = await asyncio.wait(tasks, timeout=self.grace_s + HAND_BACK_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if failure is not None:
            # After an orderly shutdown of the rest: the process must exit with an error, so
            # a supervisor restarts it.
            raise failure


async def _start_updates(
    settings: Settings,
    application: UnrollApplication,
    *,
    listener: bool,
    webhook: bool,
    stop: asyncio.Event,
) -> None:
    if not listener:
        return
    for language_code, menu in command_menus():
        set_menu = partial(application.bot.set_my_commands, menu, language_code=language_code)
        await _until_telegram_answers(set_menu, "setMyCommands", stop)
    if webhook:
        assert settings.webhook_url is not None
        assert settings.webhook_secret is not None
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )
        return
    assert application.updater is not None
    await application.updater.start_polling(
        timeout=settings.telegram_poll_timeout_s, allowed_updates=ALLOWED_UPDATES
    )


class _StoppedWhileStarting(Exception):
    """Stopped while waiting for Telegram to answer at start: nothing was running yet."""


def _stop_on_signals() -> asyncio.Event:
    """Return an event SIGINT and SIGTERM set."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def _until_telegram_answers(
    call: Callable[[], Awaitable[object]], what: str, stop: asyncio.Event
) -> None:
    """Make `call` until Telegram answers it, waiting longer each time (up to a cap).

    A process started while Telegram is unreachable would otherwise exit and depend on its
    supervisor; a wrong token (InvalidToken) or any other refusal still ends it at once.
    """
    wait_s = 1.0
    while True:  # until Telegram answers, or the process is stopped
        try:
            await call()
            return
        except (NetworkError, RetryAfter) as exc:
            log.warning(
                "telegram unreachable at start: trying again",
                extra={"call": what, "error": type(exc).__name__, "retry_in_s": wait_s},
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait_s)
            if stop.is_set():
                raise _StoppedWhileStarting from exc
            wait_s = min(STARTUP_RETRY_CAP_S, wait_s * 2)


def thread_archive(settings: Settings, backends: Backends) -> ThreadArchive:
    """Return where fetched threads are kept for answers' links and file buttons."""
    return ThreadArchive(backends.store, ttl_s=settings.page_ttl_s)


def _web_server(
    settings: Settings,
    backends: Backends,
    application: UnrollApplication,
    webhook: bool,
    http: HttpClient,
) -> uvicorn.Server:
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


def _worker_web_server(settings: Settings, backends: Backends) -> uvicorn.Server | None:
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


async def _wait_for_stop(
    tasks: list[asyncio.Task[None]], stop: asyncio.Event
) -> BaseException | None:
    """Return when `stop` is set (or a signal came), or with the error of a part that died."""
    stopper = asyncio.create_task(stop.wait())
    done, _pending = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    for task in done:
        if task is not stopper and task.exception() is not None:
            log.error("a part of the bot stopped", exc_info=task.exception())
            return task.exception()
    return None
