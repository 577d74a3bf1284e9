"""python-telegram-bot's HTTP request to the Bot API: JSON bodies over lean keep-alive connections.

Adapter layer. PTB's `HTTPXRequest` sends a method's parameters URL-encoded, each object
JSON-encoded first, and `urllib.parse` percent-encodes them in pure Python: for an answer's
4-15 KB of HTML that was about 0.35 ms per send, more than all of PTB's other work on it. The Bot
API takes the same parameters as `application/json` for every method that uploads no file
(https://core.telegram.org/bots/api#making-requests), and such a request goes through
`bot.net.keepalive` instead of httpx, whose per-request bookkeeping cost more CPU than the rest
of the listener's work (bench/README.md). Uploads and file downloads still go as PTB sends them.
Errors are mapped as PTB maps them, so callers see the same `TimedOut` and `NetworkError`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.net.keepalive import KeepAlivePool, PoolTimeoutError, ProtocolError, Timeouts

_DEFAULT = type(BaseRequest.DEFAULT_NONE)


class JsonBotRequest(HTTPXRequest):
    """`HTTPXRequest` whose requests without files go as JSON on `KeepAlivePool` connections."""

    def __init__(self, *, connection_pool_size: int = 1, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=connection_pool_size, **kwargs)
        self._pool_size = connection_pool_size
        self._pool = self._new_pool()

    def _new_pool(self) -> KeepAlivePool:
        return KeepAlivePool(size=self._pool_size, user_agent=HTTPXRequest.USER_AGENT)

    async def initialize(self) -> None:
        """Open again after a shutdown, as PTB's requests do."""
        await super().initialize()
        if self._pool.closed:
            self._pool = self._new_pool()

    async def shutdown(self) -> None:
        """Close the keep-alive connections and httpx's client."""
        await self._pool.close()
        await super().shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send the request with its parameters as JSON, or as PTB does when it has files."""
        if request_data is None or request_data.contains_files:
            return await super().do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        if self._pool.closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        defaults = self._client.timeout
        timeouts = Timeouts(
            connect=_given(connect_timeout, defaults.connect),
            write=_given(write_timeout, defaults.write),
            read=_given(read_timeout, defaults.read),
            pool=_given(pool_timeout, defaults.pool),
        )
        try:
            return await self._pool.post(url, orjson.dumps(request_data.parameters), timeouts)
        except PoolTimeoutError as exc:
            raise TimedOut(
                message="Pool timeout: All connections in the connection pool are occupied. "
                "Request was *not* sent to Telegram."
            ) from exc
        except TimeoutError as exc:
            raise TimedOut from exc
        except (OSError, asyncio.IncompleteReadError, ProtocolError) as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc


def _given(value: object, default: float | None) -> float | None:
    """Return a timeout the caller gave, or the client's own when it gave none."""
    if isinstance(value, _DEFAULT):
        return default
    assert value is None or isinstance(value, int | float)
    return value
