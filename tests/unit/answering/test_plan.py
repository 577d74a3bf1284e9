"""The answer plan: what one requester is sent, from the thread and the facts alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.answering import texts
from bot.answering.plan import (
    Edit,
    EditRich,
    Facts,
    Notify,
    RememberAnswer,
    SendDocument,
    SendPart,
    Step,
    is_repeat,
    may_be_rich,
    plan_answer,
    plan_failure,
    wants_page,
)
from bot.errors import PostUnavailableError
from bot.i18n import ENGLISH
from bot.model import ThreadKey
from bot.presentation import Presentation, from_rendered, present
from bot.request import Answer, AnswerStyle, Destination, OutputPreference, UnrollRequest
from tests.samples import long_thread

KEY = ThreadKey.parse("x:x.com:20")
PAGE = "https://telegra.ph/Thread-01-01"
FACTS = Facts(button_ref="x:x.com:20")


def request(**values: object) -> UnrollRequest:
    fields: dict[str, object] = {
        "request_id": "r1",
        "key": KEY,
        "answer": Answer.EDIT_PLACEHOLDER,
        "user_id": 7,
        "chat_id": 7,
        "message_id": 100,
    }
    return UnrollRequest(**{**fields, **values})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def short() -> Presentation:
    return present(long_thread(2))


@pytest.fixture(scope="module")
def long() -> Presentation:
    """Three or four messages' worth of posts."""
    return present(long_thread(60))


def kinds(steps: tuple[Step, ...]) -> list[str]:
    return [type(step).__name__ for step in steps]


def labels(step: Step) -> list[str]:
    """Return the labels of an edit's buttons, in order."""
    assert isinstance(step, Edit)
    assert step.buttons is not None
    return [button.text for row in step.buttons.inline_keyboard for button in row]


def test_a_thread_that_fits_is_one_edited_message(short: Presentation) -> None:
    steps = plan_answer(request(), short, FACTS)
    assert (kinds(steps), steps[0].html) == (["Edit"], short.message.chunks[0])  # type: ignore[union-attr]


def test_an_answer_in_a_group_is_remembered(short: Presentation) -> None:
    steps = plan_answer(request(destination=Destination.GROUP, chat_id=-5), short, FACTS)
    assert kinds(steps) == ["Edit", "RememberAnswer"]


def test_a_long_thread_with_a_page_is_a_teaser_linking_to_it(long: Presentation) -> None:
    (edit,) = plan_answer(request(), long, replace(FACTS, page_url=PAGE))
    assert isinstance(edit, Edit)
    assert (edit.preview_url, PAGE in edit.html) == (PAGE, True)


def test_a_long_thread_without_a_page_is_sent_in_parts(long: Presentation) -> None:
    steps = plan_answer(request(), long, FACTS)
    chunks = long.message.chunks
    assert steps == (
        Edit(chunks[0]),
        *(SendPart(chunk) for chunk in chunks[1:-1]),
        SendPart(chunks[-1], steps[-1].buttons),  # type: ignore[union-attr]
    )


def test_too_many_parts_become_a_teaser_and_a_markdown_file(long: Presentation) -> None:
    steps = plan_answer(request(), long, replace(FACTS, max_split_messages=1))
    assert kinds(steps) == ["Edit", "SendDocument"]
    assert texts.TOO_LONG_FOR_MESSAGES in steps[0].html  # type: ignore[union-attr]
    assert isinstance(steps[1], SendDocument)
    assert steps[1].format.name == "markdown"


def test_a_refresh_of_a_long_thread_is_never_split(long: Presentation) -> None:
    """A Refresh knows only the pressed message: sending parts again would repeat them."""
    steps = plan_answer(request(answer=Answer.REFRESH), long, FACTS)
    assert kinds(steps) == ["Edit", "SendDocument"]


def test_an_inline_answer_without_a_page_is_its_first_part(long: Presentation) -> None:
    inline = request(destination=Destination.INLINE, chat_id=None, inline_message_id="i1")
    (edit,) = plan_answer(inline, long, FACTS)
    assert isinstance(edit, Edit)
    assert (edit.html, labels(edit)) == (long.message.chunks[0], ["🔄 Refresh", "🔔 Follow"])


def test_a_repeat_in_a_group_points_at_the_earlier_answer(short: Presentation) -> None:
    group = request(destination=Destination.GROUP, chat_id=-5)
    steps = plan_answer(group, short, replace(FACTS, earlier_answer="99"))
    assert steps == (Edit(texts.ALREADY_UNROLLED),)


def test_the_answer_itself_is_no_repeat() -> None:
    """Requests answered together: the first answer is remembered before the second is planned."""
    group = request(destination=Destination.GROUP, chat_id=-5)
    assert (is_repeat(group, "100"), is_repeat(group, "99")) == (False, True)


def test_private_chats_are_never_pointed_at_earlier_answers(short: Presentation) -> None:
    steps = plan_answer(request(), short, replace(FACTS, earlier_answer="99"))
    assert kinds(steps) == ["Edit"]


@pytest.mark.parametrize(
    ("previous", "note"),
    [(2, texts.REFRESH_UNCHANGED), (1, "Refreshed: 1 new post."), (3, "1 post fewer")],
)
def test_a_refresh_says_what_changed(short: Presentation, previous: int, note: str) -> None:
    (edit,) = plan_answer(request(answer=Answer.REFRESH, previous_posts=previous), short, FACTS)
    assert note in edit.html  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("output", "fits", "expected"),
    [
        (OutputPreference.AUTO, True, False),
        (OutputPreference.AUTO, False, True),
        (OutputPreference.PAGE, True, True),
        (OutputPreference.MESSAGE, False, False),
    ],
)
def test_a_page_is_wanted_only_where_the_answer_would_use_it(
    short: Presentation, long: Presentation, output: OutputPreference, fits: bool, expected: bool
) -> None:
    assert wants_page(request(output=output), short if fits else long, rich=False) is expected


