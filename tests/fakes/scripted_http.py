"""A raw HTTP/1.1 server over real sockets whose every answer a test scripts.

For the lean keep-alive client (`bot.net.keepalive`), through PTB's requests to the Bot API and
through httpx's trusted client: each test chooses how the server answers (by length, in chunks,
to the end of the connection, closing without an answer, never) and counts the connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson

OK = orjson.dumps({"ok": True, "result": True})


@dataclass
class Received:
    connection: int
    head: str
    body: bytes

    @property
    def content_type(self) -> str:
        for line in self.head.split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "content-type":
                return value.strip()
        return ""


def by_length(body: bytes = OK, *, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class ThenClose(bytes):
    """An answer after which the server closes the connection (one framed by its end)."""


# What the server does with one request: the bytes to answer, None to close without answering,
# or an awaitable that never ends (a stalled server).
Answer = Callable[[Received], bytes | Awaitable[None] | None]


@dataclass
class ScriptedServer:
    """A server that records each request and answers as `answer` says."""

    port: int
    answer: Answer = lambda _: by_length()
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def until_received(self, count: int) -> None:
        async with self.arrived:
            await self.arrived.wait_for(lambda: len(self.received) >= count)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection = self.connections
        try:
            while True:
                try:
                    head = (await reader.readuntil(b"\r\n\r\n")).decode()
                except asyncio.IncompleteReadError:
                    return
                length = next(
                    (
                        int(line.split(":", 1)[1])
                        for line in head.split("\r\n")
                        if line.lower().startswith("content-length:")
                    ),
                    0,  # a GET
                )
                received = Received(connection, head, await reader.readexactly(length))
                async with self.arrived:
                    self.received.append(received)
                    self.arrived.notify_all()
                answer = self.answer(received)
                if answer is None:
                    return
                if not isinstance(answer, bytes):
                    await answer
                    return
                writer.write(answer)
                await writer.drain()
                if isinstance(answer, ThenClose):
                    return
        finally:
            writer.close()
