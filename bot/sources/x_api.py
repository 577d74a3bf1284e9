"""X through the official API v2, used when a bearer token is configured. Adapter.

The post names its conversation; recent search finds the author's replies in it, and the chain
is rebuilt from `replied_to` links. Recent search only reaches back
7 days, so an older thread comes back incomplete and says why. x_api_posts.py reads the
posts into the model.

Search returns every reply of the author to themselves in the conversation, so a fork (the
author answering one post twice) is in plain sight: the earliest branch is the thread, and the
author's posts on the others are counted for the report from the same answers, with no more
requests. Only what the 7-day window and the post cap let search return is counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.errors import (
    PostPrivateError,
    PostUnavailableError,
    ReplyLoopError,
    SourceError,
    UnrollError,
    UnsupportedLinkError,
)
from bot.i18n import N_
from bot.model import Platform, Report, Thread, ThreadKey
from bot.net.http import HttpClient, Response
from bot.sources import ProgressCallback, SourceConfig
from bot.sources.json_reader import JsonObject
from bot.sources.x_api_posts import Includes, read_author, read_post, referenced_id
from bot.sources.x_text import PLATFORM, post_url

FIELDS: Mapping[str, str] = {
    "tweet.fields": "author_id,conversation_id,created_at,in_reply_to_user_id,"
    "referenced_tweets,entities,attachments,note_tweet,display_text_range,lang",
    "expansions": "author_id,attachments.media_keys,attachments.poll_ids,"
    "referenced_tweets.id,referenced_tweets.id.author_id",
    "media.fields": "type,url,preview_image_url,variants,width,height,alt_text",
    "user.fields": "username,name,protected",
    "poll.fields": "options,end_datetime,voting_status",
}
SEARCH_WINDOW = timedelta(days=7)
WINDOW_NOTE = N_(
    "X's search only covers the last 7 days, so older posts of this thread are missing."
)
# Each lookup is a paid read. A few find a deleted post or the post that answers
# someone else; a longer hole is the search window's edge, which lookups would fill slowly.
MAX_PARENT_LOOKUPS = 3


@dataclass(frozen=True, slots=True)
class _Tweet:
    """The linking facts of one v2 post; `data` keeps the rest for building the Post."""

    id: str
    author_id: str
    conversation_id: str
    created_at: datetime
    parent_id: str | None
    parent_author_id: str | None
    data: JsonObject


@dataclass(frozen=True, slots=True)
class _Missing:
    """X's answer for a post it will not show: gone, or hidden from this app."""

    private: bool

    def error(self, post_id: str) -> UnrollError:
        error = PostPrivateError if self.private else PostUnavailableError
        return error(f"X will not show post {post_id}", platform=PLATFORM)


class _Api:
    """The two endpoints, with the token, the status table and the collected includes."""

    def __init__(self, http: HttpClient, config: SourceConfig) -> None:
        self.http = http
        self.base = f"{config.x_api_url.rstrip('/')}/2/tweets"
        self.headers = {"Authorization": f"Bearer {config.x_bearer_token}"}
        self.includes = Includes()

    async def lookup(self, post_id: str) -> _Tweet | _Missing:
        """Fetch one post; X says "gone" with 200 (or 404) and an `errors` list."""
        body = await self._get(f"{self.base}/{post_id}", FIELDS)
        data = body.child("data")
        if data is None:
            problems = [error.text("type") for error in body.children("errors")]
            return _Missing(
                private=any(p.endswith("not-authorized-for-resource") for p in problems)
            )
        return _tweet(data)

    async def search(
        self, conversation_id: str, handle: str, *, limit: int, progress: ProgressCallback | None
    ) -> list[_Tweet]:
        """Return the author's replies to themselves in the conversation, page by page."""
        query = f"conversation_id:{conversation_id} from:{handle} to:{handle}"
        params: dict[str, str | int] = {"query": query, "max_results": 100, **FIELDS}
        found: list[_Tweet] = []
        while True:
            body = await self._get(f"{self.base}/search/recent", params)
            found += [_tweet(data) for data in body.children("data")]
            if progress is not None:
                await progress(len(found))
            meta = body.child("meta")
            token = meta.optional_string("next_token") if meta else None
            if token is None or len(found) >= limit:
                return found
            params["next_token"] = token

    async def _get(self, url: str, params: Mapping[str, str | int]) -> JsonObject:
        response = await self.http.get(url, params=params, headers=self.headers, platform=PLATFORM)
        if response.status not in {200, 404}:
            raise _status_error(response)
        body = JsonObject.of(response.json(), PLATFORM)
        self.includes.merge(body)
        return body


