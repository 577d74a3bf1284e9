"""Benchmark: the whole bot against fake Telegram and fake FxTwitter, timed at the fake's socket.

Run `.venv/bin/python bench/e2e.py` from the repository root. By default it starts a
`redis-server` of its own (free port, temp dir) and the bot as two subprocesses, `python -m bot
listener` and `python -m bot worker`; with `--in-process` it runs `unroll-bot run` with the
in-memory backends inside this process instead. The fakes always run here, each on a free
127.0.0.1 port in its own thread.

A request is a user posting an X link in a private chat of their own (private chats, so the
per-chat send pace never binds). Latencies run from the driver's `user_sends` to the moment the
fake Telegram receives the placeholder `sendMessage`, and the first `editMessageText` that is
not a progress note (the answer); p50 and p99 come from `--requests` cache misses (each a distinct
thread), then as many cache hits (the same threads asked again from new chats), with at most
`--concurrency` requests in flight. Throughput: `--burst` distinct threads posted at once,
completed per second, first with Telegram's pace in the shared limiter (25 messages a second,
two per unroll) and then with its global rate raised to `--raised-rate`. Memory is each
process's peak RSS (VmHWM). Figures are recorded in bench/README.md.

One file of about 650 lines on purpose: a benchmark is read top to bottom next to its output;
its sections (fakes, measuring, the bot under test, sessions, output) are headed.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the fakes live in the tests package
    sys.path.insert(0, str(ROOT))

from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402

from bot import wiring  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakes.fxtwitter import FakeFxTwitter, FakeThread, FakeTweet, XStore, build_thread  # noqa: E402
from tests.fakes.server import free_port  # noqa: E402
from tests.fakes.telegram import Call, FakeChat, FakeTelegram  # noqa: E402
from tests.fakes.telegraph import FakeTelegraph  # noqa: E402

TELEGRAM_GLOBAL_PER_S = 25.0
"""The limiter's default global pace (bot/limiter.py), named in the table."""

PROGRESS_PREFIX = "Unrolling…"
WARMUP_REQUESTS = 5
POLL_S = 0.005
STALL_S = 30.0
STOP_GRACE_S = 15.0
MIB = 1024 * 1024


@dataclass(frozen=True)
class Target:
    """One of the issue's targets for this 2-core machine at zero upstream latency."""

    text: str
    limit: float
    at_most: bool = True

    def verdict(self, value: float) -> str:
        """Return the target and whether `value` meets it."""
        met = value <= self.limit if self.at_most else value >= self.limit
        return f"{self.text}: {'ok' if met else 'MISSED'}"


PLACEHOLDER_P99 = Target("p99 < 50 ms", 50)
MISS_ANSWER_P50 = Target("p50 < 100 ms", 100)
UNROLLS_PER_S = Target(">= 100/s", 100, at_most=False)
PEAK_RSS = Target("< 150 MB", 150)


# ---------------------------------------------------------------------------------------------
# Fakes


class _IndexedStore(XStore):
    """XStore that finds the author's replies by index: the fake's scan is O(all posts)."""

    def __init__(self) -> None:
        super().__init__()
        self._replies: dict[str, list[FakeTweet]] = {}

    def add(self, thread: FakeThread) -> FakeThread:
        for tweet in thread.tweets:
            if tweet.reply_to is not None:
                self._replies.setdefault(tweet.reply_to.id, []).append(tweet)
        return super().add(thread)

    def descendants(self, tweet: FakeTweet) -> list[FakeTweet]:
        below: list[FakeTweet] = []
        while True:
            own = [t for t in self._replies.get(tweet.id, []) if t.author.id == tweet.author.id]
            if not own:
                return below
            tweet = min(own, key=lambda other: int(other.id))
            below.append(tweet)


