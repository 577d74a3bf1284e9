"""Logging: console lines for people, JSON lines for machines, a job id on every line.

`job_id` is a context variable set when the listener accepts a request and when a worker claims
its job, so one id follows a request from the chat to the reply. Secrets (the bot token, API
tokens) are replaced wherever they would appear; message texts are never logged by our code.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
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
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class _ContextFilter(logging.Filter):
    """Adds the job id and hides secrets in every record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        record.job_id = job_id.get()
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "[secret]")
            record.msg, record.args = message, None
        return True


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
    handler.setFormatter(_JsonFormatter() if json_format else _ConsoleFormatter())
    handler.addFilter(_ContextFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
