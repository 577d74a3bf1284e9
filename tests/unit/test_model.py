"""The model's helpers: tuples kept by identity when nothing in them changed, fast copies."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.model import LinkCard, kept_if_unchanged, with_changes
from tests.samples import rich_thread, text


def test_kept_if_unchanged_returns_the_old_tuple_for_the_same_items() -> None:
    old = (text("a"), text("b"))
    assert kept_if_unchanged(old, tuple(old)) is old


def test_kept_if_unchanged_returns_the_new_tuple_for_equal_copies() -> None:
    """Only the very same objects count, so a caller never mistakes a rebuilt part for one it
    left alone."""
    old, new = (text("a"),), (text("a"),)
    assert kept_if_unchanged(old, new) is new


def _each_model_instance() -> list[object]:
    """One instance of every class `with_changes` copies, with all its fields set."""
    sample = rich_thread()
    rich_post = sample.posts[0]
    quoted = next(p.quote for p in sample.posts if p.quote is not None)
    poll = next(p.poll for p in sample.posts if p.poll is not None)
    card = LinkCard("https://a.example/p", "A page", "About it", "https://a.example/i.png")
    return [
        with_changes(sample, fetched_at=datetime(2024, 1, 2, tzinfo=UTC)),
        sample.report,
        sample.author,
        with_changes(rich_post, card=card, content_warning="cw", language="en"),
        rich_post.text[1],
        rich_post.media[0],
        quoted,
        card,
        poll,
        poll.options[0],
    ]


@pytest.mark.parametrize("value", _each_model_instance(), ids=lambda v: type(v).__name__)
def test_with_changes_builds_what_replace_builds_for_every_field(value: Any) -> None:
    """Each field, changed alone, lands in its own place and every other field is kept."""
    for position, field in enumerate(fields(value)):
        new = f"new {position}"
        copied = with_changes(value, **{field.name: new})
        assert repr(copied) == repr(replace(value, **{field.name: new}))
        assert getattr(copied, field.name) == new


def test_with_changes_applies_several_changes_at_once() -> None:
    post_ = rich_thread().posts[1]
    changed = with_changes(post_, text=(), joins_next=True, gap_before=2)
    assert changed == replace(post_, text=(), joins_next=True, gap_before=2)


def test_with_changes_leaves_the_original_as_it_was() -> None:
    post_ = rich_thread().posts[0]
    before = repr(post_)
    with_changes(post_, text=())
    assert repr(post_) == before
