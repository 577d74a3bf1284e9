"""X through FxTwitter: one GET of `/2/thread/{id}` → the author's own chain. Adapter.

FxTwitter walks the conversation up and down itself, so one GET gives
the whole chain. This module fetches it and maps FxTwitter's statuses to errors.py in one
table; fxtwitter_posts.py reads the answer into the model.

A fork cannot be seen here: going down, FxTwitter takes from each post the first of the
author's replies in X's conversation answer and returns that one path, so the author's other
branches never reach the bot and the report counts none. The X API source sees them.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import (
    PostPrivateError,
    PostUnavailableError,
    SourceError,
    UnrollError,
    UnsupportedLinkError,
)
from bot.model import Thread, ThreadKey
from bot.net.http import HttpClient, Response
from bot.sources import ProgressCallback, SourceConfig
from bot.sources.fxtwitter_posts import ONLY_ONE_POST_NOTE, parse_thread
from bot.sources.json_reader import JsonObject
from bot.sources.x_text import PLATFORM

__all__ = ["ONLY_ONE_POST_NOTE", "fetch_thread", "parse_thread"]


# FxTwitter's answers other than 200: 400 is its "not a numeric
# snowflake" (so the link itself is bad), 401 a private or protected post, 404 unknown or gone.
_STATUS_ERRORS: Mapping[int, type[UnrollError]] = {
    400: UnsupportedLinkError,
    401: PostPrivateError,
    403: PostPrivateError,
    404: PostUnavailableError,
}


async def fetch_thread(
    key: ThreadKey,
    *,
    http: HttpClient,
    config: SourceConfig,
    progress: ProgressCallback | None = None,
) -> Thread:
    """Return the author's own chain that the post `key` belongs to, oldest first.

    Raises:
        UnsupportedLinkError: FxTwitter calls the id malformed.
        PostUnavailableError, PostPrivateError: the post is gone, or private.
        SourceError, RateLimitedError, SourceTimeoutError: FxTwitter failed.
    """
    url = f"{config.fxtwitter_api_url.rstrip('/')}/2/thread/{key.post_id}"
    response = await http.get(url, platform=PLATFORM)
    if response.status != 200:
        raise _status_error(response)
    thread = parse_thread(key, JsonObject.of(response.json(), PLATFORM))
    if progress is not None:
        # FxTwitter answers in one call, so there is only one count to report.
        await progress(len(thread.posts))
    return thread


def _status_error(response: Response) -> UnrollError:
    detail = f"FxTwitter answered {response.status}"
    if response.status == 401 and b"User-Agent" in response.content:
        # FxTwitter refuses a client without a User-Agent it accepts with a 401 that names the
        # header: that is our fault, not a private post.
        return SourceError(f"{detail}: User-Agent refused", platform=PLATFORM)
    error = _STATUS_ERRORS.get(response.status, SourceError)
    return error(detail, platform=PLATFORM)
