"""Every error's sentence is one line of text, whatever number an upstream put in it."""

from __future__ import annotations

import pytest

from bot.errors import RateLimitedError


@pytest.mark.parametrize("retry_after", [float("inf"), 1e300, 99999999999.0, float("nan"), -5.0])
def test_rate_limit_sentence_says_a_while_when_wait_is_absurd(retry_after: float) -> None:
    message = RateLimitedError(retry_after=retry_after, platform="mastodon").user_message()
    assert message == "Mastodon is limiting requests right now; please wait a while and try again."


def test_rate_limit_sentence_gives_seconds_when_wait_is_sane() -> None:
    message = RateLimitedError(retry_after=20.4, platform="x").user_message()
    expected = "X is limiting requests right now; please wait about 20 seconds and try again."
    assert message == expected
