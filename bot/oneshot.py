"""The one-shot unroll, and the pieces of it the bot shares: HTTP client and source settings.

Kept apart from `wiring` so `unroll-bot unroll` imports neither Telegram, Redis nor the web
server: it starts in a fraction of the time.
"""

from __future__ import annotations

from bot import links
from bot.cleaning import ReadingMode
from bot.net.http import HttpClient, HttpLimits
from bot.presentation import present
from bot.rendering import Format
from bot.settings import Settings
from bot.sources import SourceConfig, fetch_thread


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
        allow_private_hosts=settings.unroll_allow_private_hosts,
        deadline_s=settings.http_deadline_s,
        max_requests=settings.unroll_max_requests,
        max_fetch_bytes=settings.unroll_max_fetch_bytes,
    )


async def unroll_once(
    settings: Settings, url: str, output_format: Format, mode: ReadingMode
) -> str | bytes:
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
    return present(thread, mode).document(output_format)
