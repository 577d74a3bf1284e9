"""Bluesky through the public AppView: getPostThread → the author's own chain. Adapter.

From any post, walk up the parents while they are the author's, then down the author's own
self-replies, calling getPostThread again wherever the answer was cut by `depth` or
`parentHeight` (reference/upstream-apis.md §3.8). A deleted post of the author above the entry
breaks the parent links, so the part above the hole is fetched down from the thread root.
Facets, embeds and statuses are read here too (§3.2–3.7); no upstream dict leaves this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import quote

from bot.errors import PostPrivateError, PostUnavailableError, SourceError, UnrollError
from bot.model import (
    Author,
    LinkCard,
    Media,
    MediaType,
    Platform,
    Post,
    Quote,
    Report,
    Segment,
    SegmentKind,
    Thread,
    ThreadKey,
)
from bot.net.http import HttpClient
from bot.sources import ProgressCallback, SourceConfig

PLATFORM = Platform.BLUESKY.value
WEB = "https://bsky.app"
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

Json = Mapping[str, object]


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
    posts = tuple(_post(view, gap_before=walker.gaps.get(_uri(view), 0)) for view in chain)
    note = f"stopped at {config.max_posts} posts" if walker.capped else None
    return Thread(
        key=key,
        source=Platform.BLUESKY,
        url=posts[0].url,
        author=_author(_obj(chain[0].get("author"))),
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
        body = _obj(response.json()) if response.content else {}
        if response.status != 200:
            raise _status_error(response.status, body, uri)
        node = _obj(body.get("thread"))
        if node.get("$type") == _NOT_FOUND:
            raise PostUnavailableError(f"not found: {uri}", platform=PLATFORM)
        if node.get("$type") == _BLOCKED:
            raise PostPrivateError(f"blocked: {uri}", platform=PLATFORM)
        if not _is_post(node):
            raise SourceError(f"no thread in the answer for {uri}", platform=PLATFORM)
        if _is_hidden_from_guests(_obj(node.get("post"))):
            raise PostPrivateError(
                f"author hides from logged-out viewers: {uri}", platform=PLATFORM
            )
        return node


def _status_error(status: int, body: Json, uri: str) -> UnrollError:
    name = body.get("error")
    error = _STATUS_ERRORS.get((status, name if isinstance(name, str) else None))
    error = error or _STATUS_ERRORS.get((status, None), SourceError)
    return error(f"{status} {name or ''} for {uri}".strip(), platform=PLATFORM)


@dataclass
class _ChainWalker:
    """Collects the chain's post views, counting holes and other people's posts on the way.

    Collection goes up from the entry post first, then down, and stops at `room` posts.
    """

    api: _AppView
    room: int
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
        chain = [*above, _obj(entry.get("post"))]
        await self._report()
        if hole is not None:
            self.gaps[_uri(chain[0])] = 1
            chain[:0] = await self._bridge(chain[0], hole)
        chain += await self._walk_down(entry)
        return chain

    def _take(self) -> bool:
        """Make room for one more post; at the cap, remember that the chain was cut."""
        if self.found >= self.room:
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
            parent = _obj(node.get("parent"))
            if not parent:
                # No parent on a reply: `parentHeight` cut the answer here (§3.1); ask again.
                if refetched or not _is_reply(_obj(node.get("post"))):
                    return above, None
                node, refetched = (
                    await self.api.thread(_uri(_obj(node.get("post"))), depth=0),
                    True,
                )
            elif _is_post(parent) and _author_did(parent) == self.author_did:
                if not self._take():
                    return above, None
                above.insert(0, _obj(parent.get("post")))
                node, refetched = parent, False
            elif not _is_post(parent) and _authority(_uri(parent)) == self.author_did:
                return above, _uri(parent)  # the author's own post, deleted
            else:
                self.skipped += self._count_others(parent)
                return above, None

    def _count_others(self, node: Json) -> int:
        """Count other people's posts from `node` up; deleted ones cannot be told apart."""
        count = 0
        while node:
            count += node.get("$type") != _NOT_FOUND and _author_did(node) != self.author_did
            node = _obj(node.get("parent"))
        return count

    async def _bridge(self, first: Json, hole: str) -> list[Json]:
        """Return the author's posts from the thread root down to the hole above `first`.

        A deleted post's replies hang from nothing, so the posts above the hole are only
        reachable from the thread root, which every reply names.
        """
        root = _uri(_obj(_obj(_obj(first.get("record")).get("reply")).get("root")))
        if _authority(root) != self.author_did or root == hole or not self._take():
            return []
        node = await self.api.thread(root, depth=REPLY_DEPTH, parent_height=0)
        return [_obj(node.get("post")), *await self._walk_down(node)]

    async def _walk_down(self, node: Json) -> list[Json]:
        """Return the author's self-replies below `node`, asking again where `depth` cut them."""
        below: list[Json] = []
        refetched = False
        while True:
            post = _obj(node.get("post"))
            if "replies" not in node:
                # No replies key though replies exist: the depth limit cut the answer (§3.8).
                if refetched or post.get("replyCount") == 0:
                    return below
                node = await self.api.thread(_uri(post), depth=REPLY_DEPTH, parent_height=0)
                refetched = True
                continue
            replies = _list(node.get("replies"))
            own = [r for r in replies if _is_post(r) and _author_did(r) == self.author_did]
            self.skipped += len(replies) - len(own)
            # Several self-replies: the earliest continues the chain (the AppView's order is
            # not by time, §3.8).
            if not own or not self._take():
                return below
            node, refetched = min(own, key=lambda r: _created_at(_obj(r.get("post")))), False
            below.append(_obj(node.get("post")))
            await self._report()


