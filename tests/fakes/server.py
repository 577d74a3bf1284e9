"""Serve a Starlette app on a free 127.0.0.1 port in a thread, and record what it received.

Each fake builds its routes and hands them to `FakeServer`. Tests talk to `server.url` over a
real socket, read `server.requests`, and turn failure knobs on the fake itself.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class RecordedRequest:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class RequestLog:
    """Thread-safe list of received requests."""

    _items: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def all(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def matching(self, path_part: str) -> list[RecordedRequest]:
        return [r for r in self.all() if path_part in r.path]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class _RecordMiddleware:
    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            self.log.add(
                RecordedRequest(
                    method=request.method,
                    path=request.url.path,
                    query=dict(request.query_params),
                    headers={k.lower(): v for k, v in request.headers.items()},
                )
            )
        await self.app(scope, receive, send)


HOLD_CHECK_S = 0.02
"""How often a held answer looks whether its test is over."""


async def hold(delay_s: float, still_current: Callable[[], bool]) -> bool:
    """Hold an answer for `delay_s` (a slow service); False as soon as `still_current` says
    its test is over (the fake was reset or stopped), so that a held answer holds up neither
    the next test nor the server's shutdown."""
    deadline = time.monotonic() + delay_s
    while (left := deadline - time.monotonic()) > 0:
        if not still_current():
            return False
        await asyncio.sleep(min(left, HOLD_CHECK_S))
    return still_current()


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeServer:
    """A Starlette app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, routes: Sequence[BaseRoute], *, name: str = "fake") -> None:
        self.name = name
        self.requests = RequestLog()
        self.app = Starlette(
            routes=list(routes), middleware=[Middleware(_RecordMiddleware, log=self.requests)]
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name=f"{name}-server", daemon=True)

    def _serve(self) -> None:
        asyncio.run(self._server.serve())

    def start(self) -> FakeServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0.01)
        return self

    @property
    def stopping(self) -> bool:
        """Tell whether `stop` was asked (answers still held should end now)."""
        return bool(self._server.should_exit)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(fn: Callable[[], None]) -> threading.Thread:
    """Start `fn` in a daemon thread (for fakes that push work in the background)."""
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread
