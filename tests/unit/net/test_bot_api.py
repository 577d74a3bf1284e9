"""PTB's requests go out as JSON bodies, uploads still as multipart; errors keep PTB's types."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.net.bot_api import JsonBotRequest

Sent = list[httpx.Request]


@pytest.fixture
def sent() -> Sent:
    return []


def _bot(sent: Sent, failure: Exception | None = None) -> Bot:
    def answer(request: httpx.Request) -> httpx.Response:
        if failure is not None:
            raise failure
        sent.append(request)
        return httpx.Response(200, json={"ok": True, "result": True})

    request = JsonBotRequest(httpx_kwargs={"transport": httpx.MockTransport(answer)})
    return Bot("1:token", request=request, get_updates_request=request)


@pytest.fixture
async def bot(sent: Sent) -> AsyncIterator[Bot]:
    bot = _bot(sent)
    await bot.request.initialize()
    yield bot
    await bot.request.shutdown()


async def test_parameters_go_as_one_json_body(bot: Bot, sent: Sent) -> None:
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Refresh", callback_data="r:x")]])
    await bot.edit_message_text(
        text="",
        chat_id=5,
        message_id=3,
        reply_markup=buttons,
        api_kwargs={"text": None, "rich_message": {"html": "<p>é 🧵</p>"}},
    )
    assert (sent[0].headers["content-type"], orjson.loads(sent[0].content)) == (
        "application/json",
        {
            "chat_id": 5,
            "message_id": 3,
            "reply_markup": {"inline_keyboard": [[{"text": "Refresh", "callback_data": "r:x"}]]},
            "rich_message": {"html": "<p>é 🧵</p>"},
        },
    )


async def test_a_file_still_goes_as_multipart(bot: Bot, sent: Sent) -> None:
    await bot.send_document(chat_id=5, document=b"# thread\n", filename="thread.md")
    assert sent[0].headers["content-type"].startswith("multipart/form-data")


@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (httpx.PoolTimeout("busy"), TimedOut),
        (httpx.ReadTimeout("slow"), TimedOut),
        (httpx.ConnectError("refused"), NetworkError),
    ],
)
async def test_transport_errors_keep_ptb_types(
    sent: Sent, failure: Exception, raised: type[Exception]
) -> None:
    bot = _bot(sent, failure)
    await bot.request.initialize()
    with pytest.raises(raised):
        await bot.send_chat_action(chat_id=5, action="typing")
    await bot.request.shutdown()
