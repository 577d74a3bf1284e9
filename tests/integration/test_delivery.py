"""The Sender against the fake Bot API: what is sent again after a failure, and what is not."""

from __future__ import annotations

import pytest
from telegram.error import NetworkError

from bot.delivery import Sender, Target, UndeliverableError
from tests.fakes.telegram import FakeTelegram


async def test_edit_is_sent_again_after_a_bad_gateway(fake: FakeTelegram, sender: Sender) -> None:
    chat = fake.private_chat(fake.user("Alice"))
    target = Target(chat_id=chat.id)
    placeholder = await sender.send(target, "Unrolling…")
    fake.fail_next("editMessageText", status=502)
    await sender.edit(target, "<b>Done</b>", message_id=placeholder.message_id)
    assert (fake.sent_to(chat), len(fake.calls_to("editMessageText"))) == (["Done"], 2)


async def test_new_message_is_not_sent_twice_after_a_bad_gateway(
    fake: FakeTelegram, sender: Sender
) -> None:
    """A send that failed in transit may have arrived: the caller decides, not the Sender."""
    chat = fake.private_chat(fake.user("Alice"))
    fake.fail_next("sendMessage", status=502)
    with pytest.raises(NetworkError):
        await sender.send(Target(chat_id=chat.id), "Hello")
    assert len(fake.calls_to("sendMessage")) == 1


async def test_blocked_chat_raises_recipient_gone(fake: FakeTelegram, sender: Sender) -> None:
    chat = fake.private_chat(fake.user("Alice"))
    fake.block_chat(chat)
    with pytest.raises(UndeliverableError):
        await sender.send(Target(chat_id=chat.id), "Hello")
