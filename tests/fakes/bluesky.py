"""A fake Bluesky AppView: `app.bsky.feed.getPostThread` in the real JSON shape, on FakeServer.

Shapes follow the public AppView's answers: threadViewPost nodes with `parent` nesting up
(cut by `parentHeight`) and `replies` nesting down (cut by `depth`: a node at the limit has no
`replies` key), notFoundPost and blockedPost parents, deleted and blocked replies left out, 400
`NotFound` for a missing post, XRPC errors and 429 with the `RateLimit-*` headers. The server's
own depth caps (`max_depth`, `max_parent_height`) are knobs, since production's are unknown.
`build_thread` makes a realistic self-thread to serve, `build_branch` a second branch of it (the
author replying twice to one post).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import FakeServer

GET_POST_THREAD = "/xrpc/app.bsky.feed.getPostThread"
START = datetime(2025, 2, 3, 10, 0, tzinfo=UTC)
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


@dataclass
class Account:
    """A Bluesky account; `labels` are self-labels such as `!no-unauthenticated`."""

    did: str
    handle: str
    display_name: str
    labels: list[str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        """Return the profileViewBasic the AppView embeds in posts."""
        return {
            "did": self.did,
            "handle": self.handle,
            "displayName": self.display_name,
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{self.did}/bafkreiavatar@jpeg",
            "associated": {"chat": {"allowIncoming": "following"}},
            "viewer": {"muted": False, "blockedBy": False},
            "labels": [_label(self.did, value) for value in self.labels],
            "createdAt": "2023-04-01T00:00:00.000Z",
        }


ALICE = Account("did:plc:alice7ehrx332p6dow5sk32h", "alice.bsky.social", "Alice 🌸 Liddell")
BOB = Account("did:plc:bob4iksvxikpsy3zl6ebd2kr", "bob.example.com", "Бобби")
CAROL = Account("did:plc:carol36eakmlwkmfraauemo", "carol.bsky.social", "")
SHY = Account(
    "did:plc:shy3vqyk736eakmlwkmfraau", "shy.bsky.social", "Shy", ["!no-unauthenticated"]
)


@dataclass
class FakePost:
    """One post as the fake stores it; `embed` is the hydrated view the AppView returns."""

    author: Account
    rkey: str
    text: str
    created_at: datetime
    facets: list[dict[str, Any]] = field(default_factory=list)
    parent: FakePost | None = None
    embed: dict[str, Any] | None = None
    deleted: bool = False
    blocked: bool = False  # a third-party block: shown as blockedPost, dropped from replies

    @property
    def uri(self) -> str:
        return f"at://{self.author.did}/app.bsky.feed.post/{self.rkey}"

    @property
    def cid(self) -> str:
        return "bafyrei" + hashlib.sha256(self.uri.encode()).hexdigest()[:52]

    @property
    def url(self) -> str:
        return f"https://bsky.app/profile/{self.author.handle}/post/{self.rkey}"

    @property
    def root(self) -> FakePost:
        post = self
        while post.parent is not None:
            post = post.parent
        return post

    def record(self) -> dict[str, Any]:
        """Return the raw app.bsky.feed.post record."""
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": self.text,
            "langs": ["en"],
            "createdAt": _iso(self.created_at),
        }
        if self.facets:
            record["facets"] = self.facets
        if self.parent is not None:
            record["reply"] = {
                "root": {"uri": self.root.uri, "cid": self.root.cid},
                "parent": {"uri": self.parent.uri, "cid": self.parent.cid},
            }
        return record


def tid(n: int) -> str:
    """Return a 13-character record key like the TIDs Bluesky makes, ordered by `n`."""
    value, out = (1 << 60) + n * 1024, ""
    for _ in range(13):
        value, digit = divmod(value, 32)
        out = _TID_ALPHABET[digit] + out
    return out


def facet(text: str, needle: str, feature: dict[str, Any]) -> dict[str, Any]:
    """Return a facet over the first `needle` in `text`, with UTF-8 byte offsets as Bluesky has."""
    start = len(text[: text.index(needle)].encode("utf-8"))
    return {
        "index": {"byteStart": start, "byteEnd": start + len(needle.encode("utf-8"))},
        "features": [feature],
    }


def link(uri: str) -> dict[str, Any]:
    return {"$type": "app.bsky.richtext.facet#link", "uri": uri}


def mention(did: str) -> dict[str, Any]:
    return {"$type": "app.bsky.richtext.facet#mention", "did": did}


def tag(name: str) -> dict[str, Any]:
    return {"$type": "app.bsky.richtext.facet#tag", "tag": name}


class FakeBluesky:
    """The AppView: posts by uri, a 429 knob, a failure knob, and the server's depth caps."""

    def __init__(self) -> None:
        self.server = FakeServer([Route(GET_POST_THREAD, self._get_post_thread)], name="bluesky")
        self.reset()

    def reset(self) -> None:
        """Forget every post and knob, so one running server can serve many tests."""
        self.max_depth = 1000  # the AppView's own caps (BSKY_MAX_THREAD_DEPTH, unknown in prod)
        self.max_parent_height = 1000
        self.rate_limit_reset_in_s: int | None = None  # answer 429 while set
        self.fail_status: int | None = None  # answer this 5xx while set
        self.posts: dict[str, FakePost] = {}
        self.accounts: dict[str, Account] = {}
        self.server.requests.clear()

    @property
    def url(self) -> str:
        return self.server.url

    def add(self, *posts: FakePost) -> None:
        """Store posts (and their authors) so the fake serves them."""
        for post in posts:
            self.posts[post.uri] = post
            self.accounts[post.author.did] = self.accounts[post.author.handle] = post.author

    def append_self_reply(self, chain: list[FakePost], text: str) -> FakePost:
        """Let the author go on: a reply to the chain's last post, appended to `chain`."""
        last = chain[-1]
        post = FakePost(
            author=last.author,
            rkey=tid(20_000 + len(chain)),
            text=text,
            created_at=last.created_at + timedelta(minutes=1),
            parent=last,
        )
        chain.append(post)
        self.add(post)
        return post

    def thread_calls(self) -> int:
        """Return how many getPostThread requests the fake has answered."""
        return len(self.server.requests.matching(GET_POST_THREAD))

    def __enter__(self) -> FakeBluesky:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    async def _get_post_thread(self, request: Request) -> JSONResponse:
        if self.rate_limit_reset_in_s is not None:
            return _rate_limited(self.rate_limit_reset_in_s)
        if self.fail_status is not None:
            return _xrpc_error(self.fail_status, "InternalServerError", "Internal Server Error")
        uri = request.query_params.get("uri", "")
        try:
            depth = int(request.query_params.get("depth", "6"))
            height = int(request.query_params.get("parentHeight", "80"))
        except ValueError:
            return _xrpc_error(400, "InvalidRequest", "Invalid parameter")
        if not (0 <= depth <= 1000 and 0 <= height <= 1000) or not uri.startswith("at://"):
            return _xrpc_error(400, "InvalidRequest", "Input/uri must be a valid at-uri")
        post = self._find(uri)
        if post is None or post.deleted:
            # getPostThread.ts: a missing post, or a handle that does not resolve.
            return _xrpc_error(400, "NotFound", f"Post not found: {uri}")
        if post.blocked:
            return JSONResponse({"thread": _blocked(post)})
        depth, height = min(depth, self.max_depth), min(height, self.max_parent_height)
        node = self._node(post, depth)
        if post.parent is not None and height > 0:
            node["parent"] = self._parent(post.parent, height)
        return JSONResponse({"thread": node})

    def _find(self, uri: str) -> FakePost | None:
        authority, _, rest = uri.removeprefix("at://").partition("/")
        account = self.accounts.get(authority) or self.accounts.get(authority.lower())
        if account is None:
            return None
        return self.posts.get(f"at://{account.did}/{rest}")

    def _children(self, post: FakePost) -> list[FakePost]:
        # Newest first: the AppView does not order replies by time.
        children = [p for p in self.posts.values() if p.parent is post and not p.deleted]
        return sorted(children, key=lambda p: p.created_at, reverse=True)

    def _node(self, post: FakePost, depth: int) -> dict[str, Any]:
        node: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self._post_view(post),
        }
        if depth > 0:
            node["replies"] = [
                self._node(child, depth - 1) for child in self._children(post) if not child.blocked
            ]
        return node

    def _parent(self, post: FakePost, height: int) -> dict[str, Any]:
        if post.deleted or post.uri not in self.posts:
            return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": post.uri, "notFound": True}
        if post.blocked:
            return _blocked(post)
        node: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self._post_view(post),
        }
        if post.parent is not None and height > 1:
            node["parent"] = self._parent(post.parent, height - 1)
        return node

    def _post_view(self, post: FakePost) -> dict[str, Any]:
        view: dict[str, Any] = {
            "uri": post.uri,
            "cid": post.cid,
            "author": post.author.view(),
            "record": post.record(),
        }
        if post.embed is not None:
            view["embed"] = post.embed
        view |= {
            "replyCount": len(self._children(post)),
            "repostCount": 2,
            "likeCount": 7,
            "quoteCount": 0,
            "bookmarkCount": 0,
            "indexedAt": _iso(post.created_at + timedelta(seconds=1)),
            "viewer": {"threadMuted": False, "embeddingDisabled": False},
            "labels": [],
        }
        return view


