"""Fake Telegram Bot API on 127.0.0.1 that python-telegram-bot talks to over a real socket.

Test support. Point PTB at it with `base_url=f"{fake.url}/bot"` and
`base_file_url=f"{fake.url}/file/bot"`. It speaks PTB's wire format (form fields with
JSON-encoded non-strings, multipart uploads, the `ok`/`result` envelope, error bodies whose
status PTB maps to its exceptions), validates texts like Telegram, delivers updates by real
long polling or by webhook, and applies privacy mode in groups. A driver (`user_sends`,
`inline_query`, `press_button`, `wait_for_call`,
`sent_to`) lets tests read as user actions. HTML parsing lives in `telegram_html`.

The file is long (one state shared by the HTTP methods and the driver); each section is headed.
Threads: uvicorn serves from its own thread and loop; tests drive from theirs. All state sits
behind one lock, and long polls wait on an `asyncio.Event` in the server's loop that other
threads set with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import queue
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram.constants import (
    InlineQueryLimit,
    InlineQueryResultLimit,
    MediaGroupLimit,
    MessageLimit,
)

from tests.fakes.server import FakeServer, hold, run_in_thread
from tests.fakes.telegram_html import (
    EntityParseError,
    ParsedText,
    command_entity,
    detect_entities,
    finish_text,
    parse_html,
    utf16_len,
    utf16_slice,
)
from tests.fakes.telegram_rich import RichMessageError
from tests.fakes.telegram_rich import validate as validate_rich

Params = dict[str, Any]
Json = dict[str, Any]

DEFAULT_TOKEN = "123456789:TEST-fake-token"
_MAX_POLL_S = 50  # Telegram caps the long-poll timeout; keeps every held request bounded
_WEBHOOK_ATTEMPTS = 3
_DEFAULT_EXCLUDED_UPDATES = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
# Form fields PTB sends as plain strings; every other field is JSON-encoded.
_STRING_FIELDS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "inline_query_id",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "language_code",
        "action",
        "next_offset",
        "ip_address",
        "document",
        "photo",
        "video",
        "audio",
        "thumbnail",
        "query",
        "data",
        "title",
        "description",
    ]
)
_QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: _POLL_CONFLICT,
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_BLOCKED_DESCRIPTIONS = {
    "private": "Forbidden: bot was blocked by the user",
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
}


# ---------------------------------------------------------------------------------------------
# Data the tests see


@dataclass(frozen=True, slots=True)
class FakeUser:
    """A Telegram user (or the bot itself) as the fake knows it."""

    id: int
    first_name: str
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = None  # the IETF tag of the user's app language, when known

    def wire(self) -> Json:
        """Return the Bot API `User` object."""
        user: Json = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


@dataclass(frozen=True, slots=True)
class FakeChat:
    """A chat: private (with `user`), group, supergroup, or forum supergroup."""

    id: int
    type: str
    title: str | None = None
    is_forum: bool = False
    user: FakeUser | None = None

    def wire(self) -> Json:
        """Return the Bot API `Chat` object."""
        chat: Json = {"id": self.id, "type": self.type}
        if self.user is not None:
            chat["first_name"] = self.user.first_name
            if self.user.username:
                chat["username"] = self.user.username
        if self.title is not None:
            chat["title"] = self.title
        if self.is_forum:
            chat["is_forum"] = True
        return chat


@dataclass
class Call:
    """One Bot API request: canonical method name, decoded params, and the answer once sent."""

    method: str
    params: Params
    time: float
    status: int | None = None
    response: Json | None = None

    @property
    def chat_id(self) -> int | str | None:
        """Return the request's `chat_id`, if it has one."""
        value: int | str | None = self.params.get("chat_id")
        return value

    @property
    def result(self) -> Any:
        """Return the `result` of a successful answer."""
        assert self.response is not None, f"{self.method} has not been answered yet"
        assert self.response["ok"], self.response
        return self.response["result"]


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A multipart file part as PTB uploaded it."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file the bot sent: uploaded bytes, or a URL Telegram would have fetched."""

    file_id: str
    file_unique_id: str
    path: str
    filename: str | None
    mime_type: str | None
    content: bytes | None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class SentDocument:
    """A document message the bot sent, for `documents_sent`."""

    chat_id: int
    message_id: int
    file: StoredFile


@dataclass
class WebhookDelivery:
    """One update pushed to the webhook: final status, attempts, last error."""

    update_id: int
    status: int | None = None
    attempts: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Fault:
    status: int | None
    description: str | None
    retry_after: int | None
    delay_s: float


@dataclass(frozen=True, slots=True)
class _Webhook:
    url: str
    secret: str | None
    max_connections: int


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code, description, optional parameters."""

    def __init__(self, status: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> Json:
        """Return the error envelope exactly as Telegram shapes it."""
        body: Json = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# ---------------------------------------------------------------------------------------------
# Request decoding


def _decode_field(name: str, value: str) -> Any:
    if name in _STRING_FIELDS:
        return value
    if name == "chat_id":
        return int(value) if value.lstrip("-").isdigit() else value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_multipart(body: bytes, content_type: str) -> dict[str, str | UploadedFile]:
    """Split multipart/form-data with the stdlib MIME parser (no extra dependency)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    fields: dict[str, str | UploadedFile] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        filename = part.get_filename()
        if filename is None:
            fields[name] = payload.decode()
        else:
            fields[name] = UploadedFile(filename, payload, part.get_content_type())
    return fields


async def _read_params(request: Request) -> Params:
    raw: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json") and body:
        return {**_decode_fields(raw), **json.loads(body)}
    if content_type.startswith("multipart/form-data"):
        raw.update(_parse_multipart(body, content_type))
    elif body:
        raw.update(parse_qsl(body.decode(), keep_blank_values=True))
    return _decode_fields(raw)


