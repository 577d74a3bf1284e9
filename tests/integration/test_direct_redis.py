"""DirectRedis on a real Redis: the same replies and errors as redis-py, on kept connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import NoScriptError, ResponseError

from bot.keyspace import connect
from bot.keyspace.direct import MAX_DIRECT_CONNECTIONS, DirectRedis
from tests.conftest import RedisServer

# Busy for about 0.1 s: Redis runs nothing else meanwhile, so a reply to a command cancelled
# while it waits is still on its way when the next command is sent.
_SLOW_SCRIPT = """
local started = redis.call('TIME')
repeat
    local now = redis.call('TIME')
until (now[1] - started[1]) * 1000000 + (now[2] - started[2]) > 100000
return 'late'
"""


@pytest.fixture
async def clients(
    redis_server: RedisServer, key_prefix: str
) -> AsyncIterator[tuple[Redis, Redis]]:
    """Our client and a plain redis-py one on the same server, and the test's key prefix."""
    direct, plain = connect(redis_server.url), Redis.from_url(redis_server.url)
    yield direct, plain
    await plain.delete(*[name async for name in plain.scan_iter(match=f"{key_prefix}*")] or ["-"])
    await direct.aclose()
    await plain.aclose()


async def _replies(client: Redis, prefix: str) -> list[object]:
    """Send every direct command in the ways the bot does; return replies and error types."""
    script = client.register_script("return {KEYS[1], ARGV[1], redis.call('GET', KEYS[1])}")
    replies: list[object] = [
        await client.get(f"{prefix}absent"),
        await client.set(f"{prefix}k", b"v", ex=60),
        await client.set(f"{prefix}k", b"w", nx=True),
        await client.set(f"{prefix}k", b"x", get=True),
        await client.get(f"{prefix}k"),
        await client.hset(f"{prefix}h", mapping={"a": "1", "b": "2"}),
        await client.hgetall(f"{prefix}h"),
        await script(keys=[f"{prefix}k"], args=["arg"]),
    ]
    for failing in (
        client.evalsha("0" * 40, 0),
        client.get(f"{prefix}h"),  # WRONGTYPE
    ):
        try:
            await failing
        except ResponseError as error:
            replies.append(type(error))
    return replies


async def test_direct_commands_answer_as_redis_py_does(
    clients: tuple[Redis, Redis], key_prefix: str
) -> None:
    direct, plain = clients

    def expected(prefix: str) -> list[object]:
        key = f"{prefix}k".encode()
        hash_ = {b"a": b"1", b"b": b"2"}
        return [
            None,
            True,
            None,
            b"v",
            b"x",
            2,
            hash_,
            [key, b"arg", b"x"],
            NoScriptError,
            ResponseError,
        ]

    assert await _replies(plain, f"{key_prefix}plain:") == expected(f"{key_prefix}plain:")
    assert await _replies(direct, f"{key_prefix}direct:") == expected(f"{key_prefix}direct:")


async def test_direct_commands_skip_the_pool(
    clients: tuple[Redis, Redis], key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What spares the pool's bookkeeping: simple commands never go through it."""
    direct, _plain = clients
    await direct.get(f"{key_prefix}warm")  # the pool lends the connection once
    through_pool: list[object] = []
    original = Redis.execute_command

    async def counting(self: Redis, *args: object, **options: object) -> object:
        through_pool.append(args[0])
        return await original(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counting)
    for _ in range(5):
        await direct.set(f"{key_prefix}k", b"v")
        await direct.get(f"{key_prefix}k")
    await direct.exists(f"{key_prefix}k")  # not a direct command
    assert through_pool == ["EXISTS"]


async def test_a_dropped_connection_is_sent_again_through_the_pool(
    clients: tuple[Redis, Redis], key_prefix: str
) -> None:
    """Redis closed the kept connection (a restart, a kill): the command still gets through."""
    direct, plain = clients
    await direct.set(f"{key_prefix}k", b"v")
    await plain.client_kill_filter(_type="normal", skipme=True)  # every client but this one
    assert await direct.get(f"{key_prefix}k") == b"v"


async def test_a_cancelled_command_leaves_no_reply_behind(
    clients: tuple[Redis, Redis], key_prefix: str
) -> None:
    """The reply of a command cancelled mid-way must not be read as the next command's."""
    direct, _plain = clients
    await direct.set(f"{key_prefix}k", b"v")
    slow = asyncio.create_task(direct.register_script(_SLOW_SCRIPT)(keys=[], args=[]))
    await asyncio.sleep(0.03)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert [await direct.get(f"{key_prefix}k") for _ in range(3)] == [b"v"] * 3


async def test_commands_beyond_the_kept_connections_go_through_the_pool(
    clients: tuple[Redis, Redis], key_prefix: str
) -> None:
    direct, _plain = clients
    assert isinstance(direct, DirectRedis)
    keys = [f"{key_prefix}{i}" for i in range(3 * MAX_DIRECT_CONNECTIONS)]
    await asyncio.gather(*(direct.set(key, key) for key in keys))
    replies = await asyncio.gather(*(direct.get(key) for key in keys))
    assert replies == [key.encode() for key in keys]
    assert len(direct._spare) == MAX_DIRECT_CONNECTIONS


async def test_closing_gives_the_kept_connections_back(redis_server: RedisServer) -> None:
    plain = Redis.from_url(redis_server.url)
    before = (await plain.info("clients"))["connected_clients"]
    direct = connect(redis_server.url)
    await asyncio.gather(*(direct.get("unroll-test:absent") for _ in range(4)))
    await direct.aclose()
    await asyncio.sleep(0.05)  # Redis notices closed sockets on its next event-loop turn
    after = (await plain.info("clients"))["connected_clients"]
    await plain.aclose()
    assert after == before
