"""The X API source's walk down its own replies, on linking facts alone (no network)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sources.json_reader import JsonObject
from bot.sources.x_api import _Tweet, _walk_down

WHEN = datetime(2025, 3, 16, tzinfo=UTC)


def _tweet(tweet_id: str, parent_id: str | None) -> _Tweet:
    return _Tweet(
        tweet_id, "1", "10", WHEN, parent_id, "1" if parent_id else None, JsonObject({}, "x")
    )


def test_walk_down_survives_an_id_that_is_not_a_number() -> None:
    """Ids are compared as text (longer is later), so an odd id cannot crash the walk."""
    start, reply = _tweet("10", None), _tweet("not-a-snowflake", "10")
    assert _walk_down(start, {"10": start, reply.id: reply}) == [reply]


def test_walk_down_takes_the_earliest_of_two_self_replies() -> None:
    start, early, late = _tweet("10", None), _tweet("99", "10"), _tweet("100", "10")
    assert _walk_down(start, {t.id: t for t in (start, early, late)}) == [early]
