"""Every message the bot sends or edits passes here: shared limiter, 429 pauses, 403 gone.

The only module (with `limiter.py`) that catches python-telegram-bot's own errors. A 429 pauses
that chat (or everything) in the shared limiter for `retry_after` and the same call is tried
again; a user who blocked the bot (403) is not retried; editing a message into the text it
already has counts as done, which makes a redelivered job's edits idempotent.

Rich messages (Bot API 10.1, https://core.telegram.org/bots/api#sendrichmessage) go through the
same calls. python-telegram-bot 22.8 has no method for them, so `send_rich` posts through
`Bot.do_api_request` and `edit_rich` sends `rich_message` as the content of `editMessageText`.
A server older than 10.1 answers 404 to the unknown method (and ignores the unknown field of an
edit, finding no text); the first such answer is logged and remembered, and every
rich call after it raises `RichUnsupportedError` at once, so the caller sends the classic answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResult,
    InputFile,
    InputMessageContent,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot import metrics
from bot.limiter import SendLimiter
from bot.rendering.telegram_rich import RichMessage

log = logging.getLogger("bot.delivery")
T = TypeVar("T")

MAX_SEND_ATTEMPTS = 6
NETWORK_RETRY_S = 0.5
_NOT_MODIFIED = "message is not modified"
_GONE_MESSAGE = ("message to edit not found", "message can't be edited", "message_id_invalid")
# What a server older than Bot API 10.1 answers to an edit whose only content is `rich_message`.
_NO_TEXT = "message text is empty"


class UndeliverableError(Exception):
    """Telegram will not take this message there: the chat blocked the bot or is gone, the
    topic is closed, the bot lacks rights, or the message itself is refused. Nothing more is
    sent there for this request; retrying the job would not change the answer."""


class _NotModifiedError(Exception):
    """An edit into the text the message already has."""


class NotDeliveredError(NetworkError):
    """Telegram did not take the message, in transit (a 5xx, a dropped connection, 429 past
    the tries): the same message may be sent again later, by a job that is tried again."""


class MessageGoneError(Exception):
    """The message to edit was deleted (the user removed the placeholder)."""


class InputRichMessageContent(InputMessageContent):
    """An inline result's content as one rich message (Bot API 10.1), a type that
    python-telegram-bot 22.8 does not have yet; it serialises as `{"rich_message": …}`."""

    __slots__ = ("rich_message",)

    def __init__(self, message: RichMessage, *, api_kwargs: dict[str, Any] | None = None):
        super().__init__(api_kwargs=api_kwargs)
        with self._unfrozen():
            self.rich_message = rich_message_payload(message)
            self._id_attrs = (message.html,)


_EDIT_MESSAGE_TEXT = "editmessagetext"
"""`editMessageText` as `Sender._edit_message` names it (https://core.telegram.org/bots/api:
"All methods in the Bot API are case-insensitive")."""

_PROBE: dict[str, object] = {"chat_id": 0, "rich_message": {"html": "<p>?</p>"}}
"""A rich message to no chat: the cheapest question whether the server knows the method."""


class RichUnsupportedError(Exception):
    """The Bot API server does not know rich messages (older than 10.1): answer classically."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a message goes: a chat (and forum topic), or an inline message."""

    chat_id: int | None = None
    is_group: bool = False
    thread_id: int | None = None
    inline_message_id: str | None = None


def preview_options(url: str | None) -> LinkPreviewOptions:
    """Show a large preview of `url` above nothing else, or no preview at all."""
    if url is None:
        return LinkPreviewOptions(is_disabled=True)
    return LinkPreviewOptions(url=url, prefer_large_media=True)


