"""Marker grammar: what may sit at the start or the end of a post's text. Pure: no I/O.

Reading one edge of a text gives two things: how far the plain markers reach ("🧵", "👇",
"(cont.)", "/end", "Thread:" …), which are always removed, and the counter candidate found
among them ("1/", "(2/10)", "/3", "1️⃣", "Part 2" …), which only `numbering` can confirm, using
the whole thread as evidence. Every token must stand apart: on both sides whitespace, the
post's edge, an emoji, a closing quote or bracket, a sentence end of any script ("。", "।",
"؟") or a CJK character (those scripts use no spaces). So "3/4/2024", "example.com/end" and
"1/2cup" never match, while "partnership.’/3" and "です。1/4" do. Digits of any script count
("１/５", "١/٥", "१/५").
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple


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
    OF = "of"  # "2 of 10", "2 de 10", "2 von 10", "2 из 10", weak
    PART = "part"  # "Part 2: …", "Teil 2", "Parte 2", "Часть 2" at the start only, weak
    EMOJI_NUMBER = "emoji_number"  # 2️⃣, 🔟, ②, ❷, weak (also list bullets)


STRONG_FORMS = frozenset(
    {Form.OPEN_FRACTION, Form.WRAPPED_FRACTION, Form.SLASH_AFTER, Form.SLASH_BEFORE}
)


class Candidate(NamedTuple):
    """A number at a post's edge that may be a thread counter."""

    form: Form
    number: int
    total: int | None = None


class Edge(NamedTuple):
    """What one edge of a text holds, as offsets into that text.

    At the start the text from the cut on remains; at the end the text up to the cut does.
    `marker_cut` removes the plain markers only; `counter_cut` also removes the candidate and
    any markers beyond it, and applies when numbering confirms the candidate.

    This and `Candidate` are named tuples rather than frozen dataclasses, as immutable and
    built several times faster: cleaning reads both edges of every post in every round.
    """

    marker_cut: int
    candidate: Candidate | None = None
    counter_cut: int = 0


_EMOJI = "🧵👇⬇⤵🔽"
# Besides whitespace, what may touch a token on either side: pictographs and their joiners,
# quotes and brackets, sentence ends of several scripts, and CJK letters (no spaces there).
_PICTOGRAPHS = (
    "\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f\u20e3\u200d"
)
_QUOTES = "’‘”“»«\"'」「』『】【）（］［()\\[\\]"
_SENTENCE_ENDS = ".!?…。！？।॥؟؛،、，"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_SEPARATORS = rf"\s{_PICTOGRAPHS}{_QUOTES}{_SENTENCE_ENDS}{_CJK}"


# Each of them is one code point, so one character class finds any of them in one scan.
_POINTER = re.compile(f"[{_EMOJI}]")


def has_pointer(text: str) -> bool:
    """Say whether text holds a "read on" emoji (🧵, 👇, ⬇️ …)."""
    return _POINTER.search(text) is not None


