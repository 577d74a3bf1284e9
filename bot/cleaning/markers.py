"""Marker grammar: what may sit at the start or the end of a post's text. Pure: no I/O.

Reading one edge of a text gives two things: how far the plain markers reach ("🧵", "👇",
"(cont.)", "/end", "Thread:" …), which are always removed, and the counter candidate found
among them ("1/", "(2/10)", "/3" …), which only `numbering` can confirm, using the whole thread
as evidence. Every token must stand alone (whitespace, a marker emoji or the post's edge on
both sides), so "3/4/2024", "example.com/end" and "1/2cup" never match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Form(StrEnum):
    """How a counter is written. Weak forms also occur as dates, scores, recipes or lists."""

    FRACTION = "fraction"  # 2/10, weak
    OPEN_FRACTION = "open_fraction"  # 2/n
    WRAPPED_FRACTION = "wrapped_fraction"  # (2/10), [2/n]
    SLASH_AFTER = "slash_after"  # 2/
    SLASH_BEFORE = "slash_before"  # /2
    DOT = "dot"  # "2. " at the start only, weak
    PAREN = "paren"  # "2) " at the start only, weak
    WRAPPED_NUMBER = "wrapped_number"  # (2), weak


STRONG_FORMS = frozenset(
    {Form.OPEN_FRACTION, Form.WRAPPED_FRACTION, Form.SLASH_AFTER, Form.SLASH_BEFORE}
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A number at a post's edge that may be a thread counter."""

    form: Form
    number: int
    total: int | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """What one edge of a text holds, as offsets into that text.

    At the start the text from the cut on remains; at the end the text up to the cut does.
    `marker_cut` removes the plain markers only; `counter_cut` also removes the candidate and
    any markers beyond it, and applies when numbering confirms the candidate.
    """

    marker_cut: int
    candidate: Candidate | None = None
    counter_cut: int = 0


_EMOJI = "🧵👇⬇⤵🔽"


def has_pointer(text: str) -> bool:
    """Say whether text holds a "read on" emoji (🧵, 👇, ⬇️ …)."""
    return any(emoji in text for emoji in _EMOJI)


# No marker or counter is longer than this; end-anchored searches look no further back.
LONGEST_TOKEN = 40
_AFTER = rf"(?![^\s{_EMOJI}])"
_BEFORE = rf"(?<![^\s{_EMOJI}])"
_TOTAL = r"(\d{1,3}|[nNxX?∞])"
_COUNTERS: tuple[tuple[Form, str], ...] = (
    (Form.WRAPPED_FRACTION, rf"[(\[]\s*(\d{{1,3}})\s*/\s*{_TOTAL}\s*[)\]]"),
    (Form.OPEN_FRACTION, r"(\d{1,3})/([nNxX?∞])"),
    (Form.FRACTION, r"(\d{1,3})/(\d{1,3})"),
    (Form.SLASH_AFTER, r"(\d{1,3})/"),
    (Form.SLASH_BEFORE, r"/(\d{1,3})"),
    (Form.WRAPPED_NUMBER, r"\((\d{1,3})\)"),
)
_START_ONLY_COUNTERS = ((Form.DOT, r"(\d{1,2})\."), (Form.PAREN, r"(\d{1,2})\)"))
_EMOJI_MARKER = "(?:🧵|👇[\U0001f3fb-\U0001f3ff]?|[⬇⤵]\ufe0f?|🔽)"  # needs no spaces around
_WORD_MARKERS = (
    r"(?i:[(\[]\s*cont(?:inued|'d|’d|d)?\.?\s*[)\]]|cont(?:'d|’d|d)\.?|cont\.)",
    r"(?i:/(?:the\s)?(?:end|fin)|(?:end|fin)/|[(\[](?:the\s)?(?:end|fin)[)\]])",
    r"(?i:[xn?]/(?:[xn?∞]|\d{1,3})?)",  # "x/", "n/n": counters without a number
)
_THREAD = r"(?i:(?:a\s+)?(?:(?:short|long|quick|mini|little|big)[\s-]*)?(?:thread|🧵))"
# An opener ends with a separator, or right before a marker, a counter or a line break.
_OPENER_START = (
    rf"{_THREAD}(?:\s*[:：—–…]|\s+-|\.\.\.|(?=\s*(?:[{_EMOJI}\n]|\Z|[(\[]?\d{{1,3}}\s*/)))"
)
_OPENER_END = rf"{_THREAD}\s*[:：]?"
_OPENER_WRAPPED = rf"[(\[]\s*{_THREAD}\s*[)\]]"  # "(a thread)" stands apart by itself
_FINAL_WORD = r"(?i:fin|(?:the\s+)?end)\.?"
# What an opener or a final word at the end must follow: nothing, a line or a sentence.
_CLAUSE_ENDS = ".!?…:,;—–-(\n"


def _start(pattern: str) -> re.Pattern[str]:
    return re.compile(f"(?:{pattern}){_AFTER}")


def _end(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"{_BEFORE}(?:{pattern})\Z")


