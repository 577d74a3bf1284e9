"""X API v2 post objects → model: text, media, quotes, polls, cards, authors. Pure: no I/O.

A v2 answer carries its posts in `data` and everything they point at (users, media, polls,
quoted posts) in `includes`, by id; `Includes` gathers those
over every answer of one unroll, and `read_post` resolves a post against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.errors import SourceError
from bot.language import language_tag
from bot.model import (
    Author,
    LinkCard,
    Media,
    MediaType,
    Poll,
    PollOption,
    Post,
    Quote,
    Segment,
    SegmentKind,
)
from bot.sources.json_reader import JsonObject
from bot.sources.x_text import (
    PLATFORM,
    XEntity,
    build_segments,
    hashtag_url,
    mention_url,
    post_url,
    x_author,
)

_MEDIA_TYPES = {"photo": MediaType.PHOTO, "video": MediaType.VIDEO, "animated_gif": MediaType.GIF}


@dataclass
class Includes:
    """The expanded objects of every answer so far, by id (users, media, polls, posts)."""

    users: dict[str, JsonObject] = field(default_factory=dict)
    media: dict[str, JsonObject] = field(default_factory=dict)
    polls: dict[str, JsonObject] = field(default_factory=dict)
    tweets: dict[str, JsonObject] = field(default_factory=dict)

    def merge(self, body: JsonObject) -> None:
        """Add the `includes` of one answer."""
        includes = body.child("includes")
        if includes is None:
            return
        for name, table, key in (
            ("users", self.users, "id"),
            ("media", self.media, "media_key"),
            ("polls", self.polls, "id"),
            ("tweets", self.tweets, "id"),
        ):
            table.update((item.string(key), item) for item in includes.children(name))

    def user(self, user_id: str) -> JsonObject:
        """Return the user `user_id`; X always expands the authors it names."""
        found = self.users.get(user_id)
        if found is None:
            raise SourceError(f"X answer lacks user {user_id}", platform=PLATFORM)
        return found


def referenced_id(data: JsonObject, kind: Literal["replied_to", "quoted"]) -> str | None:
    """Return the id of the post `data` answers or quotes, by `referenced_tweets` type."""
    references = data.children("referenced_tweets")
    return next((ref.string("id") for ref in references if ref.text("type") == kind), None)


def read_author(includes: Includes, user_id: str) -> Author:
    """Return the model author of the user `user_id` of `includes`."""
    account = includes.user(user_id)
    return x_author(account.string("username"), account.optional_string("name"))


def read_post(data: JsonObject, includes: Includes, *, gap_before: int) -> Post:
    """Return the model post of a v2 post object, its media and quote found in `includes`."""
    post_id = data.string("id")
    return Post(
        id=post_id,
        url=post_url(includes.user(data.string("author_id")).string("username"), post_id),
        created_at=data.time("created_at"),
        text=_text(data),
        media=_media(data, includes),
        quote=_quote(data, includes),
        card=_card(data),
        poll=_poll(data, includes),
        gap_before=gap_before,
        language=language_tag(data.data.get("lang")),
    )


def _text(data: JsonObject) -> tuple[Segment, ...]:
    note = data.child("note_tweet")
    if note is not None:
        # A long post's `text` is cut at 280 characters; the note holds all of it.
        return build_segments(note.string("text"), _entities(note.child("entities")))
    return build_segments(
        data.string("text"), _entities(data.child("entities")), data.integers("display_text_range")
    )


def _entities(entities: JsonObject | None) -> list[XEntity]:
    if entities is None:
        return []
    found: list[XEntity] = []
    for item in entities.children("urls"):
        span = _span(item)
        if item.optional_string("media_key"):
            found.append(XEntity(*span, None, expected=item.optional_string("url")))
            continue
        target = item.optional_string("unwound_url") or item.optional_string("expanded_url")
        display = item.optional_string("display_url") or target
        found.append(
            XEntity(*span, SegmentKind.LINK, target, display, item.optional_string("url"))
        )
    for item in entities.children("mentions"):
        handle = item.string("username")
        found.append(
            XEntity(*_span(item), SegmentKind.MENTION, mention_url(handle), expected=handle)
        )
    for item in entities.children("hashtags"):
        tag = item.string("tag")
        found.append(XEntity(*_span(item), SegmentKind.HASHTAG, hashtag_url(tag), expected=tag))
    return found


def _span(entity: JsonObject) -> tuple[int, int]:
    return entity.number("start") or 0, entity.number("end") or 0


def _attached(data: JsonObject, key: str) -> list[str]:
    attachments = data.child("attachments")
    return attachments.strings(key) if attachments else []


def _media(data: JsonObject, includes: Includes) -> tuple[Media, ...]:
    keys = _attached(data, "media_keys")
    items = (includes.media[key] for key in keys if key in includes.media)
    return tuple(media for media in map(_media_item, items) if media is not None)


def _media_item(item: JsonObject) -> Media | None:
    kind = _MEDIA_TYPES.get(item.optional_string("type") or "")
    if kind is None:
        return None
    thumbnail = item.optional_string("preview_image_url")
    url = item.string("url") if kind is MediaType.PHOTO else _best_variant(item) or thumbnail
    if url is None:
        return None  # a video with neither a playable file nor a still: nothing to show
    return Media(
        type=kind,
        url=url,
        alt=item.optional_string("alt_text") or "",
        thumbnail_url=None if kind is MediaType.PHOTO else thumbnail,
        width=item.number("width"),
        height=item.number("height"),
    )


def _best_variant(item: JsonObject) -> str | None:
    """Return the best MP4's URL; None when X offers none (a stream only, or still processing)."""
    mp4s = [
        variant
        for variant in item.children("variants")
        if variant.optional_string("content_type") == "video/mp4"
    ]
    if not mp4s:
        return None
    return max(mp4s, key=lambda variant: variant.number("bit_rate") or 0).string("url")


