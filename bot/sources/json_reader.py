"""Upstream JSON read by type, for every source. Pure: no I/O.

Dicts are the wire format: a source wraps each answer in a `JsonObject` and reads
it field by field into the model. One rule for all platforms: an absent or null field reads as
missing, and a present field of the wrong type is the source's failure (`SourceError`), not a
crash of ours. Numbers and times are checked the same way: a non-finite number, or a time
outside what `datetime` can hold in UTC, reads as the source's failure too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.errors import SourceError

MAX_EXACT_NUMBER = 2**53
"""The largest integer every JSON reader keeps exact."""


@dataclass(slots=True)
class JsonObject:
    """One upstream JSON object from `platform`, read by type.

    Not frozen, though nothing ever assigns to it: a frozen dataclass sets each field through
    `object.__setattr__`, which made building one five times as slow, and a parse builds one
    for every object of the answer (some 190 for a thread of 25 posts). Its `data` could be
    changed in place whether frozen or not.
    """

    data: Mapping[str, object]
    platform: str

    @classmethod
    def of(cls, value: object, platform: str, what: str = "answer") -> JsonObject:
        """Wrap `value`, which must be a JSON object; `what` names it in the error.

        A JSON reader decodes every object to a `dict`, and `isinstance(value, dict)` is a
        quarter of the cost of asking the `Mapping` ABC; a parse asks it for every object.
        """
        if not isinstance(value, dict):
            raise _not_an_object(platform, what)
        return cls(value, platform)

    def has(self, key: str) -> bool:
        """Tell whether `key` is present and not null."""
        return self.data.get(key) is not None

    def string(self, key: str) -> str:
        """Return the required string `key`."""
        value = self.data.get(key)
        if isinstance(value, str):
            return value
        raise self._error(_string_problem(key, value))

    def optional_string(self, key: str) -> str | None:
        """Return the string `key`, or None when it is absent or null."""
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self._error(_string_problem(key, value))

    def text(self, key: str) -> str:
        """Return the string `key`, empty when it is absent or null."""
        return self.optional_string(key) or ""

    def flag(self, key: str) -> bool:
        """Return the boolean `key`, False when it is absent or null."""
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value is True
        raise self._error(f"has a non-boolean {key!r}")

    def number(self, key: str) -> int | None:
        """Return the number `key` as an int (floats truncated), or None when absent or null.

        A number beyond ±2^53 is None too: JSON readers do not keep such numbers exact, and
        no count, size or time a post carries comes near it, so only a hostile answer sends
        one (and 1e300 votes must not crash the arithmetic of a poll's shares).
        """
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value if abs(value) <= MAX_EXACT_NUMBER else None
        if isinstance(value, float) and math.isfinite(value):
            return int(value) if abs(value) <= MAX_EXACT_NUMBER else None
        raise self._error(f"has a non-number {key!r}")

    def integers(self, key: str) -> list[int]:
        """Return the list of integers `key` (offset pairs), empty when absent or null."""
        # An exact int needs no further question (a bool, also an int, is refused).
        items = self._list(key)
        return [item if type(item) is int else self._integer(key, item) for item in items]

    def strings(self, key: str) -> list[str]:
        """Return the list of strings `key` (ids, keys), empty when absent or null."""
        return [self._string(key, item) for item in self._list(key)]

    def time(self, key: str) -> datetime:
        """Return the required ISO 8601 time `key`; a time without zone is taken as UTC."""
        moment = self.optional_time(key)
        if moment is None:
            raise self._error(f"lacks the time {key!r}")
        return moment

    def optional_time(self, key: str) -> datetime | None:
        """Return the ISO 8601 time `key` ("2025-03-16T22:44:33Z"); None when absent or empty."""
        value = self.optional_string(key)
        if not value:
            return None
        moment = parse_time(value)
        if moment is None:
            raise self._error(f"has an unreadable time {key!r}: {value!r}")
        return moment

    def child(self, key: str) -> JsonObject | None:
        """Return the object `key`, or None when it is absent or null."""
        value = self.data.get(key)
        if isinstance(value, dict):
            return JsonObject(value, self.platform)  # the common case, without a second call
        return None if value is None else self._object(key, value)

    def child_or_empty(self, key: str) -> JsonObject:
        """Return the object `key`, an empty one when it is absent or null."""
        return self.child(key) or JsonObject({}, self.platform)

    def children(self, key: str) -> list[JsonObject]:
        """Return the list of objects `key`, empty when it is absent or null."""
        platform = self.platform
        return [
            JsonObject(item, platform) if isinstance(item, dict) else self._object(key, item)
            for item in self._list(key)
        ]

    def _list(self, key: str) -> list[object]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._error(f"has a non-list {key!r}")
        return value

    def _object(self, key: str, item: object) -> JsonObject:
        # `of` without its `what`: `repr(key)` is only worth building for the error.
        if not isinstance(item, dict):
            raise _not_an_object(self.platform, repr(key))
        return JsonObject(item, self.platform)

    def _integer(self, key: str, item: object) -> int:
        if isinstance(item, int) and not isinstance(item, bool):
            return item
        raise self._error(f"has a non-integer in {key!r}")

    def _string(self, key: str, item: object) -> str:
        if isinstance(item, str):
            return item
        raise self._error(f"has a non-string in {key!r}")

    def _error(self, problem: str) -> SourceError:
        return SourceError(f"{self.platform} answer {problem}", platform=self.platform)


def _string_problem(key: str, value: object) -> str:
    # `string` asks the dict itself rather than through `optional_string`: it is the
    # commonest question of a parse, and a second call cost more than the answer.
    return f"lacks the string {key!r}" if value is None else f"has a non-string {key!r}"


def _not_an_object(platform: str, what: str) -> SourceError:
    return SourceError(f"{platform} {what} is not a JSON object", platform=platform)


def parse_time(value: str) -> datetime | None:
    """Parse an ISO 8601 time, taking one without zone as UTC; None when unreadable.

    A time that has no UTC equivalent (year 1 ahead of UTC, year 9999 behind it) is unreadable
    too: comparing or converting it later would overflow.
    """
    try:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment


def time_from_epoch(seconds: float) -> datetime | None:
    """Return the UTC time `seconds` after 1970; None when no `datetime` can hold it."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        return None
