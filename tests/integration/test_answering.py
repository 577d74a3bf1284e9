"""The executor against the fake Bot API: an answer in parts survives a crash between parts."""

from __future__ import annotations

import pytest
from telegram import Message

from bot.answering.executor import Answerer
from bot.answering.pages import PagePublisher
from bot.delivery import Sender, Target
from bot.request import Answer, AnswerStyle, UnrollRequest
from bot.store import MemoryChatStore
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_html import parse_html
from tests.samples import long_thread


class _Killed(Exception):
    """The worker process died here."""


class _DyingSender(Sender):
    """Sends `survives` new messages, then dies as a SIGKILLed worker would."""

    def __init__(self, sender: Sender, survives: int) -> None:
        super().__init__(sender.bot, sender.limiter)
        self.survives = survives

    async def send(self, target: Target, html: str, **kwargs: object) -> Message:
        if self.survives == 0:
            raise _Killed
        self.survives -= 1
        return await super().send(target, html, **kwargs)  # type: ignore[arg-type]


async def test_split_answer_resumes_after_a_crash_without_sending_a_part_twice(
    fake: FakeTelegram, sender: Sender
) -> None:
    chat = fake.private_chat(fake.user("Alice"))
    store = MemoryChatStore()
    placeholder = await sender.send(Target(chat_id=chat.id), "Unrolling… ⏳")
    request = UnrollRequest(
        request_id="r1",
        key=long_thread(60).key,
        answer=Answer.EDIT_PLACEHOLDER,
        user_id=chat.id,
        chat_id=chat.id,
        message_id=placeholder.message_id,
        style=AnswerStyle.CLASSIC,  # a split answer is the classic one
    )
    thread = long_thread(60)

    def answerer(with_sender: Sender) -> Answerer:
        return Answerer(with_sender, PagePublisher(None, None, store), store, max_split_messages=9)

    with pytest.raises(_Killed):
        await answerer(_DyingSender(sender, survives=1)).answer(request, thread)
    await answerer(sender).answer(request, thread)  # the job, handed out again

    chunks = answerer(sender).present(thread, request.reading_mode).message.chunks
    assert len(chunks) >= 3
    sent = fake.sent_to(chat)
    assert [sent.count(parse_html(chunk).text) for chunk in chunks] == [1] * len(chunks)


async def test_a_direct_reply_is_not_sent_again_when_its_job_is_handed_out_again(
    fake: FakeTelegram, sender: Sender
) -> None:
    """The worker died after replying but before the job recorded it: the reply is journaled."""
    chat = fake.private_chat(fake.user("Alice"))
    store = MemoryChatStore()
    asked = fake.user_sends(chat, "https://x.com/ada/status/1")
    request = UnrollRequest(
        request_id="r2",
        key=long_thread(2).key,
        answer=Answer.REPLY,
        user_id=chat.id,
        chat_id=chat.id,
        asked_message_id=asked["message_id"],
        style=AnswerStyle.CLASSIC,
    )
    answerer = Answerer(sender, PagePublisher(None, None, store), store)
    for _delivery in range(2):
        await answerer.answer(request, long_thread(2))
    replies = [m for m in fake.messages_in(chat) if m["from"]["is_bot"]]
    assert [m["reply_to_message"]["message_id"] for m in replies] == [asked["message_id"]]
