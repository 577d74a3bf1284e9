"""Marker grammar internals: the one-pattern checks that spare asking every pattern."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cleaning.markers import (
    _ANY_COUNTER_AT_START,
    _COUNTERS_START,
    _EMOJI,
    _EMOJI_AT_END,
    _EMOJI_AT_START,
    _OPENER_WRAPPED_AT_END,
    _TOKEN_AT_START,
    _WORDS_AT_END,
    _WORDS_AT_START,
    _may_end_marker,
    _window,
    has_pointer,
)
from tests.data.counters.corpus import CASES

# Pieces counters are made of, so drawn texts often hold one, a near miss, or a look-alike.
PIECES = (
    "1", "2", "10", "１", "٣", "३", "/", "／", "(", ")", "[", "]", "（", "）", "【", "】", ".",
    "．", "、", ":", " ", " — ", "n", "x", "?", "∞", "of", "de", "von", "из", "Part", "teil",
    "Часть", "パート", "1️⃣", "🔟", "②", "❷", "➋", "a", "猫", "。", "\n",
)  # fmt: skip
# Whole markers and counters of every kind, and pieces of them, for the check that tells the
# kind of token at a start.
MARKERS = (
    "🧵", "👇", "👇🏽", "⬇️", "⤵", "🔽", "🧵:", "(cont.)", "[continued]", "cont'd", "Cont.",
    "/end", "/the end", "FIN/", "(the end)", "x/", "n/n", "?/5", "1/", "(2/10)", "[3/n]", "/4",
    "2/n", "3/5", "(2)", "2 of 10", "2️⃣", "②", "3.", "4)", "Part 2:", "Teil 3", "パート2",
)  # fmt: skip
# Openers are asked in a thread's first post only, by their own pattern.
OPENERS = ("Thread:", "A thread 🧵", "a long thread…", "Hilo 🧵", "тред:")
MARKER_PIECES = (
    *PIECES, *MARKERS, *OPENERS, "cont", "inued", "'d", "end", "fin", "the", "thread", "Thread",
    "A", "short", "-", "–", "…", "...", "：",
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


def _kind_at_start(text: str, position: int) -> str | None:
    """Return which kind of start pattern matches at position, as `_TOKEN_AT_START` must."""
    if any(p.match(text, position) for p in (_EMOJI_AT_START, *_WORDS_AT_START)):
        return "marker"
    if any(pattern.match(text, position) for _, pattern in _COUNTERS_START):
        return "counter"
    return None


def _token_kind_agrees(text: str, position: int) -> bool:
    token = _TOKEN_AT_START.match(text, position)
    return (token and token.lastgroup) == _kind_at_start(text, position)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(MARKER_PIECES), max_size=8).map("".join), st.integers(0, 3))
def test_token_at_start_tells_the_kind_that_matches(text: str, position: int) -> None:
    """A start it missed would keep its marker or counter; a wrong kind would skip one."""
    assert _token_kind_agrees(text, min(position, len(text)))


@pytest.mark.parametrize("marker", [*MARKERS, *OPENERS])
@pytest.mark.parametrize("after", ["", " why", "\nwhy"])
def test_token_at_start_finds_every_kind_of_marker(marker: str, after: str) -> None:
    text = f"{marker}{after}"
    assert _kind_at_start(text, 0) or marker in OPENERS, text
    assert _token_kind_agrees(text, 0)


def test_token_at_start_agrees_on_every_corpus_post() -> None:
    posts = [post for case in CASES for post in case.posts]
    assert all(_token_kind_agrees(post, 0) for post in posts)


def _marker_ends_at(text: str, end: int) -> bool:
    """Say whether one of the patterns `_may_end_marker` stands before finds a marker there."""
    patterns = (_EMOJI_AT_END, _OPENER_WRAPPED_AT_END, *_WORDS_AT_END)
    return any(pattern.search(text, _window(end), end) for pattern in patterns)


def _end_check_agrees(text: str) -> bool:
    end = len(text.rstrip())
    return _may_end_marker(text, end) or not _marker_ends_at(text, end)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(MARKER_PIECES), max_size=8).map("".join))
def test_may_end_marker_holds_wherever_an_end_marker_pattern_matches(text: str) -> None:
    """If it said no where a marker ends, cleaning would keep a marker it now cuts."""
    assert _end_check_agrees(text)


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("before", ["", "why ", "why\n"])
def test_may_end_marker_holds_after_every_kind_of_marker(marker: str, before: str) -> None:
    assert _end_check_agrees(f"{before}{marker}")


def test_may_end_marker_agrees_on_every_corpus_post() -> None:
    posts = [post for case in CASES for post in case.posts]
    assert all(_end_check_agrees(post) for post in posts)


def test_may_end_marker_says_no_after_a_plain_word_or_sentence() -> None:
    """What spares the searches: most posts end like these."""
    for text in ("a cat", "a sentence.", "Really?!", "a party 🎉", "“quoted”", "1/2 cup"):
        assert not _may_end_marker(text, len(text)), text


@pytest.mark.parametrize("emoji", ["🧵", "👇", "👇🏽", "⬇️", "⬇", "⤵️", "🔽", *_EMOJI])
def test_has_pointer_finds_every_read_on_emoji(emoji: str) -> None:
    assert has_pointer(f"more {emoji}")
    assert has_pointer(f"{emoji} more")


def test_has_pointer_finds_nothing_in_other_text() -> None:
    assert not has_pointer("")
    assert not has_pointer("more 🌍 ⬆️ ⤴ 🔼 👆 below/end")
