"""Buttons name their action and thread in at most 64 bytes, and lead back to the thread."""

from __future__ import annotations

import pytest

from bot.answering.callback_data import REFRESH, Press, button_ref, data, read_press
from bot.model import ThreadKey
from bot.store import MemoryChatStore


async def test_button_data_of_a_long_key_fits_and_leads_back_to_the_key() -> None:
    store = MemoryChatStore()
    key = ThreadKey.parse("bluesky:bsky.app:did:plc:abcdefghijklmnopqrstuvwx/3kabcdefghijk")
    callback = data(REFRESH, await button_ref(store, key))
    assert (len(callback.encode()) <= 64, await read_press(store, callback)) == (
        True,
        Press(REFRESH, key),
    )


async def test_button_data_of_a_short_key_carries_the_key_itself() -> None:
    key = ThreadKey.parse("x:x.com:20")
    callback = data("md", await button_ref(MemoryChatStore(), key))
    assert (callback, await read_press(MemoryChatStore(), callback)) == (
        "md:x:x.com:20",
        Press("md", key),
    )


@pytest.mark.parametrize("callback", ["refresh:#0123456789abcdef01234567", "refresh:", "md:nope"])
async def test_forgotten_or_foreign_data_names_no_thread(callback: str) -> None:
    assert (await read_press(MemoryChatStore(), callback)).key is None
