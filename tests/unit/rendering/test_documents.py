"""Rules every document format shares: reflow, gap markers, warnings and quotes in place, the
author's other branches linked from the completeness line."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from bot.model import Report, Thread
from bot.rendering import epub, html_page, markdown, text
from tests.samples import post, rich_thread, thread
from tests.samples import text as plain


def _epub_chapter(thread: Thread) -> str:
    return zipfile.ZipFile(io.BytesIO(epub.render(thread))).read("EPUB/part-1.xhtml").decode()


DOCUMENTS: dict[str, Callable[[Thread], str]] = {
    "text": text.render,
    "markdown": markdown.render,
    "html": html_page.render,
    "epub": _epub_chapter,
}
documents = pytest.mark.parametrize("render", DOCUMENTS.values(), ids=DOCUMENTS.keys())


@documents
def test_reflowed_posts_read_as_one_sentence(render: Callable[[Thread], str]) -> None:
    assert "Second post ends mid sentence and goes on here." in render(rich_thread())


def _body(output: str) -> str:
    """Drop the HTML head, whose description repeats the thread's first words."""
    return output.split("<body>")[-1]


@documents
def test_gap_marker_sits_between_its_neighbours(render: Callable[[Thread], str]) -> None:
    output = _body(render(rich_thread()))
    positions = [output.index(s) for s in ("goes on here", "⋯ 1 deleted post", "A quote and")]
    assert positions == sorted(positions)


@documents
def test_content_warning_comes_before_the_text(render: Callable[[Thread], str]) -> None:
    """Also in titles and previews: no part of the text shows before the last warning."""
    output = render(thread(post(0, plain("Spoiler text."), content_warning="film ending")))
    assert output.rindex("film ending") < output.index("Spoiler text.")


@documents
def test_unavailable_quote_says_so(render: Callable[[Thread], str]) -> None:
    assert "Quoted post unavailable" in render(rich_thread())


BRANCH_URL = "https://x.com/ada/status/2000"
FORKED_REPORT = Report(posts=1, complete=False, other_branch_posts=3, other_branch_url=BRANCH_URL)
LINKED_BRANCH = {
    "text": f"the author also replied elsewhere: 3 posts not shown ({BRANCH_URL})",
    "markdown": f"[the author also replied elsewhere: 3 posts not shown]({BRANCH_URL})",
    "html": f'<a href="{BRANCH_URL}">the author also replied elsewhere: 3 posts not shown</a>',
    "epub": f'<a href="{BRANCH_URL}">the author also replied elsewhere: 3 posts not shown</a>',
}


@pytest.mark.parametrize(
    ("render", "expected"),
    [(DOCUMENTS[name], LINKED_BRANCH[name]) for name in DOCUMENTS],
    ids=DOCUMENTS.keys(),
)
def test_other_branch_linked_in_completeness_line(
    render: Callable[[Thread], str], expected: str
) -> None:
    forked = thread(post(0, plain("One")), report=FORKED_REPORT)
    assert expected in render(forked)
