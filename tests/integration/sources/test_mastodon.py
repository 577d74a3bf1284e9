"""The Mastodon source against the fake instance, over real sockets through the guard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.errors import (
    BlockedHostError,
    PostPrivateError,
    PostUnavailableError,
    RateLimitedError,
    SourceError,
)
from bot.model import (
    Author,
    LinkCard,
    Media,
    MediaType,
    Platform,
    Poll,
    PollOption,
    Quote,
    Segment,
    SegmentKind,
    Thread,
    ThreadKey,
)
from bot.net.http import HttpClient
from bot.sources import CUT_SHORT_NOTE, SourceConfig, fetch_thread
from bot.sources.mastodon import BRANCH_REQUESTS, base_url
from tests.fakes.mastodon import RICH_CONTENT, FakeMastodon, Status

CONFIG = SourceConfig(allow_private_hosts=True)  # the fake is a loopback instance over http


@pytest.fixture(scope="module")
def instance() -> Iterator[FakeMastodon]:
    fake = FakeMastodon()
    with fake.server:
        yield fake


@pytest.fixture
def mastodon(instance: FakeMastodon) -> FakeMastodon:
    instance.reset()
    return instance


async def unroll(
    mastodon: FakeMastodon, http: HttpClient, status: Status, config: SourceConfig = CONFIG
) -> Thread:
    key = ThreadKey(Platform.MASTODON, mastodon.host, status["id"])
    return await fetch_thread(key, http=http, config=config)


def ids(thread: Thread) -> list[str]:
    return [post.id for post in thread.posts]


@pytest.mark.parametrize("n_posts", [1, 25, 150])
@pytest.mark.parametrize("entry", ["first", "middle", "last"])
async def test_chain_is_whole_from_any_entry(
    mastodon: FakeMastodon, http: HttpClient, n_posts: int, entry: str
) -> None:
    chain = mastodon.build_thread(n_posts, other_replies=1)
    start = {"first": 0, "middle": n_posts // 2, "last": n_posts - 1}[entry]
    thread = await unroll(mastodon, http, chain[start])
    assert ids(thread) == [status["id"] for status in chain]


async def test_long_chain_report_complete(mastodon: FakeMastodon, http: HttpClient) -> None:
    chain = mastodon.build_thread(150)
    thread = await unroll(mastodon, http, chain[75])
    assert (thread.report.posts, thread.report.complete) == (150, True)


async def test_context_asked_again_past_unauthenticated_limits(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    """150 posts need several `/context` pages (depth 20, 40 ancestors), but not one per post."""
    chain = mastodon.build_thread(150)
    await unroll(mastodon, http, chain[0])
    pages = len(mastodon.server.requests.matching("/context"))
    assert 150 // 20 <= pages <= 150 // 20 + 2


async def test_progress_reports_growing_counts(mastodon: FakeMastodon, http: HttpClient) -> None:
    chain = mastodon.build_thread(150)
    seen: list[int] = []

    async def progress(found: int) -> None:
        seen.append(found)

    key = ThreadKey(Platform.MASTODON, mastodon.host, chain[0]["id"])
    await fetch_thread(key, http=http, config=CONFIG, progress=progress)
    assert (seen == sorted(seen), len(seen) > 3, seen[-1]) == (True, True, 150)


async def test_other_authors_replies_skipped_and_counted(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    chain = mastodon.build_thread(5, other_replies=2)
    thread = await unroll(mastodon, http, chain[0])
    assert (ids(thread), thread.report.skipped_other_authors) == (
        [status["id"] for status in chain],
        10,
    )


async def test_chain_starts_at_author_when_replying_to_someone_else(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    question = mastodon.post(mastodon.account("bob"), "<p>How does it work?</p>")
    chain = mastodon.build_thread(4, reply_to=question)
    thread = await unroll(mastodon, http, chain[2])
    assert ids(thread) == [status["id"] for status in chain]


async def test_earliest_self_reply_continues_when_author_branches(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    chain = mastodon.build_thread(3)
    mastodon.post(chain[0]["account"], "<p>later aside</p>", reply_to=chain[1])
    thread = await unroll(mastodon, http, chain[0])
    assert ids(thread) == [status["id"] for status in chain]


@pytest.mark.parametrize("entry", [0, 2, 4], ids=["first", "fork-point", "last"])
async def test_thread_is_earliest_branch_when_author_forks(
    mastodon: FakeMastodon, http: HttpClient, entry: int
) -> None:
    chain, _branch = mastodon.build_forked_thread(5, fork_at=2, branch_posts=3)
    thread = await unroll(mastodon, http, chain[entry])
    assert ids(thread) == [status["id"] for status in chain]


@pytest.mark.parametrize("entry", [0, 2, 4], ids=["first", "fork-point", "last"])
async def test_other_branch_counted_and_linked_when_author_forks(
    mastodon: FakeMastodon, http: HttpClient, entry: int
) -> None:
    """Entered below the fork, the walk asks the first post's replies to see the branch."""
    chain, branch = mastodon.build_forked_thread(5, fork_at=2, branch_posts=3)
    report = (await unroll(mastodon, http, chain[entry])).report
    assert (report.other_branch_posts, report.other_branch_url, report.other_branch_more) == (
        3,
        branch[0]["url"],
        False,
    )


