"""The fake Bot API against a real python-telegram-bot `Bot` and `Application` over a socket.

These tests pin the behaviour other suites rely on: PTB parses every answer, Telegram's
validation errors reach PTB as its own exception types, and updates arrive by long polling
and by webhook.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputTextMessageContent,
    LinkPreviewOptions,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from tests.conftest import eventually
from tests.fakes.server import FakeServer, free_port
from tests.fakes.telegram import FakeChat, FakeTelegram, FakeUser

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeTelegram) -> FakeTelegram:
    server.reset()
    return server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot"
    ) as client:
        yield client


@pytest.fixture
def bot(fake: FakeTelegram, module_bot: Bot) -> Bot:
    """One Bot for the module: building one costs two TLS contexts (about 0.3 s)."""
    return module_bot


@pytest.fixture
def alice(fake: FakeTelegram) -> FakeUser:
    return fake.user("Alice")


@pytest.fixture
def dm(fake: FakeTelegram, alice: FakeUser) -> FakeChat:
    return fake.private_chat(alice)


def _application(fake: FakeTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    return (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")
        .build()
    )


async def _raw(
    fake: FakeTelegram, http_method: str, api_method: str, **kwargs: Any
) -> httpx.Response:
    """Call the fake without PTB, to read Telegram's exact answer."""
    async with httpx.AsyncClient() as client:
        return await client.request(
            http_method, f"{fake.url}/bot{fake.token}/{api_method}", **kwargs
        )


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(f"got {update.message.text}")


# ---------------------------------------------------------------------------------------------
# Identity, envelope, errors


async def test_get_me_returns_configured_bot(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.username, me.supports_inline_queries, me.can_read_all_group_messages) == (
        "UnrollTestBot",
        True,
        False,
    )


async def test_unknown_method_answers_telegrams_404(fake: FakeTelegram) -> None:
    response = await _raw(fake, "POST", "sendTelepathy")

    assert (response.status_code, response.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


async def test_method_names_match_case_insensitively(fake: FakeTelegram) -> None:
    response = await _raw(fake, "GET", "GETME")

    assert response.json()["result"]["username"] == "UnrollTestBot"


async def test_wrong_token_raises_invalid_token(fake: FakeTelegram) -> None:
    stranger = Bot("999:wrong", base_url=f"{fake.url}/bot")

    with pytest.raises(InvalidToken):
        await stranger.initialize()
    await stranger.shutdown()


async def test_json_body_is_accepted(fake: FakeTelegram, dm: FakeChat) -> None:
    response = await _raw(fake, "POST", "sendMessage", json={"chat_id": dm.id, "text": "hi"})

    assert response.json()["result"]["text"] == "hi"


async def test_form_fields_are_json_decoded(fake: FakeTelegram, bot: Bot, dm: FakeChat) -> None:
    first = await bot.send_message(dm.id, "one")
    await bot.send_message(dm.id, "two", reply_parameters=ReplyParameters(first.message_id))

    params = fake.calls_to("sendMessage")[-1].params
    assert (params["chat_id"], params["reply_parameters"]["message_id"]) == (
        dm.id,
        first.message_id,
    )


async def test_malformed_parameter_answers_400(fake: FakeTelegram, dm: FakeChat) -> None:
    response = await _raw(
        fake, "POST", "editMessageText", data={"chat_id": dm.id, "message_id": "x", "text": "t"}
    )

    assert response.status_code == 400


async def test_429_raises_retry_after_with_telegrams_delay(
    fake: FakeTelegram, bot: Bot, dm: FakeChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB warns on the int form since 22.2
    fake.fail_next("sendMessage", status=429, retry_after=3)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(dm.id, "hi")

    assert raised.value.retry_after == dtm.timedelta(seconds=3)


async def test_429_body_matches_telegram(fake: FakeTelegram, dm: FakeChat) -> None:
    fake.fail_next("sendMessage", retry_after=5)

    response = await _raw(fake, "POST", "sendMessage", data={"chat_id": dm.id, "text": "x"})

    assert (response.status_code, response.json()) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 5",
            "parameters": {"retry_after": 5},
        },
    )


