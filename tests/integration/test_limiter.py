"""The send limiter's behaviour on both backends, and its exact pacing on a fake clock."""

from __future__ import annotations

import pytest

from bot.limiter import MemorySendLimiter, Rate, gcra
from tests.integration.conftest import Backend

CHAT = 42


@pytest.mark.parametrize(
    ("tat", "now", "rate", "wait"),
    [
        (0.0, 10.0, Rate(1.0, 3), 0.0),  # fresh bucket
        (12.0, 10.0, Rate(1.0, 3), 0.0),  # third send of a burst of 3
        (13.0, 10.0, Rate(1.0, 3), 1.0),  # fourth waits one interval
        (13.0, 10.5, Rate(1.0, 3), 0.5),
        (3.0, 0.0, Rate(3.0, 1), 3.0),  # group pace without burst
    ],
)
def test_gcra_wait(tat: float, now: float, rate: Rate, wait: float) -> None:
    assert gcra(tat, now, rate) == pytest.approx(wait)


async def test_private_chat_allows_burst(backend: Backend) -> None:
    limiter = backend.limiter()
    waits = [await limiter.try_acquire(CHAT, is_group=False) for _ in range(3)]
    assert waits == [0, 0, 0]


async def test_private_chat_waits_after_burst(backend: Backend) -> None:
    limiter = backend.limiter()
    for _ in range(3):
        await limiter.try_acquire(CHAT, is_group=False)
    assert 0 < await limiter.try_acquire(CHAT, is_group=False) <= 1.0


async def test_group_waits_a_twentieth_minute_after_burst(backend: Backend) -> None:
    limiter = backend.limiter()
    for _ in range(3):
        await limiter.try_acquire(-CHAT, is_group=True)
    assert 1.0 < await limiter.try_acquire(-CHAT, is_group=True) <= 3.0


async def test_chats_do_not_share_buckets(backend: Backend) -> None:
    limiter = backend.limiter()
    for _ in range(3):
        await limiter.try_acquire(CHAT, is_group=False)
    assert await limiter.try_acquire(CHAT + 1, is_group=False) == 0


async def test_global_rate_holds_across_chats(backend: Backend) -> None:
    limiter = backend.limiter(global_per_s=1)
    for chat in range(5):  # the global burst
        await limiter.try_acquire(chat, is_group=False)
    assert 0 < await limiter.try_acquire(99, is_group=False) <= 1.0


async def test_inline_edit_skips_chat_bucket(backend: Backend) -> None:
    limiter = backend.limiter()
    for _ in range(3):
        await limiter.try_acquire(CHAT, is_group=False)
    assert await limiter.try_acquire(None, is_group=False) == 0


async def test_refused_send_charges_nothing() -> None:
    """A send refused by the chat bucket must not use up the global allowance."""
    limiter = MemorySendLimiter(global_per_s=1, clock=lambda: 0.0)
    for _ in range(3):
        await limiter.try_acquire(CHAT, is_group=False)
    for _ in range(10):
        await limiter.try_acquire(CHAT, is_group=False)
    assert [await limiter.try_acquire(chat, is_group=False) for chat in (1, 2)] == [0, 0]


async def test_chat_pause_holds_that_chat(backend: Backend) -> None:
    limiter = backend.limiter()
    await limiter.pause(5, chat_id=CHAT)
    assert 4 < await limiter.try_acquire(CHAT, is_group=False) <= 5


async def test_chat_pause_spares_other_chats(backend: Backend) -> None:
    limiter = backend.limiter()
    await limiter.pause(5, chat_id=CHAT)
    assert await limiter.try_acquire(CHAT + 1, is_group=False) == 0


async def test_global_pause_holds_every_send(backend: Backend) -> None:
    limiter = backend.limiter()
    await limiter.pause(5)
    assert 4 < await limiter.try_acquire(None, is_group=False) <= 5


async def test_shorter_pause_keeps_longer_one(backend: Backend) -> None:
    limiter = backend.limiter()
    await limiter.pause(30, chat_id=CHAT)
    await limiter.pause(1, chat_id=CHAT)
    assert await limiter.try_acquire(CHAT, is_group=False) > 5


async def test_acquire_waits_out_the_pace(backend: Backend) -> None:
    # Half a second apart: the last check comes well within it, however loaded the machine.
    limiter = backend.limiter(private_per_s=2, private_burst=1)
    for _ in range(3):
        await limiter.acquire(CHAT, is_group=False)
    assert await limiter.try_acquire(CHAT, is_group=False) > 0


@pytest.mark.parametrize(
    ("is_group", "admitted"),
    # The burst at 0 s, then one per interval (1 s; 3 s in a group) until just before 60 s.
    [(False, 3 + 59), (True, 3 + 19)],
)
async def test_admissions_per_minute(is_group: bool, admitted: int) -> None:
    now = [0.0]
    limiter = MemorySendLimiter(clock=lambda: now[0])
    count = 0
    for tick in range(6000):  # a try every 10 ms for a minute
        now[0] = tick / 100
        count += await limiter.try_acquire(CHAT, is_group=is_group) == 0
    assert count == admitted
