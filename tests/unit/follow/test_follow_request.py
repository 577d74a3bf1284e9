"""A followed answer's update speaks the language the follow was made in."""

from __future__ import annotations

from bot.follow.changes import Change
from bot.follow.checks import follow_request
from bot.follow.records import Follower
from bot.request import Destination
from tests.samples import long_thread


def test_update_request_keeps_the_followers_language() -> None:
    follower = Follower(
        user_id=7, destination=Destination.PRIVATE, chat_id=7, message_id=3, language="uk"
    )
    request = follow_request("check", long_thread(3), follower, Change(added=1, deleted=0))
    assert request.language == "uk"