async def test_fault_applies_only_to_the_next_call(
    fake: FakeTelegram, bot: Bot, dm: FakeChat
) -> None:
    fake.fail_next("sendMessage", status=502)
    with pytest.raises(NetworkError):
        await bot.send_message(dm.id, "lost")

    message = await bot.send_message(dm.id, "kept")

    assert message.text == "kept"


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequest), (403, Forbidden), (409, Conflict), (502, NetworkError)],
)
async def test_fault_status_maps_to_ptb_error(
    fake: FakeTelegram, bot: Bot, dm: FakeChat, status: int, error: type[Exception]
) -> None:
    fake.fail_next("sendMessage", status=status)

    with pytest.raises(error):
        await bot.send_message(dm.id, "hi")


async def test_blocked_chat_raises_forbidden(fake: FakeTelegram, bot: Bot, dm: FakeChat) -> None:
    fake.block_chat(dm)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(dm.id, "hi")


async def test_slow_answer_raises_timed_out(fake: FakeTelegram, bot: Bot, dm: FakeChat) -> None:
    fake.delay_next("sendMessage", 1.0)

    with pytest.raises(TimedOut):
        await bot.send_message(dm.id, "hi", read_timeout=0.2)


async def test_unknown_chat_raises_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")


# ---------------------------------------------------------------------------------------------
# Sending: texts, HTML, entities


async def test_html_entities_count_utf16_units_after_emoji(bot: Bot, dm: FakeChat) -> None:
    message = await bot.send_message(dm.id, "🧵 <b>Thread</b> by <i>Ann</i>", parse_mode="HTML")

    assert (message.text, message.parse_entities()) == (
        "🧵 Thread by Ann",
        {
            MessageEntity("bold", 3, 6): "Thread",
            MessageEntity("italic", 13, 3): "Ann",
        },
    )


async def test_bot_text_gets_automatic_url_and_mention_entities(bot: Bot, dm: FakeChat) -> None:
    message = await bot.send_message(dm.id, "by @alice 🧵 https://x.com/a/status/1")

    assert message.parse_entities() == {
        MessageEntity("mention", 3, 6): "@alice",
        MessageEntity("url", 13, 24): "https://x.com/a/status/1",
    }


async def test_html_link_becomes_text_link(bot: Bot, dm: FakeChat) -> None:
    message = await bot.send_message(
        dm.id, '<a href="https://x.com/a">post</a> &amp; more', parse_mode="HTML"
    )

    assert (message.text, message.entities) == (
        "post & more",
        (MessageEntity("text_link", 0, 4, url="https://x.com/a"),),
    )


async def test_pre_with_code_class_carries_language(bot: Bot, dm: FakeChat) -> None:
    message = await bot.send_message(
        dm.id, '<pre><code class="language-python">x = 1</code></pre>', parse_mode="HTML"
    )

    assert message.entities == (MessageEntity("pre", 0, 5, language="python"),)


