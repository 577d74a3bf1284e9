"""Reliability end to end: single flight, crashes, Redis restarts, Telegram 429 and 403, poison.

The bot runs against fake Telegram and fake FxTwitter over real sockets and a real redis-server;
workers that must die run as `python -m bot worker` processes and are SIGKILLed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot import running
from bot.answering.texts import APOLOGY
from bot.keyspace import connect
from bot.metrics import REGISTRY
from bot.queue.redis_streams import RedisJobQueue
from bot.settings import Settings
from tests.conftest import RedisServer, eventually
from tests.e2e.conftest import BotProcess, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, FakeThread, build_thread
from tests.fakes.telegram import FakeChat, FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

redis_only = pytest.mark.parametrize("backend", ["redis"], indirect=True)
ANSWER = "3 posts"  # in every answer to a three-post thread


def new_chat(telegram: FakeTelegram, name: str = "Alice") -> FakeChat:
    return telegram.private_chat(telegram.user(name))


def ask(telegram: FakeTelegram, chat: FakeChat, thread: FakeThread) -> None:
    telegram.user_sends(chat, f"please unroll {x_link(thread)}", user=chat.user)


def is_answered(telegram: FakeTelegram, chat: FakeChat, text: str = ANSWER) -> bool:
    return any(text in sent for sent in telegram.sent_to(chat))


def answers_written(telegram: FakeTelegram, chat: FakeChat, text: str = ANSWER) -> int:
    """Count the successful calls that wrote the answer: a reply, or an edit of a placeholder."""
    return sum(
        1
        for method in ("sendMessage", "editMessageText")
        for call in telegram.calls_to(method, chat.id)
        if call.status == 200 and text in call.params["text"]
    )


def requests_counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("unroll_requests_total", {"outcome": outcome}) or 0.0


def jobs_settled(outcome: str) -> float:
    return REGISTRY.get_sample_value("unroll_jobs_total", {"outcome": outcome}) or 0.0


async def dead_letters(settings: Settings) -> int:
    assert settings.redis_url is not None
    redis = connect(settings.redis_url)
    try:
        queue = RedisJobQueue(redis, prefix=settings.redis_key_prefix)
        return (await queue.stats()).dead_letters
    finally:
        await redis.aclose()


@redis_only
async def test_one_fetch_answers_200_chats_asking_at_once(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """Everyone who asks while the thread is being fetched waits on that one fetch."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    # Slow enough that the 200 requests attach to the running job instead of hitting the cache.
    fxtwitter.delay_s = 1.0
    await start_bot(telegram_global_per_s=1000)
    chats = [new_chat(telegram, f"User {n}") for n in range(200)]
    for chat in chats:
        ask(telegram, chat, thread)
    await eventually(lambda: all(is_answered(telegram, chat) for chat in chats), timeout_s=60)
    written = [answers_written(telegram, chat) for chat in chats]
    assert (len(fxtwitter.server.requests.all()), written) == (
        1,
        [1] * 200,
    )


