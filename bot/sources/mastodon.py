"""Mastodon source: an instance's statuses and context API → the author's chain. Adapter.

Every request goes through the private-address guard, since the instance host comes from the
user. The chain is the author's own self-replies through `in_reply_to_id`, found from any post
of it: up through `ancestors`, down through `descendants`, asking `/context` again from the
topmost or deepest post found whenever the unauthenticated limits (40 ancestors, 60
descendants, depth 20) cut the answer short.

When the author replied twice to one post (a fork), the earliest self-reply continues the chain
and the author's posts on the other branches are counted for the report, with a link to the
first of them. They are counted from the statuses the walk saw, after at most `BRANCH_REQUESTS`
more `/context` requests: one from the chain's first post when the link pointed lower (a
post's `/context` holds its ancestors but not their other replies), and below branch posts
whose replies are not known yet. Where the answers stayed cut at the limits, the report says
more may exist.

Decisions: a link to a boost unrolls the boosted post's thread. A deleted post cuts a Mastodon
thread in two (the database nulls its replies' `in_reply_to_id`), so the half above it cannot
be reached from below; the chain then starts after the gap and the report says so.
mastodon_posts.py reads the statuses into the model.

The instance is chosen by whoever sends the link, so its answers may be built to hurt. Both
walks remember the statuses they took and treat a repeat (A→B→A, a status answering itself)
as a malformed answer: `SourceError`, retryable like any unreadable answer. The walk down stops
one post past the cap; the walk up cannot stop at the cap (the cap keeps a thread's
beginning), so an endless chain of ancestors ends when the fetch budget does.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.errors import PostPrivateError, PostUnavailableError, ReplyLoopError, SourceError
from bot.i18n import N_
from bot.model import Platform, Report, Thread, ThreadKey, with_changes
from bot.net.http import HttpClient
from bot.sources import CUT_SHORT_NOTE, FETCH_LIMITS, ProgressCallback, SourceConfig
from bot.sources.json_reader import JsonObject
from bot.sources.mastodon_posts import PLATFORM, read_author, read_post

# Unauthenticated `/context` limits: Mastodon's Api::V1::Statuses::ContextsController gives an
# anonymous caller at most 40 ancestors and 60 descendants, 20 levels deep.
DESCENDANTS_LIMIT = 60
DESCENDANTS_DEPTH_LIMIT = 20
# Extra `/context` requests at most, spent only to count the author's other branches.
BRANCH_REQUESTS = 2

_STATUS_ERRORS: dict[int, type[PostUnavailableError]] = {
    401: PostPrivateError,  # the instance demands a login for its whole API
    403: PostPrivateError,
    404: PostUnavailableError,  # also private statuses: Mastodon hides them as missing
    410: PostUnavailableError,
}


def base_url(host: str, *, allow_private_hosts: bool) -> str:
    """Return the API root for a `ThreadKey.host`.

    https, except when private hosts are allowed and the host has an explicit port or is an IP
    literal or `localhost`: such test and self-hosted instances are served over plain http.
    """
    parts = urlsplit(f"//{host}")
    if allow_private_hosts and (parts.port is not None or _is_local_name(parts.hostname or "")):
        return f"http://{host}"
    return f"https://{host}"


def _is_local_name(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name == "localhost"
    return True


async def fetch_thread(
    key: ThreadKey,
    *,
    http: HttpClient,
    config: SourceConfig,
    progress: ProgressCallback | None = None,
) -> Thread:
    """Return the author's chain that the status `key` belongs to, oldest first.

    Raises:
        BlockedHostError: the instance is not a public https host.
        PostUnavailableError: the status is missing, deleted or private.
        PostPrivateError: the instance requires a login.
        SourceError: the host failed or did not answer like a Mastodon server.
    """
    api = base_url(key.host, allow_private_hosts=config.allow_private_hosts)
    walk = _Walk(http=http, api=api, host=key.host, progress=progress)
    entry = await walk.status(key.post_id)
    await walk.context(_id(entry))
    chain, gap = await walk.up(entry)
    # One past the cap, so `sources.fetch_thread` can tell the thread goes on.
    await walk.down(chain, limit=config.max_posts + 1)
    await walk.report(len(chain))
    branches = await walk.other_branches(chain)
    return _thread(key, chain, walk, gap=gap, branches=branches)


@dataclass(frozen=True, slots=True)
class _Branches:
    """The author's statuses off the chain: self-replies to it and their own self-replies."""

    statuses: list[JsonObject]
    first: JsonObject | None  # the earliest status replying to the chain itself
    more: bool  # some of them may have replies the walk did not fetch


