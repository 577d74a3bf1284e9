"""The four commands: unroll, run, listener, worker. The only `sys.exit` of the product.

Errors become one plain sentence on stderr and the contract's exit code: 0 done, 2 not a
supported link or bad arguments, 3 the post is missing or private, 4 the source failed (and
1, outside the contract, for a bug). No traceback reaches the user unless LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from bot import __version__, oneshot
from bot.cleaning import ReadingMode
from bot.errors import UnrollError
from bot.logs import setup_logging
from bot.rendering import FORMATS
from bot.settings import Settings

EXIT_BAD_ARGUMENTS = 2
EXIT_BUG = 1
EXIT_INTERRUPTED = 130  # the shell's convention for a process stopped by Ctrl-C (128 + SIGINT)
BAD_TOKEN = "Telegram refused TELEGRAM_BOT_TOKEN; copy it again from @BotFather (/mybots)."
NO_TOKEN_HELP = """\
TELEGRAM_BOT_TOKEN is not set, so the bot cannot start.

To get a token: open Telegram, talk to @BotFather, send /newbot and follow the steps; then put
TELEGRAM_BOT_TOKEN=<the token> into the .env file here (see .env.example) and run this again.
For inline mode also send /setinline (and /setinlinefeedback) to @BotFather.

To try the unroller without Telegram (no token, no Redis needed):
    unroll-bot unroll https://bsky.app/profile/<handle>/post/<id>
    (from a checkout: bash scripts/run.sh unroll <link>)
"""

log = logging.getLogger("bot.cli")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line, run the command and exit with its code."""
    # Opt in to python-telegram-bot's announced behaviour (durations as timedelta): without it,
    # PTB warns of the change on every Telegram 429. `delivery.retry_after_s` reads both forms.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        _fail(_settings_sentence(exc), EXIT_BAD_ARGUMENTS)
    setup_logging(
        level=_log_level(args.command, settings.log_level),
        json_format=settings.log_format == "json",
        secrets=settings.secret_values(),
    )
    sys.exit(_dispatch(args, settings))


def _settings_sentence(exc: ValidationError) -> str:
    """Name the first bad setting as its variable, never echoing the value (it may be a token)."""
    first = exc.errors()[0]
    # A cross-field check (WEBHOOK_URL without WEBHOOK_SECRET) has no location of its own.
    reason = first["msg"].removeprefix("Value error, ").rstrip(".")
    if not first["loc"]:
        return f"Invalid settings: {reason}."
    name = ".".join(str(part) for part in first["loc"]).upper()
    return f"Invalid setting {name}: {reason}."


def _log_level(command: str, configured: str) -> str:
    # `unroll` prints its result on stdout and its one sentence on stderr; logs would only
    # interleave, unless someone asks for DEBUG to see where a failure came from.
    if command == "unroll" and configured.upper() != "DEBUG":
        return "WARNING"
    return configured


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "unroll":
        return _run_unroll(args, settings)
    # Checked before the token: a missing REDIS_URL means the wrong command, not a missing secret.
    if args.command in ("listener", "worker") and not settings.redis_url:
        _fail(
            f"`unroll-bot {args.command}` needs REDIS_URL; use `unroll-bot run` without it.",
            EXIT_BAD_ARGUMENTS,
        )
    if settings.telegram_bot_token is None:
        _fail(NO_TOKEN_HELP, EXIT_BAD_ARGUMENTS)
    # Imported here: Telegram, Redis and the web server are not needed by `unroll`.
    from telegram.error import InvalidToken

    from bot import running

    try:
        if args.command == "run":
            asyncio.run(running.run_all(settings))
        elif args.command == "listener":
            asyncio.run(running.run_listener(settings))
        else:
            asyncio.run(running.run_worker(settings, concurrency=args.concurrency))
    except KeyboardInterrupt:
        pass
    except InvalidToken:
        _fail(BAD_TOKEN, EXIT_BAD_ARGUMENTS)
    except Exception as exc:  # the process boundary: the log has the details, stderr one line
        log.exception("the bot stopped")
        _fail(f"The bot stopped: {type(exc).__name__}: {str(exc).rstrip('.')}.", EXIT_BUG)
    return 0


def _run_unroll(args: argparse.Namespace, settings: Settings) -> int:
    output_format = FORMATS[args.format]
    if output_format.binary and args.output is None:
        _fail(f"--format {output_format.name} needs --output FILE.", EXIT_BAD_ARGUMENTS)
    mode = ReadingMode(args.mode)
    try:
        output = asyncio.run(oneshot.unroll_once(settings, args.url, output_format, mode))
    except UnrollError as exc:
        print(exc.user_message(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # the process boundary: log the bug, answer in one sentence
        # The contract promises a sentence, never a traceback; LOG_LEVEL=DEBUG shows it.
        log.debug("unroll failed", exc_info=True)
        print(
            f"Something went wrong inside unroll-bot ({type(exc).__name__}); this is a bug, "
            "and LOG_LEVEL=DEBUG shows where it happened.",
            file=sys.stderr,
        )
        return EXIT_BUG
    return _write_output(output, args.output)


def _write_output(output: str | bytes, path: str | None) -> int:
    """Write the rendered thread to `path`, or to stdout as UTF-8 whatever the locale says."""
    data = output if isinstance(output, bytes) else output.encode()
    if path is None:
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            # The reader (`| head`) left early. Point stdout at /dev/null so that Python's own
            # flush at exit does not fail again, as the `signal` module's documentation advises.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        _fail(f"Cannot write {path}: {exc.strerror or exc}.", EXIT_BAD_ARGUMENTS)
    return 0


def _fail(sentence: str, code: int) -> NoReturn:
    print(sentence, file=sys.stderr)
    sys.exit(code)


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad command line told in one sentence instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{self.prog}: {message}; see `{self.prog} --help`.", EXIT_BAD_ARGUMENTS)


def _parser() -> argparse.ArgumentParser:
    # Subcommand parsers inherit the class of their parent, so they answer in one sentence too.
    parser = _Parser(prog="unroll-bot", description="Unroll X, Mastodon and Bluesky threads.")
    parser.add_argument("--version", action="version", version=f"unroll-bot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    unroll = commands.add_parser("unroll", help="fetch, clean and print one thread")
    unroll.add_argument("url", help="a link to any post of the thread")
    unroll.add_argument("--format", choices=list(FORMATS), default="text")
    unroll.add_argument("--mode", choices=list(ReadingMode), default=ReadingMode.REFLOW.value)
    unroll.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    commands.add_parser("run", help="the whole bot in one process")
    commands.add_parser("listener", help="only the Telegram side; needs REDIS_URL")
    worker = commands.add_parser("worker", help="only the queue consumers; needs REDIS_URL")
    worker.add_argument("--concurrency", type=_positive_int, default=None, metavar="N")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
