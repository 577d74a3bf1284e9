"""Link finding and canonical keys: every form people paste, and what is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.errors import UnsupportedLinkError, UnsupportedPlatformError
from bot.links import canonicalise, find_key, find_link, post_url
from bot.model import Platform, ThreadKey


def x(status_id: str) -> ThreadKey:
    return ThreadKey(Platform.X, "x.com", status_id)


def mastodon(host: str, status_id: str) -> ThreadKey:
    return ThreadKey(Platform.MASTODON, host, status_id)


def bluesky(authority: str, rkey: str) -> ThreadKey:
    return ThreadKey(Platform.BLUESKY, "bsky.app", f"{authority}/{rkey}")


DID = "did:plc:uy7ehrx332p6dow5sk32hxzq"

SUPPORTED = [
    # X and Twitter, every host and path shape
    ("https://x.com/jack/status/20", x("20")),
    ("https://twitter.com/jack/status/20", x("20")),
    ("https://www.twitter.com/jack/status/20", x("20")),
    ("https://mobile.twitter.com/jack/status/20", x("20")),
    ("https://mobile.x.com/jack/status/20", x("20")),
    ("https://m.twitter.com/jack/statuses/20", x("20")),
    ("https://X.COM/Jack/Status/20", x("20")),
    ("https://x.com/i/status/1841206275088290279", x("1841206275088290279")),
    ("https://x.com/i/web/status/1841206275088290279", x("1841206275088290279")),
    ("https://x.com/jack/status/20/photo/1", x("20")),
    ("https://x.com/jack/status/20/video/1", x("20")),
    ("https://x.com/jack/status/20/analytics", x("20")),
    ("https://x.com/jack/status/20?s=20&t=abcDEF", x("20")),
    ("https://x.com/jack/status/20#fragment", x("20")),
    ("https://x.com/jack/status/20/", x("20")),
    ("http://x.com/jack/status/20", x("20")),
    ("x.com/jack/status/20", x("20")),
    ("www.x.com/jack/status/20", x("20")),
    # FxTwitter family, subdomains, translate suffix and prefixes
    ("https://fxtwitter.com/jack/status/20", x("20")),
    ("https://fixupx.com/jack/status/20", x("20")),
    ("https://twittpr.com/jack/status/20", x("20")),
    ("https://d.fxtwitter.com/jack/status/20", x("20")),
    ("https://dl.fxtwitter.com/jack/status/20", x("20")),
    ("https://t.fxtwitter.com/jack/status/20", x("20")),
    ("https://i.fixupx.com/jack/status/20", x("20")),
    ("https://g.fxtwitter.com/jack/status/20", x("20")),
    ("https://m.fxtwitter.com/jack/status/20", x("20")),
    ("https://o.fxtwitter.com/jack/status/20", x("20")),
    ("https://api.fxtwitter.com/jack/status/20", x("20")),
    ("https://fxtwitter.com/jack/status/20/ja", x("20")),
    ("https://fxtwitter.com/dl/jack/status/20", x("20")),
    ("https://fxtwitter.com/dir/jack/status/20", x("20")),
    # vxTwitter family
    ("https://vxtwitter.com/jack/status/20", x("20")),
    ("https://fixvx.com/jack/status/20", x("20")),
    ("https://c.vxtwitter.com/jack/status/20/2", x("20")),
    ("https://api.vxtwitter.com/jack/status/20", x("20")),
    ("https://vxtwitter.com/status/20", x("20")),
    # Nitter-style mirrors: the generic rule
    ("https://nitter.net/jack/status/20#m", x("20")),
    ("https://xcancel.com/jack/status/20", x("20")),
    ("https://nitter.poast.org/jack/status/20", x("20")),
    ("https://nitter.example/i/web/status/20", x("20")),
    # Mastodon
    (
        "https://mastodon.social/@alice/109372845123456789",
        mastodon("mastodon.social", "109372845123456789"),
    ),
    ("https://Mastodon.Social/@alice/1093/", mastodon("mastodon.social", "1093")),
    ("https://mastodon.social/@alice@hachyderm.io/1093", mastodon("mastodon.social", "1093")),
    ("https://mastodon.social/users/alice/statuses/1093", mastodon("mastodon.social", "1093")),
    ("https://mastodon.social/ap/users/1122/statuses/1093", mastodon("mastodon.social", "1093")),
    ("https://mastodon.social/@alice/1093/embed", mastodon("mastodon.social", "1093")),
    ("https://mastodon.social/web/statuses/1093", mastodon("mastodon.social", "1093")),
    ("https://mastodon.social/web/@alice/1093", mastodon("mastodon.social", "1093")),
    (
        "https://gts.example/@alice/statuses/01HQ8Z4XYJ0N4G4K",
        mastodon("gts.example", "01HQ8Z4XYJ0N4G4K"),
    ),
    ("https://mastodon.social/@alice/1093?utm_source=x#top", mastodon("mastodon.social", "1093")),
    ("mastodon.social/@alice/1093", mastodon("mastodon.social", "1093")),
    ("https://mastodon.social:443/@alice/1093", mastodon("mastodon.social", "1093")),
    ("http://127.0.0.1:8080/@alice/123", mastodon("127.0.0.1:8080", "123")),
    ("https://[::1]:8443/@alice/123", mastodon("[::1]:8443", "123")),
    ("https://bücher.example/@alice/123", mastodon("xn--bcher-kva.example", "123")),
    # Bluesky
    (f"https://bsky.app/profile/{DID}/post/3k7rmyigapw2y", bluesky(DID, "3k7rmyigapw2y")),
    (
        "https://bsky.app/profile/Alice.bsky.social/post/3k7rm",
        bluesky("alice.bsky.social", "3k7rm"),
    ),
    (
        "https://www.bsky.app/profile/alice.bsky.social/post/3k7rm",
        bluesky("alice.bsky.social", "3k7rm"),
    ),
    ("bsky.app/profile/example.com/post/3k7rm", bluesky("example.com", "3k7rm")),
    (
        "https://staging.bsky.app/profile/alice.bsky.social/post/3k7rm",
        bluesky("alice.bsky.social", "3k7rm"),
    ),
    (
        "https://fxbsky.app/profile/alice.bsky.social/post/3k7rm",
        bluesky("alice.bsky.social", "3k7rm"),
    ),
    (
        "https://canary.fxbsky.app/profile/alice.bsky.social/post/3k7rm",
        bluesky("alice.bsky.social", "3k7rm"),
    ),
    (
        "https://api.fxbsky.app/profile/alice.bsky.social/post/3k7rm",
        bluesky("alice.bsky.social", "3k7rm"),
    ),
    (
        "https://bsky.app/profile/alice.bsky.social/post/3k7rm/quotes",
        bluesky("alice.bsky.social", "3k7rm"),
    ),
    (
        "https://bsky.app/profile/did%3Aweb%3Aexample.com/post/3k7rm",
        bluesky("did:web:example.com", "3k7rm"),
    ),
    (f"at://{DID}/app.bsky.feed.post/3k7rmyigapw2y", bluesky(DID, "3k7rmyigapw2y")),
    ("at://Alice.bsky.social/app.bsky.feed.post/3k7rm", bluesky("alice.bsky.social", "3k7rm")),
    # Punctuation typed around a link
    ("(https://x.com/jack/status/20)", x("20")),
    ("<https://x.com/jack/status/20>", x("20")),
    ("«https://x.com/jack/status/20»", x("20")),
    ("https://x.com/jack/status/20.", x("20")),
    ("https://x.com/jack/status/20,", x("20")),
    ("https://x.com/jack/status/20!?", x("20")),
    ("https://mastodon.social/@alice/1093).", mastodon("mastodon.social", "1093")),
]

KEYS = sorted({key for _url, key in SUPPORTED}, key=str)

UNSUPPORTED = [
    "x.com/jack",
    "https://x.com/jack/status/abc",
    "https://x.com/jack/likes",
    "https://x.com/i/status/",
    "https://bsky.app/profile/x",
    "https://bsky.app/profile/alice.bsky.social",
    "https://bsky.app/profile/not_a_handle/post/3k7rm",
    "https://go.bsky.app/AbCdE",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://example.com/some/article",
    "https://mastodon.social/@alice",
    "https://mastodon.social/@alice/media",
    "https://t.co/AbCdEf",
    "mailto:alice@example.com",
    "ftp://x.com/jack/status/20",
    "https://x.com:notaport/jack/status/20",
    "https://x.com/jack/status/\u0661\u0662\u0663\u0664",  # Arabic-Indic digits: no post id
    "https://nitter.net/jack/status/\u0661\u0662\u0663",
    "at://alice.bsky.social/app.bsky.feed.like/3k7rm",
    "plain words",
]

THREADS = [
    "https://www.threads.net/@zuck/post/C1a2b3c4d5e",
    "https://www.threads.com/@zuck/post/C1a2b3c4d5e?xmt=abc",
    "https://threads.com/t/C1a2b3c4d5e",
    "threads.net/@zuck/post/C1a2b3c4d5e/media",
]


@pytest.mark.parametrize(("url", "key"), SUPPORTED)
def test_canonicalise_names_post_when_form_supported(url: str, key: ThreadKey) -> None:
    assert canonicalise(url) == key


@pytest.mark.parametrize("url", UNSUPPORTED)
def test_canonicalise_refuses_when_not_a_supported_post(url: str) -> None:
    with pytest.raises(UnsupportedLinkError) as caught:
        canonicalise(url)
    assert type(caught.value) is UnsupportedLinkError


@pytest.mark.parametrize("url", THREADS)
def test_canonicalise_names_threads_when_threads_link(url: str) -> None:
    with pytest.raises(UnsupportedPlatformError) as caught:
        canonicalise(url)
    assert caught.value.platform == "threads"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("look at this 🧵 https://x.com/jack/status/20 so good", x("20")),
        (
            "Смотри тред: bsky.app/profile/alice.bsky.social/post/3k7rm — классно",
            bluesky("alice.bsky.social", "3k7rm"),
        ),
        (
            "这个帖子（https://mastodon.social/@alice/1093）很好",
            mastodon("mastodon.social", "1093"),
        ),
        ("見て「x.com/jack/status/20」。", x("20")),
        ("two links x.com/a/status/11 and x.com/b/status/22", x("11")),
        ("line one\nhttps://fxtwitter.com/jack/status/20\nline three", x("20")),
    ],
)
def test_find_link_finds_post_when_inside_chatty_text(text: str, key: ThreadKey) -> None:
    assert find_link(text) == key


def test_find_link_uses_entity_target_when_visible_text_differs() -> None:
    text = "read this thread please"
    assert find_link(text, ["https://x.com/jack/status/20"]) == x("20")


def test_find_link_prefers_entity_target_over_text_link() -> None:
    text = "the first thread x.com/a/status/11"
    assert find_link(text, ["https://mastodon.social/@alice/1093"]) == mastodon(
        "mastodon.social", "1093"
    )


@pytest.mark.parametrize(
    "text",
    [
        "https://youtube.com/watch?v=1 then https://x.com/jack/status/20",
        "https://www.threads.net/@zuck/post/C1a2 and x.com/jack/status/20",
        "x.com/jack first, then x.com/jack/status/20",
    ],
)
def test_find_link_takes_supported_when_unsupported_comes_first(text: str) -> None:
    assert find_link(text) == x("20")


def test_find_link_takes_text_link_when_entity_target_unsupported() -> None:
    assert find_link("x.com/jack/status/20", ["https://youtube.com/watch?v=1"]) == x("20")


@pytest.mark.parametrize("text", ["", "no links here at all", "write to mailto:a@b.c", "x.com"])
def test_find_key_returns_none_when_nothing_url_like(text: str) -> None:
    assert find_key(text) is None


@pytest.mark.parametrize("text", ["", "no links here", "mailto:a@b.c"])
def test_find_link_raises_when_no_link(text: str) -> None:
    with pytest.raises(UnsupportedLinkError):
        find_link(text)


@pytest.mark.parametrize("find", [find_key, find_link])
def test_find_raises_unsupported_link_when_only_unsupported_links(
    find: Callable[[str], ThreadKey | None],
) -> None:
    with pytest.raises(UnsupportedLinkError) as caught:
        find("watch https://youtube.com/watch?v=1 now")
    assert type(caught.value) is UnsupportedLinkError


@pytest.mark.parametrize("find", [find_key, find_link])
def test_find_raises_platform_error_when_threads_among_unsupported(
    find: Callable[[str], ThreadKey | None],
) -> None:
    text = "https://youtube.com/watch?v=1 and https://www.threads.com/t/C1a2b3"
    with pytest.raises(UnsupportedPlatformError) as caught:
        find(text)
    assert caught.value.platform == "threads"


@pytest.mark.parametrize("key", KEYS)
def test_key_round_trips_through_its_string(key: ThreadKey) -> None:
    assert ThreadKey.parse(str(key)) == key


@pytest.mark.parametrize(
    ("key", "url"),
    [
        (x("20"), "https://x.com/i/status/20"),
        (bluesky(DID, "3k7rm"), f"https://bsky.app/profile/{DID}/post/3k7rm"),
        (mastodon("mastodon.social", "1093"), "https://mastodon.social/web/statuses/1093"),
    ],
)
def test_post_url_gives_canonical_url(key: ThreadKey, url: str) -> None:
    assert post_url(key) == url


@pytest.mark.parametrize("key", KEYS)
def test_post_url_canonicalises_back_to_its_key(key: ThreadKey) -> None:
    assert canonicalise(post_url(key)) == key


def test_post_url_refuses_threads_key() -> None:
    with pytest.raises(UnsupportedPlatformError):
        post_url(ThreadKey(Platform.THREADS, "threads.com", "C1a2"))
