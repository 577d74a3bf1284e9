"""X API v2 post objects read into the model (pure parsing, no server)."""

from __future__ import annotations

from bot.model import Media, MediaType
from bot.sources.json_reader import JsonObject
from bot.sources.x_api_posts import Includes, read_post

POST = {
    "id": "20",
    "text": "A clip",
    "author_id": "1",
    "created_at": "2025-03-03T09:30:00.000Z",
    "attachments": {"media_keys": ["7_1"]},
}


def includes_with(media: dict[str, object]) -> Includes:
    includes = Includes()
    answer = {
        "includes": {"users": [{"id": "1", "username": "ada", "name": "Ada"}], "media": [media]}
    }
    includes.merge(JsonObject.of(answer, "x"))
    return includes


def test_video_without_an_mp4_falls_back_to_its_still_instead_of_failing() -> None:
    """A stream-only or still-processing video must not fail the whole thread."""
    video = {
        "media_key": "7_1",
        "type": "video",
        "preview_image_url": "https://pbs.twimg.com/still.jpg",
        "variants": [{"content_type": "application/x-mpegURL", "url": "https://v/x.m3u8"}],
    }
    post = read_post(JsonObject.of(POST, "x"), includes_with(video), gap_before=0)
    assert post.media == (
        Media(
            MediaType.VIDEO,
            "https://pbs.twimg.com/still.jpg",
            thumbnail_url="https://pbs.twimg.com/still.jpg",
        ),
    )
