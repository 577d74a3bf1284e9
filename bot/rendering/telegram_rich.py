"""A whole thread as one Telegram Rich Message (Bot API 10.1), in its HTML form. Pure: no I/O.

Layout: the author and the date as a heading; the posts as paragraphs, a post that ends
mid-sentence running on into the next (reflow), or one post per paragraph group with a divider
between posts when nothing joins (original mode); photos as photo blocks captioned with their
alt text, several photos of one post as a collage; a video or GIF as its poster with a link;
a quote as a block quotation headed by its author; a link card as a small quotation; a poll as
a list with each option's share; posts under a content warning inside a collapsed `<details>`
whose summary is the warning; the completeness line and the link to the original in a footer.

Limits, from https://core.telegram.org/bots/api#rich-messages ("Rich Message Limits"):
32768 characters of text, counted here as code points of the visible text (the page says
"UTF-8 characters"; markup and URLs are not text); 500 blocks, nested ones, list items and
table rows included; 16 levels of nested formatting and blocks; 50 media. The renderer counts
all four while it writes, keeps as many whole posts as fit, and then ends with a "continue
reading" link when it is given the URL of a page holding the rest.

The markup and its measures are built by `rich_markup`. A link, a photo or a poster is
written only for a URL `safety.safe_url` allows (the documentation names HTTP URLs and `tg://`
file links as media sources; the bot uses only the first).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot import safety
from bot.i18n import N_, Words
from bot.model import LinkCard, Media, MediaType, Poll, Post, Quote, Thread
from bot.rendering import RenderOptions, summary
from bot.rendering.direction import is_rtl
from bot.rendering.passages import Passage, group_passages, split_paragraphs
from bot.rendering.rich_markup import (
    DIVIDER,
    EMPTY,
    Part,
    block,
    element,
    image,
    inline,
    join,
    link,
    measures,
    text,
)

MAX_TEXT_CHARS = 32768
MAX_BLOCKS = 500
MAX_DEPTH = 16
MAX_MEDIA = 50
CONTINUE_TEXT = N_("Continue reading →")
_MAX_NAME_CHARS = 128
_MAX_CARD_DESCRIPTION_CHARS = 200


@dataclass(frozen=True, slots=True)
class Limits:
    """The ceilings a message must stay under; Telegram's unless a test needs smaller ones."""

    chars: int = MAX_TEXT_CHARS
    blocks: int = MAX_BLOCKS
    depth: int = MAX_DEPTH
    media: int = MAX_MEDIA


@dataclass(frozen=True, slots=True)
class RichMessage:
    """A thread as one rich message: the `html` field of InputRichMessage and what it holds.

    `posts_shown` of `posts_total` posts fit; the counts are the measures Telegram limits.
    """

    html: str
    is_rtl: bool
    posts_shown: int
    posts_total: int
    chars: int
    blocks: int
    media: int
    depth: int

    @property
    def complete(self) -> bool:
        """Tell whether every post is in the message."""
        return self.posts_shown == self.posts_total


def render(
    thread: Thread,
    options: RenderOptions = RenderOptions(),
    *,
    continue_url: str | None = None,
    dividers: bool | None = None,
    limits: Limits = Limits(),
) -> RichMessage:
    """Return the thread as one rich message, with as many whole posts as fit in `limits`.

    `dividers` puts a divider between posts; None decides from the thread: cleaning in original
    mode leaves no post joining the next, so a thread of several posts none of which joins is
    shown post by post. When posts are left out, the message ends with a link to
    `continue_url` (if it is an http(s) URL) before the footer.
    """
    if dividers is None:
        dividers = len(thread.posts) > 1 and not any(post.joins_next for post in thread.posts)
    words = options.words
    head = _heading(thread, words) if options.include_header else EMPTY
    foot = _footer(thread, words) if options.include_footer else EMPTY
    units = _units(thread.posts, words, dividers=dividers)
    body = join([part for part, _ in units], DIVIDER if dividers else EMPTY)
    message = join([head, body, foot])
    shown = len(thread.posts)
    if not _fits(message, limits):
        more = EMPTY
        if safety.is_safe_url(continue_url):
            more = block("p", link(words.gettext(CONTINUE_TEXT), continue_url))
        fixed = join([head, more, foot])
        body, shown = _fitting_body(units, fixed, limits, words, dividers=dividers)
        message = join([head, body, more, foot])
    return RichMessage(
        html=message.markup,
        is_rtl=is_rtl(thread),
        posts_shown=shown,
        posts_total=len(thread.posts),
        chars=message.chars,
        blocks=message.blocks,
        media=message.media,
        depth=message.depth,
    )


def render_document(thread: Thread, options: RenderOptions = RenderOptions()) -> str:
    """Return the rich message's HTML as a document, ending with a newline like the others."""
    return render(thread, options).html + "\n"


# Fitting: as many leading posts as stay within the limits.

_Unit = tuple[Part, tuple[Post, ...]]


def _fitting_body(
    units: Sequence[_Unit], fixed: Part, limits: Limits, words: Words, *, dividers: bool
) -> tuple[Part, int]:
    """Return the body made of the leading posts that fit beside `fixed`, and their count.

    Whole units are added while they fit, measured by summing (a join only adds up its parts);
    the first unit that does not fit is then rendered again with fewer of its posts.
    """
    separator = DIVIDER if dividers else EMPTY
    kept: list[Part] = []
    total, shown = measures(fixed), 0
    for part, posts in units:
        grown = measures(total, separator, part) if kept else measures(total, part)
        if not part.markup:  # nothing to show, nothing to measure
            shown += len(posts)
            continue
        if not _fits(grown, limits):
            partial, count = _fitting_posts(
                posts, total, limits, words, dividers, after=bool(kept)
            )
            kept.append(partial)
            shown += count
            break
        kept.append(part)
        total, shown = grown, shown + len(posts)
    return join(kept, separator), shown


