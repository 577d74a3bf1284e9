"""The whole pure pipeline on upstream payloads: fetch → clean → render, frozen as golden files.

The payloads in tests/data/payloads/ are written by hand in the real API shapes
(FxTwitter's `/2/thread`, Mastodon's statuses and context, Bluesky's getPostThread); one
FakeServer serves
them byte for byte at the paths the sources ask for. The real source modules fetch them over a
socket, `clean_thread` runs in both reading modes, and every renderer's output is compared with
tests/data/golden/pipeline/. The uncleaned thread is frozen too, so a wrong output can be traced
to the source or to cleaning. `pytest tests --update-golden` rewrites the files: read the diff.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.cleaning import ReadingMode, clean_thread
from bot.model import Platform, Thread, ThreadKey
from bot.net.http import HttpClient
from bot.rendering import FORMATS, RenderOptions, telegram_html, telegraph
from bot.rendering import json as json_renderer
from bot.rendering.telegram_html import TelegramMessage
from bot.rendering.telegraph import TelegraphPage
from bot.sources import FetchThread, SourceConfig, bluesky, fxtwitter, mastodon
from tests.fakes.server import FakeServer

PAYLOADS = Path(__file__).resolve().parents[1] / "data" / "payloads"
X_POST = "1929876543210100037"  # post 3 of 6: the chain is found from its middle
MASTODON_STATUS = "114490341102930052"  # post 2 of 5, whose replies include someone else's
BLUESKY_POST = "haru.bsky.social/3lpdq7ggu3s2a"  # post 2 of 5, asked for by handle
BLUESKY_URI = "at://haru.bsky.social/app.bsky.feed.post/3lpdq7ggu3s2a"
# The first posts: entered lower down, the sources ask them for their other replies (forks).
MASTODON_FIRST = "114490337261004811"
BLUESKY_FIRST_URI = "at://did:plc:4u7wq2xkzc3hrbm6yqmd5m3x/app.bsky.feed.post/3lpdq7ctmyk2a"
# The instance the Mastodon payloads were written for. The key's host is the fake's
# 127.0.0.1:PORT, and it shows in the author's handle (a local `acct` has no domain), so outputs
# are frozen with the instance's name in its place: the port changes from run to run.
MASTODON_INSTANCE = "social.example"

# What the fake answers: request path (with the `uri` parameter for XRPC) → payload file.
ANSWERS = {
    f"/2/thread/{X_POST}": "fxtwitter.thread.json",
    f"/api/v1/statuses/{MASTODON_STATUS}": "mastodon.status.json",
    f"/api/v1/statuses/{MASTODON_STATUS}/context": "mastodon.context.json",
    f"/api/v1/statuses/{MASTODON_FIRST}/context": "mastodon.context-of-first.json",
    f"/xrpc/app.bsky.feed.getPostThread?uri={BLUESKY_URI}": "bluesky.getPostThread.json",
    f"/xrpc/app.bsky.feed.getPostThread?uri={BLUESKY_FIRST_URI}": (
        "bluesky.getPostThread-of-first.json"
    ),
}
SOURCES: dict[str, tuple[FetchThread, Callable[[FakeServer], ThreadKey]]] = {
    "x": (fxtwitter.fetch_thread, lambda _: ThreadKey(Platform.X, "x.com", X_POST)),
    "mastodon": (
        mastodon.fetch_thread,
        lambda server: ThreadKey(Platform.MASTODON, _netloc(server), MASTODON_STATUS),
    ),
    "bluesky": (
        bluesky.fetch_thread,
        lambda _: ThreadKey(Platform.BLUESKY, "bsky.app", BLUESKY_POST),
    ),
}


def _netloc(server: FakeServer) -> str:
    return f"127.0.0.1:{server.port}"


def _as_str(result: object) -> str:
    assert isinstance(result, str)
    return result


def _telegram_text(result: object) -> str:
    assert isinstance(result, TelegramMessage)
    messages = "\n<!-- next message -->\n".join(result.chunks)
    return f"<!-- preview: {result.preview_url} -->\n{messages}\n"


def _telegraph_text(result: object) -> str:
    assert isinstance(result, list)
    assert all(isinstance(page, TelegraphPage) for page in result)
    pages = [{"title": page.title, "content": page.content} for page in result]
    return json.dumps(pages, ensure_ascii=False, indent=2) + "\n"


def _epub_text(result: object) -> str:
    """Return the chapters' XHTML: the zip around them carries timestamps."""
    assert isinstance(result, bytes)
    book = zipfile.ZipFile(io.BytesIO(result))
    chapters = [name for name in book.namelist() if re.fullmatch(r"EPUB/part-\d+\.xhtml", name)]
    chapters.sort(key=lambda name: int(re.sub(r"\D", "", name)))
    return "\n".join(book.read(name).decode() for name in chapters)


