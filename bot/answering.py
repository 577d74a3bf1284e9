"""Turns a finished thread (or a failure) into the answer one requester sees.

One message when the thread fits; a Telegraph page (Instant View) and a short teaser when it
does not; the bot's own reader page when Telegraph fails and PUBLIC_BASE_URL is set; otherwise
a few split messages, then a Markdown file. The placeholder is edited into the answer, so one
request leaves one message (plus the split parts, when it comes to that).
"""

from __future__ import annotations

import hashlib
import html
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot import metrics
from bot.cleaning import ReadingMode, clean_thread
from bot.delivery import MessageGoneError, Sender, Target, UndeliverableError
from bot.errors import SourceError, UnrollError
from bot.model import Thread
from bot.rendering import markdown, telegram_html, telegraph
from bot.rendering.summary import plural
from bot.request import Answer, UnrollRequest
from bot.store import ChatStore
from bot.telegraph_client import TelegraphClient

log = logging.getLogger("bot.answering")

ALREADY_UNROLLED_TTL_S = 24 * 3600
CALLBACK_DATA_MAX_BYTES = 64
LONGEST_BUTTON_ACTION = "refresh"
BUTTON_TTL_S = 30 * 24 * 3600
TELEGRAPH_TOKEN_NAME = "telegraph:token"
APOLOGY = "Sorry, this thread could not be unrolled after several tries. Please try again later."
ALREADY_UNROLLED = "Already unrolled here today ↑"


def target_of(request: UnrollRequest) -> Target:
    """Return where the answer to `request` goes."""
    return Target(
        chat_id=request.chat_id,
        is_group=request.is_group,
        thread_id=request.thread_id,
        inline_message_id=request.inline_message_id,
    )


async def button_ref(store: ChatStore, key: str) -> str:
    """Return how buttons name `key` in their callback data ("ACTION:REF", at most 64 bytes).

    A key too long for that (a Bluesky DID, a long Mastodon host) becomes "#DIGEST", and the
    digest is remembered in the store for as long as a button is worth pressing.
    """
    if len(f"{LONGEST_BUTTON_ACTION}:{key}".encode()) <= CALLBACK_DATA_MAX_BYTES:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    await store.set_value(f"button:{digest}", key, ttl_s=BUTTON_TTL_S)
    return f"#{digest}"


async def resolve_button_data(store: ChatStore, data: str) -> tuple[str, str | None]:
    """Return the action and the key of a button's callback data (None when forgotten)."""
    action, _, ref = data.partition(":")
    if ref.startswith("#"):
        return action, await store.get_value(f"button:{ref[1:]}")
    return action, ref or None


@dataclass
class PagePublisher:
    """Publishes long threads: Telegraph first, then the bot's own reader page.

    Telegraph's access token, when the bot had to create the account itself, is kept in the
    store so every process and every restart uses the same account.
    """

    telegraph: TelegraphClient | None
    public_base_url: str | None
    store: ChatStore
    page_ttl_s: int = 3600

    async def publish(self, thread: Thread, mode: ReadingMode) -> str | None:
        """Return the URL of a readable page for `thread`, or None when no page can be had.

        A page made for one fetch and reading mode is remembered as long as the result is
        cached, so everybody answered from the cache gets the same page instead of a new one.
        """
        if self.telegraph is not None:
            name = _page_name(thread, mode)
            if (known := await self.store.get_value(name)) is not None:
                return known
            try:
                url = await self._publish_on_telegraph(self.telegraph, thread)
            except SourceError as exc:
                log.warning("telegraph failed", extra={"error": type(exc).__name__})
            else:
                await self.store.set_value(name, url, ttl_s=self.page_ttl_s)
                return url
        if self.public_base_url:
            key = quote(str(thread.key), safe="")
            return f"{self.public_base_url.rstrip('/')}/read/{key}?mode={mode.value}"
        return None

    async def _publish_on_telegraph(self, client: TelegraphClient, thread: Thread) -> str:
        if client.access_token is None:
            client.access_token = await self.store.get_value(TELEGRAPH_TOKEN_NAME)
        if client.access_token is None:
            await self.store.set_value(TELEGRAPH_TOKEN_NAME, await client.ensure_account())
        urls = await client.publish(
            telegraph.render(thread), author_name=thread.author.name, author_url=thread.author.url
        )
        return urls[0]


