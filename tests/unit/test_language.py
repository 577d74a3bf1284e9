"""Language tags: upstream values normalised to BCP 47, their direction, the thread's majority."""

from __future__ import annotations

import pytest

from bot.language import is_rtl_tag, language_tag, most_common
from tests.samples import post, text, thread


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("pt-br", "pt-BR"),
        ("zh_hant_tw", "zh-Hant-TW"),
        ("sr-latn", "sr-Latn"),
        ("es-419", "es-419"),
        ("sl-rozaj-1994", "sl-rozaj-1994"),
        ("ckb", "ckb"),
        ("iw", "he"),
        ("in", "id"),
    ],
)
def test_language_tag_is_canonical(value: str, expected: str) -> None:
    assert language_tag(value) == expected


@pytest.mark.parametrize("value", ["und", "zxx", "mul", "qaa", "qst", "qam", "qht", "qtz", "UND"])
def test_language_tag_none_for_no_single_language(value: str) -> None:
    assert language_tag(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "x" * 1000,
        "<script>",
        "en\n",
        "en ",
        "",
        "e",
        "english",
        "en-",
        "en--us",
        "en-us-",
        '" onload="x',
        "١٢",
        "ar\u200f",
        "123",
        42,
        3.5,
        None,
        True,
        ["en"],
    ],
    ids=repr,
)
def test_language_tag_refuses_ill_formed_values(value: object) -> None:
    assert language_tag(value) is None


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ar", True),
        ("he", True),
        ("fa", True),
        ("ur", True),
        ("ps", True),
        ("sd", True),
        ("ug", True),
        ("yi", True),
        ("dv", True),
        ("ckb", True),
        ("ar-EG", True),
        ("en", False),
        ("tr", False),
        ("ku-Arab", True),
        ("sd-Deva", False),
        ("az-Arab-IR", True),
    ],
)
def test_is_rtl_tag_by_script_else_language(tag: str, expected: bool) -> None:
    assert is_rtl_tag(tag) is expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["ar", "en", "ar"], "ar"),
        (["en", None, None, "fr", "en"], "en"),
        (["fa", "en"], "fa"),
        (["en", "fa"], "en"),
        (["de", "en", "en", "de"], "de"),
        ([None, None], None),
        ([], None),
    ],
)
def test_most_common_counts_known_tags_and_ties_go_to_the_first(
    tags: list[str | None], expected: str | None
) -> None:
    assert most_common(tags) == expected


def test_thread_language_is_the_posts_majority() -> None:
    posts = [post(i, text("…"), language=lang) for i, lang in enumerate(["en", "ar", "ar", None])]
    assert thread(*posts).language == "ar"


def test_thread_language_none_when_no_post_has_one() -> None:
    assert thread(post(1, text("hi")), post(2, text("there"))).language is None
