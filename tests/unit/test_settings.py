"""Settings: the CONTRACT's names and defaults, the webhook rule, and the `.env` file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.settings import Settings

# shared/CONTRACT.md's settings table: variable, default, a value to set, what Settings reads.
CONTRACT_TABLE = [
    ("TELEGRAM_BOT_TOKEN", None, "123456:abc", "123456:abc"),
    (
        "TELEGRAM_API_URL",
        "https://api.telegram.org",
        "http://127.0.0.1:8081",
        "http://127.0.0.1:8081",
    ),
    ("REDIS_URL", None, "redis://localhost:6379/0", "redis://localhost:6379/0"),
    ("FXTWITTER_API_URL", "https://api.fxtwitter.com", "https://fx.example", "https://fx.example"),
    ("X_BEARER_TOKEN", None, "AAAA-bearer", "AAAA-bearer"),
    ("X_API_URL", "https://api.x.com", "https://x-api.example", "https://x-api.example"),
    (
        "BLUESKY_API_URL",
        "https://public.api.bsky.app",
        "https://appview.example",
        "https://appview.example",
    ),
    (
        "TELEGRAPH_API_URL",
        "https://api.telegra.ph",
        "https://telegraph.example",
        "https://telegraph.example",
    ),
    ("TELEGRAPH_ACCESS_TOKEN", None, "tg-token", "tg-token"),
    ("PUBLIC_BASE_URL", None, "https://unroll.example", "https://unroll.example"),
    ("WEB_HOST", "127.0.0.1", "0.0.0.0", "0.0.0.0"),
    ("WEB_PORT", 8080, "8443", 8443),
    ("WEBHOOK_URL", None, "https://unroll.example/hook", "https://unroll.example/hook"),
    ("WEBHOOK_SECRET", None, "hook-secret", "hook-secret"),
    ("UNROLL_ALLOW_PRIVATE_HOSTS", False, "true", True),
    ("LOG_LEVEL", "INFO", "DEBUG", "DEBUG"),
    ("LOG_FORMAT", "console", "json", "json"),
]


def plain(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


@pytest.mark.parametrize(("variable", "default"), [row[:2] for row in CONTRACT_TABLE])
def test_contract_setting_default_when_unset(
    settings_factory: Callable[..., Settings], variable: str, default: object
) -> None:
    assert getattr(settings_factory(), variable.lower()) == default


@pytest.mark.parametrize(
    ("variable", "text", "read"), [(row[0], *row[2:]) for row in CONTRACT_TABLE]
)
def test_contract_setting_read_from_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, text: str, read: object
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "hook-secret")  # lets WEBHOOK_URL through
    monkeypatch.setenv(variable, text)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert plain(getattr(settings, variable.lower())) == read


def test_webhook_url_rejected_without_secret(settings_factory: Callable[..., Settings]) -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET is required"):
        settings_factory(webhook_url="https://bot.example/hook")


def test_webhook_url_accepted_with_secret(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(webhook_url="https://bot.example/hook", webhook_secret="s3cret")
    assert settings.webhook_url == "https://bot.example/hook"


def test_dotenv_file_read_from_working_directory(tmp_path: Path) -> None:
    """`clean_environ` runs each test in its own empty directory, so this `.env` is the one."""
    (tmp_path / ".env").write_text("FXTWITTER_API_URL=https://fx.example\n", encoding="utf-8")
    assert Settings().fxtwitter_api_url == "https://fx.example"


def test_environment_wins_over_dotenv_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("FXTWITTER_API_URL=https://fx.example\n", encoding="utf-8")
    monkeypatch.setenv("FXTWITTER_API_URL", "https://env.example")
    assert Settings().fxtwitter_api_url == "https://env.example"


def test_secret_setting_hidden_from_repr(settings_factory: Callable[..., Settings]) -> None:
    """Settings may end up in a log line or a traceback; the token must not."""
    settings = settings_factory(telegram_bot_token="123456:very-secret")
    assert "very-secret" not in repr(settings)


def test_log_level_is_case_insensitive(settings_factory: Callable[..., Settings]) -> None:
    assert settings_factory(log_level="debug").log_level == "DEBUG"


def test_unknown_log_level_is_a_settings_error(settings_factory: Callable[..., Settings]) -> None:
    """Caught like any bad setting (one sentence, exit 2), not a traceback from logging."""
    with pytest.raises(ValidationError):
        settings_factory(log_level="verbose")
