"""Fake Telegraph: the API methods we call, plus the pages themselves, on one loopback server.

Behaves like api.telegra.ph as https://telegra.ph/api describes it: GET or POST with form fields,
HTTP 200 with `{"ok": false, "error": CODE}` for every refusal, `content` a JSON string of at
most 64 KB, only Telegraph's tags and `href`/`src`. Error codes other than FLOOD_WAIT_n,
CONTENT_TOO_BIG and ACCESS_TOKEN_INVALID are [unverified] guesses in Telegraph's style.

Pages are served as HTML at `{fake.url}/{path}`, which is also the `url` the API returns, so
tests can follow links from one part to the next over HTTP.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.rendering.telegraph import ALLOWED_ATTRS, ALLOWED_TAGS, MAX_CONTENT_BYTES, Node
from tests.fakes.server import FakeServer

_VOID_TAGS = {"br", "hr", "img"}
_LIMITS = {"title": (1, 256), "author_name": (0, 128), "author_url": (0, 512)}


@dataclass
class StoredPage:
    """A page as the fake keeps it."""

    path: str
    title: str
    content: list[Node]
    token: str
    author_name: str = ""
    author_url: str = ""
    edits: int = 0


@dataclass
class _State:
    accounts: dict[str, str] = field(default_factory=dict)  # access token → short name
    pages: dict[str, StoredPage] = field(default_factory=dict)
    flood_waits: list[int] = field(default_factory=list)
    flood_waits_by_token: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeTelegraph:
    """A fake Telegraph on a FakeServer; knobs: `flood_wait`, `max_content_bytes`."""

    def __init__(self, *, max_content_bytes: int = MAX_CONTENT_BYTES) -> None:
        self.max_content_bytes = max_content_bytes
        self._state = _State()
        self.server = FakeServer(
            [
                Route("/createAccount", self._create_account, methods=["GET", "POST"]),
                Route("/createPage", self._create_page, methods=["GET", "POST"]),
                Route("/editPage/{path}", self._edit_page, methods=["GET", "POST"]),
                Route("/getPage/{path}", self._get_page, methods=["GET", "POST"]),
                Route("/{path}", self._serve_page, methods=["GET"]),
            ],
            name="telegraph",
        )

    @property
    def url(self) -> str:
        """The API root and the pages' root alike."""
        return self.server.url

    def start(self) -> FakeTelegraph:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FakeTelegraph:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_account(self, token: str | None = None) -> str:
        """Register an account directly and return its access token."""
        token = token or secrets.token_hex(16)
        with self._state.lock:
            self._state.accounts[token] = "preset"
        return token

    def flood_wait_account(self, token: str, seconds: int, *, times: int = 1) -> None:
        """Answer the next `times` write calls of the account `token` with FLOOD_WAIT."""
        with self._state.lock:
            self._state.flood_waits_by_token.setdefault(token, []).extend([seconds] * times)

    def flood_wait(self, seconds: int, *, times: int = 1) -> None:
        """Answer the next `times` write calls with FLOOD_WAIT_<seconds>."""
        with self._state.lock:
            self._state.flood_waits.extend([seconds] * times)

    @property
    def accounts(self) -> dict[str, str]:
        with self._state.lock:
            return dict(self._state.accounts)

    @property
    def pages(self) -> dict[str, StoredPage]:
        with self._state.lock:
            return dict(self._state.pages)

    # API methods.

    async def _create_account(self, request: Request) -> Response:
        params = await _params(request)
        if flood := self._take_flood_wait():
            return flood
        short_name = params.get("short_name", "")
        if not short_name:
            return _error("SHORT_NAME_REQUIRED")
        if len(short_name) > 32:
            return _error("SHORT_NAME_TOO_LONG")
        token = secrets.token_hex(16)
        with self._state.lock:
            self._state.accounts[token] = short_name
        return _ok({"short_name": short_name, "access_token": token, "auth_url": self.url})

    async def _create_page(self, request: Request) -> Response:
        params = await _params(request)
        if refusal := self._take_flood_wait(params.get("access_token")) or self._refuse(params):
            return refusal
        page = StoredPage(
            path=self._new_path(params["title"]),
            title=params["title"],
            content=json.loads(params["content"]),
            token=params["access_token"],
            author_name=params.get("author_name", ""),
            author_url=params.get("author_url", ""),
        )
        with self._state.lock:
            self._state.pages[page.path] = page
        return _ok(self._page_json(page, with_content=False))

    async def _edit_page(self, request: Request) -> Response:
        params = await _params(request)
        if refusal := self._take_flood_wait(params.get("access_token")) or self._refuse(params):
            return refusal
        with self._state.lock:
            page = self._state.pages.get(request.path_params["path"])
            if page is None:
                return _error("PAGE_NOT_FOUND")
            if page.token != params["access_token"]:
                return _error("PAGE_ACCESS_DENIED")
            page.title = params["title"]
            page.content = json.loads(params["content"])
            page.edits += 1
        return _ok(self._page_json(page, with_content=False))

    async def _get_page(self, request: Request) -> Response:
        params = await _params(request)
        page = self.pages.get(request.path_params["path"])
        if page is None:
            return _error("PAGE_NOT_FOUND")
        return _ok(self._page_json(page, with_content=params.get("return_content") == "true"))

    async def _serve_page(self, request: Request) -> Response:
        page = self.pages.get(request.path_params["path"])
        if page is None:
            return HTMLResponse("<h1>404 Not Found</h1>", status_code=404)
        body = "".join(_node_html(node) for node in page.content)
        title = html.escape(page.title)
        return HTMLResponse(
            f"<!DOCTYPE html><html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><article>{body}</article></body></html>"
        )

    # Validation, in the order Telegraph seems to apply it.

    def _take_flood_wait(self, token: str | None = None) -> Response | None:
        with self._state.lock:
            own = self._state.flood_waits_by_token.get(token or "")
            waits = own if own else self._state.flood_waits
            if not waits:
                return None
            seconds = waits.pop(0)
        return _error(f"FLOOD_WAIT_{seconds}")

    def _refuse(self, params: dict[str, str]) -> Response | None:
        if params.get("access_token") not in self.accounts:
            return _error("ACCESS_TOKEN_INVALID")
        for name, (low, high) in _LIMITS.items():
            length = len(params.get(name, ""))
            if length < low:
                return _error(f"{name.upper()}_REQUIRED")
            if length > high:
                return _error(f"{name.upper()}_TOO_LONG")
        content = params.get("content", "")
        if not content:
            return _error("CONTENT_REQUIRED")
        if len(content.encode()) > self.max_content_bytes:
            return _error("CONTENT_TOO_BIG")
        try:
            nodes = json.loads(content)
        except ValueError:
            return _error("CONTENT_FORMAT_INVALID")
        problem = _node_problem(nodes) if isinstance(nodes, list) else "CONTENT_FORMAT_INVALID"
        return _error(problem) if problem else None

    def _new_path(self, title: str) -> str:
        today = datetime.now(UTC)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:64] or "Page"
        base = f"{slug}-{today:%m}-{today:%d}"
        with self._state.lock:
            path, number = base, 1
            while path in self._state.pages:
                number += 1
                path = f"{base}-{number}"
            # Reserve the path now, so two pages created at once cannot take the same one.
            self._state.pages[path] = StoredPage(path, title, [], "")
        return path

    def _page_json(self, page: StoredPage, *, with_content: bool) -> dict[str, object]:
        result: dict[str, object] = {
            "path": page.path,
            "url": f"{self.url}/{page.path}",
            "title": page.title,
            "description": "",
            "author_name": page.author_name,
            "author_url": page.author_url,
            "views": 0,
        }
        if with_content:
            result["content"] = page.content
        return result


