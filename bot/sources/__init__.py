"""Sources: one module per platform, each `fetch_thread(key, *, http, config, progress)`.

Every source returns the author's own chain from any post of the thread, oldest first, and
maps its platform's "not found" and "private" answers to `errors.py` in one status table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bot.errors import UnsupportedPlatformError
from bot.model import Platform, Post, Report, Thread, ThreadKey
from bot.net.http import HttpClient

ProgressCallback = Callable[[int], Awaitable[None]]
"""Called with the number of posts found so far, while a long chain is being walked."""


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """The sources' plain settings: API roots, the X token and the post cap."""

    fxtwitter_api_url: str = "https://api.fxtwitter.com"
    x_api_url: str = "https://api.x.com"
    x_bearer_token: str | None = None
    bluesky_api_url: str = "https://public.api.bsky.app"
    max_posts: int = 500


class FetchThread(Protocol):
    """The shape every source module's `fetch_thread` has."""

    async def __call__(
        self,
        key: ThreadKey,
        *,
        http: HttpClient,
        config: SourceConfig,
        progress: ProgressCallback | None = None,
    ) -> Thread: ...


async def fetch_thread(
    key: ThreadKey,
    *,
    http: HttpClient,
    config: SourceConfig,
    progress: ProgressCallback | None = None,
) -> Thread:
    """Fetch the thread `key` belongs to from its platform.

    Raises:
        UnsupportedPlatformError, PostUnavailableError, PostPrivateError, SourceError.
    """
    source = _source_for(key, config)
    return await source(key, http=http, config=config, progress=progress)


def capped(posts: list[Post], report: Report, max_posts: int) -> tuple[list[Post], Report]:
    """Keep the first `max_posts` posts, saying so in the report when the chain was longer."""
    if len(posts) <= max_posts:
        return posts, report
    return posts[:max_posts], replace(
        report, posts=max_posts, complete=False, note=cap_note(max_posts)
    )


def cap_note(max_posts: int) -> str:
    """Return the report note every source gives when a thread is cut at the post cap."""
    return f"cut at {max_posts} posts; the thread goes on"


def _source_for(key: ThreadKey, config: SourceConfig) -> FetchThread:
    # Imported here: the platform modules import SourceConfig from this package.
    import bot.sources.bluesky as bluesky
    import bot.sources.fxtwitter as fxtwitter
    import bot.sources.mastodon as mastodon
    import bot.sources.x_api as x_api

    if key.platform is Platform.X:
        return x_api.fetch_thread if config.x_bearer_token else fxtwitter.fetch_thread
    if key.platform is Platform.MASTODON:
        return mastodon.fetch_thread
    if key.platform is Platform.BLUESKY:
        return bluesky.fetch_thread
    raise UnsupportedPlatformError(platform=key.platform.value)
