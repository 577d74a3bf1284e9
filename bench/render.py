"""Benchmark: clean a 100-post thread, then render it to every registered format.

Run `.venv/bin/python bench/render.py` from the repository root. It prints, per format, the
median wall time of rendering (and of cleaning plus rendering) over repeated runs, measured
with `time.perf_counter`, and the peak memory one render allocates, measured with
`tracemalloc` in separate runs so tracing does not slow the timed ones. The target is under
5 ms for Telegram HTML. Figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from bot.model import (
    Author,
    Media,
    MediaType,
    Platform,
    Post,
    Quote,
    Report,
    Segment,
    SegmentKind,
    Thread,
    ThreadKey,
)
from bot.rendering import FORMATS, RenderOptions, telegram_html, telegraph

Renderer = Callable[[Thread], object]
RENDERERS: dict[str, Renderer] = {
    # Telegram and Telegraph as the answer path uses them (messages, page nodes), the rest as
    # the documents of the FORMATS registry.
    **{name: partial(f.render, options=RenderOptions()) for name, f in FORMATS.items()},
    "telegram": telegram_html.render,
    "telegraph": telegraph.render,
}
POSTS = 100
WARMUP_RUNS = 3
START = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
AUTHOR = Author("bench", "Bench Marker", "https://x.com/bench")


def build_thread(posts: int = POSTS) -> Thread:
    """Return a thread shaped like a raw source answer: numbered posts, links, media, quotes."""
    return Thread(
        key=ThreadKey(Platform.X, "x.com", "1"),
        source=Platform.X,
        url="https://x.com/bench/status/1",
        author=AUTHOR,
        posts=tuple(_post(index, posts) for index in range(posts)),
        report=Report(posts=posts),
    )


def _post(index: int, total: int) -> Post:
    words = " ".join(f"word{(index * 7 + n) % 97}" for n in range(35))
    # Every third post stops mid-sentence so reflow has work to do.
    ending = " and then" if index % 3 == 0 else ". That is the point."
    text = (
        Segment(SegmentKind.TEXT, f"{index + 1}/{total} {words} — see "),
        Segment(
            SegmentKind.LINK, "example.com/page…", f"https://example.com/p{index}?utm_source=x"
        ),
        Segment(SegmentKind.TEXT, " with "),
        Segment(SegmentKind.MENTION, "@friend", "https://x.com/friend"),
        Segment(SegmentKind.TEXT, f" <&> {words}{ending}"),
    )
    media = (Media(MediaType.PHOTO, f"https://img.example/{index}.jpg", alt="A chart"),)
    quote = Quote("https://x.com/other/status/9", AUTHOR, (Segment(SegmentKind.TEXT, words),))
    return Post(
        id=str(index + 1),
        url=f"https://x.com/bench/status/{index + 1}",
        created_at=START + timedelta(minutes=index),
        text=text,
        media=media if index % 5 == 0 else (),
        quote=quote if index % 10 == 0 else None,
    )


def find_cleaner() -> Callable[[Thread], Thread] | None:
    """Return `bot.cleaning.clean_thread`, or None while cleaning is not written yet."""
    try:
        from bot.cleaning import clean_thread
    except ImportError:
        return None
    return clean_thread


def median_ms(work: Callable[[], object], runs: int) -> float:
    """Return the median wall time of `work` in milliseconds, after a few warm-up calls."""
    for _ in range(WARMUP_RUNS):
        work()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def peak_kib(work: Callable[[], object]) -> float:
    """Return the peak memory `work` allocates, in KiB."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 1024
    finally:
        tracemalloc.stop()


def main() -> None:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per measurement")
    runs = parser.parse_args().runs
    raw = build_thread()
    clean = find_cleaner()
    if clean is None:
        print("bot.cleaning.clean_thread is not importable yet: rendering the raw thread.")
        clean = _as_is
    else:
        print(f"clean_thread, {POSTS} posts: median {median_ms(partial(clean, raw), runs):.2f} ms")
    thread = clean(raw)
    renderers = RENDERERS
    print(f"{'format':<14} {'render ms':>10} {'clean+render ms':>16} {'peak KiB':>9}")
    for name, render in renderers.items():
        render_ms = median_ms(partial(render, thread), runs)
        both_ms = median_ms(partial(_clean_and_render, clean, render, raw), runs)
        memory = peak_kib(partial(render, thread))
        print(f"{name:<14} {render_ms:>10.2f} {both_ms:>16.2f} {memory:>9.0f}")


def _clean_and_render(clean: Callable[[Thread], Thread], render: Renderer, raw: Thread) -> object:
    return render(clean(raw))


def _as_is(thread: Thread) -> Thread:
    return thread


if __name__ == "__main__":
    main()
