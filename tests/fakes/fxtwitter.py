"""A fake FxTwitter (`api.fxtwitter.com`) on FakeServer, and the X threads it serves.

`build_thread` makes a realistic X thread as plain records (`FakeTweet`): numbering, emoji and
non-Latin text around links, mentions, hashtags, a photo with alt text, a video, a GIF, a quote,
a poll, a link card and a long post. `FakeFxTwitter` serves those records in FxTwitter's v2
envelope; tests/fakes/x_api.py serves the same records in X API
v2's shape. Each tweet also knows the text a reader should see (`shown`), built alongside the
raw text, so tests check the offset arithmetic against an independent answer.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeServer, hold

X_WEB = "https://x.com"
USER_AGENT_REFUSAL = (
    "You must identify yourself with a User-Agent header in order to use the FxTwitter API. "
    "We recommend using a descriptive User-Agent header to identify your app, such as "
    "'MyAwesomeBot/1.0 (+http://example.com/myawesomebot)'. We don't track or save what kinds "
    "of data you are pulling, but you may be blocked if you send too many requests from an "
    "unidentifiable user agent."
)
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ids = itertools.count(1_890_000_000_000_000_000, 1000)


def next_id() -> str:
    """Return a fresh snowflake-like id, unique across the test session."""
    return str(next(_ids))


@dataclass(frozen=True)
class FakeUser:
    """An X account."""

    id: str
    handle: str
    name: str
    protected: bool = False


ADA = FakeUser("1029169938588680193", "ada_lovelace", "Ada Lovelace 🧮")
BOB = FakeUser("2244994945", "bob", "Bob Бобров")
CAROL = FakeUser("783214", "carol", "Carol")


@dataclass(frozen=True)
class FakeEntity:
    """An entity at code-point offsets into the plain (unescaped) text."""

    kind: str  # url | mention | hashtag | media
    start: int
    end: int
    original: str  # the t.co link, the handle or the tag
    target: str = ""  # where a link or media placeholder really points
    display: str = ""


@dataclass(frozen=True)
class FakeMedia:
    """A photo, video or GIF; `variants` are (url, bitrate) MP4s, best last."""

    kind: str  # photo | video | gif
    id: str
    url: str
    alt: str = ""
    thumbnail_url: str | None = None
    variants: tuple[tuple[str, int], ...] = ()
    width: int = 1280
    height: int = 720


@dataclass(frozen=True)
class FakePoll:
    """A poll: (label, votes) choices and its end."""

    choices: tuple[tuple[str, int], ...]
    ends_at: datetime


@dataclass(frozen=True)
class FakeCard:
    """A link preview."""

    url: str
    title: str
    description: str
    image_url: str


@dataclass
class FakeTweet:
    """One X post as the fakes store it; `text` is plain (unescaped) and starts with any reply
    mentions, `display` is the shown range, and `shown` is what a reader should see."""

    id: str
    author: FakeUser
    text: str
    entities: list[FakeEntity]
    display: tuple[int, int]
    shown: str
    created_at: datetime
    conversation_id: str
    reply_to: FakeTweet | None = None
    media: tuple[FakeMedia, ...] = ()
    quote: FakeTweet | None = None
    poll: FakePoll | None = None
    card: FakeCard | None = None
    long: bool = False
    deleted: bool = False

    @property
    def url(self) -> str:
        return f"{X_WEB}/{self.author.handle}/status/{self.id}"


class TextBuilder:
    """Build post text piece by piece, recording entity offsets and the shown text."""

    def __init__(self) -> None:
        self.text = ""
        self.shown = ""
        self.entities: list[FakeEntity] = []
        self.display_start = 0

    def plain(self, value: str) -> TextBuilder:
        self.text += value
        self.shown += value
        return self

    def link(self, target: str, display: str) -> TextBuilder:
        original = f"https://t.co/{next_id()[-10:]}"
        self._entity("url", original, original, target=target, display=display)
        self.shown += display
        return self

    def mention(self, handle: str) -> TextBuilder:
        self._entity("mention", f"@{handle}", handle)
        self.shown += f"@{handle}"
        return self

    def hashtag(self, tag: str) -> TextBuilder:
        self._entity("hashtag", f"#{tag}", tag)
        self.shown += f"#{tag}"
        return self

    def reply_mention(self, handle: str) -> TextBuilder:
        """Add the leading "@handle " X puts before a reply to someone else (not shown)."""
        self._entity("mention", f"@{handle}", handle)
        self.text += " "
        self.display_start = len(self.text)
        return self

    def _entity(self, kind: str, visible: str, original: str, **extra: str) -> None:
        start = len(self.text)  # len() of a str counts code points, as X's offsets do
        self.text += visible
        self.entities.append(FakeEntity(kind, start, len(self.text), original, **extra))


def _body(builder: TextBuilder, index: int, author: FakeUser) -> None:
    """Write the text of post `index`: numbering, then one of five realistic styles."""
    builder.plain(f"{index + 1}/ ")
    style = index % 5
    if style == 0:
        builder.plain("Привет, мир 🌍🚀 — see ")
        builder.link("https://example.com/статья?id=7", "example.com/статья?id=7")
        builder.plain(" and ").mention("bob").plain(" 👍🏽 ").hashtag("тест").plain(" ok")
    elif style == 1:
        builder.plain("日本語のテキスト 😀 ").link(
            "https://docs.python.org/3/", "docs.python.org/3/"
        )
        builder.plain(" 終わり")
    elif style == 2:
        builder.plain("Fish & chips <b>not bold</b> 👨‍👩‍👧 ").hashtag("food").plain(" &amp; more")
    elif style == 3:
        builder.plain("First line\nSecond line\n\nNew paragraph by ").mention(author.handle)
    else:
        builder.plain("العربية 🧵 مرحبا ").link("https://ex.org/a", "ex.org/a").plain(".")


def _photo(index: int) -> FakeMedia:
    return FakeMedia(
        "photo",
        next_id(),
        f"https://pbs.twimg.com/media/Photo{index}.jpg?name=orig",
        alt="A chart of 🚀 launches per year",
        width=4096,
        height=2304,
    )


def _video(kind: str) -> FakeMedia:
    media_id = next_id()
    base = f"https://video.twimg.com/ext_tw_video/{media_id}/pu/vid/avc1"
    return FakeMedia(
        kind,
        media_id,
        f"{base}/480x270/mid.mp4",
        thumbnail_url=f"https://pbs.twimg.com/ext_tw_video_thumb/{media_id}/pu/img/t.jpg",
        variants=((f"{base}/320x180/low.mp4", 256_000), (f"{base}/1280x720/best.mp4", 2_176_000)),
    )


@dataclass
class FakeThread:
    """A built thread: every record the fakes need, and the author's chain in order."""

    author: FakeUser
    chain: list[FakeTweet]
    others: list[FakeTweet] = field(default_factory=list)
    branch: list[FakeTweet] = field(default_factory=list)  # the author's later second branch

    @property
    def tweets(self) -> list[FakeTweet]:
        return self.others + self.chain + self.branch

    @property
    def visible(self) -> list[FakeTweet]:
        """The chain without its deleted posts: what an unroll should return."""
        return [tweet for tweet in self.chain if not tweet.deleted]

    @property
    def visible_ids(self) -> list[str]:
        return [tweet.id for tweet in self.visible]