def build_thread(
    n_posts: int,
    *,
    author: Account = ALICE,
    reply_to: FakePost | None = None,
    first: int = 0,
) -> list[FakePost]:
    """Return a self-thread of `n_posts` posts, each replying to the one before.

    The text mixes emoji, Cyrillic and CJK around links, mentions and hashtags whose facets use
    byte offsets; post 2 has two images with alt text, post 3 quotes BOB, post 4 has a link
    card and post 5 a video. `reply_to` makes the first post a reply to someone else's post;
    `first` shifts the record keys so several threads can share one fake.
    """
    posts: list[FakePost] = []
    parent = reply_to
    for index in range(n_posts):
        text, facets = _text(index, n_posts)
        post = FakePost(
            author=author,
            rkey=tid(first + index + 1),
            text=text,
            created_at=START + timedelta(minutes=first + index),
            facets=facets,
            parent=parent,
            embed=_EMBEDS[index](author) if index in _EMBEDS else None,
        )
        posts.append(post)
        parent = post
    return posts


def build_branch(to: FakePost, n_posts: int) -> list[FakePost]:
    """Return a second branch of `to`'s author under `to`, an hour later: `n_posts` posts,
    each replying to the one before. With a thread through `to`, the author replied twice."""
    posts: list[FakePost] = []
    for index in range(n_posts):
        posts.append(
            FakePost(
                author=to.author,
                rkey=tid(20_000 + index),
                text=f"An aside, part {index + 1}",
                created_at=to.created_at + timedelta(hours=1, minutes=index),
                parent=posts[-1] if posts else to,
            )
        )
    return posts


