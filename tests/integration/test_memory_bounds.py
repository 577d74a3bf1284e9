"""The in-process backends forget what Redis would expire, so a months-long run stays bounded.

Each memory class takes a clock; the tests use many chats, move the clock past every TTL and
check that nothing is held any more (after the scheduler's prune chore, or by writes alone).
"""

from __future__ import annotations

from bot.limiter import MemorySendLimiter
from bot.queue.memory import MemoryJobQueue
from bot.request import OutputPreference
from bot.store import ChatSettings, MemoryChatStore

CHATS = 5_000
DAY_S = 86_400.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _use_store(store: MemoryChatStore, chat: int) -> None:
    await store.remember_answer(chat, f"x:x.com:{chat}", "https://t.me/c/1/2", ttl_s=3600)
    await store.take_quota(chat, limit=20, window_s=60)
    await store.try_lock(f"chore-{chat}", ttl_s=5)
    await store.heartbeat(f"worker-{chat}", ttl_s=6)
    await store.set_value(f"page:{chat}", "https://telegra.ph/p", ttl_s=3600)


async def test_store_forgets_every_chat_after_the_ttls() -> None:
    clock = Clock()
    store = MemoryChatStore(clock=clock)
    for chat in range(CHATS):
        await _use_store(store, chat)
    clock.now += DAY_S
    store.prune_expired()
    assert store.held_entries() == 0


async def test_store_forgets_settings_set_back_to_the_defaults() -> None:
    store = MemoryChatStore()
    await store.set_settings(1, ChatSettings(output=OutputPreference.PAGE))
    await store.set_settings(1, ChatSettings())
    assert store.held_entries() == 0


async def test_store_stays_bounded_by_writes_alone() -> None:
    """A chat every 10 s for 14 simulated hours: held entries stay near the live ones.

    Answers and values live an hour, so 360 of each are alive at any time; quotas, locks and
    heartbeats are dead before the next chat comes.
    """
    live = 2 * 360
    clock = Clock()
    store = MemoryChatStore(clock=clock)
    most = 0
    for chat in range(CHATS):
        clock.now += 10.0  # each chat's entries are dead long before the next write
        await _use_store(store, chat)
        most = max(most, store.held_entries())
    assert most <= 2 * live + 5 * 64


async def test_limiter_forgets_every_chat_once_its_bucket_is_full() -> None:
    clock = Clock()
    limiter = MemorySendLimiter(global_per_s=1e6, clock=clock)
    for chat in range(CHATS):
        await limiter.try_acquire(chat, is_group=chat % 2 == 0)
        await limiter.pause(30, chat_id=chat)
    clock.now += 3600
    limiter.prune_expired()
    assert limiter.held_entries() == 0


async def test_queue_forgets_finished_jobs_after_their_cache_ttl() -> None:
    clock = Clock()
    queue = MemoryJobQueue(clock=clock)
    for chat in range(CHATS):
        await queue.submit(f"x:x.com:{chat}", b"r")
    for job in await queue.claim("w", count=CHATS, block_s=0):
        await queue.finish(job, b"result", ttl_s=3600)
        await queue.ack(job)
    clock.now += DAY_S
    queue.prune_expired()
    assert queue.held_entries() == 0