def _decode_fields(raw: Mapping[str, Any]) -> Params:
    return {k: _decode_field(k, v) if isinstance(v, str) else v for k, v in raw.items()}


def _message_ref(message: Any) -> tuple[int, int]:
    """Return (chat_id, message_id) of a wire dict or a PTB Message."""
    if hasattr(message, "to_dict"):
        message = message.to_dict()
    return int(message["chat"]["id"]), int(message["message_id"])


def _buttons(markup: Json | None) -> list[Json]:
    rows = (markup or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


class FakeTelegram:
    """The fake Bot API server plus a driver that plays the users."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = "UnrollTestBot",
        first_name: str = "Unroll Test Bot",
        privacy_mode: bool = True,
        mentions_pass_privacy: bool = True,
        inline_feedback: bool = True,
        can_join_groups: bool = True,
        supports_inline_queries: bool = True,
        supports_rich_messages: bool = True,
        supports_drafts: bool = True,
    ) -> None:
        """Configure the bot; knobs mirror BotFather settings.

        `mentions_pass_privacy` exists because whether a privacy-mode bot receives a plain
        @mention is unverified: turn it off to test the `/cmd@bot` fallback.
        `supports_rich_messages` off plays a Bot API server older than 10.1: `sendRichMessage`
        is an unknown method (404) and `editMessageText` ignores `rich_message`.
        `supports_drafts` off plays one older than 9.3: `sendMessageDraft` is unknown (404).
        """
        self.token = token
        self.bot = FakeUser(int(token.split(":")[0]), first_name, username, is_bot=True)
        self._knobs = (
            privacy_mode,
            mentions_pass_privacy,
            inline_feedback,
            can_join_groups,
            supports_inline_queries,
            supports_rich_messages,
            supports_drafts,
        )
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._next_update_id = 100_000_001  # never reset: update ids only grow, as on Telegram
        self._poll_generation = 0
        self._reset_generation = 0
        self._outbox: queue.Queue[Json | None] = queue.Queue()
        self._deliverer: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._closing = False
        self.reset()
        self._methods = self._method_table()
        self.server = FakeServer(
            [
                Route("/bot{token}/{method}", self._api_endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file_endpoint, methods=["GET"]),
            ],
            name="fake-telegram",
        )

    # -----------------------------------------------------------------------------------------
    # Lifecycle

    def reset(self) -> None:
        """Forget every chat, message, call, fault and webhook and restore the knobs.

        One server can then serve a whole test module: a fresh server per test costs a
        uvicorn shutdown (about 0.2 s) each time.
        """
        with self._lock:
            (
                self.privacy_mode,
                self.mentions_pass_privacy,
                self.inline_feedback,
                self.can_join_groups,
                self.supports_inline_queries,
                self.supports_rich_messages,
                self.supports_drafts,
            ) = self._knobs
            self.webhook_deliveries: list[WebhookDelivery] = []
            self._calls: list[Call] = []
            self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
            self._blocked: set[int] = set()
            self._users: dict[int, FakeUser] = {}
            self._admins: dict[int, set[int]] = defaultdict(set)
            self._chats: dict[int, FakeChat] = {}
            self._messages: dict[int, dict[int, Json]] = defaultdict(dict)
            self._last_message_id: dict[int, int] = defaultdict(int)
            self._topics: dict[int, set[int]] = defaultdict(set)
            self._files: dict[str, StoredFile] = {}
            self._documents: list[SentDocument] = []
            self._inline_queries: dict[str, Json] = {}
            self._inline_messages: dict[str, Json] = {}
            self._callback_queries: dict[str, bool] = {}
            self._commands: dict[tuple[str, str], list[Json]] = {}
            self._updates: list[Json] = []
            self._first_update_id = self._next_update_id
            self._allowed_updates: frozenset[str] | None = None
            self._webhook: _Webhook | None = None
            self._webhook_error: tuple[int, str] | None = None
            self._poll_generation += 1  # a poll still held from before ends
            self._reset_generation += 1  # and so does a call held by `delay_next`
            with contextlib.suppress(queue.Empty):
                for _ in range(self._outbox.qsize()):
                    self._outbox.get_nowait()
        self._wake_pollers()

    @property
    def url(self) -> str:
        """Return the server's base URL, e.g. `http://127.0.0.1:PORT`."""
        return self.server.url

    def start(self) -> FakeTelegram:
        """Start serving on a free 127.0.0.1 port."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Release held long polls, stop webhook delivery, stop the server."""
        with self._lock:
            self._closing = True
        self._wake_pollers()
        if self._deliverer is not None:
            self._outbox.put(None)
            self._deliverer.join(timeout=10)
        self.server.stop()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -----------------------------------------------------------------------------------------
    # HTTP endpoints

    def _method_table(self) -> dict[str, tuple[str, Callable[[Params], Any]]]:
        handlers: dict[str, Callable[[Params], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendMessageDraft": self._send_message_draft,
            "editMessageText": self._edit_message_text,
            "sendRichMessage": self._send_rich_message,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendMediaGroup": self._send_media_group,
            "answerInlineQuery": self._answer_inline_query,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getFile": self._get_file,
            "getChatMember": self._get_chat_member,
        }
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

    async def _api_endpoint(self, request: Request) -> Response:
        self._remember_loop()
        name = request.path_params["method"]
        canonical, handler = self._methods.get(name.lower(), (name, None))
        params = await _read_params(request)
        call = Call(canonical, params, time.time())
        with self._lock:
            self._calls.append(call)
        try:
            status, body = 200, {"ok": True, "result": await self._answer(call, request, handler)}
        except ApiError as error:
            status, body = error.status, error.body()
        call.response, call.status = body, status
        return JSONResponse(body, status_code=status)

    async def _answer(
        self, call: Call, request: Request, handler: Callable[[Params], Any] | None
    ) -> Any:
        if request.path_params["token"] != self.token:
            raise ApiError(401, "Unauthorized")
        if handler is None:
            raise ApiError(404, "Not Found")
        await self._apply_fault(call.method)
        try:
            result = handler(call.params)
            return await result if inspect.isawaitable(result) else result
        except (ValueError, TypeError, KeyError) as error:
            # A parameter of the wrong shape: Telegram answers 400, never 500.
            raise _bad(f"invalid parameters: {error!r}") from error

    async def _file_endpoint(self, request: Request) -> Response:
        path = request.path_params["path"]
        with self._lock:
            found = [f for f in self._files.values() if f.path == path and f.content is not None]
        if request.path_params["token"] != self.token or not found:
            return JSONResponse(ApiError(404, "Not Found").body(), status_code=404)
        return Response(found[0].content, media_type=found[0].mime_type)

    def _remember_loop(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._wakeup = asyncio.Event()

    # -----------------------------------------------------------------------------------------
    # Fault knobs

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 3,
        *,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls to `method` with an error, shaped as Telegram does.

        A 429 carries `parameters.retry_after`, so PTB raises `RetryAfter`.
        """
        if status == 429:
            description = description or f"Too Many Requests: retry after {retry_after}"
        fault = _Fault(status, description, retry_after if status == 429 else None, 0.0)
        with self._lock:
            self._faults[method.lower()].extend([fault] * times)

    def delay_next(self, method: str, delay_s: float, *, times: int = 1) -> None:
        """Hold the next `times` answers to `method` for `delay_s` seconds (slow Telegram).

        A call still held at `reset` or `stop` is answered 502 then: its test is over, and a
        held answer must not hold up the next test or the server's shutdown.
        """
        with self._lock:
            self._faults[method.lower()].extend([_Fault(None, None, None, delay_s)] * times)

    def user_deletes(self, chat: FakeChat, message: Json) -> None:
        """Delete a message as a user does in the app: the bot is not told."""
        with self._lock:
            self._messages[chat.id].pop(message["message_id"], None)

    def block_chat(self, chat: FakeChat | int) -> None:
        """Make every call aimed at `chat` fail with 403, as after a user blocks the bot."""
        with self._lock:
            self._blocked.add(self._chat(chat).id)

    async def _apply_fault(self, method: str) -> None:
        with self._lock:
            pending = self._faults.get(method.lower())
            fault = pending.popleft() if pending else None
        if fault is None:
            return
        generation = self._reset_generation

        def still_current() -> bool:
            return generation == self._reset_generation and not self.server.stopping

        if fault.delay_s and not await hold(fault.delay_s, still_current):
            raise ApiError(502, "Bad Gateway: held past the end of its test")
        if fault.status is not None:
            description = fault.description or _DEFAULT_DESCRIPTIONS.get(fault.status, "Error")
            parameters = {"retry_after": fault.retry_after} if fault.retry_after else None
            raise ApiError(fault.status, description, parameters)

    # -----------------------------------------------------------------------------------------
    # Chats and messages

    def _chat(self, chat: FakeChat | int | str) -> FakeChat:
        chat_id = chat.id if isinstance(chat, FakeChat) else chat
        with self._lock:
            found = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if found is None:
            raise _bad("chat not found")
        return found

    def _get_chat_member(self, params: Params) -> Json:
        chat = self._target_chat(params)
        user = self._users.get(int(params["user_id"]))
        if user is None:
            raise _bad("Bad Request: user not found")
        if user.id in self._admins[chat.id]:
            return {"status": "creator", "user": user.wire(), "is_anonymous": False}
        return {"status": "member", "user": user.wire()}

    def _target_chat(self, params: Params) -> FakeChat:
        chat = self._chat(params.get("chat_id", 0))
        if chat.id in self._blocked:
            raise ApiError(403, _BLOCKED_DESCRIPTIONS[chat.type])
        return chat

    def _new_message(
        self,
        chat: FakeChat,
        sender: FakeUser,
        content: Json,
        *,
        thread_id: int | None = None,
        reply_to: Json | None = None,
    ) -> Json:
        """Store a message with the next id in `chat` and return a copy of it."""
        with self._lock:
            self._last_message_id[chat.id] += 1
            message: Json = {
                "message_id": self._last_message_id[chat.id],
                "from": sender.wire(),
                "chat": chat.wire(),
                "date": int(time.time()),
            }
            message.update(self._placement_fields(chat, thread_id, reply_to))
            message.update(content)
            self._messages[chat.id][message["message_id"]] = message
            return copy.deepcopy(message)

    def _placement_fields(
        self, chat: FakeChat, thread_id: int | None, reply_to: Json | None
    ) -> Json:
        fields: Json = {}
        if chat.is_forum and reply_to is not None and thread_id is None:
            thread_id = reply_to.get("message_thread_id")  # a reply lands in its topic
        if chat.is_forum and thread_id is not None:
            fields = {"message_thread_id": thread_id, "is_topic_message": True}
            # In a topic every message replies to the topic's root when nothing else.
            reply_to = reply_to or self._messages[chat.id].get(thread_id)
        if reply_to is not None:
            fields["reply_to_message"] = {
                k: v for k, v in copy.deepcopy(reply_to).items() if k != "reply_to_message"
            }
        return fields

    def _stored(self, chat_id: int, message_id: int) -> Json | None:
        with self._lock:
            return self._messages.get(chat_id, {}).get(message_id)

    def _is_from_bot(self, message: Json) -> bool:
        return bool(message.get("from", {}).get("id") == self.bot.id)

    # -----------------------------------------------------------------------------------------
    # Text validation

    def _parse_text(
        self,
        source: Mapping[str, Any],
        key: str,
        *,
        limit: int = MessageLimit.MAX_TEXT_LENGTH,
        entities_key: str = "entities",
        empty_error: str = "message text is empty",
    ) -> ParsedText:
        """Turn `source[key]` into stored text and entities, refusing what Telegram refuses."""
        raw = str(source.get(key, ""))
        given = source.get(entities_key)
        mode = str(source.get("parse_mode") or "").lower()
        if given:
            parsed = ParsedText(raw, list(given))
        elif mode == "html":
            try:
                parsed = parse_html(raw)
            except EntityParseError as error:
                raise _bad(f"can't parse entities: {error}") from error
        elif mode:
            raise _bad(f"can't parse entities: the fake supports only HTML, not {mode!r}")
        else:
            parsed = ParsedText(raw)
        parsed = finish_text(parsed.text, parsed.entities)
        if not parsed.text and empty_error:
            raise _bad(empty_error)
        if utf16_len(parsed.text) > limit:
            too_long = "message is too long" if key != "caption" else "message caption is too long"
            raise _bad(too_long)
        return parsed

    def _caption(self, source: Mapping[str, Any]) -> Json:
        parsed = self._parse_text(
            source,
            "caption",
            limit=MessageLimit.CAPTION_LENGTH,
            entities_key="caption_entities",
            empty_error="",
        )
        fields: Json = {"caption": parsed.text} if parsed.text else {}
        if parsed.entities:
            fields["caption_entities"] = parsed.entities
        return fields

    @staticmethod
    def _text_fields(parsed: ParsedText) -> Json:
        fields: Json = {"text": parsed.text}
        if parsed.entities:
            fields["entities"] = parsed.entities
        return fields

    # -----------------------------------------------------------------------------------------
    # Bot API methods: identity and webhook

    def _get_me(self, params: Params) -> Json:
        return {
            **self.bot.wire(),
            "can_join_groups": self.can_join_groups,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": self.supports_inline_queries,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_webhook(self, params: Params) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        if urlsplit(url).hostname not in {"127.0.0.1", "localhost"}:
            raise _bad("bad webhook: the fake only delivers to 127.0.0.1")
        self.use_webhook(
            url,
            params.get("secret_token"),
            max_connections=int(params.get("max_connections", 40)),
            drop_pending_updates=bool(params.get("drop_pending_updates")),
        )
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        return True

    def _delete_webhook(self, params: Params) -> bool:
        with self._lock:
            self._webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _get_webhook_info(self, params: Params) -> Json:
        with self._lock:
            hook, error, pending = self._webhook, self._webhook_error, len(self._updates)
        info: Json = {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
        if hook is not None:
            info.update(url=hook.url, max_connections=hook.max_connections)
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        if error is not None:
            info.update(last_error_date=error[0], last_error_message=error[1])
        return info

    # -----------------------------------------------------------------------------------------
    # Bot API methods: getUpdates long polling

    async def _get_updates(self, params: Params) -> list[Json]:
        with self._lock:
            if self._webhook is not None:
                raise ApiError(409, _WEBHOOK_CONFLICT)
            if "allowed_updates" in params:
                self._set_allowed(params["allowed_updates"])
            self._confirm(int(params.get("offset", 0)))
            self._poll_generation += 1
            generation = self._poll_generation
        self._wake_pollers()  # an older poll still waiting now ends with 409, as on Telegram
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        deadline = time.monotonic() + min(max(float(params.get("timeout", 0)), 0), _MAX_POLL_S)
        assert self._wakeup is not None
        while True:  # bounded by the deadline: every pass either returns or waits it out
            self._wakeup.clear()
            with self._lock:
                if generation != self._poll_generation:
                    raise ApiError(409, _POLL_CONFLICT)
                batch = copy.deepcopy(self._updates[:limit])
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _set_allowed(self, allowed: list[str]) -> None:
        self._allowed_updates = frozenset(allowed) if allowed else None

    def _is_allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in _DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _wake_pollers(self) -> None:
        if self._loop is not None and self._wakeup is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wakeup.set)

    def _push_update(self, kind: str, payload: Json) -> None:
        """Queue an update for getUpdates, or hand it to the webhook deliverer."""
        with self._lock:
            if not self._is_allowed(kind):
                return  # Telegram never creates updates of types the bot did not ask for
            update = {"update_id": self._next_update_id, kind: copy.deepcopy(payload)}
            self._next_update_id += 1
            if self._webhook is not None:
                self._outbox.put(update)
                return
            self._updates.append(update)
        self._wake_pollers()

    # -----------------------------------------------------------------------------------------
    # Webhook delivery

    def use_webhook(
        self,
        url: str,
        secret: str | None = None,
        *,
        max_connections: int = 40,
        drop_pending_updates: bool = False,
    ) -> None:
        """POST updates to `url` from now on, with the secret-token header when set.

        Pending updates go to the webhook too, unless dropped.
        """
        with self._lock:
            self._webhook = _Webhook(url, secret, max_connections)
            pending, self._updates = self._updates, []
            if self._deliverer is None:
                self._deliverer = run_in_thread(self._deliver_forever)
        for update in [] if drop_pending_updates else pending:
            self._outbox.put(update)

    def _deliver_forever(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            # Ends on the None that stop() sends; each item is bounded by _WEBHOOK_ATTEMPTS.
            while (update := self._outbox.get()) is not None:
                self._deliver(client, update)

    def _deliver(self, client: httpx.Client, update: Json) -> None:
        record = WebhookDelivery(update["update_id"])
        for attempt in range(1, _WEBHOOK_ATTEMPTS + 1):
            with self._lock:
                hook = self._webhook
            if hook is None:  # webhook deleted meanwhile: the update waits for getUpdates
                with self._lock:
                    if update["update_id"] >= self._first_update_id:  # not from before reset()
                        self._updates.append(update)
                self._wake_pollers()
                return
            record.attempts = attempt
            if self._post_update(client, hook, update, record):
                break
            time.sleep(0.05 * attempt)
        with self._lock:
            self.webhook_deliveries.append(record)
            if record.error is not None and record.status != 200:
                self._webhook_error = (int(time.time()), record.error)

    @staticmethod
    def _post_update(
        client: httpx.Client, hook: _Webhook, update: Json, record: WebhookDelivery
    ) -> bool:
        headers = {"Content-Type": "application/json"}
        if hook.secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret
        try:
            response = client.post(hook.url, content=json.dumps(update), headers=headers)
        except httpx.HTTPError as error:
            record.error = f"Connection failed: {type(error).__name__}"
            return False
        record.status = response.status_code
        if response.is_success:
            return True
        record.error = f"Wrong response from the webhook: {response.status_code}"
        return False

    # -----------------------------------------------------------------------------------------
    # Bot API methods: sending and editing

    def _send_message_draft(self, params: Params) -> bool:
        """A draft (Bot API 9.3): shown in a private chat for a while, never a message."""
        if not self.supports_drafts:
            raise ApiError(404, "Not Found")
        chat = self._target_chat(params)
        if chat.type != "private":
            raise _bad("drafts can be sent only to private chats")
        if not int(params.get("draft_id") or 0):
            raise _bad("draft_id must be non-zero")
        self._parse_text(params, "text")
        return True

    def _send_message(self, params: Params) -> Json:
        chat = self._target_chat(params)
        content = self._text_fields(self._parse_text(params, "text"))
        if params.get("link_preview_options"):
            content["link_preview_options"] = params["link_preview_options"]
        return self._send(chat, params, content)

    def _send(self, chat: FakeChat, params: Params, content: Json) -> Json:
        thread_id = self._thread_for(chat, params)
        reply_to = self._reply_target(chat, params)
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content = {**content, "reply_markup": markup}  # only inline keyboards are echoed
        return self._new_message(chat, self.bot, content, thread_id=thread_id, reply_to=reply_to)

    def _thread_for(self, chat: FakeChat, params: Params) -> int | None:
        thread_id = params.get("message_thread_id")
        if thread_id is None:
            return None
        with self._lock:
            known = chat.is_forum and int(thread_id) in self._topics[chat.id]
        if not known:
            raise _bad("message thread not found")
        return int(thread_id)

    def _reply_target(self, chat: FakeChat, params: Params) -> Json | None:
        reply = dict(params.get("reply_parameters") or {})
        if not reply and params.get("reply_to_message_id"):  # the pre-7.0 spelling
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply"),
            }
        if not reply:
            return None
        target = self._stored(int(reply.get("chat_id", chat.id)), int(reply["message_id"]))
        if target is None and not reply.get("allow_sending_without_reply"):
            raise _bad("message to be replied not found")
        return target

    def _edit_target(self, params: Params) -> tuple[Json, bool]:
        """Return the stored message an edit aims at, and whether it is an inline message."""
        if params.get("inline_message_id"):
            with self._lock:
                inline = self._inline_messages.get(str(params["inline_message_id"]))
            if inline is None:
                raise _bad("MESSAGE_ID_INVALID")
            return inline, True
        chat = self._target_chat(params)
        stored = self._stored(chat.id, int(params.get("message_id", 0)))
        if stored is None:
            raise _bad("message to edit not found")
        if not self._is_from_bot(stored):
            raise _bad("message can't be edited")
        return stored, False

    def _apply_edit(self, target: Json, changes: Json, *, inline: bool) -> Json | bool:
        with self._lock:
            if all(target.get(k) == v for k, v in changes.items()):
                raise _bad(_NOT_MODIFIED.removeprefix("Bad Request: "))
            for key, value in changes.items():
                if value is None:
                    target.pop(key, None)
                else:
                    target[key] = value
            target["edit_date"] = int(time.time())
            return True if inline else copy.deepcopy(target)

    def _edit_message_text(self, params: Params) -> Json | bool:
        if params.get("rich_message") is not None and self.supports_rich_messages:
            return self._edit_rich_message(params)
        # A server without rich messages ignores the unknown field and finds no text.
        parsed = self._parse_text(params, "text")
        target, inline = self._edit_target(params)
        if "text" not in target and "rich_message" not in target and not inline:
            raise _bad("there is no text in the message to edit")
        changes: Json = {
            "text": parsed.text,
            "entities": parsed.entities or None,
            "rich_message": None,
            # Editing without reply_markup removes the keyboard, as on Telegram.
            "reply_markup": params.get("reply_markup"),
        }
        if params.get("link_preview_options"):
            changes["link_preview_options"] = params["link_preview_options"]
        return self._apply_edit(target, changes, inline=inline)

    # -----------------------------------------------------------------------------------------
    # Bot API methods: rich messages (Bot API 10.1)

    def _rich_content(self, params: Params) -> Json:
        """Check `rich_message` like Telegram and keep it as sent.

        Telegram stores a rich message as blocks (the `RichMessage` type); the fake keeps the
        InputRichMessage itself, which is what tests compare.
        """
        if params.get("text") and params.get("rich_message"):
            raise _bad("text and rich_message can't be used together")
        try:
            validate_rich(params.get("rich_message"))
        except RichMessageError as error:
            raise _bad(str(error)) from error
        return {"rich_message": dict(params["rich_message"])}

    def _send_rich_message(self, params: Params) -> Json:
        if not self.supports_rich_messages:
            raise ApiError(404, "Not Found")
        chat = self._target_chat(params)
        return self._send(chat, params, self._rich_content(params))

    def _edit_rich_message(self, params: Params) -> Json | bool:
        content = self._rich_content(params)
        target, inline = self._edit_target(params)
        if "text" not in target and "rich_message" not in target and not inline:
            raise _bad("there is no text in the message to edit")
        changes: Json = {
            **content,
            "text": None,
            "entities": None,
            "reply_markup": params.get("reply_markup"),
        }
        return self._apply_edit(target, changes, inline=inline)

    def _edit_message_reply_markup(self, params: Params) -> Json | bool:
        target, inline = self._edit_target(params)
        return self._apply_edit(
            target, {"reply_markup": params.get("reply_markup")}, inline=inline
        )

    def _delete_message(self, params: Params) -> bool:
        chat = self._target_chat(params)
        with self._lock:
            removed = self._messages[chat.id].pop(int(params.get("message_id", 0)), None)
        if removed is None:
            raise _bad("message to delete not found")
        return True

    def _send_chat_action(self, params: Params) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    # -----------------------------------------------------------------------------------------
    # Bot API methods: files and media

    def _store_file(self, source: Any, kind: str, params: Params) -> StoredFile:
        """Keep an uploaded file, reuse a known file_id, or note a URL Telegram would fetch."""
        if isinstance(source, str) and source.startswith("attach://"):
            source = params.get(source.removeprefix("attach://"))
        if isinstance(source, str) and source in self._files:
            return self._files[source]
        number = next(self._ids)
        if isinstance(source, UploadedFile):
            stored = StoredFile(
                f"{kind}-{number}",
                f"u{number}",
                f"{kind}s/file_{number}",
                source.filename,
                source.content_type,
                source.content,
            )
        elif isinstance(source, str) and source.startswith(("http://", "https://")):
            stored = StoredFile(f"{kind}-{number}", f"u{number}", "", None, None, None, source)
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        with self._lock:
            self._files[stored.file_id] = stored
        return stored

    @staticmethod
    def _media_fields(kind: str, stored: StoredFile) -> Json:
        media: Json = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.content is not None:
            media["file_size"] = len(stored.content)
        if kind == "photo":
            return {"photo": [{**media, "width": 800, "height": 600}]}
        if kind == "video":
            return {"video": {**media, "width": 800, "height": 600, "duration": 1}}
        if kind == "audio":
            return {"audio": {**media, "duration": 1}}
        if stored.filename:
            media["file_name"] = stored.filename
        if stored.mime_type:
            media["mime_type"] = stored.mime_type
        return {"document": media}

    def _send_file(self, params: Params, kind: str) -> Json:
        chat = self._target_chat(params)
        stored = self._store_file(params.get(kind), kind, params)
        content = {**self._media_fields(kind, stored), **self._caption(params)}
        message = self._send(chat, params, content)
        if kind == "document":
            with self._lock:
                self._documents.append(SentDocument(chat.id, message["message_id"], stored))
        return message

    def _send_document(self, params: Params) -> Json:
        return self._send_file(params, "document")

    def _send_photo(self, params: Params) -> Json:
        return self._send_file(params, "photo")

    def _send_media_group(self, params: Params) -> list[Json]:
        chat = self._target_chat(params)
        items = list(params.get("media") or [])
        if not MediaGroupLimit.MIN_MEDIA_LENGTH <= len(items) <= MediaGroupLimit.MAX_MEDIA_LENGTH:
            raise _bad("wrong number of media in the album: must be 2-10")
        kinds = {item.get("type") for item in items}
        if len(kinds) > 1 and kinds & {"document", "audio"}:
            raise _bad("documents and audio can't be mixed with other media types")
        group_id = str(next(self._ids))
        messages = []
        for item in items:
            stored = self._store_file(item.get("media"), str(item.get("type")), params)
            content = {
                **self._media_fields(str(item.get("type")), stored),
                **self._caption(item),
                "media_group_id": group_id,
            }
            messages.append(self._send(chat, params, content))
        return messages

    def _get_file(self, params: Params) -> Json:
        with self._lock:
            stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise _bad("invalid file_id")
        file: Json = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.content is not None:
            file.update(file_size=len(stored.content), file_path=stored.path)
        return file

    # -----------------------------------------------------------------------------------------
    # Bot API methods: inline mode, callbacks, commands

    def _answer_inline_query(self, params: Params) -> bool:
        results = list(params.get("results") or [])
        if len(results) > InlineQueryLimit.RESULTS:
            raise _bad("RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results]
        if any(not 1 <= len(i.encode()) <= InlineQueryResultLimit.MAX_ID_LENGTH for i in ids):
            raise _bad("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise _bad("RESULT_ID_DUPLICATE")
        for result in results:
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._parse_text(content, "message_text")
            elif "rich_message" in content:
                if not self.supports_rich_messages:
                    raise _bad("can't parse inline query result: unknown message content")
                self._rich_content(content)
        with self._lock:
            query = self._inline_queries.get(str(params.get("inline_query_id")))
            if query is None or query["answer"] is not None:
                raise ApiError(400, _QUERY_TOO_OLD)
            query["answer"] = results
        return True

    def _answer_callback_query(self, params: Params) -> bool:
        with self._lock:
            query_id = str(params.get("callback_query_id"))
            if self._callback_queries.get(query_id) is not False:
                raise ApiError(400, _QUERY_TOO_OLD)
            self._callback_queries[query_id] = True
        return True

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: Params) -> bool:
        commands = list(params.get("commands") or [])
        for command in commands:
            name = str(command.get("command", ""))
            if not (1 <= len(name) <= 32 and name.replace("_", "a").isalnum() and name.islower()):
                raise _bad("BOT_COMMAND_INVALID")
        with self._lock:
            self._commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: Params) -> list[Json]:
        with self._lock:
            return list(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: Params) -> bool:
        with self._lock:
            self._commands.pop(self._commands_key(params), None)
        return True

    # -----------------------------------------------------------------------------------------
    # Driver: people and chats

    def user(
        self,
        first_name: str = "Alice",
        username: str | None = None,
        *,
        language_code: str | None = None,
    ) -> FakeUser:
        """Create a user; `username` defaults to the lower-cased first name."""
        user = FakeUser(
            1_000_000 + next(self._ids),
            first_name,
            username or first_name.lower(),
            language_code=language_code,
        )
        with self._lock:
            self._users[user.id] = user
        return user

    def make_admin(self, chat: FakeChat, user: FakeUser) -> None:
        """Make `user` an administrator of the group `chat` (getChatMember says "creator")."""
        with self._lock:
            self._admins[chat.id].add(user.id)

    def private_chat(self, user: FakeUser) -> FakeChat:
        """Return the private chat between `user` and the bot."""
        return self._add_chat(FakeChat(user.id, "private", user=user))

    def group(self, title: str, *, forum: bool = False, supergroup: bool = True) -> FakeChat:
        """Create a group: a supergroup by default, a forum supergroup with `forum=True`."""
        number = next(self._ids)
        if forum or supergroup:
            return self._add_chat(
                FakeChat(-1_001_000_000_000 - number, "supergroup", title, forum)
            )
        return self._add_chat(FakeChat(-4_000_000_000 - number, "group", title))

    def _add_chat(self, chat: FakeChat) -> FakeChat:
        with self._lock:
            return self._chats.setdefault(chat.id, chat)

    def create_topic(self, chat: FakeChat, name: str, *, user: FakeUser) -> int:
        """Open a forum topic; returns its `message_thread_id` (its root message's id)."""
        if not chat.is_forum:
            raise ValueError(f"{chat.title!r} is not a forum")
        content = {"forum_topic_created": {"name": name, "icon_color": 7322096}}
        with self._lock:  # held across both steps so the root gets exactly this id
            thread_id = self._last_message_id[chat.id] + 1
            self._topics[chat.id].add(thread_id)
            root = self._new_message(chat, user, content, thread_id=thread_id)
        self._push_update("message", root)  # service messages reach every bot
        return thread_id

    # -----------------------------------------------------------------------------------------
    # Driver: what users do

    def user_sends(
        self,
        chat: FakeChat,
        text: str,
        *,
        user: FakeUser | None = None,
        entities: list[Json] | None = None,
        reply_to: Any = None,
        thread_id: int | None = None,
        forward_from: FakeUser | None = None,
    ) -> Json:
        """Post `text` as `user` and deliver it to the bot unless privacy mode hides it.

        Entities are computed as a Telegram client would (urls, mentions, hashtags, a leading
        `/cmd@bot`) unless given; `reply_to` is a message dict, a PTB Message, or a message id.
        """
        sender = user or chat.user
        if sender is None:
            raise ValueError("say which user sends to a group")
        if thread_id is not None and thread_id not in self._topics[chat.id]:
            raise ValueError(f"no topic {thread_id} in {chat.title!r}")
        content = self._user_content(text, entities, forward_from)
        message = self._new_message(
            chat, sender, content, thread_id=thread_id, reply_to=self._user_reply(chat, reply_to)
        )
        if self._reaches_bot(chat, message):
            self._push_update("message", message)
        return message

    def _user_reply(self, chat: FakeChat, reply_to: Any) -> Json | None:
        if reply_to is None:
            return None
        message_id = reply_to if isinstance(reply_to, int) else _message_ref(reply_to)[1]
        target = self._stored(chat.id, message_id)
        if target is None:
            raise ValueError(f"no message {message_id} in chat {chat.id}")
        return target

    @staticmethod
    def _user_content(
        text: str, entities: list[Json] | None, forward_from: FakeUser | None
    ) -> Json:
        if entities is None:
            command = command_entity(text)
            found = [command] if command else []
            entities = sorted(found + detect_entities(text, found), key=lambda e: e["offset"])
        content: Json = {"text": text}
        if entities:
            content["entities"] = entities
        urls = [e for e in entities if e["type"] == "url"]
        if urls:  # Telegram adds the preview URL on its own
            content["link_preview_options"] = {
                "url": utf16_slice(text, urls[0]["offset"], urls[0]["length"])
            }
        if forward_from is not None:
            content["forward_origin"] = {
                "type": "user",
                "sender_user": forward_from.wire(),
                "date": int(time.time()),
            }
        return content

    def _reaches_bot(self, chat: FakeChat, message: Json) -> bool:
        """Apply privacy mode: in groups only commands, replies to the bot, mentions."""
        if chat.type == "private" or not self.privacy_mode:
            return True
        reply = message.get("reply_to_message")
        if reply is not None and self._is_from_bot(reply):
            return True
        me = f"@{self.bot.username}".lower()
        for entity in message.get("entities", []):
            covered = utf16_slice(message["text"], entity["offset"], entity["length"]).lower()
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                return "@" not in covered or covered.endswith(me)
            if not self.mentions_pass_privacy:
                continue
            if entity["type"] == "mention" and covered == me:
                return True
            if entity["type"] == "text_mention" and entity["user"]["id"] == self.bot.id:
                return True
        return False

    def inline_query(self, user: FakeUser, query: str, *, chat_type: str = "sender") -> str:
        """Type `@bot query` in a chat; returns the inline query id."""
        query_id = str(5_000_000_000 + next(self._ids))
        with self._lock:
            self._inline_queries[query_id] = {"user": user, "query": query, "answer": None}
        payload = {
            "id": query_id,
            "from": user.wire(),
            "query": query,
            "offset": "",
            "chat_type": chat_type,
        }
        self._push_update("inline_query", payload)
        return query_id

    def choose_inline_result(self, user: FakeUser, query_id: str, result_id: str) -> str | None:
        """Pick an answered result; returns its `inline_message_id` when it has a keyboard.

        Telegram only gives an inline_message_id for results with an inline keyboard.
        """
        with self._lock:
            answer = self._inline_queries[query_id]["answer"] or []
        result = next((r for r in answer if str(r.get("id")) == result_id), None)
        if result is None:
            raise ValueError(f"result {result_id!r} was not offered for query {query_id}")
        payload: Json = {
            "result_id": result_id,
            "from": user.wire(),
            "query": self._inline_queries[query_id]["query"],
        }
        if result.get("reply_markup"):
            payload["inline_message_id"] = self._store_inline_message(result)
        if self.inline_feedback:
            self._push_update("chosen_inline_result", payload)
        return payload.get("inline_message_id")

    def _store_inline_message(self, result: Json) -> str:
        content = result.get("input_message_content") or {}
        if "rich_message" in content:
            stored: Json = self._rich_content(content)
        else:
            stored = self._text_fields(self._parse_text(content, "message_text", empty_error=""))
        inline_message_id = f"inline-{next(self._ids)}"
        with self._lock:
            self._inline_messages[inline_message_id] = {
                **stored,
                "reply_markup": result["reply_markup"],
            }
        return inline_message_id

    def press_button(self, user: FakeUser, message: Any, data: str) -> str:
        """Press the inline button carrying `data`; returns the callback query id.

        `message` is a message dict, a PTB Message, or an inline_message_id. Only buttons the
        message currently shows can be pressed, as in a real client.
        """
        if isinstance(message, str):
            with self._lock:
                stored = self._inline_messages[message]
            where: Json = {"inline_message_id": message}
        else:
            found = self._stored(*_message_ref(message))
            if found is None:
                raise ValueError("that message no longer exists")
            stored, where = found, {"message": found}
        if not any(b.get("callback_data") == data for b in _buttons(stored.get("reply_markup"))):
            raise ValueError(f"no button with callback_data {data!r} on that message")
        query_id = str(7_000_000_000 + next(self._ids))
        with self._lock:
            self._callback_queries[query_id] = False
        payload = {"id": query_id, "from": user.wire(), "chat_instance": "1", "data": data}
        self._push_update("callback_query", {**payload, **where})
        return query_id

    # -----------------------------------------------------------------------------------------
    # Driver: what the bot did

    @property
    def calls(self) -> list[Call]:
        """Return every Bot API call so far, in arrival order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str, chat_id: FakeChat | int | None = None) -> list[Call]:
        """Return the calls to `method` (any case), optionally only those aimed at `chat_id`."""
        wanted = chat_id.id if isinstance(chat_id, FakeChat) else chat_id
        return [
            call
            for call in self.calls
            if call.method.lower() == method.lower() and (wanted is None or call.chat_id == wanted)
        ]

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout_s: float = 10.0,
        *,
        answered: bool = True,
    ) -> Call:
        """Wait until a call to `method` matching `predicate` has been answered (or, without
        `answered`, has arrived: a held one is on its way); return it."""
        deadline = time.monotonic() + timeout_s
        while True:  # bounded by the deadline
            for call in self.calls_to(method):
                if (call.status is not None or not answered) and (
                    predicate is None or predicate(call)
                ):
                    return call
            if time.monotonic() > deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"no matching {method} call within {timeout_s} s; saw {seen}")
            await asyncio.sleep(0.02)

    def messages_in(self, chat: FakeChat | int) -> list[Json]:
        """Return every message now in `chat` (users' and the bot's), oldest first."""
        chat_id = chat.id if isinstance(chat, FakeChat) else chat
        with self._lock:
            stored = self._messages.get(chat_id, {})
            return [copy.deepcopy(stored[k]) for k in sorted(stored)]

    def sent_to(self, chat: FakeChat | int) -> list[str]:
        """Return the current texts of the bot's text messages in `chat`, after edits."""
        return [m["text"] for m in self.messages_in(chat) if self._is_from_bot(m) and "text" in m]

    def rich_sent_to(self, chat: FakeChat | int) -> list[Json]:
        """Return the current `rich_message` of the bot's rich messages in `chat`, after edits."""
        return [
            m["rich_message"]
            for m in self.messages_in(chat)
            if self._is_from_bot(m) and "rich_message" in m
        ]

    def inline_message(self, inline_message_id: str) -> Json:
        """Return the current text, entities and keyboard of a message sent via inline mode."""
        with self._lock:
            return copy.deepcopy(self._inline_messages[inline_message_id])

    def documents_sent(self, chat: FakeChat | int | None = None) -> list[SentDocument]:
        """Return the documents the bot sent (bytes and filename kept), optionally per chat."""
        chat_id = chat.id if isinstance(chat, FakeChat) else chat
        with self._lock:
            return [d for d in self._documents if chat_id is None or d.chat_id == chat_id]

    def pending_updates(self) -> list[Json]:
        """Return the updates queued for getUpdates and not yet confirmed."""
        with self._lock:
            return copy.deepcopy(self._updates)
