"""Dataclasses ⇄ JSON bytes, for what crosses the queue and the cache. Pure: no I/O.

Threads, requests and failures travel between processes through Redis as bytes. One generic
codec, driven by the dataclasses' own type hints, keeps them in step with the model: a new field
needs no new code here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

import orjson

from bot import errors
from bot.errors import UnrollError
from bot.model import Thread

T = TypeVar("T")


def encode(value: object) -> bytes:
    """Serialise a dataclass (nested dataclasses, tuples, enums, datetimes) to JSON bytes."""
    return orjson.dumps(_to_plain(value))


def decode(cls: type[T], data: bytes) -> T:
    """Rebuild a `cls` instance from `encode`'s bytes."""
    return typing.cast(T, _from_plain(cls, orjson.loads(data)))


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
    return orjson.dumps({"thread": _to_plain(result)})


def decode_result(data: bytes) -> Thread | UnrollError:
    """Invert `encode_result`."""
    plain = orjson.loads(data)
    if "thread" in plain:
        return typing.cast(Thread, _from_plain(Thread, plain["thread"]))
    failure = plain["error"]
    cls = getattr(errors, failure["type"], None)
    if not (isinstance(cls, type) and issubclass(cls, UnrollError)):
        cls = errors.SourceError
    kwargs: dict[str, Any] = {"platform": failure["platform"], "host": failure["host"]}
    if issubclass(cls, errors.RateLimitedError):
        kwargs["retry_after"] = failure["retry_after"]
    return cls(failure["detail"], **kwargs)


def _to_plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_to_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _from_plain(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _from_plain(options[0], value)
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        return tuple(_from_plain(item_hint, item) for item in value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _field_types(hint)
        known = {f.name for f in dataclasses.fields(hint)}
        return hint(**{k: _from_plain(hints[k], v) for k, v in value.items() if k in known})
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    return value
