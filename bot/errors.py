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
user (`user_message(words)`), said in the language of the `Words` it is handed: the CLI's
English, or the requester's in the bot.
"""

from __future__ import annotations

from typing import ClassVar

from bot.i18n import ENGLISH, Words
from bot.model import Platform

OTHER_SERVICE_NAMES = {"telegraph": "Telegraph"}
"""Services the bot calls that are not thread platforms (`model.Platform` names those)."""

MAX_SHOWN_WAIT_S = 86_400.0
"""A wait longer than a day is not worth a number in a sentence."""


def _platform_name(platform: str | None, words: Words) -> str:
    if platform in set(Platform):
        return Platform(platform).display_name
    # Translators: stands for a service's name when it is not known, "the source did not…".
    return OTHER_SERVICE_NAMES.get(platform or "", platform or words.gettext("the source"))


class UnrollError(Exception):
    """Base of every error the product turns into a sentence."""

    exit_code: ClassVar[int] = 1
    retryable: ClassVar[bool] = False

    def __init__(self, detail: str = "", *, platform: str | None = None, host: str | None = None):
        super().__init__(detail or type(self).__name__)
        self.detail = detail
        self.platform = platform
        self.host = host

    def user_message(self, words: Words = ENGLISH) -> str:
        """Return one plain sentence saying what went wrong, in the language of `words`."""
        raise NotImplementedError


class UnsupportedLinkError(UnrollError):
    """Not a link to a post of a platform we know, or malformed."""

    exit_code = 2

    def user_message(self, words: Words = ENGLISH) -> str:
        return words.gettext("That is not a link to a post on X, Mastodon or Bluesky.")


class UnsupportedPlatformError(UnsupportedLinkError):
    """Recognised, but not supported yet (Threads)."""

    def user_message(self, words: Words = ENGLISH) -> str:
        name = _platform_name(self.platform, words)
        return words.gettext("{platform} is not supported yet.", platform=name)


class BlockedHostError(UnsupportedLinkError):
    """The private-address guard refused the host (private address, not https, odd port)."""

    def user_message(self, words: Words = ENGLISH) -> str:
        if self.host:
            return words.gettext(
                "That server ({host}) cannot be reached from here: it is not a public https site.",
                host=self.host,
            )
        return words.gettext(
            "That server cannot be reached from here: it is not a public https site."
        )


class PostUnavailableError(UnrollError):
    """The post is not found or was deleted."""

    exit_code = 3

    def user_message(self, words: Words = ENGLISH) -> str:
        return words.gettext("That post is missing or was deleted.")


class PostPrivateError(PostUnavailableError):
    """The post is private or blocked, or the instance demands a login."""

    def user_message(self, words: Words = ENGLISH) -> str:
        if self.platform == "mastodon" and self.host:
            return words.gettext(
                "{host} only shows posts to logged-in users, so this thread cannot be read.",
                host=self.host,
            )
        if self.platform == "mastodon":
            return words.gettext(
                "That instance only shows posts to logged-in users, so this thread cannot be read."
            )
        return words.gettext("That post is private or not visible without logging in.")


class SourceError(UnrollError):
    """The source failed: down, 5xx, unreadable answer."""

    exit_code = 4
    retryable = True

    def user_message(self, words: Words = ENGLISH) -> str:
        name = _platform_name(self.platform, words)
        return _capitalised(
            words.gettext(
                "{platform} did not answer properly; please try again later.", platform=name
            )
        )


class SourceTimeoutError(SourceError):
    """The source did not answer before the deadline."""

    def user_message(self, words: Words = ENGLISH) -> str:
        name = _platform_name(self.platform, words)
        return _capitalised(
            words.gettext(
                "{platform} took too long to answer; please try again later.", platform=name
            )
        )


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

    def user_message(self, words: Words = ENGLISH) -> str:
        name = _platform_name(self.platform, words)
        # Only a sane number is shown: a huge or endless Retry-After reads as "a while".
        if self.retry_after is not None and 0 <= self.retry_after <= MAX_SHOWN_WAIT_S:
            seconds = max(1, round(self.retry_after))
            sentence = words.ngettext(
                "{platform} is limiting requests right now; please wait about {count} second "
                "and try again.",
                "{platform} is limiting requests right now; please wait about {count} seconds "
                "and try again.",
                seconds,
                platform=name,
            )
        else:
            sentence = words.gettext(
                "{platform} is limiting requests right now; please wait a while and try again.",
                platform=name,
            )
        return _capitalised(sentence)


class ResponseTooLargeError(SourceError):
    """The answer was larger than the byte cap, or one fetch needed more requests or bytes than
    its budget allows; retrying would not help."""

    retryable = False

    def user_message(self, words: Words = ENGLISH) -> str:
        name = _platform_name(self.platform, words)
        return _capitalised(
            words.gettext("{platform} sent more data than this bot reads at once.", platform=name)
        )


class ReplyLoopError(SourceError):
    """The source's reply chain comes back to a post already in it: no thread is that shape,
    and the same answer would come again, so it is not retried."""

    retryable = False

    def user_message(self, words: Words = ENGLISH) -> str:
        name = _platform_name(self.platform, words)
        return _capitalised(
            words.gettext(
                "{platform} sent a thread whose replies go round in a circle, so it cannot be "
                "read.",
                platform=name,
            )
        )


def _capitalised(sentence: str) -> str:
    """Start a sentence with a capital, as when "the source" opens it."""
    return sentence[:1].upper() + sentence[1:]
