"""Tracking: tracking parameters go, the rest of the URL stays byte for byte."""

from __future__ import annotations

import pytest

from bot.cleaning.tracking import strip_tracking, strip_tracking_links
from bot.model import Quote
from tests.samples import link, post, text, thread


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "https://a.example/p?utm_source=x&utm_medium=y", "https://a.example/p", id="utm-only"
        ),
        pytest.param(
            "https://a.example/p?id=3&utm_source=x&b=4",
            "https://a.example/p?id=3&b=4",
            id="order-kept",
        ),
        pytest.param(
            "https://a.example/p?utm_campaign=x#part",
            "https://a.example/p#part",
            id="fragment-kept",
        ),
        pytest.param(
            "https://a.example/p?q=a%20b&fbclid=Z",
            "https://a.example/p?q=a%20b",
            id="encoding-kept",
        ),
        pytest.param(
            "https://a.example/p?UTM_Source=x&k=1",
            "https://a.example/p?k=1",
            id="case-insensitive",
        ),
        pytest.param(
            "https://a.example/?gclid=1&yclid=2&msclkid=3", "https://a.example/", id="ad-click-ids"
        ),
        pytest.param(
            "https://www.instagram.com/p/X/?igshid=abc",
            "https://www.instagram.com/p/X/",
            id="igshid",
        ),
        pytest.param(
            "https://youtu.be/abc?si=xyz&t=42", "https://youtu.be/abc?t=42", id="si-and-not-t"
        ),
        pytest.param(
            "https://open.spotify.com/track/1?si=abc",
            "https://open.spotify.com/track/1",
            id="spotify-si",
        ),
        pytest.param(
            "https://x.com/ada/status/1?s=20&t=abc", "https://x.com/ada/status/1", id="x-s-and-t"
        ),
        pytest.param(
            "https://twitter.com/ada/status/1?ref_src=twsrc",
            "https://twitter.com/ada/status/1",
            id="ref-src",
        ),
        pytest.param(
            "https://news.example/a?s=20", "https://news.example/a?s=20", id="s-kept-off-x"
        ),
        pytest.param(
            "https://a.example/n?mc_cid=1&mc_eid=2", "https://a.example/n", id="mailchimp"
        ),
        pytest.param(
            "https://a.example/n?_hsenc=1&_hsmi=2&x=1", "https://a.example/n?x=1", id="hubspot"
        ),
        pytest.param("https://a.example/n?mkt_tok=abc", "https://a.example/n", id="marketo"),
        pytest.param("https://a.example/p?id=3", "https://a.example/p?id=3", id="untouched"),
        pytest.param("https://a.example/p?", "https://a.example/p?", id="empty-query"),
        pytest.param(
            "https://a.example/p#utm_source=x",
            "https://a.example/p#utm_source=x",
            id="fragment-not-query",
        ),
        pytest.param(
            "https://a.example/p?ref=main", "https://a.example/p?ref=main", id="ref-kept"
        ),
        pytest.param("https://[bad/p?utm_source=x", "https://[bad/p", id="malformed-host"),
    ],
)
def test_strip_tracking(url: str, expected: str) -> None:
    assert strip_tracking(url) == expected


def test_tracking_updates_visible_text_when_it_shows_the_url() -> None:
    url = "https://a.example/p?utm_source=x"
    cleaned = strip_tracking_links(thread(post(0, text("See "), link(url, url))))
    assert cleaned.posts[0].text[1] == link("https://a.example/p", "https://a.example/p")


def test_tracking_updates_visible_text_when_it_shows_the_url_without_scheme() -> None:
    cleaned = strip_tracking_links(
        thread(post(0, link("a.example/p?fbclid=1", "https://a.example/p?fbclid=1")))
    )
    assert cleaned.posts[0].text[0] == link("a.example/p", "https://a.example/p")


def test_tracking_rebuilds_shortened_visible_text_from_clean_url() -> None:
    cleaned = strip_tracking_links(
        thread(post(0, link("a.example/long…", "https://a.example/long?utm_source=x")))
    )
    assert cleaned.posts[0].text[0] == link("a.example/long", "https://a.example/long")


@pytest.mark.parametrize(
    ("visible", "url", "expected"),
    [
        pytest.param(
            "www.example.com/a/very/long/pa…",
            "https://www.example.com/a/very/long/path/to/a/page?utm_source=x&utm_medium=y",
            "example.com/a/very/long/path/t…",
            id="long-path-cut-with-ellipsis",
        ),
        pytest.param(
            "example.com/?utm_source=x",
            "https://www.example.com/?utm_source=x",
            "example.com",
            id="root-without-slash",
        ),
        pytest.param(
            "read this utm_source=news",
            "https://example.com/a?utm_source=news",
            "example.com/a",
            id="text-showing-a-removed-parameter",
        ),
        pytest.param(
            "youtube.com/watch?v=abc&s…",
            "https://youtube.com/watch?v=abc&si=XYZ",
            "youtube.com/watch?v=abc",
            id="kept-query-stays-visible",
        ),
        pytest.param("my essay", "https://a.example/p?utm_source=x", "my essay", id="label"),
    ],
)
def test_tracking_rebuilds_visible_text_only_when_it_shows_the_url(
    visible: str, url: str, expected: str
) -> None:
    cleaned = strip_tracking_links(thread(post(0, link(visible, url))))
    assert cleaned.posts[0].text[0].text == expected


def test_tracking_leaves_quotes_untouched() -> None:
    quote = Quote(
        url="https://x.com/b/status/1?s=20", text=(link("u", "https://a.example/?utm_source=x"),)
    )
    original = thread(post(0, text("Quoting"), quote=quote))
    assert strip_tracking_links(original) == original