def _post(view: Json, *, gap_before: int) -> Post:
    record = _obj(view.get("record"))
    embed = _obj(view.get("embed"))
    return Post(
        id=_uri(view),
        url=_web_url(_uri(view), _obj(view.get("author"))),
        created_at=_created_at(view),
        text=segments(_str(record.get("text")), _list(record.get("facets"))),
        media=_media(embed),
        quote=_quote(embed),
        card=_card(embed),
        gap_before=gap_before,
    )


def segments(text: str, facets: Sequence[Json]) -> tuple[Segment, ...]:
    """Cut post text into segments along its facets.

    Facet offsets count UTF-8 bytes, not characters (§3.3), so the text is sliced as bytes; a
    facet that overlaps another, runs past the end or cuts a character is ignored. Link facets
    carry the full URL while the text shows a shortened one.
    """
    data = text.encode("utf-8")
    cursor = 0
    out: list[Segment] = []
    for start, end, feature in sorted(_facet_spans(facets, len(data)), key=lambda s: s[0]):
        if start < cursor:
            continue
        try:
            before, inside = data[cursor:start].decode(), data[start:end].decode()
        except UnicodeDecodeError:
            continue
        if before:
            out.append(Segment(SegmentKind.TEXT, before))
        out.append(_facet_segment(inside, feature))
        cursor = end
    rest = data[cursor:].decode("utf-8", errors="replace")
    if rest:
        out.append(Segment(SegmentKind.TEXT, rest))
    return tuple(out)


def _facet_spans(facets: Sequence[Json], size: int) -> list[tuple[int, int, Json]]:
    spans = []
    for facet in facets:
        index = _obj(facet.get("index"))
        start, end = index.get("byteStart"), index.get("byteEnd")
        features = _list(facet.get("features"))
        if (
            isinstance(start, int)
            and isinstance(end, int)
            and 0 <= start < end <= size
            and features
        ):
            spans.append((start, end, features[0]))
    return spans


def _facet_segment(text: str, feature: Json) -> Segment:
    kind = _str(feature.get("$type"))
    if kind == "app.bsky.richtext.facet#link":
        return Segment(SegmentKind.LINK, text, _str(feature.get("uri")) or None)
    if kind == "app.bsky.richtext.facet#mention":
        return Segment(SegmentKind.MENTION, text, f"{WEB}/profile/{_str(feature.get('did'))}")
    if kind == "app.bsky.richtext.facet#tag":
        tag = quote(_str(feature.get("tag")), safe="")
        return Segment(SegmentKind.HASHTAG, text, f"{WEB}/hashtag/{tag}")
    return Segment(SegmentKind.TEXT, text)


# Embeds: read `post.embed`, the hydrated view; `record.embed` only has blob refs (§3.4).
_IMAGES = "app.bsky.embed.images#view"
_VIDEO = "app.bsky.embed.video#view"
_GALLERY = "app.bsky.embed.gallery#view"
_EXTERNAL = "app.bsky.embed.external#view"
_RECORD = "app.bsky.embed.record#view"
_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia#view"
_QUOTED_POST = "app.bsky.embed.record#viewRecord"
_QUOTE_GONE = {
    "app.bsky.embed.record#viewNotFound",
    "app.bsky.embed.record#viewBlocked",
    "app.bsky.embed.record#viewDetached",  # the quoted author removed the quote (postgate)
}
# Quoted things that are not posts, by view type: their title field and web path segment.
_QUOTED_OTHER = {
    "app.bsky.feed.defs#generatorView": ("displayName", "feed"),
    "app.bsky.graph.defs#listView": ("name", "lists"),
}


def _media(embed: Json) -> tuple[Media, ...]:
    kind = embed.get("$type")
    if kind == _RECORD_WITH_MEDIA:
        return _media(_obj(embed.get("media")))
    if kind == _IMAGES:
        return tuple(_image(image, "thumb") for image in _list(embed.get("images")))
    if kind == _GALLERY:
        return tuple(_image(item, "thumbnail") for item in _list(embed.get("items")))
    if kind == _VIDEO:
        as_gif = embed.get("presentation") == "gif"
        return (_visual(embed, MediaType.GIF if as_gif else MediaType.VIDEO, "playlist"),)
    return ()


