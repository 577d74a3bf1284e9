#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine (redis-server, a virtualenv with
# the project and its dev tools), check lint and types, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v redis-server >/dev/null 2>&1; then
  echo "Installing redis-server from Debian's packages…"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

# The reader-page tests (tests/e2e/test_reader_page.py) drive a real headless Chromium.
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium from Debian's packages…"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'

.venv/bin/ruff check bot tests bench
.venv/bin/ruff format --check bot tests bench
.venv/bin/mypy
# Four processes on any machine: the suite waits far more than it computes (about 6 minutes
# of CPU in 11 of wall time when run in one on a slow 2-core machine), so four share even two
# cores well. One module stays in one process (its module-wide fixtures, a soak or a bench
# run among them, are set up once); `-n 0` runs the suite in one process.
.venv/bin/pytest -n 4 --dist loadfile "$@"
