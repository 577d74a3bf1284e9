"""Sources: one module per platform, each `fetch_thread(key, *, http, config, progress)`.

Every source returns the author's own chain from any post of the thread, oldest first, and
maps its platform's "not found" and "private" answers to `errors.py` in one status table.

`fetch_thread` here is the one way in: it gives the platform module a `FetchBudget` (requests,
bytes, deadline) so no upstream can keep a fetch going, then finishes the model once for every
platform: duplicate posts dropped (the first kept), the post cap applied, a thread the author
forked marked incomplete, `fetched_at` set.
A platform module may return more posts than the cap (one past it says the thread goes on).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bot import safety
from bot.errors import ResponseTooLargeError, SourceTimeoutError, UnsupportedPlatformError
from bot.i18n import N_
from bot.model import Platform, Post, Thread, ThreadKey, with_changes
from bot.net.budget import FetchBudget
from bot.net.http import HttpClient

ProgressCallback = Callable[[int], Awaitable[None]]
"""Called with the number of posts found so far, while a long chain is being walked."""


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """The sources' plain settings: API roots, the X token, the post cap and the fetch budget.

    `deadline_s`, `max_requests` and `max_fetch_bytes` bound one fetch of a thread, all its
    requests together; `allow_private_hosts` lets Mastodon links name private hosts over http.
    """

    fxtwitter_api_url: str = "https://api.fxtwitter.com"
    x_api_url: str = "https://api.x.com"
    x_bearer_token: str | None = None
    bluesky_api_url: str = "https://public.api.bsky.app"
    max_posts: int = 500
    allow_private_hosts: bool = False
    deadline_s: float = 30.0
    max_requests: int = 150
    max_fetch_bytes: int = 15_000_000


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
    """Fetch the thread `key` belongs to from its platform, within the fetch budget.

    Raises:
        UnsupportedPlatformError, PostUnavailableError, PostPrivateError, SourceError.
        SourceTimeoutError: the whole fetch took longer than `config.deadline_s`.
        ResponseTooLargeError: it needed more requests or bytes than the budget allows.
    """
    source = _source_for(key, config)
    budget = FetchBudget(
        max_requests=config.max_requests,
        max_bytes=config.max_fetch_bytes,
        deadline_s=config.deadline_s,
    )
    try:
        # Each request already gets only the time left; this also bounds the time spent
        # between requests (progress reports, parsing).
        async with asyncio.timeout(config.deadline_s + FINISH_GRACE_S):
            thread = await source(
                key, http=http.for_fetch(budget), config=config, progress=progress
            )
    except TimeoutError as exc:
        detail = f"fetch deadline of {config.deadline_s} s passed"
        raise SourceTimeoutError(detail, platform=key.platform.value) from exc
    return finish_thread(thread, config.max_posts)


def finish_thread(thread: Thread, max_posts: int) -> Thread:
    """Drop repeated posts (keeping the first), cut at `max_posts`, mark a thread whose author
    forked it incomplete, make every URL and text safe to show (`safety.sanitize_thread`), and
    stamp `fetched_at`."""
    posts = list(_unique(thread.posts))
    report = thread.report
    if len(posts) != len(thread.posts):
        report = with_changes(report, posts=len(posts))
    if len(posts) > max_posts:
        posts = posts[:max_posts]
        report = with_changes(report, posts=max_posts, complete=False, note=cap_note(max_posts))
    if report.other_branch_posts:
        # The author's other branches are posts of the thread that are not shown.
        report = with_changes(report, complete=False)
    finished = with_changes(
        thread, posts=tuple(posts), report=report, fetched_at=datetime.now(UTC)
    )
    return safety.sanitize_thread(finished)


def _unique(posts: Iterable[Post]) -> Iterable[Post]:
    # A hostile or broken upstream may list a post twice (A, B, A, B…): one copy is the truth.
    seen: set[str] = set()
    for post in posts:
        if post.id not in seen:
            seen.add(post.id)
            yield post


FETCH_LIMITS = (ResponseTooLargeError, SourceTimeoutError)
"""What a fetch raises once it has spent its budget of requests, bytes or time. Past the first
answers, a walk down the thread stops there and reports the thread cut short, rather than
failing a thread it has mostly read."""

CUT_SHORT_NOTE = N_("cut short: reading further would have taken too long; the thread may go on")

FINISH_GRACE_S = 2.0
"""Time past the fetch deadline for a walk to hand in what it read: each request already stops
at the deadline, so the walk is only finishing up when this runs out."""


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