class Sender:
    """Sends and edits through the shared limiter, riding out 429s."""

    def __init__(self, bot: Bot, limiter: SendLimiter) -> None:
        self.bot = bot
        self.limiter = limiter
        self.rich_supported: bool | None = None  # None until a rich call has been answered
        self._rich_probe = asyncio.Lock()
        self.drafts_supported: bool | None = None  # None until the server was asked
        self._draft_probe = asyncio.Lock()

    async def send(
        self,
        target: Target,
        html: str,
        *,
        reply_to: int | None = None,
        preview_url: str | None = None,
        buttons: InlineKeyboardMarkup | None = None,
        quiet: bool = False,
        slot_taken: bool = False,
    ) -> Message:
        """Send a new HTML message to a chat, replying to `reply_to` when it still exists.

        A `quiet` message arrives without a notification sound. With `slot_taken` the caller
        already holds the limiter's slot for it (`try_acquire`).
        """
        reply = reply_parameters(reply_to)
        return await self._call(
            target,
            lambda: self.bot.send_message(
                chat_id=target.chat_id,  # type: ignore[arg-type]
                text=html,
                parse_mode=ParseMode.HTML,
                message_thread_id=target.thread_id,
                reply_parameters=reply,
                link_preview_options=preview_options(preview_url),
                reply_markup=buttons,
                disable_notification=quiet or None,
            ),
            slot_taken=slot_taken,
        )

    async def edit(
        self,
        target: Target,
        html: str,
        *,
        message_id: int | None = None,
        preview_url: str | None = None,
        buttons: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Edit a chat message (or the inline message of `target`) into `html`.

        Raises:
            MessageGoneError: the message no longer exists.
            UndeliverableError: Telegram will not take it there.
        """
        content = {
            "text": html,
            "parse_mode": ParseMode.HTML,
            "link_preview_options": preview_options(preview_url),
            "reply_markup": buttons,
        }
        try:
            await self._call(
                target, lambda: self._edit_message(target, message_id, content), idempotent=True
            )
        except _NotModifiedError:
            return  # already says this: a redelivered job editing again

    async def knows_rich_messages(self) -> bool:
        """Tell whether the Bot API server knows rich messages, asking it once per process.

        The question is a `sendRichMessage` to chat 0, which no server delivers: a server that
        knows the method refuses the chat (400), an older one does not know the method (404).
        Asking first keeps a refused rich answer out of every chat. A network failure leaves
        the question open, and this answer classic.
        """
        if self.rich_supported is not None:
            return self.rich_supported  # known: asked again (every answer) without the lock
        async with self._rich_probe:
            if self.rich_supported is None:
                try:
                    await self.bot.do_api_request("sendRichMessage", api_kwargs=_PROBE)
                except (EndPointNotFound, InvalidToken) as exc:
                    self._rich_unsupported(exc)
                except (BadRequest, Forbidden):
                    self.rich_supported = True
                except TelegramError:
                    return False
                else:
                    self.rich_supported = True
        return bool(self.rich_supported)

    async def send_rich(
        self,
        target: Target,
        message: RichMessage,
        *,
        reply_to: int | None = None,
        buttons: InlineKeyboardMarkup | None = None,
    ) -> int:
        """Send a rich message to a chat, replying to `reply_to` when it still exists; return
        its message id (PTB's `Message` of it would cost about 0.17 ms of CPU to build, and
        only the id is read).

        Raises:
            RichUnsupportedError: the server has no `sendRichMessage`; nothing was sent.
            UndeliverableError: Telegram will not take it there.
        """
        self._require_rich()
        arguments: dict[str, object] = {
            "chat_id": target.chat_id,
            "rich_message": rich_message_payload(message),
            "message_thread_id": target.thread_id,
            "reply_markup": buttons,
        }
        if reply_to:
            arguments["reply_parameters"] = reply_parameters(reply_to)

        async def send() -> int:
            try:
                sent = await self.bot.do_api_request("sendRichMessage", api_kwargs=arguments)
            except (EndPointNotFound, InvalidToken) as exc:
                # PTB raises EndPointNotFound for a 404 once the bot is initialised, and
                # InvalidToken before that; a bad token would fail the classic send next.
                raise self._rich_unsupported(exc) from exc
            self.rich_supported = True
            return int(sent["message_id"])

        return await self._call(target, send)

    async def edit_rich(
        self,
        target: Target,
        message: RichMessage,
        *,
        message_id: int | None = None,
        buttons: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Edit a chat message (or the inline message of `target`) into a rich message.

        Raises:
            RichUnsupportedError: the server does not take `rich_message` in an edit.
            MessageGoneError: the message no longer exists.
            UndeliverableError: Telegram will not take it there.
        """
        self._require_rich()

        content = {"rich_message": rich_message_payload(message), "reply_markup": buttons}

        async def edit() -> None:
            try:
                await self._edit_message(target, message_id, content)
            except BadRequest as exc:
                if _NO_TEXT in exc.message.lower():
                    raise self._rich_unsupported(exc) from exc
                raise
            self.rich_supported = True

        try:
            await self._call(target, edit, idempotent=True)
        except _NotModifiedError:
            return  # already says this: a redelivered job editing again

    def _require_rich(self) -> None:
        if self.rich_supported is False:
            raise RichUnsupportedError("rich messages are not supported by this Bot API server")

    def _rich_unsupported(self, error: TelegramError) -> RichUnsupportedError:
        if self.rich_supported is not False:
            log.warning("telegram has no rich messages; answering classically from now on")
        self.rich_supported = False
        return RichUnsupportedError(error.message)

    async def send_document(self, target: Target, data: bytes, filename: str) -> Message:
        """Send a file (Markdown, EPUB) to a chat."""
        return await self._call(
            target,
            lambda: self.bot.send_document(
                chat_id=target.chat_id,  # type: ignore[arg-type]
                document=InputFile(data, filename=filename),
                message_thread_id=target.thread_id,
            ),
        )

    async def try_edit(self, target: Target, html: str, *, message_id: int | None) -> None:
        """Edit now if the limiter has room, else skip: for progress, which must never hold up
        the fetch or spend the chat's budget ahead of the answer."""
        if await self.limiter.try_acquire(target.chat_id, is_group=target.is_group) > 0:
            return
        with contextlib.suppress(TelegramError):
            content = {"text": html, "parse_mode": ParseMode.HTML}
            await self._edit_message(target, message_id, content)

    async def _edit_message(
        self, target: Target, message_id: int | None, content: Mapping[str, object]
    ) -> None:
        """Make one `editMessageText` call; Telegram's answer (the edited message) is not read.

        Through `do_api_request` under the method's lower-case name: Telegram's method names
        are case-insensitive, and PTB warns only for a name it has a method of. Its own
        method builds a `Message` of the answer, entities and all: about 5 % of a worker's CPU
        in a burst of rich answers, for nothing. None values are left out of the call.
        """
        where: dict[str, object] = (
            {"inline_message_id": target.inline_message_id}
            if target.inline_message_id
            else {"chat_id": target.chat_id, "message_id": message_id}
        )
        await self.bot.do_api_request(_EDIT_MESSAGE_TEXT, api_kwargs={**where, **content})

    async def knows_drafts(self) -> bool:
        """Tell whether the Bot API server shows drafts (9.3+), asking it once per process.

        Asked like `knows_rich_messages`: a draft to chat 0 is refused (400) by a server that
        knows the method and unknown (404) to an older one.
        """
        if self.drafts_supported is not None:
            return self.drafts_supported  # known: asked again without the lock
        async with self._draft_probe:
            if self.drafts_supported is None:
                try:
                    await self.bot.send_message_draft(chat_id=0, draft_id=1, text="?")
                except (EndPointNotFound, InvalidToken):
                    self.drafts_supported = False
                    log.warning("telegram has no drafts; a slow answer gets a placeholder")
                except (BadRequest, Forbidden):
                    self.drafts_supported = True
                except TelegramError:
                    return False
                else:
                    self.drafts_supported = True
        return bool(self.drafts_supported)

    async def draft(self, target: Target, html: str, *, draft_id: int) -> None:
        """Show (or update) a draft in a private chat; best effort, like `typing`.

        Drafts are not messages: Telegram shows one for about 30 seconds, and the answer sent
        as a message replaces it, so they do not spend the chat's send budget.
        """
        if target.chat_id is None:
            return
        with contextlib.suppress(TelegramError):
            await self.bot.send_message_draft(
                chat_id=target.chat_id,
                draft_id=draft_id,
                text=html,
                message_thread_id=target.thread_id,
                parse_mode=ParseMode.HTML,
            )

    async def send_placeholder(
        self, target: Target, html: str, *, reply_to: int | None, slot_taken: bool = False
    ) -> Message | None:
        """Send the "Unrolling…" placeholder; None when Telegram failed in transit.

        The request must not be lost with it: the caller then has the answer sent as a new
        reply once Telegram is back (a placeholder that did arrive stays as it is). With
        `slot_taken` the caller already holds the limiter's slot for it (`try_acquire`).
        """
        try:
            return await self.send(target, html, reply_to=reply_to, slot_taken=slot_taken)
        except NotDeliveredError as exc:
            log.warning("placeholder not sent", extra={"error": type(exc).__name__})
            return None

    async def delete(self, target: Target, message_id: int) -> None:
        """Delete one of the bot's messages; best effort (it may be gone already)."""
        assert target.chat_id is not None, "an inline message cannot be deleted"
        chat_id = target.chat_id
        with contextlib.suppress(TelegramError, UndeliverableError):
            await self._call(
                target, lambda: self.bot.delete_message(chat_id=chat_id, message_id=message_id)
            )

    async def offer_inline(
        self, query: InlineQuery, results: list[InlineQueryResult], **options: Any
    ) -> None:
        """Answer an inline query, tried again through a short Telegram outage or 429.

        Not paced (it sends no message); sent twice it is harmless. A user whose popup stays
        empty would have to type the link again, so a failure in transit is worth retries.
        """
        try:
            await self._call(
                Target(chat_id=None),
                lambda: query.answer(results, **options),
                idempotent=True,
                paced=False,
            )
        except UndeliverableError:
            return  # refused (the query is too old): the popup stays empty, nothing to tell

    async def acknowledge(
        self, query: CallbackQuery, text: str | None = None, *, show_alert: bool = False
    ) -> None:
        """Answer a button press (its toast); best effort, never worth holding up the press.

        Telegram may refuse it (429, a stale query): what the button asks still happens.
        """
        with contextlib.suppress(TelegramError):
            await query.answer(text, show_alert=show_alert)

    async def typing(self, target: Target) -> None:
        """Show "typing…" in the chat; best effort, never worth a retry."""
        if target.chat_id is None:
            return
        with contextlib.suppress(TelegramError):
            await self.bot.send_chat_action(
                chat_id=target.chat_id,
                action=ChatAction.TYPING,
                message_thread_id=target.thread_id,
            )

    async def _call(
        self,
        target: Target,
        call: Callable[[], Awaitable[T]],
        *,
        idempotent: bool = False,
        slot_taken: bool = False,
        paced: bool = True,
    ) -> T:
        """Make `call` through the limiter (the first attempt's slot may be the caller's)."""
        for attempt in range(1, MAX_SEND_ATTEMPTS + 1):
            if paced and (attempt > 1 or not slot_taken):
                await self.limiter.acquire(target.chat_id, is_group=target.is_group)
            try:
                return await call()
            except RetryAfter as exc:
                metrics.TELEGRAM_429.inc()
                wait_s = retry_after_s(exc)
                log.warning("telegram 429", extra={"retry_after_s": wait_s, "attempt": attempt})
                await self.limiter.pause(wait_s, chat_id=target.chat_id)
                if not paced:
                    await asyncio.sleep(wait_s)  # no slot to wait for: wait here
                if attempt == MAX_SEND_ATTEMPTS:
                    raise NotDeliveredError(exc.message) from exc
            except Forbidden as exc:
                log.info("recipient gone", extra={"reason": exc.message})
                raise UndeliverableError(exc.message) from exc
            except BadRequest as exc:
                raise _refusal(exc) from exc  # sending the same request again would not help
            except NetworkError as exc:
                # A timeout or a dropped connection: an edit may safely be sent again, but a
                # new message might have arrived already, so sends go back to the caller (the
                # worker retries the job later: requests already answered, and parts of a split
                # answer already sent, are skipped; the one in flight here may come twice).
                if not idempotent or attempt == MAX_SEND_ATTEMPTS:
                    raise NotDeliveredError(exc.message) from exc
                log.warning("telegram unreachable", extra={"error": type(exc).__name__})
                await asyncio.sleep(NETWORK_RETRY_S * attempt)
        raise AssertionError("unreachable")  # the loop returns or raises


def _refusal(error: BadRequest) -> Exception:
    text = error.message.lower()
    if _NOT_MODIFIED in text:
        return _NotModifiedError(error.message)
    if any(part in text for part in _GONE_MESSAGE):
        return MessageGoneError(error.message)
    log.error("telegram refused a message", extra={"reason": error.message})
    return UndeliverableError(error.message)


def reply_parameters(reply_to: int | None) -> ReplyParameters | None:
    """Return a reply to `reply_to` that is still sent if that message is gone meanwhile."""
    if not reply_to:
        return None
    return ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)


def rich_message_payload(message: RichMessage) -> dict[str, object]:
    """Return the InputRichMessage object for `message`: its HTML, right-to-left when it is."""
    payload: dict[str, object] = {"html": message.html}
    if message.is_rtl:
        payload["is_rtl"] = True
    return payload


def retry_after_s(error: RetryAfter) -> float:
    """Return Telegram's wait in seconds, whichever type PTB hands out.

    PTB 22 returns an int with a deprecation warning unless PTB_TIMEDELTA is set, and a
    timedelta when it is; both mean the same wait, so the warning is not worth showing.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
