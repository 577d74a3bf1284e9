"""Rich messages through the Sender against the fake Bot API over a real socket.

Sending and editing, Telegram's refusals, and a server older than Bot API 10.1: the first 404
is remembered, so later rich calls fail at once and the caller answers classically.
"""

from __future__ import annotations

import logging

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.delivery import RichUnsupportedError, Sender, Target, UndeliverableError
from bot.rendering import telegram_rich
from bot.rendering.telegram_rich import RichMessage
from tests.fakes.telegram import FakeChat, FakeTelegram, Json
from tests.samples import post, rich_thread, text, thread

BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("Refresh", callback_data="r")]])


@pytest.fixture
def chat(fake: FakeTelegram, sender: Sender) -> FakeChat:
    """A private chat, made after `sender` has reset the fake."""
    return fake.private_chat(fake.user("Alice"))


def _stored(fake: FakeTelegram, chat: FakeChat, message_id: int) -> Json:
    """Return the message `message_id` of `chat` as the fake Bot API now holds it."""
    [message] = [m for m in fake.messages_in(chat) if m["message_id"] == message_id]
    return message


def _message(html: str, *, is_rtl: bool = False) -> RichMessage:
    return RichMessage(html, is_rtl, 1, 1, chars=0, blocks=0, media=0, depth=0)


async def test_send_rich_delivers_the_rendered_html(
    fake: FakeTelegram, sender: Sender, chat: FakeChat
) -> None:
    message = telegram_rich.render(rich_thread())
    sent_id = await sender.send_rich(Target(chat_id=chat.id), message, buttons=BUTTONS)
    assert fake.rich_sent_to(chat) == [{"html": message.html}]
    assert _stored(fake, chat, sent_id)["reply_markup"] == BUTTONS.to_dict()
    assert sender.rich_supported is True


async def test_send_rich_replies_and_marks_right_to_left(
    fake: FakeTelegram, sender: Sender, chat: FakeChat
) -> None:
    asked = await sender.send(Target(chat_id=chat.id), "https://x.com/ada/status/1")
    hebrew = telegram_rich.render(thread(post(0, text("שלום עולם, זה שרשור"))))
    sent_id = await sender.send_rich(Target(chat_id=chat.id), hebrew, reply_to=asked.message_id)
    assert _stored(fake, chat, sent_id)["reply_to_message"]["message_id"] == asked.message_id
    assert fake.rich_sent_to(chat) == [{"html": hebrew.html, "is_rtl": True}]


async def test_edit_rich_turns_the_placeholder_into_the_answer(
    fake: FakeTelegram, sender: Sender, chat: FakeChat
) -> None:
    target = Target(chat_id=chat.id)
    placeholder = await sender.send(target, "Unrolling…")
    message = telegram_rich.render(rich_thread())
    await sender.edit_rich(target, message, message_id=placeholder.message_id, buttons=BUTTONS)
    assert fake.sent_to(chat) == []  # no text left: the message is rich now
    assert fake.rich_sent_to(chat) == [{"html": message.html}]
    edit = fake.calls_to("editMessageText")[-1]
    assert "text" not in edit.params


async def test_edit_rich_again_with_the_same_content_counts_as_done(
    fake: FakeTelegram, sender: Sender, chat: FakeChat
) -> None:
    target = Target(chat_id=chat.id)
    placeholder = await sender.send(target, "Unrolling…")
    message = _message("<p>Done</p>")
    await sender.edit_rich(target, message, message_id=placeholder.message_id)
    await sender.edit_rich(target, message, message_id=placeholder.message_id)
    assert len(fake.calls_to("editMessageText")) == 2
    assert fake.rich_sent_to(chat) == [{"html": "<p>Done</p>"}]


async def test_too_long_a_rich_message_is_refused_like_telegram(
    fake: FakeTelegram, sender: Sender, chat: FakeChat
) -> None:
    too_long = _message("<p>" + "a" * (telegram_rich.MAX_TEXT_CHARS + 1) + "</p>")
    with pytest.raises(UndeliverableError, match="too long") as caught:
        await sender.send_rich(Target(chat_id=chat.id), too_long)
    assert isinstance(caught.value.__cause__, BadRequest)
    assert fake.calls_to("sendRichMessage")[0].status == 400


