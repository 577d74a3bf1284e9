"""Profile the bot's listener and workers from outside while `bench/e2e.py` runs.

Runs `bench/e2e.py` with the arguments after `--` and attaches `py-spy record` (raw, collapsed
stacks, on-CPU samples only) to every `python -m bot listener` and `python -m bot worker` it
starts, so no profiling hook lives in the product code. When the run ends it prints, per role,
the functions holding the most samples: by self time (the frame on top) and inclusive (on the
stack at all; our own functions only), as shares of the process's samples in its event loop
(start-up and shutdown, imports and samples outside the loop are left out). Only processes the
benchmark started are watched. The raw files stay in `--out` for a flame graph (speedscope).

py-spy samples a thread that is running *or waiting for a CPU*, so on a saturated machine a
system call that wakes another process (a socket write to Redis or the fakes) collects the
samples of the time the writer waits to run again: read the shares against the CPU times
e2e.py prints, which come from /proc.

    .venv/bin/python bench/profile.py -- --workers 1 --raise-limiter --burst 300 --rounds 1

Needs py-spy (`.venv/bin/pip install py-spy`) and the right to ptrace the bot's processes.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

E2E = Path(__file__).with_name("e2e.py")
ROLES = ("listener", "worker")
_LOOP = "BaseEventLoop.run_forever "
_IMPORT = "<frozen importlib._bootstrap"
_OURS = "(bot/"
# Building the process and closing it; requests run in tasks.
_STARTING = ("(bot/wiring.py)", "(bot/running.py)")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:]*)(?::\d+)?\)$")


def bot_processes(ancestor: int) -> dict[int, str]:
    """Return the pid and role of every `python -m bot listener|worker` under `ancestor`.

    Only the benchmark's own: other bots running on the machine are left alone.
    """
    parents: dict[int, int] = {}
    roles: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(stat.rpartition(")")[2].split()[1])
        words = [word.decode(errors="replace") for word in argv if word]
        if len(words) >= 4 and words[1:3] == ["-m", "bot"] and words[3] in ROLES:
            roles[pid] = words[3]
    return {pid: role for pid, role in roles.items() if _descends(pid, ancestor, parents)}


def _descends(pid: int, ancestor: int, parents: dict[int, int]) -> bool:
    while pid > 1:
        pid = parents.get(pid, 0)
        if pid == ancestor:
            return True
    return False


def frame_name(frame: str) -> str:
    """Return `function (package/file)` for one raw py-spy frame, without its line number."""
    match = _FRAME.match(frame)
    if match is None:
        return frame
    return f"{match['function']} ({match['file']})"


def summarise(files: list[Path], *, top: int) -> str:
    """Return the top functions by self and inclusive samples over `files` (one role)."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for file in files:
        for line in file.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack:
                continue
            count = int(count_text)
            frames = [frame_name(frame) for frame in stack.split(";")]
            if not any(name.startswith(_LOOP) for name in frames) or any(
                _IMPORT in name or any(part in name for part in _STARTING) for name in frames
            ):
                continue  # starting or stopping: imports, building clients, outside the loop
            total += count
            own[frames[-1]] += count
            for name in set(frames):
                if _OURS in name:
                    inclusive[name] += count
    if not total:
        return "  no samples\n"
    lines = [f"  {total} samples"]
    for title, counter in (("self", own), ("inclusive, our functions", inclusive)):
        lines.append(f"  top {top} by {title}:")
        for name, count in counter.most_common(top):
            lines.append(f"    {100 * count / total:5.1f}%  {name}")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run e2e.py under py-spy and print the profile of each role."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="keep raw profiles here")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--top", type=int, default=40, help="functions listed per table")
    parser.add_argument("e2e_args", nargs=argparse.REMAINDER, help="-- then e2e.py's arguments")
    options = parser.parse_args()
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    out = options.out or Path(tempfile.mkdtemp(prefix="unroll-profile-"))
    out.mkdir(parents=True, exist_ok=True)
    e2e_args = [arg for arg in options.e2e_args if arg != "--"]
    bench = subprocess.Popen([sys.executable, str(E2E), *e2e_args])
    spies: dict[int, tuple[str, subprocess.Popen[bytes]]] = {}
    while bench.poll() is None:
        for pid, role in bot_processes(bench.pid).items():
            if pid not in spies:
                command = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate"]
                command += [str(options.rate), "--nonblocking", "--output"]
                command += [str(out / f"{role}-{pid}.txt")]
                spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                spies[pid] = (role, spy)
        time.sleep(0.05)
    for _role, spy in spies.values():
        try:
            spy.wait(timeout=30)  # py-spy writes its file when the process it watches ends
        except subprocess.TimeoutExpired:
            spy.kill()
    for role in ROLES:
        files = sorted(out.glob(f"{role}-*.txt"))
        print(f"\n{role}: {len(files)} process(es), raw profiles in {out}")
        print(summarise(files, top=options.top), end="")
    return bench.returncode or 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
