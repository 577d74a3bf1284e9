"""Runs one process of the bot (`run`, `listener`, `worker`): start in order, wait, stop cleanly.

Composition layer, with `wiring`, which builds the parts. A process waits out a Telegram outage at
start, handles SIGINT and SIGTERM from its first moment, and stops its parts within a grace time;
a part that dies stops the process with its error, so a supervisor restarts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial

import uvicorn
from telegram.error import NetworkError, RetryAfter

from bot.listener import ALLOWED_UPDATES, build_application, command_menus
from bot.listener.context import Services, UnrollApplication
from bot.oneshot import build_http
from bot.scheduler import schedule_chores
from bot.settings import Settings
from bot.wiring import (
    build_answerer,
    build_bot,
    build_worker,
    follow_rules,
    open_backends,
    thread_archive,
    web_server,
    worker_web_server,
)
from bot.worker import Worker

log = logging.getLogger("bot.running")

HAND_BACK_S = 5.0
"""Time past SHUTDOWN_GRACE_S for a worker to cancel and hand back its jobs, and for the web
server to close; a part still running then is cancelled."""
STARTUP_RETRY_CAP_S = 15.0
"""Longest wait between tries to reach Telegram when a process starts during an outage."""


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
                    web=web_server(settings, backends, application, webhook, http)
                    if listener
                    else worker_web_server(settings, backends),
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
