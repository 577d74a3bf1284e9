"""Bluesky through the public AppView: getPostThread → the author's own chain. Adapter.

From any post, walk up the parents while they are the author's, then down the author's own
self-replies, calling getPostThread again wherever the answer was cut by `depth` or
`parentHeight`. A deleted post of the author above the entry
breaks the parent links, so the part above the hole is fetched down from the thread root.
Statuses are mapped here; bluesky_posts.py reads the post views.

When the author replied twice to one post (a fork), the earliest self-reply continues the chain
and the author's posts on the other branches are counted for the report, with a link to the
first of them. They are counted from the answers the walk saw, after at most `BRANCH_REQUESTS`
more getPostThread calls: one from the chain's first post when the link pointed lower (parents
come without their other replies), and below branch posts the `depth` cut. Where replies
stayed unfetched, the report says more may exist.

Both walks remember the posts they took: a post met again (a cycle across re-fetches) is a
malformed answer, `SourceError`. The walk down stops one post past the cap; the walk up keeps
going to the thread's beginning (which the cap keeps), bounded by the fetch budget.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.errors import (
    PostPrivateError,
    PostUnavailableError,
    ReplyLoopError,
    SourceError,
    UnrollError,
)
from bot.model import Platform, Report, Thread, ThreadKey
from bot.net.http import HttpClient, Response
from bot.sources import CUT_SHORT_NOTE, FETCH_LIMITS, ProgressCallback, SourceConfig
from bot.sources.bluesky_posts import (
    PLATFORM,
    post_time,
    read_author,
    read_post,
    uri_authority,
    view_uri,
)
from bot.sources.json_reader import JsonObject

GET_POST_THREAD = "/xrpc/app.bsky.feed.getPostThread"
# A moderate depth, repeated, keeps the payload small on popular posts (every reply by
# anyone comes along); upwards there is one post per level, so ask for the lexicon's maximum.
REPLY_DEPTH = 10
PARENT_HEIGHT = 1000
# Extra getPostThread calls at most, spent only to count the author's other branches.
BRANCH_REQUESTS = 2
# An account that asks not to be shown to logged-out viewers is not unrolled.
NO_UNAUTHENTICATED = "!no-unauthenticated"

_THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
_NOT_FOUND = "app.bsky.feed.defs#notFoundPost"
_BLOCKED = "app.bsky.feed.defs#blockedPost"

# The AppView's answers other than 200, by status and XRPC error name; a None name
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
    # One past the cap, so `sources.fetch_thread` can tell the thread goes on.
    limit = config.max_posts + 1
    walker = _ChainWalker(_AppView(http, config.bluesky_api_url), limit, progress)
    entry = await walker.api.thread(_post_uri(authority, rkey), depth=REPLY_DEPTH)
    chain = await walker.walk(entry)
    await walker.count_branches(chain)
    posts = tuple(read_post(view, gap_before=walker.gaps.get(view_uri(view), 0)) for view in chain)
    first_branch = min(walker.branch_roots, key=post_time, default=None)
    return Thread(
        key=key,
        source=Platform.BLUESKY,
        url=posts[0].url,
        author=read_author(chain[0].child_or_empty("author")),
        posts=posts,
        report=Report(
            posts=len(posts),
            deleted=sum(walker.gaps.values()),
            skipped_other_authors=walker.skipped,
            other_branch_posts=len(walker.branch_posts),
            other_branch_url=read_post(first_branch, gap_before=0).url if first_branch else None,
            other_branch_more=bool(walker.unfetched),
            complete=not walker.cut_short,
            note=CUT_SHORT_NOTE if walker.cut_short else None,
        ),
    )


@dataclass
class _AppView:
    """getPostThread on one AppView root, with the status table applied."""

    http: HttpClient
    base_url: str

    async def thread(
        self, uri: str, *, depth: int, parent_height: int = PARENT_HEIGHT
    ) -> JsonObject:
        """Return the thread node of `uri`; a missing or blocked post raises."""
        params: dict[str, str | int] = {"uri": uri, "depth": depth, "parentHeight": parent_height}
        response = await self.http.get(
            f"{self.base_url.rstrip('/')}{GET_POST_THREAD}", params=params, platform=PLATFORM
        )
        if response.status != 200:
            raise _status_error(response, uri)
        node = JsonObject.of(response.json(), PLATFORM).child_or_empty("thread")
        if node.optional_string("$type") == _NOT_FOUND:
            raise PostUnavailableError(f"not found: {uri}", platform=PLATFORM)
        if node.optional_string("$type") == _BLOCKED:
            raise PostPrivateError(f"blocked: {uri}", platform=PLATFORM)
        if not _is_post(node):
            raise SourceError(f"no thread in the answer for {uri}", platform=PLATFORM)
        if _is_hidden_from_guests(node.child_or_empty("post")):
            raise PostPrivateError(
                f"author hides from logged-out viewers: {uri}", platform=PLATFORM
            )
        return node


def _status_error(response: Response, uri: str) -> UnrollError:
    try:
        name = JsonObject.of(response.json(), PLATFORM).optional_string("error") or None
    except SourceError:
        name = None  # not an XRPC body (a proxy's page): the status alone decides
    error = _STATUS_ERRORS.get((response.status, name))
    error = error or _STATUS_ERRORS.get((response.status, None), SourceError)
    return error(f"{response.status} {name or ''} for {uri}", platform=PLATFORM)


@dataclass
class _ChainWalker:
    """Collects the chain's post views, counting holes and other people's posts on the way.

    Collection goes up from the entry post first (all of it: the cap keeps a thread's
    beginning, as on every platform), then down until `limit` posts are reached.
    """

    api: _AppView
    limit: int
    progress: ProgressCallback | None
    author_did: str = ""
    found: int = 0
    gaps: dict[str, int] = field(default_factory=dict)  # post uri → deleted posts before it
    skipped: int = 0
    taken: set[str] = field(default_factory=set)  # uris of the chain's posts so far
    expanded: set[str] = field(default_factory=set)  # uris whose replies an answer held
    branch_roots: list[JsonObject] = field(default_factory=list)  # the author's other replies
    branch_posts: dict[str, JsonObject] = field(default_factory=dict)  # uri → post view
    unfetched: list[str] = field(default_factory=list)  # branch posts the `depth` cut
    cut_short: bool = False  # a fetch limit stopped the walk down

    async def walk(self, entry: JsonObject) -> list[JsonObject]:
        """Return the post views of the chain `entry` is in, oldest first."""
        self.author_did = _author_did(entry)
        self._take(entry.child_or_empty("post"))
        above, hole = await self._walk_up(entry)
        chain = [*above, entry.child_or_empty("post")]
        if hole is not None:
            self.gaps[view_uri(chain[0])] = 1
            chain[:0] = await self._bridge(chain[0], hole)
        self.found = len(chain)
        await self._report()
        if self.found >= self.limit:
            return chain
        return chain + await self._walk_down(entry)

    def _take(self, post: JsonObject) -> None:
        """Remember a post of the chain; meeting one again means the answers loop."""
        uri = view_uri(post)
        if uri in self.taken:
            raise ReplyLoopError(f"the reply chain loops through {uri}", platform=PLATFORM)
        self.taken.add(uri)

    async def _report(self) -> None:
        if self.progress is not None:
            await self.progress(self.found)

    async def _walk_up(self, node: JsonObject) -> tuple[list[JsonObject], str | None]:
        """Return the author's posts above `node` (oldest first) and the uri of a hole on top."""
        upwards: list[JsonObject] = []  # nearest first; reversed on the way out
        refetched = False
        while True:
            parent = node.child("parent")
            if parent is None:
                # No parent on a reply: `parentHeight` cut the answer here; ask again.
                post = node.child_or_empty("post")
                if refetched or not _is_reply(post):
                    return upwards[::-1], None
                node, refetched = await self.api.thread(view_uri(post), depth=0), True
            elif _is_post(parent) and _author_did(parent) == self.author_did:
                self._take(parent.child_or_empty("post"))
                upwards.append(parent.child_or_empty("post"))
                node, refetched = parent, False
            elif not _is_post(parent) and uri_authority(view_uri(parent)) == self.author_did:
                return upwards[::-1], view_uri(parent)  # the author's own post, deleted
            else:
                self.skipped += self._count_others(parent)
                return upwards[::-1], None

    def _count_others(self, node: JsonObject) -> int:
        """Count other people's posts from `node` up; deleted ones cannot be told apart."""
        count = 0
        current: JsonObject | None = node
        while current is not None:
            count += (
                current.optional_string("$type") != _NOT_FOUND
                and _author_did(current) != self.author_did
            )
            current = current.child("parent")
        return count

    async def _bridge(self, first: JsonObject, hole: str) -> list[JsonObject]:
        """Return the author's posts from the thread root down to the hole above `first`.

        A deleted post's replies hang from nothing, so the posts above the hole are only
        reachable from the thread root, which every reply names.
        """
        reply = first.child_or_empty("record").child_or_empty("reply")
        root = view_uri(reply.child_or_empty("root"))
        if uri_authority(root) != self.author_did or root == hole:
            return []
        node = await self.api.thread(root, depth=REPLY_DEPTH, parent_height=0)
        self._take(node.child_or_empty("post"))
        return [node.child_or_empty("post"), *await self._walk_down(node)]

    async def _walk_down(self, node: JsonObject) -> list[JsonObject]:
        """Return the author's self-replies below `node`, asking again where `depth` cut them."""
        below: list[JsonObject] = []
        refetched = False
        while True:
            post = node.child_or_empty("post")
            if not node.has("replies"):
                # No replies key though replies exist: the depth limit cut the answer.
                if post.number("replyCount") == 0:
                    self.expanded.add(view_uri(post))
                if refetched or post.number("replyCount") == 0:
                    return below
                try:
                    node = await self.api.thread(
                        view_uri(post), depth=REPLY_DEPTH, parent_height=0
                    )
                except FETCH_LIMITS:
                    self.cut_short = True  # what was read so far is the thread, cut short
                    return below
                refetched = True
                continue
            replies = node.children("replies")
            own = self._own(replies)
            self.skipped += len(replies) - len(own)
            self.expanded.add(view_uri(post))
            if not own or self.found >= self.limit:
                return below
            # Several self-replies: the earliest continues the chain (the AppView's order is
            # not by time); the others are branches the report counts.
            node, refetched = min(own, key=lambda r: post_time(r.child_or_empty("post"))), False
            self._collect_branches(reply for reply in own if reply is not node)
            self._take(node.child_or_empty("post"))
            self.found += 1
            below.append(node.child_or_empty("post"))
            await self._report()

    async def count_branches(self, chain: list[JsonObject]) -> None:
        """Count the author's other branches off `chain`, with at most `BRANCH_REQUESTS` calls.

        The first call, when needed, asks the chain's first post with its replies, since the
        walk up saw parents without their other replies; the rest ask below branch posts
        the `depth` cut.
        """
        with contextlib.suppress(*FETCH_LIMITS):  # the count then says "at least"
            await self._count_branches(chain)

    async def _count_branches(self, chain: list[JsonObject]) -> None:
        for _ in range(BRANCH_REQUESTS):
            if view_uri(chain[0]) not in self.expanded:
                node = await self.api.thread(
                    view_uri(chain[0]), depth=REPLY_DEPTH, parent_height=0
                )
                self._branches_along(node, {view_uri(post) for post in chain})
            elif self.unfetched:
                uri = self.unfetched.pop(0)
                node = await self.api.thread(uri, depth=REPLY_DEPTH, parent_height=0)
                self._collect_branches(self._own(node.children("replies")))
            else:
                return

    def _branches_along(self, node: JsonObject, chain: set[str]) -> None:
        """Collect the branches off the chain's posts in an answer that starts at its first."""
        while node.has("replies"):
            self.expanded.add(view_uri(node.child_or_empty("post")))
            own = self._own(node.children("replies"))
            on_chain = [reply for reply in own if _reply_uri(reply) in chain]
            self._collect_branches(reply for reply in own if _reply_uri(reply) not in chain)
            if not on_chain:
                return
            node = on_chain[0]

    def _collect_branches(self, roots: Iterable[JsonObject]) -> None:
        """Remember the author's posts in these reply nodes and in their self-replies."""
        stack = list(roots)
        for root in stack:
            if _reply_uri(root) not in self.branch_posts and _reply_uri(root) not in self.taken:
                self.branch_roots.append(root.child_or_empty("post"))
        while stack:
            node = stack.pop()
            post = node.child_or_empty("post")
            uri = view_uri(post)
            if uri in self.branch_posts or uri in self.taken:
                continue  # a repeat in a hostile answer, or the chain itself
            self.branch_posts[uri] = post
            if node.has("replies"):
                stack.extend(self._own(node.children("replies")))
            elif post.number("replyCount"):
                self.unfetched.append(uri)

    def _own(self, replies: list[JsonObject]) -> list[JsonObject]:
        return [r for r in replies if _is_post(r) and _author_did(r) == self.author_did]


def _reply_uri(node: JsonObject) -> str:
    return view_uri(node.child_or_empty("post"))


def _is_post(node: JsonObject) -> bool:
    kind = node.optional_string("$type")
    return kind == _THREAD_VIEW or (kind is None and node.has("post"))


def _is_reply(post: JsonObject) -> bool:
    return post.child_or_empty("record").has("reply")


def _author_did(node: JsonObject) -> str:
    """Return the author of a thread node: a threadViewPost, or a blockedPost's `author`."""
    author = node.child_or_empty("post").child("author") or node.child_or_empty("author")
    return author.text("did")


def _is_hidden_from_guests(post: JsonObject) -> bool:
    labels = post.child_or_empty("author").children("labels")
    return any(label.optional_string("val") == NO_UNAUTHENTICATED for label in labels)


def _post_uri(authority: str, rkey: str) -> str:
    return f"at://{authority}/app.bsky.feed.post/{rkey}"
