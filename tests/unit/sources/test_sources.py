"""`finish_thread`: the one place every platform's thread is deduplicated, capped, judged and
stamped."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.model import Author, Platform, Post, Report, Segment, SegmentKind, Thread, ThreadKey
from bot.sources import cap_note, finish_thread

KEY = ThreadKey(Platform.MASTODON, "social.example", "1")
WHEN = datetime(2025, 3, 16, tzinfo=UTC)


def _thread(ids: list[str]) -> Thread:
    posts = tuple(
        Post(id=i, url=f"https://social.example/@ada/{i}", created_at=WHEN, text=()) for i in ids
    )
    return Thread(
        key=KEY,
        source=Platform.MASTODON,
        url=posts[0].url,
        author=Author("ada@social.example", "Ada", "https://social.example/@ada"),
        posts=posts,
        report=Report(posts=len(posts)),
    )


def test_repeated_posts_dropped_keeping_the_first() -> None:
    finished = finish_thread(_thread(["1", "2", "1", "2", "3"]), max_posts=500)
    assert ([p.id for p in finished.posts], finished.report) == (["1", "2", "3"], Report(posts=3))


def test_thread_cut_at_the_cap_after_dropping_repeats() -> None:
    finished = finish_thread(_thread(["1", "1", "2", "3", "4"]), max_posts=3)
    assert ([p.id for p in finished.posts], finished.report) == (
        ["1", "2", "3"],
        Report(posts=3, complete=False, note=cap_note(3)),
    )


def test_thread_kept_whole_at_exactly_the_cap() -> None:
    finished = finish_thread(_thread(["1", "2", "3"]), max_posts=3)
    assert finished.report == Report(posts=3)


def test_fetched_at_stamped() -> None:
    assert finish_thread(_thread(["1"]), max_posts=3).fetched_at is not None


def test_every_thread_leaves_the_sources_safe_to_show() -> None:
    """A link facet may carry any URI; only web links leave the sources as links."""
    hostile = Post(
        id="1",
        url="https://social.example/@ada/1",
        created_at=WHEN,
        text=(Segment(SegmentKind.LINK, "click", "javascript:alert(1)"),),
    )
    thread = replace(_thread(["1"]), posts=(hostile,), author=Author("ada", "A\u202eda", ""))
    finished = finish_thread(thread, max_posts=500)
    assert (finished.posts[0].text, finished.author.name) == (
        (Segment(SegmentKind.TEXT, "click"),),
        "Ada",
    )


def test_thread_with_other_branches_never_complete() -> None:
    forked = replace(
        _thread(["1", "2"]),
        report=Report(
            posts=2, other_branch_posts=1, other_branch_url="https://social.example/@ada/9"
        ),
    )
    assert finish_thread(forked, max_posts=500).report.complete is False


def test_unsafe_other_branch_url_dropped() -> None:
    forked = replace(
        _thread(["1"]),
        report=Report(posts=1, other_branch_posts=1, other_branch_url="javascript:alert(1)"),
    )
    assert finish_thread(forked, max_posts=500).report.other_branch_url is None
