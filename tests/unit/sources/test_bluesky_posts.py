"""Bluesky facets: UTF-8 byte offsets cut into segments. Pure."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sources import bluesky_posts
from bot.sources.json_reader import JsonObject


def _facet(start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    return {"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}


TAG = {"$type": "app.bsky.richtext.facet#tag", "tag": "tag"}
LINK = {"$type": "app.bsky.richtext.facet#link", "uri": "https://a.example/full"}


@pytest.mark.parametrize(
    ("text", "facets", "expected"),
    [
        ("no facets here", [], [("no facets here", None)]),
        (
            "é🙂 #tag",
            [_facet(7, 11, TAG)],
            [("é🙂 ", None), ("#tag", "https://bsky.app/hashtag/tag")],
        ),
        (
            "🙂 cut",
            [_facet(1, 5, LINK)],
            [("🙂 cut", None)],
        ),
        (
            "past the end",
            [_facet(5, 99, LINK)],
            [("past the end", None)],
        ),
    ],
)
def test_segments_follow_byte_offsets(
    text: str, facets: list[dict[str, Any]], expected: list[tuple[str, str | None]]
) -> None:
    read = [JsonObject(facet, bluesky_posts.PLATFORM) for facet in facets]
    assert [(s.text, s.url) for s in bluesky_posts.segments(text, read)] == expected
