"""The chat store's behaviour, the same on both backends (memory and Redis)."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.cleaning import ReadingMode
from bot.request import OutputPreference
from bot.store import (
    ChatSettings,
    ChatStore,
    MemoryChatStore,
    RedisChatStore,
    settings_from_hash,
    settings_to_hash,
)
from tests.conftest import eventually
from tests.fakes.server import free_port
from tests.integration.conftest import Backend

KEY = "x:x.com:123"


async def test_settings_default_when_unset(backend: Backend) -> None:
    assert await backend.store().get_settings(1) == ChatSettings()


@pytest.mark.parametrize(
    "settings",
    [
        ChatSettings(
            reading_mode=ReadingMode.ORIGINAL, output=OutputPreference.PAGE, auto_unroll=True
        ),
        ChatSettings(output=OutputPreference.MESSAGE),
        ChatSettings(language="pt_BR"),
        ChatSettings(language=""),  # no choice: each asker's own language
    ],
)
async def test_settings_round_trip(backend: Backend, settings: ChatSettings) -> None:
    store = backend.store()
    await store.set_settings(1, settings)
    assert await store.get_settings(1) == settings


async def test_settings_are_per_chat(backend: Backend) -> None:
    store = backend.store()
    await store.set_settings(1, ChatSettings(output=OutputPreference.PAGE))
    assert await store.get_settings(2) == ChatSettings()


async def test_answer_found_in_same_chat(backend: Backend) -> None:
    store = backend.store()
    await store.remember_answer(1, KEY, "https://t.me/c/1/2", ttl_s=60)
    assert await store.find_answer(1, KEY) == "https://t.me/c/1/2"


async def test_answer_not_found_in_other_chat(backend: Backend) -> None:
    store = backend.store()
    await store.remember_answer(1, KEY, "https://t.me/c/1/2", ttl_s=60)
    assert await store.find_answer(2, KEY) is None


async def test_answer_expires_after_ttl(backend: Backend) -> None:
    store = backend.store()
    await store.remember_answer(1, KEY, "https://t.me/c/1/2", ttl_s=1)

    async def forgotten() -> bool:
        return await store.find_answer(1, KEY) is None

    await eventually(forgotten, timeout_s=5)


async def test_quota_refuses_past_limit(backend: Backend) -> None:
    store = backend.store()
    taken = [await store.take_quota(7, limit=3, window_s=60) for _ in range(4)]
    assert taken == [True, True, True, False]


async def test_quota_is_per_user(backend: Backend) -> None:
    store = backend.store()
    for _ in range(3):
        await store.take_quota(7, limit=3, window_s=60)
    assert await store.take_quota(8, limit=3, window_s=60)


async def test_quota_refills_one_request_per_interval() -> None:
    now = [100.0]
    store = MemoryChatStore(clock=lambda: now[0])
    for _ in range(3):
        await store.take_quota(7, limit=3, window_s=60)
    now[0] += 20  # one request's worth of a 3-per-60-s allowance
    assert [await store.take_quota(7, limit=3, window_s=60) for _ in range(2)] == [True, False]


async def test_lock_taken_once(backend: Backend) -> None:
    store = backend.store()
    taken = [await store.try_lock("sweep", ttl_s=60) for _ in range(2)]
    assert taken == [True, False]


async def test_locks_are_per_name(backend: Backend) -> None:
    store = backend.store()
    await store.try_lock("sweep", ttl_s=60)
    assert await store.try_lock("metrics", ttl_s=60)


async def test_lock_lapses_after_ttl(backend: Backend) -> None:
    store = backend.store()
    await store.try_lock("sweep", ttl_s=0.2)
    await eventually(lambda: store.try_lock("sweep", ttl_s=60))


async def test_heartbeats_list_alive_workers(backend: Backend) -> None:
    store = backend.store()
    for name in ("w2", "w1"):
        await store.heartbeat(name, ttl_s=60)
    assert await store.alive_workers() == ["w1", "w2"]


async def test_silent_worker_drops_out(backend: Backend) -> None:
    store = backend.store()
    await store.heartbeat("gone", ttl_s=0.2)
    await store.heartbeat("alive", ttl_s=60)

    async def only_alive() -> bool:
        return await store.alive_workers() == ["alive"]

    await eventually(only_alive)


async def test_ping_answers(backend: Backend) -> None:
    assert await backend.store().ping()


async def test_ping_false_when_redis_down(key_prefix: str) -> None:
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    store: ChatStore = RedisChatStore(redis, prefix=key_prefix)
    answered = await store.ping()
    await redis.aclose()
    assert not answered


async def test_value_round_trip(backend: Backend) -> None:
    store = backend.store()
    await store.set_value("telegraph_token", "abc")
    assert await store.get_value("telegraph_token") == "abc"


async def test_value_none_when_unset(backend: Backend) -> None:
    assert await backend.store().get_value("telegraph_token") is None


async def test_value_expires_after_ttl(backend: Backend) -> None:
    store = backend.store()
    await store.set_value("page:x", "https://telegra.ph/x", ttl_s=1)

    async def forgotten() -> bool:
        return await store.get_value("page:x") is None

    await eventually(forgotten, timeout_s=5)


async def test_a_count_adds_up_and_lapses_from_its_start(backend: Backend) -> None:
    store = backend.store()
    counts = [await store.count_value("progress:j1", ttl_s=1) for _ in range(3)]
    other = await store.count_value("progress:j2", ttl_s=1)

    async def restarted() -> bool:
        # Counting on does not keep a count alive: it lapses a second after it began.
        return await store.count_value("progress:j1", ttl_s=1) == 1

    await eventually(restarted, timeout_s=5)
    assert (counts, other) == ([1, 2, 3], 1)


def test_settings_survive_their_text_form() -> None:
    settings = ChatSettings(
        reading_mode=ReadingMode.ORIGINAL, output=OutputPreference.MESSAGE, auto_unroll=True
    )
    assert settings_from_hash(settings_to_hash(settings)) == settings


def test_unknown_stored_settings_keep_their_defaults() -> None:
    """A value written by another version of the bot must not break the chat."""
    stored = {"reading_mode": "posts", "output": "page", "auto_unroll": "1", "gone": "x"}
    assert settings_from_hash(stored) == ChatSettings(
        output=OutputPreference.PAGE, auto_unroll=True
    )


async def test_the_first_claim_of_an_answer_wins(backend: Backend) -> None:
    """Two answers planned at the same moment must agree on one; the other points to it."""
    store = backend.store()
    first = await store.claim_answer(-5, "x:x.com:1", "100", ttl_s=60)
    second = await store.claim_answer(-5, "x:x.com:1", "101", ttl_s=60)
    assert (first, second, await store.find_answer(-5, "x:x.com:1")) == ("100", "100", "100")


async def test_the_first_claim_of_a_value_wins(backend: Backend) -> None:
    """The answer and the placeholder timer race for one decision; both learn the winner."""
    store = backend.store()
    first = await store.claim_value("placeholder:r1", "answered", ttl_s=60)
    second = await store.claim_value("placeholder:r1", "sending", ttl_s=60)
    assert (first, second, await store.get_value("placeholder:r1")) == (
        "answered",
        "answered",
        "answered",
    )
