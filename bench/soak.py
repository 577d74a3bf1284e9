"""Soak: the bot runs for minutes under steady traffic while faults are injected on a schedule.

Run `.venv/bin/python bench/soak.py` from the repository root (5 minutes; `--minutes`,
`--seconds`). By default it starts its own `redis-server` with AOF (`appendfsync always`) on a
free port in a temp dir, the listener and three workers as `python -m bot …` subprocesses;
with `--embedded` it starts one `python -m bot run` without Redis (memory backends) instead.
The fakes run in this process as in bench/e2e.py: FakeTelegram playing an older Bot API
server (no rich messages, no drafts, so every answer is classic text in a placeholder, or a
reply where the placeholder itself was lost to a fault), FakeFxTwitter and FakeTelegraph.

Traffic, from many private chats (a new user each, except repeats and Refresh presses): cache
misses (a new 5-post thread), cache hits (a thread answered before, from a new chat), repeats
(one chat sending a new link twice in a row: two placeholders, one fetch), Refresh presses
on an answer given earlier, and inline queries (`@bot LINK`, the offered result then
picked: a cached thread is the answer itself, a placeholder must be edited into one).

Faults, at fixed fractions of the run: one thread whose upstream never answers; upstream 5xx
on 10 % of FxTwitter calls all along; two Telegram 429 bursts (3 s, every send and edit
refused); a 5-second Telegram outage (every method answers 502, getUpdates included); in
Redis mode a SIGKILL of a random worker every 30 s (restarted at once), one Redis restart
(SIGTERM, same port and AOF) and one listener restart (SIGTERM, a deploy); in embedded mode
one restart of the process (SIGTERM), after the traffic pauses until nothing is in flight,
because the memory queue dies with the process (requests still in flight are counted).

Accounting reads the fake's call log. A chat request's answer is an `editMessageText` of the
placeholder that replied to the user's message (or any other sentence replying to that
message); a Refresh's is an edit of the answered message saying "Refreshed"; an inline
placeholder's is an edit of its `inline_message_id`. An edit counts as delivered when Telegram
took it (200) or refused it only as "not modified" (the same answer a second time). After the
traffic stops the soak waits for every request to be answered (`--drain`), then `--grace`
seconds more to catch late duplicates.

Memory: every process's VmHWM (peak RSS) when it is a minute old (`--settle`) and at its end
(before it is stopped or killed, or at the end of the run). Exit status 3 when any request is
lost or answered twice, an apology is not explained by an injected fault, or a process that
lived past its first minute grew by more than 10 % (a crash exits 1).

One file of about 850 lines on purpose, like bench/e2e.py (whose process helpers it imports):
a soak is read top to bottom next to its output; its sections (fakes with faults, processes,
accounting, the soak, output) are headed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the fakes live in the tests package
    sys.path.insert(0, str(ROOT))

from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, Response  # noqa: E402

from bench.e2e import (  # noqa: E402
    bot_environment,
    is_progress,
    percentiles_ms,
    spawn_bot,
    stop_processes,
    wait_for_port,
    wait_for_ready,
)
from bot.answering.texts import APOLOGY  # noqa: E402
from bot.listener.texts import PLACEHOLDER  # noqa: E402
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread  # noqa: E402
from tests.fakes.server import free_port  # noqa: E402
from tests.fakes.telegram import ApiError, Call, FakeChat, FakeTelegram, FakeUser  # noqa: E402
from tests.fakes.telegraph import FakeTelegraph  # noqa: E402

POSTS = 5
WORKERS = 3
UPSTREAM_5XX_SHARE = 0.10
FLOOD_S = 3.0
FLOOD_RETRY_AFTER_S = 1
OUTAGE_S = 5.0
SENDING = frozenset({"sendmessage", "editmessagetext", "answercallbackquery"})
RSS_GROWTH_LIMIT = 0.10
RESTART_QUIET_S = 10.0
WINDOW_MARGIN_S = 2.0
"""A request posted this close to a fault window is taken as touched by it."""
SENT_UNRECORDED_S = 0.05
"""A worker SIGKILL this close to Telegram taking an answer explains its second copy."""
TARGET_MISSED = 3
INLINE_WAIT_S = 15.0
REFRESHED = "Refreshed"
MIB = 1024


# ---------------------------------------------------------------------------------------------
# Fakes with faults


class FaultyTelegram(FakeTelegram):
    """FakeTelegram with time windows: 429 on every send and edit, or 502 on every method."""

    def __init__(self) -> None:
        super().__init__(supports_rich_messages=False, supports_drafts=False)
        self.flood_until = 0.0
        self.outage_until = 0.0
        self.refused: Counter[str] = Counter()

    async def _apply_fault(self, method: str) -> None:
        now = time.time()
        if now < self.outage_until:
            self.refused["502 (outage)"] += 1
            raise ApiError(502, "Bad Gateway")
        if now < self.flood_until and method.lower() in SENDING:
            self.refused["429 (burst)"] += 1
            retry = FLOOD_RETRY_AFTER_S
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        await super()._apply_fault(method)


class FaultyFxTwitter(FakeFxTwitter):
    """FakeFxTwitter failing a share of calls with 503, and never answering for some posts."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.random = random.Random(seed)
        self.hanging: set[str] = set()
        self.released = False
        self.outcomes: dict[str, list[str]] = {}
        """Per post id asked for: "ok", "503" or "hung", in order."""

    def _note(self, request: Request, outcome: str) -> None:
        self.outcomes.setdefault(request.path_params["post_id"], []).append(outcome)

    async def _thread(self, request: Request) -> Response:
        return await self._faulty(request) or await super()._thread(request)

    async def _status(self, request: Request) -> Response:
        return await self._faulty(request) or await super()._status(request)

    async def _faulty(self, request: Request) -> Response | None:
        if request.path_params["post_id"] in self.hanging:
            self._note(request, "hung")
            # Held until the soak ends (at most 10 minutes); the bot's timeout cuts it first.
            for _ in range(3000):
                if self.released:
                    break
                await asyncio.sleep(0.2)
            return JSONResponse({"code": 503, "message": "API_FAIL"}, 503)
        if self.random.random() < UPSTREAM_5XX_SHARE:
            self._note(request, "503")
            return JSONResponse({"code": 503, "message": "API_FAIL"}, 503)
        self._note(request, "ok")
        return None


