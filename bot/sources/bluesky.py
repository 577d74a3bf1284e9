"""Bluesky through the public AppView: getPostThread → the author's own chain. Adapter.

From any post, walk up the parents while they are the author's, then down the author's own
self-replies, calling getPostThread again wherever the answer was cut by `depth` or
`parentHeight` (reference/upstream-apis.md §3.8). A deleted post of the author above the entry
breaks the parent links, so the part above the hole is fetched down from the thread root.
Statuses are mapped here (§3.5, §3.7); bluesky_posts.py reads the post views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.errors import PostPrivateError, PostUnavailableError, SourceError, UnrollError
from bot.model import Platform, Report, Thread, ThreadKey
from bot.net.http import HttpClient, Response
from bot.sources import ProgressCallback, SourceConfig
from bot.sources.bluesky_posts import (
    PLATFORM,
    Json,
    items,
    obj,
    post_time,
    read_author,
    read_post,
    string,
    uri_authority,
    view_uri,
)

GET_POST_THREAD = "/xrpc/app.bsky.feed.getPostThread"
# §3.8: a moderate depth, repeated, keeps the payload small on popular posts (every reply by
# anyone comes along); upwards there is one post per level, so ask for the lexicon's maximum.
REPLY_DEPTH = 10
PARENT_HEIGHT = 1000
# §3.5: an account that asks not to be shown to logged-out viewers is not unrolled.
NO_UNAUTHENTICATED = "!no-unauthenticated"

_THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
_NOT_FOUND = "app.bsky.feed.defs#notFoundPost"
_BLOCKED = "app.bsky.feed.defs#blockedPost"

# The AppView's answers other than 200 (§3.5, §3.7), by status and XRPC error name; a None name
# matches any. 429 and 5xx never get here: HttpClient raises for them.
_STATUS_ERRORS: Mapping[tuple[int, str | None], type[UnrollError]] = {
    (400, "NotFound"): PostUnavailableError,
    (400, "BlockedActor"): PostPrivateError,
    (400, "BlockedByActor"): PostPrivateError,
    (401, None): PostPrivateError,
    (403, None): PostPrivateError,
    (404, None): PostUnavailableError,
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
        PostUnavailableError: the post is missing or deleted.
        PostPrivateError: the post is blocked, or its author hides from logged-out viewers.
        SourceError: the AppView failed (RateLimitedError, SourceTimeoutError included).
    """
    authority, rkey = key.post_id.split("/", 1)
    walker = _ChainWalker(_AppView(http, config.bluesky_api_url), config.max_posts, progress)
    entry = await walker.api.thread(_post_uri(authority, rkey), depth=REPLY_DEPTH)
    chain = await walker.walk(entry)
    posts = tuple(read_post(view, gap_before=walker.gaps.get(view_uri(view), 0)) for view in chain)
    note = f"stopped at {config.max_posts} posts" if walker.capped else None
    return Thread(
        key=key,
        source=Platform.BLUESKY,
        url=posts[0].url,
        author=read_author(obj(chain[0].get("author"))),
        posts=posts,
        report=Report(
            posts=len(posts),
            deleted=sum(walker.gaps.values()),
            skipped_other_authors=walker.skipped,
            complete=not walker.capped,
            note=note,
        ),
        fetched_at=datetime.now(UTC),
    )


@dataclass
class _AppView:
    """getPostThread on one AppView root, with the status table applied."""

    http: HttpClient
    base_url: str

    async def thread(self, uri: str, *, depth: int, parent_height: int = PARENT_HEIGHT) -> Json:
        """Return the thread node of `uri`; a missing or blocked post raises."""
        params: dict[str, str | int] = {"uri": uri, "depth": depth, "parentHeight": parent_height}
        response = await self.http.get(
            f"{self.base_url.rstrip('/')}{GET_POST_THREAD}", params=params, platform=PLATFORM
        )
        if response.status != 200:
            raise _status_error(response, uri)
        node = obj(obj(response.json()).get("thread"))
        if node.get("$type") == _NOT_FOUND:
            raise PostUnavailableError(f"not found: {uri}", platform=PLATFORM)
        if node.get("$type") == _BLOCKED:
            raise PostPrivateError(f"blocked: {uri}", platform=PLATFORM)
        if not _is_post(node):
            raise SourceError(f"no thread in the answer for {uri}", platform=PLATFORM)
        if _is_hidden_from_guests(obj(node.get("post"))):
            raise PostPrivateError(
                f"author hides from logged-out viewers: {uri}", platform=PLATFORM
            )
        return node


def _status_error(response: Response, uri: str) -> UnrollError:
    try:
        name = string(obj(response.json()).get("error")) or None
    except SourceError:
        name = None  # not an XRPC body (a proxy's page): the status alone decides
    error = _STATUS_ERRORS.get((response.status, name))
    error = error or _STATUS_ERRORS.get((response.status, None), SourceError)
    return error(f"{response.status} {name or ''} for {uri}", platform=PLATFORM)