def _image(image: Json, thumb_key: str) -> Media:
    return replace(
        _visual(image, MediaType.PHOTO, "fullsize"),
        thumbnail_url=_str(image.get(thumb_key)) or None,
    )


def _visual(view: Json, kind: MediaType, url_key: str) -> Media:
    ratio = _obj(view.get("aspectRatio"))
    width, height = ratio.get("width"), ratio.get("height")
    return Media(
        kind,
        _str(view.get(url_key)),
        alt=_str(view.get("alt")),
        thumbnail_url=_str(view.get("thumbnail")) or None,
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
    )


def _quoted(embed: Json) -> Json:
    """Return the quoted record's view of a record or recordWithMedia embed, else {}."""
    kind = embed.get("$type")
    if kind == _RECORD_WITH_MEDIA:
        # recordWithMedia holds a whole record#view, whose `record` is the quoted view.
        return _obj(_obj(embed.get("record")).get("record"))
    return _obj(embed.get("record")) if kind == _RECORD else {}


def _quote(embed: Json) -> Quote | None:
    quoted = _quoted(embed)
    kind = quoted.get("$type")
    if kind in _QUOTE_GONE:
        return Quote(url=_web_url(_uri(quoted), {}), unavailable=True)
    if kind != _QUOTED_POST:
        return None
    value = _obj(quoted.get("value"))
    author = _obj(quoted.get("author"))
    return Quote(
        url=_web_url(_uri(quoted), author),
        author=_author(author),
        text=segments(_str(value.get("text")), _list(value.get("facets"))),
        media=tuple(media for view in _list(quoted.get("embeds")) for media in _media(view)),
        created_at=_created_at(quoted),
    )


def _card(embed: Json) -> LinkCard | None:
    kind = embed.get("$type")
    if kind == _RECORD_WITH_MEDIA:
        return _card(_obj(embed.get("media")))
    if kind == _EXTERNAL:
        external = _obj(embed.get("external"))
        uri = _str(external.get("uri"))
        return LinkCard(
            url=uri,
            title=_str(external.get("title")) or uri,
            description=_str(external.get("description")),
            image_url=_str(external.get("thumb")) or None,
        )
    quoted = _quoted(embed)
    if quoted.get("$type") in _QUOTED_OTHER:
        title_key, path = _QUOTED_OTHER[_str(quoted.get("$type"))]
        uri = _uri(quoted)
        url = f"{WEB}/profile/{_authority(uri)}/{path}/{uri.rsplit('/', 1)[-1]}"
        return LinkCard(url=url, title=_str(quoted.get(title_key)) or url)
    return None


# Reading the views: a wrong type reads as empty, so one odd field never sinks a whole thread.
def _obj(value: object) -> Json:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Json]:
    return [_obj(item) for item in value] if isinstance(value, list) else []


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _is_post(node: Json) -> bool:
    return node.get("$type") == _THREAD_VIEW or ("post" in node and "$type" not in node)


def _is_reply(post: Json) -> bool:
    return bool(_obj(post.get("record")).get("reply"))


def _author_did(node: Json) -> str:
    """Return the author of a thread node: a threadViewPost, or a blockedPost's `author`."""
    author = _obj(_obj(node.get("post")).get("author")) or _obj(node.get("author"))
    return _str(author.get("did"))


def _is_hidden_from_guests(post: Json) -> bool:
    labels = _list(_obj(post.get("author")).get("labels"))
    return any(label.get("val") == NO_UNAUTHENTICATED for label in labels)


def _uri(view: Json) -> str:
    return _str(view.get("uri"))


def _authority(uri: str) -> str:
    return uri.removeprefix("at://").split("/", 1)[0]


def _post_uri(authority: str, rkey: str) -> str:
    return f"at://{authority}/app.bsky.feed.post/{rkey}"


def _actor(author: Json, uri: str) -> str:
    """Return the handle to show in web URLs, or the DID when the handle is broken."""
    handle = _str(author.get("handle"))
    if handle and handle != "handle.invalid":
        return handle
    return _str(author.get("did")) or _authority(uri)


def _web_url(uri: str, author: Json) -> str:
    return f"{WEB}/profile/{_actor(author, uri)}/post/{uri.rsplit('/', 1)[-1]}"


def _author(profile: Json) -> Author:
    actor = _actor(profile, "")
    return Author(
        handle=actor,
        name=_str(profile.get("displayName")).strip() or actor,
        url=f"{WEB}/profile/{actor}",
    )


def _created_at(view: Json) -> datetime:
    """Return when the post was written; the AppView's `indexedAt` when `createdAt` is odd.

    `createdAt` is whatever the client wrote (a post view has it in `record`, a quote view in
    `value`); `indexedAt` is the AppView's own and always well-formed.
    """
    record = _obj(view.get("record")) or _obj(view.get("value"))
    for value in (record.get("createdAt"), view.get("indexedAt")):
        try:
            moment = datetime.fromisoformat(_str(value))
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise SourceError(f"no valid time on {_uri(view)}", platform=PLATFORM)
