"""Each platform's language field read into `Post.language`: tags kept, anything else None."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.model import Post
from bot.sources import bluesky_posts, mastodon_posts
from bot.sources.fxtwitter_posts import parse_post
from bot.sources.json_reader import JsonObject
from bot.sources.x_api_posts import Includes
from bot.sources.x_api_posts import read_post as read_x_api_post


def _fxtwitter(lang: object) -> Post:
    status = {
        "type": "status",
        "id": "1",
        "raw_text": {"text": "post", "facets": []},
        "author": {"id": "9", "screen_name": "ada", "name": "Ada"},
        "created_timestamp": 1704070800,
        "lang": lang,
    }
    return parse_post(JsonObject.of(status, "x"))


def _x_api(lang: object) -> Post:
    includes = Includes()
    users = {"includes": {"users": [{"id": "9", "username": "ada", "name": "Ada"}]}}
    includes.merge(JsonObject.of(users, "x"))
    data = {
        "id": "1",
        "text": "post",
        "author_id": "9",
        "created_at": "2025-03-03T09:30:00.000Z",
        "lang": lang,
    }
    return read_x_api_post(JsonObject.of(data, "x"), includes, gap_before=0)


def _mastodon(lang: object) -> Post:
    status = {
        "id": "1",
        "url": "https://m.example/@ada/1",
        "created_at": "2025-03-03T09:30:00.000Z",
        "content": "<p>post</p>",
        "language": lang,
    }
    return mastodon_posts.read_post(JsonObject.of(status, "mastodon"), "m.example")


def _bluesky(langs: object) -> Post:
    view = {
        "uri": "at://did:plc:ada/app.bsky.feed.post/3k",
        "author": {"did": "did:plc:ada", "handle": "ada.example"},
        "record": {"text": "post", "createdAt": "2025-03-03T09:30:00.000Z", "langs": langs},
        "indexedAt": "2025-03-03T09:30:00.000Z",
    }
    return bluesky_posts.read_post(JsonObject.of(view, "bluesky"), gap_before=0)


READERS: dict[str, Callable[[object], Post]] = {
    "fxtwitter": _fxtwitter,
    "x_api": _x_api,
    "mastodon": _mastodon,
}

HOSTILE = ["x" * 1000, "<script>", "en\n", " en", "", 42, 4.5, True, {"en": 1}, None]


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize(
    ("value", "expected"), [("en", "en"), ("ar", "ar"), ("pt-br", "pt-BR"), ("iw", "he")]
)
def test_language_read_from_each_platform(
    reader: Callable[[object], Post], value: str, expected: str
) -> None:
    assert reader(value).language == expected


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("value", ["und", "zxx", "qst", "qam", "qme"])
def test_language_none_when_platform_says_no_language(
    reader: Callable[[object], Post], value: str
) -> None:
    assert reader(value).language is None


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_hostile_language_reads_as_none_without_failing_the_post(
    reader: Callable[[object], Post], value: object
) -> None:
    assert reader(value).language is None


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_language_as_a_list_reads_as_none_outside_bluesky(
    reader: Callable[[object], Post],
) -> None:
    assert reader(["en"]).language is None


@pytest.mark.parametrize(
    ("langs", "expected"),
    [(["fa", "en"], "fa"), (["EN-gb"], "en-GB"), (["und", "ar"], None), ([], None)],
)
def test_bluesky_language_is_the_first_of_langs(langs: list[str], expected: str | None) -> None:
    assert _bluesky(langs).language == expected


@pytest.mark.parametrize("langs", [*HOSTILE, ["<script>"], [42], ["x" * 1000]], ids=repr)
def test_bluesky_hostile_langs_read_as_none(langs: object) -> None:
    assert _bluesky(langs).language is None
