"""A standalone HTML5 reader page, served by our web server when Telegraph fails. Pure: no I/O.

The page carries its own CSS (phone-first, dark mode, print) and loads nothing but the
hot-linked images. The page names the thread's language and direction on `<html>`, and every
block of text carries `dir="auto"`: each reads in the direction of its own first letter, so an
English sentence in an Arabic thread (or the bot's own words) is laid out left to right within
a right-to-left page. The CSS uses logical sides (`border-inline-start`) so quotes and lists
mirror with the page. Every piece of thread text and every URL is escaped, a URL becomes a link or
an image only when `safety.safe_url` allows it (otherwise its words stay as text), and the page
holds no character XML forbids. The markup is also
well-formed XHTML (void elements closed, attributes quoted, numeric entities only), so the
EPUB renderer reuses the body functions for its chapters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html import escape

from bot import safety
from bot.i18n import Words
from bot.model import LinkCard, Media, MediaType, Poll, Quote, Segment, SegmentKind, Thread
from bot.rendering import RenderOptions, summary
from bot.rendering.direction import text_direction
from bot.rendering.passages import Paragraph, Passage, group_passages, split_paragraphs

UNKNOWN_LANGUAGE = "und"
"""BCP 47 for "undetermined": the page's language when no post named one."""
DESCRIPTION_CHARS = 200

STYLESHEET = """
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fdfdfb; --muted: #6a6a6f;
  --accent: #0b57d0; --rule: #dcdcd7; --inset: #f2f2ee; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e4e4e6; --bg: #141416; --muted: #9d9da3; --accent: #8ab4f8; --rule: #3a3a3f;
    --inset: #1f1f23; }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); overflow-wrap: break-word;
  font: 1.0625rem/1.65 Charter, "Iowan Old Style", Georgia, "Noto Serif", serif; }
main { max-width: 38em; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .75rem; }
p, ul { margin: 0 0 1em; }
a { color: var(--accent); text-underline-offset: .15em; }
header, .gap, .caption, .media, figcaption, footer {
  font-family: system-ui, -apple-system, sans-serif; }
.byline, .report, .gap, .caption, footer { font-size: .875rem; color: var(--muted); }
header { margin-bottom: 2rem; border-bottom: 1px solid var(--rule); padding-bottom: 1rem; }
header p { margin: 0; }
.gap { text-align: center; letter-spacing: .05em; }
.cw { padding: .5em .75em; border-radius: .375rem; background: var(--inset); }
figure { margin: 1.25em 0; }
/* A hot-linked image that fails to load leaves its alt text on a quiet placeholder. */
img { display: block; max-width: 100%; height: auto; border-radius: .375rem;
  background: var(--inset); color: var(--muted);
  font: .875rem/1.5 system-ui, -apple-system, sans-serif; }
figcaption { margin-top: .35em; font-size: .875rem; color: var(--muted); }
blockquote { margin: 1.25em 0; padding: .75em 1em; border-inline-start: .25rem solid var(--rule);
  background: var(--inset); border-radius: .375rem; border-start-start-radius: 0;
  border-end-start-radius: 0; }
blockquote > :last-child { margin-bottom: 0; }
.poll ul { padding-inline-start: 1.25em; }
.card { padding: .75em 1em; border: 1px solid var(--rule); border-radius: .375rem; }
footer { margin-top: 2.5rem; border-top: 1px solid var(--rule); padding-top: 1rem; }
@media print {
  :root { --fg: #000; --bg: #fff; --muted: #444; --accent: #000; --inset: #fff; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  a.link::after { content: " (" attr(href) ")"; font-size: .85em; overflow-wrap: anywhere; }
  figure, blockquote, .card, .poll { break-inside: avoid; }
  img { max-height: 10cm; }
}
"""
"""The page's own CSS, written inside its `<style>`; the web server's CSP allows exactly this
text (by hash), so it must not depend on anything the thread holds."""


def render(thread: Thread, options: RenderOptions = RenderOptions()) -> str:
    """Return a complete HTML5 page for the thread, ending with a newline."""
    words = options.words
    article = [header_html(thread, words)] if options.include_header else []
    passages = group_passages(thread.posts)
    article.extend(passage_html(p, words, embed_images=True) for p in passages)
    main = ["<article>", *article, "</article>"]
    if options.include_footer:
        main.append(footer_html(thread, words))
    opening = f'<html lang="{escape(language(thread))}" dir="{text_direction(thread)}">'
    page = ["<!DOCTYPE html>", opening, "<head>", *_head(thread, words), "</head>"]
    page.extend(("<body>", "<main>", *main, "</main>", "</body>", "</html>"))
    # The markup itself holds none of these characters, so this only touches thread text.
    return safety.clean_text("\n".join(page) + "\n")


