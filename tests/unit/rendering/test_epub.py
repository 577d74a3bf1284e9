"""EPUB: a valid zip with the mimetype first, the text in its chapters, split every ~50 posts."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

from bot.rendering import epub
from bot.rendering.passages import group_passages
from tests.samples import hostile_thread, long_thread, post, rich_thread, thread

_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"


def _book(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_epub_is_a_zip_with_uncompressed_mimetype_first() -> None:
    first = _book(epub.render(rich_thread())).infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)


def test_mimetype_names_epub() -> None:
    assert _book(epub.render(rich_thread())).read("mimetype") == b"application/epub+zip"


def test_zip_is_intact() -> None:
    assert _book(epub.render(rich_thread())).testzip() is None


def test_chapter_contains_the_text() -> None:
    chapter = _book(epub.render(rich_thread())).read("EPUB/part-1.xhtml").decode()
    assert "sentence and goes on here. Привет, 世界!" in chapter


def test_chapter_links_media_instead_of_embedding_them() -> None:
    chapter = _book(epub.render(rich_thread())).read("EPUB/part-1.xhtml").decode()
    assert ("<img" in chapter, '<a href="https://img.example/1.jpg">' in chapter) == (False, True)


def test_metadata_names_title_author_and_language() -> None:
    opf = ET.fromstring(_book(epub.render(rich_thread())).read("EPUB/content.opf"))
    metadata = opf.find(f"{_OPF}metadata")
    assert metadata is not None
    found = {name: metadata.findtext(f"{_DC}{name}") for name in ("title", "creator", "language")}
    assert found == {
        "title": "Why <b>tags</b> & entities matter 🧵 — see example.com/a… and @bob #python",
        "creator": "Ada <Lovelace> & Co (@ada)",
        "language": "und",
    }


def test_long_thread_gets_a_chapter_per_fifty_posts() -> None:
    names = _book(epub.render(long_thread(120))).namelist()
    assert [name for name in names if name.startswith("EPUB/part-")] == [
        "EPUB/part-1.xhtml",
        "EPUB/part-2.xhtml",
        "EPUB/part-3.xhtml",
    ]


@pytest.mark.parametrize(
    ("joined", "expected"),
    [((), [50, 50, 20]), ((48, 49, 50, 51), [48, 50, 22])],
    ids=["plain", "passage-across-the-limit"],
)
def test_chapters_cut_between_passages(joined: tuple[int, ...], expected: list[int]) -> None:
    posts = [post(i, joins_next=i in joined) for i in range(120)]
    chapters = epub.split_chapters(group_passages(posts))
    assert [sum(len(p.posts) for p in chapter) for chapter in chapters] == expected


def test_one_post_thread_renders() -> None:
    assert _book(epub.render(thread(post(0)))).testzip() is None


def test_control_characters_in_text_and_names_do_not_break_the_book() -> None:
    """ebooklib's XML writer raised on these, and `unroll --format epub` exited with a crash."""
    hostile = hostile_thread("https://ok.example/", words="bell\x07 nul\x00 esc\x1b lone\ud800")
    chapter = _book(epub.render(hostile)).read("EPUB/part-1.xhtml").decode()
    assert "link bell nul esc lone" in chapter


def test_unsafe_url_in_the_book_is_not_a_link() -> None:
    chapter = _book(epub.render(hostile_thread("javascript:alert(1)"))).read("EPUB/part-1.xhtml")
    assert (b"javascript:" in chapter, b"link &lt;script&gt;" in chapter) == (False, True)
