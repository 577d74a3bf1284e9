"""The pooled client against answers built to hurt: odd redirects, encodings, budgets spent.

Each case runs through both pools (trusted and guarded, private hosts allowed so the guarded
pool reaches the local fake). Every one must end in an `errors.py` error, never a foreign one.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.errors import ResponseTooLargeError, SourceError, SourceTimeoutError
from bot.net.budget import FetchBudget
from bot.net.http import HttpClient, HttpLimits
from tests.fakes.server import FakeServer

BOMB = gzip.compress(b"\0" * 5_000_000)


async def _redirect(request: Request) -> Response:
    return Response(status_code=302, headers={"location": request.query_params["to"]})


async def _encoded(request: Request) -> Response:
    return Response(b"{}", headers={"content-encoding": request.query_params["as"]})


async def _bomb(request: Request) -> Response:
    return Response(BOMB, headers={"content-encoding": "gzip"})


async def _ok(request: Request) -> Response:
    return Response(b"{}", media_type="application/json")


async def _slow(request: Request) -> Response:
    await asyncio.sleep(1.0)
    return Response(b"{}", media_type="application/json")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    routes = [
        Route("/redirect", _redirect),
        Route("/encoded", _encoded),
        Route("/bomb", _bomb),
        Route("/ok", _ok),
        Route("/slow", _slow),
    ]
    with FakeServer(routes, name="hostile-http") as fake:
        yield fake


@pytest.fixture(params=[False, True], ids=["trusted", "guarded"])
def guarded(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(limits=HttpLimits(timeout_s=2, deadline_s=5), allow_private_hosts=True)
    yield client
    await client.aclose()


@pytest.mark.parametrize(
    "target", ["javascript:alert(1)", "mailto:a@example.org", "file:///etc/passwd", "http://[::1"]
)
async def test_redirect_to_non_web_address_is_source_error(
    http: HttpClient, server: FakeServer, guarded: bool, target: str
) -> None:
    with pytest.raises(SourceError):
        await http.get(server.url + "/redirect", params={"to": target}, guarded=guarded)


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
async def test_unknown_encoding_is_source_error(
    http: HttpClient, server: FakeServer, guarded: bool, encoding: str
) -> None:
    with pytest.raises(SourceError, match="Content-Encoding"):
        await http.get(server.url + "/encoded", params={"as": encoding}, guarded=guarded)


async def test_fetch_refused_when_its_requests_are_spent(
    http: HttpClient, server: FakeServer, guarded: bool
) -> None:
    fetching = http.for_fetch(FetchBudget(max_requests=2, max_bytes=1000, deadline_s=5))
    for _ in range(2):
        await fetching.get(server.url + "/ok", guarded=guarded)
    with pytest.raises(ResponseTooLargeError, match="requests"):
        await fetching.get(server.url + "/ok", guarded=guarded, platform="mastodon")


async def test_fetch_refused_when_its_bytes_are_spent(
    http: HttpClient, server: FakeServer, guarded: bool
) -> None:
    """The per-response cap is 5 MB, but the fetch as a whole may read only 100 KB."""
    fetching = http.for_fetch(FetchBudget(max_requests=10, max_bytes=100_000, deadline_s=5))
    with pytest.raises(ResponseTooLargeError, match="for one thread"):
        await fetching.get(server.url + "/bomb", guarded=guarded)


async def test_fetch_deadline_spans_all_its_requests(
    http: HttpClient, server: FakeServer, guarded: bool
) -> None:
    """Each request alone fits the deadline; the third does not fit what is left of it."""
    # Two answers of 1 s fit 2.8 s with room for a loaded machine; a third cannot.
    fetching = http.for_fetch(FetchBudget(max_requests=10, max_bytes=1000, deadline_s=2.8))
    for _ in range(2):
        await fetching.get(server.url + "/slow", guarded=guarded)
    with pytest.raises(SourceTimeoutError):
        await fetching.get(server.url + "/slow", guarded=guarded)
