"""The reader page's own words speak the language its link names, else the browser's."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from bot.answering.pages import PagePublisher
from bot.archive import ThreadArchive
from bot.cleaning import ReadingMode
from bot.i18n.catalogs import words_for
from bot.presentation import present
from bot.queue.memory import MemoryJobQueue
from bot.store import MemoryChatStore
from bot.web import build_web_app
from tests.samples import rich_thread

THREAD = rich_thread()
PATH = f"/read/{quote(str(THREAD.key), safe='')}"


async def reader_page(query: str = "", headers: dict[str, str] | None = None) -> httpx.Response:
    store = MemoryChatStore()
    archive = ThreadArchive(store)
    await archive.keep(THREAD)
    app = build_web_app(queue=MemoryJobQueue(), store=store, archive=archive)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as web:
        return await web.get(PATH + query, headers=headers or {})


@pytest.mark.parametrize(
    ("query", "accept", "footer"),
    [
        ("?mode=reflow&lang=ru", "", "Оригинал в X"),
        ("?lang=pt-BR", "", "Original no X"),
        ("", "de-DE,de;q=0.9,en;q=0.5", "Original auf X"),
        ("", "fr-FR,fr;q=0.9,es;q=0.8", "Original en X"),
        ("", "fr-FR, en;q=0.8, ru;q=0.5", "Original on X"),
        ("", "", "Original on X"),
    ],
)
async def test_page_chrome_speaks_the_chosen_language(
    query: str, accept: str, footer: str
) -> None:
    page = await reader_page(query, {"Accept-Language": accept} if accept else None)
    assert (page.status_code, footer in page.text) == (200, True)


async def test_expired_page_speaks_the_language_too() -> None:
    store = MemoryChatStore()
    app = build_web_app(queue=MemoryJobQueue(), store=store, archive=ThreadArchive(store))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as web:
        page = await web.get(PATH + "?lang=es")
    assert (page.status_code, "Página caducada" in page.text) == (404, True)


async def test_own_page_link_names_the_requesters_language() -> None:
    publisher = PagePublisher(
        telegraph=None, public_base_url="https://bot.example", store=MemoryChatStore()
    )
    url = await publisher.publish(present(THREAD, ReadingMode.REFLOW, words_for("ru")))
    assert url is not None
    assert url.endswith("?mode=reflow&lang=ru")