# ---------------------------------------------------------------------------------------------
# Processes


@dataclass
class Watched:
    """One bot or Redis process: its peak RSS a minute into its life and at its end."""

    name: str
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    settled_kb: int | None = None
    end_kb: int | None = None
    end: str = "running"

    def sample(self, settle_s: float) -> None:
        """Keep VmHWM once the process is `settle_s` old, and always as the latest end value."""
        peak = peak_rss_kb(self.process.pid)
        if peak is None:
            return
        if self.settled_kb is None and time.monotonic() - self.started >= settle_s:
            self.settled_kb = peak
        self.end_kb = peak

    @property
    def growth(self) -> float | None:
        if self.settled_kb is None or self.end_kb is None:
            return None
        return self.end_kb / self.settled_kb - 1


def peak_rss_kb(pid: int) -> int | None:
    """Return VmHWM of `pid` in kB, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next(
        (int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmHWM:"), None
    )


@dataclass
class RedisServer:
    """Our own redis-server with AOF on a fixed port and directory, restartable."""

    directory: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> subprocess.Popen[bytes]:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (apt-get install redis-server)")
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        args += ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        process = subprocess.Popen(
            [binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port)
        return process


@dataclass
class Fleet:
    """The running processes, by role; restarts keep the retired ones for the memory table."""

    env: dict[str, str]
    workdir: Path
    settle_s: float
    redis: RedisServer | None
    live: dict[str, Watched] = field(default_factory=dict)
    retired: list[Watched] = field(default_factory=list)
    generations: Counter[str] = field(default_factory=Counter)

    def start(self, role: str) -> None:
        """Start the process playing `role` ("listener", "worker-2", "run", "redis-server")."""
        self.generations[role] += 1
        if role == "redis-server":
            assert self.redis is not None
            process = self.redis.start()
        else:
            env = self.env | {"WEB_PORT": str(free_port())}  # each process serves its own
            process = spawn_bot(role.split("-")[0], env, self.workdir, None)
        self.live[role] = Watched(f"{role} #{self.generations[role]}", process)

    def stop(self, role: str, how: signal.Signals) -> None:
        """Stop `role` with `how` (SIGKILL at once; SIGTERM waited for), noting its memory."""
        watched = self.live.pop(role)
        watched.sample(self.settle_s)
        watched.end = "killed" if how is signal.SIGKILL else "restarted"
        if how is signal.SIGKILL:
            watched.process.kill()
            watched.process.wait()
        else:
            stop_processes([watched.process])
        self.retired.append(watched)

    def sample(self) -> None:
        for watched in self.live.values():
            watched.sample(self.settle_s)

    def stop_all(self) -> None:
        self.sample()
        bot = [w.process for role, w in self.live.items() if role != "redis-server"]
        stop_processes(bot)
        stop_processes([w.process for role, w in self.live.items() if role == "redis-server"])
        self.retired.extend(self.live.values())
        self.live.clear()

    def is_dead(self) -> bool:
        return any(w.process.poll() is not None for w in self.live.values())

    def revive(self) -> list[str]:
        """Start again every process that exited on its own, as a supervisor would."""
        revived = []
        for role, watched in list(self.live.items()):
            code = watched.process.poll()
            if code is not None:
                watched.end = f"exited {code}"
                self.retired.append(self.live.pop(role))
                self.start(role)
                revived.append(f"{watched.name} exited with status {code}; started again")
        return revived


# ---------------------------------------------------------------------------------------------
# Requests and their accounting


@dataclass
class SoakRequest:
    """One thing a user asked for, and where its answer must land."""

    kind: str  # miss | hit | repeat | refresh | inline
    chat: FakeChat
    thread_url: str
    posted: float
    user_message_id: int | None = None  # chat requests: the message the placeholder replies to
    target_message_id: int | None = None  # refresh: the answered message it edits
    inline_message_id: str | None = None  # inline: the placeholder the user posted
    offer: Call | None = None  # inline: the answerInlineQuery that offered a cached thread
    deliveries: list[Call] = field(default_factory=list)
    placeholders: list[int] = field(default_factory=list)
    refreshed: bool = False

    @property
    def answer(self) -> str | None:
        """Return what the first delivery said: "thread", "apology" or the error sentence."""
        if not self.deliveries:
            return None
        text = delivered_text(self.deliveries[0])
        if text.startswith(APOLOGY):
            return "apology"
        wanted = REFRESHED if self.kind == "refresh" else f"{POSTS} posts"
        return "thread" if wanted in text else text[:60]


def delivered_text(call: Call) -> str:
    """Return the text a delivery showed (an inline offer's: its first result's)."""
    if call.method == "answerInlineQuery":
        results = call.params.get("results") or [{}]
        return str(results[0].get("input_message_content", {}).get("message_text", ""))
    return str(call.params.get("text", ""))


def is_delivered(call: Call) -> bool:
    """Tell an edit Telegram took (or refused only as unchanged) from one that failed."""
    if call.status == 200:
        return True
    description = str((call.response or {}).get("description", ""))
    return call.status == 400 and "not modified" in description


def tally(telegram: FakeTelegram, requests: list[SoakRequest]) -> None:
    """Match the fake's whole call log to `requests` (placeholders, then answers)."""
    by_user_message: dict[tuple[int, int | None], SoakRequest] = {
        (r.chat.id, r.user_message_id): r for r in requests if r.user_message_id is not None
    }
    owners: dict[tuple[int, int], SoakRequest] = {}
    refreshes: dict[tuple[int, int], list[SoakRequest]] = {}
    inline: dict[str, SoakRequest] = {}
    for request in requests:
        request.deliveries, request.placeholders = [], []
        if request.offer is not None:  # a cached thread offered inline is the answer itself
            request.deliveries.append(request.offer)
        if request.inline_message_id is not None:
            inline[request.inline_message_id] = request
        if request.target_message_id is not None:
            refreshes.setdefault((request.chat.id, request.target_message_id), []).append(request)
    for call in telegram.calls:
        inline_message_id = call.params.get("inline_message_id")
        if inline_message_id in inline and call.method == "editMessageText":
            if not is_progress(call) and is_delivered(call):
                inline[inline_message_id].deliveries.append(call)
            continue
        if call.status is None or not isinstance(call.chat_id, int):
            continue
        if call.method == "sendMessage" and call.status == 200:
            replied = (call.params.get("reply_parameters") or {}).get("message_id")
            owner = by_user_message.get((call.chat_id, replied))
            pressed = [
                r
                for r in refreshes.get((call.chat_id, int(replied or 0)), [])
                if r.posted <= call.time
            ]
            if owner is not None and str(call.params.get("text")) == PLACEHOLDER:
                placeholder = int(call.result["message_id"])
                owner.placeholders.append(placeholder)
                owners[(call.chat_id, placeholder)] = owner
            elif owner is not None:  # a sentence instead of a placeholder: an error, a quota
                owner.deliveries.append(call)
            elif pressed:  # the error handler's apology for a failed press
                max(pressed, key=lambda r: r.posted).deliveries.append(call)
        elif call.method == "editMessageText" and not is_progress(call) and is_delivered(call):
            where = (call.chat_id, int(call.params.get("message_id", 0)))
            text = str(call.params.get("text", ""))
            later = [r for r in refreshes.get(where, []) if r.posted <= call.time]
            if later and (REFRESHED in text or text.startswith(APOLOGY)):
                # The latest press before this edit asked for it.
                max(later, key=lambda r: r.posted).deliveries.append(call)
            elif where in owners:
                owners[where].deliveries.append(call)


