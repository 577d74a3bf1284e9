"""The reader page outlives the result cache: kept threads, a fetch when none is, ETags."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import httpx
import pytest

from bot.archive import ThreadArchive
from bot.codec import encode_result
from bot.errors import PostUnavailableError
from bot.model import Thread, ThreadKey
from bot.queue.memory import MemoryJobQueue
from bot.store import MemoryChatStore
from bot.web import build_web_app
from tests.samples import rich_thread

THREAD = rich_thread()
PATH = f"/read/{quote(str(THREAD.key), safe='')}"


def client(
    archive: ThreadArchive, refetch: Callable[[ThreadKey], Awaitable[Thread]] | None = None
) -> httpx.AsyncClient:
    app = build_web_app(
        queue=MemoryJobQueue(), store=MemoryChatStore(), archive=archive, refetch=refetch
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot")


@pytest.fixture
def archive() -> ThreadArchive:
    return ThreadArchive(MemoryChatStore())


async def test_a_kept_thread_is_served_after_the_cache_forgot_it(archive: ThreadArchive) -> None:
    await archive.keep(THREAD)
    async with client(archive) as web:
        page = await web.get(PATH)
    assert (page.status_code, THREAD.author.name in page.text, "ETag" in page.headers) == (
        200,
        False,  # the name is escaped in the page: "Ada &lt;Lovelace&gt;"
        True,
    )


async def test_an_unchanged_page_is_not_sent_again(archive: ThreadArchive) -> None:
    await archive.keep(THREAD)
    async with client(archive) as web:
        etag = (await web.get(PATH)).headers["ETag"]
        again = await web.get(PATH, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")


async def test_a_thread_kept_nowhere_is_fetched_again_and_kept(archive: ThreadArchive) -> None:
    fetched: list[ThreadKey] = []

    async def refetch(key: ThreadKey) -> Thread:
        fetched.append(key)
        return THREAD

    async with client(archive, refetch) as web:
        page = await web.get(PATH)
    assert (page.status_code, fetched, await archive.recall(THREAD.key)) == (
        200,
        [THREAD.key],
        THREAD,
    )


async def test_a_thread_gone_everywhere_is_the_expired_page(archive: ThreadArchive) -> None:
    async def refetch(key: ThreadKey) -> Thread:
        raise PostUnavailableError("deleted", platform=key.platform.value)

    async with client(archive, refetch) as web:
        assert (await web.get(PATH)).status_code == 404


async def test_an_unreadable_kept_value_counts_as_gone() -> None:
    store = MemoryChatStore()
    await store.set_value(f"thread:{THREAD.key}", "not what keep wrote")
    assert await ThreadArchive(store).recall(THREAD.key) is None


async def test_a_thread_kept_in_base85_by_an_earlier_version_is_still_read(
    archive: ThreadArchive,
) -> None:
    packed = base64.b85encode(zlib.compress(encode_result(THREAD), 6)).decode()
    await archive.store.set_value(f"thread:{THREAD.key}", packed)
    assert await archive.recall(THREAD.key) == THREAD