class _SlowFxTwitter(FakeFxTwitter):
    """FakeFxTwitter that waits `latency_s` before every answer, like a distant upstream."""

    def __init__(self, latency_s: float) -> None:
        super().__init__(_IndexedStore())
        self.latency_s = latency_s

    async def _thread(self, request: Request) -> Response:
        await asyncio.sleep(self.latency_s)
        return await super()._thread(request)

    async def _status(self, request: Request) -> Response:
        await asyncio.sleep(self.latency_s)
        return await super()._status(request)


@dataclass
class Upstreams:
    """The fakes every session shares: FxTwitter (with its threads) and Telegraph."""

    fxtwitter: _SlowFxTwitter
    telegraph: FakeTelegraph
    posts: int

    def new_links(self, count: int) -> list[str]:
        """Add `count` distinct threads and return a link to the first post of each."""
        threads = [self.fxtwitter.add(build_thread(self.posts)) for _ in range(count)]
        return [t.chain[0].url for t in threads]


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Timing:
    """One request: when it was posted, when the placeholder and the answer reached the fake."""

    posted: float
    placeholder: float | None = None
    answer: Call | None = None
    lost: bool = False
    """No answer came while nothing else moved for STALL_S: counted as failed, not timed."""

    @property
    def settled(self) -> bool:
        """Return whether the request is answered (and the fake has replied) or lost."""
        return self.lost or (self.answer is not None and self.answer.status is not None)


@dataclass
class Recorder:
    """Follows the fake Telegram's call log, matching calls to requests by private chat."""

    telegram: FakeTelegram
    timings: dict[int, Timing] = field(default_factory=dict)
    _seen: int = 0

    def post(self, chat: FakeChat, link: str) -> None:
        """Post `link` as the chat's user, noting the time first."""
        self.timings[chat.id] = Timing(time.time())
        self.telegram.user_sends(chat, f"please unroll {link}")

    def update(self) -> None:
        """Read the calls received since the last look."""
        calls = self.telegram.calls
        for call in calls[self._seen :]:
            timing = self.timings.get(call.chat_id) if isinstance(call.chat_id, int) else None
            if timing is None:
                continue
            if call.method == "sendMessage" and timing.placeholder is None:
                timing.placeholder = call.time
            elif call.method == "editMessageText" and not is_progress(call):
                timing.answer = timing.answer or call
        self._seen = len(calls)

    def pending(self, chats: list[FakeChat]) -> list[FakeChat]:
        """Return those of `chats` that are neither answered nor lost."""
        self.update()
        return [chat for chat in chats if not self.timings[chat.id].settled]

    def give_up(self, chats: list[FakeChat]) -> None:
        """Count `chats` as lost, and say on stderr what the bot did in the first one."""
        seen = [call.method for call in self.telegram.calls if call.chat_id == chats[0].id]
        print(f"{len(chats)} requests lost; the first one saw {seen}", file=sys.stderr)
        for chat in chats:
            self.timings[chat.id].lost = True


def is_progress(call: Call) -> bool:
    """Tell a progress edit (bot/jobs.py, only after seconds of fetching) from an answer."""
    return str(call.params.get("text", "")).startswith(PROGRESS_PREFIX)


@dataclass
class Latencies:
    """p50 and p99 of placeholder and answer times, in ms, over one batch of requests."""

    placeholder: tuple[float, float]
    answer: tuple[float, float]


def percentiles_ms(seconds: list[float]) -> tuple[float, float]:
    """Return (p50, p99) of `seconds` in milliseconds (NaN when there are none)."""
    if not seconds:
        return math.nan, math.nan
    if len(seconds) == 1:
        return seconds[0] * 1000, seconds[0] * 1000
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return statistics.median(seconds) * 1000, cuts[98] * 1000


def latencies(recorder: Recorder, chats: list[FakeChat]) -> Latencies:
    """Summarise the timings of `chats`, leaving the lost ones out."""
    timings = [recorder.timings[chat.id] for chat in chats if not recorder.timings[chat.id].lost]
    placeholder = [t.placeholder - t.posted for t in timings if t.placeholder is not None]
    answer = [t.answer.time - t.posted for t in timings if t.answer is not None]
    return Latencies(percentiles_ms(placeholder), percentiles_ms(answer))