@dataclass
class _ChainWalker:
    """Collects the chain's post views, counting holes and other people's posts on the way.

    Collection goes up from the entry post first, then down, and stops at `limit` posts.
    """

    api: _AppView
    limit: int
    progress: ProgressCallback | None
    author_did: str = ""
    found: int = 0
    gaps: dict[str, int] = field(default_factory=dict)  # post uri → deleted posts before it
    skipped: int = 0
    capped: bool = False

    async def walk(self, entry: Json) -> list[Json]:
        """Return the post views of the chain `entry` is in, oldest first."""
        self.author_did = _author_did(entry)
        self._take()
        above, hole = await self._walk_up(entry)
        chain = [*above, obj(entry.get("post"))]
        await self._report()
        if hole is not None:
            self.gaps[view_uri(chain[0])] = 1
            chain[:0] = await self._bridge(chain[0], hole)
        chain += await self._walk_down(entry)
        return chain

    def _take(self) -> bool:
        """Make room for one more post; at the cap, remember that the chain was cut."""
        if self.found >= self.limit:
            self.capped = True
            return False
        self.found += 1
        return True

    async def _report(self) -> None:
        if self.progress is not None:
            await self.progress(self.found)

    async def _walk_up(self, node: Json) -> tuple[list[Json], str | None]:
        """Return the author's posts above `node` (oldest first) and the uri of a hole on top."""
        above: list[Json] = []
        refetched = False
        while True:
            parent = obj(node.get("parent"))
            if not parent:
                # No parent on a reply: `parentHeight` cut the answer here (§3.1); ask again.
                if refetched or not _is_reply(obj(node.get("post"))):
                    return above, None
                node, refetched = (
                    await self.api.thread(view_uri(obj(node.get("post"))), depth=0),
                    True,
                )
            elif _is_post(parent) and _author_did(parent) == self.author_did:
                if not self._take():
                    return above, None
                above.insert(0, obj(parent.get("post")))
                node, refetched = parent, False
            elif not _is_post(parent) and uri_authority(view_uri(parent)) == self.author_did:
                return above, view_uri(parent)  # the author's own post, deleted
            else:
                self.skipped += self._count_others(parent)
                return above, None

    def _count_others(self, node: Json) -> int:
        """Count other people's posts from `node` up; deleted ones cannot be told apart."""
        count = 0
        while node:
            count += node.get("$type") != _NOT_FOUND and _author_did(node) != self.author_did
            node = obj(node.get("parent"))
        return count

    async def _bridge(self, first: Json, hole: str) -> list[Json]:
        """Return the author's posts from the thread root down to the hole above `first`.

        A deleted post's replies hang from nothing, so the posts above the hole are only
        reachable from the thread root, which every reply names.
        """
        root = view_uri(obj(obj(obj(first.get("record")).get("reply")).get("root")))
        if uri_authority(root) != self.author_did or root == hole or not self._take():
            return []
        node = await self.api.thread(root, depth=REPLY_DEPTH, parent_height=0)
        return [obj(node.get("post")), *await self._walk_down(node)]

    async def _walk_down(self, node: Json) -> list[Json]:
        """Return the author's self-replies below `node`, asking again where `depth` cut them."""
        below: list[Json] = []
        refetched = False
        while True:
            post = obj(node.get("post"))
            if "replies" not in node:
                # No replies key though replies exist: the depth limit cut the answer (§3.8).
                if refetched or post.get("replyCount") == 0:
                    return below
                node = await self.api.thread(view_uri(post), depth=REPLY_DEPTH, parent_height=0)
                refetched = True
                continue
            replies = items(node.get("replies"))
            own = [r for r in replies if _is_post(r) and _author_did(r) == self.author_did]
            self.skipped += len(replies) - len(own)
            # Several self-replies: the earliest continues the chain (the AppView's order is
            # not by time, §3.8).
            if not own or not self._take():
                return below
            node, refetched = min(own, key=lambda r: post_time(obj(r.get("post")))), False
            below.append(obj(node.get("post")))
            await self._report()


def _is_post(node: Json) -> bool:
    return node.get("$type") == _THREAD_VIEW or ("post" in node and "$type" not in node)


def _is_reply(post: Json) -> bool:
    return bool(obj(post.get("record")).get("reply"))


def _author_did(node: Json) -> str:
    """Return the author of a thread node: a threadViewPost, or a blockedPost's `author`."""
    author = obj(obj(node.get("post")).get("author")) or obj(node.get("author"))
    return string(author.get("did"))


def _is_hidden_from_guests(post: Json) -> bool:
    labels = items(obj(post.get("author")).get("labels"))
    return any(label.get("val") == NO_UNAUTHENTICATED for label in labels)


def _post_uri(authority: str, rkey: str) -> str:
    return f"at://{authority}/app.bsky.feed.post/{rkey}"
