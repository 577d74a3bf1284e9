"""`unroll-bot unroll` (and the bot commands' refusals) as a subprocess against fake upstreams.

Each test runs `python -m bot` in an empty directory (no `.env`) with the environment pointing at
FakeFxTwitter, FakeXApi, FakeMastodon and FakeBluesky, started once for the module. The checks
are the CONTRACT's: what stdout holds for each format, the exit code, and one plain sentence on
stderr for every failure.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram.constants import MessageLimit

from bot.cli import BAD_TOKEN
from bot.errors import UnsupportedLinkError
from bot.rendering.telegram_html import CHUNK_SEPARATOR as TELEGRAM_CHUNK_SEPARATOR
from bot.settings import Settings
from tests.fakes.bluesky import FakeBluesky, build_branch
from tests.fakes.bluesky import build_thread as build_bluesky_thread
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import free_port
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_rich import validate as validate_rich
from tests.fakes.x_api import TOKEN, FakeXApi

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, so a call fails fast
_OUR_VARIABLES = {name.upper() for name in Settings.model_fields}


@dataclass
class Upstreams:
    """The four fakes, sharing one X store between FxTwitter and the X API."""

    fxtwitter: FakeFxTwitter
    x_api: FakeXApi
    mastodon: FakeMastodon
    bluesky: FakeBluesky

    def reset(self) -> None:
        for fake in (self.fxtwitter, self.x_api, self.mastodon, self.bluesky):
            fake.reset()

    def environment(self) -> dict[str, str]:
        """Return the settings that point the CLI at the fakes (X through FxTwitter)."""
        return {
            "FXTWITTER_API_URL": self.fxtwitter.url,
            "BLUESKY_API_URL": self.bluesky.url,
            "UNROLL_ALLOW_PRIVATE_HOSTS": "true",  # Mastodon links name 127.0.0.1
        }

    def x_api_environment(self) -> dict[str, str]:
        """Return settings for X through the API v2, with FxTwitter out of reach."""
        return {"X_API_URL": self.x_api.url, "X_BEARER_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def upstreams() -> Iterator[Upstreams]:
    fxtwitter = FakeFxTwitter()
    fakes = Upstreams(fxtwitter, FakeXApi(fxtwitter.store), FakeMastodon(), FakeBluesky())
    servers = [fxtwitter.server, fakes.x_api.server, fakes.mastodon.server, fakes.bluesky.server]
    for server in servers:
        server.start()
    yield fakes
    for server in servers:
        server.stop()


@pytest.fixture
def fakes(upstreams: Upstreams) -> Upstreams:
    """The module's fakes with every knob off and no Mastodon or Bluesky posts."""
    upstreams.reset()
    return upstreams


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def cli_environment(fakes: Upstreams, **settings: str) -> dict[str, str]:
    """Return this process's environment without our settings, plus the fakes' and these."""
    inherited = {k: v for k, v in os.environ.items() if k.upper() not in _OUR_VARIABLES}
    return inherited | fakes.environment() | settings


