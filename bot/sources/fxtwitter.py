"""X through FxTwitter: `/2/thread/{id}` JSON → the author's own chain. Adapter.

FxTwitter walks the conversation up and down itself (upstream-apis.md §1.2.4), so one GET gives
the whole chain; this module keeps the author's own posts, turns tombstones into gaps and maps
FxTwitter's statuses to errors.py in one table. The pure pieces that read X's JSON and turn its
entities (code-point offsets) into Segments live here too, and x_api.py imports them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import quote as url_quote

from bot.errors import (
    PostPrivateError,
    PostUnavailableError,
    SourceError,
    UnrollError,
    UnsupportedLinkError,
)
from bot.model import (
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
    SegmentKind,
    Thread,
    ThreadKey,
)
from bot.net.http import HttpClient, Response
from bot.sources import ProgressCallback, SourceConfig

PLATFORM = Platform.X.value
X_WEB = "https://x.com"
ONLY_ONE_POST_NOTE = "X returned only this post; the thread may continue."

# FxTwitter's answers other than 200 (upstream-apis.md §1.2.2): 400 is its "not a numeric
# snowflake" (so the link itself is bad), 401 a private or protected post, 404 unknown or gone.
_STATUS_ERRORS: Mapping[int, type[UnrollError]] = {
    400: UnsupportedLinkError,
    401: PostPrivateError,
    403: PostPrivateError,
    404: PostUnavailableError,
}


@dataclass(frozen=True, slots=True)
class JsonObject:
    """One upstream JSON object, read by type: a wrong type is the source's failure, not a bug."""

    data: Mapping[str, object]

    @classmethod
    def of(cls, value: object, what: str = "answer") -> JsonObject:
        """Wrap `value`, which must be a JSON object."""
        if not isinstance(value, Mapping):
            raise SourceError(f"X {what} is not a JSON object", platform=PLATFORM)
        return cls(value)

    def string(self, key: str) -> str:
        """Return the required string `key`."""
        value = self.optional_string(key)
        if value is None:
            raise SourceError(f"X answer lacks the string {key!r}", platform=PLATFORM)
        return value

    def optional_string(self, key: str) -> str | None:
        """Return the string `key`, or None when it is absent or null."""
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise SourceError(f"X answer has a non-string {key!r}", platform=PLATFORM)

    def number(self, key: str) -> int | None:
        """Return the integer `key` (floats are truncated), or None when absent or null."""
        value = self.data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
        return None

    def integers(self, key: str) -> list[int]:
        """Return the list of integers `key` (offset pairs), empty when absent."""
        value = self.data.get(key)
        if not isinstance(value, list):
            return []
        return [
            int(item) for item in value if isinstance(item, int) and not isinstance(item, bool)
        ]

    def child(self, key: str) -> JsonObject | None:
        """Return the object `key`, or None when it is absent or null."""
        value = self.data.get(key)
        return None if value is None else JsonObject.of(value, key)

    def children(self, key: str) -> list[JsonObject] | None:
        """Return the list of objects `key`, or None when it is absent or null."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise SourceError(f"X answer has a non-list {key!r}", platform=PLATFORM)
        return [JsonObject.of(item, key) for item in value]


@dataclass(frozen=True, slots=True)
class XEntity:
    """One entity of an X post's text: `[start, end)` in code points, and what it becomes.

    `kind` None drops the range from the text (a media placeholder link). `expected` is what X
    says sits in the range (the t.co link, the handle, the tag); it tells which text the offsets
    count in, see `build_segments`.
    """

    start: int
    end: int
    kind: SegmentKind | None
    url: str | None = None
    display: str | None = None
    expected: str | None = None


def mention_url(handle: str) -> str:
    """Return the profile URL a mention of `handle` points at."""
    return f"{X_WEB}/{handle}"


def hashtag_url(tag: str) -> str:
    """Return the hashtag page for `tag` (percent-encoded: tags may be in any script)."""
    return f"{X_WEB}/hashtag/{url_quote(tag, safe='')}"


def post_url(handle: str, post_id: str) -> str:
    """Return the canonical x.com URL of a post."""
    return f"{X_WEB}/{handle}/status/{post_id}"


def x_author(handle: str, name: str | None) -> Author:
    """Return the Author for an X account."""
    return Author(handle=handle, name=name or handle, url=mention_url(handle))


def build_segments(
    raw_text: str, entities: Sequence[XEntity], display_range: Sequence[int] = ()
) -> tuple[Segment, ...]:
    """Cut X post text into Segments at its entities, keeping only the displayed range.

    Offsets are Unicode code points (upstream-apis.md §1.2.3), which is how Python indexes str.
    X escapes `&`, `<` and `>` in the text; whether its offsets count the escaped or the plain
    text is not documented, so the entities' `expected` text decides (see `_offset_text`).
    Entities outside `display_range` (leading reply mentions, trailing media links) vanish.
    """
    text, still_escaped = _offset_text(raw_text, entities)
    start, end = (
        (display_range[0], display_range[1]) if len(display_range) == 2 else (0, len(text))
    )
    segments: list[Segment] = []
    cursor = start
    for entity in sorted(entities, key=lambda item: item.start):
        if entity.start < cursor or entity.end > end:
            continue
        _append_text(segments, text[cursor : entity.start], unescape=still_escaped)
        if entity.kind is not None:
            shown = entity.display or text[entity.start : entity.end]
            segments.append(Segment(entity.kind, shown, entity.url))
        cursor = entity.end
    _append_text(segments, text[cursor:end], unescape=still_escaped)
    return _trimmed(segments)


def _offset_text(raw_text: str, entities: Sequence[XEntity]) -> tuple[str, bool]:
    """Return the text the offsets count in, and whether its plain runs still need unescaping."""
    plain = html.unescape(raw_text)
    if plain == raw_text or all(_sits_at(plain, entity) for entity in entities):
        return plain, False
    return raw_text, True


def _sits_at(text: str, entity: XEntity) -> bool:
    found = text[entity.start : entity.end].casefold()
    return entity.expected is None or found.endswith(entity.expected.casefold())


def _append_text(segments: list[Segment], text: str, *, unescape: bool) -> None:
    text = html.unescape(text) if unescape else text
    if not text:
        return
    if segments and segments[-1].kind is SegmentKind.TEXT:
        # A dropped entity (a media link) leaves two runs of plain text side by side.
        segments[-1] = Segment(SegmentKind.TEXT, segments[-1].text + text)
    else:
        segments.append(Segment(SegmentKind.TEXT, text))


def _trimmed(segments: list[Segment]) -> tuple[Segment, ...]:
    if segments and segments[-1].kind is SegmentKind.TEXT:
        # The space before a removed media link would otherwise end the post.
        segments[-1] = Segment(SegmentKind.TEXT, segments[-1].text.rstrip())
    return tuple(segment for segment in segments if segment.text)


async def fetch_thread(
    key: ThreadKey,
    *,
    http: HttpClient,
    config: SourceConfig,
    progress: ProgressCallback | None = None,
) -> Thread:
    """Return the author's own chain that the post `key` belongs to, oldest first.

    Raises:
        UnsupportedLinkError: FxTwitter calls the id malformed.
        PostUnavailableError, PostPrivateError: the post is gone, or private.
        SourceError, RateLimitedError, SourceTimeoutError: FxTwitter failed.
    """
    url = f"{config.fxtwitter_api_url.rstrip('/')}/2/thread/{key.post_id}"
    response = await http.get(url, platform=PLATFORM)
    if response.status != 200:
        raise _status_error(response)
    thread = parse_thread(key, JsonObject.of(response.json()), max_posts=config.max_posts)
    if progress is not None:
        # FxTwitter answers in one call, so there is only one count to report.
        await progress(len(thread.posts))
    return thread


def _status_error(response: Response) -> UnrollError:
    detail = f"FxTwitter answered {response.status}"
    if response.status == 401 and b"User-Agent" in response.content:
        # The refusal of an unidentified client (§1.2.1) is our fault, not a private post.
        return SourceError(f"{detail}: User-Agent refused", platform=PLATFORM)
    error = _STATUS_ERRORS.get(response.status, SourceError)
    return error(detail, platform=PLATFORM)


def parse_thread(key: ThreadKey, envelope: JsonObject, *, max_posts: int) -> Thread:
    """Turn FxTwitter's `/2/thread` envelope into the author's chain, capped at `max_posts`."""
    status = envelope.child("status")
    if status is None or _is_tombstone(status):
        raise PostUnavailableError(f"FxTwitter has no post {key.post_id}", platform=PLATFORM)
    author_json = _required(status, "author")
    entries = envelope.children("thread")
    if entries is None:
        # An instance without X credentials answers with the single post (§1.2.4).
        report = Report(posts=1, complete=False, note=ONLY_ONE_POST_NOTE)
        return _thread(key, _author(author_json), [parse_post(status)], report)
    posts, deleted, skipped = _own_chain(entries, author_json.string("id"))
    report = Report(posts=len(posts), deleted=deleted, skipped_other_authors=skipped)
    return _thread(key, _author(author_json), *capped(posts, report, max_posts))


def capped(posts: list[Post], report: Report, max_posts: int) -> tuple[list[Post], Report]:
    """Keep the first `max_posts` posts, saying so in the report when the chain was longer."""
    if len(posts) <= max_posts:
        return posts, report
    note = f"The thread is longer than {max_posts} posts; only the first {max_posts} are shown."
    return posts[:max_posts], replace(report, posts=max_posts, complete=False, note=note)


def _thread(key: ThreadKey, author: Author, posts: list[Post], report: Report) -> Thread:
    return Thread(
        key=key,
        source=Platform.X,
        url=posts[0].url,
        author=author,
        posts=tuple(posts),
        report=report,
        fetched_at=datetime.now(UTC),
    )


def _own_chain(entries: list[JsonObject], author_id: str) -> tuple[list[Post], int, int]:
    """Return the author's posts with their gaps, the deleted count and the others' count.

    FxTwitter walks upwards through any author, so a thread that answers someone else starts
    with their posts (§1.2.4); those are dropped and counted. Tombstones become gaps.
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
    author = _author(_required(entry, "author"))
    post_id = entry.string("id")
    return Post(
        id=post_id,
        url=post_url(author.handle, post_id),
        created_at=_created_at(entry),
        text=_text(entry),
        media=_media(entry),
        quote=_quote(entry),
        card=_card(entry),
        poll=_poll(entry),
        gap_before=gap_before,
    )


