"""Log lines hide every secret wherever it appears: message, arguments, extras, exceptions."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import REDACTED, setup_logging
from bot.settings import Settings

SECRETS = ["123456:bot-token-AAAA", 'webhook-secret-"quoted"', "x-bearer/with+plus"]


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("json_format", [False, True], ids=["console", "json"])
@pytest.mark.parametrize(
    "emit",
    [
        pytest.param(lambda log, s: log.info("calling %s", s), id="argument"),
        pytest.param(lambda log, s: log.info(f"calling {s}"), id="message"),
        pytest.param(lambda log, s: log.info("call", extra={"params": {"token": s}}), id="extra"),
        pytest.param(
            lambda log, s: log.debug("url", extra={"url": f"https://h/bot{s}/x"}), id="debug"
        ),
        pytest.param(lambda log, s: _log_exception(log, s), id="exception"),
    ],
)
def test_secret_never_reaches_the_log(
    capsys: pytest.CaptureFixture[str], json_format: bool, emit: object
) -> None:
    setup_logging(level="DEBUG", json_format=json_format, secrets=SECRETS)
    log = logging.getLogger("tests.logs")
    for secret in SECRETS:
        emit(log, secret)  # type: ignore[operator]
    written = capsys.readouterr().err
    assert (written.count(REDACTED) >= len(SECRETS), [s for s in SECRETS if s in written]) == (
        True,
        [],
    )


def test_percent_encoded_secret_is_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(level="INFO", json_format=False, secrets=["123:abc/def"])
    logging.getLogger("tests.logs").info("GET https://h/bot123%3Aabc%2Fdef/getMe")
    assert "abc%2Fdef" not in capsys.readouterr().err


def _log_exception(log: logging.Logger, secret: str) -> None:
    try:
        raise RuntimeError(f"refused {secret}")
    except RuntimeError:
        log.exception("failed")


def test_settings_name_every_secret() -> None:
    """Each SecretStr setting and the Redis password are handed to the logs to hide."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="t-o-k-e-n",
        x_bearer_token="bearer",
        telegraph_access_token="telegraph",
        webhook_url="https://bot.example/hook",
        webhook_secret="hook-secret",
        redis_url="redis://:redis-password@localhost:6379/0",
    )
    assert sorted(settings.secret_values()) == sorted(
        ["t-o-k-e-n", "bearer", "telegraph", "hook-secret", "redis-password"]
    )