@pytest.mark.parametrize(
    "text",
    [
        "a" * MessageLimit.MAX_TEXT_LENGTH,
        "<b>" + "a" * MessageLimit.MAX_TEXT_LENGTH + "</b>",  # tags do not count
        "🧵" * (MessageLimit.MAX_TEXT_LENGTH // 2),  # 4096 UTF-16 units
    ],
    ids=["4096", "4096-inside-tags", "emoji-4096-units"],
)
async def test_text_at_limit_accepted(bot: Bot, dm: FakeChat, text: str) -> None:
    message = await bot.send_message(dm.id, text, parse_mode="HTML")

    assert len((message.text or "").encode("utf-16-le")) // 2 == MessageLimit.MAX_TEXT_LENGTH


@pytest.mark.parametrize(
    "text",
    [
        "a" * (MessageLimit.MAX_TEXT_LENGTH + 1),
        "🧵" * (MessageLimit.MAX_TEXT_LENGTH // 2 + 1),  # 2049 code points, 4098 units
    ],
    ids=["4097", "emoji-4098-units"],
)
async def test_text_over_limit_rejected(bot: Bot, dm: FakeChat, text: str) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(dm.id, text)


@pytest.mark.parametrize(
    ("markup", "detail"),
    [
        ("<h3>Title</h3>", 'Unsupported start tag "h3" at byte offset 0'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("🧵 <br>", 'Unsupported start tag "br" at byte offset 5'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_bad_html_rejected_with_tdlib_description(
    fake: FakeTelegram, bot: Bot, dm: FakeChat, markup: str, detail: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(dm.id, markup, parse_mode="HTML")

    # PTB re-cases the description, so the exact text is read from the answer itself.
    answer = fake.calls_to("sendMessage")[-1].response
    assert answer == {
        "ok": False,
        "error_code": 400,
        "description": f"Bad Request: can't parse entities: {detail}",
    }


@pytest.mark.parametrize("text", ["", "   \n ", "<b></b>"])
async def test_empty_text_rejected(bot: Bot, dm: FakeChat, text: str) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(dm.id, text, parse_mode="HTML")


async def test_inline_keyboard_is_echoed(bot: Bot, dm: FakeChat) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Refresh", callback_data="r")]])

    message = await bot.send_message(dm.id, "hi", reply_markup=markup)

    assert message.reply_markup == markup


async def test_link_preview_options_are_echoed(bot: Bot, dm: FakeChat) -> None:
    message = await bot.send_message(
        dm.id, "https://telegra.ph/a", link_preview_options=LinkPreviewOptions(is_disabled=True)
    )

    assert message.link_preview_options is not None
    assert message.link_preview_options.is_disabled


# ---------------------------------------------------------------------------------------------
# Replies and forum topics


async def test_reply_carries_replied_message(bot: Bot, dm: FakeChat, fake: FakeTelegram) -> None:
    asked = fake.user_sends(dm, "https://x.com/a/status/1")

    message = await bot.send_message(
        dm.id, "unrolled", reply_parameters=ReplyParameters(asked["message_id"])
    )

    assert message.reply_to_message is not None
    assert message.reply_to_message.text == "https://x.com/a/status/1"


async def test_reply_to_missing_message_rejected(bot: Bot, dm: FakeChat) -> None:
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(dm.id, "hi", reply_parameters=ReplyParameters(999))


async def test_reply_to_missing_message_allowed_when_asked(bot: Bot, dm: FakeChat) -> None:
    message = await bot.send_message(
        dm.id, "hi", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )

    assert message.reply_to_message is None


async def test_thread_id_rejected_outside_forum(bot: Bot, fake: FakeTelegram) -> None:
    group = fake.group("Reading club")

    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(group.id, "hi", message_thread_id=5)


async def test_topic_message_lands_in_topic(bot: Bot, fake: FakeTelegram, alice: FakeUser) -> None:
    forum = fake.group("Forum", forum=True)
    topic = fake.create_topic(forum, "Threads", user=alice)

    message = await bot.send_message(forum.id, "hi", message_thread_id=topic)

    assert (message.message_thread_id, message.is_topic_message) == (topic, True)


async def test_user_message_in_topic_replies_to_topic_root(
    fake: FakeTelegram, alice: FakeUser
) -> None:
    forum = fake.group("Forum", forum=True)
    topic = fake.create_topic(forum, "Threads", user=alice)

    message = fake.user_sends(forum, "hello", user=alice, thread_id=topic)

    assert message["reply_to_message"]["forum_topic_created"]["name"] == "Threads"


# ---------------------------------------------------------------------------------------------
# Editing and deleting


async def test_edit_changes_current_text(bot: Bot, dm: FakeChat, fake: FakeTelegram) -> None:
    message = await bot.send_message(dm.id, "Working…")

    await message.edit_text("<b>Done</b>", parse_mode="HTML")

    assert fake.sent_to(dm) == ["Done"]


async def test_edit_with_same_content_rejected(bot: Bot, dm: FakeChat) -> None:
    message = await bot.send_message(dm.id, "<b>same</b>", parse_mode="HTML")

    with pytest.raises(BadRequest, match="Message is not modified"):
        await message.edit_text("<b>same</b>", parse_mode="HTML")


async def test_edit_of_unknown_message_rejected(bot: Bot, dm: FakeChat) -> None:
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=dm.id, message_id=999)


async def test_edit_of_users_message_rejected(bot: Bot, dm: FakeChat, fake: FakeTelegram) -> None:
    theirs = fake.user_sends(dm, "mine")

    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", chat_id=dm.id, message_id=theirs["message_id"])


async def test_edit_reply_markup_replaces_keyboard(bot: Bot, dm: FakeChat) -> None:
    message = await bot.send_message(dm.id, "hi")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("EPUB", callback_data="epub")]])

    edited = await message.edit_reply_markup(markup)

    assert not isinstance(edited, bool)
    assert edited.reply_markup == markup


async def test_deleted_message_leaves_chat(bot: Bot, dm: FakeChat, fake: FakeTelegram) -> None:
    message = await bot.send_message(dm.id, "placeholder")

    await message.delete()

    assert fake.sent_to(dm) == []


async def test_wrong_chat_action_rejected(bot: Bot, dm: FakeChat) -> None:
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(dm.id, "dancing")


# ---------------------------------------------------------------------------------------------
# Files


async def test_send_document_keeps_bytes_and_filename(
    bot: Bot, dm: FakeChat, fake: FakeTelegram
) -> None:
    content = b"\x00\r\nbinary\n\r\xff"

    await bot.send_document(dm.id, content, filename="thread.epub")

    stored = fake.documents_sent(dm)[0].file
    assert (stored.filename, stored.content) == ("thread.epub", content)


async def test_sent_document_downloads_through_get_file(bot: Bot, dm: FakeChat) -> None:
    message = await bot.send_document(dm.id, b"# Thread\n", filename="thread.md")
    assert message.document is not None

    file = await bot.get_file(message.document.file_id)

    assert await file.download_as_bytearray() == bytearray(b"# Thread\n")


async def test_media_group_returns_one_message_per_item(bot: Bot, dm: FakeChat) -> None:
    media = [InputMediaPhoto(f"https://pbs.example/{n}.jpg") for n in range(3)]

    messages = await bot.send_media_group(dm.id, media)

    assert len({m.media_group_id for m in messages}) == 1
    assert len(messages) == 3


async def test_media_group_of_one_rejected(fake: FakeTelegram, dm: FakeChat) -> None:
    media = json.dumps([{"type": "photo", "media": "https://pbs.example/1.jpg"}])

    response = await _raw(fake, "POST", "sendMediaGroup", data={"chat_id": dm.id, "media": media})

    assert response.status_code == 400


# ---------------------------------------------------------------------------------------------
# Commands, inline mode, buttons


async def test_commands_round_trip(bot: Bot) -> None:
    await bot.set_my_commands([("unroll", "Unroll a thread")])

    commands = await bot.get_my_commands()

    assert [(c.command, c.description) for c in commands] == [("unroll", "Unroll a thread")]


def _article(result_id: str, *, keyboard: bool = False) -> InlineQueryResultArticle:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("…", callback_data="x")]])
    return InlineQueryResultArticle(
        result_id,
        "Unroll",
        InputTextMessageContent("<i>Unrolling…</i>", parse_mode="HTML"),
        reply_markup=markup if keyboard else None,
    )