def test_a_failure_is_its_sentence() -> None:
    error = PostUnavailableError(platform="x")
    assert plan_failure(request(), error, ENGLISH) == (Edit(error.user_message()),)


def test_without_a_placeholder_the_answer_is_sent_as_new_messages(short: Presentation) -> None:
    """One send per answer: what would have been edited into a placeholder is sent anew."""
    reply = request(answer=Answer.REPLY, message_id=None, asked_message_id=41)
    (step,) = plan_answer(reply, short, FACTS)
    (rich,) = plan_answer(reply, short, RICH)
    assert (type(step).__name__, type(rich).__name__, reply.replies_to) == (
        "SendPart",
        "SendRich",
        41,
    )


def test_steps_are_plain_data() -> None:
    assert RememberAnswer() == RememberAnswer()


def follow(**values: object) -> UnrollRequest:
    return request(answer=Answer.FOLLOW, following=True, posts_added=2, **values)


def test_a_followed_answer_is_edited_in_place_then_gets_one_reply(short: Presentation) -> None:
    edit, notify = plan_answer(follow(), short, FACTS)
    assert (edit, notify) == (
        Edit(
            short.message.chunks[0],
            short.message.preview_url,
            edit.buttons,  # type: ignore[union-attr]
            resend_if_gone=False,
        ),
        Notify("+2 new posts ↑", quiet=False),
    )


def test_a_followed_answer_in_a_group_is_told_quietly(short: Presentation) -> None:
    steps = plan_answer(follow(destination=Destination.GROUP, chat_id=-5), short, FACTS)
    assert steps[-1] == Notify("+2 new posts ↑", quiet=True)


def test_a_followed_answer_is_never_pointed_at_an_earlier_one(short: Presentation) -> None:
    group = follow(destination=Destination.GROUP, chat_id=-5)
    steps = plan_answer(group, short, replace(FACTS, earlier_answer="99"))
    assert kinds(steps) == ["Edit", "Notify"]


def test_a_followed_inline_answer_gets_no_reply(short: Presentation) -> None:
    inline = follow(destination=Destination.INLINE, chat_id=None, inline_message_id="i1")
    assert kinds(plan_answer(inline, short, FACTS)) == ["Edit"]


def test_a_followed_answer_that_outgrew_a_message_becomes_a_teaser(long: Presentation) -> None:
    edit, _notify = plan_answer(follow(), long, replace(FACTS, page_url=PAGE))
    assert (edit.preview_url, PAGE in edit.html) == (PAGE, True)  # type: ignore[union-attr]


def test_a_followed_answer_without_a_page_is_never_split_nor_sent_as_file(
    long: Presentation,
) -> None:
    """Every change would otherwise bring a new file or new parts into the chat."""
    steps = plan_answer(follow(), long, FACTS)
    assert (kinds(steps), texts.FOLLOW_TOO_LONG in steps[0].html) == (  # type: ignore[union-attr]
        ["Edit", "Notify"],
        True,
    )


@pytest.mark.parametrize(("following", "label"), [(False, "🔔 Follow"), (True, "🔕 Unfollow")])
def test_the_follow_button_says_what_pressing_it_does(
    short: Presentation, following: bool, label: str
) -> None:
    (edit,) = plan_answer(request(following=following), short, FACTS)
    assert labels(edit)[:2] == ["🔄 Refresh", label]


RICH = replace(FACTS, rich=True)


def test_a_thread_that_fits_a_rich_message_is_one_rich_edit(long: Presentation) -> None:
    """Sixty posts are four classic messages, but one rich message."""
    (step,) = plan_answer(request(), long, RICH)
    assert isinstance(step, EditRich)
    assert (step.message.complete, step.message) == (True, long.rich())


def test_a_rich_answer_from_a_kept_rendering_cleans_nothing(long: Presentation) -> None:
    """A thread's first hit shows the worker's rendering: planning it must not clean."""
    shown = from_rendered(long.source, long.rendered(), ENGLISH)
    (step,) = plan_answer(request(), shown, RICH)
    assert isinstance(step, EditRich)
    assert (step.message, shown._thread) == (long.rich(), None)


def test_a_rich_message_too_short_for_the_thread_links_to_the_page() -> None:
    huge = present(long_thread(400))
    assert wants_page(request(), huge, rich=True) is True
    (step,) = plan_answer(request(), huge, replace(RICH, page_url=PAGE))
    assert isinstance(step, EditRich)
    assert (step.message.complete, PAGE in step.message.html) == (False, True)


def test_a_cut_rich_message_without_a_page_falls_back_to_the_classic_answer() -> None:
    steps = plan_answer(request(), present(long_thread(400)), RICH)
    assert "EditRich" not in kinds(steps)


def test_a_chat_that_chose_classic_messages_gets_no_rich_message() -> None:
    assert (may_be_rich(request(style=AnswerStyle.CLASSIC)), may_be_rich(request())) == (
        False,
        True,
    )


def test_a_rich_refresh_says_what_changed(short: Presentation) -> None:
    (step,) = plan_answer(request(answer=Answer.REFRESH, previous_posts=1), short, RICH)
    assert isinstance(step, EditRich)
    assert "Refreshed: 1 new post." in step.message.html


def test_a_followed_rich_answer_is_one_rich_edit_then_one_reply(long: Presentation) -> None:
    edit, notify = plan_answer(follow(), long, RICH)
    assert (isinstance(edit, EditRich), edit.resend_if_gone, notify) == (  # type: ignore[union-attr]
        True,
        False,
        Notify("+2 new posts ↑", quiet=False),
    )