async def _params(request: Request) -> dict[str, str]:
    # Parsed by hand: Starlette's request.form() needs python-multipart, which we do not ship.
    params = dict(request.query_params)
    if request.method == "POST":
        params.update(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    return params


def _node_problem(nodes: list[object]) -> str | None:
    """Return the error code for the first node Telegraph would refuse, or None."""
    for node in nodes:
        if isinstance(node, str):
            continue
        if not isinstance(node, dict) or not isinstance(node.get("tag"), str):
            return "CONTENT_FORMAT_INVALID"
        if node["tag"] not in ALLOWED_TAGS:
            return "TAG_NOT_ALLOWED"
        attrs = node.get("attrs", {})
        if not isinstance(attrs, dict) or not set(attrs) <= ALLOWED_ATTRS:
            return "ATTRIBUTE_NOT_ALLOWED"
        children = node.get("children", [])
        if not isinstance(children, list):
            return "CONTENT_FORMAT_INVALID"
        if problem := _node_problem(children):
            return problem
    return None


def _node_html(node: Node) -> str:
    if isinstance(node, str):
        return html.escape(node, quote=False)
    tag = node["tag"]
    attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in node.get("attrs", {}).items())
    if tag in _VOID_TAGS:
        return f"<{tag}{attrs}>"
    inner = "".join(_node_html(child) for child in node.get("children", []))
    return f"<{tag}{attrs}>{inner}</{tag}>"


def _ok(result: dict[str, object]) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(code: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": code})
