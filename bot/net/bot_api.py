"""python-telegram-bot's HTTP request to the Bot API, sending parameters as one JSON body.

Adapter layer. PTB's `HTTPXRequest` sends a method's parameters URL-encoded, each object
JSON-encoded first, and `urllib.parse` percent-encodes them in pure Python: for an answer's
4-15 KB of HTML that was about 0.35 ms per send, more than all of PTB's other work on it. The Bot
API takes the same parameters as `application/json` for every method that uploads no file
(https://core.telegram.org/bots/api#making-requests); uploads still go as PTB sends them.
Errors are mapped as PTB maps them, so callers see the same `TimedOut` and `NetworkError`.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

_DEFAULT = type(BaseRequest.DEFAULT_NONE)
_JSON_HEADERS = {"User-Agent": HTTPXRequest.USER_AGENT, "Content-Type": "application/json"}


class JsonBotRequest(HTTPXRequest):
    """`HTTPXRequest` whose requests without files carry their parameters as JSON."""

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
        """Send the request as PTB does, its parameters as JSON unless it uploads files."""
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
        if self._client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        defaults = self._client.timeout
        timeout = httpx.Timeout(
            connect=_given(connect_timeout, defaults.connect),
            read=_given(read_timeout, defaults.read),
            write=_given(write_timeout, defaults.write),
            pool=_given(pool_timeout, defaults.pool),
        )
        try:
            response = await self._client.request(
                method=method,
                url=url,
                headers=_JSON_HEADERS,
                timeout=timeout,
                content=orjson.dumps(request_data.parameters),
            )
        except httpx.PoolTimeout as exc:
            raise TimedOut(
                message="Pool timeout: All connections in the connection pool are occupied. "
                "Request was *not* sent to Telegram."
            ) from exc
        except httpx.TimeoutException as exc:
            raise TimedOut from exc
        except httpx.HTTPError as exc:
            raise NetworkError(f"httpx.{type(exc).__name__}: {exc}") from exc
        return response.status_code, response.content


def _given(value: object, default: float | None) -> float | None:
    """Return a timeout the caller gave, or the client's own when it gave none."""
    if isinstance(value, _DEFAULT):
        return default
    assert value is None or isinstance(value, int | float)
    return value