# No marker or counter is longer than this; end-anchored searches look no further back.
LONGEST_TOKEN = 40
_AFTER = rf"(?![^{_SEPARATORS}])"
_BEFORE = rf"(?<![^{_SEPARATORS}])"
_NUMBER = r"(\d{1,3})"  # \d is any script's digit: "１", "٣", "३"; int() reads them all
_SLASH = "[/／]"
_TOTAL = r"(\d{1,3}|[nNxX?∞])"
_OPEN = "[(\\[（［【]"
_CLOSE = "[)\\]）］】]"
_KEYCAPS = "(?:[0-9]\ufe0f?\u20e3){1,3}|🔟"
_CIRCLED = "[\u2460-\u2473\u2776-\u2793]"  # ①–⑳, ❶–❿, ➀–➉, ➊–➓
_PART_WORD = r"(?i:part|teil|parte|часть|パート)"
_OF_WORD = r"(?i:of|de|von|из)"
_COUNTERS: tuple[tuple[Form, str], ...] = (
    (Form.WRAPPED_FRACTION, rf"{_OPEN}\s*{_NUMBER}\s*{_SLASH}\s*{_TOTAL}\s*{_CLOSE}"),
    (Form.OPEN_FRACTION, rf"{_NUMBER}{_SLASH}([nNxX?∞])"),
    (Form.FRACTION, rf"{_NUMBER}{_SLASH}(\d{{1,3}})"),
    (Form.SLASH_AFTER, rf"{_NUMBER}{_SLASH}"),
    (Form.SLASH_BEFORE, rf"{_SLASH}{_NUMBER}"),
    (Form.WRAPPED_NUMBER, rf"{_OPEN}{_NUMBER}{_CLOSE}"),
    (Form.OF, rf"{_NUMBER}\s+{_OF_WORD}\s+(\d{{1,3}})"),
    (Form.EMOJI_NUMBER, f"({_KEYCAPS}|{_CIRCLED})"),
)
# What a counter at the start may carry before the text: "1/5: Why", "(2/5) — Why".
_START_TAIL = r"(?:[:：.．]|\s+[—–-](?=\s))?"
_START_ONLY_COUNTERS = (
    (Form.DOT, r"(\d{1,2})[.．、]"),
    (Form.PAREN, r"(\d{1,2})[)）]"),
    (Form.PART, rf"{_PART_WORD}\s*{_NUMBER}{_START_TAIL}"),
)
_EMOJI_MARKER = "(?:🧵|👇[\U0001f3fb-\U0001f3ff]?|[⬇⤵]\ufe0f?|🔽)"  # needs no spaces around
_WORD_MARKERS = (
    r"(?i:[(\[]\s*cont(?:inued|'d|’d|d)?\.?\s*[)\]]|cont(?:'d|’d|d)\.?|cont\.)",
    r"(?i:/(?:the\s)?(?:end|fin)|(?:end|fin)/|[(\[](?:the\s)?(?:end|fin)[)\]])",
    r"(?i:[xn?]/(?:[xn?∞]|\d{1,3})?)",  # "x/", "n/n": counters without a number
)
# "Thread" in the languages the corpus covers, with an optional article and size word.
_THREAD = (
    r"(?i:(?:(?:a|an|un|una|um|uma|ein|eine)\s+)?(?:(?:short|long|quick|mini|little|big)"
    r"[\s-]*)?(?:thread|🧵|hilo|fio|тред|ветка|スレッド|ثريد|थ्रेड))"
)
# An opener ends with a separator, which may follow its emoji ("Thread 🧵:"), or right before
# a marker, a counter or a line break.
_OPENER_START = (
    rf"{_THREAD}(?:\s*{_EMOJI_MARKER})*(?:\s*[:：—–…]|\s+-|\.\.\.)"
    rf"|{_THREAD}(?=\s*(?:[{_EMOJI}\n]|\Z|{_OPEN}?\d{{1,3}}\s*{_SLASH}))"
)
_OPENER_END = rf"{_THREAD}\s*[:：]?"
_OPENER_WRAPPED = rf"[(\[]\s*{_THREAD}\s*[)\]]"  # "(a thread)" stands apart by itself
_FINAL_WORD = r"(?i:fin|(?:the\s+)?end)\.?"
# What an opener or a final word at the end must follow: nothing, a line or a sentence.
_CLAUSE_ENDS = ".!?…:,;—–-(\n。！？।؟"
# What a plain marker can end with, besides a digit ("n/10"), a skin tone ("👇🏽") and the
# period of "cont." or "cont'd.": `_may_end_marker` asks them before searching.
_MARKER_LAST_CHARS = frozenset("🧵👇⬇⤵🔽\ufe0f)]dDnN/xX?∞")
_COUNTER_LAST_CHARS = frozenset("/／)]）］】nNxX?∞\u20e3🔟")
# A bare fraction next to one of these words is a quantity, a score or a date, not a counter:
# the word after it at the start ("1/3 of", "3/5 stars", "2/3 de"), the word before it at the
# end ("rated 3/5", "was 2/3"). Japanese and Chinese glue particles right on ("3/4は").
_QUANTITIES = frozenset({Form.FRACTION, Form.OF})
_QUANTITY_WORDS = frozenset(
    {
        "of", "cup", "cups", "star", "stars", "tsp", "tbsp", "mile", "miles", "km", "kg", "inch",
        "done", "was", "is", "are", "were", "got", "scored", "rated", "score", "rating", "about",
        "nearly", "only", "just", "around", "than", "de", "del", "da", "do", "das", "dos",
        "estrellas", "estrelas", "taza", "tazas", "xícara", "fue", "foi", "es", "é", "son",
        "são", "der", "die", "des", "von", "aller", "sterne", "tasse", "ist", "war", "sind",
        "из", "от", "всех", "звезд", "звёзд", "был", "была", "было", "это", "من", "هو", "كان",
        "का", "की", "के", "में", "है", "था",
    }
)  # fmt: skip
_ARTICLES = frozenset({"de", "del", "da", "do", "das", "dos", "der", "die", "des"})
_QUANTITY_PARTICLES = frozenset("のはがをにでと的是个人杯年月日")


