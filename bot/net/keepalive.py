"""A small HTTP/1.1 keep-alive client for one trusted origin: the Bot API.

Adapter layer. Every answer, placeholder and typing action is one POST to the Bot API, and
through httpx each cost the listener about 1.7 ms of CPU on the bench machine (bench/README.md,
"A lean transport for the Bot API"): httpcore walks every pooled connection and asks each
socket for its peer whenever a request starts or ends, anyio wraps each read and write in a
cancel scope, and h11 sends the head and the body as two writes. The Bot API needs none of
that: one origin, one method (POST), small JSON bodies and answers with a length. This client
keeps up to `size` connections open, writes each request in one piece and reads the answer by
its `Content-Length` (or chunks, or to the end). It is not a general client: no redirects,
proxies or cookies, and it is only pointed at the configured Bot API server, never at an
address a user chose (upstreams go through `bot.net.http` and its guard).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import certifi

# httpx's default: an idle connection older than this is closed rather than reused, so a server
# that closes idle connections sooner is rarely caught in the act.
KEEPALIVE_S = 5.0
_MAX_HEAD = 64 * 1024


class PoolTimeoutError(Exception):
    """Every connection stayed busy for the whole pool timeout; nothing was sent."""


class ProtocolError(Exception):
    """The server's answer was not HTTP/1.1 as this client reads it."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed for each phase of a request; None waits for ever."""

    connect: float | None
    write: float | None
    read: float | None
    pool: float | None


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = field(default_factory=time.monotonic)

    def reusable(self, now: float) -> bool:
        """Whether the connection can carry another request: open, unclosed by the server
        (the event loop reads its end-of-file in the background), and not idle too long."""
        return (
            now - self.idle_since < KEEPALIVE_S
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    def close(self) -> None:
        self.writer.close()


@dataclass(frozen=True, slots=True)
class _Origin:
    host: str
    port: int
    tls: bool
    authority: str
    """The Host header: the host, and the port when it is not the scheme's own."""

    @classmethod
    def of(cls, url: str) -> tuple[_Origin, str]:
        """The origin of `url` and the request target (path and query) on it."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        authority = parts.netloc.rpartition("@")[2]
        return cls(parts.hostname, port, tls, authority), target


class KeepAlivePool:
    """Up to `size` keep-alive connections per origin; `post` sends one request on one."""

    def __init__(self, *, size: int, user_agent: str) -> None:
        self._size = size
        self._user_agent = user_agent
        self._slots: dict[_Origin, asyncio.Semaphore] = {}
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None
        self._closed = False

    async def post(self, url: str, body: bytes, timeouts: Timeouts) -> tuple[int, bytes]:
        """Send `body` as JSON to `url`; return the answer's status and body.

        Raises `PoolTimeoutError`, `TimeoutError`, `OSError` (connection failures),
        `asyncio.IncompleteReadError` or `ProtocolError`; the caller maps them to its own.
        """
        if self._closed:
            raise RuntimeError("the Bot API connection pool is closed")
        origin, target = _Origin.of(url)
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {origin.authority}\r\n"
            f"User-Agent: {self._user_agent}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nAccept: application/json\r\n\r\n"
        ).encode("ascii")
        slots = self._slots.setdefault(origin, asyncio.Semaphore(self._size))
        try:
            async with asyncio.timeout(timeouts.pool):
                await slots.acquire()
        except TimeoutError:
            raise PoolTimeoutError("every Bot API connection stayed busy") from None
        try:
            connection = self._idle_connection(origin)
            if connection is not None:
                try:
                    return await self._exchange(origin, connection, head + body, timeouts)
                except _ClosedBeforeAnswer:
                    # The server closed the idle connection as we wrote: it read nothing of
                    # this request (it answers what it reads before closing), so send it again.
                    pass
            connection = await self._connect(origin, timeouts)
            try:
                return await self._exchange(origin, connection, head + body, timeouts)
            except _ClosedBeforeAnswer as exc:
                raise ProtocolError("the server closed the connection without an answer") from exc
        finally:
            slots.release()

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Close every idle connection; requests in flight close theirs when they end."""
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
            connections.clear()

    def _idle_connection(self, origin: _Origin) -> _Connection | None:
        """The most recently used idle connection still fit for a request, if any."""
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.reusable(now):
                return connection
            connection.close()
        return None

    async def _connect(self, origin: _Origin, timeouts: Timeouts) -> _Connection:
        tls = self._tls_context() if origin.tls else None
        async with asyncio.timeout(timeouts.connect):
            reader, writer = await asyncio.open_connection(
                origin.host,
                origin.port,
                ssl=tls,
                server_hostname=origin.host if tls else None,
                limit=_MAX_HEAD,
            )
        return _Connection(reader, writer)

    def _tls_context(self) -> ssl.SSLContext:
        """The CA bundle httpx used (certifi's), so the trust is the same as before."""
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=certifi.where())
        return self._tls

    async def _exchange(
        self, origin: _Origin, connection: _Connection, request: bytes, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        """Write the request and read its answer; keep the connection if it may be reused."""
        done = False
        try:
            try:
                connection.writer.write(request)
                async with asyncio.timeout(timeouts.write):
                    await connection.writer.drain()
            except (ConnectionResetError, BrokenPipeError) as exc:
                raise _ClosedBeforeAnswer from exc
            async with asyncio.timeout(timeouts.read):
                status, body, keep = await _read_response(connection.reader)
            done = True
        finally:
            if not done:
                # Cancelled, timed out or broken mid-exchange: what is left on the connection
                # is unknown, so it is not reused.
                connection.close()
        if keep and not self._closed:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(connection)
        else:
            connection.close()
        return status, body


class _ClosedBeforeAnswer(Exception):
    """The connection ended before a single byte of the answer arrived."""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one HTTP/1.1 answer: its status, body, and whether the connection stays open."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _ClosedBeforeAnswer from exc
        raise
    except ConnectionResetError as exc:
        raise _ClosedBeforeAnswer from exc
    except asyncio.LimitOverrunError as exc:
        raise ProtocolError("the answer's head is too long") from exc
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"malformed header line: {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunks(reader)
    elif (length := headers.get("content-length")) is not None:
        if not length.isdigit():
            raise ProtocolError(f"bad Content-Length: {length[:20]!r}")
        body = await reader.readexactly(int(length))
    else:
        body = await reader.read()  # the answer ends with the connection
        keep = False
    return int(code), body, keep


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    """Read a chunked body and its trailers."""
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size_text = size_line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size: {size_text[:20]!r}") from None
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers, unused
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolError("a chunk did not end with CRLF")
