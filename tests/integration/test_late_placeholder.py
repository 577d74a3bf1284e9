"""The placeholder-or-reply handshake against the fake Bot API, on both store backends.

The listener's timer and the answer race for one claim: whichever comes first decides, the
other follows, and a job handed out again finds the same decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot

from bot.answering import late_placeholder
from bot.delivery import Sender, Target
from bot.limiter import MemorySendLimiter
from bot.request import Answer, Destination, UnrollRequest
from bot.store import ChatStore
from tests.fakes.telegram import FakeChat, FakeTelegram
from tests.integration.conftest import Backend
from tests.samples import long_thread


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def sender(fake: FakeTelegram) -> AsyncIterator[Sender]:
    fake.reset()
    async with Bot(fake.token, base_url=f"{fake.url}/bot") as bot:
        yield Sender(bot, MemorySendLimiter(global_per_s=1000, private_per_s=1000))


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
    """Run the timer (0.1 s) and the answer's settling at `answer_after_s`; return the latter."""

    async def answer() -> UnrollRequest:
        await asyncio.sleep(answer_after_s)
        return await late_placeholder.settle(store, request)

    timer = late_placeholder.send_if_slow(
        store, sender, request, after_s=0.1, target=Target(chat_id=request.chat_id), text="⏳"
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
    settled = await race(store, sender, request_in(chat), answer_after_s=0.3)
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
    fake.delay_next("sendMessage", 0.3)
    settled = await race(store, sender, request_in(chat), answer_after_s=0.15)
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


async def test_a_placeholder_telegram_lost_leaves_the_answer_a_reply(
    backend: Backend, fake: FakeTelegram, sender: Sender
) -> None:
    store, chat = backend.store(), fake.group("Readers")
    fake.fail_next("sendMessage", 502)
    settled = await race(store, sender, request_in(chat), answer_after_s=0.3)
    assert settled.answer is Answer.REPLY