@redis_only
async def test_job_of_killed_worker_is_finished_by_another_worker(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    bot_settings: Callable[..., Settings],
    start_part: Callable[..., Awaitable[None]],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> None:
    """A worker SIGKILLed mid-fetch loses nothing, and the user is answered exactly once."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.delay_s = 5.0  # the first worker is still fetching when it is killed
    settings = bot_settings(job_reclaim_idle_s=1.0)
    await start_part(running.run_listener, settings, ready="getUpdates")
    doomed = await bot_process("worker", settings)
    chat = new_chat(telegram)
    ask(telegram, chat, thread)
    await eventually(lambda: bool(fxtwitter.server.requests.all()), timeout_s=20)
    doomed.kill()
    await doomed.process.wait()
    fxtwitter.delay_s = 0.0
    await bot_process("worker", settings)
    await eventually(lambda: is_answered(telegram, chat), timeout_s=20)
    assert (answers_written(telegram, chat), len(telegram.sent_to(chat))) == (1, 1)


@redis_only
async def test_jobs_queued_across_a_redis_restart_are_all_answered(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    own_redis_server: RedisServer,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """Redis (with AOF) restarting under a running bot loses no queued job and no answer."""
    threads = [fxtwitter.add(build_thread(3, rich=False)) for _ in range(4)]
    fxtwitter.delay_s = 0.3  # one job at a time, so the others wait in the queue meanwhile
    await start_bot(redis_url=own_redis_server.url, worker_concurrency=1)
    chats = [new_chat(telegram, f"User {n}") for n in range(len(threads))]
    for chat, thread in zip(chats, threads, strict=True):
        ask(telegram, chat, thread)
    await eventually(lambda: bool(fxtwitter.server.requests.all()))
    waiting = sum(not is_answered(telegram, chat) for chat in chats)
    own_redis_server.stop()
    own_redis_server.start()
    await eventually(lambda: all(is_answered(telegram, chat) for chat in chats), timeout_s=30)
    assert (waiting, [answers_written(telegram, chat) for chat in chats]) == (4, [1] * 4)


ANSWERED_BY = pytest.mark.parametrize(
    ("placeholder_after_ms", "method"),
    # Ten seconds: the one reply must not race the placeholder's timer on a loaded machine.
    [(0, "editMessageText"), (10_000, "sendMessage")],
    ids=["placeholder-edit", "one-reply"],
)
"""The two ways an answer is written: into a placeholder sent at once, or as one reply."""


@ANSWERED_BY
async def test_telegram_429_while_answering_is_waited_out(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
    placeholder_after_ms: int,
    method: str,
) -> None:
    """The answer arrives once, after the retry_after Telegram asked for."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot(placeholder_after_ms=placeholder_after_ms)
    chat = new_chat(telegram)
    telegram.fail_next(method, 429, retry_after=1)  # the first such call writes the answer
    ask(telegram, chat, thread)
    await eventually(lambda: is_answered(telegram, chat))
    refused, delivered = telegram.calls_to(method, chat.id)
    waited = delivered.time - refused.time >= 1
    written = answers_written(telegram, chat)
    outcome = (refused.status, waited, written, len(telegram.sent_to(chat)))
    assert outcome == (429, True, 1, 1)


@ANSWERED_BY
async def test_user_who_blocked_the_bot_is_not_retried(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
    placeholder_after_ms: int,
    method: str,
) -> None:
    """A 403 ends the request: the job settles as done, with no second try at the chat."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.delay_s = 0.5
    await start_bot(placeholder_after_ms=placeholder_after_ms)
    done_before = jobs_settled("done")
    chat = new_chat(telegram)
    ask(telegram, chat, thread)
    await eventually(lambda: bool(fxtwitter.server.requests.all()))
    telegram.block_chat(chat)
    await eventually(lambda: jobs_settled("done") > done_before)
    answers = telegram.calls_to(method, chat.id)
    assert ([call.status for call in answers], len(fxtwitter.server.requests.all())) == ([403], 1)


@redis_only
async def test_poison_job_is_dead_lettered_after_five_deliveries_with_an_apology(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """An upstream that always fails is tried five times, then buried, and the user told."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.fail_status = 500
    settings = await start_bot(retry_backoff_base_s=0.05, retry_backoff_cap_s=0.2)
    chat = new_chat(telegram)
    ask(telegram, chat, thread)
    await eventually(lambda: is_answered(telegram, chat, APOLOGY), timeout_s=30)
    outcome: dict[str, Any] = {
        "upstream calls": len(fxtwitter.server.requests.all()),
        "dead letters": await dead_letters(settings),
        "messages": telegram.sent_to(chat),
    }
    assert outcome == {"upstream calls": 5, "dead letters": 1, "messages": [APOLOGY]}


@redis_only
async def test_request_after_redis_lost_its_data_mid_job_is_answered_promptly(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    own_redis_server: RedisServer,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """FLUSHALL of this test's own Redis under a running job, after the listener's placeholder
    timer sent "Unrolling…": the bot keeps running, the job's worker still answers the request
    it read before its fetch, and a new request for the thread gets its answer in seconds, not
    after a 30-minute marker."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.delay_s = 2.0  # the first job is mid-fetch when Redis loses everything
    await start_bot(redis_url=own_redis_server.url, job_reclaim_idle_s=0.3)
    alice = new_chat(telegram, "Alice")
    ask(telegram, alice, thread)
    await eventually(lambda: bool(fxtwitter.server.requests.all()))
    await eventually(lambda: bool(telegram.calls_to("sendMessage", alice.id)))  # the placeholder
    redis = connect(own_redis_server.url)
    await redis.flushall()
    await redis.aclose()
    late = new_chat(telegram, "Bob")
    ask(telegram, late, thread)
    await eventually(lambda: is_answered(telegram, late), timeout_s=15)
    await eventually(lambda: is_answered(telegram, alice), timeout_s=15)
    assert answers_written(telegram, alice) == 1


@redis_only
async def test_worker_stopped_mid_job_hands_it_back_within_its_grace(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    bot_settings: Callable[..., Settings],
    start_part: Callable[..., Awaitable[None]],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> None:
    """SIGTERM during a fetch that hangs: the worker exits within SHUTDOWN_GRACE_S (and a
    moment to close), and another worker answers at once, long before a crashed job's claim
    would be reclaimed (JOB_RECLAIM_IDLE_S is a minute here)."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.delay_s = 60.0  # the upstream hangs for the first worker
    grace = {"shutdown_grace_s": 1.0, "job_reclaim_idle_s": 60.0}
    await start_part(running.run_listener, bot_settings(**grace), ready="getUpdates")
    stopping = await bot_process("worker", bot_settings(**grace))
    chat = new_chat(telegram)
    ask(telegram, chat, thread)
    await eventually(lambda: bool(fxtwitter.server.requests.all()), timeout_s=20)
    fxtwitter.delay_s = 0.0
    await bot_process("worker", bot_settings(**grace))
    started = time.monotonic()
    exit_code = await stopping.stop()
    took_s = time.monotonic() - started
    await eventually(lambda: is_answered(telegram, chat), timeout_s=10)
    # The grace, and time to close and exit on two cores shared with three other test
    # processes: far from the upstream's 60-second hang the worker would otherwise wait out.
    assert (exit_code, took_s < 1.0 + 5.0, answers_written(telegram, chat)) == (0, True, 1)


async def test_late_requester_of_a_dead_lettered_job_gets_tries_of_its_own(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """Bob joined after the first failure: Alice, who waited through all five tries, gets the
    apology; Bob's request goes to a new job, and the recovered source answers him."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.fail_status = 500
    fxtwitter.fail_count = 5  # the first job's five tries fail; then the source is back
    await start_bot(retry_backoff_base_s=1.0, retry_backoff_cap_s=1.0)
    alice, bob = new_chat(telegram, "Alice"), new_chat(telegram, "Bob")
    ask(telegram, alice, thread)
    await eventually(lambda: len(fxtwitter.server.requests.all()) >= 2)  # a try failed
    attached_before = requests_counted("attached")
    ask(telegram, bob, thread)
    await eventually(lambda: is_answered(telegram, bob), timeout_s=30)
    outcome = (requests_counted("attached") - attached_before, telegram.sent_to(alice))
    assert outcome == (1, [APOLOGY])


async def test_an_answer_telegram_refused_longer_than_five_tries_comes_when_it_is_back(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """The soak found it: each answer Telegram refused in an outage spent one of the job's
    five tries, the job was buried, its apology refused too, and the request lost. Only the
    delivery waits now: one fetch, no apology, the answer once Telegram takes it."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot(retry_backoff_base_s=0.05, retry_backoff_cap_s=0.2)
    chat = new_chat(telegram)
    telegram.fail_next("sendMessage", 502, times=6)
    ask(telegram, chat, thread)
    await eventually(lambda: is_answered(telegram, chat), timeout_s=30)
    refused = [call.status for call in telegram.calls_to("sendMessage", chat.id)]
    outcome = (refused, len(fxtwitter.server.requests.all()), len(telegram.sent_to(chat)))
    assert (outcome, APOLOGY in telegram.sent_to(chat)) == (([502] * 6 + [200], 1, 1), False)


async def test_an_apology_telegram_refused_is_sent_when_it_is_back(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """The source failed every try, and Telegram was down when the job was buried."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.fail_status = 500
    await start_bot(retry_backoff_base_s=0.05, retry_backoff_cap_s=0.2)
    chat = new_chat(telegram)
    telegram.fail_next("sendMessage", 502, times=3)
    ask(telegram, chat, thread)
    await eventually(lambda: is_answered(telegram, chat, APOLOGY), timeout_s=30)
    outcome = (len(fxtwitter.server.requests.all()), telegram.sent_to(chat))
    assert outcome == (5, [APOLOGY])


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
async def test_a_placeholder_lost_to_a_telegram_outage_loses_no_request(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """The soak found it: a 502 on the placeholder dropped the request with no job at all."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot(placeholder_after_ms=0)  # a placeholder at once
    chat = new_chat(telegram)
    telegram.fail_next("sendMessage", 502, times=2)  # the placeholder, and one more try
    ask(telegram, chat, thread)
    await eventually(lambda: is_answered(telegram, chat), timeout_s=30)
    assert (len(telegram.sent_to(chat)), len(fxtwitter.server.requests.all())) == (1, 1)


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
async def test_refresh_happens_though_telegram_refused_its_toast(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """The soak found it: a 429 on answerCallbackQuery dropped the Refresh it acknowledged."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    chat = new_chat(telegram)
    ask(telegram, chat, thread)
    await eventually(lambda: is_answered(telegram, chat))
    answer = telegram.messages_in(chat)[-1]
    refresh = answer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    telegram.fail_next("answerCallbackQuery", 429, retry_after=1)
    telegram.press_button(chat.user, answer, refresh)
    await eventually(lambda: any("Refreshed" in text for text in telegram.sent_to(chat)))
    assert len(fxtwitter.server.requests.all()) == 2


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
async def test_a_cached_answer_lost_to_a_telegram_outage_is_answered_later(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """The soak found it: a cache hit answered in the listener during a 502 was lost."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot(placeholder_after_ms=0)  # a placeholder at once
    first = new_chat(telegram, "Ann")
    ask(telegram, first, thread)
    await eventually(lambda: is_answered(telegram, first))
    second = new_chat(telegram, "Ben")
    telegram.fail_next("sendMessage", 502, times=1)  # the placeholder: the answer is a reply
    telegram.fail_next("editMessageText", 502, times=1)  # not reached: no placeholder to edit
    telegram.fail_next("sendMessage", 502, times=1)  # the cached answer, sent in the outage
    ask(telegram, second, thread)
    await eventually(lambda: is_answered(telegram, second), timeout_s=30)
    assert len(telegram.sent_to(second)) == 1


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
async def test_a_process_started_in_a_telegram_outage_waits_it_out(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Awaitable[Settings]],
) -> None:
    """The soak found it: getMe failing at start ended the process (status 1)."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    telegram.fail_next("getMe", 502, times=2)
    telegram.fail_next("setMyCommands", 502, times=1)
    await start_bot()
    chat = new_chat(telegram)
    ask(telegram, chat, thread)
    await eventually(lambda: is_answered(telegram, chat))
    get_me = [call.status for call in telegram.calls_to("getMe")]
    menus = [call.status for call in telegram.calls_to("setMyCommands")]
    # The first menu is tried again; then one menu per language goes through.
    assert (get_me, menus[:2], set(menus[2:])) == ([502, 502, 200], [502, 200], {200})


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
async def test_a_process_waiting_for_telegram_at_start_stops_cleanly(
    telegram: FakeTelegram,
    bot_settings: Callable[..., Settings],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> None:
    """SIGTERM while getMe keeps failing: an orderly exit, not a kill by the signal."""
    telegram.fail_next("getMe", 502, times=100)
    bot = await bot_process("run", bot_settings())
    await eventually(lambda: len(telegram.calls_to("getMe")) >= 2, timeout_s=20)
    assert await bot.stop() == 0
