"""Bluesky post views → model: text facets, embeds, authors, times. Pure: no I/O.

Reads the hydrated views getPostThread returns
(https://docs.bsky.app/docs/api/app-bsky-feed-get-post-thread) into
frozen dataclasses, so no upstream dict leaves the Bluesky source. Absent fields read as empty
and wrong types fail as json_reader.py says; a client-written odd value (a facet past the text,
an unreadable `createdAt`) is passed over, so one such post never sinks a whole thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from bot.errors import SourceError
from bot.language import language_tag
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
    with_changes,
)
from bot.sources.json_reader import JsonObject, parse_time

PLATFORM = Platform.BLUESKY.value
WEB = "https://bsky.app"
_EMPTY = JsonObject({}, PLATFORM)


def read_post(view: JsonObject, *, gap_before: int) -> Post:
    """Return the model post of a post view; `gap_before` counts deleted posts before it."""
    record = view.child_or_empty("record")
    embed = view.child_or_empty("embed")
    return Post(
        id=view_uri(view),
        url=_web_url(view_uri(view), view.child_or_empty("author")),
        created_at=post_time(view),
        text=segments(record.text("text"), record.children("facets")),
        media=_media(embed),
        quote=_quote(embed),
        card=_card(embed),
        gap_before=gap_before,
        language=_language(record),
    )


def _language(record: JsonObject) -> str | None:
    """Return the first of the record's `langs`, the one the author's client put first."""
    langs = record.data.get("langs")
    return language_tag(langs[0]) if isinstance(langs, list) and langs else None


def segments(text: str, facets: Sequence[JsonObject]) -> tuple[Segment, ...]:
    """Cut post text into segments along its facets.

    Facet offsets count UTF-8 bytes, not characters
    (https://docs.bsky.app/docs/advanced-guides/post-richtext), so the text is sliced as bytes; a
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


def _facet_spans(facets: Sequence[JsonObject], size: int) -> list[tuple[int, int, JsonObject]]:
    spans = []
    for facet in facets:
        index = facet.child_or_empty("index")
        start, end = index.number("byteStart"), index.number("byteEnd")
        features = facet.children("features")
        if start is not None and end is not None and 0 <= start < end <= size and features:
            spans.append((start, end, features[0]))
    return spans


def _facet_segment(text: str, feature: JsonObject) -> Segment:
    kind = feature.text("$type")
    if kind == "app.bsky.richtext.facet#link":
        return Segment(SegmentKind.LINK, text, feature.optional_string("uri") or None)
    if kind == "app.bsky.richtext.facet#mention":
        return Segment(SegmentKind.MENTION, text, f"{WEB}/profile/{feature.text('did')}")
    if kind == "app.bsky.richtext.facet#tag":
        tag = quote(feature.text("tag"), safe="")
        return Segment(SegmentKind.HASHTAG, text, f"{WEB}/hashtag/{tag}")
    return Segment(SegmentKind.TEXT, text)


# Embeds: read `post.embed`, the hydrated view; `record.embed` only has blob refs.
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


def _media(embed: JsonObject) -> tuple[Media, ...]:
    kind = embed.optional_string("$type")
    if kind == _RECORD_WITH_MEDIA:
        return _media(embed.child_or_empty("media"))
    if kind == _IMAGES:
        return tuple(_image(image, "thumb") for image in embed.children("images"))
    if kind == _GALLERY:
        return tuple(_image(item, "thumbnail") for item in embed.children("items"))
    if kind == _VIDEO:
        as_gif = embed.optional_string("presentation") == "gif"
        return (_visual(embed, MediaType.GIF if as_gif else MediaType.VIDEO, "playlist"),)
    return ()


def _image(image: JsonObject, thumb_key: str) -> Media:
    return with_changes(
        _visual(image, MediaType.PHOTO, "fullsize"),
        thumbnail_url=image.optional_string(thumb_key) or None,
    )


def _visual(view: JsonObject, kind: MediaType, url_key: str) -> Media:
    ratio = view.child_or_empty("aspectRatio")
    return Media(
        kind,
        view.text(url_key),
        alt=view.text("alt"),
        thumbnail_url=view.optional_string("thumbnail") or None,
        width=ratio.number("width"),
        height=ratio.number("height"),
    )


def _quoted(embed: JsonObject) -> JsonObject:
    """Return the quoted record's view of a record or recordWithMedia embed, else an empty one."""
    kind = embed.optional_string("$type")
    if kind == _RECORD_WITH_MEDIA:
        # recordWithMedia holds a whole record#view, whose `record` is the quoted view.
        return embed.child_or_empty("record").child_or_empty("record")
    return embed.child_or_empty("record") if kind == _RECORD else _EMPTY


def _quote(embed: JsonObject) -> Quote | None:
    quoted = _quoted(embed)
    kind = quoted.optional_string("$type")
    if kind in _QUOTE_GONE:
        return Quote(url=_web_url(view_uri(quoted), _EMPTY), unavailable=True)
    if kind != _QUOTED_POST:
        return None
    value = quoted.child_or_empty("value")
    author = quoted.child_or_empty("author")
    return Quote(
        url=_web_url(view_uri(quoted), author),
        author=read_author(author),
        text=segments(value.text("text"), value.children("facets")),
        media=tuple(media for view in quoted.children("embeds") for media in _media(view)),
        created_at=post_time(quoted),
    )


def _card(embed: JsonObject) -> LinkCard | None:
    kind = embed.optional_string("$type")
    if kind == _RECORD_WITH_MEDIA:
        return _card(embed.child_or_empty("media"))
    if kind == _EXTERNAL:
        external = embed.child_or_empty("external")
        uri = external.text("uri")
        return LinkCard(
            url=uri,
            title=external.text("title") or uri,
            description=external.text("description"),
            image_url=external.optional_string("thumb") or None,
        )
    quoted = _quoted(embed)
    other = _QUOTED_OTHER.get(quoted.text("$type"))
    if other is not None:
        title_key, path = other
        uri = view_uri(quoted)
        url = f"{WEB}/profile/{uri_authority(uri)}/{path}/{uri.rsplit('/', 1)[-1]}"
        return LinkCard(url=url, title=quoted.text(title_key) or url)
    return None


def view_uri(view: JsonObject) -> str:
    """Return the at:// URI of a view."""
    return view.text("uri")


def uri_authority(uri: str) -> str:
    """Return the DID (or handle) an at:// URI starts with."""
    return uri.removeprefix("at://").split("/", 1)[0]


def _actor(author: JsonObject, uri: str) -> str:
    """Return the handle to show in web URLs, or the DID when the handle is broken."""
    handle = author.text("handle")
    if handle and handle != "handle.invalid":
        return handle
    return author.text("did") or uri_authority(uri)


def _web_url(uri: str, author: JsonObject) -> str:
    return f"{WEB}/profile/{_actor(author, uri)}/post/{uri.rsplit('/', 1)[-1]}"


def read_author(profile: JsonObject) -> Author:
    """Return the model author of a profile view."""
    actor = _actor(profile, "")
    return Author(
        handle=actor,
        name=profile.text("displayName").strip() or actor,
        url=f"{WEB}/profile/{actor}",
    )


def post_time(view: JsonObject) -> datetime:
    """Return when the post was written; the AppView's `indexedAt` when `createdAt` is odd.

    `createdAt` is whatever the client wrote (a post view has it in `record`, a quote view in
    `value`); `indexedAt` is the AppView's own and always well-formed.
    """
    record = view.child("record") or view.child_or_empty("value")
    for value in (record.text("createdAt"), view.text("indexedAt")):
        moment = parse_time(value)
        if moment is not None:
            return moment
    raise SourceError(f"no valid time on {view_uri(view)}", platform=PLATFORM)
