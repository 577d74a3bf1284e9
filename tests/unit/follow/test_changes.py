"""Comparing a fresh fetch with the last snapshot, and the check intervals."""

from __future__ import annotations

import pytest

from bot.follow.changes import (
    Change,
    compare,
    is_expired,
    jittered_s,
    next_interval_s,
    snapshot_of,
)
from tests.samples import long_thread


def test_a_snapshot_is_the_post_ids_in_order() -> None:
    thread = long_thread(3)
    assert snapshot_of(thread) == ",".join(post.id for post in thread.posts)


def test_nothing_changed_when_the_posts_are_the_same() -> None:
    thread = long_thread(3)
    assert compare(snapshot_of(thread), thread).found is False


def test_new_posts_are_counted() -> None:
    before, after = long_thread(3), long_thread(5)
    assert compare(snapshot_of(before), after) == Change(added=2)


def test_deleted_posts_are_counted() -> None:
    before, after = long_thread(5), long_thread(3)
    assert compare(snapshot_of(before), after) == Change(deleted=2)


def test_without_a_snapshot_the_first_check_only_takes_one() -> None:
    assert compare(None, long_thread(3)).found is False


@pytest.mark.parametrize(
    ("previous", "changed", "expected"),
    [
        (120, False, 240),
        (120, True, 120),
        (20000, False, 21600),
        (21600, True, 120),
        (1, False, 120),
    ],
)
def test_intervals_double_while_quiet_and_snap_back_on_a_change(
    previous: float, changed: bool, expected: float
) -> None:
    assert next_interval_s(previous, changed=changed, first_s=120, max_s=21600) == expected


@pytest.mark.parametrize(("fraction", "expected"), [(0.0, 90.0), (0.5, 100.0), (0.999, 109.98)])
def test_jitter_moves_a_check_by_at_most_a_tenth(fraction: float, expected: float) -> None:
    assert jittered_s(100, fraction) == pytest.approx(expected)


@pytest.mark.parametrize(("idle_s", "expired"), [(100, False), (604800, True)])
def test_a_follow_expires_after_its_time_without_new_posts(idle_s: float, expired: bool) -> None:
    assert is_expired(idle_s, follow_for_s=604800) is expired
