"""Every document format on every sample thread, compared with frozen outputs read by eye once."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from bot.model import Thread
from bot.rendering import epub, html_page, json, markdown, telegram_rich, text
from tests.samples import rich_thread
from tests.unit.rendering.threads import bluesky_thread, mastodon_thread, x_thread

SAMPLES: dict[str, Callable[[], Thread]] = {
    "rich": rich_thread,
    "mastodon": mastodon_thread,
    "bluesky": bluesky_thread,
    "x": x_thread,
}
FORMATS: dict[str, tuple[str, Callable[[Thread], str]]] = {
    "text": ("txt", text.render),
    "markdown": ("md", markdown.render),
    "html": ("html", html_page.render),
    "json": ("json", json.render),
    "telegram-rich": ("telegram-rich.html", telegram_rich.render_document),
}


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("output", FORMATS)
def test_output_matches_golden_file(
    golden: Callable[[str, str], None], output: str, sample: str
) -> None:
    extension, render = FORMATS[output]
    golden(f"{sample}.{extension}", render(SAMPLES[sample]()))


@pytest.mark.parametrize("sample", SAMPLES)
def test_epub_chapter_matches_golden_file(golden: Callable[[str, str], None], sample: str) -> None:
    """The zip around it carries timestamps, so the chapter is what is frozen."""
    book = zipfile.ZipFile(io.BytesIO(epub.render(SAMPLES[sample]())))
    golden(f"{sample}.epub.xhtml", book.read("EPUB/part-1.xhtml").decode())
