"""Per-chat and per-process state beside the queue: settings, answers, quotas, locks, heartbeats.

Adapter layer. `RedisChatStore` shares the state between processes; `MemoryChatStore` keeps it
in one process (REDIS_URL unset) and behaves the same. Times that several processes compare
(locks, heartbeats, quotas) come from Redis' clock, never from a host's.
"""

from __future__ import annotations

import contextlib
import time
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Protocol, cast

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT, FieldT

from bot.cleaning import ReadingMode
from bot.expiring import NEVER, ExpiringMap
from bot.keyspace import Keys, load_script
from bot.limiter import Rate, gcra, run_gcra
from bot.request import AnswerStyle, OutputPreference


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """How the bot answers in one chat; each field is an enum or a flag, with its default."""

    reading_mode: ReadingMode = ReadingMode.REFLOW
    output: OutputPreference = OutputPreference.AUTO
    style: AnswerStyle = AnswerStyle.RICH
    auto_unroll: bool = False
    following: bool = True  # groups: members may follow threads (the Follow button)
    language: str = ""  # a catalog name (`bot.i18n.catalogs`); "" answers each asker in theirs


_SETTING_TYPES: dict[str, type] = {
    field.name: typing.get_type_hints(ChatSettings)[field.name] for field in fields(ChatSettings)
}
"""Each setting's type, read from ChatSettings: a new setting needs no code in the stores."""


class ChatSettingsStore(Protocol):
    """Each chat's /settings."""

    async def get_settings(self, chat_id: int) -> ChatSettings:
        """Return the chat's settings, defaults where none were set."""
        ...

    async def set_settings(self, chat_id: int, settings: ChatSettings) -> None:
        """Store the chat's settings until changed."""
        ...


class AnswerMemory(Protocol):
    """Which message answered a thread in a chat, to point repeats at it."""

    async def remember_answer(self, chat_id: int, key: str, link: str, *, ttl_s: int) -> None:
        """Remember where the chat got the thread's answer, to say "already unrolled"."""
        ...

    async def find_answer(self, chat_id: int, key: str) -> str | None:
        """Return the link remembered for the thread in this chat, if still fresh."""
        ...

    async def claim_answer(self, chat_id: int, key: str, link: str, *, ttl_s: int) -> str:
        """Remember `link` as the thread's answer unless one is remembered; return the one
        that is, at once for every process, so two answers at the same moment agree on one."""
        ...


class QuotaStore(Protocol):
    """How fast each user may ask."""

    async def take_quota(self, user_id: int, *, limit: int, window_s: int) -> bool:
        """Spend one of the user's `limit` requests per `window_s`; False when none is left.

        The allowance refills smoothly (one request every `window_s / limit`), so a user who
        spent it all at once waits for one slot, not for a whole window.
        """
        ...


class ValueStore(Protocol):
    """Small named values: the Telegraph token, published pages, button digests."""

    async def get_value(self, name: str) -> str | None:
        """Return a small value, if set and not expired."""
        ...

    async def set_value(self, name: str, value: str, *, ttl_s: int | None = None) -> None:
        """Store a small value, for good or for `ttl_s` seconds."""
        ...

    async def claim_value(self, name: str, value: str, *, ttl_s: int) -> str:
        """Store `value` unless a value is stored, atomically; return the one that is.

        Two processes racing for one decision (answer now, or show a placeholder first) both
        learn the winner's value.
        """
        ...

    async def swap_value(self, name: str, value: str, *, ttl_s: int) -> str | None:
        """Store `value` and return the one it replaced, atomically (SET GET)."""
        ...

    async def count_value(self, name: str, *, ttl_s: int) -> int:
        """Add one to a count (from 0), atomically; return the new count. The count lapses
        `ttl_s` after it was started, however often it is added to.

        Processes sharing one budget (a job's progress edits, whoever holds the job) each
        learn how much of it is spent, their own additions included.
        """
        ...


