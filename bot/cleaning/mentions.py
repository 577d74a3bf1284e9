"""Mentions cleaning: drop the reply mentions platforms put before a self-reply. Pure: no I/O.

Mastodon pre-fills a reply with the parent's mentions, and X's text may start with "@handle"
of the author or of people the chain already mentioned. Such a leading block carries nothing
the reader needs; a mention of someone new, or one inside a sentence, is the author's own
words and stays. The first post is never touched: it answers no one in the chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.cleaning.segments import text_segment, tidy_segments, with_posts
from bot.model import MENTION, TEXT, Post, Segment, Thread, with_changes

# "@alice", "@alice@example.social" or "@alice.bsky.social" written as plain text.
_TEXT_MENTION = re.compile(r"\s*@([A-Za-z0-9_][\w.-]*(?:@[\w.-]+)?)(?=\s|\Z)")
_WRITTEN_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_][\w.-]*(?:@[\w.-]+)?)")


def handle_key(handle: str) -> str:
    """Return the part of a handle that names the account ("@Alice@host" → "alice").

    Mastodon shows local accounts without their instance, so comparing the local part is
    what lets "@alice" match the author "alice@example.social".
    """
    return handle.lstrip("@").split("@", 1)[0].rstrip(".").lower()


def strip_reply_mentions(thread: Thread) -> Thread:
    """Drop leading mentions of the author or of accounts the chain already mentioned."""
    if not thread.posts:
        return thread
    first, *replies = thread.posts
    known = {handle_key(thread.author.handle)} | _mentioned(first.text)
    posts = [first]
    for post in replies:
        posts.append(_drop_leading_mentions(post, known))
        known |= _mentioned(post.text)
    return with_posts(thread, posts)


def _drop_leading_mentions(post: Post, known: set[str]) -> Post:
    for index, segment in enumerate(post.text):
        if segment.kind is MENTION and handle_key(segment.text) in known:
            continue
        if segment.kind is not TEXT:
            return _with_text(post, post.text[index:]) if index else post
        rest = _drop_text_mentions(segment.text, known)
        if rest.strip():
            if not index and len(rest) == len(segment.text):
                return post  # most posts: no leading mention, so nothing to tidy
            return _with_text(post, (text_segment(rest, segment), *post.text[index + 1 :]))
    return _with_text(post, ())


def _drop_text_mentions(text: str, known: set[str]) -> str:
    """Return text without its leading "@handle" words that name known accounts."""
    position = 0
    while (match := _TEXT_MENTION.match(text, position)) and handle_key(match[1]) in known:
        position = match.end()
    return text[position:]


def _with_text(post: Post, segments: tuple[Segment, ...]) -> Post:
    segments = tidy_segments(segments)
    return post if segments == post.text else with_changes(post, text=segments)


def _mentioned(segments: Iterable[Segment]) -> set[str]:
    keys: set[str] = set()
    for segment in segments:
        if segment.kind is MENTION:
            keys.add(handle_key(segment.text))
        elif segment.kind is TEXT and "@" in segment.text:  # skip the regex scan
            keys.update(handle_key(m) for m in _WRITTEN_MENTION.findall(segment.text))
    return keys
