"""`FetchBudget`: a fetch ends with the right error once its requests, bytes or time run out."""

from __future__ import annotations

import time

import pytest

from bot.errors import ResponseTooLargeError, SourceTimeoutError
from bot.net.budget import FetchBudget


def test_request_refused_when_requests_spent() -> None:
    budget = FetchBudget(max_requests=2, max_bytes=100, deadline_s=60)
    budget.spend_request()
    budget.spend_request()
    with pytest.raises(ResponseTooLargeError, match="more than 2 requests"):
        budget.spend_request(platform="mastodon")


def test_request_refused_when_deadline_passed() -> None:
    budget = FetchBudget(max_requests=10, max_bytes=100, deadline_s=5)
    budget.started = time.monotonic() - 6
    with pytest.raises(SourceTimeoutError):
        budget.spend_request()


def test_request_gets_remaining_time() -> None:
    budget = FetchBudget(max_requests=10, max_bytes=100, deadline_s=5)
    budget.started = time.monotonic() - 2
    assert 1.5 < budget.spend_request() <= 3  # two statements apart, however slow the machine


def test_bytes_refused_when_over_the_fetch_total() -> None:
    budget = FetchBudget(max_requests=10, max_bytes=100, deadline_s=60)
    budget.spend_bytes(60)
    with pytest.raises(ResponseTooLargeError):
        budget.spend_bytes(41)
