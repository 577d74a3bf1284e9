"""The trusted client's lean transport over real sockets: answers framed every way, kept
connections, and failures that end as `errors.py` errors with the connection not reused.

The hostile cases both pools share (byte caps, bombs, redirects, deadlines) are in
test_http_hostile.py; these are the framings and connection states only a raw server can
play (`tests/fakes/scripted_http.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.errors import ResponseTooLargeError, SourceError, SourceTimeoutError
from bot.net.http import HttpClient, HttpLimits
from tests.fakes.scripted_http import OK, ScriptedServer, ThenClose, by_length
from tests.fakes.server import free_port


@pytest.fixture
async def http(api: ScriptedServer) -> AsyncIterator[HttpClient]:
    # After the server, so closed before it: the server then sees its connections end.
    # An idle timeout a loaded machine's stalls do not reach; a stalled body still outlasts it.
    client = HttpClient(limits=HttpLimits(timeout_s=2.0, deadline_s=5, max_bytes=1000))
    yield client
    await client.aclose()


def chunked(*parts: bytes, size_line: bytes | None = None) -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts)
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head + (size_line or b"") + body + b"0\r\n\r\n"


async def test_gets_share_one_connection_and_send_the_clients_headers(
    http: HttpClient, api: ScriptedServer
) -> None:
    for _ in range(3):
        response = await http.get(f"{api.url}/2/thread/1", params={"q": "é 1"})
        assert (response.status, response.content) == (200, OK)
    assert [r.connection for r in api.received] == [1, 1, 1]
    head = api.received[0].head
    assert head.startswith(f"GET /2/thread/1?q=%C3%A9+1 HTTP/1.1\r\nHost: 127.0.0.1:{api.port}")
    assert "\r\nUser-Agent: unroll-bot/" in head
    assert "\r\nAccept-Encoding: gzip, deflate" in head


async def test_a_given_header_replaces_the_default_however_spelt(
    http: HttpClient, api: ScriptedServer
) -> None:
    await http.get(api.url, headers={"accept": "text/html", "Authorization": "Bearer t"})
    head = api.received[0].head.lower()
    assert head.count("\r\naccept:") == 1
    assert "\r\naccept: text/html" in head
    assert "\r\nauthorization: bearer t" in head


async def test_a_path_beyond_ascii_goes_percent_encoded(
    http: HttpClient, api: ScriptedServer
) -> None:
    await http.get(f"{api.url}/2/thread/\u0661\u0662 x")
    assert api.received[0].head.startswith("GET /2/thread/%D9%A1%D9%A2%20x HTTP/1.1\r\n")


async def test_params_are_merged_into_the_query_the_url_has(
    http: HttpClient, api: ScriptedServer
) -> None:
    await http.get(f"{api.url}/search?a=1&b=2", params={"a": "3"})
    assert api.received[0].head.startswith("GET /search?a=3&b=2 HTTP/1.1\r\n")


async def test_a_post_without_a_body_says_its_length(
    http: HttpClient, api: ScriptedServer
) -> None:
    await http.request("POST", f"{api.url}/ping")
    assert "\r\nContent-Length: 0\r\n" in api.received[0].head


async def test_repeated_answer_headers_are_joined_under_their_lower_case_name(
    http: HttpClient, api: ScriptedServer
) -> None:
    head = b"HTTP/1.1 200 OK\r\nVary: a\r\nVARY: b\r\nContent-Length: %d\r\n\r\n" % len(OK)
    api.answer = lambda _: head + OK
    response = await http.get(api.url)
    assert response.headers["vary"] == "a, b"


@pytest.mark.parametrize(
    "name", ["café".encode(), "café".encode("latin-1")], ids=["utf-8", "latin-1"]
)
async def test_header_bytes_beyond_ascii_are_read_as_httpx_reads_them(
    http: HttpClient, api: ScriptedServer, name: bytes
) -> None:
    head = b"HTTP/1.1 200 OK\r\nX-Name: " + name + b"\r\nContent-Length: %d\r\n\r\n" % len(OK)
    api.answer = lambda _: head + OK
    response = await http.get(api.url)
    assert (response.content, response.headers["x-name"]) == (OK, "café")


async def test_a_form_goes_with_its_length(http: HttpClient, api: ScriptedServer) -> None:
    await http.post(f"{api.url}/createPage", data={"title": "Ada's thread"})
    [received] = api.received
    assert received.body == b"title=Ada%27s+thread"
    assert received.content_type == "application/x-www-form-urlencoded"


async def test_a_chunked_answer_is_read_whole_and_the_connection_kept(
    http: HttpClient, api: ScriptedServer
) -> None:
    api.answer = lambda _: chunked(OK[:5], OK[5:])
    assert (await http.get(api.url)).content == OK
    assert (await http.get(api.url)).content == OK
    assert [r.connection for r in api.received] == [1, 1]


async def test_an_answer_ending_with_its_connection_is_read_and_not_reused(
    http: HttpClient, api: ScriptedServer
) -> None:
    api.answer = lambda _: ThenClose(b"HTTP/1.1 200 OK\r\n\r\n" + OK)
    assert (await http.get(api.url)).content == OK
    assert (await http.get(api.url)).content == OK
    assert [r.connection for r in api.received] == [1, 2]


async def test_an_idle_connection_the_server_dropped_is_replaced_unseen(
    http: HttpClient, api: ScriptedServer
) -> None:
    api.answer = lambda _: None if len(api.received) == 2 else by_length()
    assert (await http.get(api.url)).content == OK
    assert (await http.get(api.url)).content == OK
    assert [r.connection for r in api.received] == [1, 1, 2]


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",  # cut short
        b"HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nContent-Length: \xd9\xa3\r\n\r\n{}",  # a non-ASCII digit
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n{}",
        chunked(OK, size_line=b"zz\r\n"),
        chunked(OK, size_line=b"1" * 40 + b"\r\n"),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX",  # no CRLF after
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n{}",
    ],
    ids=[
        "cut",
        "length",
        "unicode-digit",
        "not-http",
        "header",
        "chunk-size",
        "chunk-size-long",
        "chunk-end",
        "head-too-long",
    ],
)
async def test_a_malformed_answer_is_a_source_error_and_its_connection_dropped(
    http: HttpClient, api: ScriptedServer, answer: bytes
) -> None:
    api.answer = lambda _: ThenClose(answer) if len(api.received) == 1 else by_length()
    with pytest.raises(SourceError) as caught:
        await http.get(api.url)
    assert type(caught.value) is SourceError
    assert (await http.get(api.url)).content == OK
    assert [r.connection for r in api.received] == [1, 2]


async def test_a_huge_chunk_stops_at_the_byte_cap(http: HttpClient, api: ScriptedServer) -> None:
    api.answer = lambda _: (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n" + (b"x" * 200_000)
    )
    with pytest.raises(ResponseTooLargeError):
        await http.get(api.url)


async def test_a_server_stalling_mid_body_times_out_and_is_not_reused(
    http: HttpClient, api: ScriptedServer
) -> None:
    async def stall() -> None:
        await asyncio.sleep(30)

    def answer(_: object) -> bytes | None:
        if len(api.received) == 1:
            # Half the body, then nothing: the rest of the answer never comes.
            return b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"{" * 50
        return by_length()

    api.answer = answer
    with pytest.raises(SourceTimeoutError, match="timeout"):
        await http.get(api.url)
    assert (await http.get(api.url)).content == OK
    assert api.received[-1].connection != api.received[0].connection


async def test_busy_connections_wait_and_free_their_slot_after_failures(
    api: ScriptedServer,
) -> None:
    api.answer = lambda _: None  # every request: the connection closes unanswered
    http = HttpClient(limits=HttpLimits(timeout_s=0.5, deadline_s=5))
    try:
        for _ in range(25):  # more than the pool holds: a slot kept by a failure would hang
            with pytest.raises(SourceError):
                await http.get(api.url)
        api.answer = lambda _: by_length()
        assert (await http.get(api.url)).content == OK
    finally:
        await http.aclose()


async def test_a_refused_connection_is_a_source_error(http: HttpClient) -> None:
    with pytest.raises(SourceError):
        await http.get(f"http://127.0.0.1:{free_port()}/")