@dataclass
class _Walk:
    """The statuses seen so far on one instance, and the requests that found them."""

    http: HttpClient
    api: str
    host: str
    progress: ProgressCallback | None
    known: dict[str, JsonObject] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)  # ids whose /context was fetched
    settled: set[str] = field(default_factory=set)  # ids whose replies are all known
    cut_short: bool = False  # a fetch limit stopped the walk down

    async def status(self, status_id: str) -> JsonObject:
        """Fetch one status; a boost stands for the status it boosts."""
        status = await self._get(f"/api/v1/statuses/{status_id}")
        entry = status.child("reblog") or status
        if not _id(entry) or _account_id(entry) is None:
            raise self._not_mastodon("a status without id or account")
        self._add(entry)
        return entry

    async def context(self, status_id: str) -> None:
        """Fetch `/context` of a status once and remember every status in it."""
        self.asked.add(status_id)
        context = await self._get(f"/api/v1/statuses/{status_id}/context")
        ancestors, descendants = context.children("ancestors"), context.children("descendants")
        for status in (*ancestors, *descendants):
            self._add(status)
        # Below the limits the answer holds the whole reply tree, so nothing under it needs
        # another request, not even the chain's last post.
        if len(descendants) < DESCENDANTS_LIMIT and _depth(status_id, descendants) < (
            DESCENDANTS_DEPTH_LIMIT
        ):
            self.settled.update([status_id, *(_id(status) for status in descendants)])

    async def up(self, entry: JsonObject) -> tuple[list[JsonObject], bool]:
        """Walk to the author's first post; also tell whether a deleted post cut it short."""
        author = _account_id(entry)
        upwards = [entry]  # newest first; reversed at the end
        taken = {_id(entry)}
        while True:
            top = upwards[-1]
            parent_id = _parent_id(top)
            if (
                parent_id is not None
                and parent_id not in self.known
                and _id(top) not in self.asked
            ):
                await self.context(_id(top))
                await self.report(len(upwards))
            parent = self.known.get(parent_id) if parent_id else None
            if parent is None or _account_id(parent) != author:
                # A reply to the author whose parent is not there: the parent was deleted (its
                # id nulled, or no longer served), so the chain has a gap above this post.
                gap = parent is None and top.optional_string("in_reply_to_account_id") == author
                return upwards[::-1], gap
            if _id(parent) in taken:
                raise self._loop(_id(parent))
            taken.add(_id(parent))
            upwards.append(parent)

    async def down(self, chain: list[JsonObject], *, limit: int) -> None:
        """Extend `chain` with the author's self-replies, up to `limit` posts in all."""
        author = _account_id(chain[0])
        taken = {_id(status) for status in chain}
        while len(chain) < limit:
            last = _id(chain[-1])
            child = self._self_reply(last, author)
            if child is None and last not in self.asked and last not in self.settled:
                if not await self.context_within_limits(last):
                    return
                await self.report(len(chain))
                child = self._self_reply(last, author)
            if child is None:
                return
            if _id(child) in taken:
                raise self._loop(_id(child))
            taken.add(_id(child))
            chain.append(child)

    def skipped_replies(self, chain: list[JsonObject]) -> int:
        """Count the other accounts' replies to the chain that were seen on the way."""
        author = _account_id(chain[0])
        replies = (self.known[c] for post in chain for c in self.children.get(_id(post), []))
        return sum(_account_id(reply) != author for reply in replies)

    async def context_within_limits(self, status_id: str) -> bool:
        """Fetch `/context` like `context`; a fetch limit reached here cuts the walk short
        (False) instead of failing the thread read so far."""
        try:
            await self.context(status_id)
        except FETCH_LIMITS:
            self.cut_short = True
            return False
        return True

    async def other_branches(self, chain: list[JsonObject]) -> _Branches:
        """Find the author's other branches, fetching below them at most `BRANCH_REQUESTS` times.

        Each request asks `/context` of the highest status whose replies are unknown: first the
        chain's first post (entered lower down, the walk saw none of its other replies), then
        the branches'. Under the limits, one answer brings the whole tree below that status.
        """
        branches = self._branches(chain)
        for _ in range(BRANCH_REQUESTS):
            known_below = self.settled | self.asked
            candidates = (chain[0], *branches.statuses)
            unknown = [s for s in candidates if _id(s) not in known_below]
            if not unknown or not await self.context_within_limits(_id(unknown[0])):
                break
            branches = self._branches(chain)
        return branches

    def _branches(self, chain: list[JsonObject]) -> _Branches:
        author = _account_id(chain[0])
        on_chain = {_id(status) for status in chain}
        queue = deque(c for post in chain for c in self.children.get(_id(post), []))
        roots = [self.known[c] for c in queue if c not in on_chain]
        found: dict[str, JsonObject] = {}
        # Breadth first, so a branch's first status comes before the ones below it.
        while queue:
            status_id = queue.popleft()
            status = self.known[status_id]
            if status_id in on_chain or status_id in found or _account_id(status) != author:
                continue
            found[status_id] = status
            queue.extend(self.children.get(status_id, []))
        own_roots = [status for status in roots if _account_id(status) == author]
        return _Branches(
            statuses=list(found.values()),
            first=min(own_roots, key=_time_order, default=None),
            more=any(status_id not in self.settled for status_id in found),
        )

    def _self_reply(self, parent_id: str, author: str | None) -> JsonObject | None:
        replies = [self.known[c] for c in self.children.get(parent_id, [])]
        own = [reply for reply in replies if _account_id(reply) == author]
        # Several self-replies to one post: the earliest continues the thread.
        return min(own, key=_time_order, default=None)

    def _add(self, status: JsonObject) -> None:
        status_id = _id(status)
        if status_id in self.known:
            return
        self.known[status_id] = status
        parent_id = _parent_id(status)
        # A status naming itself as its parent would be its own reply; it is left unlinked.
        if parent_id is not None and parent_id != status_id:
            self.children.setdefault(parent_id, []).append(status_id)

    async def _get(self, path: str) -> JsonObject:
        response = await self.http.get(f"{self.api}{path}", guarded=True, platform=PLATFORM)
        error = _STATUS_ERRORS.get(response.status)
        if error is not None:
            raise error(f"{response.status} for {path}", platform=PLATFORM, host=self.host)
        if response.status != 200:
            raise SourceError(f"{response.status} for {path}", platform=PLATFORM, host=self.host)
        try:
            body = response.json()
        except SourceError as exc:
            raise self._not_mastodon("an answer that is not JSON") from exc
        return JsonObject.of(body, PLATFORM)

    def _loop(self, status_id: str) -> ReplyLoopError:
        detail = f"{self.host} sent a reply chain that loops through status {status_id}"
        return ReplyLoopError(detail, platform=PLATFORM, host=self.host)

    def _not_mastodon(self, what: str) -> SourceError:
        detail = f"{self.host} sent {what}; it does not look like a Mastodon server"
        return SourceError(detail, platform=PLATFORM, host=self.host)

    async def report(self, found: int) -> None:
        """Tell the caller how many posts of the chain are known so far."""
        if self.progress is not None:
            await self.progress(found)


