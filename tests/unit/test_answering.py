"""What the answer writer shares between the requesters of one job, and what it must not."""

from __future__ import annotations

from typing import cast

from bot.answering import Answerer, PagePublisher, button_ref, resolve_button_data
from bot.cleaning import ReadingMode
from bot.delivery import Sender
from bot.store import MemoryChatStore
from tests.samples import long_thread


def answerer() -> Answerer:
    """An Answerer for rendering only: nothing here sends or publishes."""
    return Answerer(
        sender=cast(Sender, None), pages=cast(PagePublisher, None), store=MemoryChatStore()
    )


def test_rendering_is_shared_by_requesters_of_the_same_fetch() -> None:
    writer, thread = answerer(), long_thread(2)
    first = writer._prepare(thread, ReadingMode.REFLOW)
    assert writer._prepare(thread, ReadingMode.REFLOW) is first


def test_rendering_is_not_reused_for_a_newer_fetch_of_the_same_thread() -> None:
    """A Refresh brings more posts under the same key; they must not get the old rendering."""
    writer, before, after = answerer(), long_thread(2), long_thread(3)
    assert before.key == after.key
    writer._prepare(before, ReadingMode.REFLOW)
    assert len(writer._prepare(after, ReadingMode.REFLOW).thread.posts) == 3


async def test_button_data_of_a_long_key_fits_and_leads_back_to_the_key() -> None:
    store = MemoryChatStore()
    key = "bluesky:bsky.app:did:plc:abcdefghijklmnopqrstuvwx/3kabcdefghijk"
    data = f"refresh:{await button_ref(store, key)}"
    assert (len(data.encode()) <= 64, await resolve_button_data(store, data)) == (
        True,
        ("refresh", key),
    )


async def test_button_data_of_a_short_key_carries_the_key_itself() -> None:
    data = f"md:{await button_ref(MemoryChatStore(), 'x:x.com:20')}"
    assert await resolve_button_data(MemoryChatStore(), data) == ("md", "x:x.com:20")