async def wait_for(recorder: Recorder, chats: list[FakeChat], at_most_pending: int) -> None:
    """Wait until no more than `at_most_pending` of `chats` lack their answer.

    When no request settles for STALL_S the pending ones are lost (a dropped update or a
    crashed job), so one bug shows in the table instead of hanging the benchmark.
    """
    last_count, last_change = -1, time.monotonic()
    # Polling: the fake records calls in its own thread and signals nothing.
    while len(pending := recorder.pending(chats)) > at_most_pending:
        if len(pending) != last_count:
            last_count, last_change = len(pending), time.monotonic()
        elif time.monotonic() - last_change > STALL_S:
            recorder.give_up(pending)
        await asyncio.sleep(POLL_S)


async def run_closed_loop(
    recorder: Recorder, links: list[str], concurrency: int
) -> list[FakeChat]:
    """Post one request per link from a new chat, keeping `concurrency` in flight."""
    chats: list[FakeChat] = []
    for index, link in enumerate(links):
        await wait_for(recorder, chats, concurrency - 1)
        user = recorder.telegram.user(f"User{index}")
        chat = recorder.telegram.private_chat(user)
        chats.append(chat)
        recorder.post(chat, link)
    await wait_for(recorder, chats, 0)
    return chats


async def run_burst(recorder: Recorder, links: list[str]) -> float:
    """Post every link at once, each from a new chat; return completed unrolls per second."""
    telegram = recorder.telegram
    chats = [telegram.private_chat(telegram.user(f"Burst{i}")) for i in range(len(links))]
    started = time.time()
    for chat, link in zip(chats, links, strict=True):
        recorder.post(chat, link)
    await wait_for(recorder, chats, 0)
    answers = [recorder.timings[chat.id].answer for chat in chats]
    times = [answer.time for answer in answers if answer is not None]
    return len(times) / (max(times) - started) if times else 0.0


def check_answers(recorder: Recorder, posts: int) -> int:
    """Return how many requests were lost, failed, or did not get the whole thread."""
    wanted = f"{posts} posts"
    return sum(
        t.answer is None
        or t.answer.status != 200
        # A classic answer is text; a rich one (Bot API 10.1) carries the thread as HTML.
        or wanted not in str(t.answer.params.get("text") or t.answer.params.get("rich_message"))
        or "reply_markup" not in t.answer.params
        for t in recorder.timings.values()
    )


# ---------------------------------------------------------------------------------------------
# The bot under test


@dataclass
class ProcessStats:
    """What /proc says about one process: peak RSS and CPU seconds used."""

    peak_rss_mb: float
    cpu_s: float


def process_stats(pid: int) -> ProcessStats:
    """Read VmHWM and user+system CPU time of `pid` from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    hwm_kb = next(int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmHWM:")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ProcessStats(hwm_kb * 1024 / MIB, ticks / os.sysconf("SC_CLK_TCK"))


@contextmanager
def redis_server(directory: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run a throwaway redis-server on a free port; yield its URL and process."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", ""]
    process = subprocess.Popen(
        [binary, *args, "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        stop_processes([process])


def wait_for_port(port: int) -> None:
    """Wait until something listens on 127.0.0.1:`port`."""
    deadline = time.monotonic() + STOP_GRACE_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ask every process to stop, then kill those that outlive the grace time."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def bot_environment(values: dict[str, Any]) -> dict[str, str]:
    """Return this environment without our settings, plus `values` as upper-case variables."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env | {name.upper(): str(value) for name, value in values.items() if value is not None}


@dataclass
class Options:
    """The command line."""

    requests: int
    posts: int
    upstream_latency_ms: float
    concurrency: int
    burst: int
    raised_rate: float
    worker_concurrency: int | None
    in_process: bool
    timeout_s: float