def build_thread(
    n_posts: int,
    *,
    author: FakeUser = ADA,
    started_at: datetime | None = None,
    replies_to_other: bool = False,
    deleted: Iterable[int] = (),
    rich: bool = True,
) -> FakeThread:
    """Build an X thread of `n_posts` posts by `author`, one minute apart.

    `replies_to_other` puts a post by BOB above the first one (the thread answers him);
    `deleted` lists chain positions whose posts are gone. With `rich`, the early posts carry a
    photo with alt text, a video, a quote, a poll, a link card, a GIF, a long post and a quote
    of a deleted post, in that order.
    """
    start = started_at or datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    others: list[FakeTweet] = []
    parent: FakeTweet | None = None
    conversation_id = next_id()
    if replies_to_other:
        parent = _plain_tweet(BOB, "Какой ваш любимый язык? 🤔", start - timedelta(hours=1))
        parent.id = parent.conversation_id = conversation_id
        others.append(parent)
    chain: list[FakeTweet] = []
    gone = set(deleted)
    for index in range(n_posts):
        tweet = _chain_tweet(index, author, parent, conversation_id, start, rich, others)
        if not replies_to_other and index == 0:
            tweet.id = conversation_id
        tweet.deleted = index in gone
        chain.append(tweet)
        parent = tweet
    return FakeThread(author, chain, others)