def run_cli(fakes: Upstreams, directory: Path, *args: str, **settings: str) -> Result:
    """Run `python -m bot ARGS` in `directory`, with only the fakes' and these settings set."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=cli_environment(fakes, **settings),
        cwd=directory,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return Result(done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.fixture
def cli(fakes: Upstreams, tmp_path: Path) -> Callable[..., Result]:
    """Run `python -m bot ARGS` in an empty directory; keyword arguments are extra settings."""

    def run(*args: str, **settings: str) -> Result:
        return run_cli(fakes, tmp_path, *args, **settings)

    return run


def failure_sentence(result: Result, exit_code: int) -> str:
    """Check a failed run (the exit code, nothing on stdout, one line on stderr); return it."""
    assert (result.returncode, result.stdout) == (exit_code, "")
    assert "Traceback" not in result.stderr
    sentence = result.stderr.removesuffix("\n")
    assert "\n" not in sentence
    assert sentence.endswith(".")
    return sentence


def output(result: Result) -> str:
    """Check a successful run (exit 0, nothing on stderr) and return its stdout."""
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout


def in_order(text: str, parts: tuple[str, ...]) -> bool:
    """Tell whether every part occurs in `text`, each after the one before."""
    position = 0
    for part in parts:
        position = text.find(part, position)
        if position < 0:
            return False
    return True


# --- each source, entered from a middle post -------------------------------------------------


def x_middle_link(fakes: Upstreams) -> tuple[str, dict[str, str]]:
    thread = fakes.fxtwitter.add(build_thread(3, rich=False))
    return thread.chain[1].url, {}


def x_api_middle_link(fakes: Upstreams) -> tuple[str, dict[str, str]]:
    link, _ = x_middle_link(fakes)
    # FxTwitter unreachable: a whole thread can only have come from the API v2.
    return link, fakes.x_api_environment() | {"FXTWITTER_API_URL": UNREACHABLE}


def mastodon_middle_link(fakes: Upstreams) -> tuple[str, dict[str, str]]:
    chain = fakes.mastodon.build_thread(3, other_replies=1)
    return str(chain[1]["url"]), {}


def bluesky_middle_link(fakes: Upstreams) -> tuple[str, dict[str, str]]:
    posts = build_bluesky_thread(3)
    fakes.bluesky.add(*posts)
    return posts[1].url, {}


X_OPENINGS = ("Привет, мир 🌍🚀", "日本語のテキスト 😀", "Fish & chips")


@pytest.mark.parametrize(
    ("middle_link", "openings"),
    [
        pytest.param(x_middle_link, X_OPENINGS, id="x-fxtwitter"),
        pytest.param(x_api_middle_link, X_OPENINGS, id="x-api-v2"),
        pytest.param(mastodon_middle_link, ("Part 1", "Part 2", "Part 3"), id="mastodon"),
        pytest.param(
            bluesky_middle_link,
            ("Привет, мир!", "Thanks @bob.example.com", "A plain post."),
            id="bluesky",
        ),
    ],
)
def test_unroll_prints_whole_thread_when_given_a_middle_post(
    cli: Callable[..., Result],
    fakes: Upstreams,
    middle_link: Callable[[Upstreams], tuple[str, dict[str, str]]],
    openings: tuple[str, ...],
) -> None:
    link, settings = middle_link(fakes)
    text = output(cli("unroll", link, **settings))
    assert "3 posts" in text
    assert in_order(text, openings)


# --- every output format ----------------------------------------------------------------------

OPTIONAL_OBJECT = (dict, type(None))
CONTRACT_SHAPE = {
    "source": str,
    "url": str,
    "author": {"handle": str, "name": str, "url": str},
    "posts": [
        {
            "id": str,
            "url": str,
            "created_at": str,
            "text": str,
            "media": [{"type": str, "url": str, "alt": str}],
            "quote": OPTIONAL_OBJECT,
        }
    ],
    "report": {"posts": int, "deleted": int, "skipped_other_authors": int, "complete": bool},
}


def shape_errors(value: object, shape: object, where: str = "$") -> list[str]:
    """Return where `value` departs from `shape` (a dict of keys, a one-item list, or types).

    Keys beyond the shape are allowed: the CONTRACT says more may follow.
    """
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{where} is not an object"]
        return [
            error
            for key, inner in shape.items()
            for error in (
                shape_errors(value[key], inner, f"{where}.{key}")
                if key in value
                else [f"{where}.{key} is missing"]
            )
        ]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{where} is not a list"]
        return [
            e
            for i, item in enumerate(value)
            for e in shape_errors(item, shape[0], f"{where}[{i}]")
        ]
    assert isinstance(shape, type | tuple)
    # bool is an int in Python, not in JSON: a count must not be true or false.
    if isinstance(value, bool) and shape is int:
        return [f"{where} is a bool"]
    return [] if isinstance(value, shape) else [f"{where} is {type(value).__name__}"]


@pytest.fixture(scope="module")
def json_document(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One `--format json` run, shared by the checks on it."""
    upstreams.reset()
    thread = upstreams.fxtwitter.add(build_thread(4))  # rich: a photo with alt text and a quote
    link = thread.chain[1].url
    result = run_cli(
        upstreams, tmp_path_factory.mktemp("json"), "unroll", link, "--format", "json"
    )
    return json.loads(output(result))


def test_json_output_has_the_contract_shape(json_document: Any) -> None:
    assert shape_errors(json_document, CONTRACT_SHAPE) == []


def test_json_output_fills_the_nested_contract_objects(json_document: Any) -> None:
    """The shape check means something only when some post has media and a quote."""
    posts = json_document["posts"]
    assert (any(p["media"] for p in posts), any(p["quote"] for p in posts)) == (True, True)


