"""EPUB bytes of a thread, for e-readers. Pure: no I/O (the book is written to memory).

The chapters reuse the reader page's XHTML body, with media as links: EPUB readers refuse
remote images and a renderer cannot download them. Long threads get one chapter per
`POSTS_PER_CHAPTER` posts, cut between passages so a sentence never straddles two chapters.
The book and each chapter carry the thread's language and direction (an Arabic thread's pages
turn right to left); paragraphs keep the reader page's `dir="auto"`.
Every string handed to the EPUB writer loses the characters XML forbids first: its XML
serialiser raises on a control character, and a post may carry one.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime

from ebooklib import epub

from bot.model import Thread
from bot.rendering import RenderOptions, html_page, summary
from bot.rendering.direction import text_direction
from bot.rendering.passages import Passage, group_passages
from bot.safety import clean_text

POSTS_PER_CHAPTER = 50


def render(thread: Thread, options: RenderOptions = RenderOptions()) -> bytes:
    """Return the thread as an EPUB 3 file, cover-less, one chapter per ~50 posts."""
    book = epub.EpubBook()
    book.set_identifier(clean_text(thread.url))
    book.set_title(clean_text(summary.title(thread, options.words)))
    book.set_language(html_page.language(thread))
    book.set_direction(text_direction(thread))
    book.add_author(clean_text(summary.author_text(thread.author)))
    groups = split_chapters(group_passages(thread.posts))
    chapters = [
        _chapter(thread, index, group, len(groups), options) for index, group in enumerate(groups)
    ]
    for chapter in chapters:
        book.add_item(chapter)
    book.toc = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    buffer = io.BytesIO()
    epub.write_epub(buffer, book, {"mtime": _modified(thread), "raise_exceptions": True})
    return buffer.getvalue()


def split_chapters(passages: Sequence[Passage]) -> list[list[Passage]]:
    """Group passages into chapters of at most `POSTS_PER_CHAPTER` posts, never fewer than one.

    A single passage longer than the limit stays whole in its own chapter.
    """
    chapters: list[list[Passage]] = [[]]
    posts_in_chapter = 0
    for passage in passages:
        if chapters[-1] and posts_in_chapter + len(passage.posts) > POSTS_PER_CHAPTER:
            chapters.append([])
            posts_in_chapter = 0
        chapters[-1].append(passage)
        posts_in_chapter += len(passage.posts)
    return chapters


def _chapter(
    thread: Thread, index: int, passages: list[Passage], count: int, options: RenderOptions
) -> epub.EpubHtml:
    words = options.words
    title = clean_text(summary.title(thread, words))
    if count > 1:
        # Translators: the title of one chapter of an e-book, "Part 2 of 3".
        title = words.gettext("Part {number} of {count}", number=index + 1, count=count)
    parts = [html_page.header_html(thread, words)] if index == 0 and options.include_header else []
    parts.extend(
        html_page.passage_html(passage, words, embed_images=False) for passage in passages
    )
    if index == count - 1 and options.include_footer:
        parts.append(html_page.footer_html(thread, words))
    file_name = f"part-{index + 1}.xhtml"
    chapter = epub.EpubHtml(
        title=title,
        file_name=file_name,
        lang=html_page.language(thread),
        direction=text_direction(thread),
    )
    chapter.content = clean_text("\n".join(parts))
    return chapter


def _modified(thread: Thread) -> datetime:
    # ebooklib stamps the book with "now" unless told; the thread's own time keeps it repeatable.
    # It writes the time with a "Z", so aware times are turned to UTC first.
    moments = [post.created_at for post in thread.posts]
    moment = thread.fetched_at or max(moments, default=datetime(1970, 1, 1, tzinfo=UTC))
    return moment.astimezone(UTC) if moment.tzinfo else moment