def add_branch(thread: FakeThread, *, fork_at: int, n_posts: int) -> list[FakeTweet]:
    """Give the thread a second branch: `n_posts` posts by its author, an hour later, the first
    answering chain post `fork_at` (the author replied twice to it). Add the thread afterwards."""
    parent = thread.chain[fork_at]
    for index in range(n_posts):
        text = f"An aside, part {index + 1}"
        tweet = _plain_tweet(
            thread.author, text, parent.created_at + timedelta(hours=1, minutes=index)
        )
        tweet.conversation_id, tweet.reply_to = parent.conversation_id, parent
        thread.branch.append(tweet)
        parent = tweet
    return thread.branch


def _chain_tweet(
    index: int,
    author: FakeUser,
    parent: FakeTweet | None,
    conversation_id: str,
    start: datetime,
    rich: bool,
    others: list[FakeTweet],
) -> FakeTweet:
    builder = TextBuilder()
    if parent is not None and parent.author.id != author.id:
        builder.reply_mention(parent.author.handle)
    _body(builder, index, author)
    tweet = FakeTweet(
        id=next_id(),
        author=author,
        text=builder.text,
        entities=builder.entities,
        display=(builder.display_start, len(builder.text)),
        shown=builder.shown,
        created_at=start + timedelta(minutes=index),
        conversation_id=conversation_id,
        reply_to=parent,
    )
    if rich:
        _decorate(tweet, index, others)
    return tweet


def _decorate(tweet: FakeTweet, index: int, others: list[FakeTweet]) -> None:
    """Give post `index` its rich content (see `build_thread`)."""
    if index == 0:
        tweet.media = (_photo(index),)
    elif index == 1:
        tweet.media = (_video("video"),)
    elif index == 2:
        tweet.quote = _plain_tweet(CAROL, "Quoted wisdom: ship it 🚢", tweet.created_at)
        others.append(tweet.quote)
    elif index == 3:
        tweet.poll = FakePoll((("Python 🐍", 30), ("Rust", 12)), tweet.created_at)
    elif index == 4:
        tweet.card = FakeCard(
            "https://ex.org/a", "An article", "Its summary", "https://ex.org/a.jpg"
        )
    elif index == 5:
        tweet.media = (_video("gif"),)
    elif index == 6:
        _make_long(tweet)
    elif index == 7:
        tweet.quote = _plain_tweet(CAROL, "I will be deleted", tweet.created_at)
        tweet.quote.deleted = True
        others.append(tweet.quote)
    if tweet.media:
        _add_media_link(tweet)


def _make_long(tweet: FakeTweet) -> None:
    extra = " Long posts keep going past 280 characters — ещё текст, 更多文字 🧵." * 6
    tweet.text += extra
    tweet.shown += extra
    tweet.display = (tweet.display[0], len(tweet.text))
    tweet.long = True


