"""Every failure the product explains to people, as one small tree. Pure: no I/O.

    UnrollError                       base, never raised itself
    ├── UnsupportedLinkError          exit 2   not a link to a post we know, or malformed
    │   ├── UnsupportedPlatformError  exit 2   recognised but not supported yet (Threads)
    │   └── BlockedHostError          exit 2   the address guard refused the host
    ├── PostUnavailableError          exit 3   not found or deleted
    │   └── PostPrivateError          exit 3   private, blocked, or the instance requires login
    └── SourceError                   exit 4   the source failed: down, 5xx, bad JSON   retryable
        ├── SourceTimeoutError        exit 4   deadline hit                             retryable
        ├── RateLimitedError          exit 4   429; carries retry_after                 retryable
        ├── ResponseTooLargeError     exit 4   over the byte cap or the fetch budget  not retryable
        └── ReplyLoopError            exit 4   the replies go round in a circle   not retryable

Each class knows its exit code, whether a retry may help, and one plain sentence for the
user (`user_message`), used unchanged by the CLI and the bot.
"""

from __future__ import annotations

from typing import ClassVar

from bot.model import Platform

OTHER_SERVICE_NAMES = {"telegraph": "Telegraph"}
"""Services the bot calls that are not thread platforms (`model.Platform` names those)."""

MAX_SHOWN_WAIT_S = 86_400.0
"""A wait longer than a day is not worth a number in a sentence."""


def _platform_name(platform: str | None) -> str:
    if platform in set(Platform):
        return Platform(platform).display_name
    return OTHER_SERVICE_NAMES.get(platform or "", platform or "the source")


class UnrollError(Exception):
    """Base of every error the product turns into a sentence."""

    exit_code: ClassVar[int] = 1
    retryable: ClassVar[bool] = False

    def __init__(self, detail: str = "", *, platform: str | None = None, host: str | None = None):
        super().__init__(detail or type(self).__name__)
        self.detail = detail
        self.platform = platform
        self.host = host

    def user_message(self) -> str:
        """Return one plain sentence saying what went wrong."""
        raise NotImplementedError


class UnsupportedLinkError(UnrollError):
    """Not a link to a post of a platform we know, or malformed."""

    exit_code = 2

    def user_message(self) -> str:
        return "That is not a link to a post on X, Mastodon or Bluesky."


class UnsupportedPlatformError(UnsupportedLinkError):
    """Recognised, but not supported yet (Threads)."""

    def user_message(self) -> str:
        return f"{_platform_name(self.platform)} is not supported yet."


class BlockedHostError(UnsupportedLinkError):
    """The private-address guard refused the host (private address, not https, odd port)."""

    def user_message(self) -> str:
        host = f" ({self.host})" if self.host else ""
        return f"That server{host} cannot be reached from here: it is not a public https site."


class PostUnavailableError(UnrollError):
    """The post is not found or was deleted."""

    exit_code = 3

    def user_message(self) -> str:
        return "That post is missing or was deleted."


class PostPrivateError(PostUnavailableError):
    """The post is private or blocked, or the instance demands a login."""

    def user_message(self) -> str:
        if self.platform == "mastodon":
            host = self.host or "That instance"
            return f"{host} only shows posts to logged-in users, so this thread cannot be read."
        return "That post is private or not visible without logging in."


class SourceError(UnrollError):
    """The source failed: down, 5xx, unreadable answer."""

    exit_code = 4
    retryable = True

    def user_message(self) -> str:
        return f"{_platform_name(self.platform)} did not answer properly; please try again later."


class SourceTimeoutError(SourceError):
    """The source did not answer before the deadline."""

    def user_message(self) -> str:
        return f"{_platform_name(self.platform)} took too long to answer; please try again later."


class RateLimitedError(SourceError):
    """The source answered 429; `retry_after` is in seconds when it said so."""

    def __init__(
        self,
        detail: str = "",
        *,
        retry_after: float | None = None,
        platform: str | None = None,
        host: str | None = None,
    ):
        super().__init__(detail, platform=platform, host=host)
        self.retry_after = retry_after

    def user_message(self) -> str:
        wait = "a while"
        # Only a sane number is shown: a huge or endless Retry-After reads as "a while".
        if self.retry_after is not None and 0 <= self.retry_after <= MAX_SHOWN_WAIT_S:
            wait = f"about {max(1, round(self.retry_after))} seconds"
        name = _platform_name(self.platform)
        return f"{name} is limiting requests right now; please wait {wait} and try again."


class ResponseTooLargeError(SourceError):
    """The answer was larger than the byte cap, or one fetch needed more requests or bytes than
    its budget allows; retrying would not help."""

    retryable = False

    def user_message(self) -> str:
        return f"{_platform_name(self.platform)} sent more data than this bot reads at once."


class ReplyLoopError(SourceError):
    """The source's reply chain comes back to a post already in it: no thread is that shape,
    and the same answer would come again, so it is not retried."""

    retryable = False

    def user_message(self) -> str:
        name = _platform_name(self.platform)
        return f"{name} sent a thread whose replies go round in a circle, so it cannot be read."
