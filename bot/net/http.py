"""The one pooled HTTP client of a process: timeouts, User-Agent, byte cap, total deadline.

The only module that catches httpx's exceptions and those of the keep-alive pool
(`net/keepalive.py`): they leave it as `errors.SourceError` and its subclasses (timeouts, 429,
5xx, over the byte cap), always raised `from` the cause. Other 4xx answers are returned, so
each source maps its own "not found" and "private" statuses.

Every byte from upstream is treated as hostile: bodies are decoded here (net/inflate.py) so a
compressed bomb stops at the cap without inflating first, `Retry-After` is clamped to an hour,
and a fetch of a thread spends one `FetchBudget` (requests, bytes, deadline) across all its
requests through `for_fetch`.
"""

from __future__ import annotations

import asyncio
import copy
import email.utils
import functools
import math
import re
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import orjson

from bot import __version__
from bot.errors import (
    RateLimitedError,
    ResponseTooLargeError,
    SourceError,
    SourceTimeoutError,
)
from bot.net import guard, inflate
from bot.net.budget import FetchBudget
from bot.net.keepalive import KeepAlivePool, PoolTimeoutError, ProtocolError, Timeouts

USER_AGENT = (
    f"unroll-bot/{__version__} (+https://github.com/unroll-bot/unroll-bot; thread unroller)"
)
MAX_REDIRECTS = 3
TRUSTED_CONNECTIONS = 20
"""Connections kept per configured API root (httpx's default keep-alive pool size)."""
MAX_RETRY_AFTER_S = 3600.0
"""The longest wait an upstream may ask for; a larger `Retry-After` is read as this."""
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_PLAIN_URL = re.compile(r"[!-~]+")
"""A URL of printable ASCII alone, which goes into the request line as it is."""


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds; every client can share one context.
    return httpx.create_ssl_context(trust_env=False)


@dataclass(frozen=True, slots=True)
class Response:
    """A finished answer: status, headers and the whole (capped) body."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str
    platform: str | None = None

    def json(self) -> object:
        """Parse the body as JSON; an unreadable body is the source's failure."""
        try:
            return orjson.loads(self.content)
        except orjson.JSONDecodeError as exc:
            raise SourceError(
                f"invalid JSON from {self.url}",
                platform=self.platform,
                host=httpx.URL(self.url).host,
            ) from exc


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """Per-request limits: inactivity timeout, total deadline and decoded byte cap.

    `deadline_s` bounds a request made outside a thread fetch (Telegraph); inside one, the
    fetch's `FetchBudget` deadline bounds all its requests together.
    """

    timeout_s: float = 10.0
    deadline_s: float = 30.0
    max_bytes: int = 5_000_000


