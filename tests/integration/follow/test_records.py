"""The follow store's behaviour, the same on both backends (memory and Redis)."""

from __future__ import annotations

import asyncio

import pytest

from bot.follow.records import Follower, FollowOutcome, FollowStore
from bot.request import Destination
from tests.integration.conftest import Backend

KEY = "x:x.com:123"
OTHER = "x:x.com:456"


def follower(chat_id: int = 1, message_id: int = 10, user_id: int = 7) -> Follower:
    return Follower(
        user_id=user_id, destination=Destination.PRIVATE, chat_id=chat_id, message_id=message_id
    )


async def follow(
    store: FollowStore,
    key: str = KEY,
    who: Follower | None = None,
    *,
    cap: int = 20,
    first_check_s: float = 60,
    snapshot: str | None = "1,2",
) -> FollowOutcome:
    return await store.follow(
        key, who or follower(), max_per_chat=cap, first_check_s=first_check_s, snapshot=snapshot
    )


async def test_a_follow_is_recorded(backend: Backend) -> None:
    store = backend.follows()
    outcome = await follow(store)
    assert (outcome, await store.followers(KEY)) == (FollowOutcome.FOLLOWED, [follower()])


async def test_following_again_from_another_message_moves_the_follow(backend: Backend) -> None:
    store = backend.follows()
    await follow(store)
    outcome = await follow(store, who=follower(message_id=11))
    assert (outcome, await store.followers(KEY)) == (
        FollowOutcome.MOVED,
        [follower(message_id=11)],
    )


async def test_a_chat_at_its_cap_is_refused(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, KEY, cap=1)
    assert await follow(store, OTHER, cap=1) is FollowOutcome.FULL


async def test_the_cap_is_per_chat(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, KEY, cap=1)
    assert await follow(store, OTHER, follower(chat_id=2), cap=1) is FollowOutcome.FOLLOWED


async def test_a_chat_lists_what_it_follows(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, OTHER)
    await follow(store, KEY)
    assert await store.following("1") == [KEY, OTHER]


async def test_unfollow_returns_the_follow_and_frees_the_cap(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, KEY, cap=1)
    removed = await store.unfollow(KEY, "1")
    assert (removed, await follow(store, OTHER, cap=1)) == (follower(), FollowOutcome.FOLLOWED)


async def test_unfollow_of_what_is_not_followed_is_none(backend: Backend) -> None:
    assert await backend.follows().unfollow(KEY, "1") is None


async def test_the_last_unfollow_forgets_the_thread(backend: Backend) -> None:
    store = backend.follows()
    await follow(store)
    await store.unfollow(KEY, "1")
    assert (await store.state(KEY), await store.counts()) == (None, (0, 0))


async def test_a_new_follow_is_not_due_before_its_first_check(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, first_check_s=60)
    assert await store.claim_due(limit=10, lease_s=60) == []


async def test_a_due_thread_is_claimed_once_per_due_time(backend: Backend) -> None:
    """Two processes' ticks at once: each due thread goes to exactly one of them."""
    one, two = backend.follows(), backend.follows()
    for n in range(20):
        await follow(one, f"x:x.com:{n}", follower(chat_id=n), first_check_s=0.001)
    await asyncio.sleep(0.01)
    first, second = await asyncio.gather(
        one.claim_due(limit=100, lease_s=60), two.claim_due(limit=100, lease_s=60)
    )
    assert (len(first) + len(second), len(set(first) | set(second))) == (20, 20)


async def test_a_claim_whose_lease_ran_out_is_due_again(backend: Backend) -> None:
    """The process running the check died: another one checks the thread after the lease."""
    store = backend.follows()
    await follow(store, first_check_s=0.001)
    await asyncio.sleep(0.01)
    await store.claim_due(limit=10, lease_s=0.05)
    await asyncio.sleep(0.1)
    assert await store.claim_due(limit=10, lease_s=60) == [KEY]


