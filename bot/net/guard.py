"""Private-address guard for user-given hosts (Mastodon instances): an adapter, no policy choice.

Rule: https on port 443 only; a canonical DNS name or IP
literal, no userinfo, no local-only suffixes; every address the name resolves to (A and AAAA)
must be public, or the request is refused with `BlockedHostError`. The check happens inside
the connection itself (a custom httpcore network backend), and the socket goes to the address
that was checked, so DNS rebinding between check and connect is impossible; TLS SNI and
certificate checks still use the real host name. `allow_private_hosts` lifts the address,
scheme and port checks, for tests and self-hosted instances on a private network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import cast

import httpcore
import httpx

from bot.errors import BlockedHostError

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Answer every address (A and AAAA, as text) a host name resolves to."""

# Public by `is_global`, yet they reach private space through a translator (NAT64: RFC 6052,
# RFC 8215; 6to4: RFC 3056; Teredo: RFC 4380):
# NAT64 and 6to4 wrap an IPv4 address, Teredo tunnels one, 192.0.0.0/24 is IETF protocol space.
_DENIED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
        "192.0.0.0/24",
        "100.64.0.0/10",
    )
)
# IPv6 is allowed, not denied: only global unicast (2000::/3) is accepted, minus IANA's
# special-purpose blocks inside it (https://www.iana.org/assignments/iana-ipv6-special-registry):
# all of 2001::/23 (Teredo, benchmarking, ORCHID, AMT…; no public site lives there),
# documentation (2001:db8::/32, 3fff::/20) and 6to4 (2002::/16). Outside 2000::/3 lie the
# deprecated site-local fec0::/10 and other space that Python's `is_global` still calls public.
_IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_IPV6_SPECIAL = tuple(
    ipaddress.IPv6Network(network)
    for network in ("2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20")
)
_LOCAL_SUFFIXES = ("localhost", "local", "internal", "home.arpa")
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
# At least two labels, and a top-level label that is not all digits: this refuses the
# decimal, octal and hex spellings of IPv4 (`2130706433`, `0x7f.0.0.1`, `127.1`) that the
# system resolver would otherwise turn into an address.
_HOST_NAME = re.compile(rf"(?:{_LABEL}\.)+(?![0-9]+\Z){_LABEL}")


def is_public_address(address: str) -> bool:
    """Tell whether an IP address is safe to connect to for a user-given host."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address) and (
        ip not in _IPV6_GLOBAL_UNICAST or any(ip in network for network in _IPV6_SPECIAL)
    ):
        return False
    return (
        ip.is_global
        and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)
        and not any(ip in network for network in _DENIED_NETWORKS)
    )


def check_url(url: str, *, allow_private_hosts: bool) -> None:
    """Refuse a URL whose scheme, port or host may lead off the public internet.

    Only the syntax is checked here (no DNS); addresses are checked when connecting.

    Raises:
        BlockedHostError: with `host` set to the refused host.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        # httpx refuses some IPv4 spellings itself (`0177.0.0.1`); they are tricks, not typos.
        raise BlockedHostError(f"unparsable URL: {url}") from exc
    host = parsed.raw_host.decode("ascii")
    if parsed.scheme not in ("http", "https"):
        raise BlockedHostError(f"scheme {parsed.scheme!r}", host=host)
    if allow_private_hosts:
        return
    reason = _refusal(parsed, host)
    if reason:
        raise BlockedHostError(f"{reason}: {url}", host=host)


def _refusal(parsed: httpx.URL, host: str) -> str | None:
    if parsed.scheme != "https" or parsed.port not in (None, 443):
        return "not https on port 443"
    if parsed.userinfo:
        return "userinfo in URL"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return _host_name_refusal(host.removesuffix("."))
    return None if is_public_address(host) else "private address"


def _host_name_refusal(name: str) -> str | None:
    if not _HOST_NAME.fullmatch(name):
        return "not a canonical public host name"
    if any(name == suffix or name.endswith(f".{suffix}") for suffix in _LOCAL_SUFFIXES):
        return "local-only host name"
    return None


async def resolve_host(host: str, port: int) -> Sequence[str]:
    """Return every address `host` resolves to through the system resolver (A and AAAA)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked address.

    `backend` does the actual connecting (httpcore's anyio backend by default); it only ever
    receives addresses that passed the check. Tests inject it to reach a local fake.
    """

    def __init__(
        self,
        *,
        allow_private_hosts: bool,
        resolver: Resolver = resolve_host,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_private_hosts = allow_private_hosts
        self._resolver = resolver
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the first reachable checked address of `host`."""
        addresses = [host] if self._allow_private_hosts else await self._checked(host, port)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
        raise httpcore.ConnectError(f"cannot connect to {host}") from failure

    async def _checked(self, host: str, port: int) -> Sequence[str]:
        try:
            addresses = await self._resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        # One private answer is enough to refuse: otherwise a mixed record set would let an
        # attacker win whenever the private address happens to be tried.
        refused = [address for address in addresses if not is_public_address(address)]
        if refused or not addresses:
            raise BlockedHostError(f"{host} resolves to {refused or 'nothing'}", host=host)
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refuse: user-given hosts never reach a local socket."""
        raise BlockedHostError(f"unix socket {path}")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the wrapped backend does (used between connection retries)."""
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport for user-given hosts: every request checked, every connection pinned.

    httpx's own transport offers no hook for the network layer, so this one drives an
    httpcore pool with a `GuardedBackend` and turns httpcore's errors into httpx's, as httpx's
    transport does.
    """

    def __init__(
        self,
        *,
        allow_private_hosts: bool,
        resolver: Resolver = resolve_host,
        backend: httpcore.AsyncNetworkBackend | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._allow_private_hosts = allow_private_hosts
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=100,  # httpx's default pool limits
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(
                allow_private_hosts=allow_private_hosts, resolver=resolver, backend=backend
            ),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check the URL, then send the request over a pinned connection."""
        # Checked here as well as by callers, so no request through this transport escapes
        # the rule, whoever builds it (a redirect hop, a future caller).
        check_url(str(request.url), allow_private_hosts=self._allow_private_hosts)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=cast(AsyncIterator[bytes], request.stream),
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            core_response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(cast(AsyncIterator[bytes], core_response.stream)),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._pool.aclose()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterator[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        closer = getattr(self._stream, "aclose", None)
        if closer is not None:
            await closer()


_HTTPCORE_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    # `net/http.py` only tells timeouts from other transport failures, so two kinds suffice.
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise httpx.TimeoutException(str(exc)) from exc
    except _HTTPCORE_ERRORS as exc:
        raise httpx.TransportError(str(exc)) from exc
