"""The bot's web server end to end: webhook mode with its secret, /healthz and /metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from bot import running
from bot.settings import Settings
from bot.web import SECRET_HEADER
from tests.conftest import eventually
from tests.e2e.conftest import BotProcess, memory_only, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.server import free_port
from tests.fakes.telegram import FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "hook-secret-42"
METRIC_FAMILIES = [
    "unroll_requests",
    "unroll_jobs",
    "unroll_job_duration_seconds",
    "unroll_queue_lag",
    "unroll_queue_pending",
    "unroll_dead_letters",
    "unroll_telegram_429",
    "unroll_upstream_429",
]


def web_url(settings: Settings, path: str) -> str:
    return f"http://{settings.web_host}:{settings.web_port}{path}"


async def get(settings: Settings, path: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(web_url(settings, path))


async def serving(settings: Settings) -> bool:
    """Return whether the web server answers yet (uvicorn starts a moment after the bot)."""
    try:
        await get(settings, "/healthz")
    except httpx.TransportError:
        return False
    return True


async def metric(settings: Settings, name: str, **labels: str) -> float:
    """Return one sample's value from /metrics (0 when absent)."""
    page = (await get(settings, "/metrics")).text
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


@pytest.fixture
async def webhook_bot(
    telegram: FakeTelegram,
    bot_settings: Callable[..., Settings],
    start_part: Callable[..., Awaitable[None]],
) -> Settings:
    """`unroll-bot run` in webhook mode, its web server already answering."""
    port = free_port()
    settings = bot_settings(
        web_port=port, webhook_url=f"http://127.0.0.1:{port}/webhook", webhook_secret=SECRET
    )
    await start_part(running.run_all, settings, ready="setWebhook")
    await eventually(lambda: serving(settings))
    return settings