def reply(to: FakePost, author: Account, n: int, text: str = "Great thread! 👏") -> FakePost:
    """Return someone's reply to `to`, written `n` seconds after it."""
    return FakePost(
        author=author,
        rkey=tid(10_000 + n),
        text=text,
        created_at=to.created_at + timedelta(seconds=n),
        parent=to,
    )


def _text(index: int, total: int) -> tuple[str, list[dict[str, Any]]]:
    number = f"{index + 1}/{total}"
    if index % 3 == 0:
        text = f"🧵 {number} Привет, мир! Read example.com/artic... — 世界 🌍 and more"
        url = f"https://example.com/article/{index}?utm_source=bsky"
        return text, [facet(text, "example.com/artic...", link(url))]
    if index % 3 == 1:
        text = f"{number} Thanks @bob.example.com — 日本語のテキスト #日本語 ✨ ok"
        return text, [
            facet(text, "@bob.example.com", mention(BOB.did)),
            facet(text, "#日本語", tag("日本語")),
        ]
    return f"{number} A plain post.\n\nWith a second paragraph: ça va? 🙂", []


def _images(author: Account) -> dict[str, Any]:
    return {
        "$type": "app.bsky.embed.images#view",
        "images": [
            {
                "thumb": _cdn("feed_thumbnail", author, n),
                "fullsize": _cdn("feed_fullsize", author, n),
                "alt": alt,
                "aspectRatio": {"width": 1200, "height": 800},
            }
            for n, alt in enumerate(["A cat on a 🛋️ sofa", "Кошка спит"])
        ],
    }


