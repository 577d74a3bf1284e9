"""Benchmark: the pure steps of one unroll, each timed in one process.

Run `.venv/bin/python bench/steps.py` from the repository root. It builds `--threads` distinct
threads of `--posts` posts with the fakes the end-to-end bench uses (numbered posts, media,
quotes, polls, cards), takes FxTwitter's answer for each as the fake serves it, and times, per
thread, every step a worker or a listener runs on it without I/O:

- read: the answer's JSON parsed and read into the model, then finished and sanitized
  (`fxtwitter.parse_thread`, `finish_thread`), as a worker does after its fetch;
- encode / decode: the result as the cache holds it (`encode_result`, `decode_result`; a
  cache hit in the listener decodes);
- clean: `present` for the reflow mode (all cleaning rounds and the layout);
- rich render: the rich message of the cleaned thread (what `Presentation.rich` renders).

It prints the median over threads of each step's median over `--rounds` (ms, with
`time.perf_counter`, after warm-up calls: `render.py`'s `median_ms`). The figures are those of
a warm process running one step in a loop, so they come out lower than the same work's share
of a busy worker (bench/profile.py shows those).
Figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the fakes live in the tests package
    sys.path.insert(0, str(ROOT))

from bench.render import median_ms  # noqa: E402
from bot.cleaning import ReadingMode  # noqa: E402
from bot.codec import decode_result, encode_result  # noqa: E402
from bot.i18n import Words  # noqa: E402
from bot.i18n.catalogs import words_for  # noqa: E402
from bot.model import Platform, Thread, ThreadKey  # noqa: E402
from bot.presentation import present  # noqa: E402
from bot.rendering import RenderOptions, telegram_rich  # noqa: E402
from bot.sources import finish_thread  # noqa: E402
from bot.sources.fxtwitter import parse_thread  # noqa: E402
from bot.sources.json_reader import JsonObject  # noqa: E402
from bot.sources.x_text import PLATFORM  # noqa: E402
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread  # noqa: E402

MAX_POSTS = 500  # UNROLL_MAX_POSTS's default


def answers(threads: int, posts: int) -> list[tuple[ThreadKey, bytes]]:
    """Return the key and FxTwitter's `/2/thread` answer of `threads` new threads."""
    fake = FakeFxTwitter()
    found = []
    for _ in range(threads):
        chain = fake.add(build_thread(posts)).chain
        body = {
            "code": 200,
            "status": fake.status_json(chain[0]),
            "thread": [fake.status_json(tweet) for tweet in chain],
        }
        key = ThreadKey(Platform.X, "x.com", chain[0].id)
        found.append((key, orjson.dumps(body)))
    return found


def read(key: ThreadKey, body: bytes) -> Thread:
    """Do what a worker does with an answer once fetched."""
    return finish_thread(parse_thread(key, JsonObject.of(orjson.loads(body), PLATFORM)), MAX_POSTS)


def steps_of(key: ThreadKey, body: bytes, words: Words) -> dict[str, Callable[[], object]]:
    """Return each step, ready to run on the thread of `body`."""
    thread = read(key, body)
    encoded = encode_result(thread)
    cleaned = present(thread, ReadingMode.REFLOW, words).thread
    options = RenderOptions(words=words)
    return {
        "read (parse, finish, sanitize)": lambda: read(key, body),
        "encode the result": lambda: encode_result(thread),
        "decode the result": lambda: decode_result(encoded),
        "clean (reflow)": lambda: present(thread, ReadingMode.REFLOW, words),
        # What Presentation.rich renders for a reflowed thread, without keeping it.
        "rich render": lambda: telegram_rich.render(cleaned, options, continue_url=None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--posts", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=20, help="runs of each step per thread")
    options = parser.parse_args()
    words = words_for("en")
    figures: dict[str, list[float]] = {}
    for key, body in answers(options.threads, options.posts):
        steps = steps_of(key, body, words)
        for name, step in steps.items():
            figures.setdefault(name, []).append(median_ms(step, options.rounds))
    print(
        f"pure steps of one unroll, {options.threads} threads of {options.posts} posts, "
        f"median ms over threads of each thread's median of {options.rounds} runs"
    )
    total = 0.0
    for name, values in figures.items():
        median = statistics.median(values)
        total += median
        print(f"{name:<32} {median:>7.3f}")
    print(f"{'all of them':<32} {total:>7.3f}")


if __name__ == "__main__":
    main()
