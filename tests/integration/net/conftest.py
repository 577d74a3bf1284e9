"""The scripted raw HTTP server the lean keep-alive client's tests talk to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.fakes.scripted_http import ScriptedServer
from tests.fakes.server import free_port


@pytest.fixture
async def api() -> AsyncIterator[ScriptedServer]:
    api = ScriptedServer(free_port())
    server = await asyncio.start_server(api.serve, "127.0.0.1", api.port)
    yield api
    server.close()
