"""The codec carries threads, requests and failures between processes without loss."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

import orjson
import pytest

from bot import errors
from bot.cleaning import ReadingMode
from bot.codec import (
    decode,
    decode_request,
    decode_result,
    decode_result_and_shown,
    encode,
    encode_result,
    with_shown,
)
from bot.follow.records import Follower
from bot.model import Thread, ThreadKey
from bot.presentation import Rendered, present
from bot.request import Answer, Destination, OutputPreference, UnrollRequest
from tests.samples import long_thread, rich_thread


@pytest.mark.parametrize("thread", [rich_thread(), long_thread(3)], ids=["rich", "plain"])
def test_thread_survives_a_round_trip(thread: Thread) -> None:
    assert decode(Thread, encode(thread)) == thread


def test_request_survives_a_round_trip() -> None:
    request = UnrollRequest(
        request_id="abc",
        key=ThreadKey.parse("x:x.com:1"),
        answer=Answer.EDIT_INLINE,
        user_id=7,
        destination=Destination.INLINE,
        inline_message_id="AAQ",
        reading_mode=ReadingMode.ORIGINAL,
        output=OutputPreference.PAGE,
        previous_posts=3,
    )
    assert decode(UnrollRequest, encode(request)) == request


def test_result_of_a_thread_decodes_to_the_thread() -> None:
    thread = rich_thread()
    assert decode_result(encode_result(thread)) == thread


@pytest.mark.parametrize(
    "error",
    [
        errors.PostUnavailableError("gone", platform="x"),
        errors.PostPrivateError("login", platform="mastodon", host="example.social"),
        errors.RateLimitedError("429", retry_after=12.0, platform="bluesky"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_result_of_a_failure_keeps_its_type_and_sentence(error: errors.UnrollError) -> None:
    decoded = decode_result(encode_result(error))
    assert isinstance(decoded, errors.UnrollError)
    assert (type(decoded), decoded.user_message()) == (type(error), error.user_message())


def test_thread_keeps_an_offset_with_seconds() -> None:
    """Historic time zones have offsets like +00:17:30; orjson's own datetime form drops them."""
    thread = long_thread(1)
    created_at = thread.posts[0].created_at.astimezone(timezone(timedelta(minutes=17, seconds=30)))
    thread = replace(thread, posts=(replace(thread.posts[0], created_at=created_at),))
    decoded = decode(Thread, encode(thread))
    assert decoded.posts[0].created_at.utcoffset() == created_at.utcoffset()


def test_request_queued_before_requests_were_typed_still_decodes() -> None:
    """A bot updated over a non-empty queue must answer what the old version queued."""
    old = (
        b'{"request_id":"abc","key":"mastodon:social.example:110","answer":"edit_placeholder",'
        b'"user_id":7,"chat_id":-5,"chat_type":"supergroup","message_id":9,'
        b'"reading_mode":"original","output":"page"}'
    )
    assert decode_request(old) == UnrollRequest(
        request_id="abc",
        key=ThreadKey.parse("mastodon:social.example:110"),
        answer=Answer.EDIT_PLACEHOLDER,
        user_id=7,
        destination=Destination.GROUP,
        chat_id=-5,
        message_id=9,
        reading_mode=ReadingMode.ORIGINAL,
        output=OutputPreference.PAGE,
    )


def test_request_queued_before_languages_is_answered_in_english() -> None:
    """A request encoded before `language` existed still decodes, and speaks English."""
    old = (
        b'{"request_id":"abc","key":{"platform":"x","host":"x.com","post_id":"1"},'
        b'"answer":"edit_placeholder","user_id":7,"destination":"group","chat_id":-5}'
    )
    assert decode_request(old).language == "en"


def test_request_keeps_its_language_across_the_queue() -> None:
    request = UnrollRequest(
        request_id="abc", key=ThreadKey.parse("x:x.com:1"), answer=Answer.REPLY, user_id=7,
        language="pt_BR",
    )  # fmt: skip
    assert decode_request(encode(request)).language == "pt_BR"


def test_follow_recorded_before_languages_updates_in_english() -> None:
    """Follow records written before `language` existed keep working, in English."""
    old = b'{"user_id":7,"destination":"private","chat_id":7,"message_id":3}'
    assert decode(Follower, old).language == "en"


@pytest.mark.parametrize("kind", ["sticker", 7, ["text"]])
def test_an_unknown_kind_is_a_value_error_as_callers_expect(kind: object) -> None:
    """Readers of the queue and the archive skip what fails with ValueError (among others):
    a value written by a newer bot, or garbage, must fail that way and no other."""
    plain = orjson.loads(encode_result(rich_thread()))
    plain["thread"]["posts"][0]["text"][0]["kind"] = kind
    with pytest.raises(ValueError, match="is not a valid SegmentKind"):
        decode_result(orjson.dumps(plain))


def test_a_result_carries_what_was_shown_and_plain_decoding_leaves_it_out() -> None:
    thread = rich_thread()
    shown = present(thread).rendered()
    joined = with_shown(encode_result(thread), shown)
    assert (decode_result_and_shown(joined, Rendered), decode_result(joined)) == (
        (thread, shown),
        thread,
    )


def test_a_failure_cannot_carry_what_was_shown() -> None:
    failure = encode_result(errors.PostUnavailableError("gone", platform="x", host="x.com"))
    with pytest.raises(ValueError, match="only a thread"):
        with_shown(failure, present(rich_thread()).rendered())


def test_a_result_without_a_readable_rendering_shows_none() -> None:
    """Written before renderings were kept, or by a bot whose rendering no longer reads."""
    thread = rich_thread()
    plain = orjson.loads(with_shown(encode_result(thread), present(thread).rendered()))
    plain["shown"]["rich"] = "not a message"
    results = [encode_result(thread), orjson.dumps(plain)]
    assert [decode_result_and_shown(data, Rendered) for data in results] == [(thread, None)] * 2
