"""Numbering: counters and markers go, look-alikes stay; the thread is the evidence."""

from __future__ import annotations

import pytest
from _pytest.mark import ParameterSet

from bot.cleaning.markers import Candidate, Form, read_end, read_start
from bot.cleaning.numbering import Counter, Side, find_counters, strip_numbering
from bot.model import Segment, SegmentKind
from tests import samples
from tests.samples import link, post, text, thread
from tests.unit.cleaning.build import texts_of, thread_of, with_post


def case(case_id: str, texts: str, expected: str | None = None) -> ParameterSet:
    """One thread as "post | post | …" and what numbering leaves of it (itself if None)."""
    posts = texts.split(" | ")
    return pytest.param(
        posts, expected.split(" | ") if expected is not None else posts, id=case_id
    )


REMOVED = [
    case("slash-after-start", "1/ Cats | 2/ Dogs | 3/ Owls", "Cats | Dogs | Owls"),
    case("slash-after-end", "Cats 1/ | Dogs 2/ | Owls 3/", "Cats | Dogs | Owls"),
    case("slash-after-mixed-edges", "Cats 1/ | 2/ Dogs | 3/ Owls", "Cats | Dogs | Owls"),
    case("fraction-start", "1/3 Cats | 2/3 Dogs | 3/3 Owls", "Cats | Dogs | Owls"),
    case("fraction-end", "Cats 1/3 | Dogs 2/3 | Owls 3/3", "Cats | Dogs | Owls"),
    case("fraction-of-longer-thread", "1/10 Cats | 2/10 Dogs", "Cats | Dogs"),
    case("wrapped-fraction-end", "Cats (1/10) | Dogs (2/10) | Owls (3/10)", "Cats | Dogs | Owls"),
    case("bracketed-fraction-start", "[1/3] Cats | [2/3] Dogs | [3/3] Owls", "Cats | Dogs | Owls"),
    case("wrapped-open-fraction", "(1/n) Cats | (2/n) Dogs", "Cats | Dogs"),
    case("open-fraction-n", "1/n Cats | 2/n Dogs | 3/n Owls", "Cats | Dogs | Owls"),
    case("open-fraction-x", "Cats 1/x | Dogs 2/x", "Cats | Dogs"),
    case("open-fraction-infinity", "Cats 1/∞ | Dogs 2/∞", "Cats | Dogs"),
    case("slash-before-end", "Cats | Dogs /2 | Owls /3", "Cats | Dogs | Owls"),
    case("slash-before-start", "/1 Cats | /2 Dogs", "Cats | Dogs"),
    case("dot-series", "1. Cats | 2. Dogs | 3. Owls", "Cats | Dogs | Owls"),
    case("paren-series", "1) Cats | 2) Dogs | 3) Owls", "Cats | Dogs | Owls"),
    case("wrapped-number-series", "Cats (1) | Dogs (2) | Owls (3)", "Cats | Dogs | Owls"),
    case("opener-on-first-post-only", "1/ Cats | Dogs | Owls", "Cats | Dogs | Owls"),
    case("opener-at-end-of-first-post", "Cats 1/ | Dogs | Owls", "Cats | Dogs | Owls"),
    case("wrapped-opener-alone", "Cats (1/10) | Dogs | Owls", "Cats | Dogs | Owls"),
    case("numbering-from-second-post", "Intro. | 1/ Cats | 2/ Dogs", "Intro. | Cats | Dogs"),
    case(
        "unnumbered-post-slipped-in",
        "1/ Cats | Aside. | 2/ Dogs | 3/ Owls",
        "Cats | Aside. | Dogs | Owls",
    ),
    case("one-number-skipped", "1/ Cats | 2/ Dogs | 4/ Owls", "Cats | Dogs | Owls"),
    case(
        "numbering-restarts", "1/ Cats | 2/ Dogs | 1/ Owls | 2/ Bats", "Cats | Dogs | Owls | Bats"
    ),
    case(
        "total-grows-when-extended", "(1/2) Cats | (2/2) Dogs | (3/3) Owls", "Cats | Dogs | Owls"
    ),
    case("lone-counter-at-its-position", "Cats | Dogs 2/", "Cats | Dogs"),
    case("thread-emoji-start", "🧵 Cats | Dogs", "Cats | Dogs"),
    case("thread-emoji-end", "Cats 🧵 | Dogs", "Cats | Dogs"),
    case("emoji-then-counter", "🧵1/ Cats | 2/ Dogs", "Cats | Dogs"),
    case("counter-then-emoji", "1/🧵 Cats | 2/ Dogs", "Cats | Dogs"),
    case("counter-between-emoji", "Cats 1/ 🧵👇 | Dogs 2/", "Cats | Dogs"),
    case("pointing-down", "Cats 👇 | Dogs 👇 | Owls", "Cats | Dogs | Owls"),
    case("pointing-down-skin-tone", "Cats 👇🏽 | Dogs", "Cats | Dogs"),
    case("down-arrow", "Cats ⬇️ | Dogs", "Cats | Dogs"),
    case("cont-in-brackets", "Cats | (cont.) Dogs", "Cats | Dogs"),
    case("contd", "Cats cont'd | Dogs", "Cats | Dogs"),
    case("continued-in-brackets", "Cats (continued) | Dogs", "Cats | Dogs"),
    case("slash-end", "Cats | Dogs /end", "Cats | Dogs"),
    case("end-slash", "Cats | Dogs end/", "Cats | Dogs"),
    case("slash-fin", "Cats | Dogs. /fin", "Cats | Dogs."),
    case("fin-alone-on-last-post", "Cats | Dogs | fin", "Cats | Dogs | "),
    case("fin-after-sentence", "Cats | That is all. Fin.", "Cats | That is all."),
    case("the-end-on-own-line", "Cats | Dogs.\nThe end", "Cats | Dogs."),
    case("end-marker-before-weak-fraction", "Cats 3/3 /end | x", "Cats 3/3 | x"),
    case("thread-colon-opener", "Thread: Cats | Dogs", "Cats | Dogs"),
    case("a-thread-opener", "A thread 🧵 Cats purr | Dogs", "Cats purr | Dogs"),
    case("opener-then-counter-with-colon", "Thread 1/5: Cats | 2/5 Dogs", "Cats | Dogs"),
    case("a-thread-at-end", "Why cats purr. A thread 🧵 | Dogs", "Why cats purr. | Dogs"),
    case("a-emoji-thread-at-end", "Why cats purr, a 🧵 | Dogs", "Why cats purr, | Dogs"),
    case("thread-in-brackets-at-end", "Why cats purr (a thread) | Dogs", "Why cats purr | Dogs"),
    case("x-slash", "x/ Cats | x/ Dogs", "Cats | Dogs"),
    case("n-slash-n", "Cats | Dogs n/n", "Cats | Dogs"),
    case("counter-before-a-fraction", "1/ 3/4 of us agree | 2/ Dogs", "3/4 of us agree | Dogs"),
    case(
        "counter-before-a-date",
        "1/ Cats | 2/ 3/4/2024 was the day | 3/ Owls",
        "Cats | 3/4/2024 was the day | Owls",
    ),
    case("glued-to-closing-quote", "Cats | ‘allies.’/2 | ‘done.’/3", "Cats | ‘allies.’ | ‘done.’"),
    case("glued-after-cjk-full-stop", "猫です。1/3 | 犬です。2/3", "猫です。 | 犬です。"),
    case("opener-emoji-colon", "Thread 🧵: Cats | Dogs", "Cats | Dogs"),
    case("emoji-colon", "🧵: Cats | Dogs", "Cats | Dogs"),
    case(
        "mixed-slash-then-closing-fraction", "Cats /1 | Dogs /2 | Owls 3/3", "Cats | Dogs | Owls"
    ),
    case("mixed-fraction-then-slash", "1/3 Cats | 2/ Dogs | 3/ Owls", "Cats | Dogs | Owls"),
    case("keycaps", "1️⃣ Cats | 2️⃣ Dogs | 3️⃣ Owls", "Cats | Dogs | Owls"),
    case("keycaps-at-end", "Cats 1️⃣ | Dogs 2️⃣", "Cats | Dogs"),
    case("circled-numbers", "① 猫 | ② 犬", "猫 | 犬"),
    case("part-series", "Part 1: Cats | Part 2: Dogs", "Cats | Dogs"),
    case("of-series", "Cats 1 of 3 | Dogs 2 of 3", "Cats | Dogs"),
    case("fullwidth-wrapped", "（１/３）猫 | （２/３）犬", "猫 | 犬"),
    case("before-hashtags", "Cats 1/ #ai | Dogs 2/ #ml #ai", "Cats #ai | Dogs #ml #ai"),
    case("before-link", "Cats 1/ https://a.example | Dogs 2/", "Cats https://a.example | Dogs"),
]

