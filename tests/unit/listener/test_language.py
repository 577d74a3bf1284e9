"""The language that answers: the chat's choice, else the asker's, else English."""

from __future__ import annotations

import pytest
from telegram import User

from bot.listener.language import pick_language


def user(language_code: str | None) -> User:
    return User(id=7, first_name="Ada", is_bot=False, language_code=language_code)


@pytest.mark.parametrize(
    ("chosen", "code", "language"),
    [
        ("es", "en", "es"),  # the chat's choice wins over the asker's
        ("", "ru", "ru"),  # no choice: the asker's own
        ("", "pt", "pt_BR"),
        ("", "en-GB", "en"),
        ("", None, "en"),
        ("xx", "de", "de"),  # a choice whose catalog is gone falls back to the asker's
    ],
)
def test_language_picked_for_a_request(chosen: str, code: str | None, language: str) -> None:
    assert pick_language(chosen, user(code)) == language


def test_no_user_and_no_choice_is_english() -> None:
    assert pick_language("", None) == "en"