# --- the author's other branches ---------------------------------------------------------------


def mastodon_fork_link(fakes: Upstreams) -> tuple[str, str]:
    """Serve a 4-post thread whose author later answered post 2 again with 2 posts."""
    chain, branch = fakes.mastodon.build_forked_thread(4, fork_at=1, branch_posts=2)
    return str(chain[0]["url"]), str(branch[0]["url"])


def bluesky_fork_link(fakes: Upstreams) -> tuple[str, str]:
    """Serve a 4-post thread whose author later answered post 2 again with 2 posts."""
    posts = build_bluesky_thread(4)
    branch = build_branch(posts[1], 2)
    fakes.bluesky.add(*posts, *branch)
    return posts[0].url, branch[0].url


@pytest.mark.parametrize(
    "fork_link", [mastodon_fork_link, bluesky_fork_link], ids=["mastodon", "bluesky"]
)
def test_json_report_counts_and_links_the_authors_other_branch(
    cli: Callable[..., Result],
    fakes: Upstreams,
    fork_link: Callable[[Upstreams], tuple[str, str]],
) -> None:
    link, branch_url = fork_link(fakes)
    report = json.loads(output(cli("unroll", link, "--format", "json")))["report"]
    keys = ("posts", "complete", "other_branch_posts", "other_branch_url", "other_branch_more")
    assert {key: report[key] for key in keys} == {
        "posts": 4,
        "complete": False,
        "other_branch_posts": 2,
        "other_branch_url": branch_url,
        "other_branch_more": False,
    }


def test_text_completeness_line_links_the_authors_other_branch(
    cli: Callable[..., Result], fakes: Upstreams
) -> None:
    link, branch_url = mastodon_fork_link(fakes)
    text = output(cli("unroll", link))
    assert f"the author also replied elsewhere: 2 posts not shown ({branch_url})" in text


def front_matter(markdown: str) -> dict[str, object]:
    """Read the `---` block at the top; its values are JSON scalars, which YAML reads alike."""
    block, _, _ = markdown.removeprefix("---\n").partition("\n---\n")
    return {
        key: json.loads(value)
        for key, _, value in (line.partition(": ") for line in block.splitlines())
    }


def test_markdown_output_starts_with_front_matter(
    cli: Callable[..., Result], fakes: Upstreams
) -> None:
    link, _ = bluesky_middle_link(fakes)
    markdown = output(cli("unroll", link, "--format", "markdown"))
    meta = front_matter(markdown)
    assert (markdown.startswith("---\n"), meta["posts"], meta["handle"]) == (
        True,
        3,
        "alice.bsky.social",
    )


def test_html_output_is_a_full_page(cli: Callable[..., Result], fakes: Upstreams) -> None:
    link, _ = bluesky_middle_link(fakes)
    page = output(cli("unroll", link, "--format", "html"))
    assert page.lower().startswith("<!doctype html>")
    assert in_order(
        page, ("<html", "<head>", "<title>", "</head>", "<body>", "</body>", "</html>\n")
    )


def visible_utf16_length(chunk: str) -> int:
    """Count what Telegram limits: the text a message shows, tags gone, in UTF-16 units."""
    shown = html.unescape(re.sub(r"<[^>]*>", "", chunk.strip()))
    return len(shown.encode("utf-16-le")) // 2


def test_telegram_output_prints_each_chunk_within_the_message_limit(
    cli: Callable[..., Result], fakes: Upstreams
) -> None:
    posts = build_bluesky_thread(90)  # about 6,000 characters: more than one message
    fakes.bluesky.add(*posts)
    chunks = output(cli("unroll", posts[5].url, "--format", "telegram")).split(
        TELEGRAM_CHUNK_SEPARATOR
    )
    lengths = [visible_utf16_length(chunk) for chunk in chunks]
    assert len(chunks) > 1
    assert max(lengths) <= MessageLimit.MAX_TEXT_LENGTH


def test_telegram_rich_output_prints_one_message_telegram_accepts(
    cli: Callable[..., Result], fakes: Upstreams
) -> None:
    posts = build_bluesky_thread(90)  # more than one classic message, well within a rich one
    fakes.bluesky.add(*posts)
    html = output(cli("unroll", posts[5].url, "--format", "telegram-rich"))
    stats = validate_rich({"html": html.removesuffix("\n")})
    assert stats.chars > MessageLimit.MAX_TEXT_LENGTH
    assert "<footer>" in html


