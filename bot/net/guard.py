"""Private-address guard for user-given hosts (placeholder until the guard lands).

The Mastodon work replaces this module with the real resolver-pinning transport.
"""

from __future__ import annotations

import httpx

from bot.errors import BlockedHostError


def check_url(url: str, *, allow_private_hosts: bool) -> None:
    """Refuse anything but https on port 443 unless private hosts are allowed."""
    parsed = httpx.URL(url)
    if allow_private_hosts:
        return
    if parsed.scheme != "https" or parsed.port not in (None, 443):
        raise BlockedHostError(f"not https:443: {url}", host=parsed.host)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """Transport for user-given hosts."""

    def __init__(self, *, allow_private_hosts: bool) -> None:
        super().__init__()
        self.allow_private_hosts = allow_private_hosts