def _add_media_link(tweet: FakeTweet) -> None:
    """Append X's media placeholder: a t.co link after the shown range."""
    original = f"https://t.co/m{tweet.id[-9:]}"
    start = len(tweet.text) + 1
    tweet.text += f" {original}"
    kind = "video" if tweet.media[0].kind != "photo" else "photo"
    target = f"{tweet.url}/{kind}/1"
    tweet.entities.append(
        FakeEntity("media", start, len(tweet.text), original, target, f"pic.x.com/{original[13:]}")
    )


def _plain_tweet(author: FakeUser, text: str, created_at: datetime) -> FakeTweet:
    tweet_id = next_id()
    return FakeTweet(
        id=tweet_id,
        author=author,
        text=text,
        entities=[],
        display=(0, len(text)),
        shown=text,
        created_at=created_at,
        conversation_id=tweet_id,
    )


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` as X does in post text."""
    return "".join(_ESCAPES.get(char, char) for char in text)


def escaped_offset(text: str, offset: int) -> int:
    """Map a code-point offset in plain `text` to the same place in `escape(text)`."""
    return offset + sum(len(_ESCAPES[char]) - 1 for char in text[:offset] if char in _ESCAPES)


class XStore:
    """Every fake X post by id, shared by the fakes' routes."""

    def __init__(self) -> None:
        self.tweets: dict[str, FakeTweet] = {}

    def add(self, thread: FakeThread) -> FakeThread:
        for tweet in thread.tweets:
            self.tweets[tweet.id] = tweet
        return thread

    def ancestors(self, tweet: FakeTweet) -> list[FakeTweet]:
        """Return every post above `tweet`, any author, root first."""
        above: list[FakeTweet] = []
        while tweet.reply_to is not None:
            tweet = tweet.reply_to
            above.insert(0, tweet)
        return above

    def descendants(self, tweet: FakeTweet) -> list[FakeTweet]:
        """Return the author's own replies below `tweet`, earliest branch first."""
        below: list[FakeTweet] = []
        while True:
            replies = [
                other
                for other in self.tweets.values()
                if other.reply_to is tweet and other.author.id == tweet.author.id
            ]
            if not replies:
                return below
            tweet = min(replies, key=lambda other: int(other.id))
            below.append(tweet)


_SNOWFLAKE = re.compile(r"^\d{2,20}$")


class FakeFxTwitter:
    """FxTwitter's `/2/status/{id}` and `/2/thread/{id}` over a real socket.

    Knobs: `thread_null` (answer `/2/thread` without the thread, as an instance without X
    credentials does), `retry_after_s` (429 with Retry-After; the real body is unverified, so a
    Cloudflare-style text body), `fail_status` (answer every request with it; with
    `fail_count`, only that many, then answer normally: a source that recovers),
    `offsets_in_escaped_text` (count facet offsets in the escaped text instead of the plain), and
    `delay_s` (hold every answer that long: a slow upstream, to catch a job mid-fetch).

    A request still held when `reset()` runs belongs to an earlier test: it is answered 503 at
    once, without reading or spending the knobs the next test set; so is one held at the
    server's stop.
    """

    def __init__(self, store: XStore | None = None) -> None:
        self.store = store or XStore()
        self._generation = 0
        self.server = FakeServer(
            [
                Route("/2/thread/{post_id}", self._thread),
                Route("/2/status/{post_id}", self._status),
            ],
            name="fxtwitter",
        )
        self.reset()

    def reset(self) -> None:
        """Turn every failure knob off and forget recorded requests."""
        self._generation += 1
        self.thread_null = False
        self.retry_after_s: int | None = None
        self.fail_status: int | None = None
        self.fail_count: int | None = None
        self.offsets_in_escaped_text = False
        self.delay_s = 0.0
        self.server.requests.clear()

    @property
    def url(self) -> str:
        return self.server.url

    def add(self, thread: FakeThread) -> FakeThread:
        return self.store.add(thread)

    def append_self_reply(self, thread: FakeThread, text: str) -> FakeTweet:
        """Let the author go on: a reply to the chain's last post, served from now on."""
        last = thread.chain[-1]
        tweet = _plain_tweet(thread.author, text, last.created_at + timedelta(minutes=1))
        tweet.conversation_id, tweet.reply_to = last.conversation_id, last
        thread.chain.append(tweet)
        self.store.tweets[tweet.id] = tweet
        return tweet

    async def _thread(self, request: Request) -> Response:
        return await self._held_answer(request, thread=True)

    async def _status(self, request: Request) -> Response:
        return await self._held_answer(request, thread=False)

    async def _held_answer(self, request: Request, *, thread: bool) -> Response:
        generation = self._generation

        def still_current() -> bool:
            return generation == self._generation and not self.server.stopping

        if not await hold(self.delay_s, still_current):
            return JSONResponse({"code": 503, "message": "earlier test"}, status_code=503)
        return self._answer(request, with_thread=thread and not self.thread_null)

    def _answer(self, request: Request, *, with_thread: bool) -> Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        focal = self.store.tweets.get(request.path_params["post_id"])
        if focal is None:
            return _envelope(404)
        if focal.author.protected:
            return _envelope(401)
        if focal.deleted:
            return _envelope(404, status=self._entry(focal))
        thread = None
        if with_thread:
            chain = [*self.store.ancestors(focal), focal, *self.store.descendants(focal)]
            thread = [self._entry(tweet) for tweet in chain]
        return _envelope(200, status=self._entry(focal), thread=thread, author=_user(focal.author))

    def _refusal(self, request: Request) -> Response | None:
        if not request.headers.get("user-agent"):
            return JSONResponse({"error": USER_AGENT_REFUSAL}, status_code=401)
        if self.retry_after_s is not None:
            headers = {"Retry-After": str(self.retry_after_s)}
            return PlainTextResponse("error code: 1015", status_code=429, headers=headers)
        if self.fail_status is not None and self.fail_count != 0:
            if self.fail_count is not None:
                self.fail_count -= 1
            return JSONResponse(
                {"code": self.fail_status, "message": "API_FAIL"}, self.fail_status
            )
        if not _SNOWFLAKE.match(request.path_params["post_id"]):
            message = "id: tweet ID must be a numeric snowflake"
            return JSONResponse({"code": 400, "message": message}, status_code=400)
        return None

    def _entry(self, tweet: FakeTweet) -> dict[str, Any]:
        if tweet.deleted:
            return _tombstone(tweet, "deleted", "This post is deleted")
        if tweet.author.protected:
            return _tombstone(tweet, "private", "This post is from a private account")
        return self.status_json(tweet)

    def status_json(self, tweet: FakeTweet) -> dict[str, Any]:
        """Serialise `tweet` as an APITwitterStatus; absent optional keys omitted."""
        status: dict[str, Any] = {
            "type": "status",
            "url": tweet.url,
            "id": tweet.id,
            "text": tweet.shown,
            "raw_text": self._raw_text(tweet),
            "author": _user(tweet.author),
            "replies": 0,
            "reposts": 3,
            "likes": 7,
            "bookmarks": 1,
            "quotes": 0,
            "embed_card": "tweet",
            "created_at": tweet.created_at.strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "created_timestamp": int(tweet.created_at.timestamp()),
            "views": 1234,
            "is_note_tweet": tweet.long,
            "community_note": None,
            "lang": "en",
            "replying_to": _replying_to(tweet),
            "media": _media_json(tweet.media),
        }
        if tweet.quote is not None:
            status["quote"] = self._entry(tweet.quote)
        if tweet.poll is not None:
            status["poll"] = _poll_json(tweet.poll)
        if tweet.card is not None:
            status["card"] = _card_json(tweet.card)
        return status | {"source": "Twitter Web App", "provider": "twitter", "reposted_by": None}

    def _raw_text(self, tweet: FakeTweet) -> dict[str, Any]:
        def offset(value: int) -> int:
            if self.offsets_in_escaped_text:
                return escaped_offset(tweet.text, value)
            return value

        # FxEmbed pushes facets grouped by type, not sorted (processor.ts), and gives a long
        # post the range [0, its UTF-16 length] because it measures with JavaScript.
        order = {"hashtag": 0, "url": 1, "mention": 2, "media": 3}
        facets = [
            _facet(entity, offset(entity.start), offset(entity.end))
            for entity in sorted(tweet.entities, key=lambda entity: order[entity.kind])
        ]
        if tweet.long:
            display = [0, len(tweet.text.encode("utf-16-le")) // 2]
        else:
            display = [offset(tweet.display[0]), offset(tweet.display[1])]
        return {"text": escape(tweet.text), "display_text_range": display, "facets": facets}


def _facet(entity: FakeEntity, start: int, end: int) -> dict[str, Any]:
    facet: dict[str, Any] = {"type": entity.kind, "indices": [start, end]}
    if entity.kind in {"url", "media"}:
        facet |= {"original": entity.original, "replacement": entity.target}
        facet["display"] = entity.display
    else:
        facet["original"] = entity.original
    return facet


def _envelope(code: int, **fields: Any) -> JSONResponse:
    body = {"status": None, "thread": None, "author": None} | fields | {"code": code}
    return JSONResponse(body, status_code=code)


def _tombstone(tweet: FakeTweet, reason: str, message: str) -> dict[str, Any]:
    return {
        "type": "tombstone",
        "provider": "twitter",
        "reason": reason,
        "message": message,
        "id": tweet.id,
        "url": f"{X_WEB}/i/status/{tweet.id}",
    }


def _user(user: FakeUser) -> dict[str, Any]:
    return {
        "screen_name": user.handle,
        "url": f"{X_WEB}/{user.handle}",
        "id": user.id,
        "name": user.name,
        "protected": user.protected,
        "type": "profile",
    }


def _replying_to(tweet: FakeTweet) -> dict[str, Any] | None:
    parent = tweet.reply_to
    if parent is None:
        return None
    return {
        "screen_name": parent.author.handle,
        "status": parent.id,
        "url": parent.url,
        "profile_url": f"{X_WEB}/{parent.author.handle}",
    }


def _media_json(media: tuple[FakeMedia, ...]) -> dict[str, Any]:
    if not media:
        return {}
    items = [_media_item(item) for item in media]
    groups: dict[str, Any] = {"all": items}
    photos = [item for item in items if item["type"] == "photo"]
    videos = [item for item in items if item["type"] != "photo"]
    if photos:
        groups["photos"] = photos
    if videos:
        groups["videos"] = videos
    return groups


def _media_item(media: FakeMedia) -> dict[str, Any]:
    item: dict[str, Any] = {"type": media.kind, "id": media.id, "url": media.url}
    item |= {"width": media.width, "height": media.height}
    if media.kind == "photo":
        return item | ({"altText": media.alt} if media.alt else {})
    formats: list[dict[str, Any]] = [
        {"url": media.url.replace(".mp4", ".m3u8"), "container": "m3u8"}
    ]
    formats += [
        {"url": url, "bitrate": bitrate, "container": "mp4", "codec": "h264"}
        for url, bitrate in media.variants
    ]
    return item | {
        "thumbnail_url": media.thumbnail_url,
        "duration": 16.394,
        "format": "video/mp4",
        "formats": formats,
        "publisher": None,
    }


def _poll_json(poll: FakePoll) -> dict[str, Any]:
    total = sum(votes for _label, votes in poll.choices)
    return {
        "ends_at": poll.ends_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_left_en": "Final results",
        "total_votes": total,
        "choices": [
            {"label": label, "count": votes, "percentage": round(100 * votes / total, 1)}
            for label, votes in poll.choices
        ],
    }


def _card_json(card: FakeCard) -> dict[str, Any]:
    return {
        "url": card.url,
        "title": card.title,
        "description": card.description,
        "domain": card.url.split("/")[2],
        "image": {"url": card.image_url, "width": 1200, "height": 630},
    }
