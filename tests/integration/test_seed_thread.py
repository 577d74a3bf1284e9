"""The seed thread through the whole pipeline, from each platform's payload to every output.

A real X thread numbered "/2" … "/9", then "10/10", with a counter glued to a closing quote
("partnership.’/3") and a tracked link: served as FxTwitter, Mastodon and Bluesky would serve
it, fetched by the real sources over a socket, cleaned in both reading modes and rendered as
text, Telegram HTML, Markdown, HTML and JSON. Every output must hold each post's body once and
in order, no counter or thread emoji, no post run into the next, and no tracking parameter. The
outputs are frozen as golden files too.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import rendering
from bot.cleaning import ReadingMode
from bot.model import Platform, Thread, ThreadKey
from bot.net.http import HttpClient
from bot.presentation import present
from bot.rendering.telegram_html import TelegramMessage
from bot.sources import SourceConfig, fetch_thread
from tests.data import seed_thread as seed
from tests.fakes.server import FakeServer

ASKED = 3  # the link names a post in the middle: the chain is found both ways
FORMATS = ("text", "telegram", "telegram-rich", "markdown", "html", "json")
# Counters as the seed writes them, and the thread emoji of the first post.
MARKER = re.compile(r"(?<![\w/.])/(?:[1-9]|10)(?![\w/])|’/3|\b10/10\b|\b1/(?=\s|$)|🧵")


async def _answer(request: Request) -> Response:
    path, uri = request.url.path, request.query_params.get("uri")
    base = str(request.base_url).rstrip("/")
    if path == f"/2/thread/{seed.X_IDS[ASKED]}":
        return JSONResponse(seed.fxtwitter_thread(ASKED))
    if path == f"/api/v1/statuses/{seed.MASTODON_IDS[ASKED]}":
        return JSONResponse(seed.mastodon_status(ASKED, base))
    # Entered lower down, the sources also ask the first post for its other replies (forks).
    for index in (ASKED, 0):
        if path == f"/api/v1/statuses/{seed.MASTODON_IDS[index]}/context":
            return JSONResponse(seed.mastodon_context(index, base))
        if path == "/xrpc/app.bsky.feed.getPostThread" and uri == seed.bluesky_uri(index):
            return JSONResponse(seed.bluesky_thread(index))
    return JSONResponse({"error": "NotFound", "message": str(request.url)}, status_code=404)


@pytest.fixture(scope="module")
def fetched() -> Iterator[dict[str, Thread]]:
    with FakeServer([Route("/{path:path}", _answer)], name="seed") as server:
        yield asyncio.run(_fetch_all(server))


async def _fetch_all(server: FakeServer) -> dict[str, Thread]:
    config = SourceConfig(
        fxtwitter_api_url=server.url, bluesky_api_url=server.url, allow_private_hosts=True
    )
    http = HttpClient(allow_private_hosts=True)
    keys = {
        "x": ThreadKey(Platform.X, "x.com", seed.X_IDS[ASKED]),
        "mastodon": ThreadKey(
            Platform.MASTODON, f"127.0.0.1:{server.port}", seed.MASTODON_IDS[ASKED]
        ),
        "bluesky": ThreadKey(
            Platform.BLUESKY, "bsky.app", f"{seed.BLUESKY_DID}/{seed.BLUESKY_RKEYS[ASKED]}"
        ),
    }
    try:
        return {
            name: await fetch_thread(key, http=http, config=config) for name, key in keys.items()
        }
    finally:
        await http.aclose()


def _as_text(output: str, result: object) -> str:
    if isinstance(result, TelegramMessage):
        return "\n\n".join(result.chunks)
    assert isinstance(result, str)
    return result


def _body_text(output: str, rendered: str) -> str:
    """Return the posts as a reader sees them, from the first post's body on.

    Titles, front matter and meta tags repeat the first post's opening words, so the body
    starts at their last occurrence; JSON's post texts are joined by paragraph breaks.
    """
    if output == "json":
        return "\n\n".join(post["text"] for post in json.loads(rendered)["posts"])
    return rendered[rendered.rfind(seed.BODY_STARTS[0]) :]


@pytest.fixture(params=["x", "mastodon", "bluesky"])
def platform(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def test_seed_is_fetched_whole(fetched: dict[str, Thread], platform: str) -> None:
    assert len(fetched[platform].posts) == len(seed.POSTS)


@pytest.mark.parametrize("mode", list(ReadingMode))
@pytest.mark.parametrize("output", FORMATS)
def test_seed_output_keeps_every_post_once_in_order(
    fetched: dict[str, Thread], platform: str, output: str, mode: ReadingMode
) -> None:
    shown = _body_text(output, _render(fetched[platform], output, mode))
    found = [
        shown.find(words)
        for pair in zip(seed.BODY_STARTS, seed.BODY_ENDS, strict=True)
        for words in pair
    ]
    counts = [shown.count(words) for words in (*seed.BODY_STARTS, *seed.BODY_ENDS)]
    assert (found == sorted(found), min(found) >= 0, set(counts)) == (True, True, {1})


@pytest.mark.parametrize("mode", list(ReadingMode))
@pytest.mark.parametrize("output", FORMATS)
def test_seed_output_has_no_marker_and_no_tracking(
    fetched: dict[str, Thread], platform: str, output: str, mode: ReadingMode
) -> None:
    rendered = _render(fetched[platform], output, mode)
    shown = _body_text(output, rendered)
    assert (MARKER.findall(_without_urls(shown)), "utm_" in rendered) == ([], False)
    assert "🧵" not in rendered


@pytest.mark.parametrize("mode", list(ReadingMode))
@pytest.mark.parametrize("output", FORMATS)
def test_seed_output_runs_no_post_into_the_next(
    fetched: dict[str, Thread], platform: str, output: str, mode: ReadingMode
) -> None:
    """Every post of the seed ends a sentence, so each starts its own paragraph."""
    shown = _body_text(output, _render(fetched[platform], output, mode))
    breaks = "<p" if output in ("html", "telegram-rich") else "\n\n"
    joints = zip(seed.BODY_ENDS, seed.BODY_STARTS[1:], strict=False)
    between = [shown[shown.index(end) : shown.index(start)] for end, start in joints]
    assert [breaks in gap for gap in between] == [True] * (len(seed.POSTS) - 1)


@pytest.mark.parametrize("mode", list(ReadingMode))
@pytest.mark.parametrize("output", FORMATS)
def test_seed_output_matches_golden_file(
    golden: Callable[[str, str], None],
    fetched: dict[str, Thread],
    platform: str,
    output: str,
    mode: ReadingMode,
) -> None:
    rendered = _render(fetched[platform], output, mode)
    extension = {"text": "txt", "telegram": "telegram.html", "markdown": "md"}.get(output, output)
    frozen = re.sub(r"127\.0\.0\.1:\d+", "social.example", rendered)
    golden(f"seed/{platform}.{mode.value}.{extension}", frozen)


def _render(thread: Thread, output: str, mode: ReadingMode) -> str:
    presentation = present(thread, mode)
    if output == "telegram":
        return _as_text(output, presentation.message)
    return _as_text(output, presentation.document(rendering.FORMATS[output]))


def _without_urls(text: str) -> str:
    return re.sub(r"(?:https?://|href=\")\S+", "", text)
