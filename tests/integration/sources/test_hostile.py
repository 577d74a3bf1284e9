"""Every source through `sources.fetch_thread` against answers built to hurt (fakes/hostile.py).

Loops must end as a malformed answer, an endless chain when the fetch budget runs out, a
silent server at the deadline: an `errors.py` error each time, after few requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.errors import ResponseTooLargeError, SourceError, SourceTimeoutError
from bot.links import find_link
from bot.net.http import HttpClient
from bot.sources import SourceConfig, fetch_thread
from tests.fakes.hostile import HostileUpstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[HostileUpstream]:
    hostile = HostileUpstream()
    with hostile.server:
        yield hostile


@pytest.fixture
def hostile(upstream: HostileUpstream) -> HostileUpstream:
    upstream.server.requests.clear()
    return upstream


def _config(
    hostile: HostileUpstream,
    *,
    max_requests: int = 150,
    max_fetch_bytes: int = 15_000_000,
    deadline_s: float = 30.0,
) -> SourceConfig:
    return SourceConfig(
        fxtwitter_api_url=hostile.url,
        bluesky_api_url=hostile.url,
        allow_private_hosts=True,
        max_requests=max_requests,
        max_fetch_bytes=max_fetch_bytes,
        deadline_s=deadline_s,
    )


@pytest.mark.parametrize("case", ["ancestor-loop", "self-loop", "descendant-cycle"])
async def test_mastodon_loop_is_source_error(
    hostile: HostileUpstream, http: HttpClient, case: str
) -> None:
    hostile.case = case
    with pytest.raises(SourceError, match="loops"):
        await fetch_thread(find_link(hostile.mastodon_url()), http=http, config=_config(hostile))


async def test_mastodon_endless_ancestors_end_with_the_request_budget(
    hostile: HostileUpstream, http: HttpClient
) -> None:
    hostile.case = "endless-ancestors"
    config = _config(hostile, max_requests=20, deadline_s=30)
    with pytest.raises(ResponseTooLargeError, match="20 requests"):
        await fetch_thread(find_link(hostile.mastodon_url()), http=http, config=config)
    assert len(hostile.server.requests.all()) == 20


async def test_mastodon_endless_ancestors_end_with_the_byte_budget(
    hostile: HostileUpstream, http: HttpClient
) -> None:
    hostile.case = "endless-ancestors"
    config = _config(hostile, max_fetch_bytes=1_000_000, deadline_s=30)
    with pytest.raises(ResponseTooLargeError, match="bytes for one thread"):
        await fetch_thread(find_link(hostile.mastodon_url()), http=http, config=config)


async def test_bluesky_cycle_is_source_error_after_few_requests(
    hostile: HostileUpstream, http: HttpClient
) -> None:
    hostile.case = "bluesky-cycle"
    with pytest.raises(SourceError, match="loops"):
        await fetch_thread(find_link(hostile.bluesky_url()), http=http, config=_config(hostile))
    assert len(hostile.server.requests.all()) <= 3


async def test_fxtwitter_repeated_posts_kept_once(
    hostile: HostileUpstream, http: HttpClient
) -> None:
    hostile.case = "fxtwitter-duplicates"
    thread = await fetch_thread(find_link(hostile.x_url()), http=http, config=_config(hostile))
    assert (len(thread.posts), thread.report.posts) == (2, 2)


@pytest.mark.parametrize(
    "link", [HostileUpstream.x_url(), HostileUpstream.bluesky_url(), "mastodon"]
)
async def test_silent_server_ends_at_the_fetch_deadline(
    hostile: HostileUpstream, http: HttpClient, link: str
) -> None:
    hostile.case = "hang"
    url = hostile.mastodon_url() if link == "mastodon" else link
    started = time.monotonic()
    with pytest.raises(SourceTimeoutError):
        await fetch_thread(find_link(url), http=http, config=_config(hostile, deadline_s=0.5))
    assert time.monotonic() - started < 4.0  # far below the 8-second hang, on a loaded machine
