"""The FxTwitter source against the fake FxTwitter, over a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
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
    Quote,
    Segment,
    SegmentKind,
    Thread,
    ThreadKey,
)
from bot.net.http import HttpClient
from bot.sources import SourceConfig, fetch_thread, fxtwitter, x_text
from tests.fakes.fxtwitter import (
    ADA,
    CAROL,
    USER_AGENT_REFUSAL,
    FakeFxTwitter,
    FakeThread,
    FakeUser,
    build_thread,
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeFxTwitter]:
    fake = FakeFxTwitter()
    with fake.server:
        yield fake


@pytest.fixture
def fake(server: FakeFxTwitter) -> FakeFxTwitter:
    server.reset()
    return server


async def unroll(
    fake: FakeFxTwitter, http: HttpClient, post_id: str, *, max_posts: int = 500
) -> Thread:
    config = SourceConfig(fxtwitter_api_url=fake.url, max_posts=max_posts)
    key = ThreadKey(Platform.X, "x.com", post_id)
    return await fetch_thread(key, http=http, config=config)


def ids(thread: Thread) -> list[str]:
    return [post.id for post in thread.posts]


@pytest.mark.parametrize(
    ("n_posts", "entry"),
    [(1, 0), (25, 0), (25, 12), (25, 24), (150, 0), (150, 75), (150, 149)],
)
async def test_chain_is_whole_when_entered_from_any_post(
    fake: FakeFxTwitter, http: HttpClient, n_posts: int, entry: int
) -> None:
    built = fake.add(build_thread(n_posts))
    thread = await unroll(fake, http, built.chain[entry].id)
    assert ids(thread) == built.visible_ids


@pytest.fixture
def rich(fake: FakeFxTwitter) -> FakeThread:
    return fake.add(build_thread(10))


async def test_text_is_what_readers_see_when_emoji_and_scripts_surround_links(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    assert [post.plain_text for post in thread.posts] == [t.shown for t in rich.chain]


@pytest.mark.parametrize("offsets_in_escaped_text", [False, True])
async def test_segments_right_when_text_has_escaped_characters(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread, offsets_in_escaped_text: bool
) -> None:
    """X escapes & < >; its offsets may count either text, and both must cut at "#food"."""
    fake.offsets_in_escaped_text = offsets_in_escaped_text
    thread = await unroll(fake, http, rich.chain[0].id)
    assert thread.posts[2].text == (
        Segment(SegmentKind.TEXT, "3/ Fish & chips <b>not bold</b> 👨‍👩‍👧 "),
        Segment(SegmentKind.HASHTAG, "#food", "https://x.com/hashtag/food"),
        Segment(SegmentKind.TEXT, " &amp; more"),
    )


async def test_segments_carry_real_targets_when_post_has_entities(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread
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


async def test_photo_keeps_alt_text(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    photo = rich.chain[0].media[0]
    assert thread.posts[0].media == (
        Media(MediaType.PHOTO, photo.url, alt=photo.alt, width=4096, height=2304),
    )


@pytest.mark.parametrize(("index", "kind"), [(1, MediaType.VIDEO), (5, MediaType.GIF)])
async def test_video_uses_best_mp4_and_thumbnail(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread, index: int, kind: MediaType
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    video = rich.chain[index].media[0]
    assert thread.posts[index].media == (
        Media(
            kind, video.variants[-1][0], thumbnail_url=video.thumbnail_url, width=1280, height=720
        ),
    )


async def test_quote_becomes_quote(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    quoted = rich.chain[2].quote
    assert quoted is not None
    assert thread.posts[2].quote == Quote(
        url=quoted.url,
        author=x_text.x_author(CAROL.handle, CAROL.name),
        text=(Segment(SegmentKind.TEXT, quoted.text),),
        created_at=quoted.created_at,
    )


async def test_quote_is_unavailable_when_quoted_post_deleted(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    quote = thread.posts[7].quote
    assert quote is not None
    assert quote.unavailable


async def test_poll_keeps_choices_and_votes(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    poll = thread.posts[3].poll
    assert poll is not None
    assert (poll.options, poll.total_votes, poll.closed) == (
        (PollOption("Python 🐍", 30), PollOption("Rust", 12)),
        42,
        True,
    )


async def test_card_becomes_link_card(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    card = thread.posts[4].card
    assert card is not None
    assert (card.url, card.title, card.image_url) == (
        "https://ex.org/a",
        "An article",
        "https://ex.org/a.jpg",
    )


async def test_long_post_keeps_its_whole_text(
    fake: FakeFxTwitter, http: HttpClient, rich: FakeThread
) -> None:
    thread = await unroll(fake, http, rich.chain[0].id)
    assert len(thread.posts[6].plain_text) > 280


async def test_deleted_post_leaves_gap_when_in_middle(
    fake: FakeFxTwitter, http: HttpClient
) -> None:
    built = fake.add(build_thread(8, deleted=[4]))
    thread = await unroll(fake, http, built.chain[-1].id)
    assert ([post.gap_before for post in thread.posts], thread.report.deleted) == (
        [0, 0, 0, 0, 1, 0, 0],
        1,
    )


async def test_deleted_first_post_leaves_gap_at_top(fake: FakeFxTwitter, http: HttpClient) -> None:
    built = fake.add(build_thread(3, deleted=[0]))
    thread = await unroll(fake, http, built.chain[1].id)
    assert ([post.gap_before for post in thread.posts], thread.report.deleted) == ([1, 0], 1)


async def test_other_authors_dropped_when_thread_answers_someone(
    fake: FakeFxTwitter, http: HttpClient
) -> None:
    built = fake.add(build_thread(5, replies_to_other=True))
    thread = await unroll(fake, http, built.chain[2].id)
    assert (ids(thread), thread.report.skipped_other_authors) == (built.visible_ids, 1)


async def test_reply_mention_hidden_when_thread_answers_someone(
    fake: FakeFxTwitter, http: HttpClient
) -> None:
    built = fake.add(build_thread(2, replies_to_other=True))
    thread = await unroll(fake, http, built.chain[0].id)
    assert thread.posts[0].plain_text == built.chain[0].shown


async def test_thread_keeps_author_and_urls(fake: FakeFxTwitter, http: HttpClient) -> None:
    built = fake.add(build_thread(2))
    thread = await unroll(fake, http, built.chain[1].id)
    expected_author = x_text.x_author(ADA.handle, ADA.name)
    assert (thread.author, thread.url, thread.posts[1].url) == (
        expected_author,
        f"https://x.com/{ADA.handle}/status/{built.chain[0].id}",
        f"https://x.com/{ADA.handle}/status/{built.chain[1].id}",
    )


async def test_created_at_comes_from_timestamp(fake: FakeFxTwitter, http: HttpClient) -> None:
    built = fake.add(build_thread(1, started_at=datetime(2025, 3, 18, 18, 7, 30, tzinfo=UTC)))
    thread = await unroll(fake, http, built.chain[0].id)
    assert thread.posts[0].created_at == datetime(2025, 3, 18, 18, 7, 30, tzinfo=UTC)


async def test_report_incomplete_when_thread_is_null(
    fake: FakeFxTwitter, http: HttpClient
) -> None:
    built = fake.add(build_thread(5))
    fake.thread_null = True
    thread = await unroll(fake, http, built.chain[2].id)
    assert (ids(thread), thread.report.complete, thread.report.note) == (
        [built.chain[2].id],
        False,
        fxtwitter.ONLY_ONE_POST_NOTE,
    )


async def test_chain_capped_when_longer_than_max_posts(
    fake: FakeFxTwitter, http: HttpClient
) -> None:
    built = fake.add(build_thread(25))
    thread = await unroll(fake, http, built.chain[24].id, max_posts=10)
    assert (ids(thread), thread.report.posts, thread.report.complete) == (
        built.visible_ids[:10],
        10,
        False,
    )


async def test_progress_reported_once_with_post_count(
    fake: FakeFxTwitter, http: HttpClient
) -> None:
    built = fake.add(build_thread(4))
    counts: list[int] = []

    async def progress(count: int) -> None:
        counts.append(count)

    config = SourceConfig(fxtwitter_api_url=fake.url)
    key = ThreadKey(Platform.X, "x.com", built.chain[0].id)
    await fxtwitter.fetch_thread(key, http=http, config=config, progress=progress)
    assert counts == [4]


async def test_request_names_itself_with_user_agent(fake: FakeFxTwitter, http: HttpClient) -> None:
    built = fake.add(build_thread(1))
    await unroll(fake, http, built.chain[0].id)
    assert fake.server.requests.all()[0].headers["user-agent"].startswith("unroll-bot/")


async def test_fake_refuses_request_without_user_agent(fake: FakeFxTwitter) -> None:
    built = fake.add(build_thread(1))
    async with httpx.AsyncClient() as client:
        del client.headers["User-Agent"]
        response = await client.get(f"{fake.url}/2/thread/{built.chain[0].id}")
    assert (response.status_code, response.json()) == (401, {"error": USER_AGENT_REFUSAL})


async def test_unavailable_when_post_unknown(fake: FakeFxTwitter, http: HttpClient) -> None:
    with pytest.raises(PostUnavailableError):
        await unroll(fake, http, "1234567890123456789")


async def test_unavailable_when_post_deleted(fake: FakeFxTwitter, http: HttpClient) -> None:
    built = fake.add(build_thread(3, deleted=[1]))
    with pytest.raises(PostUnavailableError):
        await unroll(fake, http, built.chain[1].id)


async def test_private_when_author_protected(fake: FakeFxTwitter, http: HttpClient) -> None:
    built = fake.add(build_thread(2, author=FakeUser("99", "hidden", "Hidden", protected=True)))
    with pytest.raises(PostPrivateError):
        await unroll(fake, http, built.chain[0].id)


async def test_unsupported_link_when_id_malformed(fake: FakeFxTwitter, http: HttpClient) -> None:
    with pytest.raises(UnsupportedLinkError):
        await unroll(fake, http, "abc")


async def test_rate_limited_carries_retry_after(fake: FakeFxTwitter, http: HttpClient) -> None:
    fake.retry_after_s = 30
    with pytest.raises(RateLimitedError) as caught:
        await unroll(fake, http, "1234567890123456789")
    assert caught.value.retry_after == 30


@pytest.mark.parametrize("status", [500, 503])
async def test_source_error_when_fxtwitter_fails(
    fake: FakeFxTwitter, http: HttpClient, status: int
) -> None:
    fake.fail_status = status
    with pytest.raises(SourceError) as caught:
        await unroll(fake, http, "1234567890123456789")
    assert type(caught.value) is SourceError


async def test_a_thread_grown_by_its_author_is_fetched_whole(
    fake: FakeFxTwitter, http: HttpClient
) -> None:
    """The fake grows a thread while the bot runs, as following needs."""
    built = fake.add(build_thread(2, rich=False))
    fake.append_self_reply(built, "One more thing.")
    thread = await unroll(fake, http, built.chain[0].id)
    assert (ids(thread), len(built.chain)) == (built.visible_ids, 3)