def _created_at(entry: JsonObject) -> datetime:
    timestamp = entry.number("created_timestamp")
    if timestamp is not None:
        return datetime.fromtimestamp(timestamp, UTC)
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
    entities = [_facet_entity(facet) for facet in raw.children("facets") or []]
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
        return XEntity(start, end, SegmentKind.LINK, target, display, expected=original)
    if kind == "mention" and original:
        return XEntity(start, end, SegmentKind.MENTION, mention_url(original), expected=original)
    if kind == "hashtag" and original:
        return XEntity(start, end, SegmentKind.HASHTAG, hashtag_url(original), expected=original)
    if kind == "media":
        return XEntity(start, end, None, expected=original)
    return None  # cashtags and note-tweet styling stay plain text


def _media(entry: JsonObject) -> tuple[Media, ...]:
    media = entry.child("media")
    items = (media.children("all") if media else None) or []
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
    mp4s = [f for f in item.children("formats") or [] if f.optional_string("container") == "mp4"]
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
        for choice in poll.children("choices") or []
    )
    ends_at = parse_iso_time(poll.optional_string("ends_at"))
    closed = ends_at is not None and ends_at <= datetime.now(UTC)
    return Poll(options, total_votes=poll.number("total_votes"), ends_at=ends_at, closed=closed)


def parse_iso_time(value: str | None) -> datetime | None:
    """Parse an ISO 8601 time such as "2025-03-16T22:44:33Z"; None stays None."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SourceError(f"unreadable time {value!r} from X", platform=PLATFORM) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