# ---------------------------------------------------------------------------------------------
# The soak


@dataclass
class Options:
    """The command line."""

    seconds: float
    embedded: bool
    rate: float
    settle_s: float
    drain_s: float
    grace_s: float
    kill_every_s: float
    seed: int
    logs: Path | None


@dataclass
class Soak:
    """Drives traffic, injects faults on schedule, and keeps what the table shows."""

    options: Options
    telegram: FaultyTelegram
    fxtwitter: FaultyFxTwitter
    fleet: Fleet
    random: random.Random
    requests: list[SoakRequest] = field(default_factory=list)
    inline_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    answered_urls: list[str] = field(default_factory=list)
    faults: list[tuple[float, str]] = field(default_factory=list)
    hang_url: str | None = None
    paused: bool = False
    in_flight_at_restart: list[SoakRequest] = field(default_factory=list)
    windows: list[tuple[float, float, str]] = field(default_factory=list)
    """(start, end, what) in wall time of each Telegram fault and restart, to explain answers."""
    started: float = field(default_factory=time.monotonic)
    started_at: float = field(default_factory=time.time)

    def window(self, seconds: float, what: str) -> None:
        now = time.time()
        self.windows.append((now, now + seconds, what))

    def note(self, fault: str) -> None:
        self.faults.append((time.monotonic() - self.started, fault))
        print(f"[{time.monotonic() - self.started:6.1f} s] {fault}", file=sys.stderr)

    # Traffic ---------------------------------------------------------------------------------

    def new_user_chat(self) -> tuple[FakeUser, FakeChat]:
        user = self.telegram.user(f"U{len(self.requests)}")
        return user, self.telegram.private_chat(user)

    def new_thread_url(self) -> str:
        return self.fxtwitter.add(build_thread(POSTS, rich=False)).chain[0].url

    def ask(self, kind: str, chat: FakeChat, url: str) -> None:
        posted = time.time()
        message = self.telegram.user_sends(chat, f"please unroll {url}")
        self.requests.append(SoakRequest(kind, chat, url, posted, message["message_id"]))

    def send_one(self) -> None:
        """Send one request of a kind drawn by weight (a miss when no other kind can be made)."""
        kinds = ["miss", "hit", "repeat", "refresh", "inline"]
        kind = self.random.choices(kinds, [4, 3, 1.5, 1.5, 1])[0]
        if kind == "refresh" and self.press_refresh():
            return
        if kind == "inline":
            self.inline_tasks.append(asyncio.create_task(self.ask_inline()))
            return
        if kind == "hit" and self.answered_urls:
            self.ask("hit", self.new_user_chat()[1], self.random.choice(self.answered_urls))
            return
        url = self.new_thread_url()
        _, chat = self.new_user_chat()
        if kind == "repeat":
            self.ask("repeat", chat, url)
            self.ask("repeat", chat, url)
        else:
            self.ask("miss", chat, url)

    async def ask_inline(self) -> None:
        """Type `@bot LINK` (a thread answered before, or a new one), then pick the result."""
        known = self.answered_urls and self.random.random() < 0.5
        url = self.random.choice(self.answered_urls) if known else self.new_thread_url()
        user, chat = self.new_user_chat()
        request = SoakRequest("inline", chat, url, time.time())
        self.requests.append(request)
        query_id = self.telegram.inline_query(user, url)
        offered = None
        for _ in range(int(INLINE_WAIT_S / 0.1)):  # the bot answers an inline query itself
            offered = next(
                (
                    c
                    for c in self.telegram.calls_to("answerInlineQuery")
                    if c.params.get("inline_query_id") == query_id and c.status == 200
                ),
                None,
            )
            if offered is not None:
                break
            await asyncio.sleep(0.1)
        if offered is None:
            return  # never offered: lost, unless a fault explains it
        result_id = str(offered.params["results"][0]["id"])
        inline_message_id = self.telegram.choose_inline_result(user, query_id, result_id)
        if result_id.startswith("c-"):
            request.offer = offered
        else:
            request.inline_message_id = inline_message_id

    def press_refresh(self) -> bool:
        """Press Refresh under an answer at least 2 s old that was not refreshed yet."""
        now = time.time()
        candidates = [
            r
            for r in self.requests
            if r.kind not in ("refresh", "inline")
            and not r.refreshed
            and r.answer == "thread"
            and len(r.deliveries) == 1
            and now - r.deliveries[0].time > 2
        ]
        if not candidates:
            return False
        original = self.random.choice(candidates)
        delivery = original.deliveries[0]
        # The answer is an edit of the placeholder, or (its placeholder lost) a new reply.
        message_id = int(
            delivery.params.get("message_id") or (delivery.result or {}).get("message_id") or 0
        )
        stored = next(
            (m for m in self.telegram.messages_in(original.chat) if m["message_id"] == message_id),
            None,
        )
        buttons = [
            b
            for row in (stored or {}).get("reply_markup", {}).get("inline_keyboard", [])
            for b in row
            if str(b.get("callback_data", "")).startswith("refresh:")
        ]
        if stored is None or not buttons or original.chat.user is None:
            return False
        original.refreshed = True
        request = SoakRequest("refresh", original.chat, original.thread_url, now)
        request.target_message_id = message_id
        self.requests.append(request)
        self.telegram.press_button(original.chat.user, stored, buttons[0]["callback_data"])
        return True

    async def traffic(self, until: float) -> None:
        """Send `--rate` requests a second until `until`, pausing while `paused`."""
        interval = 1 / self.options.rate
        next_at = time.monotonic()
        while time.monotonic() < until:
            if not self.paused:
                self.send_one()
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def bookkeeping(self) -> None:
        """Every second: sample memory, learn which requests are answered (for hits, Refresh)."""
        while True:
            self.supervise()
            tally(self.telegram, self.requests)
            known = set(self.answered_urls)
            for r in self.requests:
                if r.answer == "thread" and r.thread_url not in known and r.kind == "miss":
                    self.answered_urls.append(r.thread_url)
                    known.add(r.thread_url)
            await asyncio.sleep(1.0)

    def supervise(self) -> None:
        """Sample memory; restart processes that died (docker compose: unless-stopped)."""
        self.fleet.sample()
        for event in self.fleet.revive():
            self.note(event)

    def pending(self) -> list[SoakRequest]:
        tally(self.telegram, self.requests)
        return [r for r in self.requests if not r.deliveries]

    # Faults ----------------------------------------------------------------------------------

    async def at(self, fraction: float) -> None:
        await asyncio.sleep(
            max(0.0, self.started + fraction * self.options.seconds - time.monotonic())
        )

    async def schedule(self) -> None:
        """Inject the one-off faults at fixed fractions of the run."""
        await self.at(0.15)
        url = self.new_thread_url()
        self.fxtwitter.hanging.add(url.rsplit("/", 1)[1])
        self.hang_url = url
        self.ask("miss", self.new_user_chat()[1], url)
        self.note("asked for the thread whose upstream hangs")
        await self.at(0.25)
        await self.flood()
        if not self.options.embedded:
            await self.at(0.4)
            self.note("Redis restart (SIGTERM, AOF)")
            self.fleet.stop("redis-server", signal.SIGTERM)
            self.fleet.start("redis-server")
            self.window(0, "the Redis restart")
        await self.at(0.5)
        self.note(f"Telegram outage for {OUTAGE_S:g} s: 502 to every method")
        self.telegram.outage_until = time.time() + OUTAGE_S
        self.window(OUTAGE_S, "the Telegram outage")
        await self.at(0.6)
        await (self.restart_embedded() if self.options.embedded else self.restart_listener())
        await self.at(0.75)
        await self.flood()

    async def flood(self) -> None:
        self.note(f"Telegram 429 burst for {FLOOD_S:g} s on every send and edit")
        self.telegram.flood_until = time.time() + FLOOD_S
        self.window(FLOOD_S, "a Telegram 429 burst")
        await asyncio.sleep(FLOOD_S)

    async def restart_listener(self) -> None:
        self.note("listener restart (SIGTERM)")
        self.fleet.stop("listener", signal.SIGTERM)
        self.fleet.start("listener")
        self.window(0, "the listener restart")

    async def restart_embedded(self) -> None:
        """Pause traffic until nothing is in flight (at most 10 s), then restart the process."""
        self.paused = True
        end = self.started + self.options.seconds - 1  # restart within the traffic time
        deadline = min(time.monotonic() + RESTART_QUIET_S, end)
        while time.monotonic() < deadline:
            if not self.pending():
                break
            await asyncio.sleep(0.5)
        self.in_flight_at_restart = self.pending()
        in_flight = len(self.in_flight_at_restart)
        self.note(f"process restart (SIGTERM), {in_flight} requests in flight")
        self.window(0, "the process restart")
        self.fleet.stop("run", signal.SIGTERM)
        self.fleet.start("run")
        self.paused = False

    async def kill_workers(self) -> None:
        """SIGKILL a random worker every `--kill-every` seconds and start a new one at once."""
        while True:
            await asyncio.sleep(self.options.kill_every_s)
            role = self.random.choice([r for r in self.fleet.live if r.startswith("worker")])
            self.note(f"SIGKILL {self.fleet.live[role].name}")
            self.fleet.stop(role, signal.SIGKILL)
            self.fleet.start(role)

    # Run -------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Traffic and faults for `--seconds`, then drain and a grace period."""
        end = self.started + self.options.seconds
        background = [
            asyncio.create_task(self.bookkeeping()),
            asyncio.create_task(self.schedule()),
        ]
        if not self.options.embedded:
            background.append(asyncio.create_task(self.kill_workers()))
        try:
            await self.traffic(end)
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
        await asyncio.gather(*self.inline_tasks)
        self.telegram.flood_until = self.telegram.outage_until = 0.0
        deadline = time.monotonic() + self.options.drain_s
        while self.pending() and time.monotonic() < deadline:
            self.supervise()
            await asyncio.sleep(0.5)
        await asyncio.sleep(self.options.grace_s)
        tally(self.telegram, self.requests)


