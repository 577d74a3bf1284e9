"""A fake X API v2 on FakeServer: post lookup and recent search.

Serves the threads of tests/fakes/fxtwitter.py in v2's shape: `data` plus `includes`, entity
offsets in code points, `note_tweet` for long posts, `errors` for posts it will not show. Recent
search honours `conversation_id:`, `from:` and `to:`, the 7-day window and `next_token` paging.
Knobs: `deleted_status` (200 or 404 for a gone post: clients recorded both), `page_size`
(force paging), `rate_limit_reset` (429 with `x-rate-limit-reset`), `fail_status`, `now`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.fxtwitter import (
    FakeMedia,
    FakeThread,
    FakeTweet,
    FakeUser,
    XStore,
    escape,
)
from tests.fakes.server import FakeServer

TOKEN = "t"
PROBLEMS = "https://api.twitter.com/2/problems"
_ID = re.compile(r"^\d{1,19}$")
_LONG_CUT = 270


class FakeXApi:
    """X API v2's `GET /2/tweets/{id}` and `GET /2/tweets/search/recent` over a real socket."""

    def __init__(self, store: XStore | None = None) -> None:
        self.store = store or XStore()
        self.server = FakeServer(
            [
                Route("/2/tweets/search/recent", self._search),
                Route("/2/tweets/{post_id}", self._lookup),
            ],
            name="x-api",
        )
        self.reset()

    def reset(self) -> None:
        """Turn every knob back to its default and forget recorded requests."""
        self.deleted_status = 200
        self.page_size: int | None = None
        self.rate_limit_reset: int | None = None
        self.fail_status: int | None = None
        self.now: datetime | None = None
        self.server.requests.clear()

    @property
    def url(self) -> str:
        return self.server.url

    def add(self, thread: FakeThread) -> FakeThread:
        return self.store.add(thread)

    async def _lookup(self, request: Request) -> Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        post_id = request.path_params["post_id"]
        if not _ID.match(post_id):
            return _problem(400, "Invalid Request", f"{PROBLEMS}/invalid-request")
        tweet = self.store.tweets.get(post_id)
        if tweet is None or tweet.deleted:
            return JSONResponse({"errors": [_not_found(post_id)]}, self.deleted_status)
        if tweet.author.protected:
            return JSONResponse({"errors": [_not_authorized(post_id)]})
        return JSONResponse(self._page([tweet]) | {"data": self.tweet_json(tweet)})

    async def _search(self, request: Request) -> Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        matches = self._matches(request.query_params["query"])
        size = self.page_size or int(request.query_params.get("max_results", "10"))
        offset = int(request.query_params.get("next_token", "0"))
        page = matches[offset : offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta |= {"newest_id": page[0].id, "oldest_id": page[-1].id}
            body = self._page(page) | {"data": [self.tweet_json(tweet) for tweet in page]}
        else:
            body = {}
        if offset + size < len(matches):
            meta["next_token"] = str(offset + size)
        return JSONResponse(body | {"meta": meta})

    def _matches(self, query: str) -> list[FakeTweet]:
        terms = dict(re.findall(r"(conversation_id|from|to):(\S+)", query))
        since = (self.now or datetime.now(UTC)) - timedelta(days=7)
        found = [
            tweet
            for tweet in self.store.tweets.values()
            if not tweet.deleted and tweet.created_at >= since and _matches(tweet, terms)
        ]
        return sorted(found, key=lambda tweet: int(tweet.id), reverse=True)  # recency order

    def _refusal(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _problem(401, "Unauthorized", "about:blank")
        if self.rate_limit_reset is not None:
            headers = {
                "x-rate-limit-limit": "450",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(self.rate_limit_reset),
            }
            return _problem(429, "Too Many Requests", "about:blank", headers=headers)
        if self.fail_status is not None:
            return _problem(self.fail_status, "Service Unavailable", "about:blank")
        return None

    def _page(self, tweets: list[FakeTweet]) -> dict[str, Any]:
        """Return `includes` (and `errors` for referenced posts gone) for these posts."""
        users: dict[str, FakeUser] = {}
        media: list[FakeMedia] = []
        polls: list[dict[str, Any]] = []
        referenced: dict[str, FakeTweet] = {}
        for tweet in tweets:
            users[tweet.author.id] = tweet.author
            media += tweet.media
            if tweet.poll is not None:
                polls.append(self._poll_json(tweet))
            for other in (tweet.reply_to, tweet.quote):
                if other is not None:
                    referenced[other.id] = other
        shown = [other for other in referenced.values() if not other.deleted]
        users |= {other.author.id: other.author for other in shown}
        includes: dict[str, Any] = {"users": [_user(user) for user in users.values()]}
        if media:
            includes["media"] = [_media_json(item) for item in media]
        if polls:
            includes["polls"] = polls
        if shown:
            includes["tweets"] = [self.tweet_json(other) for other in shown]
        gone = [_not_found(other.id) for other in referenced.values() if other.deleted]
        return {"includes": includes} | ({"errors": gone} if gone else {})

    def tweet_json(self, tweet: FakeTweet) -> dict[str, Any]:
        """Serialise `tweet` as a v2 post with the fields the bot asks for."""
        text, entities = tweet.text, _entities(tweet)
        data: dict[str, Any] = {
            "id": tweet.id,
            "edit_history_tweet_ids": [tweet.id],
            "author_id": tweet.author.id,
            "conversation_id": tweet.conversation_id,
            "created_at": tweet.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "display_text_range": list(tweet.display),
        }
        if tweet.long:
            # v2 cuts a long post's `text` and puts all of it in `note_tweet`.
            data["note_tweet"] = {"text": escape(text), "entities": entities}
            text = text[:_LONG_CUT] + "…"
            entities = _entities(tweet, within=_LONG_CUT)
            data["display_text_range"] = [tweet.display[0], len(text)]
        data |= {"text": escape(text), "lang": "en"}
        if entities:
            data["entities"] = entities
        if tweet.reply_to is not None:
            data["in_reply_to_user_id"] = tweet.reply_to.author.id
        references = [("replied_to", tweet.reply_to), ("quoted", tweet.quote)]
        if any(other for _kind, other in references):
            data["referenced_tweets"] = [
                {"type": kind, "id": other.id} for kind, other in references if other is not None
            ]
        attachments = _attachments(tweet)
        if attachments:
            data["attachments"] = attachments
        return data

    def _poll_json(self, tweet: FakeTweet) -> dict[str, Any]:
        assert tweet.poll is not None
        closed = tweet.poll.ends_at <= (self.now or datetime.now(UTC))
        return {
            "id": f"1{tweet.id}",
            "options": [
                {"position": position, "label": label, "votes": votes}
                for position, (label, votes) in enumerate(tweet.poll.choices, start=1)
            ],
            "voting_status": "closed" if closed else "open",
            "end_datetime": tweet.poll.ends_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }


def _matches(tweet: FakeTweet, terms: dict[str, str]) -> bool:
    """Apply the search operators the bot uses; `to:` means "in reply to that account"."""
    replied_to = tweet.reply_to.author.handle if tweet.reply_to is not None else None
    return (
        tweet.conversation_id == terms.get("conversation_id", tweet.conversation_id)
        and tweet.author.handle == terms.get("from", tweet.author.handle)
        and ("to" not in terms or replied_to == terms["to"])
    )


def _entities(tweet: FakeTweet, *, within: int | None = None) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for entity in tweet.entities:
        if within is not None and entity.end > within:
            continue
        item: dict[str, Any] = {"start": entity.start, "end": entity.end}
        if entity.kind in {"url", "media"}:
            item |= {"url": entity.original, "expanded_url": entity.target}
            item["display_url"] = entity.display
            if entity.kind == "media":
                item["media_key"] = _media_key(tweet.media[0])
            elif tweet.card is not None and tweet.card.url == entity.target:
                item |= _unwound(tweet)
            groups.setdefault("urls", []).append(item)
        elif entity.kind == "mention":
            groups.setdefault("mentions", []).append(item | {"username": entity.original})
        else:
            groups.setdefault("hashtags", []).append(item | {"tag": entity.original})
    return groups


def _unwound(tweet: FakeTweet) -> dict[str, Any]:
    assert tweet.card is not None
    return {
        "images": [{"url": tweet.card.image_url, "width": 1200, "height": 630}],
        "status": 200,
        "title": tweet.card.title,
        "description": tweet.card.description,
        "unwound_url": tweet.card.url,
    }


def _attachments(tweet: FakeTweet) -> dict[str, Any]:
    attachments: dict[str, Any] = {}
    if tweet.media:
        attachments["media_keys"] = [_media_key(item) for item in tweet.media]
    if tweet.poll is not None:
        attachments["poll_ids"] = [f"1{tweet.id}"]
    return attachments


def _media_key(media: FakeMedia) -> str:
    prefix = {"photo": "3", "video": "7", "gif": "16"}[media.kind]
    return f"{prefix}_{media.id}"


def _media_json(media: FakeMedia) -> dict[str, Any]:
    item: dict[str, Any] = {"media_key": _media_key(media), "width": media.width}
    item["height"] = media.height
    if media.kind == "photo":
        return (
            item
            | {"type": "photo", "url": media.url}
            | ({"alt_text": media.alt} if media.alt else {})
        )
    variants: list[dict[str, Any]] = [
        {"content_type": "application/x-mpegURL", "url": media.url.replace(".mp4", ".m3u8")}
    ]
    variants += [
        {"bit_rate": bitrate, "content_type": "video/mp4", "url": url}
        for url, bitrate in media.variants
    ]
    kind = "video" if media.kind == "video" else "animated_gif"
    return item | {"type": kind, "preview_image_url": media.thumbnail_url, "variants": variants}


def _user(user: FakeUser) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "username": user.handle, "protected": user.protected}


def _not_found(post_id: str) -> dict[str, Any]:
    return {
        "value": post_id,
        "detail": f"Could not find tweet with id: [{post_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "id",
        "resource_id": post_id,
        "type": f"{PROBLEMS}/resource-not-found",
    }


def _not_authorized(post_id: str) -> dict[str, Any]:
    return {
        "value": post_id,
        "detail": f"Sorry, you are not authorized to see the Tweet with id: [{post_id}].",
        "title": "Authorization Error",
        "resource_type": "tweet",
        "parameter": "id",
        "resource_id": post_id,
        "type": f"{PROBLEMS}/not-authorized-for-resource",
    }


def _problem(
    status: int, title: str, kind: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"title": title, "detail": title, "type": kind, "status": status}
    return JSONResponse(body, status_code=status, headers=headers)
