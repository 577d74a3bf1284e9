"""Golden files for renderer tests: compare an output with its frozen copy, or rewrite it.

Run `pytest tests/unit/rendering --update-golden` to rewrite the files after a deliberate change,
then read the diff. The option lives here, not in the top-level conftest, so pytest only knows
it when this directory is named on the command line; elsewhere `golden` just compares.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "data" / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/data/golden/ from the renderers' current output",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Return check(name, actual): assert `actual` equals the golden file `name`."""
    update = bool(request.config.getoption("--update-golden", default=False))

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if update:
            path.write_text(actual, encoding="utf-8")
        assert path.exists(), f"no golden file {name}; run with --update-golden and read it"
        assert actual == path.read_text(encoding="utf-8")

    return check