# ---------------------------------------------------------------------------------------------
# Output


def explain_twice(soak: Soak, request: SoakRequest) -> str:
    """Name the worker SIGKILL that fell between Telegram taking the first answer and the
    worker recording it, or say there is none.

    The Bot API has no idempotency key: a worker killed after its send left and before the
    sent journal holds the message id cannot tell, and its job's next hand-out sends again
    (at least once, rather than maybe never). A kill just before the fake logs the call counts
    too: bytes already written to the socket still arrive.
    """
    first = request.deliveries[0].time - soak.started_at
    for at, fault in soak.faults:
        if fault.startswith("SIGKILL") and abs(at - first) <= SENT_UNRECORDED_S:
            return (
                f"{fault} {1000 * (at - first):+.0f} ms from Telegram taking the answer, "
                "before the worker recorded it: sent again on the next hand-out"
            )
    return "UNEXPLAINED"


def explain_apology(soak: Soak, request: SoakRequest) -> str:
    """Name the injected fault behind an apology or error answer, or say there is none."""
    if request.thread_url == soak.hang_url:
        return "the hanging upstream"
    outcomes = soak.fxtwitter.outcomes.get(request.thread_url.rsplit("/", 1)[1], [])
    if outcomes and all(o != "ok" for o in outcomes):
        return f"upstream 5xx on every call ({len(outcomes)})"
    near = [
        what
        for start, end, what in soak.windows
        if start - WINDOW_MARGIN_S <= request.posted <= end + WINDOW_MARGIN_S
    ]
    if near:
        return "posted during " + " and ".join(near)
    return f"UNEXPLAINED (upstream calls: {', '.join(outcomes) or 'none'})"