def _status_error(response: Response) -> UnrollError:
    """Map X's failures other than 429 and 5xx (which net/http.py raises) to errors.py."""
    if response.status == 400:
        return UnsupportedLinkError("X calls the post id invalid", platform=PLATFORM)
    if response.status == 401:
        detail = "X rejected the bearer token (401): check X_BEARER_TOKEN"
    elif response.status == 403:
        detail = "X refused this app (403): its access level does not cover this endpoint"
    else:
        detail = f"X answered {response.status}"
    return SourceError(detail, platform=PLATFORM)


def _tweet(data: JsonObject) -> _Tweet:
    return _Tweet(
        id=data.string("id"),
        author_id=data.string("author_id"),
        conversation_id=data.optional_string("conversation_id") or data.string("id"),
        created_at=data.time("created_at"),
        parent_id=referenced_id(data, "replied_to"),
        parent_author_id=data.optional_string("in_reply_to_user_id"),
        data=data,
    )


async def fetch_thread(
    key: ThreadKey,
    *,
    http: HttpClient,
    config: SourceConfig,
    progress: ProgressCallback | None = None,
) -> Thread:
    """Return the author's own chain that the post `key` belongs to, oldest first.

    Raises:
        UnsupportedLinkError: X calls the id invalid.
        PostUnavailableError, PostPrivateError: the post is gone, or its author is protected.
        SourceError: a rejected token (401) or app (403), 5xx, or a broken answer.
        RateLimitedError, SourceTimeoutError: from the HTTP client.
    """
    api = _Api(http, config)
    focal = await api.lookup(key.post_id)
    if isinstance(focal, _Missing):
        raise focal.error(key.post_id)
    root = focal if focal.id == focal.conversation_id else await api.lookup(focal.conversation_id)
    handle = api.includes.user(focal.author_id).string("username")
    found = await api.search(
        focal.conversation_id, handle, limit=config.max_posts, progress=progress
    )
    known = _own_posts(focal, root, found, api.includes)
    walk = await _walk_up(api, focal, known)
    chain = _join(walk, root, known) + _walk_down(focal, known)
    branches, first_branch = _other_branches(chain, known)
    now = datetime.now(UTC)
    top = root if isinstance(root, _Tweet) else chain[0]
    complete = walk.stop != "window" and top.created_at >= now - SEARCH_WINDOW
    report = Report(
        posts=len(chain),
        deleted=int(walk.stop == "deleted"),
        skipped_other_authors=int(isinstance(root, _Tweet) and root.author_id != focal.author_id),
        complete=complete,
        note=None if complete else WINDOW_NOTE,
        other_branch_posts=len(branches),
        other_branch_url=post_url(handle, first_branch.id) if first_branch else None,
    )
    posts = [
        read_post(tweet.data, api.includes, gap_before=int(tweet is walk.hole_below))
        for tweet in chain
    ]
    return Thread(
        key=key,
        source=Platform.X,
        url=posts[0].url,
        author=read_author(api.includes, focal.author_id),
        posts=tuple(posts),
        report=report,
    )


def _own_posts(
    focal: _Tweet, root: _Tweet | _Missing, found: list[_Tweet], includes: Includes
) -> dict[str, _Tweet]:
    """Return every post of the author seen so far, by id.

    Expanded `referenced_tweets` bring each result's parent along, which fills the post that
    answers someone else (search's `to:` leaves it out) and the one just past the window.
    """
    candidates = [*found, *(_tweet(data) for data in includes.tweets.values()), focal]
    if isinstance(root, _Tweet):
        candidates.append(root)
    return {tweet.id: tweet for tweet in candidates if tweet.author_id == focal.author_id}


