"""PTB's requests to the Bot API over real sockets: JSON bodies on kept-alive connections.

A raw asyncio server plays the Bot API so each test can choose how it answers (by length, in
chunks, closing the connection, never) and count the connections the bot opened.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.net.bot_api import JsonBotRequest
from tests.fakes.scripted_http import OK, ScriptedServer, by_length
from tests.fakes.server import free_port


@pytest.fixture
async def bot(api: ScriptedServer) -> AsyncIterator[Bot]:
    request = JsonBotRequest(connection_pool_size=2, read_timeout=1.0, pool_timeout=0.2)
    bot = Bot("1:token", base_url=f"{api.url}/bot", request=request, get_updates_request=request)
    await request.initialize()
    yield bot
    await request.shutdown()


async def test_parameters_go_as_one_json_body(bot: Bot, api: ScriptedServer) -> None:
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Refresh", callback_data="r:x")]])
    await bot.edit_message_text(
        text="",
        chat_id=5,
        message_id=3,
        reply_markup=buttons,
        api_kwargs={"text": None, "rich_message": {"html": "<p>é 🧵</p>"}},
    )
    [received] = api.received
    assert received.head.startswith(
        f"POST /bot1:token/editMessageText HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\n"
    )
    assert (received.content_type, orjson.loads(received.body)) == (
        "application/json",
        {
            "chat_id": 5,
            "message_id": 3,
            "reply_markup": {"inline_keyboard": [[{"text": "Refresh", "callback_data": "r:x"}]]},
            "rich_message": {"html": "<p>é 🧵</p>"},
        },
    )


async def test_a_file_still_goes_as_multipart(bot: Bot, api: ScriptedServer) -> None:
    api.answer = lambda _: by_length(
        orjson.dumps(
            {
                "ok": True,
                "result": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}},
            }
        )
    )
    await bot.send_document(chat_id=5, document=b"# thread\n", filename="thread.md")
    assert api.received[0].content_type.startswith("multipart/form-data")


async def test_requests_one_after_another_share_one_connection(
    bot: Bot, api: ScriptedServer
) -> None:
    for _ in range(3):
        assert await bot.send_chat_action(chat_id=5, action="typing")
    assert [r.connection for r in api.received] == [1, 1, 1]


async def test_a_chunked_answer_is_read_and_the_connection_kept(
    bot: Bot, api: ScriptedServer
) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (OK[:5], OK[5:]))
        + b"0\r\n\r\n"
    )
    api.answer = lambda _: chunked
    assert await bot.send_chat_action(chat_id=5, action="typing")
    assert await bot.send_chat_action(chat_id=5, action="typing")
    assert [r.connection for r in api.received] == [1, 1]


async def test_an_answer_that_closes_the_connection_is_not_reused(
    bot: Bot, api: ScriptedServer
) -> None:
    api.answer = lambda _: by_length(extra="Connection: close\r\n")
    assert await bot.send_chat_action(chat_id=5, action="typing")
    assert await bot.send_chat_action(chat_id=5, action="typing")
    assert [r.connection for r in api.received] == [1, 2]


async def test_an_idle_connection_the_server_dropped_is_replaced_unseen(
    bot: Bot, api: ScriptedServer
) -> None:
    # The server reads the second request on the kept connection, then closes it unanswered,
    # as a server whose keep-alive time ran out at that moment does.
    api.answer = lambda r: None if len(api.received) == 2 else by_length()
    assert await bot.send_chat_action(chat_id=5, action="typing")
    assert await bot.send_chat_action(chat_id=5, action="typing")
    assert [r.connection for r in api.received] == [1, 1, 2]


async def test_a_new_connection_closed_unanswered_is_a_network_error(
    bot: Bot, api: ScriptedServer
) -> None:
    api.answer = lambda _: None
    with pytest.raises(NetworkError, match="without an answer"):
        await bot.send_chat_action(chat_id=5, action="typing")
    assert len(api.received) == 1  # not sent twice on a fresh connection


async def test_a_slow_answer_times_out_and_its_connection_is_dropped(
    bot: Bot, api: ScriptedServer
) -> None:
    api.answer = lambda r: asyncio.sleep(30) if len(api.received) == 1 else by_length()
    with pytest.raises(TimedOut):
        await bot.send_chat_action(chat_id=5, action="typing", read_timeout=0.1)
    assert await bot.send_chat_action(chat_id=5, action="typing")
    assert [r.connection for r in api.received] == [1, 2]


async def test_busy_connections_give_a_pool_timeout(bot: Bot, api: ScriptedServer) -> None:
    api.answer = lambda r: asyncio.sleep(30)
    stalled = [
        asyncio.create_task(bot.send_chat_action(chat_id=5, action="typing")) for _ in range(2)
    ]
    await api.until_received(2)
    with pytest.raises(TimedOut, match="Pool timeout"):
        await bot.send_chat_action(chat_id=5, action="typing")
    assert len(api.received) == 2  # the third was never sent
    for task in stalled:
        task.cancel()
    await asyncio.gather(*stalled, return_exceptions=True)


async def test_a_cancelled_request_does_not_leave_its_connection_half_read(
    bot: Bot, api: ScriptedServer
) -> None:
    api.answer = lambda r: asyncio.sleep(30) if len(api.received) == 1 else by_length()
    cancelled = asyncio.create_task(bot.send_chat_action(chat_id=5, action="typing"))
    await api.until_received(1)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await bot.send_chat_action(chat_id=5, action="typing")
    assert [r.connection for r in api.received] == [1, 2]


async def test_a_refused_connection_is_a_network_error() -> None:
    request = JsonBotRequest(connection_pool_size=1)
    bot = Bot("1:token", base_url=f"http://127.0.0.1:{free_port()}/bot", request=request)
    await request.initialize()
    with pytest.raises(NetworkError):
        await bot.send_chat_action(chat_id=5, action="typing")
    await request.shutdown()


async def test_a_request_after_shutdown_is_refused_until_initialized_again(
    bot: Bot, api: ScriptedServer
) -> None:
    await bot.request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await bot.send_chat_action(chat_id=5, action="typing")
    await bot.request.initialize()
    assert await bot.send_chat_action(chat_id=5, action="typing")


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A TLS server context with a certificate no CA signed."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subj = ["-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", *subj],
        check=True,
        capture_output=True,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    return tls


async def test_an_https_server_must_show_a_trusted_certificate(
    self_signed: ssl.SSLContext,
) -> None:
    api = ScriptedServer(free_port())
    server = await asyncio.start_server(api.serve, "127.0.0.1", api.port, ssl=self_signed)
    request = JsonBotRequest(connection_pool_size=1)
    bot = Bot("1:token", base_url=f"https://127.0.0.1:{api.port}/bot", request=request)
    await request.initialize()
    with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED"):
        await bot.send_chat_action(chat_id=5, action="typing")
    await request.shutdown()
    server.close()
    assert api.received == []
