"""Reflow: mark posts that end mid-sentence so renderers run them on. Pure: no I/O.

In reflow mode a post that stops mid-sentence gets `joins_next`, and renderers join it to
the next post without a paragraph break; a post that ends a sentence keeps its break, so the
author's own paragraphs survive. Original mode clears every mark: one paragraph per post.
"""

from __future__ import annotations

import unicodedata
from itertools import pairwise

from bot.cleaning.markers import find_tail
from bot.cleaning.segments import has_attachments, is_blank, with_posts
from bot.model import HASHTAG, LINK, Post, Thread, with_changes

# A colon ends the post on purpose: what it introduces reads as its own paragraph.
SENTENCE_ENDS = frozenset(".!?:")
CONTINUATIONS = ("...", "…")
CLOSERS = "\"'”’»)]}*_"
# Variation selectors, the zero-width joiner and skin tones trail an emoji without being one.
_EMOJI_TAILS = "\ufe0f\ufe0e\u200d\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"


def is_open_ending(text: str) -> bool:
    """Say whether text stops mid-sentence, so the next post carries on with it.

    An ellipsis reads as "to be continued"; closing quotes and brackets are looked through;
    an emoji closes a thought the way a full stop does, and so do trailing hashtags or links
    written as plain text, as their segments do.
    """
    text = text.rstrip()
    if text.endswith(CONTINUATIONS):
        return True
    if find_tail(text) < len(text):
        return False
    text = text.rstrip(CLOSERS + " ").rstrip(_EMOJI_TAILS)
    if not text:
        return False
    last = text[-1]
    return last not in SENTENCE_ENDS and unicodedata.category(last) != "So"


def ends_mid_sentence(post: Post) -> bool:
    """Say whether the post's text stops mid-sentence.

    A trailing link or hashtag closes the post (it is a reference, not part of a phrase); a
    trailing mention is a word like any other. A blank post needs no test of its own: its
    last segment is blank too, and blank text is no open ending.
    """
    if not post.text:
        return False
    last = post.text[-1]
    if last.kind in (LINK, HASHTAG):
        return False
    return is_open_ending(last.text)


def join_broken_sentences(thread: Thread) -> Thread:
    """Set `joins_next` on each post that runs on into the next one (reflow mode)."""
    flags = [_runs_on(post, following) for post, following in pairwise(thread.posts)]
    return _with_flags(thread, [*flags, False])


def keep_post_breaks(thread: Thread) -> Thread:
    """Clear every `joins_next`, so each post stays its own paragraph (original mode)."""
    return _with_flags(thread, [False] * len(thread.posts))


def _runs_on(post: Post, following: Post) -> bool:
    # Never join across a hole, into a differently hidden post, or past attachments,
    # which renderers show right after the text they belong to; nor where the author closed
    # the post with a "read on" emoji that cleaning removed.
    if has_attachments(post) or following.gap_before:
        return False
    # A post hidden behind a warning the previous one did not have starts afresh; Mastodon
    # repeats one warning on every self-reply, and those read on like any other posts.
    if following.content_warning != post.content_warning:
        return False
    if post.closed_by_marker:
        return False
    return ends_mid_sentence(post) and not is_blank(following)


def _with_flags(thread: Thread, flags: list[bool]) -> Thread:
    posts = (
        post if post.joins_next == flag else with_changes(post, joins_next=flag)
        for post, flag in zip(thread.posts, flags, strict=True)
    )
    return with_posts(thread, posts)
