"""Reflow: posts that stop mid-sentence run on into the next; original mode keeps posts apart."""

from __future__ import annotations

import pytest

from bot.cleaning.reflow import (
    ends_mid_sentence,
    is_open_ending,
    join_broken_sentences,
    keep_post_breaks,
)
from bot.model import Media, MediaType, Segment, SegmentKind
from tests.samples import link, post, text
from tests.unit.cleaning.build import thread_of, with_post


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("and then we", True, id="mid-sentence"),
        pytest.param(" \n\u3000", False, id="blank"),
        pytest.param("first, second,", True, id="comma"),
        pytest.param("it went —", True, id="dash"),
        pytest.param("so I waited...", True, id="ellipsis-dots"),
        pytest.param("so I waited…", True, id="ellipsis"),
        pytest.param("that was all.", False, id="full-stop"),
        pytest.param("really?", False, id="question"),
        pytest.param("wow!", False, id="exclamation"),
        pytest.param("here is how:", False, id="colon"),
        pytest.param('she said "stop."', False, id="quote-after-stop"),
        pytest.param("she said “go on", True, id="open-quote"),
        pytest.param("(as I said.)", False, id="bracket-after-stop"),
        pytest.param("(as I said)", True, id="bracket-mid-sentence"),
        pytest.param("great news 🎉", False, id="emoji"),
        pytest.param("thumbs up 👍🏽", False, id="emoji-skin-tone"),
        pytest.param("the year 2024", True, id="number"),
        pytest.param("", False, id="empty"),
    ],
)
def test_is_open_ending(value: str, expected: bool) -> None:
    assert is_open_ending(value) is expected


@pytest.mark.parametrize("kind", list(SegmentKind))
def test_ends_mid_sentence_false_when_post_is_blank(kind: SegmentKind) -> None:
    """It skips asking whether the post is blank; a blank last segment must say no itself."""
    assert not ends_mid_sentence(post(0, text(" \n "), Segment(kind, " ")))


def test_ends_mid_sentence_false_when_post_ends_with_link() -> None:
    assert not ends_mid_sentence(post(0, text("Read"), link("a.example", "https://a.example")))


def test_ends_mid_sentence_false_when_post_ends_with_hashtag() -> None:
    hashtag = Segment(SegmentKind.HASHTAG, "#cats", "https://x.com/hashtag/cats")
    assert not ends_mid_sentence(post(0, text("All about "), hashtag))


def test_ends_mid_sentence_true_when_post_ends_with_mention() -> None:
    mention = Segment(SegmentKind.MENTION, "@bob", "https://x.com/bob")
    assert ends_mid_sentence(post(0, text("Thanks to "), mention))


def test_reflow_joins_when_post_ends_mid_sentence() -> None:
    joined = join_broken_sentences(thread_of("We went to the", "shop. Then home.", "Done."))
    assert [p.joins_next for p in joined.posts] == [True, False, False]


def test_reflow_keeps_break_when_sentence_ends() -> None:
    joined = join_broken_sentences(thread_of("We went out.", "then home"))
    assert [p.joins_next for p in joined.posts] == [False, False]


def test_reflow_never_joins_last_post() -> None:
    joined = join_broken_sentences(thread_of("Done.", "and then"))
    assert joined.posts[-1].joins_next is False


def test_reflow_keeps_break_when_post_has_media() -> None:
    photo = (Media(MediaType.PHOTO, "https://img.example/a.jpg"),)
    joined = join_broken_sentences(with_post(thread_of("Look at the", "cat."), 0, media=photo))
    assert joined.posts[0].joins_next is False


def test_reflow_keeps_break_when_posts_are_missing_between() -> None:
    joined = join_broken_sentences(with_post(thread_of("We went to the", "cat."), 1, gap_before=1))
    assert joined.posts[0].joins_next is False


def test_reflow_keeps_break_before_content_warning() -> None:
    warned = with_post(thread_of("We went to the", "cat."), 1, content_warning="spoilers")
    assert join_broken_sentences(warned).posts[0].joins_next is False


def test_original_mode_clears_every_join() -> None:
    joined = join_broken_sentences(thread_of("We went to the", "shop and", "home."))
    assert [p.joins_next for p in keep_post_breaks(joined).posts] == [False, False, False]


def test_reflow_joins_posts_under_the_same_content_warning() -> None:
    """Mastodon repeats the thread's warning on every self-reply; they still read on."""
    warned = thread_of("We went to the", "cat shop and bought", "a cat.")
    for index in range(3):
        warned = with_post(warned, index, content_warning="cats")
    assert [p.joins_next for p in join_broken_sentences(warned).posts] == [True, True, False]