@dataclass(frozen=True, slots=True)
class _Walk:
    """The chain from its highest known post down to the focal one, and why it stopped there.

    `stop` is "head" (the thread starts there), "deleted" (its parent is gone) or "window"
    (its parent is out of reach); `hole_below` is the post right under a hole, if any.
    """

    chain: list[_Tweet]
    stop: Literal["head", "deleted", "window"]
    hole_below: _Tweet | None = None


async def _walk_up(api: _Api, focal: _Tweet, known: dict[str, _Tweet]) -> _Walk:
    chain = [focal]
    lookups = 0
    while True:
        top = chain[0]
        if top.parent_id is None or top.parent_author_id != focal.author_id:
            return _Walk(chain, "head")
        if any(tweet.id == top.parent_id for tweet in chain):
            raise ReplyLoopError(
                f"X's reply chain loops through {top.parent_id}", platform=PLATFORM
            )
        parent = known.get(top.parent_id)
        if parent is None:
            if lookups == MAX_PARENT_LOOKUPS:
                return _Walk(chain, "window", hole_below=top)
            lookups += 1
            looked_up = await api.lookup(top.parent_id)
            if isinstance(looked_up, _Missing):
                return _Walk(chain, "deleted", hole_below=top)
            parent = known[looked_up.id] = looked_up
        chain.insert(0, parent)


def _join(walk: _Walk, root: _Tweet | _Missing, known: dict[str, _Tweet]) -> list[_Tweet]:
    """Put the run that starts at the author's own root above a hole, when there is one."""
    if walk.stop == "head" or not isinstance(root, _Tweet) or root.id not in known:
        return walk.chain
    above = [root, *_walk_down(root, known)]
    below_ids = {tweet.id for tweet in walk.chain}
    return [tweet for tweet in above if tweet.id not in below_ids] + walk.chain


def _self_replies(known: dict[str, _Tweet], author_id: str) -> dict[str, list[_Tweet]]:
    """Return the author's replies to themselves, by the id of the post they answer."""
    replies: dict[str, list[_Tweet]] = {}
    for tweet in known.values():
        if tweet.parent_id is not None and tweet.parent_author_id == author_id:
            replies.setdefault(tweet.parent_id, []).append(tweet)
    return replies


def _other_branches(
    chain: list[_Tweet], known: dict[str, _Tweet]
) -> tuple[list[_Tweet], _Tweet | None]:
    """Return the author's posts off the chain below it, and the earliest that answers it."""
    replies = _self_replies(known, chain[0].author_id)
    on_chain = {tweet.id for tweet in chain}
    roots = [r for tweet in chain for r in replies.get(tweet.id, []) if r.id not in on_chain]
    found: dict[str, _Tweet] = {}
    stack = list(roots)
    while stack:
        tweet = stack.pop()
        if tweet.id not in on_chain and tweet.id not in found:
            found[tweet.id] = tweet
            stack.extend(replies.get(tweet.id, []))
    return list(found.values()), min(roots, key=_id_order, default=None)


def _id_order(tweet: _Tweet) -> tuple[int, str]:
    # Snowflakes grow with time, and a longer one is a later one (compared as text, so an id
    # that is not a number cannot crash the walk).
    return (len(tweet.id), tweet.id)


def _walk_down(start: _Tweet, known: dict[str, _Tweet]) -> list[_Tweet]:
    """Follow the author's replies to themselves from `start`; at a fork take the earliest."""
    replies = _self_replies(known, start.author_id)
    below: list[_Tweet] = []
    taken = {start.id}
    current = start
    while current.id in replies:
        current = min(replies[current.id], key=_id_order)
        if current.id in taken:
            raise ReplyLoopError(f"X's reply chain loops through {current.id}", platform=PLATFORM)
        taken.add(current.id)
        below.append(current)
    return below