def print_table(soak: Soak) -> bool:
    """Print the table; return whether every target of the issue is met."""
    options, requests = soak.options, soak.requests
    mode = (
        "embedded: `run`, memory backends"
        if options.embedded
        else (f"listener + {WORKERS} workers + Redis (AOF)")
    )
    print(
        f"unroll-bot soak: {mode}; {options.seconds:g} s of traffic at {options.rate:g} "
        f"requests/s; {POSTS}-post threads; classic text answers; {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    kinds = Counter(r.kind for r in requests)
    once = [r for r in requests if len(r.deliveries) == 1]
    twice = [r for r in requests if len(r.deliveries) > 1]
    lost = [r for r in requests if not r.deliveries]
    apologies = [r for r in once if r.answer == "apology"]
    errors = [r for r in once if r.answer not in ("thread", "apology")]
    unexplained = [r for r in apologies + errors if explain_apology(soak, r).startswith("UNEX")]
    stray = sum(max(0, len(r.placeholders) - 1) for r in requests)
    rows = [
        ("requests sent", len(requests), ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))),
        ("answered exactly once, with the thread", len(once) - len(apologies) - len(errors), ""),
        ("answered exactly once, apologised (dead letter)", len(apologies), ""),
        ("answered exactly once, another error sentence", len(errors), ""),
        ("answered twice or more", len(twice), "target 0: " + verdict(not twice)),
        ("lost (no answer)", len(lost), "target 0: " + verdict(not lost)),
        ("extra placeholders (a request shown twice)", stray, ""),
    ]
    if options.embedded:
        rows.append(("unanswered at the process restart", len(soak.in_flight_at_restart), ""))
    print(f"{'requests':<50} {'count':>7}  note")
    for label, count, note in rows:
        print(f"{label:<50} {count:>7}  {note}")
    for r in apologies + errors + twice + lost:
        how = "twice" if r in twice else "lost" if r in lost else str(r.answer)[:30]
        at = r.posted - soak.started_at
        if r in soak.in_flight_at_restart:
            how += " (still unanswered at the restart)"
        print(
            f"  {how}: {r.kind} posted at {at:.1f} s, {r.thread_url} in chat {r.chat.id}; "
            f"{explain_twice(soak, r) if r in twice else explain_apology(soak, r)}"
        )
    print(
        f"{'apologies and errors not caused by an injected fault':<50} {len(unexplained):>7}"
        f"  target 0: {verdict(not unexplained)}"
    )
    times = [r.deliveries[0].time - r.posted for r in requests if r.deliveries]
    p50, p99 = percentiles_ms(times)
    print(f"{'answer time from the update, p50 / p99 ms':<50} {p50:>7.0f}  p99 {p99:.0f}")
    print_faults(soak)
    memory_ok = print_memory(soak.fleet)
    return not (twice or lost or unexplained) and memory_ok


