"""Bluesky post views → model: text facets, embeds, authors, times. Pure: no I/O.

Reads the hydrated views getPostThread returns (reference/upstream-apis.md §3.2–3.4) into
frozen dataclasses, so no upstream dict leaves the Bluesky source. A field of the wrong type
reads as empty: one odd field never sinks a whole thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

from bot.errors import SourceError
from bot.model import (
    Author,
    LinkCard,
    Media,
    MediaType,
    Platform,
    Post,
    Quote,
    Segment,
    SegmentKind,
)

PLATFORM = Platform.BLUESKY.value
WEB = "https://bsky.app"

Json = Mapping[str, object]


def read_post(view: Json, *, gap_before: int) -> Post:
    """Return the model post of a post view; `gap_before` counts deleted posts before it."""
    record = obj(view.get("record"))
    embed = obj(view.get("embed"))
    return Post(
        id=view_uri(view),
        url=_web_url(view_uri(view), obj(view.get("author"))),
        created_at=post_time(view),
        text=segments(string(record.get("text")), items(record.get("facets"))),
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
        index = obj(facet.get("index"))
        start, end = index.get("byteStart"), index.get("byteEnd")
        features = items(facet.get("features"))
        if (
            isinstance(start, int)
            and isinstance(end, int)
            and 0 <= start < end <= size
            and features
        ):
            spans.append((start, end, features[0]))
    return spans


def _facet_segment(text: str, feature: Json) -> Segment:
    kind = string(feature.get("$type"))
    if kind == "app.bsky.richtext.facet#link":
        return Segment(SegmentKind.LINK, text, string(feature.get("uri")) or None)
    if kind == "app.bsky.richtext.facet#mention":
        return Segment(SegmentKind.MENTION, text, f"{WEB}/profile/{string(feature.get('did'))}")
    if kind == "app.bsky.richtext.facet#tag":
        tag = quote(string(feature.get("tag")), safe="")
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
        return _media(obj(embed.get("media")))
    if kind == _IMAGES:
        return tuple(_image(image, "thumb") for image in items(embed.get("images")))
    if kind == _GALLERY:
        return tuple(_image(item, "thumbnail") for item in items(embed.get("items")))
    if kind == _VIDEO:
        as_gif = embed.get("presentation") == "gif"
        return (_visual(embed, MediaType.GIF if as_gif else MediaType.VIDEO, "playlist"),)
    return ()


def _image(image: Json, thumb_key: str) -> Media:
    return replace(
        _visual(image, MediaType.PHOTO, "fullsize"),
        thumbnail_url=string(image.get(thumb_key)) or None,
    )


def _visual(view: Json, kind: MediaType, url_key: str) -> Media:
    ratio = obj(view.get("aspectRatio"))
    width, height = ratio.get("width"), ratio.get("height")
    return Media(
        kind,
        string(view.get(url_key)),
        alt=string(view.get("alt")),
        thumbnail_url=string(view.get("thumbnail")) or None,
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
    )


def _quoted(embed: Json) -> Json:
    """Return the quoted record's view of a record or recordWithMedia embed, else {}."""
    kind = embed.get("$type")
    if kind == _RECORD_WITH_MEDIA:
        # recordWithMedia holds a whole record#view, whose `record` is the quoted view.
        return obj(obj(embed.get("record")).get("record"))
    return obj(embed.get("record")) if kind == _RECORD else {}


def _quote(embed: Json) -> Quote | None:
    quoted = _quoted(embed)
    kind = quoted.get("$type")
    if kind in _QUOTE_GONE:
        return Quote(url=_web_url(view_uri(quoted), {}), unavailable=True)
    if kind != _QUOTED_POST:
        return None
    value = obj(quoted.get("value"))
    author = obj(quoted.get("author"))
    return Quote(
        url=_web_url(view_uri(quoted), author),
        author=read_author(author),
        text=segments(string(value.get("text")), items(value.get("facets"))),
        media=tuple(media for view in items(quoted.get("embeds")) for media in _media(view)),
        created_at=post_time(quoted),
    )


def _card(embed: Json) -> LinkCard | None:
    kind = embed.get("$type")
    if kind == _RECORD_WITH_MEDIA:
        return _card(obj(embed.get("media")))
    if kind == _EXTERNAL:
        external = obj(embed.get("external"))
        uri = string(external.get("uri"))
        return LinkCard(
            url=uri,
            title=string(external.get("title")) or uri,
            description=string(external.get("description")),
            image_url=string(external.get("thumb")) or None,
        )
    quoted = _quoted(embed)
    if quoted.get("$type") in _QUOTED_OTHER:
        title_key, path = _QUOTED_OTHER[string(quoted.get("$type"))]
        uri = view_uri(quoted)
        url = f"{WEB}/profile/{uri_authority(uri)}/{path}/{uri.rsplit('/', 1)[-1]}"
        return LinkCard(url=url, title=string(quoted.get(title_key)) or url)
    return None


def obj(value: object) -> Json:
    """Return `value` as a JSON object, or an empty one."""
    return value if isinstance(value, Mapping) else {}


def items(value: object) -> list[Json]:
    """Return the JSON objects of a list, or none."""
    return [obj(item) for item in value] if isinstance(value, list) else []


def string(value: object) -> str:
    """Return `value` as a string, or an empty one."""
    return value if isinstance(value, str) else ""


def view_uri(view: Json) -> str:
    """Return the at:// URI of a view."""
    return string(view.get("uri"))


def uri_authority(uri: str) -> str:
    """Return the DID (or handle) an at:// URI starts with."""
    return uri.removeprefix("at://").split("/", 1)[0]


def _actor(author: Json, uri: str) -> str:
    """Return the handle to show in web URLs, or the DID when the handle is broken."""
    handle = string(author.get("handle"))
    if handle and handle != "handle.invalid":
        return handle
    return string(author.get("did")) or uri_authority(uri)


def _web_url(uri: str, author: Json) -> str:
    return f"{WEB}/profile/{_actor(author, uri)}/post/{uri.rsplit('/', 1)[-1]}"


def read_author(profile: Json) -> Author:
    """Return the model author of a profile view."""
    actor = _actor(profile, "")
    return Author(
        handle=actor,
        name=string(profile.get("displayName")).strip() or actor,
        url=f"{WEB}/profile/{actor}",
    )


def post_time(view: Json) -> datetime:
    """Return when the post was written; the AppView's `indexedAt` when `createdAt` is odd.

    `createdAt` is whatever the client wrote (a post view has it in `record`, a quote view in
    `value`); `indexedAt` is the AppView's own and always well-formed.
    """
    record = obj(view.get("record")) or obj(view.get("value"))
    for value in (record.get("createdAt"), view.get("indexedAt")):
        try:
            moment = datetime.fromisoformat(string(value))
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise SourceError(f"no valid time on {view_uri(view)}", platform=PLATFORM)
