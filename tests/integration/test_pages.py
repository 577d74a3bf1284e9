"""PagePublisher against the fake Telegraph over real sockets: what the page says of its author."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.answering.pages import PagePublisher
from bot.net.http import HttpClient
from bot.presentation import present
from bot.store import MemoryChatStore
from bot.telegraph_client import TelegraphClient
from tests.fakes.telegraph import FakeTelegraph
from tests.samples import hostile_thread


@pytest.fixture
def fake() -> Iterator[FakeTelegraph]:
    with FakeTelegraph() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient()
    yield client
    await client.aclose()


async def test_page_author_link_and_name_are_safe(fake: FakeTelegraph, http: HttpClient) -> None:
    """Telegraph shows the author's name and link above the page; they came unfiltered."""
    client = TelegraphClient(http, api_url=fake.url, access_token=fake.add_account())
    publisher = PagePublisher(telegraph=client, public_base_url=None, store=MemoryChatStore())
    thread = hostile_thread("javascript:alert(1)", words="\u202eAda\u200b")
    await publisher.publish(present(thread))
    [page] = fake.pages.values()
    assert (page.author_name, page.author_url) == ("nAda", "")
