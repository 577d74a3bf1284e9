"""The floor bench/e2e.py measures our bot against: the least a bot can do for the same answer.

Two commands, each its own process so it pays for its own interpreter as our processes do:

- `bot`: a minimal python-telegram-bot Application that answers every message by replaying
  `--sends`, the Bot API calls our bot made for one request (captured by bench/e2e.py from the
  fake Telegram's call log during warm-up): the same methods with the same texts (or rich
  messages), markup and options, aimed at the new chat and message. A text it has seen before
  (the same link asked again) gets the calls our bot made for a cache hit, the first time those
  for a cache miss, as our bot's cache decides. It
  does no other work: no queue, no fetch, no rendering, no limiter. Its HTTP pools,
  concurrency and long-poll timeout are those of our listener, passed on the command line.
- `fetch`: a bare httpx client that reads one FxTwitter post id per line on stdin, fetches
  `/2/thread/<id>` as our source does (GET, read, parse the JSON), and prints the seconds it
  took, one per line: the floor of the fetch an answer to a cache miss needs.

Run by bench/e2e.py; `--help` on each command lists its options.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from telegram import (
    Bot,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

# Parameters whose JSON value PTB's typed methods want as one of its objects.
_OBJECTS: dict[str, Any] = {
    "reply_markup": InlineKeyboardMarkup,
    "link_preview_options": LinkPreviewOptions,
    "reply_parameters": ReplyParameters,
}


def snake_case(method: str) -> str:
    """Turn a Bot API method name into PTB's (`editMessageText` → `edit_message_text`)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()


Sends = list[tuple[str, dict[str, Any]]]


def load_sends(path: Path) -> tuple[Sends, Sends]:
    """Read the captured calls for a cache miss and a cache hit: {"miss": [...], "hit": [...]},
    each a list of {"method", "params"}."""
    captured = json.loads(path.read_text())
    miss, hit = (
        [(call["method"], call["params"]) for call in captured[kind]] for kind in ("miss", "hit")
    )
    return miss, hit


async def replay(message: Message, sends: Sends) -> None:
    """Make the captured calls for `message`: same content, its chat, its message ids."""
    bot = message.get_bot()
    sent: Message | None = None  # the bot's own first message: what later edits aim at
    for method, params in sends:
        raw = params | {"chat_id": message.chat_id}
        if "reply_parameters" in raw:
            raw["reply_parameters"] = raw["reply_parameters"] | {"message_id": message.message_id}
        if "message_id" in raw:
            assert sent is not None, "an edit before any message was sent"
            raw["message_id"] = sent.message_id
        result = await call(bot, method, raw)
        if sent is None and isinstance(result, Message):
            sent = result


async def call(bot: Bot, method: str, raw: dict[str, Any]) -> Any:
    """Make one Bot API call as our bot does: PTB's typed method where PTB has one.

    Parameters the typed method does not know (such as Bot API 10.1's `rich_message`) go as
    `api_kwargs`; a required one the call does not carry (a rich edit has no `text`) is sent
    as none, which is what bot/delivery.py does. A method PTB does not have at all
    (`sendRichMessage`) goes through `do_api_request`.
    """
    typed = getattr(bot, snake_case(method), None)
    if typed is None:
        return await bot.do_api_request(method, api_kwargs=raw, return_type=Message)
    parameters = inspect.signature(typed).parameters
    known = {name: value for name, value in raw.items() if name in parameters}
    extra = {name: value for name, value in raw.items() if name not in parameters}
    for name, parameter in parameters.items():
        if parameter.default is inspect.Parameter.empty and name not in known:
            known[name], extra[name] = "", None  # PTB drops None api_kwargs from the request
    kwargs = {
        name: _OBJECTS[name].de_json(value, bot) if name in _OBJECTS else value
        for name, value in known.items()
    }
    return await typed(**kwargs, api_kwargs=extra or None)


def run_bot(args: argparse.Namespace) -> None:
    """Poll the fake Telegram and answer every message with the replay, until SIGTERM."""
    miss, hit = load_sends(args.sends)
    asked: set[str] = set()

    async def answer(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        text = message.text or ""
        await replay(message, hit if text in asked else miss)
        asked.add(text)

    application = (
        Application.builder()
        .token(args.token)
        .base_url(f"{args.api_url}/bot")
        .base_file_url(f"{args.api_url}/file/bot")
        .request(HTTPXRequest(connection_pool_size=args.connections, pool_timeout=10.0))
        .get_updates_request(HTTPXRequest(read_timeout=args.poll_timeout + 10.0))
        .concurrent_updates(args.concurrent_updates)
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, answer))
    application.run_polling(
        timeout=args.poll_timeout, allowed_updates=[Update.MESSAGE], close_loop=False
    )


async def fetch_lines(api_url: str) -> None:
    """Answer each post id on stdin with the seconds its thread took to fetch."""
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=api_url, timeout=30.0) as client:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            started = time.perf_counter()
            response = await client.get(f"/2/thread/{line.strip()}")
            response.raise_for_status()
            response.json()
            print(f"{time.perf_counter() - started:.6f}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    bot = commands.add_parser("bot", help="the bare bot: replay our sends for every message")
    bot.add_argument("--api-url", required=True, help="fake Telegram's base URL")
    bot.add_argument("--token", required=True)
    bot.add_argument(
        "--sends", type=Path, required=True, help='JSON {"miss": [{method, params}], "hit": [...]}'
    )
    bot.add_argument("--connections", type=int, default=64, help="PTB's HTTP pool size")
    bot.add_argument("--concurrent-updates", type=int, default=64)
    bot.add_argument("--poll-timeout", type=int, default=1, help="getUpdates timeout, s")
    fetch = commands.add_parser("fetch", help="the bare fetch: one post id per stdin line")
    fetch.add_argument("--api-url", required=True, help="fake FxTwitter's base URL")
    return parser.parse_args(argv)


def main() -> None:
    """Run the command asked for."""
    args = parse_args()
    if args.command == "bot":
        run_bot(args)
    else:
        asyncio.run(fetch_lines(args.api_url))


if __name__ == "__main__":
    main()
