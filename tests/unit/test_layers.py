"""The layer table of STYLE.md, enforced: pure code never imports I/O libraries or settings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
PURE = [
    "model",
    "links",
    "errors",
    "codec",
    "request",
    "cleaning",
    "rendering",
    "sources/mastodon_html",
    "sources/json_reader",
    "sources/x_text",
    "sources/bluesky_posts",
    "sources/mastodon_posts",
    "sources/x_api_posts",
]
ADAPTERS = ["net", "sources", "telegraph_client", "queue", "store", "limiter", "delivery"]
IO_LIBRARIES = {"httpx", "redis", "telegram", "asyncio", "bot.settings"}
ENTRY_POINTS = {"bot.listener", "bot.worker", "bot.cli", "bot.settings", "bot.wiring"}


def _modules(names: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in names:
        path = BOT / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    return [p for p in found if p.exists()]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _violations(path: Path, forbidden: set[str]) -> list[str]:
    return sorted(
        name
        for name in _imports(path)
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    )


@pytest.mark.parametrize("path", _modules(PURE), ids=lambda p: str(p.relative_to(BOT)))
def test_pure_module_imports_no_io(path: Path) -> None:
    assert _violations(path, IO_LIBRARIES) == []


@pytest.mark.parametrize(
    "path",
    [p for p in _modules(ADAPTERS) if p.name != "mastodon_html.py"],
    ids=lambda p: str(p.relative_to(BOT)),
)
def test_adapter_imports_no_entry_point(path: Path) -> None:
    assert _violations(path, ENTRY_POINTS) == []
