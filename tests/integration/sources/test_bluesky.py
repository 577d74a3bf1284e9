"""The Bluesky source against the fake AppView over a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio

from bot.errors import (
    PostPrivateError,
    PostUnavailableError,
    RateLimitedError,
    SourceError,
)
from bot.links import canonicalise
from bot.model import Author, Media, MediaType, Quote, Report, Segment, SegmentKind, Thread
from bot.net.http import HttpClient
from bot.sources import CUT_SHORT_NOTE, SourceConfig, fetch_thread
from bot.sources.bluesky import BRANCH_REQUESTS
from tests.fakes.bluesky import (
    ALICE,
    BOB,
    CAROL,
    SHY,
    FakeBluesky,
    FakePost,
    build_branch,
    build_thread,
    reply,
    tid,
)


@pytest.fixture(scope="module")
def _appview() -> Iterator[FakeBluesky]:
    with FakeBluesky() as server:
        yield server


@pytest.fixture
def fake(_appview: FakeBluesky) -> FakeBluesky:
    _appview.reset()
    return _appview


# One event loop and one client for the module: building an HttpClient costs a few tenths of
# a second (TLS contexts), which would dominate these tests.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(allow_private_hosts=True)
    yield client
    await client.aclose()


async def unroll(fake: FakeBluesky, http: HttpClient, url: str, **config: Any) -> Thread:
    settings = SourceConfig(bluesky_api_url=fake.url, **config)
    return await fetch_thread(canonicalise(url), http=http, config=settings)


def urls(thread: Thread) -> list[str]:
    return [post.url for post in thread.posts]


def served(fake: FakeBluesky, n_posts: int, **options: Any) -> list[FakePost]:
    posts = build_thread(n_posts, **options)
    fake.add(*posts)
    return posts


@pytest.mark.parametrize("n_posts", [1, 25, 150])
@pytest.mark.parametrize("entry", ["first", "middle", "last"])
async def test_chain_is_whole_when_entered_anywhere(
    fake: FakeBluesky, http: HttpClient, n_posts: int, entry: str
) -> None:
    posts = served(fake, n_posts)
    start = {"first": 0, "middle": n_posts // 2, "last": n_posts - 1}[entry]
    thread = await unroll(fake, http, posts[start].url)
    assert urls(thread) == [post.url for post in posts]


async def test_report_is_complete_when_chain_whole(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 25)
    thread = await unroll(fake, http, posts[0].url)
    assert thread.report == Report(posts=25)


async def test_chain_is_whole_when_server_caps_depth(fake: FakeBluesky, http: HttpClient) -> None:
    fake.max_depth = 3
    posts = served(fake, 25)
    thread = await unroll(fake, http, posts[0].url)
    assert urls(thread) == [post.url for post in posts]


async def test_chain_is_whole_when_server_caps_parent_height(
    fake: FakeBluesky, http: HttpClient
) -> None:
    fake.max_parent_height = 4
    posts = served(fake, 25)
    thread = await unroll(fake, http, posts[-1].url)
    assert urls(thread) == [post.url for post in posts]


@pytest.mark.parametrize(
    "url",
    [
        f"https://bsky.app/profile/{ALICE.handle}/post/{tid(3)}",
        f"https://bsky.app/profile/{ALICE.did}/post/{tid(3)}",
        f"at://{ALICE.handle.upper()}/app.bsky.feed.post/{tid(3)}",
    ],
)
async def test_chain_is_same_when_authority_is_handle_or_did(
    fake: FakeBluesky, http: HttpClient, url: str
) -> None:
    posts = served(fake, 6)
    thread = await unroll(fake, http, url)
    assert urls(thread) == [post.url for post in posts]


async def test_hole_is_marked_when_post_deleted_in_middle(
    fake: FakeBluesky, http: HttpClient
) -> None:
    posts = served(fake, 10)
    posts[4].deleted = True
    thread = await unroll(fake, http, posts[-1].url)
    assert [(p.url, p.gap_before) for p in thread.posts] == [
        (post.url, 1 if post is posts[5] else 0) for post in posts if post is not posts[4]
    ]


async def test_deleted_post_is_counted_when_in_middle(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 10)
    posts[4].deleted = True
    thread = await unroll(fake, http, posts[-1].url)
    assert thread.report.deleted == 1


async def test_chain_ends_at_hole_when_entered_above_it(
    fake: FakeBluesky, http: HttpClient
) -> None:
    """The AppView does not return a deleted post's replies, so the part below is unreachable."""
    posts = served(fake, 10)
    posts[4].deleted = True
    thread = await unroll(fake, http, posts[1].url)
    assert urls(thread) == [post.url for post in posts[:4]]