@dataclass
class _Prepared:
    """What is rendered once per reading mode and shared by every requester of a job."""

    source: Thread
    thread: Thread
    message: telegram_html.TelegramMessage
    page_url: str | None = None
    page_tried: bool = False


@dataclass
class Answerer:
    """Writes answers for requests; one instance per process."""

    sender: Sender
    pages: PagePublisher
    store: ChatStore
    max_split_messages: int = 5
    _prepared: dict[tuple[str, str], _Prepared] = field(default_factory=dict)

    async def answer(self, request: UnrollRequest, result: Thread | UnrollError) -> None:
        """Edit the request's placeholder (or earlier answer) into the result."""
        target = target_of(request)
        try:
            if isinstance(result, UnrollError):
                await self._replace(
                    request, target, html.escape(result.user_message(), quote=False)
                )
                return
            await self._answer_thread(request, target, result)
        except UndeliverableError:
            return

    async def apologise(self, request: UnrollRequest) -> None:
        """Tell the requester the job was given up."""
        try:
            await self._replace(request, target_of(request), APOLOGY)
        except UndeliverableError:
            return

    async def progress(self, request: UnrollRequest, html: str) -> None:
        """Show progress in the placeholder when the limiter has room; never waits."""
        if request.answer is not Answer.REFRESH:
            await self.sender.try_edit(target_of(request), html, message_id=request.message_id)

    def forget(self, key: str) -> None:
        """Drop what was prepared for a job's key once all its requesters are answered."""
        for cached in [k for k in self._prepared if k[0] == key]:
            del self._prepared[cached]

    async def _answer_thread(
        self,
        request: UnrollRequest,
        target: Target,
        thread: Thread,
    ) -> None:
        if await self._answered_before(request, target):
            await self._replace(request, target, ALREADY_UNROLLED)
            return
        mode = ReadingMode(request.reading_mode)
        prepared = self._prepare(thread, mode)
        message = prepared.message
        buttons = await self._buttons(request)
        note = (
            _refresh_note(thread, request.previous_posts)
            if request.answer is Answer.REFRESH
            else ""
        )
        if request.output != "page" and telegram_html.fits_one_message(message):
            html = _with_note(message.chunks[0], note)
            await self._replace(
                request, target, html, preview=message.preview_url, buttons=buttons
            )
            await self._remember(request, target)
            return
        if request.output != "message":
            page_url = await self._page_url(prepared, mode)
            if page_url is not None:
                teaser = _with_note(telegram_html.render_teaser(prepared.thread, page_url), note)
                await self._replace(request, target, teaser, preview=page_url, buttons=buttons)
                await self._remember(request, target)
                return
        await self._answer_in_parts(request, target, prepared, buttons, note)

    async def _answer_in_parts(
        self,
        request: UnrollRequest,
        target: Target,
        prepared: _Prepared,
        buttons: InlineKeyboardMarkup | None,
        note: str,
    ) -> None:
        chunks = prepared.message.chunks
        if target.inline_message_id is not None:
            await self._replace(request, target, chunks[0], buttons=buttons)
            return
        # A refresh knows only the pressed part's id: sending the parts again would repeat them.
        if len(chunks) <= self.max_split_messages and request.answer is not Answer.REFRESH:
            await self._replace(request, target, chunks[0])
            for index, chunk in enumerate(chunks[1:], start=1):
                last = index == len(chunks) - 1
                await self.sender.send(
                    target, chunk, reply_to=request.message_id, buttons=buttons if last else None
                )
            await self._remember(request, target)
            return
        await self._replace(
            request,
            target,
            telegram_html.render_teaser(prepared.thread, prepared.thread.url)
            + "\n\nToo long for messages: the whole thread is in the Markdown file below."
            + note,
            buttons=buttons,
        )
        await self.sender.send_document(
            target, markdown.render(prepared.thread).encode(), filename_for(prepared.thread, "md")
        )
        await self._remember(request, target)

    async def _replace(
        self,
        request: UnrollRequest,
        target: Target,
        html: str,
        *,
        preview: str | None = None,
        buttons: InlineKeyboardMarkup | None = None,
    ) -> None:
        try:
            await self.sender.edit(
                target, html, message_id=request.message_id, preview_url=preview, buttons=buttons
            )
        except MessageGoneError:
            if target.chat_id is None:
                return  # an inline message that is gone cannot be replaced
            await self.sender.send(target, html, preview_url=preview, buttons=buttons)

    def _prepare(self, thread: Thread, mode: ReadingMode) -> _Prepared:
        slot = (str(thread.key), mode.value)
        prepared = self._prepared.get(slot)
        # Reused only for the very same fetch: a cache hit answered meanwhile, or a Refresh,
        # brings another Thread for the same key, which must not get this one's rendering.
        if prepared is None or prepared.source is not thread:
            started = time.perf_counter()
            cleaned = clean_thread(thread, mode)
            prepared = _Prepared(thread, cleaned, telegram_html.render(cleaned))
            self._prepared[slot] = prepared
            metrics.JOB_DURATION.labels(stage="render").observe(time.perf_counter() - started)
        return prepared

    async def _page_url(self, prepared: _Prepared, mode: ReadingMode) -> str | None:
        if not prepared.page_tried:
            prepared.page_url = await self.pages.publish(prepared.thread, mode)
            prepared.page_tried = True
        return prepared.page_url

    async def _buttons(self, request: UnrollRequest) -> InlineKeyboardMarkup:
        ref = await button_ref(self.store, request.key)
        refresh = InlineKeyboardButton("🔄 Refresh", callback_data=f"refresh:{ref}")
        if request.inline_message_id is not None:
            return InlineKeyboardMarkup([[refresh]])  # documents need a chat to go to
        return InlineKeyboardMarkup(
            [
                [
                    refresh,
                    InlineKeyboardButton("Markdown", callback_data=f"md:{ref}"),
                    InlineKeyboardButton("EPUB", callback_data=f"epub:{ref}"),
                ]
            ]
        )

    async def _answered_before(self, request: UnrollRequest, target: Target) -> bool:
        # Requests made together all pass the listener's repeat check before any answer
        # exists; the job answers them in order, so the first answer is remembered by now.
        if not target.is_group or target.chat_id is None or request.answer is Answer.REFRESH:
            return False
        earlier = await self.store.find_answer(target.chat_id, request.key)
        return earlier is not None and earlier != str(request.message_id)

    async def _remember(self, request: UnrollRequest, target: Target) -> None:
        if target.is_group and target.chat_id is not None and request.message_id is not None:
            await self.store.remember_answer(
                target.chat_id, request.key, str(request.message_id), ttl_s=ALREADY_UNROLLED_TTL_S
            )