def test_epub_output_writes_a_valid_epub_file(
    cli: Callable[..., Result], fakes: Upstreams, tmp_path: Path
) -> None:
    link, _ = bluesky_middle_link(fakes)
    book = tmp_path / "thread.epub"
    assert output(cli("unroll", link, "--format", "epub", "--output", str(book))) == ""
    with zipfile.ZipFile(book) as archive:
        first = archive.infolist()[0]
        # OCF: the first entry is the uncompressed mimetype, then the container points inside.
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert archive.read("mimetype") == b"application/epub+zip"
        assert "META-INF/container.xml" in archive.namelist()
        assert archive.testzip() is None


def test_epub_output_refused_without_output_file(
    cli: Callable[..., Result], fakes: Upstreams
) -> None:
    link, _ = bluesky_middle_link(fakes)
    sentence = failure_sentence(cli("unroll", link, "--format", "epub"), 2)
    assert "--output" in sentence
    assert fakes.bluesky.thread_calls() == 0


def test_output_file_that_cannot_be_written_is_one_sentence(
    cli: Callable[..., Result], fakes: Upstreams, tmp_path: Path
) -> None:
    link, _ = bluesky_middle_link(fakes)
    target = tmp_path / "no such folder" / "thread.txt"
    sentence = failure_sentence(cli("unroll", link, "--output", str(target)), 2)
    assert str(target) in sentence


def test_reader_leaving_early_is_no_error(fakes: Upstreams, tmp_path: Path) -> None:
    """`unroll-bot unroll URL | head` closes the pipe while the thread is still being written."""
    posts = build_bluesky_thread(90)  # well over the 64 KiB a pipe buffers, as JSON
    fakes.bluesky.add(*posts)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "unroll", posts[0].url, "--format", "json"],
        env=cli_environment(fakes),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (0, b"")


@pytest.mark.parametrize(
    ("mode", "body"),
    [
        pytest.param("reflow", "Part 1 Part 2 Part 3\n", id="reflow-joins-mid-sentence-posts"),
        pytest.param("original", "Part 1\n\nPart 2\n\nPart 3\n", id="original-keeps-posts-apart"),
    ],
)
def test_mode_decides_whether_posts_run_on(
    cli: Callable[..., Result], fakes: Upstreams, mode: str, body: str
) -> None:
    link, _ = mastodon_middle_link(fakes)  # "Part N" posts end without punctuation
    assert body in output(cli("unroll", link, "--mode", mode))


# --- exit 2: not a supported link, bad arguments, bad settings --------------------------------


def test_unsupported_link_exits_2(cli: Callable[..., Result]) -> None:
    result = cli("unroll", "https://example.com/blog/2024/post")
    assert failure_sentence(result, 2) == UnsupportedLinkError().user_message()


def test_threads_link_says_not_supported_yet(cli: Callable[..., Result]) -> None:
    result = cli("unroll", "https://www.threads.net/@zuck/post/C9aBcDeFgHi")
    assert failure_sentence(result, 2) == "Threads is not supported yet."


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("unroll",), id="no-url"),
        pytest.param(("unroll", "https://bsky.app/x", "--format", "pdf"), id="unknown-format"),
        pytest.param(("unroll-everything",), id="unknown-command"),
    ],
)
def test_bad_arguments_exit_2_with_one_sentence(
    cli: Callable[..., Result], args: tuple[str, ...]
) -> None:
    assert "--help" in failure_sentence(cli(*args), 2)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        pytest.param({"WEB_PORT": "abc"}, "WEB_PORT", id="not-a-number"),
        pytest.param({"WEBHOOK_URL": "https://bot.example/hook"}, "WEBHOOK_SECRET", id="webhook"),
    ],
)
def test_bad_setting_exits_2_naming_it(
    cli: Callable[..., Result], settings: dict[str, str], named: str
) -> None:
    result = cli("unroll", "https://bsky.app/profile/a.bsky.social/post/3abc", **settings)
    assert named in failure_sentence(result, 2)


def test_bad_setting_is_not_echoed(cli: Callable[..., Result]) -> None:
    """A mistyped value may be a secret pasted into the wrong variable."""
    result = cli("unroll", "https://bsky.app/x", WEB_PORT="123:secret-token")
    assert "secret-token" not in failure_sentence(result, 2)


