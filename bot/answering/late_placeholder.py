"""One send per answer where no draft can show progress: a placeholder only for slow answers.

A request answered `Answer.REPLY_OR_PLACEHOLDER` is queued without a placeholder. The listener
waits `PLACEHOLDER_AFTER_MS`; the worker (or the listener itself, on a cache hit) answers when
the thread is ready. Whichever comes first decides, through one atomic claim in the store:

- the answer claims first: it is sent as one reply to the asking message, and the listener's
  timer, finding the claim taken, sends nothing;
- the timer claims first: the listener sends the "Unrolling… ⏳" placeholder and records its
  id; the answer waits for that id (the send is in flight) and edits the placeholder, as a
  placeholder sent at once would have been.

A placeholder never takes a send slot an answer is waiting for: the timer sends it only when
the limiter has room at that moment, and otherwise shows "typing" again (not limited) and
looks again a little later. So under a backlog every answer still costs one send.

The claim outlives the job's redeliveries (as the sent journal does), so a worker that crashed
and runs the job again finds the same decision and does not send a second reply. An answer
that gave up waiting for a placeholder in flight says so in the claim; the listener then
deletes the placeholder it sent too late, so none is left behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

from bot.delivery import Sender, Target, UndeliverableError
from bot.request import Answer, UnrollRequest
from bot.store import ValueStore

log = logging.getLogger("bot.answering")

CLAIM_TTL_S = 24 * 3600
"""As long as the job may be handed out again (the sent journal's time)."""
SENDING_WAIT_S = 10.0
"""How long an answer waits for a placeholder being sent (a 429 may hold it)."""
SENDING_POLL_S = 0.02
NO_ROOM_RETRY_S = 1.0
"""How soon the timer looks again for room in the limiter (it shows "typing" meanwhile)."""
TYPING_EVERY_S = 4.0
"""Telegram shows "typing" for five seconds: shown again before it fades."""
GIVE_UP_AFTER_S = 120.0
"""The timer stops looking for room after this; the answer comes regardless."""

ANSWERED = "answered"  # the answer came first (or stopped waiting): no placeholder
SENDING = "sending"  # the listener is sending the placeholder
NOT_SENT = "not-sent"  # the placeholder did not arrive (Telegram failed in transit)


def claim_name(request: UnrollRequest) -> str:
    """Return the store value that decides the request's answer."""
    return f"placeholder:{request.request_id}"


async def send_if_slow(
    store: ValueStore,
    sender: Sender,
    request: UnrollRequest,
    *,
    after_s: float,
    target: Target,
    text: str,
) -> None:
    """Wait `after_s`; unless the answer came meanwhile, send the placeholder and record it."""
    await asyncio.sleep(after_s)
    name = claim_name(request)
    started = time.monotonic()
    typed_at = started - after_s  # the listener showed "typing" when the request came
    while await sender.limiter.try_acquire(target.chat_id, is_group=target.is_group) > 0:
        now = time.monotonic()
        if await store.get_value(name) is not None or now - started > GIVE_UP_AFTER_S:
            return  # answered (or decided) while the limiter had no room
        if now - typed_at >= TYPING_EVERY_S:
            await sender.typing(target)
            typed_at = now
        await asyncio.sleep(NO_ROOM_RETRY_S)
    # The slot is ours now; if the answer claims first it goes unused, which costs nothing.
    if await store.claim_value(name, SENDING, ttl_s=CLAIM_TTL_S) != SENDING:
        return  # answered within the time: the one reply is all the chat sees
    recorded = NOT_SENT
    try:
        placeholder = await sender.send_placeholder(
            target, text, reply_to=request.asked_message_id, slot_taken=True
        )
        if placeholder is not None:
            recorded = str(placeholder.message_id)
    except UndeliverableError:
        pass  # the chat refuses messages: the answer will find out for itself
    finally:
        if await store.swap_value(name, recorded, ttl_s=CLAIM_TTL_S) == ANSWERED:
            # The answer stopped waiting and went as a reply: this one would stay behind.
            await store.set_value(name, ANSWERED, ttl_s=CLAIM_TTL_S)
            if recorded.isdigit():
                await sender.delete(target, int(recorded))


def answered_at_once(request: UnrollRequest) -> UnrollRequest:
    """Return the request as answered before its timer could start (a cache hit, answered by
    the listener in the same step): nothing races it, so it is one reply and needs no claim."""
    if request.answer is not Answer.REPLY_OR_PLACEHOLDER:
        return request
    return replace(request, answer=Answer.REPLY)


async def settle(store: ValueStore, request: UnrollRequest) -> UnrollRequest:
    """Return the request as it is to be answered: as one reply, or by editing the placeholder.

    Other requests are returned unchanged.
    """
    if request.answer is not Answer.REPLY_OR_PLACEHOLDER:
        return request
    name = claim_name(request)
    claimed = await store.claim_value(name, ANSWERED, ttl_s=CLAIM_TTL_S)
    give_up_at = time.monotonic() + SENDING_WAIT_S
    while claimed == SENDING and time.monotonic() < give_up_at:
        await asyncio.sleep(SENDING_POLL_S)
        claimed = await store.get_value(name) or NOT_SENT
    if claimed == SENDING:
        # Still in flight: answer by reply, and let the listener delete its late placeholder
        # (unless it recorded it just now, in which case that one is edited after all).
        claimed = await store.swap_value(name, ANSWERED, ttl_s=CLAIM_TTL_S) or NOT_SENT
        if claimed.isdigit():
            await store.set_value(name, claimed, ttl_s=CLAIM_TTL_S)  # undo the swap
        else:
            log.warning("placeholder still in flight: answering by reply")
    if claimed.isdigit():
        return replace(request, answer=Answer.EDIT_PLACEHOLDER, message_id=int(claimed))
    return replace(request, answer=Answer.REPLY)


async def shown(store: ValueStore, request: UnrollRequest) -> int | None:
    """Return the placeholder sent for the request by now, if any (progress is shown there)."""
    recorded = await store.get_value(claim_name(request))
    return int(recorded) if recorded is not None and recorded.isdigit() else None
