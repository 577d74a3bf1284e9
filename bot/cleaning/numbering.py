"""Numbering cleaning: remove thread counters and markers, using the whole thread as evidence.

Plain markers ("🧵", "👇", "/end", "Thread:" …) always go. A number at a post's edge ("1/",
"(2/10)", "3.", "Part 2", "2️⃣") goes only when it is a counter, that is when the posts' numbers
form a sequence: they rise from post to post in step with the posts' positions. A lone "3/4" in
one post is a date or a score and stays. The strong forms ("2/", "/2", "(2/10)", "2/n") are also
believed alone when the number is the post's position, or "1" near the start (an opener).
Threads mix styles ("/9" then "10/10"), so a bare fraction may also continue a strong sequence.
The end of a post is read before any trailing hashtags and links, which stay.
Pure: no I/O.
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from bot.cleaning.markers import (
    STRONG_FORMS,
    Candidate,
    Edge,
    Form,
    find_tail,
    has_pointer,
    read_end,
    read_start,
)
from bot.cleaning.segments import is_blank_text, text_segment, tidy_segments, with_posts
from bot.model import HASHTAG, LINK, TEXT, Post, Segment, Thread, with_changes

# How far a counter may run ahead of its post's position (posts the source never saw).
MAX_LEAD = 2


class Side(StrEnum):
    """Which edge of a post a counter sits on."""

    START = "start"
    END = "end"


# As module constants for the per-post code, like `segments.TEXT`.
_START, _END = Side.START, Side.END


class Counter(NamedTuple):
    """A candidate counter placed in the thread: which post, which edge, which position.

    This and `_PostEdges` are named tuples like `Edge`, for the same reason.
    """

    post: int
    side: Side
    ordinal: int  # 1-based position in the author's chain, deleted posts included
    candidate: Candidate

    @property
    def families(self) -> tuple[str, ...]:
        """Return the groups whose numbers must form one sequence (all strong forms mix).

        A bare fraction is its own group and may also take part in a strong sequence.
        """
        form = self.candidate.form
        if form in STRONG_FORMS:
            return (_STRONG,)
        return (form.value, _STRONG) if form is Form.FRACTION else (form.value,)


_STRONG = "strong"
# Forms that state a total which every counter of the sequence repeats ("1/2 cup" then
# "2/3 of voters" is no sequence).
_FIXED_TOTAL = frozenset({Form.FRACTION, Form.OF})
_TRAILING_KINDS = frozenset({LINK, HASHTAG})


class _PostEdges(NamedTuple):
    start: Edge | None
    end: Edge | None
    end_index: int = 0  # the TEXT segment the end was read in
    end_tail: int | None = None  # where that segment's kept tail (hashtags, links) starts

    @property
    def same_segment(self) -> bool:
        return self.start is not None and self.end is not None and self.end_index == 0


def strip_numbering(thread: Thread) -> Thread:
    """Remove markers everywhere and counters where the thread shows they are counters."""
    edges = [_read_post(post, i, len(thread.posts)) for i, post in enumerate(thread.posts)]
    confirmed_sides: dict[int, set[Side]] = defaultdict(set)
    for counter in find_counters(_counters(thread, edges)):
        confirmed_sides[counter.post].add(counter.side)
    posts = tuple(
        _cut(post, post_edges, confirmed_sides.get(i, set()))
        for i, (post, post_edges) in enumerate(zip(thread.posts, edges, strict=True))
    )
    return with_posts(thread, posts)


def find_counters(counters: Iterable[Counter]) -> set[Counter]:
    """Return the candidates that are counters: members of a sequence, or believable alone."""
    families: dict[str, list[Counter]] = defaultdict(list)
    for counter in counters:
        if _is_plausible(counter):
            for family in counter.families:
                families[family].append(counter)
    confirmed: set[Counter] = set()
    for members in families.values():
        confirmed |= _confirm_family(sorted(members, key=lambda c: (c.post, c.side != _START)))
    return confirmed


def _confirm_family(members: list[Counter]) -> set[Counter]:
    """Take the longest sequences out one by one; what is left counts only if strong."""
    confirmed: set[Counter] = set()
    while len(chain := _longest_sequence(members)) >= 2:
        confirmed.update(chain)
        members = [m for m in members if m not in confirmed]
    return confirmed | {m for m in members if _is_believable_alone(m)}


def _longest_sequence(members: list[Counter]) -> list[Counter]:
    """Return the longest run of members (in post order) that count up like a thread.

    Each member extends the longest run it can follow, the earliest-ending one on a tie.
    Runs are tried longest first, so in a numbered thread the first try fits and the search
    stays near linear instead of trying every earlier member.
    """
    lengths: list[int] = []
    previous: list[int | None] = []
    by_length: list[tuple[int, int]] = []  # (-length, index) of every run so far, sorted
    for j, member in enumerate(members):
        i = next((i for _, i in by_length if _follows(members[i], member)), None)
        lengths.append(1 if i is None else lengths[i] + 1)
        previous.append(i)
        insort(by_length, (-lengths[j], j))
    if not members:
        return []
    chain = [by_length[0][1]]
    while (i := previous[chain[-1]]) is not None:
        chain.append(i)
    return [members[i] for i in reversed(chain)]


def _follows(earlier: Counter, later: Counter) -> bool:
    """Say whether `later` can be the next counter after `earlier`.

    Numbers rise by about the number of posts in between: one more is allowed (a post the
    source missed), fewer too (unnumbered posts the author slipped in). Bare fractions must
    keep their total ("1/2 cup" then "2/3 of voters" is no sequence); other totals may grow.
    """
    a, b = earlier.candidate, later.candidate
    if later.post <= earlier.post or b.number <= a.number:
        return False
    if b.number - a.number > later.ordinal - earlier.ordinal + 1:
        return False
    if (a.form in _FIXED_TOTAL) != (b.form in _FIXED_TOTAL):
        return _mixes(a, b)
    if a.total is None or b.total is None:
        return True
    return b.total == a.total if a.form in _FIXED_TOTAL else b.total >= a.total


def _mixes(a: Candidate, b: Candidate) -> bool:
    """Say whether a strong counter and a bare fraction can be neighbours in one sequence.

    After "2/" or "/9" only a closing "3/3" or "10/10" follows (or a fraction with the total
    already announced); before "2/" a fraction opens with a total the later number fits in.
    """
    if b.form in _FIXED_TOTAL:
        return b.number == b.total or (a.total is not None and a.total == b.total)
    return a.total is not None and b.number <= a.total


def _is_plausible(counter: Counter) -> bool:
    candidate = counter.candidate
    if candidate.total is not None and candidate.number > candidate.total:
        return False  # 24/7, 5/4: no counter runs past its total
    if candidate.form in _FIXED_TOTAL:
        return candidate.number <= counter.ordinal  # "3/5 stars" in post 1 is a score
    return candidate.number <= counter.ordinal + MAX_LEAD


def _is_believable_alone(counter: Counter) -> bool:
    number, ordinal = counter.candidate.number, counter.ordinal
    strong = counter.candidate.form in STRONG_FORMS
    return strong and (number == ordinal or (number == 1 and ordinal <= 2))


def _read_post(post: Post, index: int, total: int) -> _PostEdges:
    segments = post.text
    if not segments:
        return _PostEdges(None, None)
    first = segments[0]
    end_index = _end_index(segments)
    same = end_index == 0
    opener, final = index == 0, index == total - 1
    start = None
    if first.kind is TEXT:
        start = read_start(first.text, opener=opener, closes_post=len(segments) == 1)
    last = segments[end_index]
    if last.kind is not TEXT:
        return _PostEdges(start, None)
    text = last.text
    tail = find_tail(text)
    if end_index < len(segments) - 1:
        tail = min(tail, len(text.rstrip()))  # keep the space before the trailing link
    # In a one-segment post the end is read only past the start's reach, so the two edges
    # never claim the same token.
    lower = start.counter_cut if same and start else 0
    end = read_end(text[lower:tail], opener=opener, final=final, opens_post=same)
    if lower:
        end = Edge(end.marker_cut + lower, end.candidate, end.counter_cut + lower)
    return _PostEdges(start, end, end_index, tail if tail < len(text) else None)


def _end_index(segments: tuple[Segment, ...]) -> int:
    """Return the index of the segment a counter at the end sits in: past trailing links."""
    index = len(segments) - 1
    while index > 0 and (
        segments[index].kind in _TRAILING_KINDS or is_blank_text(segments[index])
    ):
        index -= 1
    return index


def _counters(thread: Thread, edges: list[_PostEdges]) -> list[Counter]:
    counters: list[Counter] = []
    ordinal = 0
    for index, (post, post_edges) in enumerate(zip(thread.posts, edges, strict=True)):
        ordinal += 1 + post.gap_before
        for side, edge in ((_START, post_edges.start), (_END, post_edges.end)):
            if edge is not None and edge.candidate is not None:
                counters.append(Counter(index, side, ordinal, edge.candidate))
    return counters


def _cut(post: Post, edges: _PostEdges, confirmed: set[Side]) -> Post:
    start_cut = _cut_at(edges.start, _START in confirmed)
    end_cut = _cut_at(edges.end, _END in confirmed)
    tail = edges.end_tail
    if tail is not None and _END not in confirmed:
        end_cut = tail  # before hashtags or links only a confirmed counter goes
    if not start_cut and (edges.end is None or end_cut == _text_end(post, edges)):
        return post  # most posts, and every post of the round that only confirms
    segments = list(post.text)
    if edges.same_segment:
        text = segments[0].text
        kept = text[start_cut : max(start_cut, end_cut)] + _rest(text, tail)
        segments[0] = text_segment(kept, segments[0])
    else:
        if edges.start is not None:
            segments[0] = text_segment(segments[0].text[start_cut:], segments[0])
        if edges.end is not None:
            last = segments[edges.end_index]
            kept = last.text[:end_cut] + _rest(last.text, tail)
            segments[edges.end_index] = text_segment(kept, last)
    tidied = tidy_segments(segments)
    if tidied == post.text:
        return post
    removed_end = post.text[edges.end_index].text[end_cut:tail] if edges.end else ""
    closed = post.closed_by_marker or has_pointer(removed_end)
    return with_changes(post, text=tidied, closed_by_marker=closed)


def _text_end(post: Post, edges: _PostEdges) -> int:
    """Return the end cut that keeps the text the end was read in whole."""
    tail = edges.end_tail
    return len(post.text[edges.end_index].text) if tail is None else tail


def _rest(text: str, tail: int | None) -> str:
    return "" if tail is None else text[tail:]


def _cut_at(edge: Edge | None, confirmed: bool) -> int:
    if edge is None:
        return 0
    return edge.counter_cut if confirmed else edge.marker_cut