def verdict(met: bool) -> str:
    return "ok" if met else "MISSED"


def print_faults(soak: Soak) -> None:
    print(f"{'faults injected':<50} {'count':>7}  note")
    kills = sum(1 for _, f in soak.faults if f.startswith("SIGKILL"))
    exits = sum(1 for _, f in soak.faults if "exited with status" in f)
    upstream = Counter(o for outcomes in soak.fxtwitter.outcomes.values() for o in outcomes)
    rows = [
        ("worker SIGKILLs (each restarted)", kills, ""),
        ("processes that exited on their own (restarted)", exits, "SEE BELOW" if exits else ""),
        ("Telegram calls refused with 429 in bursts", soak.telegram.refused["429 (burst)"], ""),
        (
            "Telegram calls refused with 502 in the outage",
            soak.telegram.refused["502 (outage)"],
            "",
        ),
        ("upstream calls answered 503", upstream["503"], f"of {upstream.total()}"),
        ("upstream calls held by the hanging thread", upstream["hung"], ""),
    ]
    for label, count, note in rows:
        print(f"{label:<50} {count:>7}  {note}")
    for at, fault in soak.faults:
        if not fault.startswith("SIGKILL"):
            print(f"  at {at:5.0f} s: {fault}")


def print_memory(fleet: Fleet) -> bool:
    """Print each process's peak RSS; return whether none grew past the limit."""
    settled = f"at {fleet.settle_s:g} s MB"
    print(f"{'process (peak RSS, VmHWM)':<30} {settled:>14} {'at end MB':>10} {'change':>7}  end")
    ok = True
    for watched in sorted(fleet.retired, key=lambda w: w.name):
        growth = watched.growth
        within = growth is None or growth <= RSS_GROWTH_LIMIT
        ok = ok and within
        settled = f"{watched.settled_kb / MIB:14.1f}" if watched.settled_kb else f"{'—':>14}"
        end = f"{watched.end_kb / MIB:10.1f}" if watched.end_kb else f"{'—':>10}"
        change = f"{100 * growth:+6.1f}%" if growth is not None else f"{'—':>7}"
        flag = "" if within else "  over 10 %: MISSED"
        print(f"{watched.name:<30} {settled} {end} {change}  {watched.end}{flag}")
    return ok


