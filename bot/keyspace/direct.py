"""Redis's simple commands on connections held apart from the pool. Adapter.

Through redis-py's client, a GET or an EVALSHA cost 100-110 µs of the caller's CPU on the
machine measured, of which the round trip itself, on a bare asyncio stream, is 24 µs: the rest
is the blocking pool's lock and timeouts, per-command observability hooks and the retry
wrapper. A worker sends about ten such commands per job and a listener three.

`DirectRedis` sends the simple ones (`DIRECT_COMMANDS`: nothing that blocks, subscribes or
needs a transaction) on connections it took from the pool once and keeps: 60-75 µs each.
redis-py still does the rest: the pool opens those connections (address, credentials,
protocol, TLS, retries), and its parser reads each reply and maps errors, so callers see the
same replies and exceptions. A command whose kept connection was dropped (Redis restarted) is
sent again through the pool, with its retries, as redis-py sends a command again after a
dropped connection; one that timed out is not, since Redis may still run it. Kept connections
skip what redis-py does when a connection goes back to its pool (re-authentication by a
credential provider, maintenance notifications, OpenTelemetry timings), none of which the bot
configures. Figures: bench/README.md, tenth pass.
"""

from __future__ import annotations

from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

DIRECT_COMMANDS = frozenset({"EVALSHA", "GET", "SET", "HGETALL"})
"""The commands of every request's path: scripts, small values and chat settings."""

MAX_DIRECT_CONNECTIONS = 16
"""Connections kept aside at most, and never more than a quarter of the pool, which the other
commands (blocking reads, pipelines, and simple ones while all kept connections are busy)
share."""


class DirectRedis(Redis):
    """redis-py's asyncio client whose simple commands skip its per-command bookkeeping.

    Build it with `from_pool`, so that it owns its pool: closing it closes the pool with every
    connection, the kept ones included.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._spare: list[Connection] = []
        self._busy = 0
        self._most = min(MAX_DIRECT_CONNECTIONS, self.connection_pool.max_connections // 4)

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Send the command on a kept connection when it is a simple one and one is free.

        Only a client that owns its pool keeps connections: one made by `client()` (one
        connection, for SELECT or WATCH) or sharing a pool sends everything through it.
        """
        if (
            args[0] not in DIRECT_COMMANDS
            or self._busy >= self._most
            or self.single_connection_client
            or not self.auto_close_connection_pool
        ):
            return await self._through_pool(*args, **options)
        self._busy += 1
        try:
            connection = await self._kept_connection()
            try:
                await connection.send_command(*args)
                return await self.parse_response(connection, args[0], **options)
            except RedisConnectionError:
                pass  # redis-py closed the connection; the pool sends it again, with retries
            finally:
                self._spare.append(connection)
        finally:
            self._busy -= 1
        return await self._through_pool(*args, **options)

    async def _through_pool(self, *args: Any, **options: Any) -> Any:
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    async def _kept_connection(self) -> Connection:
        """Return an open kept connection, or one taken from the pool for good.

        A kept connection that failed is closed: it goes back to the pool, which opens
        connections (and retries that) for every client alike.
        """
        pool = self.connection_pool
        while self._spare:
            connection = self._spare.pop()
            if connection.is_connected:
                return connection
            await pool.release(connection)
        return cast(Connection, await pool.get_connection())  # type: ignore[no-untyped-call]
