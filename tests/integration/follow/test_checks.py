"""Settling a check without any follower to answer: snapshots, back-off, expiry, failures.

The store is the in-memory one on a hand-moved clock; the paths that edit answers run end to
end in tests/e2e/test_follow.py.
"""

from __future__ import annotations

from typing import cast

import pytest

from bot.answering.executor import Answerer
from bot.errors import RateLimitedError, SourceError
from bot.follow.changes import snapshot_of
from bot.follow.checks import FollowChecks, FollowRules
from bot.follow.records import Follower, MemoryFollowStore
from bot.follow.tick import check_request
from bot.request import Destination
from tests.samples import long_thread

RULES = FollowRules(first_check_s=100, max_interval_s=1000, follow_for_s=5000)
THREAD = long_thread(3)
KEY = str(THREAD.key)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class NoAnswers:
    """Fails the test if a check without a change tries to answer anybody."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"answerer.{name} used")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> MemoryFollowStore:
    return MemoryFollowStore(clock=clock)


@pytest.fixture
def checks(store: MemoryFollowStore) -> FollowChecks:
    answerer = cast(Answerer, NoAnswers())
    return FollowChecks(store, answerer, RULES, fraction=lambda: 0.5)  # no jitter


async def followed(store: MemoryFollowStore, snapshot: str | None) -> None:
    follower = Follower(user_id=1, destination=Destination.PRIVATE, chat_id=1, message_id=2)
    await store.follow(KEY, follower, max_per_chat=5, first_check_s=100, snapshot=snapshot)


async def due_at(store: MemoryFollowStore, clock: Clock, when: float) -> bool:
    clock.now = when
    return await store.claim_due(limit=5, lease_s=1) == [KEY]


async def test_a_quiet_check_doubles_the_interval(
    store: MemoryFollowStore, checks: FollowChecks, clock: Clock
) -> None:
    await followed(store, snapshot_of(THREAD))
    await checks.settle(check_request(THREAD.key), THREAD)
    assert (await due_at(store, clock, 199), await due_at(store, clock, 200)) == (False, True)


async def test_the_first_check_without_snapshot_takes_one_and_keeps_the_interval(
    store: MemoryFollowStore, checks: FollowChecks, clock: Clock
) -> None:
    await followed(store, None)
    await checks.settle(check_request(THREAD.key), THREAD)
    state = await store.state(KEY)
    assert state is not None
    assert (state.snapshot, state.interval_s, await due_at(store, clock, 100)) == (
        snapshot_of(THREAD),
        100,
        True,
    )


async def test_a_retry_after_longer_than_the_interval_pushes_the_check_back(
    store: MemoryFollowStore, checks: FollowChecks, clock: Clock
) -> None:
    await followed(store, snapshot_of(THREAD))
    await checks.settle(check_request(THREAD.key), RateLimitedError(retry_after=600))
    assert (await due_at(store, clock, 599), await due_at(store, clock, 600)) == (False, True)


async def test_a_failed_check_keeps_the_snapshot(
    store: MemoryFollowStore, checks: FollowChecks
) -> None:
    await followed(store, "1,2")
    await checks.settle(check_request(THREAD.key), SourceError("down"))
    state = await store.state(KEY)
    assert state is not None
    assert state.snapshot == "1,2"


async def test_a_thread_quiet_past_its_time_is_followed_no_more(
    store: MemoryFollowStore, checks: FollowChecks, clock: Clock
) -> None:
    await followed(store, snapshot_of(THREAD))
    clock.now = 5000
    await checks.settle(check_request(THREAD.key), THREAD)
    assert (await store.state(KEY), await store.following("1")) == (None, [])