class Coordination(Protocol):
    """What processes tell each other: chore locks, worker heartbeats, reachability."""

    async def try_lock(self, name: str, *, ttl_s: float) -> bool:
        """Take the lock for `ttl_s` unless another process holds it; it lapses by itself.

        Makes a scheduler chore run once per `ttl_s` across all processes.
        """
        ...

    async def heartbeat(self, consumer: str, *, ttl_s: float) -> None:
        """Say that `consumer` is alive for the next `ttl_s`."""
        ...

    async def alive_workers(self) -> list[str]:
        """Return the consumers whose last heartbeat has not run out, sorted."""
        ...

    async def ping(self) -> bool:
        """Return whether the store answers (for /healthz)."""
        ...


class ChatStore(ChatSettingsStore, AnswerMemory, QuotaStore, ValueStore, Coordination, Protocol):
    """The whole store, as wiring builds it; each part of the bot asks only for its concern."""


def _quota_rate(limit: int, window_s: int) -> Rate:
    return Rate(interval_s=window_s / limit, burst=limit)


class RedisChatStore:
    """The chat store on Redis, shared by every process using `prefix`."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._gcra = load_script(redis, "gcra")

    async def get_settings(self, chat_id: int) -> ChatSettings:
        """Return the chat's settings, defaults where none were set."""
        raw = cast(
            dict[bytes, bytes], await self._redis.hgetall(self._keys.chat_settings(chat_id))
        )
        return settings_from_hash({name.decode(): value.decode() for name, value in raw.items()})

    async def set_settings(self, chat_id: int, settings: ChatSettings) -> None:
        """Store the chat's settings until changed."""
        mapping: dict[FieldT, EncodableT] = {}
        mapping.update(settings_to_hash(settings))
        await self._redis.hset(self._keys.chat_settings(chat_id), mapping=mapping)

    async def remember_answer(self, chat_id: int, key: str, link: str, *, ttl_s: int) -> None:
        """Remember where the chat got the thread's answer, for `ttl_s`."""
        await self._redis.set(self._keys.answer(chat_id, key), link, ex=ttl_s)

    async def find_answer(self, chat_id: int, key: str) -> str | None:
        """Return the link remembered for the thread in this chat, if still fresh."""
        return _text(await self._redis.get(self._keys.answer(chat_id, key)))

    async def claim_answer(self, chat_id: int, key: str, link: str, *, ttl_s: int) -> str:
        """Remember `link` unless an answer is remembered (SET NX GET); return the one that is."""
        earlier = await self._redis.set(
            self._keys.answer(chat_id, key), link, ex=ttl_s, nx=True, get=True
        )
        return _text(earlier) or link

    async def take_quota(self, user_id: int, *, limit: int, window_s: int) -> bool:
        """Spend one of the user's `limit` requests per `window_s`; False when none is left."""
        bucket = [(self._keys.quota(user_id), _quota_rate(limit, window_s))]
        return await run_gcra(self._gcra, bucket, pauses=[]) == 0

    async def try_lock(self, name: str, *, ttl_s: float) -> bool:
        """Take the lock for `ttl_s` unless another process holds it."""
        taken = await self._redis.set(self._keys.lock(name), 1, px=_ms(ttl_s), nx=True)
        return bool(taken)

    async def heartbeat(self, consumer: str, *, ttl_s: float) -> None:
        """Say that `consumer` is alive for the next `ttl_s`, and forget the silent ones."""
        now_ms = await self._now_ms()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self._keys.workers, {consumer: now_ms + _ms(ttl_s)})
            pipe.zremrangebyscore(self._keys.workers, "-inf", now_ms)
            await pipe.execute()

    async def alive_workers(self) -> list[str]:
        """Return the consumers whose last heartbeat has not run out, sorted."""
        now_ms = await self._now_ms()
        names = await self._redis.zrangebyscore(self._keys.workers, f"({now_ms}", "+inf")
        return sorted(cast(bytes, name).decode() for name in names)

    async def ping(self) -> bool:
        """Return whether Redis answers."""
        try:
            return bool(await self._redis.ping())
        except (RedisConnectionError, RedisTimeoutError):
            return False

    async def get_value(self, name: str) -> str | None:
        """Return a small persistent value."""
        return _text(await self._redis.get(self._keys.value(name)))

    async def set_value(self, name: str, value: str, *, ttl_s: int | None = None) -> None:
        """Store a small value, for good or for `ttl_s` seconds."""
        await self._redis.set(self._keys.value(name), value, ex=ttl_s)

    async def claim_value(self, name: str, value: str, *, ttl_s: int) -> str:
        """Store `value` unless one is stored (SET NX GET); return the one that is."""
        earlier = await self._redis.set(self._keys.value(name), value, ex=ttl_s, nx=True, get=True)
        return _text(earlier) or value

    async def swap_value(self, name: str, value: str, *, ttl_s: int) -> str | None:
        """Store `value` and return the one it replaced (SET GET)."""
        return _text(await self._redis.set(self._keys.value(name), value, ex=ttl_s, get=True))

    async def count_value(self, name: str, *, ttl_s: int) -> int:
        """Add one to a count (SET NX EX starts it with its TTL, INCR keeps that TTL; one
        transaction)."""
        key = self._keys.value(name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=ttl_s, nx=True)
            pipe.incr(key)
            _, count = await pipe.execute()
        return int(count)

    async def _now_ms(self) -> int:
        seconds, micros = await self._redis.time()
        return seconds * 1000 + micros // 1000