async def test_first_post_has_gap_when_it_replies_to_authors_deleted_root(
    fake: FakeBluesky, http: HttpClient
) -> None:
    posts = served(fake, 5)
    posts[0].deleted = True
    thread = await unroll(fake, http, posts[3].url)
    assert (urls(thread), thread.posts[0].gap_before) == ([p.url for p in posts[1:]], 1)


def _reply_to_bob(fake: FakeBluesky) -> tuple[FakePost, list[FakePost]]:
    bob_post = FakePost(BOB, tid(5_000), "What do you all think?", build_thread(1)[0].created_at)
    fake.add(bob_post)
    return bob_post, served(fake, 8, reply_to=bob_post, first=10)


async def test_chain_starts_at_author_when_thread_replies_to_someone(
    fake: FakeBluesky, http: HttpClient
) -> None:
    _bob_post, posts = _reply_to_bob(fake)
    thread = await unroll(fake, http, posts[4].url)
    assert urls(thread) == [post.url for post in posts]


async def test_post_above_is_skipped_when_thread_replies_to_someone(
    fake: FakeBluesky, http: HttpClient
) -> None:
    _bob_post, posts = _reply_to_bob(fake)
    thread = await unroll(fake, http, posts[4].url)
    assert thread.report.skipped_other_authors == 1


async def test_replies_by_others_are_skipped_and_counted(
    fake: FakeBluesky, http: HttpClient
) -> None:
    posts = served(fake, 6)
    # Carol answers first, before Alice goes on: the chain must still follow Alice.
    fake.add(reply(posts[1], CAROL, 1), reply(posts[1], BOB, 2), reply(posts[3], CAROL, 3))
    thread = await unroll(fake, http, posts[0].url)
    assert (urls(thread), thread.report.skipped_other_authors) == (
        [post.url for post in posts],
        3,
    )


async def test_earliest_self_reply_continues_when_author_branches(
    fake: FakeBluesky, http: HttpClient
) -> None:
    posts = served(fake, 4)
    fake.add(reply(posts[1], ALICE, 600, "A later side note"))  # after posts[2], ten minutes on
    thread = await unroll(fake, http, posts[0].url)
    assert urls(thread) == [post.url for post in posts]


def forked(
    fake: FakeBluesky, *, fork_at: int = 2, branch_posts: int = 3
) -> tuple[list[FakePost], list[FakePost]]:
    """Serve a 5-post thread whose author later replied again to post `fork_at`."""
    posts = served(fake, 5)
    branch = build_branch(posts[fork_at], branch_posts)
    fake.add(*branch, reply(posts[fork_at], BOB, 5))
    return posts, branch


@pytest.mark.parametrize("entry", [0, 2, 4], ids=["first", "fork-point", "last"])
async def test_thread_is_earliest_branch_when_author_forks(
    fake: FakeBluesky, http: HttpClient, entry: int
) -> None:
    posts, _branch = forked(fake)
    thread = await unroll(fake, http, posts[entry].url)
    assert urls(thread) == [post.url for post in posts]


@pytest.mark.parametrize("entry", [0, 2, 4], ids=["first", "fork-point", "last"])
async def test_other_branch_counted_and_linked_when_author_forks(
    fake: FakeBluesky, http: HttpClient, entry: int
) -> None:
    """Entered below the fork, the walk asks the first post's replies to see the branch."""
    posts, branch = forked(fake)
    report = (await unroll(fake, http, posts[entry].url)).report
    assert (report.other_branch_posts, report.other_branch_url, report.other_branch_more) == (
        3,
        branch[0].url,
        False,
    )


async def test_report_incomplete_when_author_forks(fake: FakeBluesky, http: HttpClient) -> None:
    posts, _branch = forked(fake)
    assert (await unroll(fake, http, posts[0].url)).report.complete is False


async def test_thread_follows_linked_branch_and_counts_the_other(
    fake: FakeBluesky, http: HttpClient
) -> None:
    posts, branch = forked(fake)
    thread = await unroll(fake, http, branch[-1].url)
    assert (urls(thread), thread.report.other_branch_posts, thread.report.other_branch_url) == (
        [post.url for post in posts[:3] + branch],
        2,
        posts[3].url,
    )


async def test_report_complete_without_fork_when_entered_below_the_first_post(
    fake: FakeBluesky, http: HttpClient
) -> None:
    posts = served(fake, 5)
    report = (await unroll(fake, http, posts[4].url)).report
    assert (report.complete, report.other_branch_posts) == (True, 0)


