"""`retry_after_s`: whatever an upstream writes in its rate-limit headers, a sane wait."""

from __future__ import annotations

import pytest

from bot.net.http import MAX_RETRY_AFTER_S, retry_after_s

NOW = 1_750_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "20"}, 20.0),
        ({"Retry-After": "99999999999"}, MAX_RETRY_AFTER_S),  # ~3,000 years
        ({"Retry-After": "9" * 400}, MAX_RETRY_AFTER_S),  # reads as infinity
        ({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, MAX_RETRY_AFTER_S),
        ({"Retry-After": "Mon, 01 Jan 1990 00:00:00 GMT"}, 0.0),  # in the past
        ({"X-RateLimit-Reset": "9" * 400}, MAX_RETRY_AFTER_S),
        ({"X-RateLimit-Reset": "9999-12-31T23:59:59Z"}, MAX_RETRY_AFTER_S),
        ({"X-RateLimit-Reset": "0001-01-01T00:00:00+01:00"}, 0.0),  # before year 1 in UTC
        ({"RateLimit-Reset": str(int(NOW) + 60)}, 60.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "\u00b2"}, None),  # a digit to `isdigit`, not to `float`
        ({"X-RateLimit-Reset": "\u00b9\u00b2"}, None),
    ],
    ids=[
        "seconds",
        "huge",
        "400-digits",
        "far-date",
        "past-date",
        "reset-400-digits",
        "reset-far-iso",
        "reset-before-year-1",
        "reset-epoch",
        "unreadable",
        "superscript-digit",
        "reset-superscript-digits",
    ],
)
def test_retry_after_clamped_to_an_hour(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_s(headers, now=NOW) == expected