@pytest.mark.parametrize(
    ("results", "description"),
    [
        ([_article(str(n)) for n in range(51)], "Results_too_much"),
        ([_article("x" * 65)], "Result_id_invalid"),
        ([_article("a"), _article("a")], "Result_id_duplicate"),
    ],
    ids=["51-results", "65-byte-id", "duplicate-id"],
)
async def test_invalid_inline_answer_rejected(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, results: list[Any], description: str
) -> None:
    query_id = fake.inline_query(alice, "https://x.com/a/status/1")

    with pytest.raises(BadRequest, match=description):
        await bot.answer_inline_query(query_id, results)


async def test_inline_answer_to_unknown_query_rejected(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query("123", [_article("a")])


async def test_chosen_result_with_keyboard_is_editable_inline(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    query_id = fake.inline_query(alice, "https://x.com/a/status/1")
    await bot.answer_inline_query(query_id, [_article("job-1", keyboard=True)])
    inline_message_id = fake.choose_inline_result(alice, query_id, "job-1")
    assert inline_message_id is not None

    await bot.edit_message_text("Thread by Ann", inline_message_id=inline_message_id)

    assert fake.inline_message(inline_message_id)["text"] == "Thread by Ann"


async def test_chosen_result_without_keyboard_has_no_inline_message_id(
    bot: Bot, fake: FakeTelegram, alice: FakeUser
) -> None:
    query_id = fake.inline_query(alice, "https://x.com/a/status/1")
    await bot.answer_inline_query(query_id, [_article("job-1")])

    assert fake.choose_inline_result(alice, query_id, "job-1") is None


async def test_button_press_arrives_as_callback_query(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, dm: FakeChat
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("EPUB", callback_data="epub")]])
    message = await bot.send_message(dm.id, "Thread", reply_markup=markup)

    fake.press_button(alice, message, "epub")

    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert query.message is not None
    assert (query.data, query.message.message_id) == ("epub", message.message_id)


