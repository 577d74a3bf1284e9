"""What one fetch of a thread may spend: requests, bytes read and wall-clock time. Adapter.

Whoever sends a link chooses the server (a Mastodon instance), so every answer may be hostile:
an endless chain of ancestors, a reply loop, answers at the byte cap over and over. One
`FetchBudget` is created per thread fetch by `sources.fetch_thread` and spent by the HTTP
client (`HttpClient.for_fetch`); running out ends the fetch with a sentence, never a hang.
Running out of requests or bytes is `ResponseTooLargeError` (retrying would hit the same
wall); passing the deadline is `SourceTimeoutError`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bot.errors import ResponseTooLargeError, SourceTimeoutError


@dataclass(slots=True)
class FetchBudget:
    """Requests, decoded bytes and seconds left for one fetch; spent as the fetch goes."""

    max_requests: int
    max_bytes: int
    deadline_s: float
    requests: int = 0
    bytes_read: int = 0
    started: float = field(default_factory=time.monotonic)

    def remaining_s(self) -> float:
        """Return the seconds left before the deadline (zero or less once it has passed)."""
        return self.deadline_s - (time.monotonic() - self.started)

    def remaining_bytes(self) -> int:
        """Return how many more decoded bytes this fetch may read."""
        return max(0, self.max_bytes - self.bytes_read)

    def spend_request(self, *, platform: str | None = None, host: str | None = None) -> float:
        """Count one more request; return the seconds it may take.

        Raises:
            ResponseTooLargeError: the fetch has made all the requests it may.
            SourceTimeoutError: the deadline has passed.
        """
        if self.requests >= self.max_requests:
            raise ResponseTooLargeError(
                f"more than {self.max_requests} requests for one thread",
                platform=platform,
                host=host,
            )
        remaining = self.remaining_s()
        if remaining <= 0:
            raise SourceTimeoutError(
                f"fetch deadline of {self.deadline_s} s passed", platform=platform, host=host
            )
        self.requests += 1
        return remaining

    def spend_bytes(self, count: int) -> None:
        """Count `count` decoded bytes read.

        Raises:
            ResponseTooLargeError: the fetch has read more than it may.
        """
        self.bytes_read += count
        if self.bytes_read > self.max_bytes:
            raise ResponseTooLargeError(f"more than {self.max_bytes} bytes for one thread")
