"""The one-shot unroll, and the pieces of it the bot shares: HTTP client and source settings.

Kept apart from `wiring` so `unroll-bot unroll` imports neither Telegram, Redis nor the web
server: it starts in a fraction of the time.
"""

from __future__ import annotations

from bot import links
from bot.cleaning import ReadingMode, clean_thread
from bot.net.http import HttpClient, HttpLimits
from bot.rendering import RENDERERS, RenderOptions, telegram_html
from bot.settings import Settings
from bot.sources import SourceConfig, fetch_thread

TELEGRAM_CHUNK_SEPARATOR = "\n\n――― next message ―――\n\n"


def build_http(settings: Settings) -> HttpClient:
    """Return the process's pooled HTTP client."""
    return HttpClient(
        limits=HttpLimits(
            timeout_s=settings.http_timeout_s,
            deadline_s=settings.http_deadline_s,
            max_bytes=settings.http_max_bytes,
        ),
        allow_private_hosts=settings.unroll_allow_private_hosts,
    )


def source_config(settings: Settings) -> SourceConfig:
    """Return the sources' plain settings."""
    token = settings.x_bearer_token
    return SourceConfig(
        fxtwitter_api_url=settings.fxtwitter_api_url.rstrip("/"),
        x_api_url=settings.x_api_url.rstrip("/"),
        x_bearer_token=token.get_secret_value() if token else None,
        bluesky_api_url=settings.bluesky_api_url.rstrip("/"),
        max_posts=settings.unroll_max_posts,
    )


async def unroll_once(settings: Settings, url: str, output_format: str, mode: str) -> str | bytes:
    """Fetch, clean and render one thread for `unroll-bot unroll`.

    Raises:
        UnrollError: any of its leaves; the CLI turns it into a sentence and an exit code.
    """
    key = links.find_link(url)
    http = build_http(settings)
    try:
        thread = await fetch_thread(key, http=http, config=source_config(settings))
    finally:
        await http.aclose()
    cleaned = clean_thread(thread, ReadingMode(mode))
    if output_format == "telegram":
        # Every other renderer ends its text with a newline; the chunks are messages, not lines.
        return TELEGRAM_CHUNK_SEPARATOR.join(telegram_html.render(cleaned).chunks) + "\n"
    rendered = RENDERERS[output_format](cleaned, RenderOptions())
    assert isinstance(rendered, str | bytes)
    return rendered