def _start(pattern: str) -> re.Pattern[str]:
    return re.compile(f"(?:{pattern}){_AFTER}")


def _end(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"{_BEFORE}(?:{pattern})\Z")


# A marker emoji at the start takes its colon along: "🧵: Why cats purr".
_EMOJI_AT_START = re.compile(rf"{_EMOJI_MARKER}(?:\s*[:：])?")
_EMOJI_AT_END = re.compile(rf"{_EMOJI_MARKER}\Z")
_WORDS_AT_START = [_start(p) for p in _WORD_MARKERS]
_WORDS_AT_END = tuple(_end(p) for p in _WORD_MARKERS)
_OPENER_AT_START = re.compile(_OPENER_START)
_OPENER_AT_END = _end(_OPENER_END)
_OPENER_WRAPPED_AT_END = _end(_OPENER_WRAPPED)
_FINAL_AT_END = _end(_FINAL_WORD)
_OPENER_WORDS_AT_END = (_OPENER_WRAPPED_AT_END, *_WORDS_AT_END)
_COUNTERS_START = [
    *((f, _start(f"{p}{_START_TAIL}")) for f, p in _COUNTERS),
    *((f, _start(p)) for f, p in _START_ONLY_COUNTERS),
]
_COUNTERS_END = [(f, _end(p)) for f, p in _COUNTERS]

# Matches where any counter pattern matches at the start (each keeps its own anchors).
_ANY_COUNTER_AT_START = re.compile("|".join(f"(?:{p.pattern})" for _, p in _COUNTERS_START))
# Matches where any start pattern but the opener's matches, and says which kind: `marker` is
# set when a plain marker's pattern matches, else `counter` is (the alternatives are tried in
# that order). Most post starts hold neither, and every start is read again once a round has
# cut a token: asking this once says so in about a third of the time asking each kind takes,
# and a counter is then read pattern by pattern only where one starts. The opener's pattern,
# the slowest to ask, is asked in a thread's first post only.
_TOKEN_AT_START = re.compile(
    "(?P<marker>"
    + "|".join(f"(?:{p.pattern})" for p in (_EMOJI_AT_START, *_WORDS_AT_START))
    + f")|(?P<counter>{_ANY_COUNTER_AT_START.pattern})"
)


def read_start(text: str, *, opener: bool = False, closes_post: bool = True) -> Edge:
    """Read the markers and the counter candidate at the start of text.

    `opener` allows "Thread:" and "A thread 🧵" (first post only); `closes_post` says the
    text's end is the post's end, so a token may end there.
    """
    position, marker_cut, candidate = 0, 0, None
    while True:
        position = len(text) - len(text[position:].lstrip())
        token = _TOKEN_AT_START.match(text, position)
        if (opener or (token and token["marker"] is not None)) and (
            match := _match_plain_start(text, position, opener=opener, closes_post=closes_post)
        ):
            position = match.end()
            marker_cut = position if candidate is None else marker_cut
            continue
        if candidate is None and token and (found := _counter_start(text, position, closes_post)):
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


MAX_TAIL_WORDS = 64
"""Hashtags and links a trailing run is read back over, at most."""


def find_tail(text: str) -> int:
    """Return where a trailing run of hashtags and links starts, or len(text) when none.

    A counter often sits before such a run ("… 3/10 #history"); the run is no part of it.
    The returned offset is right after the last word before the run, so the run keeps its
    leading space. A text made only of hashtags and links has no tail to skip.
    """
    if "#" not in text and "://" not in text:
        return len(text)  # the common case: nothing to look for
    end, found = len(text), False
    # Indexes only, no copies, and a bounded number of words: a post of 100,000 hashtags
    # must not cost quadratic time (a hostile instance chooses its posts' text).
    for _word in range(MAX_TAIL_WORDS):
        stop = end
        while stop and text[stop - 1].isspace():
            stop -= 1
        word_start = max(text.rfind(" ", 0, stop), text.rfind("\n", 0, stop)) + 1
        if word_start == 0 or not _is_tail_word(text[word_start:stop]):
            return stop if found else len(text)
        end, found = word_start, True
    return len(text)  # more tags and links than any post ends with: read as no tail