_EMOJI_AT_START = re.compile(_EMOJI_MARKER)
_EMOJI_AT_END = re.compile(rf"{_EMOJI_MARKER}\Z")
_WORDS_AT_START = [_start(p) for p in _WORD_MARKERS]
_WORDS_AT_END = [_end(p) for p in _WORD_MARKERS]
_OPENER_AT_START = re.compile(_OPENER_START)
_OPENER_AT_END = _end(_OPENER_END)
_OPENER_WRAPPED_AT_END = _end(_OPENER_WRAPPED)
_FINAL_AT_END = _end(_FINAL_WORD)
# At the start a counter may carry a colon: "1/5: Why cats purr".
_COUNTERS_START = [
    *((f, _start(f"{p}:?")) for f, p in _COUNTERS),
    *((f, _start(p)) for f, p in _START_ONLY_COUNTERS),
]
_COUNTERS_END = [(f, _end(p)) for f, p in _COUNTERS]


def read_start(text: str, *, opener: bool = False, closes_post: bool = True) -> Edge:
    """Read the markers and the counter candidate at the start of text.

    `opener` allows "Thread:" and "A thread 🧵" (first post only); `closes_post` says the
    text's end is the post's end, so a token may end there.
    """
    position, marker_cut, candidate = 0, 0, None
    while True:
        position = len(text) - len(text[position:].lstrip())
        match = _match_plain_start(text, position, opener=opener, closes_post=closes_post)
        if match:
            position = match.end()
            marker_cut = position if candidate is None else marker_cut
            continue
        if candidate is None and (found := _counter_start(text, position, closes_post)):
            candidate, position = found
            continue
        return Edge(marker_cut, candidate, position if candidate else marker_cut)


def read_end(
    text: str, *, opener: bool = False, final: bool = False, opens_post: bool = True
) -> Edge:
    """Read the markers and the counter candidate at the end of text.

    `opener` allows "a thread 🧵" (first post only), `final` allows a bare "fin" or "The end"
    (last post only); `opens_post` says the text's start is the post's start.
    """
    end, marker_cut, candidate = len(text), len(text), None
    while True:
        end = len(text[:end].rstrip())
        match = _match_plain_end(text, end, opener=opener, final=final, opens_post=opens_post)
        if match:
            end = match.start()
            marker_cut = end if candidate is None else marker_cut
            continue
        if candidate is None and (found := _counter_end(text, end, opens_post)):
            candidate, end = found
            continue
        return Edge(marker_cut, candidate, end if candidate else marker_cut)


def _match_plain_start(
    text: str, position: int, *, opener: bool, closes_post: bool
) -> re.Match[str] | None:
    if match := _EMOJI_AT_START.match(text, position):
        return match
    words = [_OPENER_AT_START, *_WORDS_AT_START] if opener else _WORDS_AT_START
    for pattern in words:
        match = pattern.match(text, position)
        if match and match.end() > position and (closes_post or match.end() < len(text)):
            return match
    return None


def _match_plain_end(
    text: str, end: int, *, opener: bool, final: bool, opens_post: bool
) -> re.Match[str] | None:
    # Openers first: "a 🧵" must go whole, not leave a dangling "a" behind its emoji.
    for allowed, pattern in ((opener, _OPENER_AT_END), (final, _FINAL_AT_END)):
        match = pattern.search(text, _window(end), end) if allowed else None
        if match and _follows_clause(text, match.start(), opens_post):
            return match
    if match := _EMOJI_AT_END.search(text, _window(end), end):
        return match
    words = [_OPENER_WRAPPED_AT_END, *_WORDS_AT_END] if opener else _WORDS_AT_END
    for pattern in words:
        match = pattern.search(text, _window(end), end)
        if match and match.start() < end and (opens_post or match.start() > 0):
            return match
    return None


def _window(end: int) -> int:
    """Return where to start looking for a token ending at `end`; markers are short."""
    return max(0, end - LONGEST_TOKEN)


def _follows_clause(text: str, start: int, opens_post: bool) -> bool:
    """Say whether an opener or final word at `start` stands apart from the sentence before."""
    before = text[:start].rstrip(" \t")
    if not before:
        return opens_post
    return before[-1] in _CLAUSE_ENDS


def _counter_start(text: str, position: int, closes_post: bool) -> tuple[Candidate, int] | None:
    for form, pattern in _COUNTERS_START:
        match = pattern.match(text, position)
        if match and (closes_post or match.end() < len(text)):
            return _candidate(form, match), match.end()
    return None


def _counter_end(text: str, end: int, opens_post: bool) -> tuple[Candidate, int] | None:
    for form, pattern in _COUNTERS_END:
        match = pattern.search(text, _window(end), end)
        if match and (opens_post or match.start() > 0):
            return _candidate(form, match), match.start()
    return None


def _candidate(form: Form, match: re.Match[str]) -> Candidate:
    groups = match.groups()
    total = groups[1] if len(groups) > 1 else None
    return Candidate(form, int(groups[0]), int(total) if total and total.isdigit() else None)