def language(thread: Thread) -> str:
    """Return the thread's BCP 47 tag, `UNKNOWN_LANGUAGE` when no post named one."""
    return thread.language or UNKNOWN_LANGUAGE


def header_html(thread: Thread, words: Words) -> str:
    """Return the title, byline and completeness of the thread as a `<header>`."""
    author = thread.author
    byline = [f"{_anchor_html(_name_html(author.name), author.url)} {_handle_html(author.handle)}"]
    if thread.posts:
        moment = thread.posts[0].created_at
        date = escape(summary.date_text(moment, words))
        byline.append(f'<time datetime="{escape(moment.isoformat())}">{date}</time>')
    byline.append(escape(summary.reading_time_text(thread, words)))
    return "\n".join(
        (
            "<header>",
            f'<h1 dir="auto">{escape(summary.title(thread, words))}</h1>',
            f'<p class="byline" dir="auto">{" · ".join(byline)}</p>',
            f'<p class="report" dir="auto">{_completeness_html(thread, words)}</p>',
            "</header>",
        )
    )


def _completeness_html(thread: Thread, words: Words) -> str:
    runs = summary.completeness_runs(thread.report, words)
    return "".join(_anchor(text, url) if url else escape(text) for text, url in runs)


def footer_html(thread: Thread, words: Words) -> str:
    """Return the link to the original thread as a `<footer>`."""
    link = _anchor(summary.original_on(thread, words), thread.url)
    return f'<footer><p dir="auto">{link}</p></footer>'


def passage_html(passage: Passage, words: Words, *, embed_images: bool) -> str:
    """Return one passage: its gap marker, warning, paragraphs and the posts' attachments.

    With `embed_images` false, media are links instead of `<img>`: EPUB readers refuse
    remote images, and a pure renderer cannot download them.
    """
    return "\n".join(_passage_blocks(passage, words, embed_images=embed_images))


def _head(thread: Thread, words: Words) -> Iterator[str]:
    title = summary.title(thread, words)
    description = _description(thread) or title
    image = _preview_image(thread)
    yield '<meta charset="utf-8" />'
    yield '<meta name="viewport" content="width=device-width, initial-scale=1" />'
    yield '<meta name="referrer" content="no-referrer" />'
    yield f"<title>{escape(title)} — {escape(thread.author.name)}</title>"
    yield _meta("name", "description", description)
    yield _meta("property", "og:type", "article")
    yield _meta("property", "og:title", title)
    yield _meta("property", "og:description", description)
    if image:
        yield _meta("property", "og:image", image)
    yield _meta("name", "twitter:card", "summary_large_image" if image else "summary")
    yield f"<style>{STYLESHEET}</style>"


def _description(thread: Thread) -> str:
    # Link previews show this unasked, so text behind a content warning stays out of it.
    shown = (post.plain_text for post in thread.posts if not post.content_warning)
    return summary.excerpt(" ".join(shown), max_chars=DESCRIPTION_CHARS)


def _meta(attribute: str, name: str, content: str) -> str:
    return f'<meta {attribute}="{name}" content="{escape(content)}" />'


def _preview_image(thread: Thread) -> str | None:
    # Media behind a content warning are often the sensitive part, so they are not previewed.
    shown = (post for post in thread.posts if not post.content_warning)
    images = (_image_url(media) for post in shown for media in post.media)
    return next((image for image in images if image), None)


def _image_url(media: Media) -> str | None:
    """Return the picture that shows the media, the photo or a video's thumbnail, if it is safe."""
    return safety.safe_url(media.url if media.type is MediaType.PHOTO else media.thumbnail_url)


def _passage_blocks(passage: Passage, words: Words, *, embed_images: bool) -> Iterator[str]:
    if passage.gap_before:
        gap = escape(summary.gap_text(passage.gap_before, words))
        yield f'<p class="gap" dir="auto">{gap}</p>'
    if passage.content_warning:
        warning = escape(passage.content_warning)
        label = escape(summary.content_warning_label(words))
        yield f'<p class="cw" dir="auto"><strong>{label}</strong> {warning}</p>'
    yield from _paragraphs(passage.paragraphs)
    for post in passage.posts:
        yield from (_media(item, words, embed_images=embed_images) for item in post.media)
        if post.poll:
            yield _poll(post.poll, words)
        if post.card:
            yield _card(post.card)
        if post.quote:
            yield _quote(post.quote, words, embed_images=embed_images)


