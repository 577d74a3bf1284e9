"""The answer plan: what one requester is sent, decided from facts alone. Pure: no I/O.

Every decision that depends on the kind of request lives here (a group is pointed at an
earlier answer, a Refresh says what changed and is never split, an inline message has no chat
for files); the executor gathers the facts the plan asks for and carries out its steps in order.
In order of preference an answer is: one message; a teaser linking to a page; a few messages;
a teaser with the whole thread as a Markdown file.

The plan speaks the request's language: a thread's answer in the presentation's words, a failure
or an apology in the words it is handed; it never looks a language up itself.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot.answering import callback_data, texts
from bot.errors import UnrollError
from bot.i18n import Words
from bot.model import Thread
from bot.presentation import Presentation
from bot.rendering import FORMATS, Format, telegram_html, telegram_rich
from bot.request import Answer, AnswerStyle, Destination, OutputPreference, UnrollRequest


@dataclass(frozen=True, slots=True)
class Edit:
    """Turn the request's own message (placeholder, earlier answer, inline message) into this."""

    html: str
    preview_url: str | None = None
    buttons: InlineKeyboardMarkup | None = None
    resend_if_gone: bool = True  # a deleted message is answered anew, unless it was followed


@dataclass(frozen=True, slots=True)
class EditRich:
    """Turn the request's own message into one rich message (Bot API 10.1)."""

    message: telegram_rich.RichMessage
    buttons: InlineKeyboardMarkup | None = None
    resend_if_gone: bool = True  # a deleted message is answered anew, unless it was followed


@dataclass(frozen=True, slots=True)
class SendPart:
    """Send a new message of the answer, as a reply to the request's message."""

    html: str
    buttons: InlineKeyboardMarkup | None = None
    preview_url: str | None = None


@dataclass(frozen=True, slots=True)
class SendRich:
    """Send the answer as a new rich message, as a reply to the request's message."""

    message: telegram_rich.RichMessage
    buttons: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class SendDocument:
    """Send the thread as a file into the request's chat."""

    format: Format
    filename: str


@dataclass(frozen=True, slots=True)
class RememberAnswer:
    """Remember the request's message as this thread's answer in its group."""


@dataclass(frozen=True, slots=True)
class Notify:
    """Send a short reply to the request's message, silently when `quiet`."""

    html: str
    quiet: bool = False


Step = Edit | EditRich | SendPart | SendRich | SendDocument | RememberAnswer | Notify


@dataclass(frozen=True, slots=True)
class Facts:
    """What the plan needs to know beyond the thread, each gathered only when asked for."""

    button_ref: str
    earlier_answer: str | None = None  # the message that answered this thread in this group
    page_url: str | None = None  # a readable page, when `wants_page` said so and one was had
    max_split_messages: int = 5
    rich: bool = False  # the request may be answered with a rich message (see `may_be_rich`)


def needs_earlier_answer(request: UnrollRequest) -> bool:
    """Tell whether the plan must know of an earlier answer in the chat (groups only)."""
    return (
        request.destination is Destination.GROUP
        and request.chat_id is not None
        and request.answer in (Answer.EDIT_PLACEHOLDER, Answer.EDIT_INLINE, Answer.REPLY)
    )


def is_repeat(request: UnrollRequest, earlier_answer: str | None) -> bool:
    """Tell whether the thread was already answered here, by another message than this one."""
    return (
        needs_earlier_answer(request)
        and earlier_answer is not None
        and earlier_answer != str(request.message_id)
    )


def may_be_rich(request: UnrollRequest) -> bool:
    """Tell whether a rich message may answer, as far as the request goes: the chat did not
    choose classic messages (the Bot API server must know them too)."""
    return request.style is AnswerStyle.RICH


def wants_page(request: UnrollRequest, presentation: Presentation, *, rich: bool) -> bool:
    """Tell whether the answer would use a page, so that one is worth publishing.

    A rich message that cannot hold every post links to the page to continue reading.
    """
    if request.output is OutputPreference.MESSAGE:
        return False
    if request.output is OutputPreference.PAGE:
        return True
    if rich:
        return not presentation.rich().complete
    return not telegram_html.fits_one_message(presentation.message)


def shows_progress(request: UnrollRequest) -> bool:
    """Tell whether progress may be written into the request's message (not into an answer)."""
    return request.answer in (Answer.EDIT_PLACEHOLDER, Answer.EDIT_INLINE)


