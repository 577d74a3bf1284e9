"""The reader page: well-formed, escaped, self-contained, for phones, dark mode and print."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from bot.model import Media, MediaType
from bot.rendering import RenderOptions, html_page
from tests.samples import hostile_thread, post, rich_thread, thread
from tests.samples import text as plain
from tests.unit.rendering.threads import x_thread


def _tree(page: str) -> ET.Element:
    """Parse the page as XML: the markup is meant to be well-formed XHTML too."""
    return ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))


def _meta(page: str) -> dict[str, str]:
    head = _tree(page).find("head")
    assert head is not None
    return {
        meta.get("property") or meta.get("name") or "": meta.get("content", "")
        for meta in head.iter("meta")
    }


def test_page_is_well_formed() -> None:
    assert _tree(html_page.render(x_thread())).tag == "html"


def test_markup_in_text_is_shown_not_run() -> None:
    body = _tree(html_page.render(x_thread())).find("body")
    assert body is not None
    assert [element.tag for element in body.iter("script")] == []
    assert '<script>alert("x")</script>' in "".join(body.itertext())


def test_ampersand_in_url_escaped_in_attribute() -> None:
    assert 'href="https://example.com/a?x=1&amp;y=2"' in html_page.render(rich_thread())


def test_page_loads_only_the_hot_linked_images() -> None:
    root = _tree(html_page.render(x_thread()))
    sources = [element.get("src") for element in root.iter() if element.get("src")]
    assert (sources, [e.tag for e in root.iter() if e.tag in {"link", "script", "iframe"}]) == (
        [
            "https://pbs.twimg.com/media/a.jpg",
            "https://pbs.twimg.com/media/b.jpg",
            "https://pbs.twimg.com/tweet_video_thumb/c.jpg",
        ],
        [],
    )


@pytest.mark.parametrize(
    "fragment",
    [
        '<html lang="und" dir="ltr">',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        "max-width: 38em",
        "@media (prefers-color-scheme: dark)",
        "@media print",
    ],
    ids=["lang", "viewport", "measure", "dark-mode", "print"],
)
def test_page_is_made_for_phones_dark_mode_and_print(fragment: str) -> None:
    assert fragment in html_page.render(rich_thread())


def test_open_graph_tags_describe_the_thread() -> None:
    meta = _meta(html_page.render(rich_thread()))
    expected_title = "Why <b>tags</b> & entities matter 🧵 — see example.com/a… and @bob #python"
    assert (meta["og:title"], meta["og:image"], meta["og:description"][:30]) == (
        expected_title,
        "https://img.example/1.jpg",
        "Why <b>tags</b> & entities mat",
    )


def test_video_thumbnail_used_for_preview_when_no_photo() -> None:
    video = Media(
        MediaType.VIDEO, "https://v.example/v.mp4", thumbnail_url="https://v.example/t.jpg"
    )
    meta = _meta(html_page.render(thread(post(0, plain("x"), media=(video,)))))
    assert meta["og:image"] == "https://v.example/t.jpg"


def test_preview_description_leaves_out_text_behind_a_warning() -> None:
    posts = (post(0, plain("Hidden."), content_warning="cw"), post(1, plain("Open.")))
    assert _meta(html_page.render(thread(*posts)))["og:description"] == "Open."


def test_no_preview_image_from_a_post_behind_a_warning() -> None:
    photo = Media(MediaType.PHOTO, "https://img.example/p.jpg")
    meta = _meta(html_page.render(thread(post(0, media=(photo,), content_warning="nsfw"))))
    assert "og:image" not in meta


def test_no_preview_image_without_media() -> None:
    meta = _meta(html_page.render(thread(post(0, plain("x")))))
    assert ("og:image" in meta, meta["twitter:card"]) == (False, "summary")


def test_line_break_inside_a_post_kept() -> None:
    page = html_page.render(
        thread(post(0, plain("one\ntwo"))), RenderOptions(include_header=False)
    )
    assert '<p dir="auto">one<br />two</p>' in page


def test_header_and_footer_left_out_on_request() -> None:
    bare = RenderOptions(include_header=False, include_footer=False)
    root = _tree(html_page.render(rich_thread(), bare))
    assert [e.tag for e in root.iter() if e.tag in {"header", "footer"}] == []


class _Targets(HTMLParser):
    """Collect every URL the page links to, loads, or cites, and the og:image."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        names = ["href", "src", "cite"] + (["content"] if found.get("property") else [])
        self.urls.extend(v for k, v in attrs if k in names and v and "://" in v)


def _targets(page: str) -> list[str]:
    parser = _Targets()
    parser.feed(page)
    return parser.urls


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "file:///etc/passwd"],
)
def test_unsafe_url_becomes_neither_link_nor_image(url: str) -> None:
    """Every URL field but a GIF's carries the hostile URL; the page must point only there."""
    page = html_page.render(hostile_thread(url))
    assert (_targets(page), "link &lt;script&gt;" in page) == (["https://img.example/g.mp4"], True)


def test_web_url_still_linked_everywhere() -> None:
    page = html_page.render(hostile_thread("https://ok.example/"))
    assert set(_targets(page)) == {"https://ok.example/", "https://img.example/g.mp4"}


def test_failed_image_shows_its_alt_text_once() -> None:
    """The placeholder of a failed image shows its alt; the caption must not say it again."""
    photo = Media(MediaType.PHOTO, "https://img.example/p.jpg", alt="A cat on a mat")
    page = html_page.render(thread(post(0, plain("x"), media=(photo,))))
    assert (page.count("A cat on a mat"), 'alt="Photo"' in page) == (1, True)


def test_characters_xml_forbids_left_out_of_the_page() -> None:
    page = html_page.render(thread(post(0, plain("bell\x07 nul\x00 lone\ud800 end"))))
    assert ('<p dir="auto">bell nul lone end</p>' in page, _tree(page).tag) == (True, "html")