async def test_branch_may_hold_more_when_its_replies_stay_unfetched(
    fake: FakeBluesky, http: HttpClient
) -> None:
    """A branch deeper than the extra calls reach is counted as far as seen: "at least"."""
    posts, _branch = forked(fake, fork_at=0, branch_posts=40)
    thread = await unroll(fake, http, posts[0].url)
    calls_for_chain = 1  # the 5 posts fit in one answer's `depth`
    assert (
        thread.report.other_branch_more,
        thread.report.other_branch_posts < 40,
        fake.thread_calls() - calls_for_chain,
    ) == (True, True, BRANCH_REQUESTS)


@pytest.mark.parametrize("entry", [0, 12, 24], ids=["first", "middle", "last"])
async def test_chain_is_cut_when_longer_than_cap(
    fake: FakeBluesky, http: HttpClient, entry: int
) -> None:
    """The cap keeps the thread's beginning, wherever the link points."""
    posts = served(fake, 25)
    thread = await unroll(fake, http, posts[entry].url, max_posts=10)
    assert (urls(thread), thread.report.complete, thread.report.note) == (
        [post.url for post in posts[:10]],
        False,
        "cut at 10 posts; the thread goes on",
    )


async def test_progress_reports_growth_when_chain_spans_calls(
    fake: FakeBluesky, http: HttpClient
) -> None:
    posts = served(fake, 25)
    seen: list[int] = []

    async def progress(n: int) -> None:
        seen.append(n)

    settings = SourceConfig(bluesky_api_url=fake.url)
    key = canonicalise(posts[0].url)
    await fetch_thread(key, http=http, config=settings, progress=progress)
    assert (seen == sorted(seen), seen[-1]) == (True, 25)


async def test_author_and_url_come_from_first_post(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 3)
    thread = await unroll(fake, http, posts[2].url)
    assert (thread.url, thread.author) == (
        posts[0].url,
        Author(ALICE.handle, ALICE.display_name, f"https://bsky.app/profile/{ALICE.handle}"),
    )


async def test_link_facet_gives_full_url_when_text_is_shortened(
    fake: FakeBluesky, http: HttpClient
) -> None:
    posts = served(fake, 3)
    thread = await unroll(fake, http, posts[0].url)
    assert thread.posts[0].text == (
        Segment(SegmentKind.TEXT, "🧵 1/3 Привет, мир! Read "),
        Segment(
            SegmentKind.LINK,
            "example.com/artic...",
            "https://example.com/article/0?utm_source=bsky",
        ),
        Segment(SegmentKind.TEXT, " — 世界 🌍 and more"),
    )


async def test_mention_and_tag_facets_cut_at_byte_offsets(
    fake: FakeBluesky, http: HttpClient
) -> None:
    posts = served(fake, 3)
    thread = await unroll(fake, http, posts[0].url)
    assert thread.posts[1].text == (
        Segment(SegmentKind.TEXT, "2/3 Thanks "),
        Segment(SegmentKind.MENTION, "@bob.example.com", f"https://bsky.app/profile/{BOB.did}"),
        Segment(SegmentKind.TEXT, " — 日本語のテキスト "),
        Segment(SegmentKind.HASHTAG, "#日本語", f"https://bsky.app/hashtag/{quote('日本語')}"),
        Segment(SegmentKind.TEXT, " ✨ ok"),
    )


async def test_images_keep_fullsize_url_and_alt(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 3)
    thread = await unroll(fake, http, posts[0].url)
    assert [(m.type, m.url.split("/")[4], m.alt) for m in thread.posts[1].media] == [
        (MediaType.PHOTO, "feed_fullsize", "A cat on a 🛋️ sofa"),
        (MediaType.PHOTO, "feed_fullsize", "Кошка спит"),
    ]


async def test_quote_is_read_when_post_quotes(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 3)
    thread = await unroll(fake, http, posts[0].url)
    quoted = thread.posts[2].quote
    assert quoted is not None
    assert (quoted.url, quoted.author, quoted.text) == (
        f"https://bsky.app/profile/{BOB.handle}/post/{tid(9_000)}",
        Author(BOB.handle, BOB.display_name, f"https://bsky.app/profile/{BOB.handle}"),
        (Segment(SegmentKind.TEXT, "The quoted post 📌"),),
    )


async def test_link_card_is_read_when_external_embed(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 5)
    thread = await unroll(fake, http, posts[0].url)
    card = thread.posts[3].card
    assert card is not None
    assert (card.url, card.title) == (
        "https://news.example/story?id=42",
        "A story — «с заголовком»",
    )


async def test_video_gives_playlist_and_thumbnail(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 5)
    thread = await unroll(fake, http, posts[0].url)
    video = thread.posts[4].media[0]
    assert (video.type, video.url.endswith("/playlist.m3u8"), video.alt) == (
        MediaType.VIDEO,
        True,
        "A short clip",
    )


