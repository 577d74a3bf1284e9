"""Mastodon statuses → model: text, media, quotes, cards, polls, authors. Pure: no I/O.

Reads the Status entities of the REST API (https://docs.joinmastodon.org/entities/Status/) into
frozen
dataclasses, so no upstream dict leaves the Mastodon source; mastodon_html.py turns `content`
into segments. Audio and `unknown` attachments are left out, as the model has no place for them.
"""

from __future__ import annotations

from bot.language import language_tag
from bot.model import Author, LinkCard, Media, MediaType, Platform, Poll, PollOption, Post, Quote
from bot.sources.json_reader import JsonObject
from bot.sources.mastodon_html import to_segments

PLATFORM = Platform.MASTODON.value
_MEDIA_TYPES = {"image": MediaType.PHOTO, "gifv": MediaType.GIF, "video": MediaType.VIDEO}


def read_post(status: JsonObject, host: str) -> Post:
    """Return the model post of a status from the instance `host`."""
    quote = _quote(status.child("quote"), host)
    return Post(
        id=status.text("id"),
        url=status.text("url") or status.text("uri"),
        created_at=status.time("created_at"),
        # Edited posts: `content` is already the current version.
        text=to_segments(status.text("content"), drop_quote_inline=quote is not None),
        media=_media(status),
        quote=quote,
        card=_card(status.child("card")),
        poll=_poll(status.child("poll")),
        content_warning=status.text("spoiler_text") or None,
        language=language_tag(status.data.get("language")),
    )


def read_author(account: JsonObject, host: str) -> Author:
    """Return the model author of an account seen on the instance `host`."""
    # Local accounts' `acct` has no domain; the link's host is the best name for it.
    acct = account.text("acct")
    return Author(
        handle=acct if "@" in acct else f"{acct}@{host}",
        name=account.text("display_name") or account.text("username"),
        url=account.text("url"),
    )


def _quote(value: JsonObject | None, host: str) -> Quote | None:
    """Map a 4.4+ Quote; every state but `accepted`, and a ShallowQuote, is a tombstone."""
    if value is None:
        return None
    quoted = value.child("quoted_status")
    if value.optional_string("state") != "accepted" or quoted is None:
        return Quote(url=None, unavailable=True)
    return Quote(
        url=quoted.text("url") or quoted.text("uri") or None,
        author=read_author(quoted.child_or_empty("account"), host),
        text=to_segments(quoted.text("content"), drop_quote_inline=quoted.has("quote")),
        media=_media(quoted),
        created_at=quoted.time("created_at"),
    )


def _media(status: JsonObject) -> tuple[Media, ...]:
    found = (_attachment(item) for item in status.children("media_attachments"))
    return tuple(media for media in found if media is not None)


def _attachment(item: JsonObject) -> Media | None:
    kind = _MEDIA_TYPES.get(item.text("type"))
    url = item.text("url") or item.text("remote_url")
    if kind is None or not url:
        return None
    size = item.child_or_empty("meta").child_or_empty("original")
    return Media(
        type=kind,
        url=url,
        alt=item.text("description"),
        thumbnail_url=item.optional_string("preview_url") or None,
        width=size.number("width"),
        height=size.number("height"),
    )


def _card(card: JsonObject | None) -> LinkCard | None:
    if card is None or not card.text("url"):
        return None
    return LinkCard(
        url=card.text("url"),
        title=card.text("title"),
        description=card.text("description"),
        image_url=card.optional_string("image") or None,
    )


def _poll(poll: JsonObject | None) -> Poll | None:
    if poll is None:
        return None
    options = tuple(
        PollOption(label=option.text("title"), votes=option.number("votes_count"))
        for option in poll.children("options")
    )
    return Poll(
        options=options,
        total_votes=poll.number("votes_count"),
        ends_at=poll.optional_time("expires_at"),
        closed=poll.flag("expired"),
    )
