"""Logging: console lines for people, JSON lines for machines, a job id on every line.

`job_id` is a context variable set when the listener accepts a request and when a worker claims
its job, so one id follows a request from the chat to the reply. Every secret setting is
replaced wherever it would appear, in the message, its extra fields or an exception, because
the finished line is redacted, not its parts (libraries log request parameters at DEBUG, such
as the webhook secret of `setWebhook`). Message texts are never logged by our code.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import urllib.parse
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import orjson

job_id: contextvars.ContextVar[str] = contextvars.ContextVar("job_id", default="-")


@contextlib.contextmanager
def logged_as(value: str) -> Iterator[None]:
    """Tag every line logged inside the block with `value` as its job id, then restore it."""
    token = job_id.set(value)
    try:
        yield
    finally:
        job_id.reset(token)


# Loggers of libraries that would log every request URL, and so the bot token inside it.
_QUIET_LOGGERS = ("httpx", "httpcore", "telegram.ext.Updater", "apscheduler", "uvicorn.access")
REDACTED = "[secret]"
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class _ContextFilter(logging.Filter):
    """Adds the job id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.job_id = job_id.get()
        return True


class _Redacting(logging.Formatter):
    """Formats with `inner`, then replaces every secret in the finished line.

    A secret is also looked for as JSON writes it inside a string (escaped) and as a URL
    carries it (percent-encoded), so those spellings are covered too. Longest first, so a
    secret containing another is replaced whole.
    """

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        forms = {form for secret in secrets if secret for form in _spellings(secret)}
        self.secrets = sorted(forms, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        for secret in self.secrets:
            line = line.replace(secret, REDACTED)
        return line


def _spellings(secret: str) -> set[str]:
    return {secret, orjson.dumps(secret).decode()[1:-1], urllib.parse.quote(secret, safe="")}


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "job_id": getattr(record, "job_id", "-"),
            "event": record.getMessage(),
        }
        line.update(
            {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS and k != "job_id"}
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class _ConsoleFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(job_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}
        extras.pop("job_id", None)
        text = super().format(record)
        if extras:
            text += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return text


def setup_logging(*, level: str, json_format: bool, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once per process."""
    handler = logging.StreamHandler(sys.stderr)
    inner = _JsonFormatter() if json_format else _ConsoleFormatter()
    handler.setFormatter(_Redacting(inner, secrets))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
