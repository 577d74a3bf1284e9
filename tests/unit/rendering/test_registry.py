"""The RENDERERS registry: every output by name, each giving its own type."""

from __future__ import annotations

import pytest

from bot.rendering import RENDERERS
from bot.rendering.telegram_html import TelegramMessage
from tests.samples import rich_thread


@pytest.mark.parametrize(
    ("name", "output_type"),
    [
        ("text", str),
        ("markdown", str),
        ("html", str),
        ("json", str),
        ("epub", bytes),
        ("telegram", TelegramMessage),
        ("telegraph", list),
    ],
)
def test_registry_renders_each_format(name: str, output_type: type) -> None:
    assert isinstance(RENDERERS[name](rich_thread()), output_type)


def test_registry_covers_the_cli_formats() -> None:
    """CONTRACT: `unroll --format text|markdown|html|json`."""
    assert {"text", "markdown", "html", "json"} <= set(RENDERERS)
