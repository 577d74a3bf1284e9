"""One upstream built to hurt: answers in Mastodon, Bluesky and FxTwitter shapes that loop,
never end, lie about numbers, redirect nowhere, inflate to gigabytes or never come.

Set `case` (one of `CASES`) before a test, then point a link at it: Mastodon links name the
server itself (`mastodon_url`), Bluesky and FxTwitter through their API root settings (`url`).
The HTTP-level cases (429s, redirects, the gzip bomb, the hang) apply to every route, so each
shape meets them; the loop and number cases answer in their own platform's shape.
"""

from __future__ import annotations

import asyncio
import zlib
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeServer

MASTODON_CASES = (
    "ancestor-loop",
    "self-loop",
    "descendant-cycle",
    "endless-ancestors",
    "endless-fat-ancestors",
    "slow-endless-ancestors",
)
BLUESKY_CASES = ("bluesky-cycle",)
FXTWITTER_CASES = ("fxtwitter-duplicates", "timestamp-1e20", "timestamp-minus-1e15")
HTTP_CASES = (
    "retry-after-huge",
    "retry-after-400-digits",
    "redirect-javascript",
    "redirect-mailto",
    "gzip-bomb",
    "hang",
)
CASES = MASTODON_CASES + BLUESKY_CASES + FXTWITTER_CASES + HTTP_CASES

SLOW_ANSWER_S = 1.0
HANG_S = 8.0
"""How long the hanging server keeps a request waiting: past any deadline a test sets."""
BOMB_BYTES = 1_000_000_000
"""What the gzip bomb inflates to: 1 GB of zeros, about 1 MB on the wire."""
ANCESTORS_PER_CONTEXT = 40  # Mastodon's unauthenticated limit
FAT_PADDING = 120_000
"""Characters of content per status in "endless-fat-ancestors": 40 of them come to about
4.8 MB, an answer just under the 5 MB per-response cap, every time."""
AUTHOR_DID = "did:plc:hostile7ehrx332p6dow5sk"