def _quote(data: JsonObject, includes: Includes) -> Quote | None:
    quoted_id = referenced_id(data, "quoted")
    if quoted_id is None:
        return None
    quoted = includes.tweets.get(quoted_id)
    if quoted is None:
        # A quoted post X did not expand is gone or hidden; it comes back in `errors`.
        return Quote(url=f"https://x.com/i/status/{quoted_id}", unavailable=True)
    author = read_author(includes, quoted.string("author_id"))
    return Quote(
        url=post_url(author.handle, quoted_id),
        author=author,
        text=_text(quoted),
        media=_media(quoted, includes),
        created_at=quoted.optional_time("created_at"),
    )


def _poll(data: JsonObject, includes: Includes) -> Poll | None:
    poll = next((includes.polls.get(key) for key in _attached(data, "poll_ids")), None)
    if poll is None:
        return None
    options = sorted(poll.children("options"), key=lambda item: item.number("position") or 0)
    votes = [option.number("votes") for option in options]
    return Poll(
        options=tuple(
            PollOption(option.string("label"), count)
            for option, count in zip(options, votes, strict=True)
        ),
        total_votes=sum(count or 0 for count in votes),
        ends_at=poll.optional_time("end_datetime"),
        closed=poll.optional_string("voting_status") == "closed",
    )


def _card(data: JsonObject) -> LinkCard | None:
    """Use the first link X unwound with a title as the post's preview card."""
    entities = data.child("entities")
    for item in entities.children("urls") if entities else []:
        title = item.optional_string("title")
        target = item.optional_string("unwound_url") or item.optional_string("expanded_url")
        if title and target:
            images = item.children("images")
            return LinkCard(
                url=target,
                title=title,
                description=item.optional_string("description") or "",
                image_url=images[0].optional_string("url") if images else None,
            )
    return None
