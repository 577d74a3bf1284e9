"""Upstream JSON read by type: absent reads as missing, a wrong type is a SourceError. Pure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.errors import SourceError
from bot.sources.json_reader import JsonObject, parse_time, time_from_epoch

Read = Callable[[JsonObject], object]

READERS: dict[str, Read] = {
    "string": lambda j: j.string("k"),
    "optional_string": lambda j: j.optional_string("k"),
    "text": lambda j: j.text("k"),
    "flag": lambda j: j.flag("k"),
    "number": lambda j: j.number("k"),
    "integers": lambda j: j.integers("k"),
    "strings": lambda j: j.strings("k"),
    "time": lambda j: j.time("k"),
    "optional_time": lambda j: j.optional_time("k"),
    "child": lambda j: j.child("k"),
    "child_or_empty": lambda j: j.child_or_empty("k"),
    "children": lambda j: j.children("k"),
}


def _read(reader: str, value: object) -> object:
    return READERS[reader](JsonObject({"k": value}, "mastodon"))


@pytest.mark.parametrize(
    ("reader", "value", "expected"),
    [
        ("string", "a", "a"),
        ("optional_string", None, None),
        ("text", None, ""),
        ("flag", True, True),
        ("flag", None, False),
        ("number", 2.9, 2),
        ("number", None, None),
        ("integers", [1, 2], [1, 2]),
        ("integers", None, []),
        ("strings", ["a"], ["a"]),
        ("time", "2025-03-16T22:44:33Z", datetime(2025, 3, 16, 22, 44, 33, tzinfo=UTC)),
        ("time", "2025-03-16T22:44:33", datetime(2025, 3, 16, 22, 44, 33, tzinfo=UTC)),
        ("optional_time", None, None),
        ("optional_time", "", None),
        ("child", None, None),
        ("child", {"a": 1}, JsonObject({"a": 1}, "mastodon")),
        ("child_or_empty", None, JsonObject({}, "mastodon")),
        ("children", [{}], [JsonObject({}, "mastodon")]),
        ("children", None, []),
    ],
)
def test_reader_returns_value_when_type_fits(reader: str, value: object, expected: object) -> None:
    assert _read(reader, value) == expected


@pytest.mark.parametrize(
    ("reader", "value"),
    [
        ("string", None),
        ("string", 7),
        ("optional_string", ["a"]),
        ("text", 7),
        ("flag", "true"),
        ("number", True),
        ("number", "12"),
        ("number", float("inf")),  # orjson refuses it, but a reader must not trust that
        ("number", float("nan")),
        ("integers", [1, "2"]),
        ("integers", [1, True]),  # a bool is an int to Python, not to JSON
        ("integers", 3),
        ("strings", [1]),
        ("time", None),
        ("optional_time", "yesterday"),
        ("optional_time", "0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        ("optional_time", "9999-12-31T23:59:59-01:00"),  # after year 9999 in UTC
        ("child", [1]),
        ("child_or_empty", "a"),
        ("children", {"a": 1}),
        ("children", [1]),
        ("children", [{}, None]),
    ],
)
def test_reader_raises_source_error_when_type_is_wrong(reader: str, value: object) -> None:
    with pytest.raises(SourceError) as caught:
        _read(reader, value)
    assert caught.value.platform == "mastodon"


def test_of_raises_source_error_when_answer_is_not_an_object() -> None:
    with pytest.raises(SourceError):
        JsonObject.of([1], "bluesky")


@pytest.mark.parametrize(("key", "expected"), [("k", True), ("null", False), ("absent", False)])
def test_has_is_false_when_absent_or_null(key: str, expected: bool) -> None:
    assert JsonObject({"k": 0, "null": None}, "x").has(key) is expected


def test_parse_time_is_none_when_unreadable() -> None:
    assert parse_time("not a time") is None


@pytest.mark.parametrize("seconds", [1e20, -1e15, float("inf")])
def test_time_from_epoch_is_none_when_out_of_range(seconds: float) -> None:
    assert time_from_epoch(seconds) is None


def test_time_from_epoch_reads_seconds_as_utc() -> None:
    assert time_from_epoch(1704070800) == datetime(2024, 1, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", [1e20, -1e20, 2**60, 1e307])
def test_number_beyond_exactness_is_unknown(value: object) -> None:
    """A width of 1e20 once crashed the result cache (orjson refuses ints over 64 bits)."""
    assert JsonObject.of({"width": value}, "mastodon").number("width") is None