# ---------------------------------------------------------------------------------------------
# Entry point


def parse_options(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, default=5.0, help="traffic time (5)")
    length.add_argument("--seconds", type=float, default=None, help="traffic time, in seconds")
    parser.add_argument("--embedded", action="store_true", help="`run` without Redis")
    parser.add_argument("--rate", type=float, default=2.0, help="requests a second (2)")
    parser.add_argument("--settle", type=float, default=60.0, help="age of the first RSS (60 s)")
    parser.add_argument("--drain", type=float, default=120.0, help="wait for answers (120 s)")
    parser.add_argument("--grace", type=float, default=10.0, help="then for duplicates (10 s)")
    parser.add_argument("--kill-every", type=float, default=30.0, help="worker SIGKILL (30 s)")
    parser.add_argument("--seed", type=int, default=1, help="traffic and 5xx draws")
    parser.add_argument("--logs", type=Path, default=None, help="keep the bot logs in this dir")
    args = parser.parse_args(argv)
    return Options(
        seconds=args.seconds if args.seconds is not None else args.minutes * 60,
        embedded=args.embedded,
        rate=args.rate,
        settle_s=args.settle,
        drain_s=args.drain,
        grace_s=args.grace,
        kill_every_s=args.kill_every,
        seed=args.seed,
        logs=args.logs,
    )


