"""Dataclasses ⇄ JSON bytes, for what crosses the queue and the cache. Pure: no I/O.

Threads, requests and failures travel between processes through Redis as bytes. One generic
codec, driven by the dataclasses' own type hints, keeps them in step with the model: a new field
needs no new code here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

import orjson

from bot import errors
from bot.errors import UnrollError
from bot.model import Thread, ThreadKey
from bot.request import UnrollRequest

T = TypeVar("T")


def encode(value: object) -> bytes:
    """Serialise a dataclass (nested dataclasses, tuples, enums, datetimes) to JSON bytes."""
    return _dumps(value)


def decode(cls: type[T], data: bytes) -> T:
    """Rebuild a `cls` instance from `encode`'s bytes."""
    hint: type = cls  # mypy cannot tell that every type[T] is hashable
    return typing.cast(T, _decoder(hint)(orjson.loads(data)))


def decode_request(data: bytes) -> UnrollRequest:
    """Rebuild a queued request, also one queued before requests were typed.

    Those carried the thread key as its string and a `chat_type` instead of a destination; a
    bot updated over a non-empty queue still answers them.
    """
    plain = orjson.loads(data)
    if isinstance(plain, dict) and isinstance(plain.get("key"), str):
        key = ThreadKey.parse(plain["key"])
        plain["key"] = {"platform": key.platform.value, "host": key.host, "post_id": key.post_id}
        chat_type = str(plain.get("chat_type"))
        plain.setdefault("destination", _LEGACY_DESTINATIONS.get(chat_type, "private"))
    return typing.cast(UnrollRequest, _decoder(UnrollRequest)(plain))


_LEGACY_DESTINATIONS = {
    "group": "group",
    "supergroup": "group",
    "channel": "group",
    "inline": "inline",
}


def encode_result(result: Thread | UnrollError) -> bytes:
    """Serialise what a job produced: the thread, or the error every requester is told."""
    if isinstance(result, UnrollError):
        failure = {
            "type": type(result).__name__,
            "detail": result.detail,
            "platform": result.platform,
            "host": result.host,
            "retry_after": getattr(result, "retry_after", None),
        }
        return orjson.dumps({"error": failure})
    return _dumps({"thread": result})


def with_shown(encoded: bytes, shown: object) -> bytes:
    """Return `encode_result(thread)` with `shown`, a dataclass, travelling along: what an
    answer rendered of the thread (`decode_result_and_shown` reads it back). Joined to the
    bytes, so the thread is encoded once: the worker keeps it alone in the archive and with
    what its answer shows in the cache."""
    if not encoded.startswith(b'{"thread":'):
        raise ValueError("only a thread travels with what was shown of it")
    return encoded[:-1] + b',"shown":' + _dumps(shown) + b"}"


def decode_result(data: bytes) -> Thread | UnrollError:
    """Invert `encode_result` (leaving out what was shown)."""
    return _result(orjson.loads(data))


def decode_result_and_shown(data: bytes, shown: type[T]) -> tuple[Thread | UnrollError, T | None]:
    """Invert `encode_result`, with what it was given as `shown`: None when nothing was, or
    when that no longer reads as a `shown` (written by another version of the bot)."""
    plain = orjson.loads(data)
    hint: type = shown  # as in `decode`
    try:
        kept = typing.cast(T | None, _decoder(hint)(plain.get("shown")))
    except (AttributeError, KeyError, TypeError, ValueError):
        kept = None
    return _result(plain), kept


def _result(plain: dict[str, Any]) -> Thread | UnrollError:
    if "thread" in plain:
        return typing.cast(Thread, _decoder(Thread)(plain["thread"]))
    failure = plain["error"]
    cls = getattr(errors, failure["type"], None)
    if not (isinstance(cls, type) and issubclass(cls, UnrollError)):
        cls = errors.SourceError
    kwargs: dict[str, Any] = {"platform": failure["platform"], "host": failure["host"]}
    if issubclass(cls, errors.RateLimitedError):
        kwargs["retry_after"] = failure["retry_after"]
    return cls(failure["detail"], **kwargs)


def _dumps(value: object) -> bytes:
    # orjson walks dataclasses, tuples and enums itself, in C. Datetimes come back to
    # `isoformat`, which keeps an offset's seconds where orjson would drop them.
    return orjson.dumps(value, default=_isoformat, option=orjson.OPT_PASSTHROUGH_DATETIME)


def _isoformat(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not serialisable")


Decoder = Callable[[Any], Any]


@cache
def _decoder(hint: Any) -> Decoder:
    """Return the function that rebuilds a value of type `hint` from its plain JSON form.

    It is worked out once per type from the type hints, so decoding a thread does no type
    inspection per value. JSON null stays None whatever the hint; a value JSON holds as it is
    (text, numbers, flags) gets `_as_is`, which the dataclass decoder skips.
    """
    decode_value = _value_decoder(hint)
    if decode_value is _as_is:
        return _as_is

    def decode_or_none(value: Any) -> Any:
        return None if value is None else decode_value(value)

    return decode_or_none


def _as_is(value: Any) -> Any:
    return value


def _value_decoder(hint: Any) -> Decoder:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decoder(options[0])
    if origin is tuple:
        decode_item = _decoder(typing.get_args(hint)[0])
        return lambda value: tuple([decode_item(item) for item in value])
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _enum_decoder(hint)
    if hint is datetime:
        return datetime.fromisoformat
    return _as_is


def _enum_decoder(cls: type[Enum]) -> Decoder:
    # A dict lookup: calling the Enum class costs ten times as much, for every segment's kind.
    members = {member.value: member for member in cls}

    def decode_enum(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a valid {cls.__name__}") from None

    return decode_enum


def _dataclass_decoder(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    names = frozenset(field.name for field in dataclasses.fields(cls))
    # Only the fields whose JSON form differs from the value are converted; the rest pass.
    converters = {
        name: decoder for name in names if (decoder := _decoder(hints[name])) is not _as_is
    }

    def decode_dataclass(value: dict[str, Any]) -> Any:
        # Keys the class does not know (a field removed since the value was encoded) are skipped.
        arguments = {key: item for key, item in value.items() if key in names}
        for name, convert in converters.items():
            if name in arguments:
                arguments[name] = convert(arguments[name])
        return cls(**arguments)

    return decode_dataclass
