"""The X API v2 source against the fake X API, over a real socket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import (
    PostPrivateError,
    PostUnavailableError,
    RateLimitedError,
    SourceError,
    UnsupportedLinkError,
)
from bot.model import (
    Media,
    MediaType,
    Platform,
    PollOption,
    Segment,
    SegmentKind,
    Thread,
    ThreadKey,
)
from bot.net.http import HttpClient
from bot.sources import SourceConfig, fetch_thread, x_api
from tests.fakes.fxtwitter import FakeThread, FakeUser, add_branch, build_thread
from tests.fakes.x_api import TOKEN, FakeXApi


@pytest.fixture(scope="module")
def server() -> Iterator[FakeXApi]:
    fake = FakeXApi()
    with fake.server:
        yield fake


@pytest.fixture
def fake(server: FakeXApi) -> FakeXApi:
    server.reset()
    return server


async def unroll(
    fake: FakeXApi, http: HttpClient, post_id: str, *, token: str = TOKEN, max_posts: int = 500
) -> Thread:
    config = SourceConfig(x_api_url=fake.url, x_bearer_token=token, max_posts=max_posts)
    key = ThreadKey(Platform.X, "x.com", post_id)
    return await fetch_thread(key, http=http, config=config)


def ids(thread: Thread) -> list[str]:
    return [post.id for post in thread.posts]


@pytest.mark.parametrize(
    ("n_posts", "entry"),
    [(1, 0), (25, 0), (25, 12), (25, 24), (150, 0), (150, 75), (150, 149)],
)
async def test_chain_is_whole_when_entered_from_any_post(
    fake: FakeXApi, http: HttpClient, n_posts: int, entry: int
) -> None:
    built = fake.add(build_thread(n_posts))
    thread = await unroll(fake, http, built.chain[entry].id)
    assert (ids(thread), thread.report.complete) == (built.visible_ids, True)


async def test_search_pages_followed_when_results_span_pages(
    fake: FakeXApi, http: HttpClient
) -> None:
    built = fake.add(build_thread(12))
    fake.page_size = 5
    thread = await unroll(fake, http, built.chain[0].id)
    pages = fake.server.requests.matching("/search/recent")
    assert (ids(thread), len(pages), pages[-1].query.get("next_token")) == (
        built.visible_ids,
        3,
        "10",
    )


async def test_search_asks_for_authors_replies_in_conversation(
    fake: FakeXApi, http: HttpClient
) -> None:
    built = fake.add(build_thread(3))
    await unroll(fake, http, built.chain[1].id)
    handle = built.author.handle
    assert fake.server.requests.matching("/search/recent")[0].query["query"] == (
        f"conversation_id:{built.chain[0].id} from:{handle} to:{handle}"
    )


async def test_bearer_token_sent(fake: FakeXApi, http: HttpClient) -> None:
    built = fake.add(build_thread(1))
    await unroll(fake, http, built.chain[0].id)
    assert fake.server.requests.all()[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.fixture
def rich(fake: FakeXApi) -> FakeThread:
    return fake.add(build_thread(10))


async def test_text_is_what_readers_see_when_emoji_and_scripts_surround_links(
    fake: FakeXApi, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    assert [post.plain_text for post in thread.posts] == [t.shown for t in rich.chain]


async def test_segments_carry_real_targets_when_post_has_entities(
    fake: FakeXApi, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    assert thread.posts[0].text == (
        Segment(SegmentKind.TEXT, "1/ Привет, мир 🌍🚀 — see "),
        Segment(SegmentKind.LINK, "example.com/статья?id=7", "https://example.com/статья?id=7"),
        Segment(SegmentKind.TEXT, " and "),
        Segment(SegmentKind.MENTION, "@bob", "https://x.com/bob"),
        Segment(SegmentKind.TEXT, " 👍🏽 "),
        Segment(SegmentKind.HASHTAG, "#тест", "https://x.com/hashtag/%D1%82%D0%B5%D1%81%D1%82"),
        Segment(SegmentKind.TEXT, " ok"),
    )


async def test_media_resolved_from_includes(
    fake: FakeXApi, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    photo, video, gif = (rich.chain[index].media[0] for index in (0, 1, 5))
    assert [thread.posts[index].media for index in (0, 1, 5)] == [
        (Media(MediaType.PHOTO, photo.url, alt=photo.alt, width=4096, height=2304),),
        (
            Media(
                MediaType.VIDEO,
                video.variants[-1][0],
                thumbnail_url=video.thumbnail_url,
                width=1280,
                height=720,
            ),
        ),
        (
            Media(
                MediaType.GIF,
                gif.variants[-1][0],
                thumbnail_url=gif.thumbnail_url,
                width=1280,
                height=720,
            ),
        ),
    ]


async def test_quote_resolved_from_includes(
    fake: FakeXApi, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    quote, quoted = thread.posts[2].quote, rich.chain[2].quote
    assert quote is not None
    assert quoted is not None
    assert (quote.url, quote.unavailable, quote.text) == (
        quoted.url,
        False,
        (Segment(SegmentKind.TEXT, quoted.text),),
    )


async def test_quote_is_unavailable_when_quoted_post_deleted(
    fake: FakeXApi, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    quote = thread.posts[7].quote
    assert quote is not None
    assert quote.unavailable


async def test_poll_resolved_from_includes(
    fake: FakeXApi, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    poll = thread.posts[3].poll
    assert poll is not None
    assert (poll.options, poll.total_votes, poll.closed) == (
        (PollOption("Python 🐍", 30), PollOption("Rust", 12)),
        42,
        True,
    )


async def test_card_comes_from_unwound_link(
    fake: FakeXApi, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    card = thread.posts[4].card
    assert card is not None
    assert (card.url, card.title, card.image_url) == (
        "https://ex.org/a",
        "An article",
        "https://ex.org/a.jpg",
    )


async def test_long_post_text_comes_from_note_tweet(
    fake: FakeXApi, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    assert thread.posts[6].plain_text == rich.chain[6].shown


@pytest.mark.parametrize("deleted_status", [200, 404])
async def test_deleted_post_leaves_gap_when_in_middle(
    fake: FakeXApi, http: HttpClient, deleted_status: int
) -> None:
    built = fake.add(build_thread(8, deleted=[4]))
    fake.deleted_status = deleted_status
    thread = await unroll(fake, http, built.chain[-1].id)
    assert (ids(thread), [p.gap_before for p in thread.posts], thread.report.deleted) == (
        built.visible_ids,
        [0, 0, 0, 0, 1, 0, 0],
        1,
    )


@pytest.mark.parametrize("entry", [0, 2, 4], ids=["first", "fork-point", "last"])
async def test_thread_is_earliest_branch_when_author_forks(
    fake: FakeXApi, http: HttpClient, entry: int
) -> None:
    built = build_thread(5, rich=False)
    add_branch(built, fork_at=2, n_posts=3)
    fake.add(built)
    thread = await unroll(fake, http, built.chain[entry].id)
    assert ids(thread) == built.visible_ids


@pytest.mark.parametrize("entry", [0, 2, 4], ids=["first", "fork-point", "last"])
async def test_other_branch_counted_and_linked_when_author_forks(
    fake: FakeXApi, http: HttpClient, entry: int
) -> None:
    """Search returns every self-reply in the conversation, the other branch's too."""
    built = build_thread(5, rich=False)
    branch = add_branch(built, fork_at=2, n_posts=3)
    fake.add(built)
    report = (await unroll(fake, http, built.chain[entry].id)).report
    assert (report.other_branch_posts, report.other_branch_url, report.complete) == (
        3,
        branch[0].url,
        False,
    )


