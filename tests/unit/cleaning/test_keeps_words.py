"""Property: cleaning never drops a word that is not a counter, opener, mention or tracking.

Threads are drawn from words of nine languages, glued to the punctuation those languages use
(closing quotes, "。", "।", "؟"), with counters in every style, openers, reply mentions and
tracked links around them. Whatever cleaning decides about the edges, every body word must
still be there, in order.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cleaning import ReadingMode, clean_thread
from bot.model import SegmentKind, Thread
from tests.samples import link, post, text, thread

# Words that no marker grammar reads as a marker, in the corpus's nine languages.
WORDS = (
    "river", "apple", "gato", "árvore", "Katze", "Straße", "кошка", "озеро", "猫", "川", "河",
    "قطة", "نهر", "बिल्ली", "नदी",
)  # fmt: skip
# Look-alikes no thread can make a counter (past their total, or glued into a longer token).
SAFE_LOOK_ALIKES = ("24/7", "3/4/2024", "50/50", "10:30", "v2.1", "example.com/2")
GLUES = ("", "", ".", "’", "」", "。", "।", "؟", "!")
COUNTERS = (
    "{n}/", "/{n}", "{n}/{t}", "({n}/{t})", "[{n}/n]", "{n}/x", "{n}️⃣", "Part {n}",
    "{n} of {t}", "{n}.", "（{n}/{t}）", "{n} de {t}",
)  # fmt: skip
MARKERS = ("🧵", "👇", "Thread 🧵:", "A thread 🧵👇", "THREAD:", "Hilo:", "/end", "@ada", "@bob")
TRACKED = "https://a.example/p?id=1&utm_source=x&fbclid=2"

word = st.builds(lambda w, g: w + g, st.sampled_from(WORDS), st.sampled_from(GLUES))
body_token = st.one_of(word, st.sampled_from(SAFE_LOOK_ALIKES))
_WORD_PATTERN = re.compile("|".join(re.escape(w) for w in (*SAFE_LOOK_ALIKES, *WORDS)))


@st.composite
def threads(draw: st.DrawFn) -> Thread:
    """A thread whose posts have body words between counters, markers and mentions."""
    count = draw(st.integers(1, 6))
    style = draw(st.sampled_from(COUNTERS))
    posts = []
    for index in range(count):
        body = " ".join(draw(st.lists(body_token, min_size=1, max_size=6)))
        counter = style.format(n=index + 1, t=count) if draw(st.booleans()) else ""
        start = draw(st.lists(st.sampled_from(MARKERS), max_size=2))
        end = draw(st.lists(st.sampled_from(MARKERS), max_size=2))
        glue = draw(st.sampled_from(("", " ")))
        where = draw(st.sampled_from(("start", "end")))
        parts = [*start, counter, body] if where == "start" else [body + glue + counter, *end]
        segments = [text(" ".join(p for p in parts if p))]
        if draw(st.booleans()):
            segments.append(text(" "))
            segments.append(link(TRACKED, TRACKED))
        posts.append(post(index, *segments))
    return thread(*posts)


def _body_words(value: Thread) -> list[str]:
    texts = (s.text for p in value.posts for s in p.text if s.kind is SegmentKind.TEXT)
    return [m.group() for t in texts for m in _WORD_PATTERN.finditer(t)]


@settings(max_examples=300, deadline=None)
@given(threads(), st.sampled_from(ReadingMode))
def test_cleaning_keeps_every_body_word(original: Thread, mode: ReadingMode) -> None:
    assert _body_words(clean_thread(original, mode)) == _body_words(original)


@settings(max_examples=100, deadline=None)
@given(threads())
def test_cleaning_leaves_no_tracking_parameter(original: Thread) -> None:
    cleaned = clean_thread(original)
    shown = [(s.text, s.url or "") for p in cleaned.posts for s in p.text]
    assert not any("utm_" in t or "utm_" in u or "fbclid" in u for t, u in shown)
