"""Threads kept for what answers link to: the reader page and the file buttons. Adapter.

The result cache lives an hour (RESULT_CACHE_TTL_S), but an answer's `/read/…` link and its
Markdown and EPUB buttons are pressed days later; each fetched thread is kept, compressed, for
PAGE_TTL_S in the store's small values, and looked up when the cache no longer has it.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass

from bot.codec import decode_result, encode_result
from bot.model import Thread, ThreadKey
from bot.store import ValueStore

PAGE_TTL_S = 30 * 24 * 3600
_BASE64 = "."
"""Marks a value written in base64; the character is outside base85's alphabet, so values
written in base85 (before base64, which C encodes many times faster) are still read."""


@dataclass
class ThreadArchive:
    """Fetched threads by key, for `ttl_s` seconds after their last fetch."""

    store: ValueStore
    ttl_s: int = PAGE_TTL_S

    async def keep(
        self, thread: Thread, *, encoded: bytes | None = None, unless_kept: bool = False
    ) -> None:
        """Keep `thread` (a new fetch replaces the one kept for its key; with `unless_kept`, an
        older one does not replace whatever is kept).

        `encoded` is `encode_result(thread)` when the caller has it already.
        """
        raw = encode_result(thread) if encoded is None else encoded
        packed = _BASE64 + base64.b64encode(zlib.compress(raw, 6)).decode()
        name = _name(str(thread.key))
        if unless_kept:
            await self.store.claim_value(name, packed, ttl_s=self.ttl_s)
        else:
            await self.store.set_value(name, packed, ttl_s=self.ttl_s)

    async def recall(self, key: ThreadKey | str) -> Thread | None:
        """Return the thread kept for `key`, or None when none is (or it is unreadable)."""
        packed = await self.store.get_value(_name(str(key)))
        if packed is None:
            return None
        try:
            result = decode_result(zlib.decompress(_unpack(packed)))
        except (ValueError, zlib.error, KeyError, TypeError):
            return None  # written by another version of the bot: as good as gone
        return result if isinstance(result, Thread) else None


def _unpack(packed: str) -> bytes:
    if packed.startswith(_BASE64):
        return base64.b64decode(packed[len(_BASE64) :], validate=True)
    return base64.b85decode(packed)


def _name(key: str) -> str:
    return f"thread:{key}"