# How each renderer's result becomes the text of a golden file: file extension and converter.
AS_TEXT: dict[str, tuple[str, Callable[[object], str]]] = {
    "text": ("txt", _as_str),
    "markdown": ("md", _as_str),
    "html": ("html", _as_str),
    "json": ("json", _as_str),
    "telegram": ("telegram.html", _telegram_text),
    "telegram-rich": ("telegram-rich.html", _as_str),
    "telegraph": ("telegraph.json", _telegraph_text),
    "epub": ("epub.xhtml", _epub_text),
}


async def _answer(request: Request) -> Response:
    uri = request.query_params.get("uri")
    name = ANSWERS.get(request.url.path + (f"?uri={uri}" if uri else ""))
    if name is None:
        # Every source maps 404 to "unavailable", so an unexpected request fails the fetch.
        return JSONResponse({"error": "NotFound", "message": str(request.url)}, status_code=404)
    return Response((PAYLOADS / name).read_bytes(), media_type="application/json")


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeServer]:
    with FakeServer([Route("/{path:path}", _answer)], name="payloads") as server:
        yield server


@pytest.fixture(scope="module")
def fetched(upstream: FakeServer) -> dict[str, Thread]:
    """Fetch each platform's thread once; cleaning and rendering are pure and cheap."""
    return asyncio.run(_fetch_all(upstream))


async def _fetch_all(server: FakeServer) -> dict[str, Thread]:
    config = SourceConfig(
        fxtwitter_api_url=server.url, bluesky_api_url=server.url, allow_private_hosts=True
    )
    http = HttpClient(allow_private_hosts=True)
    try:
        return {
            name: await fetch(key_for(server), http=http, config=config)
            for name, (fetch, key_for) in SOURCES.items()
        }
    finally:
        await http.aclose()


def _frozen(text: str, server: FakeServer) -> str:
    return text.replace(_netloc(server), MASTODON_INSTANCE)


# Telegram and Telegraph as their renderers' own types (messages, page nodes), not as documents.
RENDERERS: dict[str, Callable[[Thread], object]] = {
    **{name: partial(format.render, options=RenderOptions()) for name, format in FORMATS.items()},
    "telegram": telegram_html.render,
    "telegraph": telegraph.render,
}


@pytest.mark.parametrize("platform", SOURCES)
def test_fetched_thread_matches_golden_file(
    golden: Callable[[str, str], None],
    fetched: dict[str, Thread],
    upstream: FakeServer,
    platform: str,
) -> None:
    """The source's own model, before cleaning: where to look first when an output is wrong."""
    actual = json_renderer.render(fetched[platform])
    golden(f"pipeline/{platform}.fetched.json", _frozen(actual, upstream))


@pytest.mark.parametrize("mode", list(ReadingMode))
@pytest.mark.parametrize("output", sorted(RENDERERS))
@pytest.mark.parametrize("platform", SOURCES)
def test_output_matches_golden_file(
    golden: Callable[[str, str], None],
    fetched: dict[str, Thread],
    upstream: FakeServer,
    platform: str,
    output: str,
    mode: ReadingMode,
) -> None:
    extension, as_text = AS_TEXT[output]
    actual = as_text(RENDERERS[output](clean_thread(fetched[platform], mode)))
    golden(f"pipeline/{platform}.{mode.value}.{extension}", _frozen(actual, upstream))