def bot_settings(telegram: FakeTelegram, fakes: dict[str, str]) -> dict[str, Any]:
    """Return the bot's settings: the fakes; short timeouts, so the hanging upstream's five
    tries end within the run (and within the smoke test's drain)."""
    return {
        "telegram_bot_token": telegram.token,
        "telegram_api_url": telegram.url,
        "fxtwitter_api_url": fakes["fxtwitter"],
        "telegraph_api_url": fakes["telegraph"],
        "unroll_allow_private_hosts": True,
        "telegram_poll_timeout_s": 1,
        "http_timeout_s": 3,
        "http_deadline_s": 10,
    }


async def soak(options: Options) -> bool:
    """Start the fakes, Redis and the bot; run the soak; print the table; clean up."""
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGTERM,
        asyncio.current_task().cancel,  # type: ignore[union-attr]
    )
    async with AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="unroll-soak-")))
        if options.logs is not None:
            options.logs.mkdir(parents=True, exist_ok=True)
        logdir = options.logs or workdir
        telegram = FaultyTelegram()
        stack.enter_context(telegram)
        fxtwitter = FaultyFxTwitter(options.seed)
        stack.enter_context(fxtwitter.server)
        stack.callback(setattr, fxtwitter, "released", True)  # runs before the server stops
        telegraph = stack.enter_context(FakeTelegraph())
        settings = bot_settings(telegram, {"fxtwitter": fxtwitter.url, "telegraph": telegraph.url})
        redis = None if options.embedded else RedisServer(workdir)
        if redis is not None:
            settings |= {"redis_url": redis.url, "redis_key_prefix": f"soak:{uuid.uuid4()}:"}
        fleet = Fleet(bot_environment(settings), logdir, options.settle_s, redis)
        stack.callback(fleet.stop_all)
        roles = (
            ["run"]
            if options.embedded
            else ["redis-server", "listener", *(f"worker-{n}" for n in range(1, WORKERS + 1))]
        )
        for role in roles:
            fleet.start(role)
        await wait_for_ready(
            telegram, get_me=len(roles) - (redis is not None), is_dead=fleet.is_dead
        )
        runner = Soak(options, telegram, fxtwitter, fleet, random.Random(options.seed))
        try:
            await runner.run()
        except BaseException:
            show_logs(logdir)
            raise
        fleet.stop_all()
        if options.logs is not None:
            dump_calls(telegram, runner.started_at, options.logs / "telegram-calls.txt")
        return print_table(runner)


def dump_calls(telegram: FakeTelegram, started_at: float, path: Path) -> None:
    """Write the fake's call log, one line per call, to read a lost request's story."""
    with path.open("w") as out:
        for call in telegram.calls:
            params = {k: v for k, v in call.params.items() if k not in ("reply_markup", "text")}
            text = str(call.params.get("text", ""))[:50].replace("\n", " ")
            description = (call.response or {}).get("description", "")
            out.write(
                f"{call.time - started_at:8.3f} {call.method} {call.status} {description} "
                f"{params} {text!r}\n"
            )


def show_logs(workdir: Path) -> None:
    """Print the end of each bot log to stderr, to explain a failed run."""
    for log in sorted(workdir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-20:]
        print(f"--- {log.name} (last lines)", *lines, sep="\n", file=sys.stderr)


def main() -> None:
    """Run the soak and print its table; exit 3 when a target is missed."""
    options = parse_options()
    if not asyncio.run(soak(options)):
        raise SystemExit(TARGET_MISSED)


if __name__ == "__main__":
    main()
