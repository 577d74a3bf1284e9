"""Fixtures every source test shares: the pooled client, allowed to reach the local fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.net.http import HttpClient


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    """The sources' HTTP client, with private hosts allowed so it reaches 127.0.0.1."""
    client = HttpClient(allow_private_hosts=True)
    yield client
    await client.aclose()
