"""FxTwitter's `/2/thread` JSON → the author's own chain in the model. Pure: no I/O.

FxTwitter walks upwards through any author, so the answer starts with
the other side's posts when the thread answers someone; they are dropped and counted, and
tombstones become gaps. Entities are cut into Segments by x_text.py, which x_api.py shares.
A timestamp no `datetime` can hold is the source's failure (`SourceError`): a post without a
date cannot be placed in its thread.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.errors import PostUnavailableError, SourceError
from bot.i18n import N_
from bot.language import language_tag
from bot.model import (
    HASHTAG,
    LINK,
    MENTION,
    Author,
    LinkCard,
    Media,
    MediaType,
    Platform,
    Poll,
    PollOption,
    Post,
    Quote,
    Report,
    Segment,
    Thread,
    ThreadKey,
)
from bot.sources.json_reader import JsonObject, time_from_epoch
from bot.sources.x_text import (
    PLATFORM,
    XEntity,
    build_segments,
    hashtag_url,
    mention_url,
    post_url,
    x_author,
)

ONLY_ONE_POST_NOTE = N_("X returned only this post; the thread may continue.")


def parse_thread(key: ThreadKey, envelope: JsonObject) -> Thread:
    """Turn FxTwitter's `/2/thread` envelope into the author's chain (not yet capped)."""
    status = envelope.child("status")
    if status is None or _is_tombstone(status):
        raise PostUnavailableError(f"FxTwitter has no post {key.post_id}", platform=PLATFORM)
    author_json = _required(status, "author")
    if not envelope.has("thread"):
        # An FxTwitter instance without X credentials answers with the single post alone.
        report = Report(posts=1, complete=False, note=ONLY_ONE_POST_NOTE)
        return _thread(key, _author(author_json), [parse_post(status)], report)
    posts, deleted, skipped = _own_chain(envelope.children("thread"), author_json.string("id"))
    report = Report(posts=len(posts), deleted=deleted, skipped_other_authors=skipped)
    return _thread(key, _author(author_json), posts, report)


def _thread(key: ThreadKey, author: Author, posts: list[Post], report: Report) -> Thread:
    return Thread(
        key=key,
        source=Platform.X,
        url=posts[0].url,
        author=author,
        posts=tuple(posts),
        report=report,
    )


def _own_chain(entries: list[JsonObject], author_id: str) -> tuple[list[Post], int, int]:
    """Return the author's posts with their gaps, the deleted count and the others' count.

    FxTwitter walks upwards through any author, so a thread that answers someone else starts
    with their posts; those are dropped and counted. Tombstones become gaps.
    """
    first = next((i for i, entry in enumerate(entries) if _is_by(entry, author_id)), None)
    if first is None:
        raise PostUnavailableError("the thread holds no post of its author", platform=PLATFORM)
    lead = entries[:first]
    skipped = sum(1 for entry in lead if not _is_tombstone(entry))
    # Tombstones right above the first own post belong to the chain only when that post
    # answers its own author; above a reply to someone else they are the other side's.
    gap = _trailing_tombstones(lead) if _answers_own_author(entries[first]) else 0
    posts: list[Post] = []
    deleted = gap
    for entry in entries[first:]:
        if _is_tombstone(entry):
            deleted += 1
            gap += 1
        elif _is_by(entry, author_id):
            posts.append(parse_post(entry, gap_before=gap))
            gap = 0
        else:
            skipped += 1
    return posts, deleted, skipped


def _trailing_tombstones(entries: list[JsonObject]) -> int:
    count = 0
    for entry in reversed(entries):
        if not _is_tombstone(entry):
            break
        count += 1
    return count


def _is_tombstone(entry: JsonObject) -> bool:
    return entry.optional_string("type") == "tombstone"


def _is_by(entry: JsonObject, author_id: str) -> bool:
    author = entry.child("author")
    return not _is_tombstone(entry) and author is not None and author.string("id") == author_id


def _answers_own_author(entry: JsonObject) -> bool:
    replying_to = entry.child("replying_to")
    author = _required(entry, "author")
    if replying_to is None:
        return False
    return replying_to.string("screen_name").casefold() == author.string("screen_name").casefold()


def _required(entry: JsonObject, key: str) -> JsonObject:
    value = entry.child(key)
    if value is None:
        raise SourceError(f"FxTwitter post lacks {key!r}", platform=PLATFORM)
    return value


def _author(author: JsonObject) -> Author:
    return x_author(author.string("screen_name"), author.optional_string("name"))


def parse_post(entry: JsonObject, *, gap_before: int = 0) -> Post:
    """Turn one FxTwitter status object into a Post."""
    # A post keeps no author of its own (the thread's is read once): only the handle its URL
    # needs is read here.
    handle = _required(entry, "author").string("screen_name")
    post_id = entry.string("id")
    return Post(
        id=post_id,
        url=post_url(handle, post_id),
        created_at=_created_at(entry),
        text=_text(entry),
        media=_media(entry),
        quote=_quote(entry),
        card=_card(entry),
        poll=_poll(entry),
        gap_before=gap_before,
        language=language_tag(entry.data.get("lang")),
    )


def _created_at(entry: JsonObject) -> datetime:
    timestamp = entry.number("created_timestamp")
    if timestamp is not None:
        moment = time_from_epoch(timestamp)
        if moment is None:
            raise SourceError(f"FxTwitter post has the timestamp {timestamp}", platform=PLATFORM)
        return moment
    # X's legacy format, "Tue Mar 18 18:07:30 +0000 2025".
    try:
        return datetime.strptime(entry.string("created_at"), "%a %b %d %H:%M:%S %z %Y")
    except ValueError as exc:
        raise SourceError("FxTwitter post has an unreadable date", platform=PLATFORM) from exc


def _text(entry: JsonObject) -> tuple[Segment, ...]:
    raw = entry.child("raw_text")
    if raw is None:
        # Without raw_text there are no offsets: the display text is all there is.
        return build_segments(entry.optional_string("text") or "", ())
    entities = [_facet_entity(facet) for facet in raw.children("facets")]
    return build_segments(
        raw.string("text"),
        [entity for entity in entities if entity is not None],
        raw.integers("display_text_range"),
    )


def _facet_entity(facet: JsonObject) -> XEntity | None:
    indices = facet.integers("indices")
    if len(indices) != 2:
        return None
    start, end = indices
    kind = facet.optional_string("type")
    original = facet.optional_string("original")
    if kind == "url":
        target = facet.optional_string("replacement") or original
        display = facet.optional_string("display") or target
        return XEntity(start, end, LINK, target, display, expected=original)
    if kind == "mention" and original:
        return XEntity(start, end, MENTION, mention_url(original), expected=original)
    if kind == "hashtag" and original:
        return XEntity(start, end, HASHTAG, hashtag_url(original), expected=original)
    if kind == "media":
        return XEntity(start, end, None, expected=original)
    return None  # cashtags and note-tweet styling stay plain text


def _media(entry: JsonObject) -> tuple[Media, ...]:
    media = entry.child("media")
    items = media.children("all") if media else []
    return tuple(item for item in map(_media_item, items) if item is not None)


_MEDIA_TYPES = {"photo": MediaType.PHOTO, "video": MediaType.VIDEO, "gif": MediaType.GIF}


def _media_item(item: JsonObject) -> Media | None:
    kind = _MEDIA_TYPES.get(item.optional_string("type") or "")
    if kind is None:
        return None
    if kind is MediaType.PHOTO:
        url, thumbnail = item.string("url"), None
    else:
        url, thumbnail = _best_video_url(item), item.optional_string("thumbnail_url")
    return Media(
        type=kind,
        url=url,
        alt=item.optional_string("altText") or "",
        thumbnail_url=thumbnail,
        width=item.number("width"),
        height=item.number("height"),
    )


def _best_video_url(item: JsonObject) -> str:
    mp4s = [f for f in item.children("formats") if f.optional_string("container") == "mp4"]
    if not mp4s:
        return item.string("url")
    return max(mp4s, key=lambda variant: variant.number("bitrate") or 0).string("url")


def _quote(entry: JsonObject) -> Quote | None:
    quoted = entry.child("quote")
    if quoted is None:
        return None
    if _is_tombstone(quoted):
        return Quote(url=quoted.optional_string("url"), unavailable=True)
    author = _author(_required(quoted, "author"))
    return Quote(
        url=post_url(author.handle, quoted.string("id")),
        author=author,
        text=_text(quoted),
        media=_media(quoted),
        created_at=_created_at(quoted),
    )


def _poll(entry: JsonObject) -> Poll | None:
    poll = entry.child("poll")
    if poll is None:
        return None
    options = tuple(
        PollOption(label=choice.string("label"), votes=choice.number("count"))
        for choice in poll.children("choices")
    )
    ends_at = poll.optional_time("ends_at")
    closed = ends_at is not None and ends_at <= datetime.now(UTC)
    return Poll(options, total_votes=poll.number("total_votes"), ends_at=ends_at, closed=closed)


def _card(entry: JsonObject) -> LinkCard | None:
    card = entry.child("card")
    url = card.optional_string("url") if card else None
    if card is None or url is None:
        return None
    image = card.child("image")
    return LinkCard(
        url=url,
        title=card.optional_string("title") or card.optional_string("domain") or url,
        description=card.optional_string("description") or "",
        image_url=image.optional_string("url") if image else None,
    )