async def test_callback_query_answered_once(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, dm: FakeChat
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("EPUB", callback_data="epub")]])
    message = await bot.send_message(dm.id, "Thread", reply_markup=markup)
    query_id = fake.press_button(alice, message, "epub")
    await bot.answer_callback_query(query_id)

    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


# ---------------------------------------------------------------------------------------------
# Users' messages: entities and privacy mode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great thread 🧵 https://x.com/alice/status/1", [("url", 16, 28)]),
        ("/unroll@UnrollTestBot", [("bot_command", 0, 21)]),
        ("@UnrollTestBot unroll", [("mention", 0, 14)]),
        ("/start job_1", [("bot_command", 0, 6)]),
        ("see x.com/a/status/1.", [("url", 4, 16)]),
    ],
)
async def test_user_message_entities_like_a_client(
    fake: FakeTelegram, dm: FakeChat, text: str, expected: list[tuple[str, int, int]]
) -> None:
    message = fake.user_sends(dm, text)

    assert [(e["type"], e["offset"], e["length"]) for e in message["entities"]] == expected


async def test_given_text_link_entities_are_kept(fake: FakeTelegram, dm: FakeChat) -> None:
    link = {"type": "text_link", "offset": 0, "length": 4, "url": "https://x.com/a/status/1"}

    message = fake.user_sends(dm, "this", entities=[link])

    assert message["entities"] == [link]


@pytest.mark.parametrize(
    ("text", "delivered"),
    [
        ("just chatting https://x.com/a/status/1", False),
        ("/unroll", True),
        ("/unroll@UnrollTestBot", True),
        ("/unroll@SomeOtherBot", False),
        ("@unrolltestbot unroll", True),  # usernames compare case-insensitively
    ],
)
async def test_privacy_mode_filters_group_messages(
    fake: FakeTelegram, alice: FakeUser, text: str, delivered: bool
) -> None:
    group = fake.group("Reading club")

    fake.user_sends(group, text, user=alice)

    assert bool(fake.pending_updates()) == delivered


async def test_privacy_mode_can_drop_plain_mentions(fake: FakeTelegram, alice: FakeUser) -> None:
    """Whether Telegram delivers plain mentions is unverified, so it is a knob."""
    fake.mentions_pass_privacy = False
    group = fake.group("Reading club")

    fake.user_sends(group, "@UnrollTestBot unroll", user=alice)

    assert fake.pending_updates() == []


