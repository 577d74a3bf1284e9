"""Carries out answer plans: gathers the facts a plan asks for, then sends its steps in order.

The executor decides nothing about the answer itself (that is `plan`); it presents each fetched
thread once per reading mode (shared by every requester of a job), publishes a page only when
the plan wants one, and turns each step into a `delivery` call.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from telegram import Message

from bot import metrics
from bot.answering import late_placeholder, plan, texts
from bot.answering.callback_data import button_ref
from bot.answering.pages import PagePublisher
from bot.answering.plan import (
    Edit,
    EditRich,
    Facts,
    Notify,
    RememberAnswer,
    SendDocument,
    SendPart,
    SendRich,
    Step,
)
from bot.answering.recent_threads import RecentThreads
from bot.cleaning import ReadingMode
from bot.delivery import (
    MessageGoneError,
    RichUnsupportedError,
    Sender,
    Target,
    UndeliverableError,
)
from bot.errors import UnrollError
from bot.i18n import ENGLISH, Words
from bot.i18n.catalogs import words_for
from bot.model import Thread
from bot.presentation import RENDERED_VERSION, Presentation, Rendered, from_rendered, present
from bot.request import Answer, UnrollRequest
from bot.store import AnswerMemory, ValueStore

ALREADY_UNROLLED_TTL_S = 24 * 3600
SENT_JOURNAL_TTL_S = 24 * 3600
"""How long a sent part is remembered: as long as its job can be handed out again."""
PRESENTATIONS_KEPT = 32
"""Recent presentations kept per process: enough for the jobs a worker runs at once."""


class AnswerStore(AnswerMemory, ValueStore, Protocol):
    """What answering keeps in the store: answers per group, and button digests."""


def _adds_message(step: Step) -> bool:
    return isinstance(step, SendPart | SendRich | SendDocument | Notify)


def _journal(request: UnrollRequest, index: int) -> str:
    """Name the sent journal's entry for step `index` of the request's answer."""
    return f"sent:{request.request_id}:{index}"


def draft_id(request: UnrollRequest) -> int:
    """The draft of one request, the same number on every update (Telegram animates those)."""
    return int(request.request_id[:8], 16) or 1


def target_of(request: UnrollRequest) -> Target:
    """Return where the answer to `request` goes."""
    return Target(
        chat_id=request.chat_id,
        is_group=request.is_group,
        thread_id=request.thread_id,
        inline_message_id=request.inline_message_id,
    )


@dataclass
class _Prepared:
    """A presentation, and the page published for it (tried at most once)."""

    presentation: Presentation
    page_tried: bool = False
    page_url: str | None = None


@dataclass
class Answerer:
    """Writes answers for requests; one instance per process."""

    sender: Sender
    pages: PagePublisher
    store: AnswerStore
    max_split_messages: int = 5
    _prepared: OrderedDict[tuple[str, ReadingMode, str], _Prepared] = field(
        default_factory=OrderedDict
    )
    _recent: RecentThreads = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._recent = RecentThreads(on_rendered=self.adopt)

    async def answer(self, request: UnrollRequest, result: Thread | UnrollError) -> bool:
        """Edit the request's placeholder (or earlier answer) into the result.

        Returns False when Telegram would not take the answer there (blocked, message gone).
        """
        request = await late_placeholder.settle(self.store, request)
        words = words_for(request.language)
        if isinstance(result, UnrollError):
            return await self._carry_out(request, plan.plan_failure(request, result, words))
        prepared = self._prepare(result, request.reading_mode, words)
        rich = plan.may_be_rich(request) and await self.sender.knows_rich_messages()
        facts = await self._facts(request, prepared, rich=rich)
        steps = plan.plan_answer(request, prepared.presentation, facts)
        try:
            return await self._carry_out(request, steps, prepared.presentation)
        except RichUnsupportedError:
            # The server is older than rich messages (learnt now, once per process).
            facts = await self._facts(request, prepared, rich=False)
            steps = plan.plan_answer(request, prepared.presentation, facts)
            return await self._carry_out(request, steps, prepared.presentation)

    async def apologise(self, request: UnrollRequest) -> None:
        """Tell the requester the job was given up."""
        request = await late_placeholder.settle(self.store, request)
        words = words_for(request.language)
        await self._carry_out(request, plan.plan_apology(request, words))

    async def progress(self, request: UnrollRequest, posts_so_far: int) -> None:
        """Show progress in the placeholder (or the draft) when there is room; never waits."""
        html = texts.progress(posts_so_far, words_for(request.language))
        if request.answer is Answer.REPLY_OR_PLACEHOLDER:
            # Shown only once the listener sent the placeholder (the answer is slow, then).
            placeholder = await late_placeholder.shown(self.store, request)
            if placeholder is not None:
                await self.sender.try_edit(target_of(request), html, message_id=placeholder)
        elif plan.progress_by_draft(request) and await self.sender.knows_drafts():
            await self.sender.draft(target_of(request), html, draft_id=draft_id(request))
        elif plan.shows_progress(request):
            await self.sender.try_edit(target_of(request), html, message_id=request.message_id)

    def present(self, thread: Thread, mode: ReadingMode, words: Words = ENGLISH) -> Presentation:
        """Return `thread` presented for `mode` in the language of `words`, cleaned once
        however many ask."""
        return self._prepare(thread, mode, words).presentation

    def decoded(self, cached: bytes) -> Thread | UnrollError:
        """Return the result the cache holds as `cached`: the same Thread for the same bytes
        while recent, its presentation taken from the rendering kept with it."""
        return self._recent.decoded(cached)

    async def rendering(self, thread: Thread, request: UnrollRequest) -> Rendered | None:
        """Return the rich message `request` will be answered with, to keep with the cached
        result (None where the answer will not be rich, or not whole: a thread too long for
        one message is rendered again anyway, ending with its page's link)."""
        if not plan.may_be_rich(request) or not await self.sender.knows_rich_messages():
            return None
        words = words_for(request.language)
        rendered = self.present(thread, request.reading_mode, words).rendered()
        return rendered if rendered.rich.complete else None

    def adopt(self, thread: Thread, rendered: Rendered) -> None:
        """Take `rendered` (made by whoever answered first) as `thread`'s presentation for its
        mode and language, so that answering from it needs no cleaning and rendering."""
        if rendered.version != RENDERED_VERSION:
            return  # another version of the bot rendered it: render it again here
        slot = (str(thread.key), rendered.mode, rendered.language)
        kept = self._prepared.get(slot)
        if kept is None or kept.presentation.source is not thread:
            words = words_for(rendered.language)
            self._keep(slot, _Prepared(from_rendered(thread, rendered, words)))

    async def _facts(self, request: UnrollRequest, prepared: _Prepared, *, rich: bool) -> Facts:
        earlier = await self._earlier_answer(request)
        page_url = None
        if plan.wants_page(request, prepared.presentation, rich=rich):
            page_url = await self._page_url(prepared, followed=request.answer is Answer.FOLLOW)
        return Facts(
            button_ref=await button_ref(self.store, request.key),
            earlier_answer=earlier,
            page_url=page_url,
            max_split_messages=self.max_split_messages,
            rich=rich,
        )

    async def _earlier_answer(self, request: UnrollRequest) -> str | None:
        """Return the message that answers the thread in this group: claimed for this request
        at once when none does, so two answers planned together agree on which one it is.

        An answer sent as a new reply has no id before it is sent: it claims under its request
        (`_remember` then stores the id), and is known by its journaled id once sent.
        """
        if not plan.needs_earlier_answer(request) or request.chat_id is None:
            return None
        key = str(request.key)
        if request.answer is Answer.REPLY:
            sent = await self.store.get_value(_journal(request, 0))
            own = sent if sent is not None else f"request:{request.request_id}"
            earlier = await self.store.claim_answer(
                request.chat_id, key, own, ttl_s=ALREADY_UNROLLED_TTL_S
            )
            return None if earlier == own else earlier
        if request.message_id is None:
            return await self.store.find_answer(request.chat_id, key)
        own = str(request.message_id)
        return await self.store.claim_answer(
            request.chat_id, key, own, ttl_s=ALREADY_UNROLLED_TTL_S
        )

    async def _carry_out(
        self,
        request: UnrollRequest,
        steps: tuple[Step, ...],
        presentation: Presentation | None = None,
    ) -> bool:
        target = target_of(request)
        # The answer's first message, remembered as the thread's answer in a group.
        answer_id = request.message_id
        try:
            for index, step in enumerate(steps):
                if isinstance(step, RememberAnswer):
                    await self._remember(request, answer_id)
                    continue
                if not _adds_message(step):
                    await self._carry_out_step(request, target, step, presentation)
                    continue
                # A new message sent twice is seen twice (an edit again is harmless): each one
                # is journaled once sent, with its id, so a job handed out again after a crash
                # resumes.
                journal = _journal(request, index)
                sent_id = await self.store.get_value(journal)
                if sent_id is None:
                    sent = await self._carry_out_step(request, target, step, presentation)
                    assert sent is not None, "a step that adds a message returns its id"
                    sent_id = str(sent)
                    await self.store.set_value(journal, sent_id, ttl_s=SENT_JOURNAL_TTL_S)
                answer_id = answer_id or int(sent_id)
        except UndeliverableError:
            return False  # nothing more goes there for this request
        return True

    async def _carry_out_step(
        self,
        request: UnrollRequest,
        target: Target,
        step: Step,
        presentation: Presentation | None,
    ) -> int | None:
        """Carry out one step (not RememberAnswer: `_carry_out` knows the answer's id); return
        the id of the message it added, if it added one."""
        match step:
            case Edit():
                await self._edit(request, target, step)
            case EditRich():
                await self._edit_rich(request, target, step)
            case SendPart():
                return (await self._send_part(request, target, step)).message_id
            case SendRich():
                return await self.sender.send_rich(
                    target, step.message, reply_to=request.replies_to, buttons=step.buttons
                )
            case SendDocument():
                assert presentation is not None, "a document step needs the thread"
                return (await self._send_document(target, step, presentation)).message_id
            case Notify():
                notice = await self.sender.send(
                    target, step.html, reply_to=request.message_id, quiet=step.quiet
                )
                return notice.message_id
        return None

    async def _edit(self, request: UnrollRequest, target: Target, step: Edit) -> None:
        await self._replace(
            target,
            edit=lambda: self.sender.edit(
                target,
                step.html,
                message_id=request.message_id,
                preview_url=step.preview_url,
                buttons=step.buttons,
            ),
            send=lambda: self.sender.send(
                target, step.html, preview_url=step.preview_url, buttons=step.buttons
            ),
            resend_if_gone=step.resend_if_gone,
        )

    async def _edit_rich(self, request: UnrollRequest, target: Target, step: EditRich) -> None:
        await self._replace(
            target,
            edit=lambda: self.sender.edit_rich(
                target, step.message, message_id=request.message_id, buttons=step.buttons
            ),
            send=lambda: self.sender.send_rich(target, step.message, buttons=step.buttons),
            resend_if_gone=step.resend_if_gone,
        )

    async def _send_part(self, request: UnrollRequest, target: Target, step: SendPart) -> Message:
        return await self.sender.send(
            target,
            step.html,
            reply_to=request.replies_to,
            preview_url=step.preview_url,
            buttons=step.buttons,
        )

    async def _send_document(
        self, target: Target, step: SendDocument, presentation: Presentation
    ) -> Message:
        content = presentation.document(step.format)
        data = content.encode() if isinstance(content, str) else content
        return await self.sender.send_document(target, data, step.filename)

    async def _remember(self, request: UnrollRequest, answer_id: int | None) -> None:
        assert request.chat_id is not None
        if answer_id is None:
            return  # the answer's message is not known (it was sent before ids were journaled)
        await self.store.remember_answer(
            request.chat_id,
            str(request.key),
            str(answer_id),
            ttl_s=ALREADY_UNROLLED_TTL_S,
        )

    async def _replace(
        self,
        target: Target,
        *,
        edit: Callable[[], Awaitable[object]],
        send: Callable[[], Awaitable[object]],
        resend_if_gone: bool,
    ) -> None:
        """Edit the request's message; if it is gone, `send` the answer anew (or give up)."""
        try:
            await edit()
        except MessageGoneError as exc:
            if not resend_if_gone:
                raise UndeliverableError(str(exc)) from exc
            if target.chat_id is None:
                return  # an inline message that is gone cannot be replaced
            await send()

    def _prepare(self, thread: Thread, mode: ReadingMode, words: Words) -> _Prepared:
        slot = (str(thread.key), mode, words.language)
        prepared = self._prepared.get(slot)
        # Reused only for the very same fetch: a cache hit answered meanwhile, or a Refresh,
        # brings another Thread for the same key, which must not get this one's rendering.
        if prepared is None or prepared.presentation.source is not thread:
            started = time.perf_counter()
            # Cleaned now; each output is rendered when an answer first needs it.
            prepared = _Prepared(present(thread, mode, words))
            metrics.JOB_DURATION.labels(stage="render").observe(time.perf_counter() - started)
        self._keep(slot, prepared)
        return prepared

    def _keep(self, slot: tuple[str, ReadingMode, str], prepared: _Prepared) -> None:
        self._prepared[slot] = prepared
        self._prepared.move_to_end(slot)
        while len(self._prepared) > PRESENTATIONS_KEPT:
            self._prepared.popitem(last=False)

    async def _page_url(self, prepared: _Prepared, *, followed: bool) -> str | None:
        if not prepared.page_tried:
            publish = self.pages.publish_followed if followed else self.pages.publish
            prepared.page_url = await publish(prepared.presentation)
            prepared.page_tried = True
        return prepared.page_url
