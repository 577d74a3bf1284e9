"""Benchmark: the follow tick with 10,000 followed threads in Redis, and Redis bytes per follow.

Run `.venv/bin/python bench/follow.py` from the repository root. It starts a `redis-server` of
its own (free port, temp dir), follows `--threads` threads (one chat each, a 20-post snapshot
each, none due), then `--rounds` times makes `--due` of them due and runs one scheduler tick
(`bot.follow.tick.run_tick`: claim the due threads, submit a fresh check job for each onto the
Redis queue). It prints the tick's CPU time in this process and in redis-server (user+system),
its wall time, and Redis' `used_memory` growth per follow. Figures are recorded in
bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: bench.e2e and bot live at the root
    sys.path.insert(0, str(ROOT))

from bench.e2e import redis_server  # noqa: E402
from bot.follow.records import Follower, RedisFollowStore  # noqa: E402
from bot.follow.tick import run_tick  # noqa: E402
from bot.keyspace import Keys, connect  # noqa: E402
from bot.queue.redis_streams import RedisJobQueue  # noqa: E402
from bot.request import Destination  # noqa: E402

PREFIX = "bench:"
SNAPSHOT_POSTS = 20


def thread_key(n: int) -> str:
    return f"x:x.com:{1_800_000_000_000_000_000 + n}"


async def redis_cpu_s(redis: Any) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def follow_all(store: RedisFollowStore, threads: int) -> None:
    """Follow `threads` threads, one chat each, none due for an hour."""
    for n in range(threads):
        key = thread_key(n)
        snapshot = ",".join(str(1_800_000_000_000_000_000 + n * 100 + i) for i in range(20))
        follower = Follower(
            user_id=n, destination=Destination.PRIVATE, chat_id=n, message_id=n + 1
        )
        await store.follow(key, follower, max_per_chat=20, first_check_s=3600, snapshot=snapshot)


async def run(options: argparse.Namespace, url: str) -> None:
    redis = connect(url)
    try:
        store = RedisFollowStore(redis, prefix=PREFIX)
        queue = RedisJobQueue(redis, prefix=PREFIX)
        before = (await redis.info("memory"))["used_memory"]
        await follow_all(store, options.threads)
        after = (await redis.info("memory"))["used_memory"]
        cpu_ms, redis_ms, wall_ms = [], [], []
        for round_ in range(options.rounds):
            first = round_ * options.due
            due = {thread_key(n): 0 for n in range(first, first + options.due)}
            await redis.zadd(Keys(PREFIX).follow_due, due, xx=True)
            redis_before, cpu_before, wall_before = (
                await redis_cpu_s(redis),
                time.process_time(),
                time.perf_counter(),
            )
            submitted = await run_tick(store, queue, limit=options.due)
            cpu_ms.append((time.process_time() - cpu_before) * 1000)
            wall_ms.append((time.perf_counter() - wall_before) * 1000)
            redis_ms.append((await redis_cpu_s(redis) - redis_before) * 1000)
            assert submitted == options.due, submitted
        await queue.aclose()
    finally:
        await redis.aclose()
    print(
        f"followed threads: {options.threads}, due per tick: {options.due}, "
        f"ticks: {options.rounds}"
    )
    print(
        f"tick CPU, this process: median {statistics.median(cpu_ms):.1f} ms "
        f"(min {min(cpu_ms):.1f}, max {max(cpu_ms):.1f})"
    )
    print(f"tick CPU, redis-server: median {statistics.median(redis_ms):.1f} ms")
    print(f"tick wall time: median {statistics.median(wall_ms):.1f} ms")
    print(f"Redis bytes per follow: {(after - before) / options.threads:.0f}")


def main() -> None:
    """Parse the options, start redis-server, run the benchmark, print its lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=10_000, help="followed threads")
    parser.add_argument("--due", type=int, default=100, help="threads due per tick")
    parser.add_argument("--rounds", type=int, default=9, help="ticks timed")
    options = parser.parse_args()
    if options.due * options.rounds > options.threads:
        parser.error("--due × --rounds must not exceed --threads")
    with tempfile.TemporaryDirectory() as directory, redis_server(Path(directory)) as (url, _):
        asyncio.run(run(options, url))


if __name__ == "__main__":
    main()
