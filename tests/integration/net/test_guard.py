"""The guarded transport over real sockets: resolve, check, pin, and re-check every redirect.

Names are answered by a stub resolver, and the connecting backend maps whatever *checked*
public address it is given to the local fake's socket, so the production check-then-connect
path runs unchanged. The fake speaks plain HTTP, so the stub stream skips the TLS handshake
but records the server name it was asked to verify.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import httpcore
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.errors import BlockedHostError, SourceError
from bot.net.guard import GuardedBackend, GuardedTransport
from bot.net.http import HttpClient
from tests.fakes.server import FakeServer

PUBLIC_IP = "93.184.216.34"
NAMES = {
    "public.example": [PUBLIC_IP],
    "other.example": ["2606:2800:220:1:248:1893:25c8:1946"],
    "private.example": ["10.0.0.1"],
    "mixed.example": [PUBLIC_IP, "127.0.0.1"],
    "nat64.example": ["64:ff9b::7f00:1"],
    "mapped.example": ["::ffff:127.0.0.1"],
}


async def _ok(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def _redirect(request: Request) -> Response:
    return RedirectResponse(request.query_params["to"], status_code=302)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    routes = [Route("/ok", _ok), Route("/redirect", _redirect)]
    with FakeServer(routes, name="guard-target") as fake:
        yield fake


@dataclass
class StubResolver:
    """Answer from a table; `then` replaces the answer after the first lookup (rebinding)."""

    names: dict[str, list[str]]
    then: dict[str, list[str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        table = self.then if self.then and host in self.calls else self.names
        self.calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]


class _PlainStream(httpcore.AsyncNetworkStream):
    """A plain TCP stream that accepts `start_tls` without a handshake, noting the SNI name."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, sni: list[str | None]) -> None:
        self._inner = inner
        self._sni = sni

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: object,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        self._sni.append(server_hostname)
        return self


class LoopbackBackend(httpcore.AsyncNetworkBackend):
    """Connect any checked address to the fake's port on 127.0.0.1, recording the address."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connected: list[tuple[str, int]] = []
        self.sni: list[str | None] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        stream = await self._real.connect_tcp("127.0.0.1", self.port, timeout=timeout)
        return _PlainStream(stream, self.sni)

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


@pytest.fixture
def resolver() -> StubResolver:
    return StubResolver(NAMES)


@pytest.fixture
def backend(server: FakeServer) -> LoopbackBackend:
    return LoopbackBackend(server.port)


@pytest.fixture
async def http(resolver: StubResolver, backend: LoopbackBackend) -> AsyncIterator[HttpClient]:
    transport = GuardedTransport(allow_private_hosts=False, resolver=resolver, backend=backend)
    client = HttpClient(guarded_transport=transport)
    yield client
    await client.aclose()


def _redirect_to(target: str) -> str:
    return f"https://public.example/redirect?to={target}"


async def test_connection_goes_to_checked_address_when_public(
    http: HttpClient, backend: LoopbackBackend
) -> None:
    response = await http.get("https://public.example/ok", guarded=True)
    assert (response.status, backend.connected) == (200, [(PUBLIC_IP, 443)])


async def test_tls_server_name_is_real_host_when_connecting_to_address(
    http: HttpClient, backend: LoopbackBackend
) -> None:
    await http.get("https://public.example/ok", guarded=True)
    assert backend.sni == ["public.example"]


@pytest.mark.parametrize(
    "host", ["private.example", "mixed.example", "nat64.example", "mapped.example"]
)
async def test_request_blocked_when_name_resolves_to_non_public(
    http: HttpClient, backend: LoopbackBackend, host: str
) -> None:
    with pytest.raises(BlockedHostError):
        await http.get(f"https://{host}/ok", guarded=True)
    assert backend.connected == []


async def test_address_pinned_when_name_rebinds_after_check(
    http: HttpClient, resolver: StubResolver, backend: LoopbackBackend
) -> None:
    """One lookup per connection: the answer that was checked is the one connected to."""
    resolver.then = {"public.example": ["127.0.0.1"]}
    await http.get("https://public.example/ok", guarded=True)
    assert (resolver.calls, backend.connected) == (["public.example"], [(PUBLIC_IP, 443)])


async def test_new_connection_blocked_when_name_rebinds_to_private(
    http: HttpClient, resolver: StubResolver, backend: LoopbackBackend
) -> None:
    """After the first lookup the name answers 127.0.0.1; the next new connection is refused."""
    resolver.then = {"public.example": ["127.0.0.1"]}
    resolver.calls.append("public.example")  # as if an earlier connection had looked it up
    with pytest.raises(BlockedHostError):
        await http.get("https://public.example/ok", guarded=True)
    assert backend.connected == []


async def test_unresolvable_name_is_source_error(http: HttpClient) -> None:
    with pytest.raises(SourceError):
        await http.get("https://nowhere.example/ok", guarded=True)


async def test_redirect_followed_when_next_hop_public(
    http: HttpClient, backend: LoopbackBackend
) -> None:
    response = await http.get(_redirect_to("https://other.example/ok"), guarded=True)
    assert (response.status, backend.connected[-1][0]) == (
        200,
        "2606:2800:220:1:248:1893:25c8:1946",
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://private.example/ok",
        "https://127.0.0.1/ok",
        "https://[::1]/ok",
        "https://169.254.169.254/latest/meta-data",
        "http://public.example/ok",
        "https://public.example:8443/ok",
        "https://localhost/ok",
        "https://2130706433/ok",
    ],
)
async def test_redirect_blocked_when_next_hop_not_public(
    http: HttpClient, server: FakeServer, backend: LoopbackBackend, target: str
) -> None:
    server.requests.clear()
    with pytest.raises(BlockedHostError):
        await http.get(_redirect_to(target), guarded=True)
    assert [r.path for r in server.requests.all()] == ["/redirect"]


async def test_redirects_stop_after_three_hops(http: HttpClient) -> None:
    url = "https://public.example/ok"
    for _ in range(4):
        url = _redirect_to(url.replace("?", "%3F").replace("=", "%3D"))
    with pytest.raises(SourceError, match="more than 3 redirects"):
        await http.get(url, guarded=True)


async def test_three_redirects_are_followed(http: HttpClient) -> None:
    url = "https://public.example/ok"
    for _ in range(3):
        url = _redirect_to(url.replace("?", "%3F").replace("=", "%3D"))
    response = await http.get(url, guarded=True)
    assert response.json() == {"ok": True}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
async def test_system_resolver_answer_checked_when_connecting(host: str) -> None:
    """The production resolver path: a loopback answer is refused before any connection."""
    guarded = GuardedBackend(allow_private_hosts=False)
    with pytest.raises(BlockedHostError):
        await guarded.connect_tcp(host, 443)


async def test_loopback_refused_when_private_hosts_not_allowed() -> None:
    client = HttpClient(allow_private_hosts=False)
    try:
        with pytest.raises(BlockedHostError):
            await client.get("https://127.0.0.1/@a/1", guarded=True)
    finally:
        await client.aclose()


async def test_loopback_reached_when_private_hosts_allowed(server: FakeServer) -> None:
    client = HttpClient(allow_private_hosts=True)
    try:
        response = await client.get(f"{server.url}/ok", guarded=True)
    finally:
        await client.aclose()
    assert response.json() == {"ok": True}
