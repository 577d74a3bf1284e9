from __future__ import annotations

from dataclasses import replace

from bot import errors
from bot.answering.recent_threads import RecentThreads
from bot.codec import encode_result, with_shown
from bot.presentation import present
from tests.samples import long_thread, rich_thread


def test_the_same_bytes_give_the_same_thread() -> None:
    """Copies of the bytes, as each read from Redis brings: still the one object."""
    cached = encode_result(rich_thread())
    recent = RecentThreads()
    first = recent.decoded(bytes(bytearray(cached)))
    assert (recent.decoded(bytes(bytearray(cached))) is first, first) == (True, rich_thread())


def test_a_new_fetch_gives_a_new_thread() -> None:
    """Another result for the same key (a refresh) must not get the old object."""
    thread = rich_thread()
    recent = RecentThreads()
    old = recent.decoded(encode_result(thread))
    new = recent.decoded(encode_result(replace(thread, posts=thread.posts[:1])))
    assert (new is old, new) == (False, replace(thread, posts=thread.posts[:1]))


def test_failures_are_decoded_afresh() -> None:
    cached = encode_result(errors.PostUnavailableError("gone", platform="x", host="x.com"))
    recent = RecentThreads()
    first = recent.decoded(cached)
    again = recent.decoded(cached)
    assert (type(first), type(again), again is first) == (
        errors.PostUnavailableError,
        errors.PostUnavailableError,
        False,
    )


def test_the_least_recently_asked_goes_first() -> None:
    recent = RecentThreads(size=2)
    a, b, c = (encode_result(t) for t in (rich_thread(), long_thread(), long_thread(3)))
    kept_a, kept_b = recent.decoded(a), recent.decoded(b)
    recent.decoded(a)  # a is the most recent now, so c pushes b out
    recent.decoded(c)
    assert (recent.decoded(a) is kept_a, recent.decoded(b) is kept_b) == (True, False)


def test_the_rendering_kept_with_a_result_is_handed_on_once() -> None:
    thread = rich_thread()
    rendered = present(thread).rendered()
    handed: list[tuple[object, object]] = []
    recent = RecentThreads(on_rendered=lambda *given: handed.append(given))
    cached = with_shown(encode_result(thread), rendered)
    first = recent.decoded(cached)
    recent.decoded(cached)
    assert handed == [(first, rendered)]
