"""How the buttons under an answer name their action and thread, in at most 64 bytes.

The answer draws the buttons and the listener reads the presses, so both use this one codec.
Telegram limits a button's callback data to 64 bytes; a thread key too long for that (a
Bluesky DID, a long Mastodon host) is named by a digest kept in the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from telegram.constants import InlineKeyboardButtonLimit

from bot.model import ThreadKey
from bot.rendering import FORMATS, Format
from bot.store import ValueStore

REFRESH = "refresh"
FOLLOW = "follow"
UNFOLLOW = "unfollow"
FILE_ACTIONS: Mapping[str, Format] = MappingProxyType(
    {format.extension: format for format in FORMATS.values() if format.button}
)
"""A file button's action is its format's file extension ("md", "epub"): short and stable."""

BUTTON_TTL_S = 30 * 24 * 3600
_LONGEST_ACTION = max([REFRESH, FOLLOW, UNFOLLOW, *FILE_ACTIONS], key=len)


@dataclass(frozen=True, slots=True)
class Press:
    """A pressed answer button: what to do, and the thread (None when its digest expired)."""

    action: str
    key: ThreadKey | None


async def button_ref(store: ValueStore, key: ThreadKey) -> str:
    """Return how buttons name `key` in their callback data ("ACTION:REF")."""
    text = str(key)
    if len(f"{_LONGEST_ACTION}:{text}".encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    await store.set_value(f"button:{digest}", text, ttl_s=BUTTON_TTL_S)
    return f"#{digest}"


def data(action: str, ref: str) -> str:
    """Return the callback data of a button doing `action` for the thread `ref` names."""
    return f"{action}:{ref}"


async def read_press(store: ValueStore, callback_data: str) -> Press:
    """Return what a button's callback data asks for (the key is None when forgotten)."""
    action, _, ref = callback_data.partition(":")
    text = await store.get_value(f"button:{ref[1:]}") if ref.startswith("#") else ref or None
    if text is None:
        return Press(action, None)
    try:
        return Press(action, ThreadKey.parse(text))
    except ValueError:
        return Press(action, None)  # not data this bot made
