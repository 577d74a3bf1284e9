"""A dict whose entries expire, for the in-process backends (REDIS_URL unset).

Adapter layer, no I/O. Redis forgets a key when its TTL runs out; `ExpiringMap` does the same
for the memory queue, store and limiter, so a process that runs for months holds only what is
still alive. An expired entry is invisible at once and dropped on the next prune. A prune runs
once the writes since the last one reach half the entries held (and at least
`_PRUNE_AFTER_WRITES`): its cost is spread over those writes, and the map never holds much more
than twice its live entries. The scheduler's prune chore (bot/scheduler.py) empties it while
nobody writes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

NEVER = math.inf
"""The expiry of an entry that lives as long as the process (a key without a TTL)."""

_PRUNE_AFTER_WRITES = 64


class ExpiringMap(Generic[K, V]):
    """Entries that each carry an expiry time on `clock`; expired ones are never returned."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[K, tuple[V, float]] = {}
        self._writes = 0

    def get(self, key: K) -> V | None:
        """Return the value for `key`, or None when it is missing or has expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._entries[key]
            return None
        return entry[0]

    def set(self, key: K, value: V, *, expires_at: float) -> None:
        """Store `value` for `key` until `expires_at` (NEVER: for good)."""
        self._entries[key] = (value, expires_at)
        self._writes += 1
        if self._writes >= max(_PRUNE_AFTER_WRITES, len(self._entries) // 2):
            self.prune()

    def pop(self, key: K) -> V | None:
        """Remove `key`; return its value if it was still alive."""
        entry = self._entries.pop(key, None)
        return entry[0] if entry is not None and entry[1] > self._clock() else None

    def items(self) -> Iterator[tuple[K, V]]:
        """Yield the live entries."""
        now = self._clock()
        return iter([(key, value) for key, (value, at) in self._entries.items() if at > now])

    def prune(self) -> int:
        """Drop every expired entry; return how many were dropped."""
        now = self._clock()
        expired = [key for key, (_value, at) in self._entries.items() if at <= now]
        for key in expired:
            del self._entries[key]
        self._writes = 0
        return len(expired)

    def __len__(self) -> int:
        """Return how many entries are held, expired ones not yet pruned included."""
        return len(self._entries)
