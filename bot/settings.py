"""Settings: the only code that reads the environment or `.env`.

Built once in `cli.py` and handed to `wiring.py`, which passes plain values down.
The names in the first block are the product's outer contract (shared/CONTRACT.md).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the bot, from the environment or a `.env` file."""

    # An empty value ("TELEGRAM_BOT_TOKEN=" as in .env.example) means unset, not "".
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    # The contract's names.
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    redis_url: str | None = None
    fxtwitter_api_url: str = "https://api.fxtwitter.com"
    x_bearer_token: SecretStr | None = None
    x_api_url: str = "https://api.x.com"
    bluesky_api_url: str = "https://public.api.bsky.app"
    telegraph_api_url: str = "https://api.telegra.ph"
    telegraph_access_token: SecretStr | None = None
    public_base_url: str | None = None
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    unroll_allow_private_hosts: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    follow_first_check_s: float = Field(default=120.0, gt=0)
    follow_max_interval_s: float = Field(default=21600.0, gt=0)
    follow_for_s: float = Field(default=604800.0, gt=0)
    follow_max_per_chat: int = Field(default=20, ge=0)
    placeholder_after_ms: int = Field(default=700, ge=0)

    # Our own additions.
    unroll_max_posts: int = Field(default=500, ge=1)
    http_timeout_s: float = Field(default=10.0, gt=0)
    http_deadline_s: float = Field(default=30.0, gt=0)
    http_max_bytes: int = Field(default=5_000_000, gt=0)
    unroll_max_requests: int = Field(default=150, ge=1)
    unroll_max_fetch_bytes: int = Field(default=15_000_000, gt=0)
    result_cache_ttl_s: int = Field(default=3600, ge=1)
    page_ttl_s: int = Field(default=30 * 24 * 3600, ge=1)
    failure_cache_ttl_s: int = Field(default=60, ge=1)
    user_quota_per_minute: int = Field(default=20, ge=1)
    worker_concurrency: int = Field(default=8, ge=1)
    max_split_messages: int = Field(default=5, ge=1)
    job_max_deliveries: int = Field(default=5, ge=1)
    job_reclaim_idle_s: float = Field(default=5.0, gt=0)
    shutdown_grace_s: float = Field(default=10.0, ge=0)
    retry_backoff_base_s: float = Field(default=1.0, ge=0)
    retry_backoff_cap_s: float = Field(default=60.0, ge=0)
    redis_key_prefix: str = "unroll:"
    telegram_poll_timeout_s: int = Field(default=10, ge=0)
    # The shared send limiter (bot/limiter.py): Telegram's own limits for every bot (about 30
    # messages a second, one a second per chat, 20 a minute per group; core.telegram.org/bots/faq).
    telegram_global_per_s: float = Field(default=25, gt=0)
    telegram_private_per_s: float = Field(default=1, gt=0)
    telegram_group_per_min: float = Field(default=20, gt=0)

    def secret_values(self) -> list[str]:
        """Return every secret setting's value, for the logs to hide wherever it appears.

        That is each `SecretStr` setting and the password inside `REDIS_URL`.
        """
        values = [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        ]
        if self.redis_url:
            values.append(urlsplit(self.redis_url).password or "")
        return [value for value in values if value]

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return self