def settings_to_hash(settings: ChatSettings) -> dict[str, str]:
    """Write each setting as text: an enum as its value, a flag as "1" or "0"."""
    return {
        name: ("1" if value else "0") if isinstance(value, bool) else str(value)
        for name, value in ((name, getattr(settings, name)) for name in _SETTING_TYPES)
    }


def settings_from_hash(stored: Mapping[str, str]) -> ChatSettings:
    """Read what `settings_to_hash` wrote; a missing or unknown value keeps its default."""
    values: dict[str, Any] = {}
    for name, kind in _SETTING_TYPES.items():
        text = stored.get(name)
        if text is None:
            continue
        if kind is bool:
            values[name] = text == "1"
        else:
            with contextlib.suppress(ValueError):
                values[name] = kind(text)
    return replace(ChatSettings(), **values)


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _text(raw: object) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else None


class MemoryChatStore:
    """The chat store for one process (REDIS_URL unset); `clock` is injectable for tests.

    Every entry expires as its Redis key would: answers and values after their TTL, quotas once
    the user's allowance is full again, locks and heartbeats when they run out. Settings have
    no TTL, as in Redis; setting a chat back to the defaults forgets it.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._settings: dict[int, ChatSettings] = {}
        self._answers: ExpiringMap[tuple[int, str], str] = ExpiringMap(clock)
        self._quota_tats: ExpiringMap[int, float] = ExpiringMap(clock)
        self._locks: ExpiringMap[str, float] = ExpiringMap(clock)
        self._heartbeats: ExpiringMap[str, float] = ExpiringMap(clock)
        self._values: ExpiringMap[str, str] = ExpiringMap(clock)
        self._counts: ExpiringMap[str, tuple[int, float]] = ExpiringMap(clock)  # and when due

    async def get_settings(self, chat_id: int) -> ChatSettings:
        """Return the chat's settings, defaults where none were set."""
        return self._settings.get(chat_id, ChatSettings())

    async def set_settings(self, chat_id: int, settings: ChatSettings) -> None:
        """Store the chat's settings until changed."""
        if settings == ChatSettings():
            self._settings.pop(chat_id, None)
        else:
            self._settings[chat_id] = settings

    async def remember_answer(self, chat_id: int, key: str, link: str, *, ttl_s: int) -> None:
        """Remember where the chat got the thread's answer, for `ttl_s`."""
        self._answers.set((chat_id, key), link, expires_at=self._clock() + ttl_s)

    async def find_answer(self, chat_id: int, key: str) -> str | None:
        """Return the link remembered for the thread in this chat, if still fresh."""
        return self._answers.get((chat_id, key))

    async def claim_answer(self, chat_id: int, key: str, link: str, *, ttl_s: int) -> str:
        """Remember `link` unless an answer is remembered; return the one that is."""
        earlier = self._answers.get((chat_id, key))
        if earlier is not None:
            return earlier
        self._answers.set((chat_id, key), link, expires_at=self._clock() + ttl_s)
        return link

    async def take_quota(self, user_id: int, *, limit: int, window_s: int) -> bool:
        """Spend one of the user's `limit` requests per `window_s`; False when none is left."""
        now = self._clock()
        rate = _quota_rate(limit, window_s)
        stored = self._quota_tats.get(user_id)
        tat = now if stored is None else stored
        if gcra(tat, now, rate) > 0:
            return False
        # Once the TAT has passed, the allowance is full again: the entry is no longer needed.
        new_tat = max(tat, now) + rate.interval_s
        self._quota_tats.set(user_id, new_tat, expires_at=new_tat)
        return True

    async def try_lock(self, name: str, *, ttl_s: float) -> bool:
        """Take the lock for `ttl_s` unless it is held."""
        if self._locks.get(name) is not None:
            return False
        until = self._clock() + ttl_s
        self._locks.set(name, until, expires_at=until)
        return True

    async def heartbeat(self, consumer: str, *, ttl_s: float) -> None:
        """Say that `consumer` is alive for the next `ttl_s`."""
        until = self._clock() + ttl_s
        self._heartbeats.set(consumer, until, expires_at=until)

    async def alive_workers(self) -> list[str]:
        """Return the consumers whose last heartbeat has not run out, sorted."""
        return sorted(name for name, _until in self._heartbeats.items())

    async def ping(self) -> bool:
        """Return True: memory always answers."""
        return True

    async def get_value(self, name: str) -> str | None:
        """Return a small value (for the life of the process at most)."""
        return self._values.get(name)

    async def set_value(self, name: str, value: str, *, ttl_s: int | None = None) -> None:
        """Store a small value for the life of the process, or for `ttl_s` seconds."""
        expires_at = NEVER if ttl_s is None else self._clock() + ttl_s
        self._values.set(name, value, expires_at=expires_at)

    async def claim_value(self, name: str, value: str, *, ttl_s: int) -> str:
        """Store `value` unless one is stored; return the one that is."""
        earlier = self._values.get(name)
        if earlier is not None:
            return earlier
        self._values.set(name, value, expires_at=self._clock() + ttl_s)
        return value

    async def swap_value(self, name: str, value: str, *, ttl_s: int) -> str | None:
        """Store `value` and return the one it replaced."""
        earlier = self._values.get(name)
        self._values.set(name, value, expires_at=self._clock() + ttl_s)
        return earlier

    async def count_value(self, name: str, *, ttl_s: int) -> int:
        """Add one to a count; it lapses `ttl_s` after it was started."""
        count, expires_at = self._counts.get(name) or (0, self._clock() + ttl_s)
        self._counts.set(name, (count + 1, expires_at), expires_at=expires_at)
        return count + 1

    def prune_expired(self) -> int:
        """Drop every expired entry now (the scheduler's prune chore); return how many."""
        return sum(entries.prune() for entries in self._expiring())

    def held_entries(self) -> int:
        """Return how many per-chat and per-process entries are held, expired or not."""
        return len(self._settings) + sum(len(entries) for entries in self._expiring())

    def _expiring(self) -> tuple[ExpiringMap[Any, Any], ...]:
        return (
            self._answers,
            self._quota_tats,
            self._locks,
            self._heartbeats,
            self._values,
            self._counts,
        )