@pytest.mark.parametrize(
    ("rich_message", "error"),
    [
        ({"html": "<p>a</p>", "markdown": "a"}, "exactly one of"),
        ({}, "exactly one of"),
        ({"html": "<script>x</script>"}, 'unsupported tag "script"'),
        ({"html": '<p><a href="javascript:x">a</a></p>'}, "wrong link URL"),
        ({"html": "<p>open"}, "unclosed tag"),
        ({"html": "<p>x</p>" + "<hr>" * 500}, "too many blocks"),
        ({"html": "<b>" * 17 + "deep" + "</b>" * 17}, "nested too deeply"),
        ({"html": '<img src="https://i/1.jpg">' * 51}, "too many media"),
    ],
)
async def test_fake_refuses_what_telegram_refuses(
    sender: Sender, chat: FakeChat, rich_message: dict[str, object], error: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){error}"):  # PTB capitalises the description
        await sender.bot.do_api_request(
            "sendRichMessage", api_kwargs={"chat_id": chat.id, "rich_message": rich_message}
        )


async def test_blocked_chat_raises_undeliverable(
    fake: FakeTelegram, sender: Sender, chat: FakeChat
) -> None:
    fake.block_chat(chat)
    with pytest.raises(UndeliverableError):
        await sender.send_rich(Target(chat_id=chat.id), _message("<p>Hi</p>"))


async def test_rate_limit_is_ridden_out(
    fake: FakeTelegram, sender: Sender, chat: FakeChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB warns on the int form since 22.2
    fake.fail_next("sendRichMessage", status=429, retry_after=1)
    await sender.send_rich(Target(chat_id=chat.id), _message("<p>Hi</p>"))
    assert [call.status for call in fake.calls_to("sendRichMessage")] == [429, 200]


async def test_older_server_is_detected_once_and_remembered(
    fake: FakeTelegram, sender: Sender, chat: FakeChat, caplog: pytest.LogCaptureFixture
) -> None:
    fake.supports_rich_messages = False
    target = Target(chat_id=chat.id)
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        with pytest.raises(RichUnsupportedError):
            await sender.send_rich(target, _message("<p>Hi</p>"))
        with pytest.raises(RichUnsupportedError):
            await sender.send_rich(target, _message("<p>Hi</p>"))
        with pytest.raises(RichUnsupportedError):
            await sender.edit_rich(target, _message("<p>Hi</p>"), message_id=1)
    assert [call.status for call in fake.calls_to("sendRichMessage")] == [404]
    assert fake.calls_to("editMessageText") == []
    assert sender.rich_supported is False
    assert len([r for r in caplog.records if "rich" in r.getMessage()]) == 1
    await sender.send(target, "Classic answer")  # the fallback still works
    assert fake.sent_to(chat) == ["Classic answer"]


async def test_older_server_ignoring_rich_edits_is_detected(
    fake: FakeTelegram, sender: Sender, chat: FakeChat
) -> None:
    fake.supports_rich_messages = False
    target = Target(chat_id=chat.id)
    placeholder = await sender.send(target, "Unrolling…")
    with pytest.raises(RichUnsupportedError):
        await sender.edit_rich(target, _message("<p>Hi</p>"), message_id=placeholder.message_id)
    assert sender.rich_supported is False
    assert fake.sent_to(chat) == ["Unrolling…"]


@pytest.mark.parametrize("knows", [True, False], ids=["10.1", "older"])
async def test_the_server_is_asked_once_whether_it_knows_rich_messages(
    fake: FakeTelegram, sender: Sender, knows: bool
) -> None:
    fake.supports_rich_messages = knows
    answers = [await sender.knows_rich_messages() for _ in range(3)]
    probes = fake.calls_to("sendRichMessage")
    assert (answers, len(probes), probes[0].status) == ([knows] * 3, 1, 400 if knows else 404)