def _fitting_posts(
    posts: tuple[Post, ...],
    total: Part,
    limits: Limits,
    words: Words,
    dividers: bool,
    *,
    after: bool,
) -> tuple[Part, int]:
    # One unit is one passage or one content warning's passages: a few posts, so bisecting
    # its post count costs little. Each post adds text and blocks, so fitting is monotonic.
    separator = DIVIDER if dividers and after else EMPTY
    best, fits, too_many = EMPTY, 0, len(posts)
    while too_many - fits > 1:
        middle = (fits + too_many) // 2
        units = _units(posts[:middle], words, dividers=dividers)
        part = join([p for p, _ in units], DIVIDER if dividers else EMPTY)
        if _fits(measures(total, separator, part), limits):
            best, fits = part, middle
        else:
            too_many = middle
    return best, fits


def _fits(part: Part, limits: Limits) -> bool:
    return (
        part.chars <= limits.chars
        and part.blocks <= limits.blocks
        and part.depth <= limits.depth
        and part.media <= limits.media
    )


# Layout.


def _heading(thread: Thread, words: Words) -> Part:
    author = thread.author
    name = link(author.name[:_MAX_NAME_CHARS], author.url)
    facts = [f" (@{author.handle})"]
    if thread.posts:
        facts.append(f" · {summary.date_text(thread.posts[0].created_at, words)}")
    return block("h2", join([name, text("".join(facts))]))


def _footer(thread: Thread, words: Words) -> Part:
    source = link(summary.original_on(thread, words), thread.url)
    runs = summary.completeness_runs(thread.report, words)
    line = [link(said, url) if url else text(said) for said, url in runs]
    reading = text(f" · {summary.reading_time_text(thread, words)}")
    return block("footer", join([source, text(" · "), *line, reading]))


def _units(posts: Sequence[Post], words: Words, *, dividers: bool) -> list[_Unit]:
    """Return the body in units to fit: a passage, or the passages under one content warning.

    Passages under one warning share a `<details>` whose summary is the warning.
    """
    passages = group_passages(posts)
    units: list[_Unit] = []
    index = 0
    while index < len(passages):
        warning = passages[index].posts[0].content_warning
        end = index + 1
        while (
            warning and end < len(passages) and passages[end].posts[0].content_warning == warning
        ):
            end += 1
        group = passages[index:end]
        content = join([_passage(p, words) for p in group], DIVIDER if dividers else EMPTY)
        if warning and content.markup:
            label = summary.content_warning_label(words)
            summary_text = element("summary", text(f"{label} " + " ".join(warning.split())))
            content = block("details", join([summary_text, content]))
        units.append((content, tuple(post for passage in group for post in passage.posts)))
        index = end
    return units


def _passage(passage: Passage, words: Words) -> Part:
    parts: list[Part] = []
    if passage.gap_before:
        gap = summary.gap_text(passage.gap_before, words)
        parts.append(block("p", element("i", text(gap))))
    parts.extend(block("p", inline(paragraph)) for paragraph in passage.paragraphs)
    for post in passage.posts:
        parts.extend(_attachments(post, words))
    return join(parts)


def _attachments(post: Post, words: Words) -> Iterator[Part]:
    photos = [
        (url, _caption(m))
        for m in post.media
        if m.type is MediaType.PHOTO and (url := safety.safe_url(m.url))
    ]
    if len(photos) > 1:
        yield block("tg-collage", join([_photo(url, caption) for url, caption in photos]))
    elif photos:
        yield _photo(*photos[0])
    for media in post.media:
        if media.type is not MediaType.PHOTO or not safety.is_safe_url(media.url):
            yield _moving_media(media, words)
    if post.poll:
        yield _poll(post.poll, words)
    if post.card:
        yield _card(post.card)
    if post.quote:
        yield _quote(post.quote, words)


def _caption(media: Media) -> Part:
    return text(" ".join(media.alt.split()))


def _photo(url: str, caption: Part) -> Part:
    parts = [image(url)]
    if caption.markup:
        parts.append(element("figcaption", caption))
    return element("figure", join(parts))


def _moving_media(media: Media, words: Words) -> Part:
    # A video or GIF shows as its poster; the caption says what it is and links to it (a
    # photo whose URL safety refused is named the same way, without the link).
    label = link(summary.media_caption(media, words), media.url)
    poster = safety.safe_url(media.thumbnail_url)
    if poster is None:
        return block("p", label)
    return _photo(poster, label)


def _poll(poll: Poll, words: Words) -> Part:
    items = [block("li", text(summary.poll_option_text(o, poll, words))) for o in poll.options]
    return join([block("p", text(summary.poll_caption(poll, words))), block("ul", join(items))])


def _card(card: LinkCard) -> Part:
    lines = [block("p", join([text("🔗 "), link(card.title or card.url, card.url)]))]
    if card.description:
        description = summary.excerpt(card.description, max_chars=_MAX_CARD_DESCRIPTION_CHARS)
        lines.append(block("p", element("i", text(description))))
    return block("blockquote", join(lines))


def _quote(quote: Quote, words: Words) -> Part:
    if quote.unavailable:
        missing = text(summary.quote_unavailable(words))
        return block("blockquote", block("p", element("i", missing)))
    head = block("p", element("b", link(summary.quote_caption(quote, words), quote.url)))
    paragraphs = [block("p", inline(p)) for p in split_paragraphs(quote.text)]
    media = [block("p", link(summary.media_caption(m, words), m.url)) for m in quote.media]
    return block("blockquote", join([head, *paragraphs, *media]))
