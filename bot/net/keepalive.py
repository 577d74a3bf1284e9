"""A small HTTP/1.1 keep-alive client for configured origins: the Bot API and the API roots.

Adapter layer. Every answer, placeholder and typing action is one POST to the Bot API, and
through httpx each cost the listener about 1.7 ms of CPU on the bench machine (bench/README.md,
"A lean transport for the Bot API"): httpcore walks every pooled connection and asks each
socket for its peer whenever a request starts or ends, anyio wraps each read and write in a
cancel scope, and h11 sends the head and the body as two writes. A worker's fetch from a
configured API root (FxTwitter, Bluesky, the X API, Telegraph) paid the same, and httpx's
client on top (building the request, its URL and headers, and the response) about 0.35 ms
more: `bot.net.http` sends those fetches here directly, keeping its timeouts, byte caps and
redirects.

This client keeps up to `size` connections per origin open, writes each request in one piece
and reads the answer by its `Content-Length` (or chunks, or to the end), in pieces of at most
`_PIECE` bytes so a caller's byte cap stops a hostile answer early. It is not a general client:
no proxies, cookies or redirects of its own, and it is only pointed at configured origins,
never at an address a user chose (those go through `bot.net.guard`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import certifi

# httpx's default: an idle connection older than this is closed rather than reused, so a server
# that closes idle connections sooner is rarely caught in the act.
KEEPALIVE_S = 5.0
_MAX_HEAD = 64 * 1024
_PIECE = 64 * 1024
"""Most body bytes read (and handed on) at once."""
_NO_BODY = frozenset({204, 304})


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
    """Up to `size` keep-alive connections per origin; `send` carries one request on one."""

    def __init__(self, *, size: int, user_agent: str) -> None:
        self._size = size
        self._user_agent = user_agent
        self._slots: dict[_Origin, asyncio.Semaphore] = {}
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None
        self._closed = False

    async def post(self, url: str, body: bytes, timeouts: Timeouts) -> tuple[int, bytes]:
        """Send `body` as JSON to `url`; return the answer's status and body.

        Raises what `send` and `Exchange.body` raise.
        """
        headers = [
            ("User-Agent", self._user_agent),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Accept", "application/json"),
        ]
        exchange = await self.send("POST", url, headers, body, timeouts)
        try:
            pieces = [piece async for piece in exchange.body(timeouts.read)]
            return exchange.status, b"".join(pieces)
        finally:
            exchange.release()

    async def send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        timeouts: Timeouts,
    ) -> Exchange:
        """Send one request (`headers` complete but for Host, which comes from `url`); return
        its answer once its head has come. The answer holds the connection until it is
        `release`d.

        Raises `PoolTimeoutError`, `TimeoutError`, `OSError` (connection failures),
        `asyncio.IncompleteReadError` or `ProtocolError`; the caller maps them to its own.
        """
        if self._closed:
            raise RuntimeError("the connection pool is closed")
        origin, target = _Origin.of(url)
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: {origin.authority}",
            *(f"{name}: {value}" for name, value in headers),
        ]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        slots = self._slots.setdefault(origin, asyncio.Semaphore(self._size))
        try:
            async with asyncio.timeout(timeouts.pool):
                await slots.acquire()
        except TimeoutError:
            raise PoolTimeoutError(f"every connection to {origin.host} stayed busy") from None
        try:
            connection = self._idle_connection(origin)
            if connection is not None:
                try:
                    return await self._exchange(origin, connection, request, timeouts)
                except _ClosedBeforeAnswer:
                    # The server closed the idle connection as we wrote: it read nothing of
                    # this request (it answers what it reads before closing), so send it again.
                    pass
            connection = await self._connect(origin, timeouts)
            try:
                return await self._exchange(origin, connection, request, timeouts)
            except _ClosedBeforeAnswer as exc:
                raise ProtocolError("the server closed the connection without an answer") from exc
        except BaseException:
            slots.release()
            raise

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
        """The CA bundle httpx uses (certifi's), so the trust is the same as through httpx."""
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=certifi.where())
        return self._tls

    async def _exchange(
        self,
        origin: _Origin,
        connection: _Connection,
        request: bytes,
        timeouts: Timeouts,
    ) -> Exchange:
        """Write the request and read the head of its answer."""
        try:
            try:
                connection.writer.write(request)
                async with asyncio.timeout(timeouts.write):
                    await connection.writer.drain()
            except (ConnectionResetError, BrokenPipeError) as exc:
                raise _ClosedBeforeAnswer from exc
            async with asyncio.timeout(timeouts.read):
                version, status, headers = await _read_head(connection.reader)
            framing = _Framing.of(version, status, headers)
        except BaseException:
            # Cancelled, timed out or broken mid-exchange: what is left on the connection is
            # unknown, so it is not reused.
            connection.close()
            raise
        return Exchange(status, headers, framing, self, origin, connection)

    def _settle(self, origin: _Origin, connection: _Connection, *, reusable: bool) -> None:
        """Keep the connection for the next request (or close it) and free its slot."""
        if reusable and not self._closed:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(connection)
        else:
            connection.close()
        self._slots[origin].release()


