"""What changed in a followed thread since the last check, and when to check next. Pure: no I/O.

A snapshot is the thread's post ids in order, joined by commas: small enough to keep for every
followed thread, and enough to tell new and deleted posts apart. None of the sources gives an
edit time for posts, so edits are not seen; a deleted first post makes the fetch fail instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import Thread

JITTER = 0.1
"""Each next check moves by up to this share of its interval, either way, so threads followed
at the same moment spread out instead of all coming due in the same tick."""


@dataclass(frozen=True, slots=True)
class Change:
    """Posts added and deleted since the snapshot."""

    added: int = 0
    deleted: int = 0

    @property
    def found(self) -> bool:
        """Tell whether the followers' answers need re-rendering."""
        return bool(self.added or self.deleted)


def snapshot_of(thread: Thread) -> str:
    """Return what is kept of `thread` to compare the next fetch with."""
    return ",".join(post.id for post in thread.posts)


def compare(snapshot: str | None, thread: Thread) -> Change:
    """Return what changed from `snapshot` to `thread`; nothing when there is no snapshot yet.

    Without a snapshot (followed before any answer was cached) the first check only takes one.
    """
    if snapshot is None:
        return Change()
    before = set(snapshot.split(",")) if snapshot else set()
    now = {post.id for post in thread.posts}
    return Change(added=len(now - before), deleted=len(before - now))


def next_interval_s(previous_s: float, *, changed: bool, first_s: float, max_s: float) -> float:
    """Return the interval before the next check: back to `first_s` after a change, else doubled.

    Never above `max_s` nor below `first_s`.
    """
    if changed:
        return first_s
    return max(first_s, min(max_s, previous_s * 2))


def jittered_s(interval_s: float, fraction: float) -> float:
    """Return `interval_s` moved by up to JITTER of itself; `fraction` is uniform in [0, 1)."""
    return interval_s * (1 + JITTER * (2 * fraction - 1))


def is_expired(idle_s: float, *, follow_for_s: float) -> bool:
    """Tell whether a thread quiet for `idle_s` is followed no longer."""
    return idle_s >= follow_for_s
