"""Model-level sample threads for renderer and cleaning tests (no platform JSON involved)."""

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

AUTHOR = Author(handle="ada", name="Ada <Lovelace> & Co", url="https://x.com/ada")
START = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


def text(value: str) -> Segment:
    return Segment(SegmentKind.TEXT, value)


def link(visible: str, url: str) -> Segment:
    return Segment(SegmentKind.LINK, visible, url)


def post(index: int, *segments: Segment, **extra: object) -> Post:
    """A post of the sample thread; `extra` sets media, quote, card, poll, and so on."""
    return Post(
        id=str(1000 + index),
        url=f"https://x.com/ada/status/{1000 + index}",
        created_at=START + timedelta(minutes=index),
        text=segments or (text(f"Post number {index} says something worth reading."),),
        **extra,  # type: ignore[arg-type]
    )


def thread(*posts: Post, report: Report | None = None) -> Thread:
    """Wrap posts into a Thread by the sample author."""
    return Thread(
        key=ThreadKey(Platform.X, "x.com", posts[0].id),
        source=Platform.X,
        url=posts[0].url,
        author=AUTHOR,
        posts=posts,
        report=report or Report(posts=len(posts)),
    )


def rich_thread() -> Thread:
    """A short thread with every kind of content a renderer must show."""
    return thread(
        post(
            0,
            text("Why <b>tags</b> & entities matter 🧵 — see "),
            link("example.com/a…", "https://example.com/a?x=1&y=2"),
            text(" and "),
            Segment(SegmentKind.MENTION, "@bob", "https://x.com/bob"),
            text(" "),
            Segment(SegmentKind.HASHTAG, "#python", "https://x.com/hashtag/python"),
            media=(Media(MediaType.PHOTO, "https://img.example/1.jpg", alt="A chart"),),
        ),
        post(
            1,
            text("Second post ends mid"),
            joins_next=True,
        ),
        post(2, text("sentence and goes on here. Привет, 世界!")),
        post(
            3,
            text("A quote and a poll:"),
            quote=Quote(
                url="https://x.com/bob/status/1",
                author=Author("bob", "Bob", "https://x.com/bob"),
                text=(text("Quoted words."),),
            ),
            poll=Poll(options=(PollOption("Yes", 3), PollOption("No", 1)), total_votes=4),
            gap_before=1,
        ),
        post(
            4,
            text("A card and a video."),
            card=LinkCard("https://news.example/story", "A story", "What happened"),
            media=(
                Media(
                    MediaType.VIDEO,
                    "https://video.example/v.mp4",
                    thumbnail_url="https://img.example/t.jpg",
                ),
            ),
            quote=Quote(url=None, unavailable=True),
        ),
        report=Report(posts=5, deleted=1, skipped_other_authors=2),
    )


ARABIC_LINK_TEXT = "this English review"


def arabic_thread() -> Thread:
    """An Arabic thread (language "ar"): a short post, one holding an English link, a quote."""
    quoted = Author(handle="layla", name="ليلى", url="https://x.com/layla")
    return thread(
        post(0, text("هذا خيط قصير عن الكتب."), language="ar"),
        post(
            1,
            text("اقرأ "),
            link(ARABIC_LINK_TEXT, "https://books.example/review"),
            text(" ثم عد."),
            language="ar",
        ),
        post(
            2,
            text("وهذا ما قالته ليلى:"),
            quote=Quote(
                url="https://x.com/layla/status/7",
                author=quoted,
                text=(text("الكتب أصدقاء لا يخونون."),),
            ),
            language="ar",
        ),
    )


def long_thread(n_posts: int = 100, words_per_post: int = 45) -> Thread:
    """A long plain thread, for chunking, page splitting and benchmarks."""
    body = " ".join(f"word{i}" for i in range(words_per_post))
    return thread(*(post(i, text(f"{body}. Sentence {i} ends here.")) for i in range(n_posts)))


def hostile_thread(url: str, words: str = "<script>alert(1)</script>") -> Thread:
    """A thread with `url` in every URL field of the model and `words` in every text field.

    For the defence tests: whatever the renderer, none of these URLs may become a link or an
    image unless it is a web URL, and none of the words may become markup.
    """
    author = Author(handle=f"h{words}", name=f"n{words}", url=url)
    segments = (
        text(f"{words} "),
        link(f"link {words}", url),
        Segment(SegmentKind.MENTION, f"@m{words}", url),
        Segment(SegmentKind.HASHTAG, f"#t{words}", url),
    )
    media = (
        Media(MediaType.PHOTO, url, alt=f"photo {words}"),
        Media(MediaType.VIDEO, url, alt=f"video {words}", thumbnail_url=url),
    )
    first = Post(
        id="1",
        url=url,
        created_at=START,
        text=segments,
        media=media,
        quote=Quote(url=url, author=author, text=segments, media=media),
        card=LinkCard(url=url, title=f"card {words}", description=words, image_url=url),
        poll=Poll((PollOption(f"yes {words}"),)),
    )
    second = Post(
        id="2",
        url=url,
        created_at=START + timedelta(minutes=1),
        text=segments,
        media=(Media(MediaType.GIF, "https://img.example/g.mp4", thumbnail_url=url),),
        content_warning=f"cw {words}",
    )
    return Thread(
        key=ThreadKey(Platform.X, "x.com", "1"),
        source=Platform.X,
        url=url,
        author=author,
        posts=(first, second),
        report=Report(posts=2, complete=False, note=words),
    )