KEPT = [
    case("date-at-start", "3/4 was the day | Dogs | Owls"),
    case("full-date-at-start", "3/4/2024 was the day | Dogs"),
    case("full-date-at-end", "Cats | We met on 3/4/2024"),
    case("lone-fraction-in-unnumbered-thread", "Cats | Dogs | 3/4 of voters agree"),
    case("lone-fraction-at-its-position", "Cats | 3/4 of voters agree | Owls"),
    case("recipe-at-start", "1/2 cup flour | Dogs"),
    case("recipe-fractions-rising", "1/2 cup flour | 2/3 cup sugar | 3/4 cup milk"),
    case("score-at-end", "Cats | Turnout was 2/3"),
    case("score-at-start", "2/3 of voters agree | Dogs"),
    case("fractions-falling", "2/3 agree | 1/3 disagree"),
    case("dates-same-month", "3/4 sunny | 3/5 rain"),
    case("dates-day-first", "4/3 sunny | 5/3 rain"),
    case("24-7-at-start", "24/7 support | Dogs"),
    case("24-7-at-end", "Cats | Open 24/7"),
    case("9-11", "9/11 changed things | Dogs"),
    case("50-50-at-end", "Cats | The odds are 50/50"),
    case("50-50-at-start", "50/50 odds | Dogs"),
    case("rating-in-sentence", "10/10 would recommend | Dogs"),
    case("rating-at-end", "Cats | Dogs | Verdict: 10/10"),
    case("rating-single-post", "Would recommend 10/10"),
    case("fraction-over-its-total", "5/4 time is odd | Dogs"),
    case("url-ending-in-end", "Cats | See example.com/end"),
    case("url-ending-in-number", "Cats | See example.com/2"),
    case("path-ending-in-number", "Cats | Edit /usr/2"),
    case("url-ending-in-fin", "Cats | https://x.dev/fin"),
    case("fraction-inside-body", "I ate 2/3 of it today | Dogs"),
    case("counters-inside-body", "Post 1/ of many | Post 2/ of many"),
    case("single-list-item", "1. The first rule | Dogs"),
    case("years", "2023. What a year | 2024. Even better"),
    case("decimals", "1.5 million cats | 2.5 million dogs"),
    case("single-paren-item", "1) one item | Dogs"),
    case("single-footnote", "Cats (1) | Dogs"),
    case("lone-counter-off-position", "Cats | Dogs 7/"),
    case("fraction-glued-to-word", "1/2cup flour | 2/2cup sugar"),
    case("x-slash-twitter", "X/Twitter is down | Dogs"),
    case("n-slash-a", "n/a for now | Dogs"),
    case("thread-inside-sentence", "I read a thread today | Dogs"),
    case("threads-plural", "Threads are great | Dogs"),
    case("thread-safe", "Thread-safe code | Dogs"),
    case("thread-at-end-of-sentence", "Read my thread | Dogs"),
    case("thread-opener-on-later-post", "Cats | Thread: Dogs"),
    case("the-end-inside-sentence", "Cats | We reached the end"),
    case("fin-inside-sentence", "Cats | A shark fin"),
    case("continued-as-word", "Cats | The fight continued"),
    case("cont-prefix-of-word", "Contact me | Dogs"),
    case("other-emoji", "🎉 Party | Dogs"),
    case("hashtag-thread", "Cats #thread | Dogs"),
    case("end-prefix-of-word", "Cats endgame/ | Dogs"),
    case("same-fraction-twice", "3/4 cup flour | 3/4 cup sugar"),
    case("fraction-at-end-at-its-position", "Cats | Split it 2/2"),
    case("christmas-date", "12/25 is Christmas | Dogs"),
    case("date-4-20", "4/20 | Dogs"),
    case("x-slash-y", "Cats | x/y coordinates"),
    case("phone-number", "Cats | Call 555/123"),
    case("fin-whale-at-start", "Fin whales are big | Dogs"),
    case("the-end-at-start", "The end of an era | Dogs"),
    case("score-inside-body", "Cats | We won 3/3 today"),
    case("subreddit-path", "Cats | Go to /r/cats"),
    case("slash-after-word", "Cats | Dogs/ Owls"),
    case("half-price", "Cats | It is 1/2 price"),
    case("fractions-of-things", "1/3 of all trips | 2/3 of all cats"),
    case("scores-with-unit", "3/5 stars | 4/5 stars"),
    case("scores-after-verb", "The film was 1/3 | The book was 2/3"),
    case("scores-after-capitalised-word", "Score 1/5 | Score 2/5"),
    case("japanese-dates", "3/4は雨 | 3/5は晴れ"),
    case("lone-keycap", "1️⃣ Cats | Dogs"),
    case("lone-part", "Part 1: Cats | Dogs"),
    case("part-headings-alone", "Part 1 | Part 2 | Part 3"),
    case("part-at-end", "Cats, Part 1 | Dogs, Part 2"),
    case("marker-before-link-stays", "Read more 👇 https://a.example | Dogs"),
]


