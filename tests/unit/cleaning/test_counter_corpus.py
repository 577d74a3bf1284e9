"""The public counter corpus: every thread comes out of cleaning exactly as expected."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.cleaning import ReadingMode, clean_thread
from tests.data.counters.corpus import CASES, Case
from tests.unit.cleaning.build import texts_of, thread_of

LANGUAGES = {"en", "es", "pt", "de", "ru", "ja", "zh", "ar", "hi"}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_corpus_thread_cleans_as_expected(case: Case) -> None:
    cleaned = clean_thread(thread_of(*case.posts), ReadingMode.ORIGINAL)
    assert texts_of(cleaned) == list(case.expected)


def test_corpus_is_large_and_varied() -> None:
    """The corpus keeps its size: 400 threads, 150 look-alikes, 50 threads per language."""
    per_language = Counter(case.language for case in CASES)
    assert len(CASES) >= 400
    assert sum(case.is_look_alike for case in CASES) >= 150
    assert set(per_language) == LANGUAGES
    assert min(per_language.values()) >= 50


def test_corpus_case_ids_are_unique() -> None:
    assert len({case.id for case in CASES}) == len(CASES)
