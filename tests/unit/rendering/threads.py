"""Realistic cleaned threads, as the X, Mastodon and Bluesky sources plus cleaning would hand them
to the renderers: each platform's habits (CW copied onto every reply, link facets with free text,
t.co links shown shortened, closed polls) written as model objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.model import (
    Author,
    LinkCard,
    Media,
    MediaType,
    Platform,
    Poll,
    PollOption,
    Post,
    Quote,
    Report,
    Segment,
    SegmentKind,
    Thread,
    ThreadKey,
)
from tests.samples import link, text


def _tag(name: str, url: str) -> Segment:
    return Segment(SegmentKind.HASHTAG, f"#{name}", url)


def _mention(visible: str, url: str) -> Segment:
    return Segment(SegmentKind.MENTION, visible, url)


def mastodon_thread() -> Thread:
    """Three English toots behind the same CW, with hashtags, a mention, paragraphs and an alt
    text."""
    kim = Author("kim@hachyderm.io", "Kim 🌻", "https://hachyderm.io/@kim")
    start = datetime(2025, 1, 14, 20, 5, tzinfo=UTC)
    warning = "burnout, mental health"

    def toot(index: int, *segments: Segment, **extra: object) -> Post:
        return Post(
            id=str(113_800_000_000_000_000 + index),
            url=f"https://hachyderm.io/@kim/{113_800_000_000_000_000 + index}",
            created_at=start + timedelta(minutes=3 * index),
            text=segments,
            content_warning=warning,
            language="en",  # Mastodon names every status's language
            **extra,  # type: ignore[arg-type]
        )

    tag = "https://hachyderm.io/tags/"
    posts = (
        toot(
            0,
            text("A year ago I burned out. Here is what I learned, in no particular order.\n\n"),
            text("First: rest is not a reward. It is part of the work, and the work\n"),
            text("does not get done without it."),
        ),
        toot(
            1,
            text("Second: talk to someone early. "),
            _mention("@sam", "https://mastodon.social/@sam"),
            text(" pushed me to, and wrote about it here: "),
            link("blog.example.org/2024/12/on-bu…", "https://blog.example.org/2024/12/on-burnout"),
            text(" — it helped more than"),
            joins_next=True,
        ),
        toot(
            2,
            text("any productivity trick ever did.\n\n"),
            _tag("Burnout", f"{tag}burnout"),
            text(" "),
            _tag("MentalHealth", f"{tag}mentalhealth"),
            media=(
                Media(
                    MediaType.PHOTO,
                    "https://media.hachyderm.io/media/walk.jpg",
                    alt="A forest path in autumn.\nLeaves cover the ground.",
                    width=1600,
                    height=1200,
                ),
            ),
        ),
    )
    return Thread(
        key=ThreadKey(Platform.MASTODON, "hachyderm.io", posts[0].id),
        source=Platform.MASTODON,
        url=posts[0].url,
        author=kim,
        posts=posts,
        report=Report(posts=3, skipped_other_authors=1),
    )


def bluesky_thread() -> Thread:
    """A quote with an image, an external card, a free-text link facet and Markdown look-alikes."""
    river = Author("river.bsky.social", "River_Song", "https://bsky.app/profile/river.bsky.social")
    start = datetime(2025, 2, 1, 7, 45, 30, tzinfo=UTC)
    profile = "https://bsky.app/profile/did:plc:riverriverriver/post/"

    def skeet(rkey: str, minute: int, *segments: Segment, **extra: object) -> Post:
        return Post(
            id=f"did:plc:riverriverriver/{rkey}",
            url=f"{profile}{rkey}",
            created_at=start + timedelta(minutes=minute),
            text=segments,
            **extra,  # type: ignore[arg-type]
        )

    ada = Author("ada.bsky.social", "Ada", "https://bsky.app/profile/ada.bsky.social")
    posts = (
        skeet(
            "3lh2aaaaaaa2a",
            0,
            text("New results on sparse attention are out, and they are *not* what we expected. "),
            link("this paper", "https://arxiv.org/abs/2501.01234"),
            text(" shows why."),
            quote=Quote(
                url="https://bsky.app/profile/ada.bsky.social/post/3lgzzzzzzzz2z",
                author=ada,
                text=(text("Our preprint is up! Figure 2 is the one to look at."),),
                media=(Media(MediaType.PHOTO, "https://cdn.bsky.app/img/fig2.jpg", alt="Fig. 2"),),
                created_at=start - timedelta(days=1),
            ),
        ),
        skeet(
            "3lh2aaaaaaa3b",
            2,
            text(
                "# Not a heading\n1. not a list either\n- nor this\nUse `top_k=8` and [brackets] "
            ),
            text("as written; a_b_c and 2 < 3 & 4 > 1."),
            gap_before=2,
        ),
        skeet(
            "3lh2aaaaaaa4c",
            4,
            text("Longer write-up on my blog:"),
            card=LinkCard(
                "https://river.example.net/sparse-attention",
                "Sparse attention, revisited",
                "What the new benchmarks say about top-k routing.",
                image_url="https://cdn.bsky.app/img/card.jpg",
            ),
        ),
    )
    return Thread(
        key=ThreadKey(Platform.BLUESKY, "bsky.app", "river.bsky.social/3lh2aaaaaaa2a"),
        source=Platform.BLUESKY,
        url=posts[0].url,
        author=river,
        posts=posts,
        report=Report(posts=3, deleted=2),
    )


def x_thread() -> Thread:
    """A closed poll, a GIF and photos, a shortened link, HTML in text, an incomplete chain."""
    jack = Author("jack_dev", "Jack & the <Devs>", "https://x.com/jack_dev")
    start = datetime(2024, 11, 30, 23, 58, tzinfo=UTC)

    def tweet(index: int, *segments: Segment, **extra: object) -> Post:
        status = 1_862_000_000_000_000_000 + index
        return Post(
            id=str(status),
            url=f"https://x.com/jack_dev/status/{status}",
            created_at=start + timedelta(minutes=index),
            text=segments,
            **extra,  # type: ignore[arg-type]
        )

    posts = (
        tweet(
            0,
            text("Which config format do you use for new projects? Results in the next post."),
            poll=Poll(
                options=(
                    PollOption("TOML", 412),
                    PollOption("YAML", 301),
                    PollOption("JSON", 97),
                    PollOption("<none>", 0),
                ),
                total_votes=810,
                ends_at=datetime(2024, 12, 1, 23, 58, tzinfo=UTC),
                closed=True,
            ),
        ),
        tweet(
            1,
            text("TOML wins. The parser I use: "),
            link("github.com/hukkin/tomli…", "https://github.com/hukkin/tomli?tab=readme-ov-file"),
            text(' and yes, <script>alert("x")</script> is valid TOML string content.'),
            media=(
                Media(MediaType.PHOTO, "https://pbs.twimg.com/media/a.jpg", alt="Bar chart"),
                Media(MediaType.PHOTO, "https://pbs.twimg.com/media/b.jpg"),
                Media(
                    MediaType.GIF,
                    "https://video.twimg.com/tweet_video/c.mp4",
                    alt="Cat typing",
                    thumbnail_url="https://pbs.twimg.com/tweet_video_thumb/c.jpg",
                ),
            ),
        ),
    )
    return Thread(
        key=ThreadKey(Platform.X, "x.com", posts[0].id),
        source=Platform.X,
        url=posts[0].url,
        author=jack,
        posts=posts,
        report=Report(
            posts=2,
            skipped_other_authors=3,
            complete=False,
            note="X showed only part of this thread; it may go on",
        ),
    )
