"""/follow, /following and /unfollow: following threads by command instead of by button.

`/follow LINK` (or as a reply to a message with a link) unrolls the thread and follows the
answer it gets; `/following` lists the chat's followed threads, each with an Unfollow button;
`/unfollow LINK` ends one follow, and without a link shows the list.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot import links
from bot.answering import callback_data
from bot.answering.callback_data import button_ref
from bot.errors import UnrollError
from bot.follow.records import FollowOutcome
from bot.i18n import Words
from bot.i18n.catalogs import words_for
from bot.listener import texts
from bot.listener.context import Services, UnrollContext
from bot.listener.follows import follower_of, snapshot_of_cached, unfollow_allowed
from bot.listener.intake import accept_in_chat, reply, reply_with_error, say
from bot.listener.language import words_for_message, words_for_press
from bot.listener.requests import destination_of, link_key, replied_message, topic_of
from bot.model import ThreadKey
from bot.request import Destination

LISTED_UNFOLLOW = "unf"
"""The action of an Unfollow button in the /following list (it redraws the list, not an answer)."""


async def follow_command(update: Update, context: UnrollContext) -> None:
    """Unroll the link after /follow (or in the replied message) and follow its answer."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    key = await _asked_key(services, message)
    if key is None:
        return
    scope = str(message.chat_id)
    if not await _may_follow(services, message, key, scope):
        return
    request = await accept_in_chat(
        services,
        key=key,
        user=user,
        chat=message.chat,
        reply_to=message,
        thread_id=topic_of(message),
        following=True,
    )
    if request is None:
        return  # not unrolled here (quota, or already answered in the group): nothing to follow
    rules = services.follow_rules
    outcome = await services.follows.follow(
        str(key),
        follower_of(request),
        max_per_chat=rules.max_per_chat,
        first_check_s=rules.first_check_s,
        snapshot=await snapshot_of_cached(services, key),
    )
    if outcome is FollowOutcome.FULL:  # another follow took the last place meanwhile
        words = words_for(request.language)
        await reply(services, message, texts.follow_cap(rules.max_per_chat, words))


async def following_command(update: Update, context: UnrollContext) -> None:
    """List the chat's followed threads, each with an Unfollow button."""
    message = update.effective_message
    if message is not None:
        await _list(context.services, message)


async def unfollow_command(update: Update, context: UnrollContext) -> None:
    """End the chat's follow of the link's thread; without a link, list what it follows."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    try:
        key = _first_key([message, replied_message(message)])
    except UnrollError as error:
        await reply_with_error(services, message, error)
        return
    if key is None:
        await _list(services, message)
        return
    scope = str(message.chat_id)
    existing = await services.follows.follower(str(key), scope)
    if existing is None:
        await say(services, message, texts.NOT_FOLLOWING)
        return
    if not await unfollow_allowed(context, existing, message.chat_id, user.id):
        await say(services, message, texts.UNFOLLOW_ADMINS_ONLY)
        return
    await services.follows.unfollow(str(key), scope)
    await say(services, message, texts.UNFOLLOWED)


async def listed_unfollow_button(update: Update, context: UnrollContext) -> None:
    """Unfollow one thread of the /following list and redraw the list."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    services = context.services
    words = await words_for_press(services, query)
    press = await callback_data.read_press(services.store, query.data)
    chat_id = query.message.chat.id
    existing = None
    if press.key is not None:
        existing = await services.follows.follower(str(press.key), str(chat_id))
    if press.key is None or existing is None:
        await context.acknowledge(query, words.gettext(texts.NOT_FOLLOWING))
    elif not await unfollow_allowed(context, existing, chat_id, query.from_user.id):
        refusal = words.gettext(texts.UNFOLLOW_ADMINS_ONLY)
        await context.acknowledge(query, refusal, show_alert=True)
        return
    else:
        await services.follows.unfollow(str(press.key), str(chat_id))
        await context.acknowledge(query, words.gettext(texts.UNFOLLOWED))
    text, buttons = await _listing(services, str(chat_id), words)
    await query.edit_message_text(text, parse_mode="HTML", reply_markup=buttons)


async def _asked_key(services: Services, message: Message) -> ThreadKey | None:
    """The thread /follow asks for; None (after saying why) when there is none."""
    try:
        key = _first_key([message, replied_message(message)])
    except UnrollError as error:
        await reply_with_error(services, message, error)
        return None
    if key is None:
        await say(services, message, texts.FOLLOW_USAGE)
    return key


async def _may_follow(services: Services, message: Message, key: ThreadKey, scope: str) -> bool:
    """Whether the chat may follow one more thread; says why not when it may not."""
    in_group = destination_of(message.chat) is Destination.GROUP
    if in_group and not (await services.store.get_settings(message.chat_id)).following:
        await say(services, message, texts.FOLLOWING_OFF)
        return False
    followed = await services.follows.following(scope)
    max_per_chat = services.follow_rules.max_per_chat
    if str(key) not in followed and len(followed) >= max_per_chat:
        words = await words_for_message(services, message)
        await reply(services, message, texts.follow_cap(max_per_chat, words))
        return False
    return True


def _first_key(candidates: list[Message | None]) -> ThreadKey | None:
    for message in candidates:
        if message is not None and (key := link_key(message)) is not None:
            return key
    return None


async def _list(services: Services, message: Message) -> None:
    words = await words_for_message(services, message)
    text, buttons = await _listing(services, str(message.chat_id), words)
    await reply(services, message, text, buttons=buttons)


async def _listing(
    services: Services, scope: str, words: Words
) -> tuple[str, InlineKeyboardMarkup | None]:
    keys = await services.follows.following(scope)
    if not keys:
        return words.gettext(texts.FOLLOWING_NONE), None
    lines, rows = [words.gettext(texts.FOLLOWING_TITLE)], []
    for number, text in enumerate(keys, start=1):
        key = ThreadKey.parse(text)
        url = html.escape(links.post_url(key))
        lines.append(f'{number}. <a href="{url}">{url}</a>')
        ref = await button_ref(services.store, key)
        label = words.gettext(texts.UNFOLLOW_LISTED, number=number)
        data = callback_data.data(LISTED_UNFOLLOW, ref)
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    return "\n".join(lines), InlineKeyboardMarkup(rows)
