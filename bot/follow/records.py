"""Who follows which thread, and when each thread is checked next: memory and Redis.

Adapter layer. A thread's followers are one record per chat (a chat following a thread again,
from another answer, moves its follow there); each followed thread has one due time in a sorted
set, and each chat a set of the threads it follows, whose size is held to a cap. Every change
that touches more than one of these is atomic (a Lua script on Redis), so any number of
listener and worker processes can follow, unfollow and check at once. Times come from Redis'
clock, never from a host's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, cast

from redis.asyncio import Redis

from bot.cleaning import ReadingMode
from bot.codec import decode, encode
from bot.keyspace import Keys, load_script
from bot.request import AnswerStyle, Destination, OutputPreference


@dataclass(frozen=True, slots=True)
class Follower:
    """One chat's follow of a thread: the answer message to keep up to date, and how."""

    user_id: int  # who pressed Follow: in groups only they or an admin may unfollow
    destination: Destination
    chat_id: int | None = None
    message_id: int | None = None
    thread_id: int | None = None  # forum topic
    inline_message_id: str | None = None
    reading_mode: ReadingMode = ReadingMode.REFLOW
    output: OutputPreference = OutputPreference.AUTO
    style: AnswerStyle = AnswerStyle.RICH
    language: str = "en"  # the catalog the follow was made in: its updates speak it

    @property
    def scope(self) -> str:
        """Return whose cap the follow counts against: the chat, or for inline answers the user.

        An inline message lives in a chat the bot may not know, so its presser is its owner.
        """
        return str(self.chat_id) if self.chat_id is not None else f"u{self.user_id}"

    def is_of_message(self, message_id: int | None, inline_message_id: str | None) -> bool:
        """Tell whether this follow keeps that very message up to date."""
        if inline_message_id is not None:
            return self.inline_message_id == inline_message_id
        return message_id is not None and self.message_id == message_id


class FollowOutcome(StrEnum):
    """What `follow` did."""

    FOLLOWED = "followed"
    MOVED = "moved"  # the chat already followed the thread; now through this message
    FULL = "full"  # the chat follows as many threads as it may


@dataclass(frozen=True, slots=True)
class FollowState:
    """What the last check of a followed thread left behind."""

    snapshot: str | None  # `changes.snapshot_of` the last thread seen; None before the first
    interval_s: float
    idle_s: float  # since it was followed or last changed


