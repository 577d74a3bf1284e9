"""The bot's web server: /healthz, /metrics, reader pages, and the webhook endpoint.

Runs in the same event loop as the rest of the process (uvicorn's Server, no extra thread).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.cleaning import ReadingMode
from bot.codec import decode_result
from bot.model import Thread
from bot.presentation import present
from bot.queue import JobQueue
from bot.rendering import FORMATS
from bot.store import ChatStore

log = logging.getLogger("bot.web")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
EXPIRED_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Page expired</title>"
    "<p>This reader page has expired. Send the link to the bot again to read the thread.</p>"
)


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
        cached = await queue.cached_result(request.path_params["key"])
        result = decode_result(cached) if cached else None
        if not isinstance(result, Thread):
            return HTMLResponse(EXPIRED_PAGE, status_code=404)
        mode_name = request.query_params.get("mode", ReadingMode.REFLOW.value)
        mode = ReadingMode(mode_name) if mode_name in set(ReadingMode) else ReadingMode.REFLOW
        page = present(result, mode).document(FORMATS["html"])
        return HTMLResponse(page)

    async def webhook_endpoint(request: Request) -> Response:
        assert webhook is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), webhook.secret.encode()):
            log.warning("webhook call with a wrong secret")
            return Response(status_code=403)
        await webhook.feed(await request.json())
        return Response(status_code=200)

    routes = [Route("/healthz", healthz), Route("/metrics", metrics_page)]
    if reader_pages:
        routes.append(Route("/read/{key:path}", reader_page))
    if webhook is not None:
        routes.append(Route("/webhook", webhook_endpoint, methods=["POST"]))
    return Starlette(routes=routes)
