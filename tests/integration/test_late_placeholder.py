"""The placeholder-or-reply handshake against the fake Bot API, on both store backends.

The listener's timer and the answer race for one claim: whichever comes first decides, the
other follows, and a job handed out again finds the same decision.
"""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot

from bot.answering import late_placeholder
from bot.answering.executor import target_of
from bot.delivery import Sender
from bot.request import Answer, Destination, UnrollRequest
from bot.store import ChatStore
from tests.fakes.telegram import FakeChat, FakeTelegram
from tests.integration.conftest import Backend
from tests.samples import long_thread


def request_in(chat: FakeChat) -> UnrollRequest:
    return UnrollRequest(
        request_id="r1",
        key=long_thread(3).key,
        answer=Answer.REPLY_OR_PLACEHOLDER,
        user_id=1,
        destination=Destination.GROUP,
        chat_id=chat.id,
        asked_message_id=7,
    )


async def race(
    store: ChatStore, sender: Sender, request: UnrollRequest, *, answer_after_s: float
) -> UnrollRequest:
    """Run the timer (0.1 s) and the answer's settling at `answer_after_s`; return the latter.

    Answers meant to come after the timer come 0.3 s after it or later: on a loaded machine
    the timer's claim can take tens of milliseconds."""

    async def answer() -> UnrollRequest:
        await asyncio.sleep(answer_after_s)
        return await late_placeholder.settle(store, request)

    timer = late_placeholder.send_if_slow(
        store, sender, request, after_s=0.1, target=target_of(request), text="⏳"
    )
    _, settled = await asyncio.gather(timer, answer())
    return settled


async def test_an_answer_before_the_time_is_one_reply(
    backend: Backend, fake: FakeTelegram, sender: Sender
) -> None:
    store, chat = backend.store(), fake.group("Readers")
    settled = await race(store, sender, request_in(chat), answer_after_s=0.0)
    again = await late_placeholder.settle(store, request_in(chat))  # the job handed out again
    assert (settled.answer, again.answer, fake.calls_to("sendMessage")) == (
        Answer.REPLY,
        Answer.REPLY,
        [],
    )


async def test_an_answer_after_the_time_edits_the_placeholder(
    backend: Backend, fake: FakeTelegram, sender: Sender
) -> None:
    store, chat = backend.store(), fake.group("Readers")
    settled = await race(store, sender, request_in(chat), answer_after_s=0.4)
    again = await late_placeholder.settle(store, request_in(chat))
    [placeholder] = [m for m in fake.messages_in(chat) if m["from"]["is_bot"]]
    assert (settled.answer, settled.message_id, again.message_id) == (
        Answer.EDIT_PLACEHOLDER,
        placeholder["message_id"],
        placeholder["message_id"],
    )


async def test_an_answer_waits_for_a_placeholder_in_flight(
    backend: Backend, fake: FakeTelegram, sender: Sender
) -> None:
    """The timer claimed first but its send is slow: the answer edits it, it sends no reply."""
    store, chat = backend.store(), fake.group("Readers")
    fake.delay_next("sendMessage", 0.8)
    settled = await race(store, sender, request_in(chat), answer_after_s=0.4)
    assert (settled.answer, settled.message_id is not None) == (Answer.EDIT_PLACEHOLDER, True)


async def test_a_placeholder_never_recorded_does_not_hold_the_answer(
    backend: Backend, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listener died mid-send: after a bounded wait the answer goes as a reply."""
    store, chat = backend.store(), fake.group("Readers")
    monkeypatch.setattr(late_placeholder, "SENDING_WAIT_S", 0.2)
    name = late_placeholder.claim_name(request_in(chat))
    await store.claim_value(name, late_placeholder.SENDING, ttl_s=60)
    settled = await late_placeholder.settle(store, request_in(chat))
    assert settled.answer is Answer.REPLY


async def test_a_placeholder_sent_after_the_answer_stopped_waiting_is_deleted(
    backend: Backend, fake: FakeTelegram, sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram held the placeholder longer than the answer waits: none is left behind."""
    store, chat = backend.store(), fake.group("Readers")
    monkeypatch.setattr(late_placeholder, "SENDING_WAIT_S", 0.1)
    fake.delay_next("sendMessage", 1.0)
    settled = await race(store, sender, request_in(chat), answer_after_s=0.4)
    [placeholder] = fake.calls_to("sendMessage")
    [deleted] = fake.calls_to("deleteMessage")
    assert (settled.answer, deleted.params["message_id"]) == (
        Answer.REPLY,
        placeholder.response["result"]["message_id"],  # type: ignore[index]
    )


async def test_no_placeholder_takes_a_slot_an_answer_waits_for(
    backend: Backend, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limiter has no room (a backlog): "typing" instead, and the answer is one reply."""
    fake.reset()
    store, chat = backend.store(), fake.group("Readers")
    monkeypatch.setattr(late_placeholder, "NO_ROOM_RETRY_S", 0.05)
    monkeypatch.setattr(late_placeholder, "TYPING_EVERY_S", 0.1)
    limiter = backend.limiter(global_per_s=0.5)  # a burst of five, then one slot per 2 s
    async with Bot(fake.token, base_url=f"{fake.url}/bot") as bot:
        sender = Sender(bot, limiter)
        while await limiter.try_acquire(None, is_group=False) <= 0:
            pass  # the backlog has taken every slot of the bot
        settled = await race(store, sender, request_in(chat), answer_after_s=0.5)
    assert (
        settled.answer,
        fake.calls_to("sendMessage"),
        bool(fake.calls_to("sendChatAction")),
    ) == (
        Answer.REPLY,
        [],
        True,
    )


async def test_a_placeholder_telegram_lost_leaves_the_answer_a_reply(
    backend: Backend, fake: FakeTelegram, sender: Sender
) -> None:
    store, chat = backend.store(), fake.group("Readers")
    fake.fail_next("sendMessage", 502)
    settled = await race(store, sender, request_in(chat), answer_after_s=0.4)
    assert settled.answer is Answer.REPLY
