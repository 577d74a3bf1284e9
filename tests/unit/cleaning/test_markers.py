"""Marker grammar internals: the one-pattern check that spares asking every counter pattern."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cleaning.markers import _ANY_COUNTER_AT_START, _COUNTERS_START
from tests.data.counters.corpus import CASES

# Pieces counters are made of, so drawn texts often hold one, a near miss, or a look-alike.
PIECES = (
    "1", "2", "10", "１", "٣", "३", "/", "／", "(", ")", "[", "]", "（", "）", "【", "】", ".",
    "．", "、", ":", " ", " — ", "n", "x", "?", "∞", "of", "de", "von", "из", "Part", "teil",
    "Часть", "パート", "1️⃣", "🔟", "②", "❷", "➋", "a", "猫", "。", "\n",
)  # fmt: skip


def _agrees_with_each_pattern(text: str, position: int) -> bool:
    found = _ANY_COUNTER_AT_START.match(text, position) is not None
    return found == any(pattern.match(text, position) for _, pattern in _COUNTERS_START)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), st.integers(0, 3))
def test_any_counter_at_start_matches_where_some_counter_pattern_does(
    text: str, position: int
) -> None:
    """If it missed a start one pattern matches, cleaning would keep a counter it now cuts."""
    assert _agrees_with_each_pattern(text, min(position, len(text)))


def test_any_counter_at_start_agrees_on_every_corpus_post() -> None:
    posts = [post for case in CASES for post in case.posts]
    assert all(_agrees_with_each_pattern(post, 0) for post in posts)
