"""The layer table, enforced: each module of `bot/` is in a layer that says what it may import.

A layer lists the layers of `bot/` it may use, the third-party packages it may use, and whether
it may use the whole standard library or only its pure, I/O-free part. Every module must be in
a layer (a new one fails until it is placed), and the check itself is tested to fail on a
forbidden import.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"

PURE_STDLIB = frozenset(
    {
        "__future__", "abc", "bisect", "collections", "dataclasses", "datetime", "enum",
        "functools", "hashlib", "html", "io", "itertools", "json", "math", "operator", "re",
        "string", "types", "typing", "unicodedata", "urllib.parse",
    }
)  # fmt: skip
"""Standard modules that do no I/O and read no clock, randomness or environment."""


@dataclass(frozen=True)
class Layer:
    """Modules (dotted prefixes under `bot`) and what they may import."""

    modules: tuple[str, ...]
    uses: tuple[str, ...]  # layers of bot/ it may import, itself included
    packages: frozenset[str] = frozenset()  # third-party packages
    any_stdlib: bool = False


ENTRY_POINTS = "entry points"
LAYERS: dict[str, Layer] = {
    # Words are handed to whatever speaks; the stdlib they use is gettext's NullTranslations.
    "words": Layer(("i18n",), uses=("words",), packages=frozenset({"babel"}), any_stdlib=True),
    # The catalogs read the package's own .po files: only entry points and answers pick one.
    "catalogs": Layer(("i18n.catalogs",), uses=("words",), packages=frozenset({"babel"}),
                      any_stdlib=True),
    "model": Layer(("model", "errors", "language"), uses=("model", "words")),
    "cleaning": Layer(("cleaning",), uses=("model", "cleaning")),
    "rendering": Layer(("rendering", "safety"), uses=("model", "rendering", "words"),
                       packages=frozenset({"orjson", "ebooklib"})),
    "core": Layer(
        ("links", "codec", "request", "presentation", "sources.json_reader", "sources.x_text",
         "sources.mastodon_html", "sources.mastodon_posts", "sources.bluesky_posts",
         "sources.x_api_posts", "sources.fxtwitter_posts", "follow", "follow.changes"),
        uses=("model", "cleaning", "rendering", "core", "words"),
        packages=frozenset({"orjson"}),
    ),
    "adapters": Layer(
        ("net", "sources", "telegraph_client", "keyspace", "queue", "store", "limiter", "archive",
         "delivery", "expiring", "follow.records"),
        uses=("model", "cleaning", "rendering", "core", "adapters", "observability", "words"),
        packages=frozenset({"httpx", "httpcore", "certifi", "redis", "telegram", "orjson"}),
        any_stdlib=True,
    ),
    "observability": Layer(("logs", "metrics"), uses=("adapters", "observability"),
                           packages=frozenset({"orjson", "prometheus_client"}), any_stdlib=True),
    "answers": Layer(
        ("answering", "jobs", "follow.checks", "follow.tick"),
        uses=("model", "cleaning", "rendering", "core", "adapters", "observability", "answers",
              "words", "catalogs"),
        packages=frozenset({"telegram"}),
        any_stdlib=True,
    ),
    ENTRY_POINTS: Layer(
        ("cli", "listener", "worker", "scheduler", "web"),
        uses=("model", "cleaning", "rendering", "core", "adapters", "observability", "answers",
              ENTRY_POINTS, "composition", "words", "catalogs"),
        packages=frozenset({"telegram", "starlette", "prometheus_client", "pydantic"}),
        any_stdlib=True,
    ),
    "composition": Layer(
        ("wiring", "running", "settings", "oneshot", "__main__", "__init__"),
        uses=("model", "cleaning", "rendering", "core", "adapters", "observability", "answers",
              ENTRY_POINTS, "composition", "words", "catalogs"),
        packages=frozenset({"telegram", "uvicorn", "pydantic", "pydantic_settings", "redis"}),
        any_stdlib=True,
    ),
}  # fmt: skip


def module_name(path: Path) -> str:
    """Return `bot/sources/x.py` as `sources.x` (a package's `__init__` as the package)."""
    parts = list(path.relative_to(BOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def layer_of(name: str) -> str | None:
    """Return the layer whose most specific prefix matches the module `name`."""
    matches = [
        (len(prefix), layer)
        for layer, spec in LAYERS.items()
        for prefix in spec.modules
        if name == prefix or name.startswith(prefix + ".")
    ]
    return max(matches)[1] if matches else None


def imports_of(source: str) -> set[str]:
    """Return every absolute module a source imports (`from bot import x` as `bot.x`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "bot" or node.module.startswith("bot."):
                # `from bot import metrics` imports `bot.metrics`; the package root itself
                # holds only the version string, which every layer may read.
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
                if node.module == "bot":
                    continue
            names.add(node.module)
    return names


def violations(name: str, source: str) -> list[str]:
    """Return the imports of module `name` (with `source`) that its layer does not allow."""
    return sorted(i for i in imports_of(source) if not _allowed(name, i))


def _allowed(name: str, imported: str) -> bool:
    own = layer_of(name) or "core"
    layer, top = LAYERS[own], imported.split(".")[0]
    if top == "bot":
        inner = imported.removeprefix("bot.")
        target = layer_of(inner)
        if target is None:
            return True  # a name from the package root (`bot.__version__`), not a module
        if target == own == ENTRY_POINTS:
            # Entry points meet only through wiring; inside one (the listener) all is fine.
            return inner.split(".")[0] == name.split(".")[0]
        return target in layer.uses
    if top in sys.stdlib_module_names:
        return layer.any_stdlib or imported in PURE_STDLIB or top in PURE_STDLIB
    return top in layer.packages


MODULES = sorted(BOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT)))
def test_every_module_has_a_layer(path: Path) -> None:
    assert layer_of(module_name(path)) is not None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT)))
def test_module_imports_only_what_its_layer_allows(path: Path) -> None:
    assert violations(module_name(path), path.read_text()) == []


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("rendering.markdown", "from bot.store import MemoryChatStore"),
        ("rendering.markdown", "from bot.net.http import HttpClient"),
        ("rendering.markdown", "import socket"),
        ("rendering.markdown", "import time"),
        ("cleaning.reflow", "from bot.rendering import summary"),
        ("cleaning.reflow", "import httpx"),
        ("core", "import redis"),
        ("codec", "from bot import settings"),
        ("sources.mastodon", "from bot.listener import intake"),
        ("worker", "from bot.listener import intake"),
        ("web", "from bot.cli import main"),
        ("store", "from bot.answering import plan"),
        ("answering.plan", "from bot.listener import texts"),
        ("follow.changes", "from bot.follow.records import Follower"),
        ("follow.records", "from bot.follow.checks import FollowChecks"),
    ],
)
def test_the_check_fails_on_a_forbidden_import(module: str, line: str) -> None:
    assert violations(module, line) != []


def test_the_check_passes_an_allowed_import() -> None:
    source = "from bot.model import Thread\nimport re\nfrom bot.rendering import summary\n"
    assert violations("rendering.markdown", source) == []
