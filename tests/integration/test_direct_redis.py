"""DirectRedis on a real Redis: the same replies and errors as redis-py, on kept connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import NoScriptError, ResponseError

from bot.keyspace import connect
from bot.keyspace.direct import MAX_DIRECT_CONNECTIONS, DirectRedis
from tests.conftest import RedisServer, eventually

# Counts its run, then keeps Redis busy for 0.3 s: a command cancelled meanwhile has been
# sent (it ran) and its reply is still on its way when the next command is sent.
_SLOW_SCRIPT = """
redis.call('INCR', KEYS[1])
local started = redis.call('TIME')
repeat
    local now = redis.call('TIME')
until (now[1] - started[1]) * 1000000 + (now[2] - started[2]) > 300000
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
    script = direct.register_script("return 1")
    await script(keys=[], args=[])  # loaded, and the pool has lent the connection
    through_pool: list[object] = []
    original = Redis.execute_command

    async def counting(self: Redis, *args: object, **options: object) -> object:
        through_pool.append(args[0])
        return await original(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counting)
    for _ in range(2 * MAX_DIRECT_CONNECTIONS):  # each one gives its connection back
        await direct.set(f"{key_prefix}k", b"v")
        await direct.get(f"{key_prefix}k")
        await direct.hgetall(f"{key_prefix}h")
        await script(keys=[], args=[])
    await direct.exists(f"{key_prefix}k")  # not a direct command
    assert through_pool == ["EXISTS"]


async def _kill_connections_named(plain: Redis, name: str) -> int:
    """Close every connection Redis has for clients called `name`; return how many."""
    ids = [c["id"] for c in await plain.client_list() if c["name"] == name]
    for client_id in ids:
        await plain.client_kill_filter(_id=client_id)
    return len(ids)


async def test_dropped_connections_are_sent_again_and_go_back_to_the_pool(
    redis_server: RedisServer, key_prefix: str
) -> None:
    """Redis closed the kept connections (a restart, a kill): every command still gets
    through, and the pool, small here, lends connections again each time: none is lost."""
    name = f"direct-{key_prefix.strip(':').replace(':', '-')}"
    direct = connect(f"{redis_server.url}?client_name={name}", max_connections=8, pool_wait_s=1)
    plain = Redis.from_url(redis_server.url)
    try:
        for round_ in range(6):
            await asyncio.gather(*(direct.set(f"{key_prefix}{i}", round_) for i in range(8)))
            assert await _kill_connections_named(plain, name) > 0
            replies = await asyncio.gather(*(direct.get(f"{key_prefix}{i}") for i in range(8)))
            assert replies == [str(round_).encode()] * 8
            assert await direct.exists(f"{key_prefix}0") == 1  # through the pool
    finally:
        await direct.aclose()
        await plain.delete(*[f"{key_prefix}{i}" for i in range(8)])
        await plain.aclose()


async def test_a_client_of_one_connection_sends_everything_on_it(
    redis_server: RedisServer, clients: tuple[Redis, Redis], key_prefix: str
) -> None:
    """`client()`, or a client built with one connection, holds that connection, whose
    SELECT must hold for what follows."""
    direct, plain = clients
    owning_its_pool = DirectRedis.from_url(redis_server.url, single_connection_client=True)
    for single in (direct.client(), owning_its_pool):
        await single.execute_command("SELECT", 1)
        await single.set(f"{key_prefix}selected", b"db1")
        await single.aclose()
    in_db1 = plain.client()
    await in_db1.execute_command("SELECT", 1)
    assert await in_db1.get(f"{key_prefix}selected") == b"db1"
    assert await plain.get(f"{key_prefix}selected") is None
    await in_db1.delete(f"{key_prefix}selected")
    await in_db1.aclose()


async def test_clients_sharing_a_pool_keep_none_of_its_connections(
    redis_server: RedisServer, key_prefix: str
) -> None:
    """Closing a client that does not own its pool leaves the pool's connections in it."""
    pool = BlockingConnectionPool.from_url(redis_server.url, max_connections=8, timeout=1)
    for _ in range(5):
        sharing = DirectRedis(connection_pool=pool)
        await asyncio.gather(*(sharing.get(f"{key_prefix}{i}") for i in range(8)))
        await sharing.aclose()
    last = DirectRedis(connection_pool=pool)
    assert await asyncio.gather(*(last.get(f"{key_prefix}{i}") for i in range(8))) == [None] * 8
    await last.aclose()
    await pool.aclose()


async def test_a_cancelled_command_leaves_no_reply_behind(
    clients: tuple[Redis, Redis], key_prefix: str
) -> None:
    """The reply of a command cancelled mid-way must not be read as the next command's."""
    direct, _plain = clients
    assert isinstance(direct, DirectRedis)
    await direct.set(f"{key_prefix}k", b"v")
    slow_script = direct.register_script(_SLOW_SCRIPT)
    await direct.script_load(_SLOW_SCRIPT)  # one EVALSHA, no NOSCRIPT round first
    slow = asyncio.create_task(slow_script(keys=[f"{key_prefix}runs"], args=[]))
    await eventually(lambda: direct._busy == 1)  # sent, and waiting for its reply
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert [await direct.get(f"{key_prefix}k") for _ in range(3)] == [b"v"] * 3
    assert await direct.get(f"{key_prefix}runs") == b"1"  # it was in flight when cancelled


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