@memory_only
async def test_webhook_mode_answers_updates_posted_to_the_webhook(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, webhook_bot: Settings
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    chat = telegram.private_chat(telegram.user())
    telegram.user_sends(chat, x_link(thread), user=chat.user)
    await eventually(lambda: any("3 posts" in text for text in telegram.sent_to(chat)))
    assert (len(telegram.calls_to("getUpdates")), telegram.webhook_deliveries[0].status) == (
        0,
        200,
    )


@memory_only
@pytest.mark.parametrize("headers", [{SECRET_HEADER: "guessed"}, {}], ids=["wrong", "missing"])
async def test_webhook_refuses_a_call_without_the_secret(
    webhook_bot: Settings, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.post(
            web_url(webhook_bot, "/webhook"), json={"update_id": 1}, headers=headers
        )
    assert response.status_code == 403


@memory_only
@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"[1, 2]", b"null"],
    ids=["broken", "binary", "list", "null"],
)
async def test_webhook_answers_400_to_a_body_that_is_no_update(
    webhook_bot: Settings, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """With the right secret, a broken body was a 500 (an unhandled JSONDecodeError)."""
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.post(
            web_url(webhook_bot, "/webhook"), content=body, headers={SECRET_HEADER: SECRET}
        )
    assert (response.status_code, "webhook body is not a JSON object" in caplog.text) == (
        400,
        True,
    )


@memory_only
@pytest.mark.parametrize(
    ("body", "logged"),
    [
        (b"[" * 100_000, "not a JSON object"),
        (b"{}", "not an Update"),
        (b'{"update_id": 1, "message": "x"}', "not an Update"),
    ],
    ids=["deep", "empty", "message-is-text"],
)
async def test_webhook_answers_400_to_json_that_is_no_update(
    webhook_bot: Settings, body: bytes, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    """JSON nested past Python's recursion limit, or no Update, was still a 500."""
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.post(
            web_url(webhook_bot, "/webhook"), content=body, headers={SECRET_HEADER: SECRET}
        )
    assert (response.status_code, f"webhook body is {logged}" in caplog.text) == (400, True)


def test_webhook_url_without_a_secret_is_refused(
    settings_factory: Callable[..., Settings],
) -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET is required"):
        settings_factory(webhook_url="https://bot.example.org/webhook")


@memory_only
async def test_healthz_is_ok_with_store_and_a_live_worker(
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    settings = await start_bot()
    await eventually(lambda: serving(settings))
    response = await get(settings, "/healthz")
    assert (response.status_code, response.json()) == (
        200,
        {"ok": True, "store": True, "workers": 1},
    )


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
async def test_healthz_fails_while_no_worker_is_alive(
    bot_settings: Callable[..., Settings], start_part: Callable[..., Awaitable[None]]
) -> None:
    settings = bot_settings()
    await start_part(running.run_listener, settings, ready="getUpdates")
    await eventually(lambda: serving(settings))
    response = await get(settings, "/healthz")
    assert (response.status_code, response.json()) == (
        503,
        {"ok": False, "store": True, "workers": 0},
    )


@memory_only
async def test_metrics_page_has_every_family(
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    settings = await start_bot()
    await eventually(lambda: serving(settings))
    page = (await get(settings, "/metrics")).text
    names = {family.name for family in text_string_to_metric_families(page)}
    assert sorted(set(METRIC_FAMILIES) - names) == []


@pytest.fixture
def metered_bot(
    bot_settings: Callable[..., Settings],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> Callable[[], Awaitable[Settings]]:
    """Start `unroll-bot run` as a process of its own, its web server already answering.

    The metrics registry is global to a process: a bot run inside the test process would also
    count what earlier tests' bots left behind, so counts are read from a process of its own.
    """

    async def start() -> Settings:
        settings = bot_settings()
        await bot_process("run", settings)
        await eventually(lambda: serving(settings), timeout_s=20)
        return settings

    return start


@memory_only
@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("unroll_requests_total", {"outcome": "queued"}),
        ("unroll_jobs_total", {"outcome": "done"}),
        ("unroll_job_duration_seconds_count", {"stage": "fetch"}),
    ],
)
async def test_metrics_count_an_answered_request(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    metered_bot: Callable[[], Awaitable[Settings]],
    name: str,
    labels: dict[str, str],
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    settings = await metered_bot()
    before = await metric(settings, name, **labels)
    chat = telegram.private_chat(telegram.user())
    telegram.user_sends(chat, x_link(thread), user=chat.user)
    await eventually(lambda: any("3 posts" in text for text in telegram.sent_to(chat)))

    async def counted() -> bool:
        return await metric(settings, name, **labels) == before + 1

    await eventually(counted)


@memory_only
async def test_metrics_count_upstream_429(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    metered_bot: Callable[[], Awaitable[Settings]],
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.retry_after_s = 30  # the job waits that long before its retry: past the test
    settings = await metered_bot()
    before = await metric(settings, "unroll_upstream_429_total")
    chat = telegram.private_chat(telegram.user())
    telegram.user_sends(chat, x_link(thread), user=chat.user)

    async def counted() -> bool:
        return await metric(settings, "unroll_upstream_429_total") == before + 1

    await eventually(counted)


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
async def test_worker_process_serves_its_job_counters(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    bot_settings: Callable[..., Settings],
    start_part: Callable[..., Awaitable[None]],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> None:
    """`unroll-bot worker` has /metrics of its own, so a scrape sees the jobs it settled."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_part(running.run_listener, bot_settings(), ready="getUpdates")
    worker_settings = bot_settings()  # a web port of its own
    await bot_process("worker", worker_settings)
    await eventually(lambda: serving(worker_settings), timeout_s=20)
    chat = telegram.private_chat(telegram.user())
    telegram.user_sends(chat, x_link(thread), user=chat.user)
    await eventually(lambda: any("3 posts" in text for text in telegram.sent_to(chat)))

    async def counted() -> bool:
        return await metric(worker_settings, "unroll_jobs_total", outcome="done") == 1

    await eventually(counted)


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
async def test_worker_whose_port_is_taken_still_works(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    bot_settings: Callable[..., Settings],
    start_part: Callable[..., Awaitable[None]],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> None:
    """A worker sharing the listener's WEB_PORT loses its /metrics, not its jobs."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    settings = bot_settings()
    await start_part(running.run_listener, settings, ready="getUpdates")
    await eventually(lambda: serving(settings))
    worker = await bot_process("worker", settings)
    chat = telegram.private_chat(telegram.user())
    telegram.user_sends(chat, x_link(thread), user=chat.user)
    await eventually(lambda: any("3 posts" in text for text in telegram.sent_to(chat)))
    assert any("no /healthz or /metrics" in line for line in worker.log_lines())