def _page_name(thread: Thread, mode: ReadingMode) -> str:
    fetched = thread.fetched_at.isoformat() if thread.fetched_at else "-"
    return f"page:{thread.key}:{mode.value}:{fetched}"


def _refresh_note(thread: Thread, previous_posts: int | None) -> str:
    if previous_posts is None or previous_posts == thread.report.posts:
        return "\n\n<i>Refreshed: no new posts.</i>"
    change = thread.report.posts - previous_posts
    if change > 0:
        return f"\n\n<i>Refreshed: {plural(change, 'new post')}.</i>"
    return f"\n\n<i>Refreshed: {plural(-change, 'post')} fewer than before.</i>"


def _with_note(html: str, note: str) -> str:
    # The HTML is never shorter than its visible text, so this check errs on the safe side.
    if (
        telegram_html.utf16_len(html) + telegram_html.utf16_len(note)
        <= MessageLimit.MAX_TEXT_LENGTH
    ):
        return html + note
    return html


def filename_for(thread: Thread, extension: str) -> str:
    """Return a safe file name for a document of `thread`."""
    handle = "".join(ch for ch in thread.author.handle if ch.isalnum() or ch in "-_") or "thread"
    return f"{handle}-{thread.posts[0].id if thread.posts else 'thread'}.{extension}"
