"""How posts group into passages: reflow joins, and the breaks gaps and warnings force."""

from __future__ import annotations

import pytest

from bot.model import Media, MediaType, Post, Segment, SegmentKind
from bot.rendering.passages import group_passages, split_paragraphs
from tests.samples import link, post, text


def _texts(*posts: Post) -> list[list[str]]:
    """Return each passage's paragraphs as plain strings."""
    return [
        ["".join(segment.text for segment in paragraph) for paragraph in passage.paragraphs]
        for passage in group_passages(posts)
    ]


def test_passage_joins_posts_with_one_space_when_joins_next() -> None:
    posts = (post(0, text("ends mid "), joins_next=True), post(1, text(" sentence here.")))
    assert _texts(*posts) == [["ends mid sentence here."]]


def test_passage_keeps_one_paragraph_per_post_without_joins_next() -> None:
    assert _texts(post(0, text("One.")), post(1, text("Two."))) == [["One."], ["Two."]]


def test_passage_breaks_before_a_gap_even_when_joins_next() -> None:
    posts = (post(0, text("ends mid"), joins_next=True), post(1, text("goes on"), gap_before=1))
    assert [passage.gap_before for passage in group_passages(posts)] == [0, 1]


def test_passage_breaks_when_the_warning_changes() -> None:
    posts = (
        post(0, text("ends mid"), joins_next=True, content_warning="a"),
        post(1, text("goes on"), content_warning="b"),
    )
    assert [passage.content_warning for passage in group_passages(posts)] == ["a", "b"]


def test_warning_shown_once_when_every_post_repeats_it() -> None:
    posts = [post(index, content_warning="spoilers") for index in range(3)]
    assert [passage.content_warning for passage in group_passages(posts)] == [
        "spoilers",
        None,
        None,
    ]


def test_warning_shown_again_after_a_post_without_it() -> None:
    posts = [post(0, content_warning="cw"), post(1), post(2, content_warning="cw")]
    assert [passage.content_warning for passage in group_passages(posts)] == ["cw", None, "cw"]


def test_passage_adds_no_space_for_a_post_without_text() -> None:
    photo = Media(MediaType.PHOTO, "https://img.example/p.jpg")
    posts = (
        post(0, text("Look"), joins_next=True),
        Post(
            id="1",
            url="u",
            created_at=post(1).created_at,
            text=(),
            media=(photo,),
            joins_next=True,
        ),
        post(2, text("here.")),
    )
    assert _texts(*posts) == [["Look here."]]


def test_every_post_lands_in_exactly_one_passage() -> None:
    posts = [post(i, joins_next=i % 3 != 2, gap_before=int(i == 4)) for i in range(8)]
    grouped = [p for passage in group_passages(posts) for p in passage.posts]
    assert grouped == posts


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        ((text("a\n\nb"),), ["a", "b"]),
        ((text("a\n \n\n b"),), ["a", "b"]),
        ((text("a\nb"),), ["a\nb"]),
        ((text("  a  "),), ["a"]),
        ((text("\n\n"),), []),
        ((text("see "), link("x.com", "https://x.com"), text("\n\nnext")), ["see x.com", "next"]),
    ],
    ids=["blank-line", "blank-line-with-spaces", "line-break-kept", "trimmed", "empty", "link"],
)
def test_split_paragraphs_at_blank_lines(
    segments: tuple[Segment, ...], expected: list[str]
) -> None:
    paragraphs = split_paragraphs(segments)
    assert ["".join(s.text for s in paragraph) for paragraph in paragraphs] == expected


def test_split_paragraphs_writes_text_with_a_url_anew_without_it() -> None:
    """Only links, mentions and hashtags carry a URL; a TEXT segment with one loses it."""
    odd = Segment(SegmentKind.TEXT, " a\n\nb ", url="https://x.com")
    inner = Segment(SegmentKind.TEXT, "c", url="https://x.com")
    paragraphs = split_paragraphs((odd, inner))
    assert paragraphs == ((text("a"),), (text("b "), text("c")))