async def test_thread_starts_at_post_answering_someone_else(
    fake: FakeXApi, http: HttpClient
) -> None:
    built = fake.add(build_thread(5, replies_to_other=True))
    thread = await unroll(fake, http, built.chain[3].id)
    assert (ids(thread), thread.report.skipped_other_authors) == (built.visible_ids, 1)


async def test_reply_mention_hidden_when_thread_answers_someone(
    fake: FakeXApi, http: HttpClient
) -> None:
    built = fake.add(build_thread(2, replies_to_other=True))
    thread = await unroll(fake, http, built.chain[1].id)
    assert thread.posts[0].plain_text == built.chain[0].shown


async def test_report_explains_window_when_thread_older_than_seven_days(
    fake: FakeXApi, http: HttpClient
) -> None:
    built = fake.add(build_thread(3, started_at=datetime.now(UTC) - timedelta(days=9)))
    thread = await unroll(fake, http, built.chain[0].id)
    assert (ids(thread), thread.report.complete, thread.report.note) == (
        [built.chain[0].id],
        False,
        x_api.WINDOW_NOTE,
    )


async def test_report_explains_window_when_hole_cannot_be_filled(
    fake: FakeXApi, http: HttpClient
) -> None:
    """Posts 0–9 are past the window; the walk up from post 19 stops after a few lookups."""
    start = datetime.now(UTC) - timedelta(days=7, minutes=10)
    built = fake.add(build_thread(20, started_at=start, rich=False))
    thread = await unroll(fake, http, built.chain[19].id)
    assert (thread.posts[0].id, thread.posts[-1].id, thread.report.note) == (
        built.chain[0].id,
        built.chain[19].id,
        x_api.WINDOW_NOTE,
    )