@asynccontextmanager
async def running_bot(
    settings: dict[str, Any], telegram: FakeTelegram, options: Options, workdir: Path
) -> AsyncIterator[list[tuple[str, int]]]:
    """Start the bot; yield (name, pid) of every process to measure; stop it afterwards."""
    if options.in_process:
        stop = asyncio.Event()
        task = asyncio.create_task(wiring.run_all(isolated_settings(settings), stop=stop))
        try:
            await wait_for_ready(telegram, get_me=1, is_dead=task.done)
            yield [("bench + bot (in process)", os.getpid())]
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=STOP_GRACE_S * 2)
        return
    env = bot_environment(settings)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for command in ("listener", "worker"):
            processes[command] = spawn_bot(command, env, workdir, options.worker_concurrency)
        dead = [process.poll for process in processes.values()]
        await wait_for_ready(
            telegram, get_me=2, is_dead=lambda: any(poll() is not None for poll in dead)
        )
        yield [(name, process.pid) for name, process in processes.items()]
    finally:
        stop_processes(list(processes.values()))


def isolated_settings(values: dict[str, Any]) -> Settings:
    """Return Settings from `values` and the defaults alone, whatever the environment holds."""
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    return Settings(_env_file=None, **(defaults | values))  # type: ignore[call-arg]


def spawn_bot(
    command: str, env: dict[str, str], workdir: Path, concurrency: int | None
) -> subprocess.Popen[bytes]:
    """Start `python -m bot <command>`, logging to <workdir>/<command>.log."""
    args = [sys.executable, "-m", "bot", command]
    if command == "worker" and concurrency:
        args += ["--concurrency", str(concurrency)]
    with (workdir / f"{command}.log").open("ab") as log:
        return subprocess.Popen(args, cwd=workdir, env=env, stdout=log, stderr=log)


async def wait_for_ready(
    telegram: FakeTelegram, *, get_me: int, is_dead: Callable[[], bool]
) -> None:
    """Wait until every bot process has called getMe and the listener polls for updates."""
    while len(telegram.calls_to("getMe")) < get_me or not telegram.calls_to("getUpdates"):
        if is_dead():
            raise RuntimeError("the bot stopped while starting")
        await asyncio.sleep(POLL_S)


# ---------------------------------------------------------------------------------------------
# Sessions: one bot, fresh fake Telegram, its own Redis prefix