async def test_report_incomplete_when_author_forks(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    chain, _branch = mastodon.build_forked_thread(5, fork_at=2, branch_posts=3)
    assert (await unroll(mastodon, http, chain[0])).report.complete is False


async def test_thread_follows_linked_branch_and_counts_the_other(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    chain, branch = mastodon.build_forked_thread(5, fork_at=2, branch_posts=3)
    thread = await unroll(mastodon, http, branch[-1])
    assert (ids(thread), thread.report.other_branch_posts, thread.report.other_branch_url) == (
        [status["id"] for status in chain[:3] + branch],
        2,
        chain[3]["url"],
    )


async def test_report_complete_without_fork_when_entered_below_the_first_post(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    chain = mastodon.build_thread(5, other_replies=1)
    report = (await unroll(mastodon, http, chain[4])).report
    assert (report.complete, report.other_branch_posts) == (True, 0)


async def test_branch_may_hold_more_when_its_replies_stay_unfetched(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    """A branch deeper than `/context` reaches, even after the extra requests: "at least"."""
    chain, _branch = mastodon.build_forked_thread(3, fork_at=0, branch_posts=60)
    # The same shape with someone else's branch: the walk's own requests, for comparison.
    plain = mastodon.build_thread(3)
    mastodon.build_thread(60, author=mastodon.account("bob"), reply_to=plain[0])
    await unroll(mastodon, http, plain[0])
    baseline = len(mastodon.server.requests.matching("/context"))
    mastodon.server.requests.clear()
    report = (await unroll(mastodon, http, chain[0])).report
    extra = len(mastodon.server.requests.matching("/context")) - baseline
    assert (report.other_branch_more, report.complete, extra) == (True, False, BRANCH_REQUESTS)


async def test_chain_starts_after_gap_when_middle_post_deleted(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    chain = mastodon.build_thread(6)
    mastodon.delete(chain[2])
    thread = await unroll(mastodon, http, chain[5])
    assert (ids(thread), thread.posts[0].gap_before) == ([s["id"] for s in chain[3:]], 1)


async def test_report_incomplete_when_middle_post_deleted(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    chain = mastodon.build_thread(6)
    mastodon.delete(chain[2])
    report = (await unroll(mastodon, http, chain[4])).report
    assert (report.deleted, report.complete, report.note is not None) == (1, False, True)


async def test_chain_ends_before_deleted_post_when_entered_above(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    chain = mastodon.build_thread(6)
    mastodon.delete(chain[2])
    thread = await unroll(mastodon, http, chain[0])
    assert ids(thread) == [s["id"] for s in chain[:2]]


async def test_chain_capped_at_max_posts(mastodon: FakeMastodon, http: HttpClient) -> None:
    chain = mastodon.build_thread(50)
    thread = await unroll(
        mastodon, http, chain[40], SourceConfig(max_posts=30, allow_private_hosts=True)
    )
    assert (ids(thread), thread.report.complete) == ([s["id"] for s in chain[:30]], False)


async def test_boost_unrolls_boosted_thread(mastodon: FakeMastodon, http: HttpClient) -> None:
    chain = mastodon.build_thread(3)
    boost = mastodon.post(mastodon.account("carol"), "", reblog=chain[1])
    thread = await unroll(mastodon, http, boost)
    assert ids(thread) == [status["id"] for status in chain]


async def test_author_handle_made_absolute(mastodon: FakeMastodon, http: HttpClient) -> None:
    chain = mastodon.build_thread(1)
    thread = await unroll(mastodon, http, chain[0])
    expected = Author(f"ada@{mastodon.host}", "Ada Lovelace", f"{mastodon.base}/@ada")
    assert thread.author == expected


async def test_remote_author_handle_kept(mastodon: FakeMastodon, http: HttpClient) -> None:
    author = mastodon.account("zoe", acct="zoe@remote.example")
    chain = mastodon.build_thread(1, author=author)
    thread = await unroll(mastodon, http, chain[0])
    assert thread.author.handle == "zoe@remote.example"


async def test_post_fields_taken_from_status(mastodon: FakeMastodon, http: HttpClient) -> None:
    chain = mastodon.build_thread(1)
    post = (await unroll(mastodon, http, chain[0])).posts[0]
    expected_time = datetime.fromisoformat(chain[0]["created_at"])
    assert (post.url, post.created_at) == (chain[0]["url"], expected_time)


async def test_rich_content_becomes_segments(mastodon: FakeMastodon, http: HttpClient) -> None:
    author = mastodon.account("ada", "Ada Lovelace")
    status = mastodon.post(author, RICH_CONTENT.format(base=mastodon.base))
    text = (await unroll(mastodon, http, status)).posts[0].text
    assert [segment.kind for segment in text] == [
        SegmentKind.TEXT,
        SegmentKind.LINK,
        SegmentKind.TEXT,
        SegmentKind.MENTION,
        SegmentKind.TEXT,
        SegmentKind.HASHTAG,
        SegmentKind.TEXT,
    ]


async def test_content_warning_kept(mastodon: FakeMastodon, http: HttpClient) -> None:
    status = mastodon.post(mastodon.account("ada"), spoiler_text="Spoilers: S2", sensitive=True)
    post = (await unroll(mastodon, http, status)).posts[0]
    assert post.content_warning == "Spoilers: S2"


def _attachment(kind: str, url: str | None, description: str | None) -> Status:
    return {
        "id": "1",
        "type": kind,
        "url": url,
        "preview_url": "https://files.example/small.jpg",
        "remote_url": "https://origin.example/original.bin",
        "meta": {"original": {"width": 640, "height": 480}},
        "description": description,
        "blurhash": None,
    }


async def test_media_mapped_with_alt_text(mastodon: FakeMastodon, http: HttpClient) -> None:
    attachments = [
        _attachment("image", "https://files.example/a.jpg", "A chart"),
        _attachment("gifv", "https://files.example/b.mp4", None),
        _attachment("video", None, "Talk"),
        _attachment("audio", "https://files.example/d.mp3", "Song"),
    ]
    status = mastodon.post(mastodon.account("ada"), media_attachments=attachments)
    media = (await unroll(mastodon, http, status)).posts[0].media
    small = "https://files.example/small.jpg"
    assert media == (
        Media(MediaType.PHOTO, "https://files.example/a.jpg", "A chart", small, 640, 480),
        Media(MediaType.GIF, "https://files.example/b.mp4", "", small, 640, 480),
        Media(MediaType.VIDEO, "https://origin.example/original.bin", "Talk", small, 640, 480),
    )


async def test_accepted_quote_shown_and_fallback_dropped(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    quoted = mastodon.post(mastodon.account("bob", "Bob"), "<p>Toot!</p>")
    fallback = f'<p class="quote-inline">RE: <a href="{quoted["url"]}">{quoted["url"]}</a></p>'
    status = mastodon.post(
        mastodon.account("ada"),
        f"{fallback}<p>yoooooooo</p>",
        quote={"state": "accepted", "quoted_status": quoted},
    )
    post = (await unroll(mastodon, http, status)).posts[0]
    expected_quote = Quote(
        url=quoted["url"],
        author=Author(f"bob@{mastodon.host}", "Bob", f"{mastodon.base}/@bob"),
        text=(Segment(SegmentKind.TEXT, "Toot!"),),
        created_at=datetime.fromisoformat(quoted["created_at"]),
    )
    assert (post.plain_text, post.quote) == ("yoooooooo", expected_quote)


@pytest.mark.parametrize(
    "quote",
    [
        {"state": "deleted", "quoted_status": None},
        {"state": "revoked", "quoted_status": None},
        {"state": "blocked_account", "quoted_status": None},
        {"state": "some_future_state", "quoted_status": None},
        {"state": "accepted", "quoted_status_id": "5"},  # ShallowQuote
    ],
)
async def test_unavailable_quote_is_tombstone(
    mastodon: FakeMastodon, http: HttpClient, quote: Status
) -> None:
    status = mastodon.post(mastodon.account("ada"), "<p>look</p>", quote=quote)
    post = (await unroll(mastodon, http, status)).posts[0]
    assert post.quote == Quote(url=None, unavailable=True)


async def test_card_mapped(mastodon: FakeMastodon, http: HttpClient) -> None:
    card = {
        "url": "http://example.org/",
        "title": "Example Domain",
        "description": "",
        "type": "link",
        "image": None,
    }
    status = mastodon.post(mastodon.account("ada"), card=card)
    post = (await unroll(mastodon, http, status)).posts[0]
    assert post.card == LinkCard("http://example.org/", "Example Domain")


async def test_poll_mapped(mastodon: FakeMastodon, http: HttpClient) -> None:
    poll = {
        "id": "1",
        "expires_at": "2026-08-01T13:58:07.237Z",
        "expired": True,
        "multiple": True,
        "votes_count": 3,
        "voters_count": 3,
        "options": [
            {"title": "four twenty", "votes_count": 2},
            {"title": "sixty-nine", "votes_count": None},
        ],
        "emojis": [],
    }
    status = mastodon.post(mastodon.account("ada"), poll=poll)
    post = (await unroll(mastodon, http, status)).posts[0]
    assert post.poll == Poll(
        options=(PollOption("four twenty", 2), PollOption("sixty-nine", None)),
        total_votes=3,
        ends_at=datetime.fromisoformat("2026-08-01T13:58:07.237Z"),
        closed=True,
    )


async def test_edited_post_shows_current_content(mastodon: FakeMastodon, http: HttpClient) -> None:
    status = mastodon.post(
        mastodon.account("ada"), "<p>fixed typo</p>", edited_at="2026-08-01T14:00:00.000Z"
    )
    post = (await unroll(mastodon, http, status)).posts[0]
    assert post.plain_text == "fixed typo"


@pytest.mark.parametrize("body", [{"error": "Record not found"}, {"error": "Not Found"}])
async def test_missing_status_is_unavailable(
    mastodon: FakeMastodon, http: HttpClient, body: dict[str, str]
) -> None:
    mastodon.not_found_body = body
    with pytest.raises(PostUnavailableError) as caught:
        await unroll(mastodon, http, {"id": "404404"})
    assert type(caught.value) is PostUnavailableError


async def test_gone_status_is_unavailable(mastodon: FakeMastodon, http: HttpClient) -> None:
    status = mastodon.build_thread(1)[0]
    mastodon.gone.add(status["id"])
    with pytest.raises(PostUnavailableError):
        await unroll(mastodon, http, status)


async def test_login_required_is_private(mastodon: FakeMastodon, http: HttpClient) -> None:
    status = mastodon.build_thread(1)[0]
    mastodon.require_login = True
    with pytest.raises(PostPrivateError) as caught:
        await unroll(mastodon, http, status)
    assert caught.value.user_message().startswith(mastodon.host)


async def test_rate_limit_carries_reset(mastodon: FakeMastodon, http: HttpClient) -> None:
    status = mastodon.build_thread(1)[0]
    mastodon.rate_limited = True
    with pytest.raises(RateLimitedError) as caught:
        await unroll(mastodon, http, status)
    assert caught.value.retry_after is not None
    assert (caught.value.platform, 0 < caught.value.retry_after <= 300) == ("mastodon", True)


async def test_html_answer_is_source_error(mastodon: FakeMastodon, http: HttpClient) -> None:
    mastodon.not_mastodon = True
    with pytest.raises(SourceError, match="does not look like a Mastodon server"):
        await unroll(mastodon, http, {"id": "1"})


async def test_loopback_instance_blocked_when_private_hosts_not_allowed() -> None:
    http = HttpClient(allow_private_hosts=False)
    try:
        with pytest.raises(BlockedHostError):
            await fetch_thread(
                ThreadKey(Platform.MASTODON, "127.0.0.1", "1"), http=http, config=SourceConfig()
            )
    finally:
        await http.aclose()


@pytest.mark.parametrize(
    ("host", "allow_private_hosts", "expected"),
    [
        ("mastodon.social", False, "https://mastodon.social"),
        ("mastodon.social", True, "https://mastodon.social"),
        ("127.0.0.1:8080", True, "http://127.0.0.1:8080"),
        ("127.0.0.1:8080", False, "https://127.0.0.1:8080"),
        ("localhost", True, "http://localhost"),
        ("10.0.0.5", True, "http://10.0.0.5"),
        ("social.lan:3000", True, "http://social.lan:3000"),
    ],
)
def test_base_url_scheme(host: str, allow_private_hosts: bool, expected: str) -> None:
    assert base_url(host, allow_private_hosts=allow_private_hosts) == expected


async def test_a_thread_grown_by_its_author_is_fetched_whole(
    mastodon: FakeMastodon, http: HttpClient
) -> None:
    """The fake grows a thread while the bot runs, as following needs."""
    chain = mastodon.build_thread(2)
    mastodon.append_self_reply(chain, "<p>One more thing.</p>")
    thread = await unroll(mastodon, http, chain[0])
    assert (ids(thread), len(chain)) == ([status["id"] for status in chain], 3)


@pytest.mark.parametrize("max_requests", [3, 5])
async def test_walk_down_that_spends_the_budget_gives_the_thread_cut_short(
    mastodon: FakeMastodon, http: HttpClient, max_requests: int
) -> None:
    """Past the first answers a spent budget cuts the thread, and says so, instead of failing."""
    chain = mastodon.build_thread(150)
    config = SourceConfig(allow_private_hosts=True, max_requests=max_requests)
    thread = await unroll(mastodon, http, chain[0], config)
    assert (
        ids(thread) == [status["id"] for status in chain[: len(thread.posts)]],
        20 <= len(thread.posts) < 150,
        thread.report.complete,
        thread.report.note,
    ) == (True, True, False, CUT_SHORT_NOTE)