def plan_failure(request: UnrollRequest, error: UnrollError, words: Words) -> tuple[Step, ...]:
    """Return the answer to a request whose thread could not be had."""
    return _as_sent(request, (Edit(html.escape(error.user_message(words), quote=False)),))


def plan_apology(request: UnrollRequest, words: Words) -> tuple[Step, ...]:
    """Return the answer to a request whose job was given up."""
    return _as_sent(request, (Edit(words.gettext(texts.APOLOGY)),))


def progress_by_draft(request: UnrollRequest) -> bool:
    """Tell whether progress is a draft (no placeholder to edit: the answer will be new).

    Only private chats have drafts: a group's request answered by reply (its placeholder
    was lost in transit) shows no progress. Whether the server knows drafts is the
    caller's to ask.
    """
    return request.answer is Answer.REPLY and request.destination is Destination.PRIVATE


def _as_sent(request: UnrollRequest, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """With no placeholder to edit, what would have been edited into it is sent anew."""
    if request.answer is not Answer.REPLY:
        return steps
    return tuple(_sent(step) for step in steps)


def _sent(step: Step) -> Step:
    if isinstance(step, Edit):
        return SendPart(step.html, step.buttons, step.preview_url)
    if isinstance(step, EditRich):
        return SendRich(step.message, step.buttons)
    return step


def plan_answer(
    request: UnrollRequest, presentation: Presentation, facts: Facts
) -> tuple[Step, ...]:
    """Return the steps that answer `request` with the thread, in order."""
    return _as_sent(request, _plan_thread(request, presentation, facts))


def _plan_thread(
    request: UnrollRequest, presentation: Presentation, facts: Facts
) -> tuple[Step, ...]:
    words = presentation.words
    if is_repeat(request, facts.earlier_answer):
        return (Edit(words.gettext(texts.ALREADY_UNROLLED)),)
    if request.answer is Answer.FOLLOW:
        return _plan_follow(request, presentation, facts)
    buttons = _buttons(request, facts.button_ref, words)
    note = _refresh_note(request, presentation, words)
    remember = _remember(request)
    if (rich := _rich_message(request, presentation, facts)) is not None:
        return (EditRich(_with_rich_note(rich, note), buttons), *remember)
    message = presentation.message  # rendered only for a classic answer
    if request.output is not OutputPreference.PAGE and telegram_html.fits_one_message(message):
        edit = Edit(_with_note(message.chunks[0], note), message.preview_url, buttons)
        return (edit, *remember)
    if facts.page_url is not None:
        teaser = _with_note(presentation.teaser(facts.page_url), note)
        return (Edit(teaser, facts.page_url, buttons), *remember)
    if request.destination is Destination.INLINE:
        return (Edit(message.chunks[0], buttons=buttons),)
    # A Refresh knows only the pressed part's id: sending the parts again would repeat them.
    if len(message.chunks) <= facts.max_split_messages and request.answer is not Answer.REFRESH:
        return (*_parts(message.chunks, buttons), *remember)
    teaser = presentation.teaser(presentation.thread.url)
    markdown = FORMATS["markdown"]
    return (
        Edit(f"{teaser}\n\n{words.gettext(texts.TOO_LONG_FOR_MESSAGES)}{note}", buttons=buttons),
        SendDocument(markdown, filename_for(presentation.thread, markdown)),
        *remember,
    )


def filename_for(thread: Thread, format: Format) -> str:
    """Return a safe file name for a document of `thread`."""
    handle = "".join(ch for ch in thread.author.handle if ch.isalnum() or ch in "-_") or "thread"
    return f"{handle}-{thread.posts[0].id if thread.posts else 'thread'}.{format.extension}"


def _plan_follow(
    request: UnrollRequest, presentation: Presentation, facts: Facts
) -> tuple[Step, ...]:
    """A followed answer is edited in place, never split, then one short reply says why."""
    edit = _follow_edit(request, presentation, facts)
    if request.chat_id is None:
        return (edit,)  # an inline message has no chat to reply in
    change = texts.follow_change(request.posts_added, request.posts_deleted, presentation.words)
    return (edit, Notify(change, quiet=request.is_group))


def _follow_edit(
    request: UnrollRequest, presentation: Presentation, facts: Facts
) -> Edit | EditRich:
    words = presentation.words
    buttons = _buttons(request, facts.button_ref, words)
    if (rich := _rich_message(request, presentation, facts)) is not None:
        return EditRich(rich, buttons, resend_if_gone=False)
    message = presentation.message
    if request.output is not OutputPreference.PAGE and telegram_html.fits_one_message(message):
        body, preview = message.chunks[0], message.preview_url
    elif facts.page_url is not None:
        body, preview = presentation.teaser(facts.page_url), facts.page_url
    else:
        teaser = presentation.teaser(presentation.thread.url)
        body, preview = f"{teaser}\n\n{words.gettext(texts.FOLLOW_TOO_LONG)}", None
    return Edit(body, preview, buttons, resend_if_gone=False)


def _rich_message(
    request: UnrollRequest, presentation: Presentation, facts: Facts
) -> telegram_rich.RichMessage | None:
    """Return the rich answer when one may answer: the whole thread, or as much as fits ending
    with a link to the page; None leaves the answer classic."""
    if not facts.rich or request.output is OutputPreference.PAGE:
        return None
    rich = presentation.rich(facts.page_url)
    return rich if rich.complete or facts.page_url is not None else None


def _parts(chunks: tuple[str, ...], buttons: InlineKeyboardMarkup) -> tuple[Step, ...]:
    """The first chunk replaces the placeholder; the others follow, buttons under the last."""
    rest = [SendPart(chunk) for chunk in chunks[1:-1]]
    if len(chunks) == 1:
        return (Edit(chunks[0], buttons=buttons),)
    return (Edit(chunks[0]), *rest, SendPart(chunks[-1], buttons))


def _buttons(request: UnrollRequest, ref: str, words: Words) -> InlineKeyboardMarkup:
    following = request.following or request.answer is Answer.FOLLOW
    return answer_buttons(request.destination, ref, words, following=following)


def answer_buttons(
    destination: Destination, ref: str, words: Words, *, following: bool
) -> InlineKeyboardMarkup:
    """Return the buttons under an answer: Refresh, Follow or Unfollow, and the file buttons.

    The file buttons name their formats (Markdown, EPUB), which read the same in every language.
    """
    refresh = InlineKeyboardButton(
        words.gettext(texts.REFRESH_BUTTON),
        callback_data=callback_data.data(callback_data.REFRESH, ref),
    )
    action, label = (
        (callback_data.UNFOLLOW, texts.UNFOLLOW_BUTTON)
        if following
        else (callback_data.FOLLOW, texts.FOLLOW_BUTTON)
    )
    follow = InlineKeyboardButton(
        words.gettext(label), callback_data=callback_data.data(action, ref)
    )
    if destination is Destination.INLINE:
        return InlineKeyboardMarkup([[refresh, follow]])  # documents need a chat to go to
    files = [
        InlineKeyboardButton(format.button or "", callback_data=callback_data.data(action, ref))
        for action, format in callback_data.FILE_ACTIONS.items()
    ]
    return InlineKeyboardMarkup([[refresh, follow, *files]])


def _remember(request: UnrollRequest) -> tuple[Step, ...]:
    """Remember the answer's message in a group: the placeholder, or the reply that answers."""
    in_group = request.destination is Destination.GROUP
    known = request.message_id is not None or request.answer is Answer.REPLY
    return (RememberAnswer(),) if in_group and known else ()


def _refresh_note(request: UnrollRequest, presentation: Presentation, words: Words) -> str:
    if request.answer is not Answer.REFRESH:
        return ""  # and the thread need not be cleaned for it (a rendering may be all there is)
    previous, posts = request.previous_posts, presentation.thread.report.posts
    if previous is None or previous == posts:
        return f"\n\n<i>{words.gettext(texts.REFRESH_UNCHANGED)}</i>"
    return f"\n\n<i>{texts.refresh_change(posts - previous, words)}</i>"


def _with_rich_note(message: telegram_rich.RichMessage, note: str) -> telegram_rich.RichMessage:
    """Add the Refresh note as a last paragraph, when the message has room for it."""
    text = note.strip()
    if not text:
        return message
    fits = (
        message.chars + len(text) <= telegram_rich.MAX_TEXT_CHARS
        and message.blocks < telegram_rich.MAX_BLOCKS
    )
    return replace(message, html=f"{message.html}<p>{text}</p>") if fits else message


def _with_note(html_text: str, note: str) -> str:
    # The HTML is never shorter than its visible text, so this check errs on the safe side.
    length = telegram_html.utf16_len(html_text) + telegram_html.utf16_len(note)
    return html_text + note if length <= MessageLimit.MAX_TEXT_LENGTH else html_text
