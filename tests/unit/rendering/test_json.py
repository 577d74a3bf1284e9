"""The CONTRACT's JSON: its keys first and in order, ISO dates, quotes, and only extras after."""

from __future__ import annotations

import json as stdlib_json
from datetime import datetime
from typing import Any

import pytest

from bot.model import Report
from bot.rendering import json
from tests.samples import hostile_thread, link, post, rich_thread, text, thread

CONTRACT_TOP = ["source", "url", "author", "posts", "report"]
CONTRACT_POST = ["id", "url", "created_at", "text", "media", "quote"]
CONTRACT_REPORT = ["posts", "deleted", "skipped_other_authors", "complete"]


@pytest.fixture
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = stdlib_json.loads(json.render(rich_thread()))
    return loaded


def test_top_level_keys_are_the_contract_ones_then_extras(document: dict[str, Any]) -> None:
    assert list(document) == [*CONTRACT_TOP, "lang"]


def test_author_has_handle_name_and_url(document: dict[str, Any]) -> None:
    assert document["author"] == {
        "handle": "ada",
        "name": "Ada <Lovelace> & Co",
        "url": "https://x.com/ada",
    }


def test_post_keys_start_with_the_contract_ones(document: dict[str, Any]) -> None:
    assert list(document["posts"][0])[: len(CONTRACT_POST)] == CONTRACT_POST


def test_report_keys_start_with_the_contract_ones(document: dict[str, Any]) -> None:
    assert list(document["report"])[: len(CONTRACT_REPORT)] == CONTRACT_REPORT


def test_created_at_is_iso_8601(document: dict[str, Any]) -> None:
    moment = datetime.fromisoformat(document["posts"][0]["created_at"])
    assert moment == rich_thread().posts[0].created_at


def test_text_writes_each_link_as_its_full_url(document: dict[str, Any]) -> None:
    assert document["posts"][0]["text"] == (
        "Why <b>tags</b> & entities matter 🧵 — see https://example.com/a?x=1&y=2 and @bob #python"
    )


def test_segments_keep_the_link_text_the_post_showed(document: dict[str, Any]) -> None:
    shown = "".join(segment["text"] for segment in document["posts"][0]["segments"])
    assert shown == rich_thread().posts[0].plain_text


@pytest.mark.parametrize(
    ("visible", "expected"),
    [
        pytest.param("my essay", "Read my essay (https://a.example/p)", id="label-then-url"),
        pytest.param("a.example/p", "Read https://a.example/p", id="shown-url-becomes-full"),
    ],
)
def test_text_of_a_link(visible: str, expected: str) -> None:
    one = thread(post(0, text("Read "), link(visible, "https://a.example/p")))
    assert stdlib_json.loads(json.render(one))["posts"][0]["text"] == expected


def test_media_carry_type_url_and_alt(document: dict[str, Any]) -> None:
    media = document["posts"][0]["media"][0]
    assert (media["type"], media["url"], media["alt"]) == (
        "photo",
        "https://img.example/1.jpg",
        "A chart",
    )


def test_quote_is_null_without_one(document: dict[str, Any]) -> None:
    assert document["posts"][0]["quote"] is None


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (
            3,
            {
                "url": "https://x.com/bob/status/1",
                "author": {"handle": "bob", "name": "Bob", "url": "https://x.com/bob"},
                "text": "Quoted words.",
                "unavailable": False,
            },
        ),
        (4, {"url": None, "author": None, "text": "", "unavailable": True}),
    ],
    ids=["quote", "unavailable"],
)
def test_quote_has_the_contract_fields(
    document: dict[str, Any], index: int, expected: dict[str, Any]
) -> None:
    quote = document["posts"][index]["quote"]
    assert {key: quote[key] for key in expected} == expected


def test_output_is_indented_by_two_spaces() -> None:
    assert json.render(rich_thread()).startswith('{\n  "source": "x",\n')


def test_lone_surrogate_and_controls_left_out_of_strings() -> None:
    """orjson refused a lone surrogate, so `unroll --format json` crashed on such a post."""
    hostile = hostile_thread("https://ok.example/", words="a\ud800b\x00c")
    document = stdlib_json.loads(json.render(hostile))
    assert (document["posts"][0]["text"], document["author"]["name"]) == (
        "abc link abc (https://ok.example/)@mabc#tabc",
        "nabc",
    )


def test_report_tells_of_the_authors_other_branches() -> None:
    forked = Report(
        posts=1,
        complete=False,
        other_branch_posts=3,
        other_branch_url="https://x.com/ada/status/2000",
        other_branch_more=True,
    )
    report = stdlib_json.loads(json.render(thread(post(0, text("One")), report=forked)))["report"]
    assert {key: report[key] for key in list(report)[5:]} == {
        "other_branch_posts": 3,
        "other_branch_url": "https://x.com/ada/status/2000",
        "other_branch_more": True,
    }