@pytest.mark.parametrize("gone", ["viewNotFound", "viewBlocked", "viewDetached"])
async def test_quote_is_unavailable_when_quoted_post_gone(
    fake: FakeBluesky, http: HttpClient, gone: str
) -> None:
    (post,) = served(fake, 1)
    quoted = f"at://{BOB.did}/app.bsky.feed.post/{tid(9_001)}"
    post.embed = {
        "$type": "app.bsky.embed.record#view",
        "record": {
            "$type": f"app.bsky.embed.record#{gone}",
            "uri": quoted,
            gone[4:].lower(): True,
        },
    }
    thread = await unroll(fake, http, post.url)
    assert thread.posts[0].quote == Quote(
        url=f"https://bsky.app/profile/{BOB.did}/post/{tid(9_001)}", unavailable=True
    )


async def test_record_with_media_gives_both(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 3)
    (post,) = served(fake, 1, first=50)
    images = posts[1].embed
    post.embed = {
        "$type": "app.bsky.embed.recordWithMedia#view",
        "media": images,
        "record": {"record": posts[2].embed["record"]},  # type: ignore[index]
    }
    thread = await unroll(fake, http, post.url)
    quoted = thread.posts[0].quote
    assert (len(thread.posts[0].media), quoted and quoted.url) == (
        2,
        f"https://bsky.app/profile/{BOB.handle}/post/{tid(9_000)}",
    )


async def test_gallery_items_become_photos(fake: FakeBluesky, http: HttpClient) -> None:
    (post,) = served(fake, 1)
    post.embed = {
        "$type": "app.bsky.embed.gallery#view",
        "items": [
            {
                "$type": "app.bsky.embed.gallery#viewImage",
                "thumbnail": "https://cdn.example/t.jpg",
                "fullsize": "https://cdn.example/f.jpg",
                "alt": "Gallery picture",
                "aspectRatio": {"width": 4, "height": 3},
            }
        ],
    }
    thread = await unroll(fake, http, post.url)
    assert thread.posts[0].media == (
        Media(
            MediaType.PHOTO,
            "https://cdn.example/f.jpg",
            alt="Gallery picture",
            thumbnail_url="https://cdn.example/t.jpg",
            width=4,
            height=3,
        ),
    )


@pytest.mark.parametrize(
    "url",
    [
        f"https://bsky.app/profile/{ALICE.handle}/post/{tid(999)}",
        f"https://bsky.app/profile/nobody.example.com/post/{tid(1)}",
    ],
)
async def test_missing_post_is_unavailable(fake: FakeBluesky, http: HttpClient, url: str) -> None:
    served(fake, 2)
    with pytest.raises(PostUnavailableError) as caught:
        await unroll(fake, http, url)
    assert type(caught.value) is PostUnavailableError


async def test_deleted_post_is_unavailable(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 3)
    posts[1].deleted = True
    with pytest.raises(PostUnavailableError):
        await unroll(fake, http, posts[1].url)


async def test_blocked_post_is_private(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 3)
    posts[0].blocked = True
    with pytest.raises(PostPrivateError):
        await unroll(fake, http, posts[0].url)


async def test_author_hidden_from_guests_is_private(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 2, author=SHY)
    with pytest.raises(PostPrivateError):
        await unroll(fake, http, posts[0].url)


async def test_rate_limit_carries_retry_after(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 2)
    fake.rate_limit_reset_in_s = 30
    with pytest.raises(RateLimitedError) as caught:
        await unroll(fake, http, posts[0].url)
    assert caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 30


async def test_server_error_is_source_error(fake: FakeBluesky, http: HttpClient) -> None:
    posts = served(fake, 2)
    fake.fail_status = 500
    with pytest.raises(SourceError) as caught:
        await unroll(fake, http, posts[0].url)
    assert (type(caught.value), caught.value.retryable, caught.value.platform) == (
        SourceError,
        True,
        "bluesky",
    )


async def test_a_thread_grown_by_its_author_is_fetched_whole(
    fake: FakeBluesky, http: HttpClient
) -> None:
    """The fake grows a thread while the bot runs, as following needs."""
    posts = served(fake, 2)
    fake.append_self_reply(posts, "One more thing.")
    thread = await unroll(fake, http, posts[0].url)
    assert (urls(thread), len(posts)) == ([post.url for post in posts], 3)


async def test_walk_down_that_spends_the_budget_gives_the_thread_cut_short(
    fake: FakeBluesky, http: HttpClient
) -> None:
    """Past the first answers a spent budget cuts the thread, and says so, instead of failing."""
    posts = served(fake, 150)
    thread = await unroll(fake, http, posts[0].url, max_requests=4)
    assert (
        urls(thread) == [post.url for post in posts[: len(thread.posts)]],
        10 <= len(thread.posts) < 150,
        thread.report.complete,
        thread.report.note,
    ) == (True, True, False, CUT_SHORT_NOTE)