class FollowStore(Protocol):
    """Follows and due times, shared by every process."""

    async def follow(
        self,
        key: str,
        follower: Follower,
        *,
        max_per_chat: int,
        first_check_s: float,
        snapshot: str | None,
    ) -> FollowOutcome:
        """Add the chat's follow of `key` (or move it to this message) unless at the cap.

        A thread followed for the first time gets `snapshot` as the thread its followers were
        shown, and its first check `first_check_s` from now; without a snapshot the first check
        is due at once, so it joins (or follows closely) the fetch that answers the follower.
        """
        ...

    async def unfollow(self, key: str, scope: str) -> Follower | None:
        """End the chat's follow of `key`; return it, None when there was none."""
        ...

    async def follower(self, key: str, scope: str) -> Follower | None:
        """Return the chat's follow of `key`, if any."""
        ...

    async def followers(self, key: str) -> list[Follower]:
        """Return every follow of `key`, in no particular order."""
        ...

    async def following(self, scope: str) -> list[str]:
        """Return the thread keys the chat follows, sorted."""
        ...

    async def claim_due(self, *, limit: int, lease_s: float) -> list[str]:
        """Take up to `limit` threads whose check is due and hold them for `lease_s`.

        Atomic: a thread taken here is not handed out again before its check reschedules it,
        or before the lease runs out (the process running its check died).
        """
        ...

    async def state(self, key: str) -> FollowState | None:
        """Return the thread's check state, None when nobody follows it."""
        ...

    async def reschedule(
        self, key: str, *, snapshot: str, interval_s: float, due_in_s: float, changed: bool
    ) -> None:
        """Record a check of `key` and set its next one `due_in_s` from now (if still followed).

        An empty `snapshot` records none (a first check that failed).
        """
        ...

    async def end(self, key: str) -> list[Follower]:
        """End every follow of `key` at once; return the followers it had."""
        ...

    async def counts(self) -> tuple[int, int]:
        """Return how many threads are followed and how many follows there are in all."""
        ...


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisFollowStore:
    """Follows on Redis, shared by every process using `prefix`."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._follow = load_script(redis, "follow")
        self._unfollow = load_script(redis, "unfollow")
        self._end = load_script(redis, "end_follow")
        self._claim = load_script(redis, "claim_due")
        self._reschedule = load_script(redis, "reschedule")

    def _thread_keys(self, key: str, scope: str) -> list[str]:
        keys = self._keys
        return [
            keys.follow_followers(key),
            keys.follow_chat(scope),
            keys.follow_thread(key),
            keys.follow_due,
            keys.follow_count,
        ]

    async def follow(
        self,
        key: str,
        follower: Follower,
        *,
        max_per_chat: int,
        first_check_s: float,
        snapshot: str | None,
    ) -> FollowOutcome:
        """Add the chat's follow of `key` (or move it to this message) unless at the cap."""
        outcome = await self._follow(
            keys=self._thread_keys(key, follower.scope),
            args=[key, follower.scope, encode(follower), max_per_chat, _ms(first_check_s),
                  snapshot or ""],
        )  # fmt: skip
        return FollowOutcome(cast(bytes, outcome).decode())

    async def unfollow(self, key: str, scope: str) -> Follower | None:
        """End the chat's follow of `key`; return it, None when there was none."""
        record = await self._unfollow(keys=self._thread_keys(key, scope), args=[key, scope])
        return decode(Follower, record) if isinstance(record, bytes) else None

    async def follower(self, key: str, scope: str) -> Follower | None:
        """Return the chat's follow of `key`, if any."""
        record = await self._redis.hget(self._keys.follow_followers(key), scope)
        return decode(Follower, record) if isinstance(record, bytes) else None

    async def followers(self, key: str) -> list[Follower]:
        """Return every follow of `key`."""
        records = await self._redis.hvals(self._keys.follow_followers(key))
        return [decode(Follower, cast(bytes, record)) for record in records]

    async def following(self, scope: str) -> list[str]:
        """Return the thread keys the chat follows, sorted."""
        members = await self._redis.smembers(self._keys.follow_chat(scope))
        return sorted(cast(bytes, member).decode() for member in members)

    async def claim_due(self, *, limit: int, lease_s: float) -> list[str]:
        """Take up to `limit` due threads and hold them for `lease_s`."""
        due = await self._claim(keys=[self._keys.follow_due], args=[limit, _ms(lease_s)])
        return [cast(bytes, key).decode() for key in due]

    async def state(self, key: str) -> FollowState | None:
        """Return the thread's check state, None when nobody follows it."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hmget(self._keys.follow_thread(key), ["snapshot", "interval_ms", "changed_ms"])
            pipe.time()
            (snapshot, interval_ms, changed_ms), (seconds, micros) = await pipe.execute()
        if interval_ms is None or changed_ms is None:
            return None
        now_ms = seconds * 1000 + micros // 1000
        return FollowState(
            snapshot=snapshot.decode() if snapshot else None,
            interval_s=int(interval_ms) / 1000,
            idle_s=(now_ms - int(changed_ms)) / 1000,
        )

    async def reschedule(
        self, key: str, *, snapshot: str, interval_s: float, due_in_s: float, changed: bool
    ) -> None:
        """Record a check of `key` and set its next one `due_in_s` from now (if still followed)."""
        await self._reschedule(
            keys=[self._keys.follow_thread(key), self._keys.follow_due],
            args=[key, snapshot, _ms(interval_s), _ms(due_in_s), "1" if changed else "0"],
        )

    async def end(self, key: str) -> list[Follower]:
        """End every follow of `key` at once; return the followers it had."""
        keys = self._keys
        records = await self._end(
            keys=[keys.follow_followers(key), keys.follow_thread(key), keys.follow_due,
                  keys.follow_count],
            args=[key, keys.follow_chat_prefix],
        )  # fmt: skip
        return [decode(Follower, record) for record in records]

    async def counts(self) -> tuple[int, int]:
        """Return how many threads are followed and how many follows there are in all."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(self._keys.follow_due)
            pipe.get(self._keys.follow_count)
            threads, follows = await pipe.execute()
        return int(threads), int(follows or 0)


