"""Telegram's 429 wait is read the same whichever form PTB gives it, without a warning."""

from __future__ import annotations

import warnings

import pytest
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.delivery import retry_after_s


@pytest.mark.parametrize("timedelta_mode", ["true", "false"])
def test_retry_after_is_read_in_seconds_in_either_ptb_mode(
    monkeypatch: pytest.MonkeyPatch, timedelta_mode: str
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", timedelta_mode)
    with warnings.catch_warnings():
        # PTB itself warns while building the error in its old mode; that is PTB's business.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        error = RetryAfter(7)
    assert retry_after_s(error) == 7.0