async def test_privacy_mode_delivers_replies_to_the_bot(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
) -> None:
    group = fake.group("Reading club")
    ours = await bot.send_message(group.id, "Thread by Ann")

    fake.user_sends(group, "more please", user=alice, reply_to=ours)

    assert [u["message"]["text"] for u in fake.pending_updates()] == ["more please"]


# ---------------------------------------------------------------------------------------------
# getUpdates


async def test_get_updates_holds_until_an_update_arrives(
    bot: Bot, fake: FakeTelegram, dm: FakeChat
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await eventually(lambda: bool(fake.calls_to("getUpdates")))

    fake.user_sends(dm, "hello")

    updates = await poll
    assert [u.message.text for u in updates if u.message] == ["hello"]


async def test_get_updates_returns_empty_after_timeout(bot: Bot) -> None:
    assert await bot.get_updates(timeout=0) == ()


async def test_get_updates_offset_confirms_earlier_updates(
    bot: Bot, fake: FakeTelegram, dm: FakeChat
) -> None:
    fake.user_sends(dm, "one")
    (first,) = await bot.get_updates()
    fake.user_sends(dm, "two")

    updates = await bot.get_updates(offset=first.update_id + 1)

    assert [u.message.text for u in updates if u.message] == ["two"]


async def test_get_updates_skips_types_not_allowed(
    bot: Bot, fake: FakeTelegram, alice: FakeUser, dm: FakeChat
) -> None:
    await bot.get_updates(allowed_updates=["inline_query"])
    fake.user_sends(dm, "ignored")
    fake.inline_query(alice, "https://x.com/a/status/1")

    updates = await bot.get_updates()

    assert [u.inline_query is not None for u in updates] == [True]


async def test_second_poller_ends_first_with_conflict(bot: Bot, fake: FakeTelegram) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await eventually(lambda: bool(fake.calls_to("getUpdates")))

    async with Bot(fake.token, base_url=f"{fake.url}/bot") as second_instance:
        await second_instance.get_updates(timeout=0)

    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_get_updates_conflicts_while_webhook_is_set(bot: Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/hook")

    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()


async def test_polling_application_answers_injected_message(
    fake: FakeTelegram, dm: FakeChat
) -> None:
    app = _application(fake)
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1)
        fake.user_sends(dm, "hello")
        await fake.wait_for_call("sendMessage")
        await app.updater.stop()
        await app.stop()

    assert fake.sent_to(dm) == ["got hello"]


# ---------------------------------------------------------------------------------------------
# Webhook delivery


@pytest.fixture
def receiver() -> Iterator[tuple[FakeServer, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=200)

    with FakeServer([Route("/hook", hook, methods=["POST"])], name="receiver") as server:
        yield server, received


async def test_webhook_posts_update_with_secret_header(
    fake: FakeTelegram,
    dm: FakeChat,
    receiver: tuple[FakeServer, list[tuple[dict[str, str], bytes]]],
) -> None:
    server, received = receiver
    fake.use_webhook(f"{server.url}/hook", "s3cret")

    fake.user_sends(dm, "hello")

    await eventually(lambda: bool(received))
    headers, body = received[0]
    assert (
        headers["content-type"],
        headers["x-telegram-bot-api-secret-token"],
        json.loads(body)["message"]["text"],
    ) == ("application/json", "s3cret", "hello")


async def test_webhook_application_answers_injected_message(
    fake: FakeTelegram, dm: FakeChat
) -> None:
    app = _application(fake)
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    port = free_port()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        fake.user_sends(dm, "hello")
        await fake.wait_for_call("sendMessage")
        await app.updater.stop()
        await app.stop()

    assert fake.sent_to(dm) == ["got hello"]


async def test_webhook_with_wrong_secret_is_refused(fake: FakeTelegram, dm: FakeChat) -> None:
    app = _application(fake)
    port = free_port()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", secret_token="right"
        )
        fake.use_webhook(f"http://127.0.0.1:{port}/hook", "wrong")
        fake.user_sends(dm, "hello")
        await eventually(lambda: bool(fake.webhook_deliveries))
        await app.updater.stop()
        await app.stop()

    assert fake.webhook_deliveries[0].status == 403
