"""The pooled client over real sockets: byte cap, decompression bomb, deadline, status mapping.

Every case runs through both pools (trusted and guarded, with private hosts allowed so the
guarded pool may reach the local fake), since both read bodies through the same cap.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.errors import (
    BlockedHostError,
    RateLimitedError,
    ResponseTooLargeError,
    SourceError,
    SourceTimeoutError,
)
from bot.net.http import HttpClient, HttpLimits
from tests.fakes.server import FakeServer, free_port

MAX_BYTES = 1_000_000
BOMB = gzip.compress(b"\0" * (10 * MAX_BYTES))


async def _endless(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b"x" * 65_536
            await asyncio.sleep(0)

    return StreamingResponse(chunks(), media_type="application/json")


async def _bomb(request: Request) -> Response:
    return Response(BOMB, headers={"content-encoding": "gzip", "content-type": "application/json"})


async def _large(request: Request) -> Response:
    return Response(b"x" * (MAX_BYTES + 1), media_type="application/json")


async def _trickle(request: Request) -> Response:
    """One byte every 50 ms forever: never idle long enough for the inactivity timeout."""

    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b" "
            await asyncio.sleep(0.05)

    return StreamingResponse(chunks(), media_type="application/json")


async def _stall(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        await asyncio.sleep(5)
        yield b"{}"

    return StreamingResponse(chunks(), media_type="application/json")


async def _rate_limited(request: Request) -> Response:
    reset = datetime.now(UTC) + timedelta(seconds=30)
    headers = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset.isoformat(timespec="microseconds").replace("+00:00", "Z"),
    }
    return JSONResponse({"error": "Too many requests"}, status_code=429, headers=headers)


async def _unavailable(request: Request) -> Response:
    return JSONResponse({"error": "down"}, status_code=503)


async def _missing(request: Request) -> Response:
    return JSONResponse({"error": "Record not found"}, status_code=404)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    routes = [
        Route("/endless", _endless),
        Route("/bomb", _bomb),
        Route("/large", _large),
        Route("/trickle", _trickle),
        Route("/stall", _stall),
        Route("/rate-limited", _rate_limited),
        Route("/unavailable", _unavailable),
        Route("/missing", _missing),
    ]
    with FakeServer(routes, name="http-target") as fake:
        yield fake


@pytest.fixture(params=[False, True], ids=["trusted", "guarded"])
def guarded(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    # Wide enough for a loaded machine's stalls; /stall (5 s) and /trickle (forever) still
    # outlast them, each in its own way.
    limits = HttpLimits(timeout_s=1.0, deadline_s=2.5, max_bytes=MAX_BYTES)
    client = HttpClient(limits=limits, allow_private_hosts=True)
    yield client
    await client.aclose()


@pytest.mark.parametrize("path", ["/endless", "/bomb", "/large"])
async def test_body_refused_when_over_byte_cap(
    http: HttpClient, server: FakeServer, guarded: bool, path: str
) -> None:
    with pytest.raises(ResponseTooLargeError):
        await http.get(server.url + path, guarded=guarded)


async def test_deadline_hit_when_server_trickles(
    http: HttpClient, server: FakeServer, guarded: bool
) -> None:
    with pytest.raises(SourceTimeoutError, match="deadline"):
        await http.get(server.url + "/trickle", guarded=guarded)


async def test_timeout_hit_when_server_stalls(
    http: HttpClient, server: FakeServer, guarded: bool
) -> None:
    with pytest.raises(SourceTimeoutError, match="timeout"):
        await http.get(server.url + "/stall", guarded=guarded)


async def test_rate_limit_carries_reset_when_429(
    http: HttpClient, server: FakeServer, guarded: bool
) -> None:
    with pytest.raises(RateLimitedError) as caught:
        await http.get(server.url + "/rate-limited", guarded=guarded, platform="mastodon")
    assert caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 30


async def test_server_error_is_source_error_when_5xx(
    http: HttpClient, server: FakeServer, guarded: bool
) -> None:
    with pytest.raises(SourceError) as caught:
        await http.get(server.url + "/unavailable", guarded=guarded, platform="mastodon")
    assert (type(caught.value), caught.value.platform) == (SourceError, "mastodon")


async def test_not_found_returned_when_404(
    http: HttpClient, server: FakeServer, guarded: bool
) -> None:
    response = await http.get(server.url + "/missing", guarded=guarded)
    assert (response.status, response.json()) == (404, {"error": "Record not found"})


async def test_connection_refused_is_source_error(http: HttpClient, guarded: bool) -> None:
    with pytest.raises(SourceError):
        await http.get(f"http://127.0.0.1:{free_port()}/", guarded=guarded)


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[FakeServer]:
    """A second origin (another port), where a configured API root might redirect."""

    async def echo_headers(request: Request) -> Response:
        return JSONResponse({"authorization": request.headers.get("authorization")})

    with FakeServer([Route("/echo", echo_headers)], name="elsewhere") as fake:
        yield fake


@pytest.fixture(scope="module")
def redirecting(elsewhere: FakeServer) -> Iterator[FakeServer]:
    async def away(request: Request) -> Response:
        return Response(status_code=302, headers={"location": elsewhere.url + "/echo"})

    with FakeServer([Route("/away", away)], name="redirecting") as fake:
        yield fake


async def test_redirect_to_another_origin_drops_credentials(
    http: HttpClient, redirecting: FakeServer
) -> None:
    answer = await http.get(redirecting.url + "/away", headers={"Authorization": "Bearer t"})
    assert answer.json() == {"authorization": None}


async def test_redirect_from_a_trusted_root_to_a_private_host_is_blocked(
    redirecting: FakeServer,
) -> None:
    """Only the configured root is trusted; where it points must pass the address guard."""
    client = HttpClient(allow_private_hosts=False)
    try:
        with pytest.raises(BlockedHostError):
            await client.get(redirecting.url + "/away")
    finally:
        await client.aclose()


async def test_unreadable_json_names_its_platform(http: HttpClient, server: FakeServer) -> None:
    answer = await http.get(server.url + "/no-such-path", platform="bluesky")
    with pytest.raises(SourceError) as caught:
        answer.json()
    assert caught.value.platform == "bluesky"
