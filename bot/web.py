"""The bot's web server: /healthz, /metrics, reader pages, and the webhook endpoint.

Runs in the same event loop as the rest of the process (uvicorn's Server, no extra thread).
Every response carries `SECURITY_HEADERS`: a reader page shows text and links from strangers,
so the browser is told to run no script at all, load nothing but images and the page's own
stylesheet, and let no other site frame the page.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import metrics
from bot.archive import ThreadArchive
from bot.cleaning import ReadingMode
from bot.codec import decode_result
from bot.errors import UnrollError
from bot.i18n import N_, SOURCE_LANGUAGE, Words
from bot.i18n.catalogs import best_match, words_for
from bot.model import Thread, ThreadKey
from bot.presentation import present
from bot.queue import JobQueue
from bot.rendering import FORMATS, html_page
from bot.store import ChatStore

log = logging.getLogger("bot.web")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
READER_PAGE_CACHE_CONTROL = "public, max-age=300"
"""A reader page may change when its thread is fetched again; five minutes of caching spares
the bot a render per view of a page shared around."""
EXPIRED_TITLE = N_("Page expired")
EXPIRED_TEXT = N_(
    "This reader page has expired. Send the link to the bot again to read the thread."
)


def expired_page(words: Words) -> str:
    """Return the small page said in place of a reader page whose thread is gone."""
    title = html.escape(words.gettext(EXPIRED_TITLE), quote=False)
    text = html.escape(words.gettext(EXPIRED_TEXT), quote=False)
    opening = f'<html lang="{words.language.replace("_", "-")}">'
    return f"<!doctype html>{opening}<meta charset=utf-8><title>{title}</title><p>{text}</p>"


def page_language(request: Request) -> str:
    """Return the catalog a reader page's own words speak.

    The answer that links to the page names its requester's language (`?lang=`); a page opened
    some other way follows the browser's Accept-Language, by preference; else English.
    """
    if named := request.query_params.get("lang"):
        return best_match(named)
    preferences = []
    for item in request.headers.get("accept-language", "").split(","):
        tag, _, weight = item.strip().partition(";q=")
        with contextlib.suppress(ValueError):
            preferences.append((-float(weight or 1), tag.strip()))
    for _weight, tag in sorted(preferences, key=lambda pair: pair[0]):
        if tag and tag != "*" and (match := best_match(tag)) != SOURCE_LANGUAGE:
            return match
        if tag.lower().startswith(SOURCE_LANGUAGE):
            return SOURCE_LANGUAGE
    return SOURCE_LANGUAGE


# The CSP source that names the reader page's <style> by the hash of its exact text.
_STYLE_HASH = (
    "sha256-" + base64.b64encode(hashlib.sha256(html_page.STYLESHEET.encode()).digest()).decode()
)
CONTENT_SECURITY_POLICY = "; ".join(
    (
        # Nothing is allowed unless named below: no script, font, frame, object or fetch. This
        # also stops a `javascript:` link, which the browser treats as an inline script.
        "default-src 'none'",
        # Thread images are hot-linked from the platforms' hosts, whichever they are.
        "img-src https: http:",
        # Only the page's own <style>, by its hash: no injected style attribute or sheet.
        f"style-src '{_STYLE_HASH}'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The page URL names the thread a person read; the image hosts and link targets need not
    # learn it (the page says the same in its <meta name="referrer">).
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}


class SecurityHeaders:
    """ASGI middleware that adds `SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers to the response's start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass
class WebhookTarget:
    """Where webhook updates go: a feeder taking the update JSON, and the shared secret."""

    feed: Callable[[object], Awaitable[None]]
    secret: str


def build_web_app(
    *,
    queue: JobQueue,
    store: ChatStore,
    webhook: WebhookTarget | None = None,
    reader_pages: bool = True,
    archive: ThreadArchive | None = None,
    refetch: Callable[[ThreadKey], Awaitable[Thread]] | None = None,
) -> Starlette:
    """Return the Starlette app with every route of the bot's web server.

    A worker process serves only /healthz and /metrics (`reader_pages=False`, no webhook).
    """

    async def healthz(_request: Request) -> Response:
        if not await store.ping():
            # Asking for workers would only wait out the client's retries: answer at once.
            return JSONResponse({"ok": False, "store": False, "workers": 0}, status_code=503)
        workers = len(await store.alive_workers())
        body = {"ok": workers > 0, "store": True, "workers": workers}
        return JSONResponse(body, status_code=200 if workers else 503)

    async def metrics_page(_request: Request) -> Response:
        return Response(metrics.render_latest(), media_type=CONTENT_TYPE_LATEST)

    async def reader_page(request: Request) -> Response:
        words = words_for(page_language(request))
        thread = await _thread_for(request.path_params["key"])
        if thread is None:
            return HTMLResponse(expired_page(words), status_code=404)
        mode_name = request.query_params.get("mode", ReadingMode.REFLOW.value)
        mode = ReadingMode(mode_name) if mode_name in set(ReadingMode) else ReadingMode.REFLOW
        page = str(present(thread, mode, words).document(FORMATS["html"]))
        etag = f'"{hashlib.sha256(page.encode()).hexdigest()[:32]}"'
        headers = {
            "ETag": etag,
            "Cache-Control": READER_PAGE_CACHE_CONTROL,
            "Vary": "Accept-Language",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return HTMLResponse(page, headers=headers)

    async def _thread_for(key_text: str) -> Thread | None:
        """The cached thread, else the one kept for answers' links, else a new fetch."""
        cached = await queue.cached_result(key_text)
        result = decode_result(cached) if cached else None
        if isinstance(result, Thread):
            return result
        kept = await archive.recall(key_text) if archive is not None else None
        if kept is not None or refetch is None:
            return kept
        try:
            thread = await refetch(ThreadKey.parse(key_text))
        except (UnrollError, ValueError):
            return None  # gone upstream too, or not a key: the page has expired
        if archive is not None:
            await archive.keep(thread)
        return thread

    async def webhook_endpoint(request: Request) -> Response:
        assert webhook is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), webhook.secret.encode()):
            log.warning("webhook call with a wrong secret")
            return Response(status_code=403)
        try:
            update = await request.json()
        # Not JSON, or not UTF-8 (UnicodeDecodeError is a ValueError), or nested too deep.
        except (ValueError, RecursionError):
            update = None
        if not isinstance(update, dict):
            # Telegram always posts an Update object; anything else is a broken or forged call.
            log.warning("webhook body is not a JSON object: answered 400")
            return Response(status_code=400)
        try:
            await webhook.feed(update)
        except (AttributeError, KeyError, TypeError, ValueError):
            # python-telegram-bot could not read it as an Update: not one Telegram sends.
            log.warning("webhook body is not an Update: answered 400")
            return Response(status_code=400)
        return Response(status_code=200)

    routes = [Route("/healthz", healthz), Route("/metrics", metrics_page)]
    if reader_pages:
        routes.append(Route("/read/{key:path}", reader_page))
    if webhook is not None:
        routes.append(Route("/webhook", webhook_endpoint, methods=["POST"]))
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