def _quote(author: Account) -> dict[str, Any]:
    quoted = f"at://{BOB.did}/app.bsky.feed.post/{tid(9_000)}"
    return {
        "$type": "app.bsky.embed.record#view",
        "record": {
            "$type": "app.bsky.embed.record#viewRecord",
            "uri": quoted,
            "cid": "bafyreiquoted",
            "author": BOB.view(),
            "value": {
                "$type": "app.bsky.feed.post",
                "text": "The quoted post 📌",
                "createdAt": "2025-01-01T12:00:00.000Z",
            },
            "labels": [],
            "likeCount": 3,
            "replyCount": 0,
            "repostCount": 0,
            "quoteCount": 1,
            "indexedAt": "2025-01-01T12:00:01.000Z",
            "embeds": [],
        },
    }


def _external(author: Account) -> dict[str, Any]:
    return {
        "$type": "app.bsky.embed.external#view",
        "external": {
            "uri": "https://news.example/story?id=42",
            "title": "A story — «с заголовком»",
            "description": "What happened next",
            "thumb": _cdn("feed_thumbnail", author, 9),
        },
    }


def _video(author: Account) -> dict[str, Any]:
    base = f"https://video.bsky.app/watch/{author.did.replace(':', '%3A')}/bafkreivideo"
    return {
        "$type": "app.bsky.embed.video#view",
        "cid": "bafkreivideo",
        "playlist": f"{base}/playlist.m3u8",
        "thumbnail": f"{base}/thumbnail.jpg",
        "alt": "A short clip",
        "aspectRatio": {"width": 16, "height": 9},
    }


_EMBEDS = {1: _images, 2: _quote, 3: _external, 4: _video}


def _cdn(kind: str, author: Account, n: int) -> str:
    return f"https://cdn.bsky.app/img/{kind}/plain/{author.did}/bafkreiimage{n}@jpeg"


def _blocked(post: FakePost) -> dict[str, Any]:
    return {
        "$type": "app.bsky.feed.defs#blockedPost",
        "uri": post.uri,
        "blocked": True,
        "author": {"did": post.author.did, "viewer": {"blockedBy": False}},
    }


def _label(did: str, value: str) -> dict[str, Any]:
    return {
        "src": did,
        "uri": f"at://{did}/app.bsky.actor.profile/self",
        "val": value,
        "neg": False,
    }


def _xrpc_error(status: int, name: str, message: str) -> JSONResponse:
    return JSONResponse({"error": name, "message": message}, status_code=status)


def _rate_limited(reset_in_s: int) -> JSONResponse:
    # rate-limiter-http.ts: reset as Unix seconds, policy as "<limit>;w=<window seconds>".
    response = _xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded")
    response.headers.update(
        {
            "RateLimit-Limit": "3000",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(time.time()) + reset_in_s),
            "RateLimit-Policy": "3000;w=300",
        }
    )
    return response


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
