"""TelegraphClient against the fake Telegraph over real sockets: accounts, pages, floods, parts."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.errors import RateLimitedError, SourceError
from bot.net.http import HttpClient
from bot.rendering import telegraph
from bot.rendering.telegraph import TelegraphPage
from bot.telegraph_client import TelegraphClient
from tests.fakes.telegraph import FakeTelegraph
from tests.samples import long_thread, rich_thread

AUTHOR = {"author_name": "Ada", "author_url": "https://x.com/ada"}


class SleepRecorder:
    """Stands in for asyncio.sleep: records the waits instead of spending them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake() -> Iterator[FakeTelegraph]:
    with FakeTelegraph() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient()
    yield client
    await client.aclose()


@pytest.fixture
def sleep() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def client(fake: FakeTelegraph, http: HttpClient, sleep: SleepRecorder) -> TelegraphClient:
    return TelegraphClient(http, api_url=fake.url, access_token=fake.add_account(), sleep=sleep)


async def read_page(http: HttpClient, url: str) -> str:
    return (await http.get(url)).content.decode()


async def follow_parts(http: HttpClient, first_url: str) -> list[str]:
    """Read the pages from the first part on, following each "Next part" link; return titles."""
    titles = []
    url: str | None = first_url
    while url is not None:
        page = await read_page(http, url)
        titles.append(html_title(page))
        links = re.findall(rf'<a href="([^"]+)">{telegraph.NEXT_PART_TEXT}</a>', page)
        url = links[0] if links else None
    return titles


def html_title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page)
    assert found is not None
    return found.group(1)


async def test_create_page_serves_the_page_at_returned_url(
    client: TelegraphClient, http: HttpClient
) -> None:
    page = telegraph.render(rich_thread())[0]
    url = await client.create_page(page, **AUTHOR)
    assert "Quoted post unavailable" in await read_page(http, url)


async def test_create_page_sends_content_telegraph_stores_unchanged(
    client: TelegraphClient, fake: FakeTelegraph
) -> None:
    page = telegraph.render(rich_thread())[0]
    url = await client.create_page(page, **AUTHOR)
    assert fake.pages[url.rsplit("/", 1)[1]].content == page.content


async def test_ensure_account_creates_one_account_when_no_token(
    fake: FakeTelegraph, http: HttpClient
) -> None:
    client = TelegraphClient(http, api_url=fake.url, access_token=None)
    tokens = [await client.ensure_account(), await client.ensure_account()]
    assert (tokens[0] == tokens[1], list(fake.accounts)) == (True, [tokens[0]])


async def test_create_page_creates_account_first_when_no_token(
    fake: FakeTelegraph, http: HttpClient
) -> None:
    client = TelegraphClient(http, api_url=fake.url, access_token=None)
    await client.create_page(telegraph.render(rich_thread())[0], **AUTHOR)
    assert [r.path for r in fake.server.requests.all()] == ["/createAccount", "/createPage"]


async def test_edit_page_replaces_title(client: TelegraphClient, fake: FakeTelegraph) -> None:
    page = telegraph.render(rich_thread())[0]
    url = await client.create_page(page, **AUTHOR)
    path = url.rsplit("/", 1)[1]
    await client.edit_page(path, TelegraphPage("New title", page.content), **AUTHOR)
    assert fake.pages[path].title == "New title"


async def test_flood_wait_waited_out_then_page_created(
    client: TelegraphClient, fake: FakeTelegraph, sleep: SleepRecorder
) -> None:
    fake.flood_wait(5, times=2)
    await client.create_page(telegraph.render(rich_thread())[0], **AUTHOR)
    assert (sleep.waits, len(fake.pages)) == ([5.0, 5.0], 1)


async def test_flood_wait_raises_rate_limited_when_it_outlasts_retries(
    client: TelegraphClient, fake: FakeTelegraph
) -> None:
    fake.flood_wait(5, times=3)
    with pytest.raises(RateLimitedError) as caught:
        await client.create_page(telegraph.render(rich_thread())[0], **AUTHOR)
    assert (caught.value.retry_after, caught.value.platform) == (5.0, "telegraph")


async def test_flood_wait_over_cap_raises_without_waiting(
    client: TelegraphClient, fake: FakeTelegraph, sleep: SleepRecorder
) -> None:
    fake.flood_wait(3600)
    with pytest.raises(RateLimitedError):
        await client.create_page(telegraph.render(rich_thread())[0], **AUTHOR)
    assert sleep.waits == []


async def test_refusal_raises_source_error_naming_telegraph(
    fake: FakeTelegraph, http: HttpClient
) -> None:
    client = TelegraphClient(http, api_url=fake.url, access_token="revoked")
    with pytest.raises(SourceError) as caught:
        await client.create_page(telegraph.render(rich_thread())[0], **AUTHOR)
    assert (
        caught.value.user_message() == "Telegraph did not answer properly; please try again later."
    )


async def test_publish_links_parts_in_order(client: TelegraphClient, http: HttpClient) -> None:
    pages = telegraph.render(long_thread(300), max_bytes=15_000)
    urls = await client.publish(pages, **AUTHOR)
    assert await follow_parts(http, urls[0]) == [page.title for page in pages]


async def test_publish_returns_every_part_first_to_last(
    client: TelegraphClient, http: HttpClient
) -> None:
    pages = telegraph.render(long_thread(300), max_bytes=15_000)
    urls = await client.publish(pages, **AUTHOR)
    assert [html_title(await read_page(http, url)) for url in urls] == [p.title for p in pages]


async def test_publish_splits_parts_telegraph_finds_too_big(
    fake: FakeTelegraph, http: HttpClient
) -> None:
    fake.max_content_bytes = 12_000
    client = TelegraphClient(http, api_url=fake.url, access_token=fake.add_account())
    pages = telegraph.render(long_thread(300), max_bytes=20_000)
    titles = await follow_parts(http, (await client.publish(pages, **AUTHOR))[0])
    count = len(titles)
    assert (count > len(pages), titles) == (
        True,
        [f"{pages[0].title.split(' (')[0]} ({n}/{count})" for n in range(1, count + 1)],
    )
