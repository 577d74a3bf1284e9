"""The thread model: frozen dataclasses every part of the flow speaks. Pure: no I/O.

Sources build these from their platform's JSON; cleaning returns new ones; renderers only read
them. Nothing downstream of a source ever sees an upstream dict.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from bot.language import language_tag, most_common

_T = TypeVar("_T")


class Platform(StrEnum):
    """Where a thread lives."""

    X = "x"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    THREADS = "threads"

    @property
    def display_name(self) -> str:
        """Return the name people know the platform by, e.g. "Mastodon"."""
        return _DISPLAY_NAMES[self]


_DISPLAY_NAMES = {
    Platform.X: "X",
    Platform.MASTODON: "Mastodon",
    Platform.BLUESKY: "Bluesky",
    Platform.THREADS: "Threads",
}


@dataclass(frozen=True, slots=True)
class ThreadKey:
    """The canonical name of a requested post, used for caching and single flight.

    `host` is `x.com` for X, the instance host for Mastodon and `bsky.app` for Bluesky.
    `post_id` is the status id for X and Mastodon, and `AUTHORITY/RKEY` for Bluesky, where
    AUTHORITY is a DID or a lower-cased handle.
    """

    platform: Platform
    host: str
    post_id: str

    def __str__(self) -> str:
        return f"{self.platform.value}:{self.host}:{self.post_id}"

    @classmethod
    def parse(cls, text: str) -> ThreadKey:
        """Invert `str(key)`; raises ValueError for anything else.

        Only a Bluesky id holds colons (a DID) and only a Mastodon host does (`host:port`), so
        the host ends at the next colon for Bluesky and at the last one otherwise.
        """
        name, rest = text.split(":", 1)
        platform = Platform(name)
        if platform is Platform.BLUESKY:
            host, post_id = rest.split(":", 1)
        else:
            host, post_id = rest.rsplit(":", 1)
        return cls(platform, host, post_id)


class SegmentKind(StrEnum):
    """What a run of post text is."""

    TEXT = "text"
    LINK = "link"
    MENTION = "mention"
    HASHTAG = "hashtag"


# The kinds as module names, for the loops that test every segment of every post (cleaning,
# reading, rendering): reading a member off its enum class goes through the enum metaclass's
# attribute hook, some 75 ns on Python 3.11, ten times reading a global. The same objects.
TEXT = SegmentKind.TEXT
LINK = SegmentKind.LINK
MENTION = SegmentKind.MENTION
HASHTAG = SegmentKind.HASHTAG


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of post text. Paragraph breaks are "\\n\\n" and line breaks "\\n" inside TEXT.

    `text` is what the post shows (a shortened link text, "@alice", "#tag"); `url` is the real
    target for links, mentions and hashtags, and None for plain text (and for a mention or
    hashtag whose target `safety` refused).
    """

    kind: SegmentKind
    text: str
    url: str | None = None


class MediaType(StrEnum):
    """Kinds of attached media."""

    PHOTO = "photo"
    VIDEO = "video"
    GIF = "gif"