def _stripped(texts: list[str]) -> list[str]:
    return texts_of(strip_numbering(thread_of(*texts)))


@pytest.mark.parametrize(("texts", "expected"), REMOVED)
def test_numbering_removed_when_marker_or_counter(texts: list[str], expected: list[str]) -> None:
    assert _stripped(texts) == expected


@pytest.mark.parametrize(("texts", "expected"), KEPT)
def test_numbering_kept_when_look_alike(texts: list[str], expected: list[str]) -> None:
    assert _stripped(texts) == expected


def test_numbering_counts_deleted_posts_when_gap_recorded() -> None:
    """A deleted post keeps its place, so "3/" right after the hole is still in sequence."""
    gapped = with_post(thread_of("Cats", "Dogs 3/"), 1, gap_before=1)
    assert texts_of(strip_numbering(gapped)) == ["Cats", "Dogs"]


def test_numbering_keeps_link_when_counter_follows_it() -> None:
    post_with_link = post(
        0, text("Read "), link("example.com/2", "https://example.com/2"), text(" 1/")
    )
    cleaned = strip_numbering(thread(post_with_link, post(1, text("2/ Dogs"))))
    assert cleaned.posts[0].text == (text("Read "), link("example.com/2", "https://example.com/2"))


def test_numbering_ignores_text_glued_to_a_link() -> None:
    """ "/2" right after a link continues the URL's text, it is no counter."""
    glued = post(1, text("See "), link("example.com", "https://example.com"), text("/2"))
    cleaned = strip_numbering(thread(post(0, text("1/ Cats")), glued))
    assert cleaned.posts[1].text == glued.text


