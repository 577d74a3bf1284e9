"""Words say numbers, dates and plural forms the way each language does; catalogs are found."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import PostUnavailableError, RateLimitedError
from bot.i18n import ENGLISH
from bot.i18n.catalogs import best_match, language_name, languages, words_for
from bot.presentation import present
from bot.rendering.summary import completeness_line, posts_text
from tests.samples import rich_thread


@pytest.mark.parametrize(
    ("count", "expected"), [(1, "1 пост"), (2, "2 поста"), (5, "5 постов"), (21, "21 пост")]
)
def test_russian_posts_take_the_three_forms(count: int, expected: str) -> None:
    assert posts_text(count, words_for("ru")) == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "منشور واحد"), (2, "منشوران"), (3, "3 منشورات"), (11, "11 منشورًا"), (100, "100 منشور")],
)
def test_arabic_posts_take_their_six_forms(count: int, expected: str) -> None:
    assert posts_text(count, words_for("ar")) == expected


def test_japanese_has_one_form() -> None:
    assert [posts_text(n, words_for("ja")) for n in (1, 2)] == ["1件の投稿", "2件の投稿"]


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "1,234"), ("de", "1.234"), ("ru", "1\xa0234")]
)
def test_numbers_are_written_as_the_language_does(language: str, expected: str) -> None:
    assert words_for(language).number(1234) == expected


def test_each_language_keeps_its_own_locale_between_calls() -> None:
    """Locales are parsed once per language; one language's must never serve another."""
    spoken = [words_for(language).number(1234) for language in ("en", "de", "en", "de")]
    dated = [words_for(language).date(date(2025, 3, 3)) for language in ("en", "ru", "en")]
    assert (spoken, dated) == (
        ["1,234", "1.234", "1,234", "1.234"],
        ["3 Mar 2025", "3 марта 2025\u202fг.", "3 Mar 2025"],
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "3 Mar 2025"),
        ("ru", "3 марта 2025\u202fг."),
        ("de", "3. März 2025"),
        ("ja", "2025年3月3日"),
        ("ar", "3 مارس 2025"),  # Babel's medium form carries RLM marks; the long one none
    ],
)
def test_dates_are_written_as_the_language_does(language: str, expected: str) -> None:
    assert words_for(language).date(date(2025, 3, 3)) == expected


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("pt", "pt_BR"),
        ("pt-BR", "pt_BR"),
        ("pt-br", "pt_BR"),
        ("en-GB", "en"),
        ("de-AT", "de"),
        ("uk", "uk"),
        ("ar-EG", "ar"),
        ("fr", "en"),
        ("zz", "en"),
        ("not a tag", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_best_match_of_a_telegram_language_code(code: str | None, language: str) -> None:
    assert best_match(code) == language


def test_unknown_catalog_speaks_english() -> None:
    assert words_for("xx") is ENGLISH


def test_english_words_are_the_source_sentences() -> None:
    assert completeness_line(rich_thread().report, words_for("en")) == completeness_line(
        rich_thread().report, ENGLISH
    )


def test_languages_are_found_in_the_folder_english_first() -> None:
    assert languages()[0] == "en"


@pytest.mark.parametrize(
    ("language", "name"), [("ru", "Русский"), ("pt_BR", "Português (Brasil)")]
)
def test_language_named_in_itself(language: str, name: str) -> None:
    assert language_name(language) == name


def test_error_sentence_is_said_in_the_words_given() -> None:
    assert PostUnavailableError().user_message(words_for("es")) == (
        "Esa publicación no existe o fue eliminada."
    )


def test_error_sentence_counts_seconds_in_plural_forms() -> None:
    error = RateLimitedError(retry_after=21, platform="bluesky")
    assert "21 секунду" not in error.user_message(words_for("ru"))
    assert "около 21 секунды" in error.user_message(words_for("ru"))


@pytest.mark.parametrize("language", languages())
def test_no_language_adds_invisible_direction_marks(language: str) -> None:
    """The bot's words in a message are plain text: no RLM, LRM, ALM or isolates."""
    message = present(rich_thread(), words=words_for(language)).message.chunks[0]
    assert [mark for mark in "\u200e\u200f\u061c\u2066\u2067\u2068\u2069" if mark in message] == []
