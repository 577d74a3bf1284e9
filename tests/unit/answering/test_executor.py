"""What the answer writer shares between the requesters of one job, and what it must not."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import pytest

from bot.answering.executor import PRESENTATIONS_KEPT, Answerer
from bot.answering.pages import PagePublisher
from bot.cleaning import ReadingMode, clean_thread
from bot.delivery import Sender
from bot.model import ThreadKey
from bot.presentation import RENDERED_VERSION, present
from bot.request import Answer, Destination, UnrollRequest
from bot.store import MemoryChatStore
from tests.samples import long_thread


def answerer() -> Answerer:
    """An Answerer for presenting only: nothing here sends or publishes."""
    return Answerer(
        sender=cast(Sender, None), pages=cast(PagePublisher, None), store=MemoryChatStore()
    )


def test_presentation_is_shared_by_requesters_of_the_same_fetch() -> None:
    writer, thread = answerer(), long_thread(2)
    first = writer.present(thread, ReadingMode.REFLOW)
    assert writer.present(thread, ReadingMode.REFLOW) is first


def test_presentation_is_not_reused_for_a_newer_fetch_of_the_same_thread() -> None:
    """A Refresh brings more posts under the same key; they must not get the old rendering."""
    writer, before, after = answerer(), long_thread(2), long_thread(3)
    assert before.key == after.key
    writer.present(before, ReadingMode.REFLOW)
    assert len(writer.present(after, ReadingMode.REFLOW).thread.posts) == 3


def test_presentations_kept_are_bounded() -> None:
    """Nobody must remember to forget: old presentations fall out by themselves."""
    writer, thread = answerer(), long_thread(2)
    first = writer.present(thread, ReadingMode.REFLOW)
    for index in range(PRESENTATIONS_KEPT):
        other = replace(thread, key=ThreadKey.parse(f"x:x.com:{1000 + index}"))
        writer.present(other, ReadingMode.REFLOW)
    assert writer.present(thread, ReadingMode.REFLOW) is not first


def test_a_rendering_kept_with_the_result_is_shown_without_cleaning() -> None:
    """A thread's first hit in a listener: the worker's rich message is the presentation's;
    the thread is cleaned only when something else is asked of it."""
    thread = long_thread(2)
    rendered = present(thread, ReadingMode.REFLOW).rendered()
    writer = answerer()
    writer.adopt(thread, rendered)
    presentation = writer.present(thread, ReadingMode.REFLOW)
    assert (presentation.rich() is rendered.rich, presentation._thread) == (True, None)
    assert presentation.thread == clean_thread(thread, ReadingMode.REFLOW)


def test_a_rendering_by_another_version_or_for_another_language_is_rendered_again() -> None:
    thread = long_thread(2)
    rendered = present(thread, ReadingMode.REFLOW).rendered()
    writer = answerer()
    writer.adopt(thread, replace(rendered, version=RENDERED_VERSION + 1))
    writer.adopt(thread, replace(rendered, language="ru"))
    assert writer.present(thread, ReadingMode.REFLOW).rich() is not rendered.rich


class _RichSender:
    async def knows_rich_messages(self) -> bool:
        return True


async def test_only_a_whole_rich_message_is_kept_with_the_result() -> None:
    """A thread too long for one rich message is rendered again with its page's link anyway:
    keeping the cut one would only take room in the cache."""
    writer = Answerer(
        sender=cast(Sender, _RichSender()),
        pages=cast(PagePublisher, None),
        store=MemoryChatStore(),
    )
    asked = UnrollRequest(request_id="r1", key=long_thread(2).key, answer=Answer.REPLY, user_id=7)
    short = await writer.rendering(long_thread(2), asked)
    long = await writer.rendering(long_thread(400), asked)
    assert (short is not None and short.rich.complete, long) == (True, None)


class _ProgressSender:
    """Records the progress an Answerer shows; the server knows drafts or not."""

    def __init__(self, *, drafts: bool) -> None:
        self.drafts = drafts
        self.shown: list[str] = []

    async def knows_drafts(self) -> bool:
        return self.drafts

    async def draft(self, target: object, html: str, *, draft_id: int) -> None:
        self.shown.append("draft")

    async def try_edit(self, target: object, html: str, *, message_id: int | None) -> None:
        self.shown.append("edit")


@pytest.mark.parametrize(
    ("destination", "drafts", "shown"),
    [
        (Destination.PRIVATE, True, ["draft"]),
        (Destination.PRIVATE, False, []),  # the server refuses drafts: nothing to send
        (Destination.GROUP, True, []),  # a group has no drafts, and no placeholder to edit
    ],
    ids=["private", "private-without-drafts", "group"],
)
async def test_progress_of_an_answer_by_reply_is_a_draft_only_where_drafts_exist(
    destination: Destination, drafts: bool, shown: list[str]
) -> None:
    """A request answered by a new reply (a private chat's draft path, or any chat whose
    placeholder was lost in transit) has no message to edit: only a private chat on a server
    that knows drafts can show its progress."""
    sender = _ProgressSender(drafts=drafts)
    writer = Answerer(
        sender=cast(Sender, sender), pages=cast(PagePublisher, None), store=MemoryChatStore()
    )
    asked = UnrollRequest(
        request_id="0a1b2c",
        key=long_thread(2).key,
        answer=Answer.REPLY,
        user_id=7,
        destination=destination,
        chat_id=-100 if destination is Destination.GROUP else 7,
    )
    await writer.progress(asked, 12)
    assert sender.shown == shown
