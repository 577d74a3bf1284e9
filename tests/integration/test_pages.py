"""PagePublisher against the fake Telegraph over real sockets: what the page says of its author."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Iterator, Mapping

import pytest

from bot.answering.pages import TELEGRAPH_TOKEN_NAME, PagePublisher
from bot.errors import SourceError
from bot.net.http import HttpClient
from bot.presentation import present
from bot.rendering import telegraph
from bot.rendering.telegraph import TelegraphPage
from bot.store import MemoryChatStore
from bot.telegraph_client import MIN_CREATION_SPACING_S, RETIRED_TEXT, TelegraphClient
from tests.fakes.telegraph import FakeTelegraph
from tests.samples import hostile_thread, long_thread


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


async def test_a_flooded_account_hands_the_page_to_a_spare(
    fake: FakeTelegraph, http: HttpClient
) -> None:
    """FLOOD_WAIT past what is worth waiting: the next account of the pool publishes."""
    main = fake.add_account()
    fake.flood_wait_account(main, 600, times=5)
    store = MemoryChatStore()
    client = TelegraphClient(http, api_url=fake.url, access_token=main)
    publisher = PagePublisher(telegraph=client, public_base_url=None, store=store)
    url = await publisher.publish(present(long_thread(60)))
    spare = await store.get_value(f"{TELEGRAPH_TOKEN_NAME}:1")
    assert (url is not None, spare in fake.accounts, len(fake.pages)) == (True, True, 1)


async def test_creations_of_one_account_are_spaced(
    fake: FakeTelegraph, http: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timed when each creation leaves: a loaded machine only widens the gaps."""
    client = TelegraphClient(http, api_url=fake.url, access_token=fake.add_account())
    created: list[float] = []
    post = client._post

    async def timed(method: str, form: Mapping[str, str]) -> object:
        if method == "createPage":
            created.append(time.monotonic())
        return await post(method, form)

    monkeypatch.setattr(client, "_post", timed)
    await client.publish(telegraph.render(long_thread(500)), author_name="A", author_url="")
    gaps = [later - earlier for earlier, later in itertools.pairwise(created)]
    assert (
        len(fake.pages) >= 3,
        len(created) == len(fake.pages),
        all(gap >= MIN_CREATION_SPACING_S - 0.01 for gap in gaps),
    ) == (True, True, True)


async def test_a_failed_publish_leaves_no_part_behind(
    fake: FakeTelegraph, http: HttpClient
) -> None:
    """Telegraph has no deletePage: the parts made before a refusal are emptied instead."""
    client = TelegraphClient(http, api_url=fake.url, access_token=fake.add_account())
    good = telegraph.render(long_thread(3))[0]
    refused = TelegraphPage("Refused", [{"tag": "script", "children": ["x"]}])
    with pytest.raises(SourceError):
        await client.publish([refused, good], author_name="A", author_url="")  # last first
    [made] = fake.pages.values()
    assert RETIRED_TEXT in str(made.content)
