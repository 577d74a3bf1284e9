"""The Telegram send limiter every process shares, through Redis (or in memory without it).

Adapter layer. Telegram's flood limits (https://core.telegram.org/bots/faq, "My bot is
hitting limits") hold per bot, not per process, so every send in every worker and listener
asks this limiter first: about 25 messages a second overall (headroom below ~30), 1 a second
per private chat with a small burst, 20 a minute per group. Buckets are GCRA, the generic cell
rate algorithm: a check returns how long to wait, and `acquire` sleeps exactly that long
before asking again. After a 429 the caller pauses a chat, or everything, for Telegram's
`retry_after`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from bot.expiring import ExpiringMap
from bot.keyspace import Keys, load_script

GLOBAL_BURST = 5
"""Sends allowed at once across all chats before the steady global rate applies."""

_ALL = "all"


@dataclass(frozen=True, slots=True)
class Rate:
    """A GCRA bucket: one admission per `interval_s` in the long run, `burst` at once."""

    interval_s: float
    burst: int


def gcra(tat: float, now: float, rate: Rate) -> float:
    """Return how long a send must wait for a bucket whose theoretical arrival time is `tat`.

    0 means admitted; the caller then stores `max(tat, now) + rate.interval_s` as the new TAT.
    """
    return max(0.0, max(tat, now) - rate.interval_s * (rate.burst - 1) - now)


class SendLimiter(Protocol):
    """Paces Telegram sends across every process of the bot."""

    async def acquire(self, chat_id: int | None, *, is_group: bool) -> None:
        """Wait until a send to `chat_id` is allowed (None: an inline edit, global pace only)."""
        ...

    async def try_acquire(self, chat_id: int | None, *, is_group: bool) -> float:
        """Take a send slot now and return 0, or take nothing and return seconds to wait."""
        ...

    async def pause(self, seconds: float, *, chat_id: int | None = None) -> None:
        """Hold sends to `chat_id` (None: every chat) for `seconds`, after a Telegram 429."""
        ...


class _PacedLimiter:
    """What both backends share: which buckets a send passes, and waiting for a slot."""

    def __init__(
        self,
        *,
        global_per_s: float = 25,
        private_per_s: float = 1,
        private_burst: int = 3,
        group_per_min: float = 20,
    ) -> None:
        self._global = Rate(1 / global_per_s, GLOBAL_BURST)
        self._private = Rate(1 / private_per_s, private_burst)
        # Groups get the same small burst as private chats, then 20 a minute.
        self._group = Rate(60 / group_per_min, private_burst)

    async def acquire(self, chat_id: int | None, *, is_group: bool) -> None:
        """Wait until a send to `chat_id` is allowed, sleeping exactly as long as told."""
        while True:
            wait_s = await self.try_acquire(chat_id, is_group=is_group)
            if wait_s <= 0:
                return
            await asyncio.sleep(wait_s)

    async def try_acquire(self, chat_id: int | None, *, is_group: bool) -> float:
        """Take a send slot now and return 0, or take nothing and return seconds to wait."""
        raise NotImplementedError

    def _buckets(self, chat_id: int | None, *, is_group: bool) -> list[tuple[str, Rate]]:
        buckets = [(_ALL, self._global)]
        if chat_id is not None:
            buckets.append((str(chat_id), self._group if is_group else self._private))
        return buckets


class RedisSendLimiter(_PacedLimiter):
    """The send limiter on Redis: one GCRA script checks and charges every bucket at once."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        global_per_s: float = 25,
        private_per_s: float = 1,
        private_burst: int = 3,
        group_per_min: float = 20,
    ) -> None:
        super().__init__(
            global_per_s=global_per_s,
            private_per_s=private_per_s,
            private_burst=private_burst,
            group_per_min=group_per_min,
        )
        self._redis = redis
        self._keys = Keys(prefix)
        self._gcra = load_script(redis, "gcra")

    async def try_acquire(self, chat_id: int | None, *, is_group: bool) -> float:
        """Take a send slot now and return 0, or take nothing and return seconds to wait."""
        buckets = self._buckets(chat_id, is_group=is_group)
        named = [(self._keys.send_bucket(scope), rate) for scope, rate in buckets]
        pauses = [self._keys.send_pause(scope) for scope, _ in buckets]
        return await run_gcra(self._gcra, named, pauses=pauses)

    async def pause(self, seconds: float, *, chat_id: int | None = None) -> None:
        """Hold sends for `seconds`; a longer pause already in force is kept."""
        name = self._keys.send_pause(_ALL if chat_id is None else str(chat_id))
        pause_ms = max(1, int(seconds * 1000))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 1, px=pause_ms, nx=True)
            pipe.pexpire(name, pause_ms, gt=True)
            await pipe.execute()


async def run_gcra(
    script: AsyncScript, buckets: list[tuple[str, Rate]], *, pauses: list[str]
) -> float:
    """Check and charge GCRA buckets (key, rate) with gcra.lua; return seconds to wait.

    0 means admitted. Any pause key still alive makes the wait at least its remaining time.
    """
    names = [name for name, _ in buckets] + pauses
    args: list[float] = [len(buckets)]
    for _, rate in buckets:
        args += [round(rate.interval_s * 1_000_000), rate.burst]
    wait_us = await script(keys=names, args=args)
    return int(wait_us) / 1_000_000


class MemorySendLimiter(_PacedLimiter):
    """The send limiter for one process (REDIS_URL unset); `clock` is injectable for tests."""

    def __init__(
        self,
        *,
        global_per_s: float = 25,
        private_per_s: float = 1,
        private_burst: int = 3,
        group_per_min: float = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            global_per_s=global_per_s,
            private_per_s=private_per_s,
            private_burst=private_burst,
            group_per_min=group_per_min,
        )
        self._clock = clock
        # A bucket's entry expires when its TAT passes (the bucket is full again, as if new),
        # a pause's when it ends: the same moments the Redis keys expire.
        self._tats: ExpiringMap[str, float] = ExpiringMap(clock)
        self._paused_until: ExpiringMap[str, float] = ExpiringMap(clock)

    async def try_acquire(self, chat_id: int | None, *, is_group: bool) -> float:
        """Take a send slot now and return 0, or take nothing and return seconds to wait."""
        now = self._clock()
        buckets = self._buckets(chat_id, is_group=is_group)
        tats = {scope: self._tat(scope, now) for scope, _rate in buckets}
        waits = [gcra(tats[scope], now, rate) for scope, rate in buckets]
        waits += [(self._paused_until.get(scope) or now) - now for scope, _ in buckets]
        wait = max(waits)
        if wait > 0:
            return wait
        for scope, rate in buckets:
            new_tat = max(tats[scope], now) + rate.interval_s
            self._tats.set(scope, new_tat, expires_at=new_tat)
        return 0.0

    async def pause(self, seconds: float, *, chat_id: int | None = None) -> None:
        """Hold sends for `seconds`; a longer pause already in force is kept."""
        scope = _ALL if chat_id is None else str(chat_id)
        until = max(self._paused_until.get(scope) or 0.0, self._clock() + seconds)
        self._paused_until.set(scope, until, expires_at=until)

    def prune_expired(self) -> int:
        """Drop every expired bucket and pause now (the scheduler's prune chore)."""
        return self._tats.prune() + self._paused_until.prune()

    def held_entries(self) -> int:
        """Return how many buckets and pauses are held, expired or not."""
        return len(self._tats) + len(self._paused_until)

    def _tat(self, scope: str, now: float) -> float:
        stored = self._tats.get(scope)
        return now if stored is None else stored