async def test_chain_capped_when_longer_than_max_posts(fake: FakeXApi, http: HttpClient) -> None:
    built = fake.add(build_thread(25))
    thread = await unroll(fake, http, built.chain[24].id, max_posts=10)
    assert (ids(thread), thread.report.complete) == (built.visible_ids[:10], False)


async def test_progress_reported_per_search_page(fake: FakeXApi, http: HttpClient) -> None:
    built = fake.add(build_thread(12))
    fake.page_size = 5
    counts: list[int] = []

    async def progress(count: int) -> None:
        counts.append(count)

    config = SourceConfig(x_api_url=fake.url, x_bearer_token=TOKEN)
    key = ThreadKey(Platform.X, "x.com", built.chain[0].id)
    await x_api.fetch_thread(key, http=http, config=config, progress=progress)
    assert counts == [5, 10, 11]


@pytest.mark.parametrize("deleted_status", [200, 404])
async def test_unavailable_when_post_deleted(
    fake: FakeXApi, http: HttpClient, deleted_status: int
) -> None:
    built = fake.add(build_thread(3, deleted=[1]))
    fake.deleted_status = deleted_status
    with pytest.raises(PostUnavailableError) as caught:
        await unroll(fake, http, built.chain[1].id)
    assert type(caught.value) is PostUnavailableError


async def test_private_when_author_protected(fake: FakeXApi, http: HttpClient) -> None:
    built = fake.add(build_thread(2, author=FakeUser("98", "shy", "Shy", protected=True)))
    with pytest.raises(PostPrivateError):
        await unroll(fake, http, built.chain[0].id)


async def test_unsupported_link_when_id_malformed(fake: FakeXApi, http: HttpClient) -> None:
    with pytest.raises(UnsupportedLinkError):
        await unroll(fake, http, "12345678901234567890123")


async def test_source_error_names_token_when_rejected(fake: FakeXApi, http: HttpClient) -> None:
    with pytest.raises(SourceError, match="bearer token"):
        await unroll(fake, http, "1234567890123456789", token="wrong")


async def test_rate_limited_waits_until_reset(fake: FakeXApi, http: HttpClient) -> None:
    fake.rate_limit_reset = int(time.time()) + 600
    with pytest.raises(RateLimitedError) as caught:
        await unroll(fake, http, "1234567890123456789")
    assert caught.value.retry_after is not None
    assert 500 < caught.value.retry_after <= 600


async def test_source_error_when_x_fails(fake: FakeXApi, http: HttpClient) -> None:
    fake.fail_status = 503
    with pytest.raises(SourceError) as caught:
        await unroll(fake, http, "1234567890123456789")
    assert type(caught.value) is SourceError


async def test_reply_loop_is_source_error(fake: FakeXApi, http: HttpClient) -> None:
    """The root claims to answer the last post: walking up from the middle comes round again."""
    built = fake.add(build_thread(3))
    built.chain[0].reply_to = built.chain[2]
    with pytest.raises(SourceError, match="loops"):
        await unroll(fake, http, built.chain[1].id)
