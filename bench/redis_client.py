"""Benchmark: the caller's CPU for one Redis command, by the way it is sent.

Run `.venv/bin/python bench/redis_client.py` from the repository root. It starts a
`redis-server` of its own (free port, temp dir) and times, in this one process, `GET`, `SET`
with a TTL and `EVALSHA` of a one-line script, each sent:

- by the client `bot.keyspace.connect` builds (`DirectRedis`: kept connections);
- by a plain redis-py client on the same pool settings (blocking pool, retries): every command
  through the pool, as before `DirectRedis`;
- on a bare asyncio stream (`GET` only): the round trip itself, with no client around it.

Each figure is the best of `--repeats` runs of `--calls` commands one after another, as CPU
time of this process (`time.process_time`) per command, so Redis's own time is left out. The
figures and what they explain are in bench/README.md (tenth pass).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from bench.e2e import redis_server  # noqa: E402
from bot.keyspace import connect  # noqa: E402

Command = Callable[[], Awaitable[object]]
DIRECT, THROUGH_POOL, BARE = "DirectRedis (connect)", "redis-py, through the pool", "bare stream"


async def cpu_us(command: Command, calls: int, repeats: int) -> float:
    """Return the best, over `repeats` runs, of the CPU µs one of `calls` commands took."""
    for _ in range(200):  # warm: connections open, scripts loaded
        await command()
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(calls):
            await command()
        best = min(best, (time.process_time() - started) / calls)
    return best * 1e6


def commands(client: Redis) -> dict[str, Command]:
    """Return the three commands sent through `client`."""
    script = client.register_script("return redis.call('SET', KEYS[1], ARGV[1])")
    return {
        "GET": lambda: client.get("bench:k"),
        "SET with a TTL": lambda: client.set("bench:k", "v", ex=100),
        "EVALSHA": lambda: script(keys=["bench:k"], args=["v"]),
    }


async def bare_get(url: str) -> tuple[Command, Callable[[], None]]:
    """Return a GET written and read on a bare asyncio stream, and how to close it."""
    host, port = url.removeprefix("redis://").split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    request = b"*2\r\n$3\r\nGET\r\n$7\r\nbench:k\r\n"

    async def get() -> object:
        writer.write(request)
        header = await reader.readline()  # "$1" then the value, or "$-1" (nil)
        return await reader.readline() if header != b"$-1\r\n" else None

    return get, writer.close


async def run(url: str, calls: int, repeats: int) -> None:
    direct = connect(url)
    # redis-py's own client class on the same pool (blocking, with retries): every command
    # through the pool, as before DirectRedis.
    plain = Redis(connection_pool=direct.connection_pool)
    rows: dict[str, dict[str, float]] = {}
    for label, client in ((DIRECT, direct), (THROUGH_POOL, plain)):
        for name, command in commands(client).items():
            rows.setdefault(name, {})[label] = await cpu_us(command, calls, repeats)
    get, close = await bare_get(url)
    rows["GET"][BARE] = await cpu_us(get, calls, repeats)
    close()
    await plain.aclose()  # not its pool's owner: the pool closes with `direct`
    await direct.aclose()
    print(f"caller's CPU µs per command, best of {repeats} runs of {calls} calls")
    labels = [DIRECT, THROUGH_POOL, BARE]
    print(f"{'command':<16}" + "".join(f"{label:>30}" for label in labels))
    for name, figures in rows.items():
        cells = "".join(
            f"{figures[label]:>30.0f}" if label in figures else f"{'':>30}" for label in labels
        )
        print(f"{name:<16}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, redis_server(Path(directory)) as (url, _):
        asyncio.run(run(url, options.calls, options.repeats))


if __name__ == "__main__":
    main()