@dataclass(frozen=True, slots=True)
class Media:
    """One attachment, with the best URL the source offers and its alt text."""

    type: MediaType
    url: str
    alt: str = ""
    thumbnail_url: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a post. `handle` has no leading "@" (Mastodon: `user@instance`)."""

    handle: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Quote:
    """A quoted post, or a tombstone for one that is gone (`unavailable` true, no content)."""

    url: str | None
    author: Author | None = None
    text: tuple[Segment, ...] = ()
    media: tuple[Media, ...] = ()
    created_at: datetime | None = None
    unavailable: bool = False


@dataclass(frozen=True, slots=True)
class LinkCard:
    """The preview card of a link in a post."""

    url: str
    title: str
    description: str = ""
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class PollOption:
    """One answer of a poll and its votes, when known."""

    label: str
    votes: int | None = None


@dataclass(frozen=True, slots=True)
class Poll:
    """A poll attached to a post."""

    options: tuple[PollOption, ...]
    total_votes: int | None = None
    ends_at: datetime | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Post:
    """One post of the author's chain.

    `gap_before` counts posts of the chain that were deleted or unavailable right before this
    one, so renderers can mark the hole where it is. `joins_next` is set by the reflow
    cleaning step when this post ends mid-sentence and reads on into the next one.
    `closed_by_marker` is set by cleaning when it removed a "read on" emoji (🧵, 👇) that ended
    the post: the author closed the thought there, even without a full stop.
    `language` is the BCP 47 tag the source gave the post (`language.language_tag`), or None.
    """

    id: str
    url: str
    created_at: datetime
    text: tuple[Segment, ...]
    media: tuple[Media, ...] = ()
    quote: Quote | None = None
    card: LinkCard | None = None
    poll: Poll | None = None
    content_warning: str | None = None
    gap_before: int = 0
    joins_next: bool = False
    closed_by_marker: bool = False
    language: str | None = None

    @property
    def plain_text(self) -> str:
        """Return the visible text of the post."""
        return "".join(segment.text for segment in self.text)


@dataclass(frozen=True, slots=True)
class Report:
    """How complete the unroll is.

    `complete` is False when the chain may go on beyond what was fetched (a cap was hit, the
    source only gave one post, a search window ended); `note` then says why in one sentence.

    The author may reply twice to one post of the thread (a fork). The thread follows one
    branch; `other_branch_posts` counts the author's posts on the other branches that the walk
    saw, `other_branch_url` links the earliest branch's first post, and `complete` is then
    False. `other_branch_more` is True when the walk did not fetch below some of those posts,
    so the other branches may hold more posts than counted.
    """

    posts: int
    deleted: int = 0
    skipped_other_authors: int = 0
    complete: bool = True
    note: str | None = None
    other_branch_posts: int = 0
    other_branch_url: str | None = None
    other_branch_more: bool = False


@dataclass(frozen=True, slots=True)
class Thread:
    """An author's chain of posts, oldest first, with its completeness report."""

    key: ThreadKey
    source: Platform
    url: str
    author: Author
    posts: tuple[Post, ...]
    report: Report
    fetched_at: datetime | None = field(default=None, compare=False)

    @property
    def language(self) -> str | None:
        """Return the language most posts are written in (ties: the earliest), None if unknown.

        Derived rather than stored, so a thread cleaning has reshaped or the cache has brought
        back can never disagree with its own posts. Tags are checked again, so a post built
        past the sources (a test, an old cache entry) cannot bring an ill-formed one.
        """
        return most_common(language_tag(post.language) for post in self.posts)


def kept_if_unchanged(old: tuple[_T, ...], new: tuple[_T, ...]) -> tuple[_T, ...]:
    """Return `old` when `new` holds the very same objects, else `new`.

    The steps that rebuild a thread (sanitizing, cleaning) hand back every part they leave
    alone as it was; keeping the old tuple too lets the next one see by identity, without
    comparing fields, that nothing changed.
    """
    if len(old) == len(new) and all(map(operator.is_, old, new)):
        return old
    return new


# The classes `with_changes` copies: frozen, and every field a positional one.
Model = TypeVar(
    "Model", Thread, Report, Author, Post, Segment, Media, Quote, LinkCard, Poll, PollOption
)


def with_changes(value: Model, **changes: Any) -> Model:
    """Return a copy of `value` with `changes`, as `dataclasses.replace` does, but faster.

    Cleaning copies posts in every step of every round. `replace` looks the class's fields up
    and passes them all by keyword on each call; reading them with one getter and passing them
    by position builds the same object in about two thirds of the time.
    """
    cls = type(value)
    key: type = cls  # mypy cannot tell that every type[T] is hashable
    layout = _layout(key)
    values = list(layout.read(value))
    for name, new in changes.items():
        values[layout.positions[name]] = new
    return cls(*values)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each field of a model class sits among its constructor's arguments."""

    positions: dict[str, int]
    read: Callable[[Any], tuple[Any, ...]]  # every field's value, in that order


@cache
def _layout(cls: type) -> _Layout:
    names = [f.name for f in fields(cls)]
    return _Layout({name: i for i, name in enumerate(names)}, operator.attrgetter(*names))