@cache
def gzip_bomb() -> bytes:
    """Return a gzip body of `BOMB_BYTES` zeros, compressed a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1_000_000)
    body = b"".join(packer.compress(zeros) for _ in range(BOMB_BYTES // len(zeros)))
    return body + packer.flush()


class HostileUpstream:
    """The hostile server and its `case` knob; `server.requests` records what was asked."""

    def __init__(self) -> None:
        self.case = "ancestor-loop"
        routes = [
            Route("/api/v1/statuses/{id}", self._mastodon_status),
            Route("/api/v1/statuses/{id}/context", self._mastodon_context),
            Route("/xrpc/app.bsky.feed.getPostThread", self._bluesky_thread),
            Route("/2/thread/{id}", self._fxtwitter_thread),
        ]
        self.server = FakeServer(routes, name="hostile")

    @property
    def url(self) -> str:
        return self.server.url

    def mastodon_url(self, status_id: str = "1") -> str:
        """Return a link to a status on this server as a Mastodon instance."""
        return f"{self.server.url}/@mallory/{status_id}"

    @staticmethod
    def bluesky_url(rkey: str = "3aaaaaaaaaa2a") -> str:
        """Return a bsky.app link; the API root setting sends its fetch here."""
        return f"https://bsky.app/profile/{AUTHOR_DID}/post/{rkey}"

    @staticmethod
    def x_url(post_id: str = "1900000000000000001") -> str:
        """Return an x.com link; the FxTwitter root setting sends its fetch here."""
        return f"https://x.com/mallory/status/{post_id}"

    # HTTP-level misbehaviour, the same on every route.

    async def _misbehaviour(self) -> Response | None:
        if self.case == "retry-after-huge":
            return JSONResponse({"error": "slow down"}, 429, {"Retry-After": "99999999999"})
        if self.case == "retry-after-400-digits":
            return JSONResponse({"error": "slow down"}, 429, {"Retry-After": "9" * 400})
        if self.case == "redirect-javascript":
            return Response(status_code=302, headers={"location": "javascript:alert(1)"})
        if self.case == "redirect-mailto":
            return Response(status_code=302, headers={"location": "mailto:root@example.org"})
        if self.case == "gzip-bomb":
            headers = {"content-encoding": "gzip", "content-type": "application/json"}
            return Response(gzip_bomb(), headers=headers)
        if self.case == "hang":
            await asyncio.sleep(HANG_S)
            return JSONResponse({}, 503)
        return None

    # Mastodon.

    async def _mastodon_status(self, request: Request) -> Response:
        status_id = request.path_params["id"]
        return await self._misbehaviour() or JSONResponse(self._status(status_id))

    async def _mastodon_context(self, request: Request) -> Response:
        status_id = request.path_params["id"]
        early = await self._misbehaviour()
        if early is not None:
            return early
        if self.case == "slow-endless-ancestors":
            # Each answer well within any per-request deadline; together they never end.
            await asyncio.sleep(SLOW_ANSWER_S)
        if "endless" in self.case:
            # Fresh ancestors every time, each naming a parent further up that never ends.
            top = int(status_id)
            ids = range(top + ANCESTORS_PER_CONTEXT, top, -1)
            return JSONResponse({"ancestors": [self._status(str(i)) for i in ids]})
        if self.case == "descendant-cycle":
            # 2 answers 1, 3 answers 2, and 1 (the linked post) claims to answer 3; 5 and 6
            # answer each other, a cycle hanging from nothing.
            cycle = [("2", "1"), ("3", "2"), ("5", "6"), ("6", "5")]
            descendants = [_mastodon_status(child, parent) for child, parent in cycle]
            return JSONResponse({"ancestors": [], "descendants": descendants})
        parent = _mastodon_parent(self.case, status_id)
        ancestors = [self._status(parent)] if parent else []
        return JSONResponse({"ancestors": ancestors, "descendants": []})

    def _status(self, status_id: str) -> dict[str, Any]:
        if "endless" in self.case:
            padding = FAT_PADDING if self.case == "endless-fat-ancestors" else 2000
            return _mastodon_status(status_id, str(int(status_id) + 1), padding=padding)
        return _mastodon_status(status_id, _mastodon_parent(self.case, status_id))

    # Bluesky.

    async def _bluesky_thread(self, request: Request) -> Response:
        early = await self._misbehaviour()
        if early is not None:
            return early
        # A and B each claim to answer the other; every answer shows one parent, so the
        # walk up must ask again at each step, round and round.
        uri = request.query_params["uri"]
        a, b = _bluesky_uri("3aaaaaaaaaa2a"), _bluesky_uri("3bbbbbbbbbb2b")
        other = b if uri == a else a
        thread = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": _bluesky_post(uri, parent=other),
            "parent": {
                "$type": "app.bsky.feed.defs#threadViewPost",
                "post": _bluesky_post(other, parent=uri),
            },
            "replies": [],
        }
        return JSONResponse({"thread": thread})

    # FxTwitter.

    async def _fxtwitter_thread(self, request: Request) -> Response:
        early = await self._misbehaviour()
        if early is not None:
            return early
        post_id = request.path_params["id"]
        if self.case == "timestamp-1e20":
            return JSONResponse({"status": _tweet(post_id, timestamp=1e20)})
        if self.case == "timestamp-minus-1e15":
            return JSONResponse({"status": _tweet(post_id, timestamp=-1e15)})
        # A, B, A, B… five hundred times over.
        pair = [_tweet(post_id), _tweet(str(int(post_id) + 1), replying_to="mallory")]
        return JSONResponse({"status": pair[0], "thread": pair * 250})


def _mastodon_parent(case: str, status_id: str) -> str | None:
    if case == "ancestor-loop":
        return {"1": "2", "2": "1"}.get(status_id)  # A → B → A
    if case == "self-loop":
        return status_id  # A → A
    if case == "descendant-cycle":
        return {"1": "3", "2": "1", "3": "2", "5": "6", "6": "5"}.get(status_id)
    return None


_MALLORY = {
    "id": "666",
    "username": "mallory",
    "acct": "mallory",
    "display_name": "Mallory",
    "url": "https://hostile.example/@mallory",
}


def _mastodon_status(status_id: str, parent: str | None, *, padding: int = 0) -> dict[str, Any]:
    return {
        "id": status_id,
        "created_at": "2025-03-16T22:44:33.000Z",
        "in_reply_to_id": parent,
        "in_reply_to_account_id": _MALLORY["id"] if parent else None,
        "url": f"https://hostile.example/@mallory/{status_id}",
        "content": f"<p>Post {status_id}{'.' * padding}</p>",
        "spoiler_text": "",
        "account": _MALLORY,
        "media_attachments": [],
    }


def _bluesky_uri(rkey: str) -> str:
    return f"at://{AUTHOR_DID}/app.bsky.feed.post/{rkey}"


def _bluesky_post(uri: str, *, parent: str) -> dict[str, Any]:
    reply_ref = {"uri": parent, "cid": "bafyreihostile"}
    return {
        "uri": uri,
        "cid": "bafyreihostile",
        "author": {"did": AUTHOR_DID, "handle": "mallory.bsky.social", "displayName": "Mallory"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "Round and round",
            "createdAt": "2025-03-16T22:44:33.000Z",
            "reply": {"root": reply_ref, "parent": reply_ref},
        },
        "replyCount": 1,
        "indexedAt": "2025-03-16T22:44:34.000Z",
    }


def _tweet(
    post_id: str, *, timestamp: float = 1742165073, replying_to: str | None = None
) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "type": "status",
        "id": post_id,
        "raw_text": {"text": f"post {post_id}", "facets": []},
        "author": {"id": "666", "screen_name": "mallory", "name": "Mallory"},
        "created_timestamp": timestamp,
    }
    if replying_to is not None:
        tweet["replying_to"] = {"screen_name": replying_to, "status": "0"}
    return tweet
