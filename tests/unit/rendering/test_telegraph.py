"""Telegraph Node JSON: allowed tags, hot-linked media, parts under the size limit, titles."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import Media, MediaType, Report, Thread
from bot.rendering import RenderOptions
from bot.rendering.telegraph import (
    ALLOWED_ATTRS,
    ALLOWED_TAGS,
    MAX_CONTENT_BYTES,
    MAX_TITLE_CHARS,
    NEXT_PART_PLACEHOLDER,
    NEXT_PART_TEXT,
    Node,
    TelegraphPage,
    content_size,
    link_next,
    render,
    split_page,
)
from tests.samples import hostile_thread, long_thread, post, rich_thread, text, thread
from tests.unit.rendering.test_telegram_html import _threads

BARE = RenderOptions(include_header=False, include_footer=False)


def elements(nodes: Sequence[Node]) -> Iterator[dict[str, object]]:
    """Yield every element of a node tree, depth first."""
    for node in nodes:
        if isinstance(node, dict):
            yield dict(node)
            yield from elements(node.get("children", []))


def strings(nodes: Sequence[Node]) -> Iterator[str]:
    """Yield every text node of a node tree, in reading order."""
    for node in nodes:
        if isinstance(node, str):
            yield node
        else:
            yield from strings(node.get("children", []))


def hrefs(nodes: Sequence[Node]) -> list[object]:
    return [e["attrs"]["href"] for e in elements(nodes) if e["tag"] == "a"]  # type: ignore[index]


def test_rich_thread_uses_telegraphs_tags_and_attributes_only() -> None:
    found = list(elements(render(rich_thread())[0].content))
    assert (
        {e["tag"] for e in found} <= ALLOWED_TAGS,
        {a for e in found for a in e.get("attrs", {})} <= ALLOWED_ATTRS,  # type: ignore[attr-defined]
    ) == (True, True)


def test_photo_hot_linked_as_figure_with_alt_caption() -> None:
    photo = Media(MediaType.PHOTO, "https://img.example/1.jpg", alt="A chart")
    content = render(thread(post(0, text("Hi"), media=(photo,))), BARE)[0].content
    assert content[1] == {
        "tag": "figure",
        "children": [
            {"tag": "img", "attrs": {"src": "https://img.example/1.jpg"}},
            {"tag": "figcaption", "children": ["🖼 Photo: A chart"]},
        ],
    }


def test_video_shown_as_thumbnail_linking_the_file() -> None:
    video = Media(MediaType.VIDEO, "https://v.example/v.mp4", thumbnail_url="https://t/1.jpg")
    content = render(thread(post(0, text("Hi"), media=(video,))), BARE)[0].content
    assert content[1] == {
        "tag": "figure",
        "children": [
            {"tag": "img", "attrs": {"src": "https://t/1.jpg"}},
            {
                "tag": "figcaption",
                "children": [
                    {
                        "tag": "a",
                        "attrs": {"href": "https://v.example/v.mp4"},
                        "children": ["🎞 Video"],
                    }
                ],
            },
        ],
    }


def test_line_breaks_become_br_inside_a_paragraph() -> None:
    content = render(thread(post(0, text("One\nTwo"))), BARE)[0].content
    assert content == [{"tag": "p", "children": ["One", {"tag": "br"}, "Two"]}]


def test_first_part_opens_with_author_and_original_link() -> None:
    first = render(long_thread(500))[0].content
    assert hrefs(first[:2]) == ["https://x.com/ada", "https://x.com/ada/status/1000"]


def test_last_part_ends_with_completeness() -> None:
    last = render(long_thread(500))[-1].content
    assert last[-2:] == [
        {"tag": "hr"},
        {"tag": "p", "children": [{"tag": "i", "children": ["500 posts"]}]},
    ]


def test_one_page_keeps_plain_title() -> None:
    assert [page.title for page in render(rich_thread())] == [
        "Why <b>tags</b> & entities matter 🧵 — see example.com/a… and @bob #python"
    ]


def test_parts_numbered_in_titles_when_thread_is_long() -> None:
    titles = [page.title for page in render(long_thread(500))]
    assert [re.sub(r".* \(", "(", title) for title in titles] == ["(1/3)", "(2/3)", "(3/3)"]


def test_parts_except_last_end_with_next_part_placeholder() -> None:
    pages = render(long_thread(500))
    assert [hrefs(page.content[-1:]) for page in pages] == [
        [NEXT_PART_PLACEHOLDER],
        [NEXT_PART_PLACEHOLDER],
        [],
    ]


def test_link_next_points_placeholder_at_url() -> None:
    page = link_next(render(long_thread(500))[0], "https://telegra.ph/Part-2")
    assert hrefs(page.content[-1:]) == ["https://telegra.ph/Part-2"]


def test_content_size_counts_escaped_json() -> None:
    assert content_size(["é🧵"]) == len('["\\u00e9\\ud83e\\uddf5"]')


def test_split_page_halves_a_part_and_numbers_all_again() -> None:
    pages = render(long_thread(500))
    split = split_page(pages, 1)
    assert (
        [re.sub(r".* \(", "(", page.title) for page in split],
        [content_size(page.content) < content_size(pages[1].content) for page in split[1:3]],
        hrefs(split[1].content[-1:]),
    ) == (["(1/4)", "(2/4)", "(3/4)", "(4/4)"], [True, True], [NEXT_PART_PLACEHOLDER])


def test_split_page_keeps_long_title_within_limit() -> None:
    pages = [TelegraphPage("T" * MAX_TITLE_CHARS, [{"tag": "p", "children": ["a b c d"]}])]
    assert [len(page.title) for page in split_page(pages, 0)] == [MAX_TITLE_CHARS] * 2


def test_split_page_refuses_a_lone_image() -> None:
    pages = [TelegraphPage("T", [{"tag": "img", "attrs": {"src": "https://i/1"}}])]
    with pytest.raises(ValueError, match="cannot be cut"):
        split_page(pages, 0)


def test_paragraph_larger_than_a_part_is_cut_between_words() -> None:
    pages = render(thread(post(0, text("word " * 3000))), BARE, max_bytes=4000)
    assert max(content_size(page.content) for page in pages) <= 4000


# Properties, on the generated threads of the Telegram tests.

_PROPERTY = settings(max_examples=50)


def _furniture_free(pages: list[TelegraphPage]) -> str:
    text_nodes = (s for page in pages for s in strings(page.content) if s != NEXT_PART_TEXT)
    return re.sub(r"\s", "", "".join(text_nodes))


@_PROPERTY
@given(thread=_threads, max_bytes=st.integers(400, 4000))
def test_parts_stay_within_size_and_allowed_markup(thread: Thread, max_bytes: int) -> None:
    pages = render(thread, max_bytes=max_bytes)
    found = [e for page in pages for e in elements(page.content)]
    assert (
        max(content_size(page.content) for page in pages) <= max_bytes,
        {e["tag"] for e in found} <= ALLOWED_TAGS,
        {a for e in found for a in e.get("attrs", {})} <= ALLOWED_ATTRS,  # type: ignore[attr-defined]
        max(len(page.title) for page in pages) <= MAX_TITLE_CHARS,
    ) == (True, True, True, True)


@_PROPERTY
@given(thread=_threads, max_bytes=st.integers(400, 4000))
def test_parts_lose_and_repeat_no_character(thread: Thread, max_bytes: int) -> None:
    whole = render(thread, max_bytes=MAX_CONTENT_BYTES * 100)
    assert _furniture_free(render(thread, max_bytes=max_bytes)) == _furniture_free(whole)


def sources(nodes: Sequence[Node]) -> list[object]:
    return [e.get("attrs", {}).get("src") for e in elements(nodes) if e["tag"] == "img"]


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:image/png;base64,AAAA", "tg://resolve?domain=x"]
)
def test_unsafe_url_becomes_neither_href_nor_src(url: str) -> None:
    """A non-web `img src` reached Telegraph, which showed what the upstream chose."""
    content = render(hostile_thread(url))[0].content
    assert (hrefs(content), sources(content)) == (["https://img.example/g.mp4"], [])


def test_control_characters_left_out_of_text_and_title() -> None:
    page = render(thread(post(0, text("bell\x07 ring\ud800"))))[0]
    assert (page.title, "bell ring" in strings(page.content)) == ("bell ring", True)


def test_last_part_links_the_authors_other_branch() -> None:
    report = Report(
        posts=1,
        complete=False,
        other_branch_posts=3,
        other_branch_url="https://x.com/ada/status/2000",
    )
    last = render(thread(post(0, text("One")), report=report))[-1].content
    assert last[-1] == {
        "tag": "p",
        "children": [
            {
                "tag": "i",
                "children": [
                    "1 post",
                    " · ",
                    {
                        "tag": "a",
                        "attrs": {"href": "https://x.com/ada/status/2000"},
                        "children": ["the author also replied elsewhere: 3 posts not shown"],
                    },
                ],
            }
        ],
    }