class HttpClient:
    """Two pools: a lean keep-alive one for configured (trusted) API roots, an httpx client for
    user-given hosts.

    User-given hosts (Mastodon instances) go through `net/guard.py`: https on 443 only,
    public addresses only, the connection pinned to the checked address, redirects followed by
    hand with every hop checked. `allow_private_hosts` lifts the address and scheme checks.
    `guarded_transport` replaces the guard's transport (tests pass one with a stub resolver).
    """

    def __init__(
        self,
        *,
        limits: HttpLimits | None = None,
        allow_private_hosts: bool = False,
        user_agent: str = USER_AGENT,
        guarded_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.limits = limits or HttpLimits()
        self.allow_private_hosts = allow_private_hosts
        self.budget: FetchBudget | None = None
        timeout_s = self.limits.timeout_s
        self._headers = {
            "User-Agent": user_agent,
            "Accept": "application/json",
            # Only what net/inflate.py decodes within the byte cap.
            "Accept-Encoding": inflate.ACCEPT_ENCODING,
        }
        # Configured API roots: a lean keep-alive pool (`bot.net.keepalive`) with no httpx in
        # the way; httpx's client and transport cost the worker more CPU per fetch than
        # reading the thread it brought.
        self._trusted = KeepAlivePool(size=TRUSTED_CONNECTIONS, user_agent=user_agent)
        self._timeouts = Timeouts(
            connect=min(5.0, timeout_s), write=timeout_s, read=timeout_s, pool=timeout_s
        )
        self._guarded = httpx.AsyncClient(
            transport=guarded_transport
            or guard.GuardedTransport(
                allow_private_hosts=allow_private_hosts, ssl_context=_ssl_context()
            ),
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
            headers=self._headers,
            follow_redirects=False,
            trust_env=False,  # a proxy would defeat the address pinning of the guard
        )

    async def aclose(self) -> None:
        """Close both pools."""
        await self._trusted.close()
        await self._guarded.aclose()

    def for_fetch(self, budget: FetchBudget) -> HttpClient:
        """Return a client sharing these pools whose requests all spend `budget`.

        The returned client needs no closing (and must not be closed: the pools are shared).
        """
        spending = copy.copy(self)
        spending.budget = budget
        return spending

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        guarded: bool = False,
        platform: str | None = None,
    ) -> Response:
        """GET `url`; see `request`."""
        return await self.request(
            "GET", url, params=params, headers=headers, guarded=guarded, platform=platform
        )

    async def post(
        self,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        platform: str | None = None,
    ) -> Response:
        """POST a form to a configured (trusted) API root; see `request`."""
        return await self.request("POST", url, data=data, headers=headers, platform=platform)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        guarded: bool = False,
        platform: str | None = None,
    ) -> Response:
        """Send one request within the deadline; raise for 429, 5xx, timeouts, oversize bodies.

        Raises:
            BlockedHostError: a guarded URL (or a redirect hop) is not a public https host.
            RateLimitedError, SourceTimeoutError, ResponseTooLargeError, SourceError.
        """
        if guarded:
            # Before anything parses the URL: httpx itself rejects some tricks (`0177.0.0.1`),
            # and those must read as a blocked host, not as a crash. Each hop is checked again
            # by the guarded transport.
            guard.check_url(url, allow_private_hosts=self.allow_private_hosts)
        host = httpx.URL(url).host
        deadline_s = self.limits.deadline_s
        if self.budget is not None:
            deadline_s = self.budget.spend_request(platform=platform, host=host)
        deadline = asyncio.timeout(deadline_s)
        try:
            async with deadline:
                response = await self._send_following_redirects(
                    method, url, params, data, headers, guarded
                )
        except (TimeoutError, PoolTimeoutError, httpx.TimeoutException) as exc:
            # The whole request's deadline, or one phase's timeout (a read, a free connection).
            what = "deadline" if deadline.expired() else "timeout"
            raise SourceTimeoutError(f"{what} for {host}", platform=platform, host=host) from exc
        except (
            httpx.HTTPError,
            httpx.InvalidURL,  # not an HTTPError: a redirect hop or a host httpx cannot encode
            OSError,  # the lean pool's connection failures
            asyncio.IncompleteReadError,
            ProtocolError,
        ) as exc:
            raise SourceError(
                f"{type(exc).__name__} for {host}", platform=platform, host=host
            ) from exc
        except SourceError as exc:
            exc.platform = exc.platform or platform
            exc.host = exc.host or host
            raise
        _raise_for_failure(response, platform=platform, host=host)
        return replace(response, platform=platform)

    async def _send_following_redirects(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        guarded: bool,
    ) -> Response:
        origin = _origin(url)
        for _hop in range(MAX_REDIRECTS + 1):
            response = await self._fetch(method, url, params, data, headers, guarded=guarded)
            location = response.headers.get("location")
            if response.status not in _REDIRECT_STATUSES or not location:
                return response
            # Follow by hand so every hop is a new request, which the guarded transport checks
            # again (scheme, port, host, addresses); params and a form body belong to the
            # first request only, and the method becomes GET as browsers do.
            url, params, data, method = _join(url, location), None, None, "GET"
            if httpx.URL(url).scheme not in ("http", "https"):
                # `javascript:`, `mailto:`, `file:`: the server misbehaves; nothing to fetch.
                raise SourceError(f"redirect to a {httpx.URL(url).scheme!r} address")
            if _origin(url) != origin:
                # Only the configured API root itself is trusted: a hop elsewhere is a host
                # nobody configured, so it passes the guard and gets no credentials.
                guarded, headers = True, None
        raise SourceError(f"more than {MAX_REDIRECTS} redirects")

    async def _fetch(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        *,
        guarded: bool,
    ) -> Response:
        opened = self._open_guarded if guarded else self._open_trusted
        async with opened(method, url, params, data, headers) as (status, named, url, raw):
            declared = named.get("content-length")
            # The length check first: Python refuses to read an int of over 4,300 digits.
            if (
                declared
                and _is_ascii_number(declared)
                and (len(declared) > 18 or int(declared) > self.limits.max_bytes)
            ):
                raise ResponseTooLargeError(f"{declared} bytes declared")
            body = await self._read_body(named.get("content-encoding"), raw)
            return Response(status=status, headers=named, content=body, url=url)

    @asynccontextmanager
    async def _open_trusted(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> AsyncIterator[_Opened]:
        """Send the request on the lean pool; yield the answer's head and raw body."""
        if params and "?" not in url:
            url = f"{url}?{urlencode(params)}"
        elif params or not _PLAIN_URL.fullmatch(url):
            # Merged into a query as httpx merges it, and anything beyond printable ASCII
            # (a path an upstream's redirect or a post id carried) percent-encoded as httpx
            # does: the request line takes nothing else.
            url = str(httpx.URL(url).copy_merge_params(params or {}))
        named = dict(self._headers)
        for name, value in (headers or {}).items():
            # Header names are case-insensitive: a given one replaces a default however spelt.
            for default in [d for d in named if d.lower() == name.lower()]:
                del named[default]
            named[name] = value
        body = b""
        if data is not None:
            body = urlencode(data).encode()
            named["Content-Type"] = "application/x-www-form-urlencoded"
        if data is not None or method in _WITH_BODY:
            named["Content-Length"] = str(len(body))  # some servers answer 411 without it
        exchange = await self._trusted.send(method, url, list(named.items()), body, self._timeouts)
        try:
            yield (
                exchange.status,
                _named(exchange.headers),
                url,
                exchange.body(self._timeouts.read),
            )
        finally:
            exchange.release()

    @asynccontextmanager
    async def _open_guarded(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> AsyncIterator[_Opened]:
        """Send the request through httpx and the guard; yield the answer's head and raw
        body."""
        stream = self._guarded.stream(method, url, params=params, data=data, headers=headers)
        async with stream as response:
            yield (
                response.status_code,
                dict(response.headers),
                str(response.url),
                response.aiter_raw(),
            )

    async def _read_body(self, encoding: str | None, raw: AsyncIterator[bytes]) -> bytes:
        """Read and decode the body, counting decoded bytes against both caps as they come."""
        try:
            decoder = inflate.decoder_for(encoding)
        except inflate.UnknownEncodingError as exc:
            raise SourceError(f"unknown Content-Encoding {exc}") from exc
        body = bytearray()
        async for piece in raw:
            allowance = self.limits.max_bytes - len(body)
            if self.budget is not None:
                allowance = min(allowance, self.budget.remaining_bytes())
            try:
                chunk = decoder.decode(piece, allowance)
            except zlib.error as exc:
                raise SourceError(f"undecodable body: {exc}") from exc
            if self.budget is not None:
                self.budget.spend_bytes(len(chunk))
            body += chunk
            if len(body) > self.limits.max_bytes:
                raise ResponseTooLargeError(f"over {self.limits.max_bytes} bytes")
        return bytes(body)


_Opened = tuple[int, dict[str, str], str, AsyncIterator[bytes]]
"""An answer whose head has come: status, headers by lower-case name, final URL, raw body."""


def _named(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers by lower-case name, repeated ones joined, as httpx's `dict(response.headers)`
    gives them; a value beyond ASCII is read as UTF-8 when it is that, else as Latin-1."""
    named: dict[str, str] = {}
    for name, value in headers:
        if not value.isascii():
            raw = value.encode("latin-1")  # `keepalive` reads the head as Latin-1
            with suppress(UnicodeDecodeError):
                value = raw.decode()
        key = name.lower()
        named[key] = f"{named[key]}, {value}" if key in named else value
    return named


def _join(url: str, location: str) -> str:
    try:
        return str(httpx.URL(url).join(location))
    except httpx.InvalidURL as exc:
        raise SourceError(f"malformed redirect to {location!r}") from exc


def _origin(url: str) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port


def _raise_for_failure(response: Response, *, platform: str | None, host: str | None) -> None:
    if response.status == 429:
        raise RateLimitedError(
            f"429 from {host}",
            retry_after=retry_after_s(response.headers),
            platform=platform,
            host=host,
        )
    if response.status >= 500:
        raise SourceError(f"{response.status} from {host}", platform=platform, host=host)


def retry_after_s(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or HTTP date) or `X-RateLimit-Reset`.

    Mastodon sends `X-RateLimit-Reset` as an ISO 8601 time; some APIs send epoch seconds
    (Bluesky's XRPC servers as `RateLimit-Reset`, without the `X-`). Whatever the server
    says, the answer is between 0 and `MAX_RETRY_AFTER_S`: a huge or endless number would
    park a job for centuries.
    """
    now = time.time() if now is None else now
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    value = lowered.get("retry-after")
    if value:
        if _is_ascii_number(value):
            return _clamped(float(value))  # 400 digits read as infinity, then clamped
        stamp = _http_date(value)
        if stamp is not None:
            return _clamped(stamp - now)
    reset = (
        lowered.get("x-ratelimit-reset")
        or lowered.get("x-rate-limit-reset")
        or lowered.get("ratelimit-reset")
    )
    if not reset:
        return None
    if _is_ascii_number(reset):
        return _clamped(float(reset) - now)
    try:
        moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return _clamped(moment.timestamp() - now)
    except (ValueError, OverflowError):
        return None


def _http_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def _clamped(seconds: float) -> float:
    if math.isnan(seconds):
        return MAX_RETRY_AFTER_S
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


def _is_ascii_number(text: str) -> bool:
    # `str.isdigit` also says yes to "²" and other digits `float` and `int` refuse.
    return text.isascii() and text.isdigit()