def test_numbering_reads_start_before_a_mention() -> None:
    mention = Segment(SegmentKind.MENTION, "@bob", "https://x.com/bob")
    cleaned = strip_numbering(
        thread(post(0, text("🧵 1/ Thanks "), mention), post(1, text("2/ Dogs")))
    )
    assert cleaned.posts[0].text == (text("Thanks "), mention)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "🧵 1/ Cats", (1, Candidate(Form.SLASH_AFTER, 1), 5), id="marker-then-counter"
        ),
        pytest.param("(2/10) Cats", (0, Candidate(Form.WRAPPED_FRACTION, 2, 10), 7), id="wrapped"),
        pytest.param("2/n: Cats", (0, Candidate(Form.OPEN_FRACTION, 2), 5), id="open-with-colon"),
        pytest.param("Cats 1/", (0, None, 0), id="nothing-at-start"),
    ],
)
def test_read_start_finds_markers_and_candidate(
    source: str, expected: tuple[int, Candidate | None, int]
) -> None:
    edge = read_start(source)
    assert (edge.marker_cut, edge.candidate, edge.counter_cut) == expected


def test_read_end_finds_counter_beyond_markers() -> None:
    edge = read_end("Cats 3/ 👇")
    assert (edge.marker_cut, edge.candidate, edge.counter_cut) == (
        8,
        Candidate(Form.SLASH_AFTER, 3),
        4,
    )


def test_find_counters_rejects_fraction_without_sequence() -> None:
    lone = Counter(post=2, side=Side.START, ordinal=3, candidate=Candidate(Form.FRACTION, 3, 4))
    assert find_counters([lone]) == set()


def test_find_counters_accepts_fractions_in_sequence() -> None:
    first = Counter(0, Side.END, 1, Candidate(Form.FRACTION, 1, 4))
    second = Counter(1, Side.END, 2, Candidate(Form.FRACTION, 2, 4))
    assert find_counters([first, second]) == {first, second}


def test_a_flood_of_keycaps_is_no_number() -> None:
    """4,301 keycap digits once made `int` refuse the string: a crash, not a counter."""
    flood = samples.text("1\ufe0f\u20e3" * 4301 + " text")
    cleaned = strip_numbering(samples.thread(samples.post(1, flood), samples.post(2, flood)))
    assert cleaned.posts[0].plain_text.endswith("text")
