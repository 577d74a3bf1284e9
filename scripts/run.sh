#!/usr/bin/env bash
# Install the bot into a virtualenv and start it with the settings in .env.
# Without TELEGRAM_BOT_TOKEN it explains how to get one and how to try a one-shot unroll.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e .
[ -f .env ] || cp .env.example .env

exec .venv/bin/unroll-bot "${@:-run}"
