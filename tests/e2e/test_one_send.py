"""One send per answer in private chats: a draft shows progress, the answer is one reply.

Where the Bot API server shows drafts (9.3+), a private chat's request gets "typing", a draft,
then the answer as one new message replying to the link: one limited send instead of a
placeholder and an edit. A job handed out again after its worker died sends no second reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot import running
from bot.settings import Settings
from tests.conftest import eventually
from tests.e2e.conftest import BotProcess, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.telegram import FakeChat, FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIMITED = ("sendMessage", "editMessageText", "sendRichMessage", "sendDocument")


@pytest.fixture
def drafting(telegram: FakeTelegram) -> FakeTelegram:
    telegram.supports_drafts = True
    return telegram


def limited_sends(telegram: FakeTelegram, chat: FakeChat) -> list[str]:
    return [call.method for m in LIMITED for call in telegram.calls_to(m, chat.id)]


@pytest.mark.parametrize("backend", ["memory"], indirect=True)
async def test_private_answer_is_one_reply_after_a_draft(
    drafting: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    thread = fxtwitter.add(build_thread(3, rich=False))
    await start_bot()
    chat = drafting.private_chat(drafting.user())
    asked = drafting.user_sends(chat, x_link(thread))
    await eventually(lambda: any("3 posts" in text for text in drafting.sent_to(chat)))
    [answer] = [m for m in drafting.messages_in(chat) if m["from"]["is_bot"]]
    drafts = drafting.calls_to("sendMessageDraft", chat.id)
    assert (
        limited_sends(drafting, chat),
        answer["reply_to_message"]["message_id"],
        [call.status for call in drafts][:1],
    ) == (["sendMessage"], asked["message_id"], [200])


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
async def test_a_job_whose_worker_died_sends_no_second_reply(
    drafting: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    bot_settings: Callable[..., Settings],
    start_part: Callable[..., Awaitable[None]],
    bot_process: Callable[..., Awaitable[BotProcess]],
) -> None:
    """SIGKILL mid-fetch: another worker answers, once, and without a placeholder."""
    thread = fxtwitter.add(build_thread(3, rich=False))
    fxtwitter.delay_s = 5.0
    settings = bot_settings(job_reclaim_idle_s=1.0)
    await start_part(running.run_listener, settings, ready="getUpdates")
    doomed = await bot_process("worker", settings)
    chat = drafting.private_chat(drafting.user())
    drafting.user_sends(chat, x_link(thread))
    await eventually(lambda: bool(fxtwitter.server.requests.all()), timeout_s=20)
    doomed.kill()
    await doomed.process.wait()
    fxtwitter.delay_s = 0.0
    await bot_process("worker", settings)
    await eventually(lambda: any("3 posts" in t for t in drafting.sent_to(chat)), timeout_s=30)
    assert limited_sends(drafting, chat) == ["sendMessage"]
