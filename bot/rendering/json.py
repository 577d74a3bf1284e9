"""The CONTRACT's JSON shape of a thread, for `unroll --format json`. Pure: no I/O.

The contract fixes `source`, `url`, `author`, `posts` (`id`, `url`, `created_at`, `text`,
`media`, `quote`) and `report`; every key after those is an extra that keeps the output
lossless (segments, card, poll, content warning, reflow and gap marks, and `lang`: the BCP 47
tag of each post and the thread's most common one, null when unknown). Contract keys come
first in each object so a reader sees the fixed part before the extras. A post's `text` writes
each link as its full URL, as plain text does; its `segments` keep what the post showed.
Strings lose the characters XML forbids, which JSON in UTF-8 cannot carry either (a lone
surrogate).
"""

from __future__ import annotations

from datetime import datetime

import orjson

from bot.language import language_tag
from bot.model import Author, LinkCard, Media, Poll, Post, Quote, Report, Segment, Thread
from bot.rendering import RenderOptions, text
from bot.safety import clean_text

JsonObject = dict[str, object]


def render(thread: Thread, options: RenderOptions = RenderOptions()) -> str:
    """Return the thread as pretty JSON (2-space indent), ending with a newline.

    The options do not apply: the JSON has no header or footer to leave out.
    """
    document: JsonObject = {
        "source": thread.source.value,
        "url": thread.url,
        "author": _author(thread.author),
        "posts": [_post(post) for post in thread.posts],
        "report": _report(thread.report),
        "lang": thread.language,
    }
    return orjson.dumps(
        _clean(document), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    ).decode()


def _clean(value: object) -> object:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _author(author: Author) -> JsonObject:
    return {"handle": author.handle, "name": author.name, "url": author.url}


def _post(post: Post) -> JsonObject:
    return {
        "id": post.id,
        "url": post.url,
        "created_at": post.created_at.isoformat(),
        "text": text.linked_text(post.text),
        "media": [_media(item) for item in post.media],
        "quote": _quote(post.quote) if post.quote else None,
        "segments": _segments(post.text),
        "card": _card(post.card) if post.card else None,
        "poll": _poll(post.poll) if post.poll else None,
        "content_warning": post.content_warning,
        "joins_next": post.joins_next,
        "gap_before": post.gap_before,
        "lang": language_tag(post.language),
    }


def _media(media: Media) -> JsonObject:
    return {
        "type": media.type.value,
        "url": media.url,
        "alt": media.alt,
        "thumbnail_url": media.thumbnail_url,
        "width": media.width,
        "height": media.height,
    }


def _quote(quote: Quote) -> JsonObject:
    return {
        "url": quote.url,
        "author": _author(quote.author) if quote.author else None,
        "text": "".join(segment.text for segment in quote.text),
        "unavailable": quote.unavailable,
        "created_at": _moment(quote.created_at),
        "media": [_media(item) for item in quote.media],
        "segments": _segments(quote.text),
    }


def _segments(segments: tuple[Segment, ...]) -> list[JsonObject]:
    return [{"kind": s.kind.value, "text": s.text, "url": s.url} for s in segments]


def _card(card: LinkCard) -> JsonObject:
    return {
        "url": card.url,
        "title": card.title,
        "description": card.description,
        "image_url": card.image_url,
    }


def _poll(poll: Poll) -> JsonObject:
    return {
        "options": [{"label": option.label, "votes": option.votes} for option in poll.options],
        "total_votes": poll.total_votes,
        "ends_at": _moment(poll.ends_at),
        "closed": poll.closed,
    }


def _report(report: Report) -> JsonObject:
    return {
        "posts": report.posts,
        "deleted": report.deleted,
        "skipped_other_authors": report.skipped_other_authors,
        "complete": report.complete,
        "note": report.note,
        "other_branch_posts": report.other_branch_posts,
        "other_branch_url": report.other_branch_url,
        "other_branch_more": report.other_branch_more,
    }


def _moment(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
