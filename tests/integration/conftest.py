"""The `backend` fixture: one behavioural suite for queue, store and limiter, run on both backends.

`memory` builds the in-process implementations; `redis` builds the Redis ones on the suite's
real redis-server under a key prefix unique to the test (no FLUSH*: the prefix's keys are
deleted afterwards). `own_redis_server` gives a test a redis-server of its own to stop and start.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from telegram import Bot

from bot.delivery import Sender
from bot.follow.records import FollowStore, MemoryFollowStore, RedisFollowStore
from bot.keyspace import connect
from bot.limiter import MemorySendLimiter, RedisSendLimiter, SendLimiter
from bot.queue import JobQueue
from bot.queue.memory import MemoryJobQueue
from bot.queue.redis_streams import RedisJobQueue
from bot.store import ChatStore, MemoryChatStore, RedisChatStore
from tests.conftest import RedisServer
from tests.fakes.server import free_port
from tests.fakes.telegram import FakeTelegram


@dataclass
class Backend:
    """Builds the queue, store and limiter of one backend for one test."""

    name: str
    prefix: str
    redis: Redis | None = None
    queues: list[JobQueue] = field(default_factory=list)
    memory_follows: MemoryFollowStore = field(default_factory=MemoryFollowStore)

    def queue(self, *, reclaim_idle_s: float = 5.0) -> JobQueue:
        """Return a queue; several built in one test share state, as processes would."""
        queue: JobQueue
        if self.redis is None:
            if not self.queues:
                self.queues.append(MemoryJobQueue(reclaim_idle_s=reclaim_idle_s))
            return self.queues[0]
        queue = RedisJobQueue(self.redis, prefix=self.prefix, reclaim_idle_s=reclaim_idle_s)
        self.queues.append(queue)
        return queue

    def store(self) -> ChatStore:
        """Return a chat store."""
        if self.redis is None:
            return MemoryChatStore()
        return RedisChatStore(self.redis, prefix=self.prefix)

    def follows(self) -> FollowStore:
        """Return a follow store; several built in one test share state, as processes would."""
        if self.redis is None:
            return self.memory_follows
        return RedisFollowStore(self.redis, prefix=self.prefix)

    def limiter(self, **knobs: Any) -> SendLimiter:
        """Return a send limiter with the given rates."""
        if self.redis is None:
            return MemorySendLimiter(**knobs)
        return RedisSendLimiter(self.redis, prefix=self.prefix, **knobs)


@pytest.fixture(params=["memory", "redis"])
async def backend(
    request: pytest.FixtureRequest, redis_server: RedisServer, key_prefix: str
) -> AsyncIterator[Backend]:
    """Each backend in turn, cleaned up after the test."""
    if request.param == "memory":
        yield Backend("memory", key_prefix)
        return
    redis = connect(redis_server.url)
    made = Backend("redis", key_prefix, redis)
    yield made
    for queue in made.queues:
        await queue.aclose()
    async for name in redis.scan_iter(match=f"{key_prefix}*"):
        await redis.delete(name)
    await redis.aclose()


@pytest.fixture
def own_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server with AOF for this test alone, so stopping it disturbs nobody."""
    directory = tmp_path / "redis"
    directory.mkdir()
    port = free_port()
    server = RedisServer(url=f"redis://127.0.0.1:{port}/0", port=port, directory=directory)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    """A fake Bot API server for the module's tests."""
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def sender(fake: FakeTelegram) -> AsyncIterator[Sender]:
    """A Sender on the fake with room for every send (its call log emptied first)."""
    fake.reset()
    async with Bot(fake.token, base_url=f"{fake.url}/bot") as bot:
        yield Sender(bot, MemorySendLimiter(global_per_s=1000, private_per_s=1000))
