"""Pure part of the FxTwitter source: the author's chain from a `/2/thread` envelope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.errors import PostUnavailableError, SourceError
from bot.model import Platform, ThreadKey
from bot.sources.fxtwitter_posts import parse_post, parse_thread
from bot.sources.json_reader import JsonObject


def _status(post_id: str, user_id: str, handle: str, parent: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {
        "type": "status",
        "id": post_id,
        "raw_text": {"text": f"post {post_id}", "facets": []},
        "author": {"id": user_id, "screen_name": handle, "name": handle.title()},
        "created_timestamp": 1704070800,
    }
    if parent is not None:
        status["replying_to"] = {"screen_name": parent, "status": "0"}
    return status


def _tombstone(post_id: str) -> dict[str, Any]:
    return {"type": "tombstone", "reason": "deleted", "id": post_id}


KEY = ThreadKey(Platform.X, "x.com", "13")
PLATFORM = Platform.X.value


def test_parse_thread_counts_gap_when_own_root_deleted() -> None:
    """A tombstone above a self-reply is the author's own deleted post, not someone else's."""
    envelope = {
        "status": _status("13", "1", "ada", parent="ada"),
        "thread": [_status("10", "2", "bob"), _tombstone("12"), _status("13", "1", "ada", "ada")],
    }
    thread = parse_thread(KEY, JsonObject(envelope, PLATFORM))
    report = thread.report
    assert (thread.posts[0].gap_before, report.deleted, report.skipped_other_authors) == (1, 1, 1)


def test_parse_thread_ignores_tombstone_above_reply_to_someone_else() -> None:
    envelope = {
        "status": _status("13", "1", "ada", parent="bob"),
        "thread": [_tombstone("12"), _status("13", "1", "ada", parent="bob")],
    }
    thread = parse_thread(KEY, JsonObject(envelope, PLATFORM))
    assert (thread.posts[0].gap_before, thread.report.deleted) == (0, 0)


@pytest.mark.parametrize(
    "envelope",
    [
        pytest.param({"status": None, "thread": None}, id="no-status"),
        pytest.param({"status": _tombstone("13"), "thread": None}, id="tombstone-status"),
        pytest.param(
            {"status": _status("13", "1", "ada"), "thread": [_status("9", "2", "bob")]},
            id="no-own-post-in-thread",
        ),
    ],
)
def test_parse_thread_unavailable_when_no_post_to_show(envelope: dict[str, Any]) -> None:
    with pytest.raises(PostUnavailableError):
        parse_thread(KEY, JsonObject(envelope, PLATFORM))


def test_parse_thread_source_error_when_shape_is_wrong() -> None:
    with pytest.raises(SourceError):
        parse_thread(
            KEY,
            JsonObject({"status": _status("13", "1", "ada"), "thread": 7}, PLATFORM),
        )


@pytest.mark.parametrize("timestamp", [-1e15, 2**53])
def test_post_with_impossible_timestamp_is_source_error(timestamp: float) -> None:
    """No `datetime` can hold these; the answer is broken, not our program."""
    status = _status("13", "1", "ada") | {"created_timestamp": timestamp}
    with pytest.raises(SourceError, match="timestamp"):
        parse_post(JsonObject(status, PLATFORM))


@pytest.mark.parametrize("timestamp", [1e20, 10**30])
def test_post_with_a_timestamp_past_exact_numbers_falls_back_to_its_date_text(
    timestamp: float,
) -> None:
    """A number no JSON reader keeps exact is unknown; `created_at` still dates the post."""
    written = "Tue Mar 18 18:07:30 +0000 2025"
    status = _status("13", "1", "ada") | {"created_timestamp": timestamp, "created_at": written}
    moment = parse_post(JsonObject(status, PLATFORM)).created_at
    assert moment == datetime.strptime(written, "%a %b %d %H:%M:%S %z %Y")