def _depth(root_id: str, descendants: list[JsonObject]) -> int:
    """Return how many levels below `root_id` the descendants reach."""
    parents = {_id(status): _parent_id(status) for status in descendants}

    def depth(status_id: str | None) -> int:
        steps = 0
        # At most one step per status: a parent loop in a hostile answer must not spin.
        while status_id in parents and status_id != root_id and steps <= len(parents):
            status_id, steps = parents[status_id], steps + 1
        return steps

    return max(map(depth, parents), default=0)


def _thread(
    key: ThreadKey, chain: list[JsonObject], walk: _Walk, *, gap: bool, branches: _Branches
) -> Thread:
    posts = [read_post(status, key.host) for status in chain]
    if gap:
        posts[0] = with_changes(posts[0], gap_before=1)
    note = CUT_SHORT_NOTE if walk.cut_short else None
    if gap:
        note = N_("An earlier post of this thread was deleted, so it starts after that gap.")
    return Thread(
        key=key,
        source=Platform.MASTODON,
        url=posts[0].url,
        author=read_author(chain[0].child_or_empty("account"), key.host),
        posts=tuple(posts),
        report=Report(
            posts=len(posts),
            deleted=int(gap),
            skipped_other_authors=walk.skipped_replies(chain),
            complete=not (gap or walk.cut_short),
            note=note,
            other_branch_posts=len(branches.statuses),
            other_branch_url=read_post(branches.first, key.host).url if branches.first else None,
            other_branch_more=branches.more,
        ),
    )


def _account_id(status: JsonObject) -> str | None:
    return status.child_or_empty("account").optional_string("id")


def _time_order(status: JsonObject) -> tuple[str, str]:
    return (status.text("created_at"), _id(status))


def _id(status: JsonObject) -> str:
    return status.text("id")


def _parent_id(status: JsonObject) -> str | None:
    return status.optional_string("in_reply_to_id")
