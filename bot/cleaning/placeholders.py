"""Placeholder cleaning: drop the trailing link X adds for a post's media. Pure: no I/O.

X ends a post that has photos or a video with a `https://t.co/…` link (shown as
`pic.twitter.com/…` or `pic.x.com/…`, expanding to `…/status/ID/photo/1`). It stands for the
attachment the renderers already show, so it goes. Only links at the very end are dropped.
"""

from __future__ import annotations

import re

from bot.cleaning.segments import tidy_segments, with_posts
from bot.model import LINK, TEXT, Post, Segment, Thread, with_changes

_MEDIA_PAGE = re.compile(
    r"^(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/\w+/status/\d+/(?:photo|video)/\d+",
    re.IGNORECASE,
)
_PIC_LINK = re.compile(r"^(?:https?://)?pic\.(?:twitter|x)\.com/\w+", re.IGNORECASE)
_SHORT_LINK = re.compile(r"^(?:https?://)?t\.co/\w+$", re.IGNORECASE)


def is_media_placeholder(url: str, *, has_media: bool) -> bool:
    """Say whether a URL stands for the post's own attachment rather than a real link.

    A bare t.co link counts only when the post has media: without media it may be a real
    link the source could not expand.
    """
    if _MEDIA_PAGE.match(url) or _PIC_LINK.match(url):
        return True
    return has_media and bool(_SHORT_LINK.match(url))


def strip_media_placeholders(thread: Thread) -> Thread:
    """Drop media placeholder links from the end of every post."""
    return with_posts(thread, map(_strip_post, thread.posts))


def _strip_post(post: Post) -> Post:
    segments = list(post.text)
    has_media = bool(post.media)
    cut = False
    while (
        segments
        and (shorter := _without_trailing_placeholder(segments[-1], has_media)) is not None
    ):
        segments[-1:] = shorter
        cut = True
    if not cut:
        return post  # most posts: no placeholder, so nothing to tidy
    tidied = tidy_segments(segments)
    return post if tidied == post.text else with_changes(post, text=tidied)


def _without_trailing_placeholder(segment: Segment, has_media: bool) -> list[Segment] | None:
    """Return what is left of the last segment once its placeholder is cut, or None."""
    if segment.kind is LINK:
        targets = (segment.url or "", segment.text)
        return [] if any(is_media_placeholder(t, has_media=has_media) for t in targets) else None
    if segment.kind is not TEXT:
        return None
    trimmed = segment.text.rstrip()
    if not trimmed:
        return []
    # A placeholder written into plain text is its last word; splitting from the right
    # reads only that word, not the whole post.
    word = trimmed.rsplit(maxsplit=1)[-1]
    if is_media_placeholder(word, has_media=has_media):
        return [Segment(TEXT, trimmed[: -len(word)].rstrip())]
    return None