def _paragraphs(paragraphs: Iterable[Paragraph]) -> Iterator[str]:
    for paragraph in paragraphs:
        yield f'<p dir="auto">{"".join(_segment(segment) for segment in paragraph)}</p>'


def _segment(segment: Segment) -> str:
    if segment.kind is SegmentKind.TEXT or not segment.url:
        return escape(segment.text).replace("\n", "<br />")
    if segment.kind is SegmentKind.LINK:
        return _anchor(segment.text, segment.url, link=True)
    return _anchor(segment.text, segment.url)


def _media(media: Media, words: Words, *, embed_images: bool) -> str:
    image = _image_url(media)
    link = _anchor(summary.media_caption(media, words), media.url)
    if not embed_images or not image:
        return f'<p class="media" dir="auto">{link}</p>'
    # A failed image shows its alt on the placeholder, so the alt only names the kind of media
    # and the caption carries the description: the reader sees it once, loaded or not.
    img = _image(image, summary.media_label(media, words))
    if media.type is not MediaType.PHOTO:
        # The thumbnail stands for the video and opens it, when its URL may be opened.
        target = safety.safe_url(media.url)
        img = f'<a href="{escape(target)}">{img}</a>' if target else img
        return f'<figure>{img}<figcaption dir="auto">{link}</figcaption></figure>'
    caption = f'<figcaption dir="auto">{escape(media.alt)}</figcaption>' if media.alt else ""
    return f"<figure>{img}{caption}</figure>"


def _image(url: str, alt: str) -> str:
    return f'<img src="{escape(url)}" alt="{escape(alt)}" loading="lazy" />'


def _poll(poll: Poll, words: Words) -> str:
    items = "".join(
        f'<li dir="auto">{escape(summary.poll_option_text(o, poll, words))}</li>'
        for o in poll.options
    )
    caption = escape(summary.poll_caption(poll, words))
    return f'<div class="poll"><p class="caption" dir="auto">{caption}</p><ul>{items}</ul></div>'


def _card(card: LinkCard) -> str:
    title = _anchor(card.title or card.url, card.url, link=True)
    description = f"<br />{escape(card.description)}" if card.description else ""
    return f'<p class="card" dir="auto">🔗 <strong>{title}</strong>{description}</p>'


def _quote(quote: Quote, words: Words, *, embed_images: bool) -> str:
    if quote.author and not quote.unavailable:
        author = quote.author
        caption = f"{_name_html(author.name)} ({_handle_html(author.handle)})"
        # Only isolated names: the caption takes the direction of the page around it.
        opening = '<p class="caption">'
    else:
        caption = escape(summary.quote_caption(quote, words))
        opening = '<p class="caption" dir="auto">'
    url = safety.safe_url(quote.url)
    if url and not quote.unavailable:
        caption_html = _anchor_html(caption, url)
        cite = f' cite="{escape(url)}"'
    else:
        caption_html, cite = caption, ""
    blocks = [
        f"{opening}{caption_html}</p>",
        *_paragraphs(split_paragraphs(quote.text)),
    ]
    blocks.extend(_media(item, words, embed_images=embed_images) for item in quote.media)
    return f"<blockquote{cite}>{''.join(blocks)}</blockquote>"


def _name_html(name: str) -> str:
    # Isolated, so a name in another script neither reorders the words around it nor decides
    # the direction of the line it stands in (dir="auto" looks past <bdi>).
    return f"<bdi>{escape(name)}</bdi>"


def _handle_html(handle: str) -> str:
    # A handle reads left to right even inside Arabic, or "(@layla)" would show as "(layla@)".
    return f'<bdi dir="ltr">@{escape(handle)}</bdi>'


def _anchor_html(inner: str, url: str) -> str:
    """Return an `<a>` around markup `inner`, or `inner` alone when `url` is not safe."""
    target = safety.safe_url(url)
    return f'<a href="{escape(target)}">{inner}</a>' if target else inner


def _anchor(text: str, url: str, *, link: bool = False) -> str:
    """Return an `<a>`; `link` marks links the author wrote (printed with their URL, nofollow).

    A URL `safety.safe_url` refuses leaves the text alone, unlinked.
    """
    target = safety.safe_url(url)
    if target is None:
        return escape(text)
    extra = ' class="link" rel="nofollow ugc"' if link else ""
    return f'<a href="{escape(target)}"{extra}>{escape(text)}</a>'