# --- exit 3: the post is missing, deleted or private -----------------------------------------


def deleted_x_post(fakes: Upstreams) -> str:
    return fakes.fxtwitter.add(build_thread(3, rich=False, deleted=[1])).chain[1].url


def missing_bluesky_post(fakes: Upstreams) -> str:
    return "https://bsky.app/profile/alice.bsky.social/post/3kzzzzzzzzzzz"


def login_only_mastodon_post(fakes: Upstreams) -> str:
    chain = fakes.mastodon.build_thread(2)
    fakes.mastodon.require_login = True
    return str(chain[1]["url"])


@pytest.mark.parametrize(
    ("unavailable_link", "said"),
    [
        pytest.param(deleted_x_post, "missing or was deleted", id="x-deleted"),
        pytest.param(missing_bluesky_post, "missing or was deleted", id="bluesky-missing"),
        pytest.param(login_only_mastodon_post, "logged-in users", id="mastodon-401"),
    ],
)
def test_unavailable_post_exits_3(
    cli: Callable[..., Result],
    fakes: Upstreams,
    unavailable_link: Callable[[Upstreams], str],
    said: str,
) -> None:
    assert said in failure_sentence(cli("unroll", unavailable_link(fakes)), 3)


# --- exit 4: the source failed ----------------------------------------------------------------


def rate_limited(fakes: Upstreams) -> dict[str, str]:
    fakes.fxtwitter.retry_after_s = 20
    return {}


def server_error(fakes: Upstreams) -> dict[str, str]:
    fakes.fxtwitter.fail_status = 500
    return {}


def too_slow(fakes: Upstreams) -> dict[str, str]:
    # The fake holds its answer ten times longer than the deadline allows.
    fakes.fxtwitter.delay_s = 2.0
    return {"HTTP_DEADLINE_S": "0.2"}


@pytest.mark.parametrize(
    ("failing", "said"),
    [
        pytest.param(rate_limited, "wait about 20 seconds", id="429"),
        pytest.param(server_error, "did not answer properly", id="500"),
        pytest.param(too_slow, "took too long", id="timeout"),
    ],
)
def test_failing_source_exits_4(
    cli: Callable[..., Result],
    fakes: Upstreams,
    failing: Callable[[Upstreams], dict[str, str]],
    said: str,
) -> None:
    link, _ = x_middle_link(fakes)
    settings = failing(fakes)
    assert said in failure_sentence(cli("unroll", link, **settings), 4)


# --- the bot commands refuse to start without what they need ---------------------------------


def test_run_without_token_explains_how_to_get_one(cli: Callable[..., Result]) -> None:
    result = cli("run")
    assert (result.returncode, result.stdout) == (2, "")
    assert in_order(result.stderr, ("TELEGRAM_BOT_TOKEN", "@BotFather", "/newbot"))
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["listener", "worker"])
def test_split_commands_without_redis_say_they_need_it(
    cli: Callable[..., Result], command: str
) -> None:
    result = cli(command, TELEGRAM_BOT_TOKEN="123456:not-a-real-token")
    assert "REDIS_URL" in failure_sentence(result, 2)


def test_run_with_the_example_env_file_explains_how_to_get_a_token(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """The README's first step copies .env.example, whose token line is empty: that is unset."""
    example = Path(__file__).resolve().parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    result = cli("run")
    assert (result.returncode, "@BotFather" in result.stderr) == (2, True)
    assert "Traceback" not in result.stderr


def test_run_with_a_token_telegram_refuses_says_so(cli: Callable[..., Result]) -> None:
    with FakeTelegram() as telegram:
        result = cli(
            "run",
            TELEGRAM_BOT_TOKEN="999:refused",
            TELEGRAM_API_URL=telegram.url,
            WEB_PORT=str(free_port()),
        )
    assert (result.returncode, "Traceback" in result.stderr) == (2, False)
    assert result.stderr.splitlines()[-1] == BAD_TOKEN


def test_worker_that_loses_redis_exits_with_an_error(cli: Callable[..., Result]) -> None:
    """A supervisor restarts a process that fails; one that exits 0 it leaves down."""
    with FakeTelegram() as telegram:
        result = cli(
            "worker",
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.url,
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        )
    assert (result.returncode, result.stderr.splitlines()[-1].startswith("The bot stopped")) == (
        1,
        True,
    )
