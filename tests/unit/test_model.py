"""The model's helpers: tuples kept by identity when nothing in them changed."""

from __future__ import annotations

from bot.model import kept_if_unchanged
from tests.samples import text


def test_kept_if_unchanged_returns_the_old_tuple_for_the_same_items() -> None:
    old = (text("a"), text("b"))
    assert kept_if_unchanged(old, tuple(old)) is old


def test_kept_if_unchanged_returns_the_new_tuple_for_equal_copies() -> None:
    """Only the very same objects count, so a caller never mistakes a rebuilt part for one it
    left alone."""
    old, new = (text("a"),), (text("a"),)
    assert kept_if_unchanged(old, new) is new
