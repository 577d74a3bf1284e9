"""Each renderer gives its own type; FORMATS names every document people can ask for."""

from __future__ import annotations

import pytest

from bot.rendering import FORMATS, RenderOptions, telegram_html, telegraph
from bot.rendering.telegram_html import TelegramMessage
from tests.samples import rich_thread


@pytest.mark.parametrize(
    ("name", "output_type"),
    [
        ("text", str),
        ("markdown", str),
        ("html", str),
        ("json", str),
        ("telegram", str),
        ("telegram-rich", str),
        ("epub", bytes),
    ],
)
def test_each_format_renders_its_own_type(name: str, output_type: type) -> None:
    rendered = FORMATS[name].render(rich_thread(), RenderOptions())
    assert (isinstance(rendered, output_type), FORMATS[name].binary) == (
        True,
        output_type is bytes,
    )


def test_telegram_and_telegraph_renderers_give_their_own_types() -> None:
    assert (
        isinstance(telegram_html.render(rich_thread()), TelegramMessage),
        isinstance(telegraph.render(rich_thread()), list),
    ) == (True, True)


def test_registry_covers_the_cli_formats() -> None:
    """CONTRACT: `unroll --format text|markdown|html|json`."""
    assert {"text", "markdown", "html", "json"} <= set(FORMATS)


def test_file_buttons_come_from_the_registry() -> None:
    assert [f.button for f in FORMATS.values() if f.button] == ["Markdown", "EPUB"]