def _is_tail_word(word: str) -> bool:
    return (word.startswith("#") and len(word) > 1) or word.startswith(("https://", "http://"))


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
    window = _window(end)
    # Openers first: "a 🧵" must go whole, not leave a dangling "a" behind its emoji.
    for allowed, pattern in ((opener, _OPENER_AT_END), (final, _FINAL_AT_END)):
        match = pattern.search(text, window, end) if allowed else None
        if match and _follows_clause(text, match.start(), opens_post):
            return match
    if not _may_end_marker(text, end):
        return None  # most posts end in a word: skip the searches below
    if match := _EMOJI_AT_END.search(text, window, end):
        return match
    for pattern in _OPENER_WORDS_AT_END if opener else _WORDS_AT_END:
        match = pattern.search(text, window, end)
        if match and match.start() < end and (opens_post or match.start() > 0):
            return match
    return None


def _may_end_marker(text: str, end: int) -> bool:
    """Say whether a plain marker (the emoji or word markers, not an opener or a final word)
    can end at `end`, from its last characters; each search for one costs a few times this."""
    if not end:
        return False
    last = text[end - 1]
    if last == ".":
        return end > 1 and text[end - 2] in "tTdD"  # "cont.", "cont'd."
    return last in _MARKER_LAST_CHARS or last.isdecimal() or "\U0001f3fb" <= last <= "\U0001f3ff"


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
    """Read a counter at position; asked only where `_TOKEN_AT_START` matches."""
    for form, pattern in _COUNTERS_START:
        match = pattern.match(text, position)
        if match and (closes_post or match.end() < len(text)):
            if form is Form.PART and not text[match.end() :].strip():
                return None  # a post that says only "Part 2" is a heading, not a counter
            if form in _QUANTITIES and _is_quantity_word(text[match.end() :].split(None, 1)):
                return None  # "1/3 of all trips", "3/5 stars"
            return _candidate(form, match), match.end()
    return None


def _counter_end(text: str, end: int, opens_post: bool) -> tuple[Candidate, int] | None:
    if not end or not _may_end_counter(text[end - 1]):
        return None  # most posts end in a word; skip the searches
    for form, pattern in _COUNTERS_END:
        match = pattern.search(text, _window(end), end)
        if match and (opens_post or match.start() > 0):
            if form in _QUANTITIES and _is_quantity_word(
                text[: match.start()].rsplit(None, 1)[-1:]
            ):
                return None  # "rated it 3/5", "a score of 2/3"
            return _candidate(form, match), match.start()
    return None


def _may_end_counter(char: str) -> bool:
    """Say whether a counter can end with char: a digit, a slash, a bracket or an emoji number."""
    return char.isdecimal() or char in _COUNTER_LAST_CHARS or "\u2460" <= char <= "\u2793"


def _is_quantity_word(words: list[str]) -> bool:
    """Say whether the word next to a fraction makes it a quantity rather than a counter."""
    if not words:
        return False
    word = words[0].strip(".,:;!?")
    # Articles count only as written: "1/3 der Fahrten" is a quantity, "1/3 Die Bahn …" starts
    # a sentence; other words in any case ("Score: 2/5").
    key = word if word.lower() in _ARTICLES else word.lower()
    return key in _QUANTITY_WORDS or word[:1] in _QUANTITY_PARTICLES


def _candidate(form: Form, match: re.Match[str]) -> Candidate:
    groups = match.groups()
    total = groups[1] if len(groups) > 1 else None
    number = _emoji_number(groups[0]) if form is Form.EMOJI_NUMBER else int(groups[0])
    return Candidate(form, number, int(total) if total and total.isdecimal() else None)


def _emoji_number(token: str) -> int:
    """Read "1️⃣2️⃣" (keycaps spell digits), "🔟", or a circled number "②", "❷", "➋"."""
    if token == "🔟":
        return 10
    if token[0].isascii():
        return int("".join(char for char in token if char.isascii()))
    code = ord(token[0])
    return code - 0x2460 + 1 if code <= 0x2473 else (code - 0x2776) % 10 + 1
