"""Showing a thread: cleaned once for a reading mode, then rendered in any output. Pure: no I/O.

A presentation speaks one language: the words it was given say its headers, captions and
completeness line in every output.

Every place that shows a thread (the answer in a chat, inline results, file buttons, the reader
page, `unroll-bot unroll`) starts from `present`, so cleaning and rendering are composed in one
way only, and each output is rendered at most once per presentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from bot.cleaning import ReadingMode, clean_thread
from bot.i18n import ENGLISH, Words
from bot.model import Thread
from bot.rendering import Format, RenderOptions, telegram_html, telegram_rich, telegraph

RENDERED_VERSION = 1
"""Raised whenever the rich message a thread renders to changes: a rendering kept by another
version of the bot is then rendered again instead of shown."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """The rich message a presentation rendered for `mode` in `language`, kept with the cached
    result: a listener answering the thread's first hit shows it without cleaning and rendering
    the thread again."""

    mode: ReadingMode
    language: str
    rich: telegram_rich.RichMessage
    version: int = RENDERED_VERSION


@dataclass
class Presentation:
    """A fetched thread (`source`) and its cleaned form for one reading mode (`thread`), shown
    in the language of `words`."""

    source: Thread
    mode: ReadingMode
    words: Words = ENGLISH
    _thread: Thread | None = field(default=None, repr=False)
    _documents: dict[str, str | bytes] = field(default_factory=dict, repr=False)
    _rich: dict[str | None, telegram_rich.RichMessage] = field(default_factory=dict, repr=False)

    @property
    def thread(self) -> Thread:
        """Return the cleaned thread (cleaned when first asked, for a presentation made from a
        rendering: its answer needs none)."""
        if self._thread is None:
            self._thread = clean_thread(self.source, self.mode)
        return self._thread

    def document(self, format: Format) -> str | bytes:
        """Return the thread as a document of `format` (rendered once)."""
        if format.name not in self._documents:
            options = RenderOptions(words=self.words)
            self._documents[format.name] = format.render(self.thread, options)
        return self._documents[format.name]

    @cached_property
    def message(self) -> telegram_html.TelegramMessage:
        """Return the thread as Telegram messages."""
        return telegram_html.render(self.thread, RenderOptions(words=self.words))

    def teaser(self, page_url: str) -> str:
        """Return the short Telegram message that points to a page holding the thread."""
        return telegram_html.render_teaser(self.thread, page_url, RenderOptions(words=self.words))

    def rendered(self) -> Rendered:
        """Return the whole thread's rich message, to keep with the cached result."""
        return Rendered(self.mode, self.words.language, self.rich())

    def rich(self, continue_url: str | None = None) -> telegram_rich.RichMessage:
        """Return the thread as one rich message; when it cannot hold every post, it ends
        with a link to `continue_url` (rendered once per link)."""
        if continue_url not in self._rich:
            self._rich[continue_url] = telegram_rich.render(
                self.thread,
                RenderOptions(words=self.words),
                continue_url=continue_url,
                dividers=self.mode is ReadingMode.ORIGINAL and len(self.thread.posts) > 1,
            )
        return self._rich[continue_url]

    @cached_property
    def telegraph_pages(self) -> list[telegraph.TelegraphPage]:
        """Return the thread as Telegraph pages, split where one page would be too large."""
        return telegraph.render(self.thread, RenderOptions(words=self.words))


def present(
    thread: Thread, mode: ReadingMode = ReadingMode.REFLOW, words: Words = ENGLISH
) -> Presentation:
    """Clean `thread` for `mode`, ready to render in any output in the language of `words`."""
    return Presentation(thread, mode, words, _thread=clean_thread(thread, mode))


def from_rendered(thread: Thread, rendered: Rendered, words: Words) -> Presentation:
    """Return `thread` presented as `rendered` shows it (`words` speak its language); the
    thread is cleaned only if something else than that rich message is asked for."""
    return Presentation(thread, rendered.mode, words, _rich={None: rendered.rich})


def translated(presentation: Presentation, words: Words) -> Presentation:
    """Return the same cleaned thread, to be shown in the language of `words` (no cleaning)."""
    if words.language == presentation.words.language:
        return presentation
    return Presentation(presentation.source, presentation.mode, words, _thread=presentation.thread)