@dataclass(frozen=True, slots=True)
class _Framing:
    """Where an answer's body ends: after `length` bytes, at the last chunk, or at the end of
    the connection (`keep` is then False)."""

    length: int | None
    chunked: bool
    keep: bool

    @classmethod
    def of(cls, version: str, status: int, headers: list[tuple[str, str]]) -> _Framing:
        named = {name.lower(): value for name, value in headers}
        # HTTP/1.0 keeps nothing open unless asked; nor does this client ask.
        keep = version == "HTTP/1.1" and named.get("connection", "").lower() != "close"
        if status in _NO_BODY or 100 <= status < 200:
            return cls(0, False, keep)
        if "chunked" in named.get("transfer-encoding", "").lower():
            return cls(None, True, keep)
        length = named.get("content-length")
        if length is None:
            return cls(None, False, False)
        if not (length.isascii() and length.isdigit() and len(length) <= 18):
            raise ProtocolError(f"bad Content-Length: {length[:20]!r}")
        return cls(int(length), False, keep)


class Exchange:
    """One request whose answer's head has come: its status and headers, and its body to read
    once.

    It holds its connection (and the pool's slot) until `release`, which keeps the connection
    for the next request only when the whole body was read.
    """

    def __init__(
        self,
        status: int,
        headers: list[tuple[str, str]],
        framing: _Framing,
        pool: KeepAlivePool,
        origin: _Origin,
        connection: _Connection,
    ) -> None:
        self.status = status
        self.headers = headers
        self._framing = framing
        self._pool = pool
        self._origin = origin
        self._connection: _Connection | None = connection
        self._read_whole = False

    async def body(self, read_timeout: float | None) -> AsyncIterator[bytes]:
        """Yield the body in pieces of at most `_PIECE` bytes; `read_timeout` bounds each wait.

        Raises `TimeoutError`, `OSError`, `asyncio.IncompleteReadError` or `ProtocolError`.
        """
        if self._connection is None:
            raise RuntimeError("the answer was released")
        reader = self._connection.reader
        if self._framing.chunked:
            pieces = _chunks(reader, read_timeout)
        else:
            pieces = _pieces(reader, self._framing.length, read_timeout)
        async for piece in pieces:
            yield piece
        self._read_whole = True

    def release(self) -> None:
        """Give the connection back (or close it) and free the slot; later calls do nothing."""
        connection, self._connection = self._connection, None
        if connection is not None:
            reusable = self._read_whole and self._framing.keep
            self._pool._settle(self._origin, connection, reusable=reusable)


class _ClosedBeforeAnswer(Exception):
    """The connection ended before a single byte of the answer arrived."""


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, int, list[tuple[str, str]]]:
    """Read an HTTP/1.x answer's version, status and headers."""
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
    if not version.startswith("HTTP/1.") or not (code.isascii() and code.isdigit()):
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"malformed header line: {line[:80]!r}")
        headers.append((name.strip(), value.strip()))
    return version, int(code), headers


async def _pieces(
    reader: asyncio.StreamReader, length: int | None, read_timeout: float | None
) -> AsyncIterator[bytes]:
    """Yield `length` bytes (all up to the end of the connection when None) in pieces."""
    left = length
    while left is None or left > 0:
        async with asyncio.timeout(read_timeout):
            piece = await reader.read(_PIECE if left is None else min(left, _PIECE))
        if not piece:
            if left is None:
                return
            raise asyncio.IncompleteReadError(b"", left)
        if left is not None:
            left -= len(piece)
        yield piece


async def _chunks(
    reader: asyncio.StreamReader, read_timeout: float | None
) -> AsyncIterator[bytes]:
    """Yield a chunked body in pieces, then read its trailers."""
    while True:
        async with asyncio.timeout(read_timeout):
            size_line = await _line(reader)
        size_text = size_line.split(b";", 1)[0].strip()
        if not size_text or len(size_text) > 16:
            raise ProtocolError(f"bad chunk size: {size_text[:20]!r}")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size: {size_text[:20]!r}") from None
        if size == 0:
            async with asyncio.timeout(read_timeout):
                while await _line(reader) != b"\r\n":
                    pass  # trailers, unused
            return
        async for piece in _pieces(reader, size, read_timeout):
            yield piece
        async with asyncio.timeout(read_timeout):
            if await reader.readexactly(2) != b"\r\n":
                raise ProtocolError("a chunk did not end with CRLF")


async def _line(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readuntil(b"\r\n")
    except asyncio.LimitOverrunError as exc:
        raise ProtocolError("a chunk line is too long") from exc
