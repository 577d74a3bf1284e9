"""clean_thread: the steps together, the reading modes, and the properties cleaning keeps."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.cleaning as cleaning
from bot.cleaning import TEXT_STEPS, ReadingMode, Step, clean_thread
from bot.model import LinkCard, Media, MediaType, SegmentKind, Thread, with_changes
from tests.samples import link, post, rich_thread, text, thread
from tests.unit.cleaning.build import texts_of, thread_of

PHOTO = (Media(MediaType.PHOTO, "https://pbs.twimg.com/media/a.jpg"),)


def _x_style_thread() -> Thread:
    """A thread as X hands it over: reply prefixes, counters, media links, tracking."""
    return thread(
        post(0, text("Why cats purr. A thread 🧵👇")),
        post(1, text("@ada 1/ They purr when they are")),
        post(2, text("happy, and when they heal 2/ https://t.co/AbC"), media=PHOTO),
        post(3, text("3/ Read "), link("a.example/p", "https://a.example/p?utm_source=x")),
        post(4, text("/end")),
    )


def test_clean_thread_removes_markers_mentions_links_and_tracking() -> None:
    cleaned = clean_thread(_x_style_thread())
    assert texts_of(cleaned) == [
        "Why cats purr.",
        "They purr when they are",
        "happy, and when they heal",
        "Read a.example/p",
    ]


def test_clean_thread_strips_tracking_from_link_target() -> None:
    assert clean_thread(_x_style_thread()).posts[3].text[1].url == "https://a.example/p"


def test_clean_thread_joins_broken_sentence_in_reflow_mode() -> None:
    cleaned = clean_thread(_x_style_thread(), ReadingMode.REFLOW)
    assert [p.joins_next for p in cleaned.posts] == [False, True, False, False]


def test_clean_thread_keeps_post_breaks_in_original_mode() -> None:
    cleaned = clean_thread(_x_style_thread(), ReadingMode.ORIGINAL)
    assert [p.joins_next for p in cleaned.posts] == [False, False, False, False]


def test_clean_thread_keeps_attachments_untouched() -> None:
    """Media, quotes, polls and (untracked) cards pass through as they were."""
    original = rich_thread()
    attachments = [(p.media, p.quote, p.poll, p.card) for p in original.posts]
    assert [
        (p.media, p.quote, p.poll, p.card) for p in clean_thread(original).posts
    ] == attachments


def test_clean_thread_strips_tracking_from_link_card() -> None:
    card = LinkCard("https://news.example/story?utm_source=bsky&id=4", "A story")
    cleaned = clean_thread(thread(post(0, text("Read this."), card=card)))
    assert cleaned.posts[0].card == LinkCard("https://news.example/story?id=4", "A story")


def test_opener_closed_by_thread_emoji_keeps_its_paragraph() -> None:
    """ "… in five toots 🧵 1/" is a headline: losing the 🧵 must not run it into post 2."""
    cleaned = clean_thread(
        thread_of("Keeping a starter alive, in five toots 🧵 1/", "2/ Feed it.")
    )
    assert (texts_of(cleaned), cleaned.posts[0].joins_next) == (
        ["Keeping a starter alive, in five toots", "Feed it."],
        False,
    )


def test_counter_alone_at_the_end_still_lets_the_sentence_run_on() -> None:
    cleaned = clean_thread(thread_of("1/ These are the jobs that 1/", "2/ nobody wants. 2/"))
    assert cleaned.posts[0].joins_next is True


def test_clean_thread_keeps_post_with_media_when_text_was_only_a_marker() -> None:
    marker_only = thread(post(0, text("Cats.")), post(1, text("🧵👇"), media=PHOTO))
    assert clean_thread(marker_only).posts[1].text == ()


def test_clean_thread_uncovers_counter_behind_a_mention() -> None:
    """ "2/ @ada …" loses its counter first, then the reply mention it uncovered."""
    cleaned = clean_thread(thread_of("1/ Cats.", "2/ @ada Dogs."))
    assert texts_of(cleaned) == ["Cats.", "Dogs."]


# Body words never look like markers, so no correct cleaning may remove one.
BODY_WORDS = ("apple", "river", "stone", "cloud", "maple", "otter", "piano", "quartz")
PUNCTUATION = ("", "", ".", ",", "!", "?", ":")
# Look-alikes no thread can turn into counters: past their total, dates, glued to a path.
SAFE_LOOK_ALIKES = ("24/7", "3/4/2024", "example.com/end", "1/2cup", "x/y")
EDGE_MARKERS = ("🧵", "👇", "⬇️", "/end", "end/", "(cont.)", "cont'd", "x/", "n/n", "Thread:")
LOOSE_NUMBERS = ("3/4", "1/", "2/", "(1/3)", "/2", "1.", "2)", "(2)", "10/10", "50/50", "9/11")
MENTIONS = ("@ada", "@bob")

body_word = st.builds(
    lambda w, p: w + p, st.sampled_from(BODY_WORDS), st.sampled_from(PUNCTUATION)
)
body_token = st.one_of(body_word, st.sampled_from(SAFE_LOOK_ALIKES), st.just("\n\n"))
edge_token = st.sampled_from(EDGE_MARKERS + LOOSE_NUMBERS + MENTIONS)


@st.composite
def post_texts(draw: st.DrawFn) -> str:
    """One post: markers and numbers at its edges around a body of words and look-alikes."""
    start = draw(st.lists(edge_token, max_size=3))
    body = draw(st.lists(body_token, min_size=1, max_size=8))
    end = draw(st.lists(edge_token, max_size=3))
    return " ".join(start + body + end)


@st.composite
def threads(draw: st.DrawFn) -> Thread:
    """A thread of such posts, some with a sequence counter, a tracked link or a photo."""
    texts = draw(st.lists(post_texts(), min_size=1, max_size=6))
    numbered = draw(st.booleans())
    posts = []
    for index, value in enumerate(texts):
        if numbered and draw(st.booleans()):
            value = f"{index + 1}/ {value}" if draw(st.booleans()) else f"{value} {index + 1}/"
        segments = [text(value)]
        if draw(st.booleans()):
            url = "https://a.example/p?id=1&utm_source=x"
            segments.insert(draw(st.integers(0, 1)), link(url, url))
        media = PHOTO if draw(st.integers(0, 4)) == 0 else ()
        posts.append(post(index, *segments, media=media, gap_before=draw(st.integers(0, 1))))
    return thread(*posts)


def _guarded_tokens(value: Thread) -> list[str]:
    """Return the body words (punctuation aside) and safe look-alikes, in thread order."""
    tokens = " ".join(s.text for p in value.posts for s in p.text if s.kind is SegmentKind.TEXT)
    words = (re.sub(r"[.,!?:]+$", "", token) for token in tokens.split())
    return [w for w in words if w in BODY_WORDS or w in SAFE_LOOK_ALIKES]


@settings(max_examples=100, deadline=None)
@given(threads(), st.sampled_from(ReadingMode))
def test_clean_thread_is_idempotent(original: Thread, mode: ReadingMode) -> None:
    once = clean_thread(original, mode)
    assert clean_thread(once, mode) == once


@settings(max_examples=100, deadline=None)
@given(threads())
def test_clean_thread_never_removes_a_body_word(original: Thread) -> None:
    assert _guarded_tokens(clean_thread(original)) == _guarded_tokens(original)


@st.composite
def numbered_threads(draw: st.DrawFn) -> tuple[Thread, list[str]]:
    """A thread whose every post carries its counter in one consistent form, and its bodies."""
    bodies = draw(st.lists(st.lists(body_word, min_size=1, max_size=5), min_size=2, max_size=6))
    bodies_text = [" ".join(words) for words in bodies]
    form = draw(st.sampled_from(("{n}/", "({n}/{total})", "{n}/{total}", "[{n}/{total}]")))
    at_start = draw(st.booleans())
    posts = []
    for index, body in enumerate(bodies_text):
        counter = form.format(n=index + 1, total=len(bodies))
        posts.append(post(index, text(f"{counter} {body}" if at_start else f"{body} {counter}")))
    return thread(*posts), [re.sub(r"\s+", " ", b).strip() for b in bodies_text]


@settings(max_examples=100, deadline=None)
@given(numbered_threads())
def test_clean_thread_removes_every_counter_of_a_numbered_thread(
    case: tuple[Thread, list[str]],
) -> None:
    original, bodies = case
    assert texts_of(clean_thread(original)) == bodies


def test_clean_thread_keeps_untouched_thread_equal() -> None:
    plain = thread_of("Cats purr.", "Dogs bark.")
    assert clean_thread(plain) == plain


def test_clean_thread_leaves_report_as_fetched() -> None:
    original = replace(thread_of("Cats.", "🧵"), report=replace(thread_of("a").report, posts=2))
    assert clean_thread(original).report == original.report


def test_reflow_judges_the_end_left_after_a_glued_counter() -> None:
    """ "partnership.’/3" ends a sentence once "/3" is gone, so it keeps its paragraph."""
    cleaned = clean_thread(thread_of("Intro. /1", "allies.’/2", "partnership.’/3", "Outro /4"))
    assert [p.joins_next for p in cleaned.posts] == [False, False, False, False]


def test_reflow_runs_on_once_an_emoji_counter_is_gone() -> None:
    cleaned = clean_thread(thread_of("1️⃣ Cats purr when they", "2️⃣ are happy."))
    assert [p.joins_next for p in cleaned.posts] == [True, False]


def test_reflow_runs_on_after_a_reply_mention_and_counter_are_gone() -> None:
    cleaned = clean_thread(thread_of("Cats purr when 1/", "@ada they are 2/", "@ada happy. 3/"))
    assert [p.joins_next for p in cleaned.posts] == [True, True, False]


def test_reflow_keeps_break_after_trailing_hashtags() -> None:
    cleaned = clean_thread(thread_of("Cats purr 1/ #cats #pets", "Dogs bark 2/"))
    assert (texts_of(cleaned), cleaned.posts[0].joins_next) == (
        ["Cats purr #cats #pets", "Dogs bark"],
        False,
    )


def _recording(steps: list[str], step: Step) -> Step:
    """Return `step`, noting its name in `steps` each time it runs."""

    def recorded(value: Thread) -> Thread:
        steps.append(step.__name__)
        return step(value)

    return recorded


def _removing(word: str, *, unless: str | None = None) -> Step:
    """Return a step that removes `word` from every post, except where `unless` still shows."""

    def remove(value: Thread) -> Thread:
        posts = tuple(
            p
            if word not in p.plain_text or (unless and unless in p.plain_text)
            else with_changes(p, text=(text(p.plain_text.replace(word, "").strip()),))
            for p in value.posts
        )
        return with_changes(value, posts=posts) if posts != value.posts else value

    remove.__name__ = f"remove_{word}"
    return remove


def test_clean_thread_runs_each_step_once_on_a_thread_none_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A step that handed a thread back is not asked again (tidy_whitespace is listed twice)."""
    ran: list[str] = []
    recorded = {step: _recording(ran, step) for step in TEXT_STEPS}
    monkeypatch.setattr(cleaning, "TEXT_STEPS", tuple(recorded[step] for step in TEXT_STEPS))
    plain = thread_of("Cats purr.", "Dogs bark.")
    assert clean_thread(plain) == plain
    assert sorted(ran) == sorted({step.__name__ for step in TEXT_STEPS})


def test_clean_thread_asks_a_step_again_once_a_later_step_changed_the_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "B" goes only once "A" is gone, and "A" goes after "B" was looked at: skipping the first
    step for having handed back the thread of the first round would leave "B" behind."""
    steps = (_removing("B", unless="A"), _removing("A"))
    monkeypatch.setattr(cleaning, "TEXT_STEPS", steps)
    assert texts_of(clean_thread(thread_of("A B C", "C"))) == ["C", "C"]