async def test_the_claim_takes_at_most_the_limit(backend: Backend) -> None:
    store = backend.follows()
    for n in range(5):
        await follow(store, f"x:x.com:{n}", follower(chat_id=n), first_check_s=0.001)
    await asyncio.sleep(0.01)
    assert len(await store.claim_due(limit=3, lease_s=60)) == 3


async def test_a_new_follow_without_snapshot_is_due_at_once(backend: Backend) -> None:
    """Its first check takes the snapshot from (or right after) the fetch that answers it."""
    store = backend.follows()
    await follow(store, first_check_s=60, snapshot=None)
    assert await store.claim_due(limit=10, lease_s=60) == [KEY]


async def test_a_new_follow_keeps_its_snapshot_and_interval(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, snapshot="1,2", first_check_s=60)
    state = await store.state(KEY)
    assert state is not None
    assert (state.snapshot, state.interval_s, state.idle_s < 5) == ("1,2", 60, True)


async def test_a_follow_without_snapshot_has_none(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, snapshot=None)
    state = await store.state(KEY)
    assert state is not None
    assert state.snapshot is None


async def test_reschedule_records_the_check_and_sets_the_next(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, first_check_s=0.001)
    await store.reschedule(KEY, snapshot="1,2,3", interval_s=240, due_in_s=0.001, changed=True)
    await asyncio.sleep(0.01)
    state = await store.state(KEY)
    assert state is not None
    assert ((state.snapshot, state.interval_s), await store.claim_due(limit=5, lease_s=5)) == (
        ("1,2,3", 240),
        [KEY],
    )


async def test_a_check_that_keeps_no_snapshot_leaves_none(backend: Backend) -> None:
    """A failed first check keeps the follow without a snapshot (stored as "")."""
    store = backend.follows()
    await follow(store, snapshot=None)
    await store.reschedule(KEY, snapshot="", interval_s=60, due_in_s=60, changed=False)
    state = await store.state(KEY)
    assert state is not None
    assert state.snapshot is None


async def test_a_quiet_check_leaves_the_idle_time_running(backend: Backend) -> None:
    store = backend.follows()
    await follow(store)
    await asyncio.sleep(0.05)
    await store.reschedule(KEY, snapshot="1,2", interval_s=120, due_in_s=60, changed=False)
    state = await store.state(KEY)
    assert state is not None
    assert state.idle_s >= 0.04


async def test_reschedule_of_an_unfollowed_thread_does_not_bring_it_back(
    backend: Backend,
) -> None:
    store = backend.follows()
    await follow(store)
    await store.unfollow(KEY, "1")
    await store.reschedule(KEY, snapshot="1", interval_s=1, due_in_s=0.001, changed=True)
    await asyncio.sleep(0.01)
    assert (await store.state(KEY), await store.claim_due(limit=5, lease_s=5)) == (None, [])


async def test_end_removes_every_follower_and_frees_their_caps(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, KEY, follower(chat_id=1), cap=1)
    await follow(store, KEY, follower(chat_id=2), cap=1)
    ended = await store.end(KEY)
    assert (
        sorted(f.scope for f in ended),
        await store.following("1"),
        await store.counts(),
        await follow(store, OTHER, follower(chat_id=2), cap=1),
    ) == (["1", "2"], [], (0, 0), FollowOutcome.FOLLOWED)


async def test_counts_are_threads_and_follows(backend: Backend) -> None:
    store = backend.follows()
    await follow(store, KEY, follower(chat_id=1))
    await follow(store, KEY, follower(chat_id=2))
    await follow(store, OTHER, follower(chat_id=1))
    assert await store.counts() == (2, 3)


@pytest.mark.parametrize(
    ("who", "scope"),
    [
        (follower(chat_id=-100), "-100"),
        (Follower(user_id=7, destination=Destination.INLINE, inline_message_id="i1"), "u7"),
    ],
)
async def test_an_inline_follow_counts_against_its_user(
    backend: Backend, who: Follower, scope: str
) -> None:
    store = backend.follows()
    await follow(store, who=who)
    assert await store.following(scope) == [KEY]