@dataclass
class _Thread:
    followers: dict[str, Follower] = field(default_factory=dict)
    snapshot: str | None = None
    interval_s: float = 0.0
    changed_at: float = 0.0


class MemoryFollowStore:
    """Follows for one process (REDIS_URL unset); `clock` is injectable for tests."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._threads: dict[str, _Thread] = {}
        self._due: dict[str, float] = {}
        self._chats: dict[str, set[str]] = {}

    async def follow(
        self,
        key: str,
        follower: Follower,
        *,
        max_per_chat: int,
        first_check_s: float,
        snapshot: str | None,
    ) -> FollowOutcome:
        """Add the chat's follow of `key` (or move it to this message) unless at the cap."""
        chat = self._chats.setdefault(follower.scope, set())
        thread = self._threads.get(key)
        already = thread is not None and follower.scope in thread.followers
        if not already and len(chat) >= max_per_chat:
            return FollowOutcome.FULL
        if thread is None:
            thread = _Thread(snapshot=snapshot or None, interval_s=first_check_s)
            thread.changed_at = self._clock()
            self._threads[key] = thread
            self._due[key] = self._clock() + (first_check_s if snapshot else 0.0)
        thread.followers[follower.scope] = follower
        chat.add(key)
        return FollowOutcome.MOVED if already else FollowOutcome.FOLLOWED

    async def unfollow(self, key: str, scope: str) -> Follower | None:
        """End the chat's follow of `key`; return it, None when there was none."""
        thread = self._threads.get(key)
        if thread is None or scope not in thread.followers:
            return None
        follower = thread.followers.pop(scope)
        self._chats.get(scope, set()).discard(key)
        if not thread.followers:
            del self._threads[key]
            self._due.pop(key, None)
        return follower

    async def follower(self, key: str, scope: str) -> Follower | None:
        """Return the chat's follow of `key`, if any."""
        thread = self._threads.get(key)
        return thread.followers.get(scope) if thread is not None else None

    async def followers(self, key: str) -> list[Follower]:
        """Return every follow of `key`."""
        thread = self._threads.get(key)
        return list(thread.followers.values()) if thread is not None else []

    async def following(self, scope: str) -> list[str]:
        """Return the thread keys the chat follows, sorted."""
        return sorted(self._chats.get(scope, set()))

    async def claim_due(self, *, limit: int, lease_s: float) -> list[str]:
        """Take up to `limit` due threads and hold them for `lease_s`."""
        now = self._clock()
        due = sorted((at, key) for key, at in self._due.items() if at <= now)[:limit]
        for _at, key in due:
            self._due[key] = now + lease_s
        return [key for _at, key in due]

    async def state(self, key: str) -> FollowState | None:
        """Return the thread's check state, None when nobody follows it."""
        thread = self._threads.get(key)
        if thread is None:
            return None
        idle_s = self._clock() - thread.changed_at
        return FollowState(thread.snapshot, thread.interval_s, idle_s)

    async def reschedule(
        self, key: str, *, snapshot: str, interval_s: float, due_in_s: float, changed: bool
    ) -> None:
        """Record a check of `key` and set its next one `due_in_s` from now (if still followed)."""
        thread = self._threads.get(key)
        if thread is None:
            return
        thread.snapshot, thread.interval_s = snapshot or None, interval_s  # "" is no snapshot
        if changed:
            thread.changed_at = self._clock()
        self._due[key] = self._clock() + due_in_s

    async def end(self, key: str) -> list[Follower]:
        """End every follow of `key` at once; return the followers it had."""
        thread = self._threads.pop(key, None)
        self._due.pop(key, None)
        if thread is None:
            return []
        for scope in thread.followers:
            self._chats.get(scope, set()).discard(key)
        return list(thread.followers.values())

    async def counts(self) -> tuple[int, int]:
        """Return how many threads are followed and how many follows there are in all."""
        return len(self._threads), sum(len(t.followers) for t in self._threads.values())