@dataclass
class Results:
    """Everything the table shows."""

    miss: Latencies | None = None
    hit: Latencies | None = None
    paced_rate: float | None = None
    raised_rate: float | None = None
    bad_answers: int = 0
    load: list[float] = field(default_factory=lambda: [os.getloadavg()[0]])
    """The 1-minute load average at the start and at the end: other work skews the figures."""
    memory: dict[str, ProcessStats] = field(default_factory=dict)
    burst_cpu: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Per process, during the raised burst: share of one core, and CPU ms per unroll."""


@dataclass
class Bench:
    """The shared fakes, Redis and options; runs sessions and fills `results`."""

    options: Options
    upstreams: Upstreams
    workdir: Path
    redis_url: str | None
    redis_pid: int | None
    results: Results = field(default_factory=Results)
    measured: list[tuple[str, int]] = field(default_factory=list)
    """(name, pid) of the running session's processes whose memory is reported."""

    @asynccontextmanager
    async def session(self, global_per_s: float) -> AsyncIterator[Recorder]:
        """Run the bot with the limiter's global pace at `global_per_s`; keep its peak memory."""
        with FakeTelegram() as telegram:
            settings = self._settings(telegram, global_per_s)
            async with running_bot(settings, telegram, self.options, self.workdir) as pids:
                recorder = Recorder(telegram)
                await run_closed_loop(recorder, self.upstreams.new_links(WARMUP_REQUESTS), 1)
                self.measured = [*pids, *self._redis_pid()]
                yield recorder
                self.results.bad_answers += check_answers(recorder, self.upstreams.posts)
                for name, pid in self.measured:
                    stats = process_stats(pid)
                    known = self.results.memory.get(name)
                    if known is None or stats.peak_rss_mb > known.peak_rss_mb:
                        self.results.memory[name] = stats

    def _redis_pid(self) -> list[tuple[str, int]]:
        return [] if self.redis_pid is None else [("redis-server", self.redis_pid)]

    def _settings(self, telegram: FakeTelegram, global_per_s: float) -> dict[str, Any]:
        values: dict[str, Any] = {
            "telegram_bot_token": telegram.token,
            "telegram_api_url": telegram.url,
            "fxtwitter_api_url": self.upstreams.fxtwitter.url,
            "telegraph_api_url": self.upstreams.telegraph.url,
            "unroll_allow_private_hosts": True,
            "web_port": free_port(),
            "telegram_poll_timeout_s": 1,
            "telegram_global_per_s": global_per_s,
        }
        if self.redis_url is not None:
            values |= {"redis_url": self.redis_url, "redis_key_prefix": f"bench:{uuid.uuid4()}:"}
        return values

    async def run(self) -> Results:
        """Measure latencies and the paced burst, then the burst with the pace raised."""
        options = self.options
        async with self.session(TELEGRAM_GLOBAL_PER_S) as recorder:
            links = self.upstreams.new_links(options.requests)
            misses = await run_closed_loop(recorder, links, options.concurrency)
            hits = await run_closed_loop(recorder, links, options.concurrency)
            self.results.miss = latencies(recorder, misses)
            self.results.hit = latencies(recorder, hits)
            burst = self.upstreams.new_links(options.burst)
            self.results.paced_rate = await run_burst(recorder, burst)
        async with self.session(options.raised_rate) as recorder:
            burst = self.upstreams.new_links(options.burst)
            before = {name: process_stats(pid).cpu_s for name, pid in self._all_pids()}
            started = time.monotonic()
            self.results.raised_rate = await run_burst(recorder, burst)
            elapsed = time.monotonic() - started
            for name, pid in self._all_pids():
                used = process_stats(pid).cpu_s - before[name]
                self.results.burst_cpu[name] = (100 * used / elapsed, 1000 * used / len(burst))
        self.results.load.append(os.getloadavg()[0])
        return self.results

    def _all_pids(self) -> list[tuple[str, int]]:
        """The measured processes, plus this one (the fakes) when the bot runs elsewhere."""
        mine = [] if self.options.in_process else [("bench (fakes)", os.getpid())]
        return [*self.measured, *mine]


# ---------------------------------------------------------------------------------------------
# Output


def print_table(results: Results, options: Options) -> None:
    """Print the figures and the targets as one plain-text table."""
    mode = "in process, memory backends" if options.in_process else "listener + 1 worker, Redis"
    print(
        f"unroll-bot e2e benchmark: {mode}; {options.posts}-post threads; upstream latency "
        f"{options.upstream_latency_ms:g} ms; {options.requests} requests at concurrency "
        f"{options.concurrency}; burst {options.burst}; {os.cpu_count()} CPUs; load average "
        + " → ".join(f"{load:.1f}" for load in results.load)
    )
    _print_latencies(results)
    _print_rates(results, options)
    _print_processes(results)
    print(f"lost, failed or wrong answers: {results.bad_answers}")


def _print_latencies(results: Results) -> None:
    print(f"{'latency from the update':<44} {'p50 ms':>8} {'p99 ms':>8}  target")
    miss, hit = results.miss, results.hit
    assert miss is not None
    assert hit is not None
    rows = [
        (
            "placeholder, cache miss",
            miss.placeholder,
            PLACEHOLDER_P99.verdict(miss.placeholder[1]),
        ),
        ("answer, cache miss", miss.answer, MISS_ANSWER_P50.verdict(miss.answer[0])),
        ("placeholder, cache hit", hit.placeholder, PLACEHOLDER_P99.verdict(hit.placeholder[1])),
        ("answer, cache hit", hit.answer, ""),
    ]
    for label, (p50, p99), verdict in rows:
        print(f"{label:<44} {p50:>8.1f} {p99:>8.1f}  {verdict}")


