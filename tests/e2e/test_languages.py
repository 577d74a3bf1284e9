"""The bot speaks the asker's language, or the one a chat chose in /settings, end to end."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from bot import scheduler
from bot.i18n.catalogs import languages, words_for
from bot.listener import texts
from tests.conftest import eventually
from tests.e2e.conftest import button_data, labels, memory_only, x_link
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.telegram import FakeChat, FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("quick_worker_stop")]

PLACEHOLDERS = tuple(words_for(language).gettext(texts.PLACEHOLDER) for language in languages())


async def answers(telegram: FakeTelegram, chat: FakeChat, *, count: int = 1) -> list[str]:
    """Wait until the bot has `count` messages in `chat`, none of them a placeholder in any
    language (a progress edit keeps the placeholder's first word)."""
    starts = tuple(placeholder.split("…")[0] for placeholder in PLACEHOLDERS)

    def settled() -> bool:
        sent = telegram.sent_to(chat)
        return len(sent) >= count and not any(text.startswith(starts) for text in sent)

    await eventually(settled)
    return telegram.sent_to(chat)


@memory_only
@pytest.mark.parametrize(
    ("posts", "count"), [(1, "1 пост"), (2, "2 поста"), (5, "5 постов"), (21, "21 пост")]
)
async def test_russian_user_gets_russian_words_around_the_thread(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    posts: int,
    count: str,
) -> None:
    thread = fxtwitter.add(build_thread(posts, rich=False))
    masha = telegram.user("Masha", language_code="ru")
    dm = telegram.private_chat(masha)
    await start_bot()
    telegram.user_sends(dm, x_link(thread))
    [answer] = await answers(telegram, dm)
    buttons = labels(telegram.messages_in(dm)[-1])
    assert (answer.endswith(f"Оригинал в X · {count}"), buttons[:2]) == (
        True,
        ["🔄 Обновить", "🔔 Следить"],
    )


@memory_only
async def test_russian_user_is_asked_to_wait_in_russian(
    telegram: FakeTelegram, start_bot: Callable[..., Any]
) -> None:
    masha = telegram.user("Masha", language_code="ru-RU")
    dm = telegram.private_chat(masha)
    await start_bot()
    telegram.user_sends(dm, "hello")
    [hint] = await answers(telegram, dm)
    assert hint == words_for("ru").gettext(texts.PRIVATE_HINT)


async def test_settings_switch_a_group_to_spanish(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    """An admin chooses Spanish; the next answer, to a member whose app is English, is Spanish.

    Run on both backends: the choice is stored with the chat's other settings (a Redis hash).
    """
    thread = fxtwitter.add(build_thread(2, rich=False))
    admin = telegram.user("Alice", language_code="en")
    bob = telegram.user("Bob", language_code="en")
    group = telegram.group("Lectores")
    telegram.make_admin(group, admin)
    await start_bot()
    telegram.user_sends(group, "/settings@UnrollTestBot", user=admin)
    await answers(telegram, group, count=1)
    telegram.press_button(admin, telegram.messages_in(group)[-1], "set:langs")
    await telegram.wait_for_call("editMessageReplyMarkup")
    telegram.press_button(admin, telegram.messages_in(group)[-1], "set:lang=es")
    await telegram.wait_for_call("editMessageText")
    telegram.user_sends(group, f"/unroll@UnrollTestBot {x_link(thread)}", user=bob)
    sent = await answers(telegram, group, count=2)
    assert (sent[0], sent[-1].endswith("Original en X · 2 publicaciones")) == (
        "Ajustes de este chat",
        True,
    )


@memory_only
async def test_group_without_a_choice_answers_each_asker_in_theirs(
    telegram: FakeTelegram, start_bot: Callable[..., Any]
) -> None:
    olena = telegram.user("Olena", language_code="uk")
    hans = telegram.user("Hans", language_code="de")
    group = telegram.group("Mixed")
    await start_bot()
    telegram.user_sends(group, "/unroll@UnrollTestBot", user=olena)
    telegram.user_sends(group, "/unroll@UnrollTestBot", user=hans)
    sent = await answers(telegram, group, count=2)
    usage = (words_for(language).gettext(texts.UNROLL_USAGE) for language in ("uk", "de"))
    assert sorted(sent) == sorted(re.sub("</?code>", "", text) for text in usage)


@memory_only
async def test_command_menu_is_set_in_every_language(
    telegram: FakeTelegram, start_bot: Callable[..., Any]
) -> None:
    await start_bot()
    await eventually(lambda: len(telegram.calls_to("setMyCommands")) >= 8)
    menus = {
        call.params.get("language_code"): call.params["commands"][0]["description"]
        for call in telegram.calls_to("setMyCommands")
    }
    assert (menus[None], menus["ru"], menus["pt"]) == (
        "unroll the thread of a link (or of the replied message)",
        "развернуть тред по ссылке (или из сообщения, на которое вы отвечаете)",
        "desenrolar a thread de um link (ou da mensagem respondida)",
    )


@memory_only
async def test_inline_answer_speaks_the_askers_language(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    thread = fxtwitter.add(build_thread(2, rich=False))
    hans = telegram.user("Hans", language_code="de")
    await start_bot()
    query_id = telegram.inline_query(hans, x_link(thread))
    call = await telegram.wait_for_call(
        "answerInlineQuery", lambda call: call.params["inline_query_id"] == query_id
    )
    [result] = call.params["results"]
    inline_id = telegram.choose_inline_result(hans, query_id, result["id"])
    assert inline_id is not None

    def edited() -> bool:
        assert inline_id is not None
        return not telegram.inline_message(inline_id)["text"].startswith("Entfalte")

    await eventually(edited)
    assert (result["title"], telegram.inline_message(inline_id)["text"][-27:]) == (
        "Diesen Thread entfalten",
        "Original auf X · 2 Beiträge",
    )


@memory_only
async def test_refresh_press_is_acknowledged_in_the_pressers_language(
    telegram: FakeTelegram, fxtwitter: FakeFxTwitter, start_bot: Callable[..., Any]
) -> None:
    thread = fxtwitter.add(build_thread(2, rich=False))
    olena = telegram.user("Olena", language_code="uk")
    dm = telegram.private_chat(olena)
    await start_bot()
    telegram.user_sends(dm, x_link(thread))
    await answers(telegram, dm)
    answer = telegram.messages_in(dm)[-1]
    telegram.press_button(olena, answer, button_data(answer, "🔄 Оновити"))
    toast = await telegram.wait_for_call("answerCallbackQuery")
    assert toast.params.get("text") == "Оновлюю…"


@memory_only
async def test_followed_answer_is_updated_in_the_language_it_was_followed_in(
    telegram: FakeTelegram,
    fxtwitter: FakeFxTwitter,
    start_bot: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The follow record keeps the language: the scheduled update speaks Russian too."""
    monkeypatch.setattr(scheduler, "FOLLOW_TICK_EVERY_S", 0.1)
    thread = fxtwitter.add(build_thread(2, rich=False))
    masha = telegram.user("Masha", language_code="ru")
    dm = telegram.private_chat(masha)
    await start_bot(follow_first_check_s=0.3, follow_max_interval_s=0.6)
    telegram.user_sends(dm, x_link(thread))
    await answers(telegram, dm)
    answer = telegram.messages_in(dm)[-1]
    telegram.press_button(masha, answer, button_data(answer, "🔔 Следить"))
    toast = await telegram.wait_for_call("answerCallbackQuery")
    for n in range(2):
        fxtwitter.append_self_reply(thread, f"And one more thing, number {n + 1}.")
    await eventually(lambda: len(telegram.sent_to(dm)) == 2)
    edited, reply = telegram.sent_to(dm)
    assert (toast.params.get("text"), edited.endswith("Оригинал в X · 4 поста"), reply) == (
        "Слежу: буду обновлять этот ответ 7 дней.",
        True,
        "+2 новых поста ↑",
    )