def _print_rates(results: Results, options: Options) -> None:
    print(f"{'throughput, distinct threads, one worker':<44} {'unrolls/s':>17}  target")
    rows = [
        (f"limiter at Telegram's {TELEGRAM_GLOBAL_PER_S:g} msg/s", results.paced_rate),
        (f"limiter raised to {options.raised_rate:g} msg/s", results.raised_rate),
    ]
    for label, rate in rows:
        assert rate is not None
        print(f"{label:<44} {rate:>17.1f}  {UNROLLS_PER_S.verdict(rate)}")


def _print_processes(results: Results) -> None:
    print(f"{'process':<44} {'peak RSS MB':>17}  {'target':<22} CPU in the raised burst")
    names = list(results.memory) + [n for n in results.burst_cpu if n not in results.memory]
    for name in names:
        stats = results.memory.get(name)
        rss = (
            f"{stats.peak_rss_mb:>17.1f}  {PEAK_RSS.verdict(stats.peak_rss_mb):<22}"
            if stats
            else " " * 41
        )
        share, per_unroll = results.burst_cpu.get(name, (None, None))
        cpu = f"{share:.0f}% of a core, {per_unroll:.1f} ms/unroll" if share is not None else ""
        print(f"{name:<44} {rss} {cpu}")


# ---------------------------------------------------------------------------------------------
# Entry point


def parse_options(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=200, help="cache misses (and as many hits)"
    )
    parser.add_argument("--posts", type=int, default=25, help="posts per thread")
    parser.add_argument("--upstream-latency-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=1, help="latency requests in flight")
    parser.add_argument("--burst", type=int, default=None, help="threads per burst (--requests)")
    parser.add_argument("--raised-rate", type=float, default=10_000.0, help="msg/s, 2nd burst")
    parser.add_argument("--worker-concurrency", type=int, default=None, help="WORKER_CONCURRENCY")
    parser.add_argument("--in-process", action="store_true", help="`run` here, memory backends")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for everything")
    args = parser.parse_args(argv)
    return Options(
        requests=args.requests,
        posts=args.posts,
        upstream_latency_ms=args.upstream_latency_ms,
        concurrency=args.concurrency,
        burst=args.burst or args.requests,
        raised_rate=args.raised_rate,
        worker_concurrency=args.worker_concurrency,
        in_process=args.in_process,
        timeout_s=args.timeout,
    )


async def bench(options: Options) -> Results:
    """Start the fakes (and Redis), run both sessions, and clean everything up."""
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGTERM,
        asyncio.current_task().cancel,  # type: ignore[union-attr]
    )
    async with AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="unroll-bench-")))
        fxtwitter = _SlowFxTwitter(options.upstream_latency_ms / 1000)
        stack.enter_context(fxtwitter.server)
        telegraph = stack.enter_context(FakeTelegraph())
        upstreams = Upstreams(fxtwitter, telegraph, options.posts)
        redis_url, redis_pid = None, None
        if not options.in_process:
            redis_url, process = stack.enter_context(redis_server(workdir))
            redis_pid = process.pid
        runner = Bench(options, upstreams, workdir, redis_url, redis_pid)
        try:
            return await asyncio.wait_for(runner.run(), options.timeout_s)
        except BaseException:
            show_logs(workdir)
            raise


def show_logs(workdir: Path) -> None:
    """Print the end of each bot log to stderr, to explain a failed run."""
    for log in sorted(workdir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-20:]
        print(f"--- {log.name} (last lines)", *lines, sep="\n", file=sys.stderr)


def main() -> None:
    """Run the benchmark and print its table."""
    options = parse_options()
    try:
        results = asyncio.run(bench(options))
    except TimeoutError:
        raise SystemExit(
            f"the benchmark did not finish within --timeout {options.timeout_s:g} s"
        ) from None
    print_table(results, options)


if __name__ == "__main__":
    main()
