"""The worker's job handler (`bot.jobs.UnrollJobs`) against fake Telegram and fake FxTwitter,
on both backends: what a hand-out that dies between its steps leaves for the next one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import pytest

from bot import jobs as jobs_module
from bot.answering.executor import Answerer
from bot.answering.pages import PagePublisher
from bot.archive import ThreadArchive
from bot.codec import encode, encode_result
from bot.delivery import NotDeliveredError, Sender, Target
from bot.jobs import UnrollJobs
from bot.model import Platform, Thread, ThreadKey
from bot.net.http import HttpClient
from bot.queue import Job, JobQueue
from bot.request import Answer, Destination, UnrollRequest
from bot.sources import SourceConfig, fetch_thread
from bot.store import ChatStore
from tests.fakes.fxtwitter import FakeFxTwitter, build_thread
from tests.fakes.telegram import FakeChat, FakeTelegram, Json
from tests.integration.conftest import Backend

RECLAIM_IDLE_S = 0.05


class _Killed(BaseException):
    """The worker process died here (no handler of the code under test runs)."""


class _DyingArchive(ThreadArchive):
    """Dies on its first `keep`, as a worker SIGKILLed just before archiving would."""

    died = False

    async def keep(
        self, thread: Thread, *, encoded: bytes | None = None, unless_kept: bool = False
    ) -> None:
        if not self.died:
            self.died = True
            raise _Killed
        await super().keep(thread, encoded=encoded, unless_kept=unless_kept)


@pytest.fixture(scope="module")
def fxtwitter() -> Iterator[FakeFxTwitter]:
    fake = FakeFxTwitter()
    with fake.server:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    client = HttpClient(allow_private_hosts=True)
    yield client
    await client.aclose()


def _unroll_jobs(
    queue: JobQueue,
    store: ChatStore,
    sender: Sender,
    http: HttpClient,
    fxtwitter: FakeFxTwitter,
    *,
    archive: ThreadArchive | None = None,
) -> UnrollJobs:
    """The worker's handler as wiring builds it, on these backends and fakes (the archive
    on `store` unless another is given)."""
    answerer = Answerer(sender, PagePublisher(None, None, store), store)
    return UnrollJobs(
        queue=queue,
        http=http,
        config=SourceConfig(fxtwitter_api_url=fxtwitter.url, allow_private_hosts=True),
        answerer=answerer,
        archive=ThreadArchive(store) if archive is None else archive,
    )


async def _reclaimed(queue: JobQueue) -> Job:
    """Return the job a dead worker held, as another worker's claim takes it over: once it
    has been idle for the reclaim threshold, counting one more delivery."""
    await asyncio.sleep(2 * RECLAIM_IDLE_S)
    [job] = await queue.claim("w2", count=1, block_s=0)
    assert job.deliveries == 2
    return job


async def _claimed(queue: JobQueue, *requests: UnrollRequest) -> Job:
    """Queue `requests` (all for one thread, so one job) and hand the job out to a worker."""
    for request in requests:
        await queue.submit(str(request.key), encode(request))
    [job] = await queue.claim("w1", count=1, block_s=0)
    return job


async def _handed_back_after_recording(
    queue: JobQueue, request: UnrollRequest, jobs: UnrollJobs, *, answered: bool = False
) -> Job:
    """Return the job of `request` as handed out again after a shutdown handed it back with
    its result recorded (and, with `answered`, its requester answered): a first hand-out
    still, since a hand-back counts no delivery."""
    job = await _claimed(queue, request)
    recorded = await fetch_thread(request.key, http=jobs.http, config=jobs.config)
    await queue.finish(job, encode_result(recorded), ttl_s=60)
    if answered:
        await queue.mark_delivered(job, 0)
    await queue.release(job)
    [again] = await queue.claim("w2", count=1, block_s=0)
    assert again.deliveries == 1
    return again


def _bot_messages(fake: FakeTelegram, chat: FakeChat) -> list[Json]:
    return [message for message in fake.messages_in(chat) if message["from"]["is_bot"]]


def _asked_in(
    chat: FakeChat, key: ThreadKey, asked_message_id: int | None = None, request_id: str = "r1"
) -> UnrollRequest:
    """A request in a private chat, answered by a reply."""
    return UnrollRequest(
        request_id=request_id,
        key=key,
        answer=Answer.REPLY,
        user_id=chat.id,
        chat_id=chat.id,
        asked_message_id=asked_message_id,
    )


async def test_a_thread_answered_before_its_worker_died_is_archived_by_the_next_hand_out(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
) -> None:
    """The archive is written after the answers; a hand-out that dies in between leaves it
    to the next one, which answers nobody twice and fetches nothing again."""
    chain = fxtwitter.add(build_thread(3)).chain
    key = ThreadKey(Platform.X, "x.com", chain[0].id)
    chat = fake.private_chat(fake.user("Alice"))
    asked = fake.user_sends(chat, f"https://x.com/ada/status/{chain[0].id}")
    request = _asked_in(chat, key, asked_message_id=asked["message_id"])
    queue, store = backend.queue(reclaim_idle_s=RECLAIM_IDLE_S), backend.store()
    archive = _DyingArchive(store)
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter, archive=archive)
    job = await _claimed(queue, request)
    with pytest.raises(_Killed):
        await jobs.process(job)
    assert await archive.recall(key) is None
    again = await _reclaimed(queue)
    await jobs.process(again)

    kept = await archive.recall(key)
    assert kept is not None
    assert [post.id for post in kept.posts] == [tweet.id for tweet in chain]
    answers = _bot_messages(fake, chat)
    assert len(answers) == 1
    assert len(fxtwitter.server.requests.matching(chain[0].id)) == 1


async def test_a_resumed_job_leaves_a_newer_archived_thread_alone(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
) -> None:
    """The job's result was recorded before its worker died; meanwhile a newer fetch of the
    thread (a follow's check) archived it with a post more. The resumed job keeps that one."""
    thread = fxtwitter.add(build_thread(3))
    key = ThreadKey(Platform.X, "x.com", thread.chain[0].id)
    request = _asked_in(fake.private_chat(fake.user("Alice")), key)
    queue, store = backend.queue(reclaim_idle_s=RECLAIM_IDLE_S), backend.store()
    archive = ThreadArchive(store)
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter, archive=archive)
    job = await _claimed(queue, request)
    recorded = await fetch_thread(key, http=http, config=jobs.config)
    await queue.finish(job, encode_result(recorded), ttl_s=60)  # then the worker died
    fxtwitter.append_self_reply(thread, "one more")
    await archive.keep(await fetch_thread(key, http=http, config=jobs.config))
    again = await _reclaimed(queue)
    await jobs.process(again)

    kept = await archive.recall(key)
    assert kept is not None
    assert len(kept.posts) == 4


async def test_a_worker_stopped_while_answering_records_the_result_and_whom_it_answered(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
) -> None:
    """The shutdown's cancel comes while the second answer is on its way: the next hand-out
    answers that requester from the recorded result, and the first one not again. (An answer
    in flight at the cancel may arrive as well: at least once; Telegram holds it here until
    the test is over.)"""
    chain = fxtwitter.add(build_thread(3)).chain
    key = ThreadKey(Platform.X, "x.com", chain[0].id)
    alice = fake.private_chat(fake.user("Alice"))
    bob = fake.private_chat(fake.user("Bob"))
    queue, store = backend.queue(), backend.store()
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter)
    job = await _claimed(
        queue, _asked_in(alice, key, request_id="r1"), _asked_in(bob, key, request_id="r2")
    )
    assert await sender.knows_rich_messages()  # its probe goes before the delays below
    fake.delay_next("sendRichMessage", 0.0)  # Alice's answer
    fake.delay_next("sendRichMessage", 5.0)  # Bob's, held past the test: the worker stops

    running = asyncio.create_task(jobs.process(job))
    await fake.wait_for_call("sendRichMessage", lambda c: c.chat_id == bob.id, answered=False)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running

    state = await queue.state(job)
    assert state.result is not None
    assert [index for index, _ in state.undelivered] == [1]
    await queue.release(job)  # as the stopping worker does

    [again] = await queue.claim("w2", count=1, block_s=0)
    await jobs.process(again)

    assert len(_bot_messages(fake, alice)) == 1
    assert len(_bot_messages(fake, bob)) == 1


async def test_answers_wait_for_the_record_and_each_requester_gets_one(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Telegram hears of no answer before the result is recorded (a reordering that answers
    first, to save a round trip, opens crash cases: bench/README, eighth pass); then each
    requester is answered once."""
    chain = fxtwitter.add(build_thread(3)).chain
    key = ThreadKey(Platform.X, "x.com", chain[0].id)
    alice = fake.private_chat(fake.user("Alice"))
    bob = fake.private_chat(fake.user("Bob"))
    queue, store = backend.queue(), backend.store()
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter)
    job = await _claimed(
        queue, _asked_in(alice, key, request_id="r1"), _asked_in(bob, key, request_id="r2")
    )
    finish = queue.finish
    sent_before_record: list[int] = []

    async def watched_finish(job: Job, result: bytes, *, ttl_s: int) -> object:
        await asyncio.sleep(0.3)  # long enough for an answer that did not wait to go out
        sent_before_record.append(len(_bot_messages(fake, alice) + _bot_messages(fake, bob)))
        return await finish(job, result, ttl_s=ttl_s)

    monkeypatch.setattr(queue, "finish", watched_finish)
    await jobs.process(job)

    assert sent_before_record == [0]
    assert [len(fake.calls_to("sendRichMessage", chat)) for chat in (alice, bob)] == [1, 1]
    assert (await queue.state(job)).undelivered == []


async def test_a_worker_that_dies_recording_the_result_has_sent_nothing(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker that dies while the result is being recorded has sent nothing, and the next
    hand-out, finding no result, fetches again and answers once. (An answer sent first would
    be edited into an error if that fetch failed for good.)"""
    chain = fxtwitter.add(build_thread(3)).chain
    key = ThreadKey(Platform.X, "x.com", chain[0].id)
    chat = fake.private_chat(fake.user("Alice"))
    queue, store = backend.queue(reclaim_idle_s=RECLAIM_IDLE_S), backend.store()
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter)
    job = await _claimed(queue, _asked_in(chat, key))

    await _dies_recording(jobs, job, monkeypatch)
    assert _bot_messages(fake, chat) == []
    again = await _reclaimed(queue)
    await jobs.process(again)

    assert len(_bot_messages(fake, chat)) == 1
    assert len(fxtwitter.server.requests.matching(chain[0].id)) == 2


async def test_a_group_answer_claims_the_thread_only_once_the_result_is_recorded(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A group's later requests for the thread are pointed at its answer by a claim: a worker
    that dies before the result is recorded leaves none, since the next hand-out fetches
    again and may end in an error, which answers nothing."""
    chain = fxtwitter.add(build_thread(3)).chain
    key = ThreadKey(Platform.X, "x.com", chain[0].id)
    chat = fake.group("Readers")
    request = replace(_asked_in(chat, key), destination=Destination.GROUP)
    queue, store = backend.queue(reclaim_idle_s=RECLAIM_IDLE_S), backend.store()
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter)
    job = await _claimed(queue, request)

    await _dies_recording(jobs, job, monkeypatch)
    assert await store.find_answer(chat.id, str(key)) is None
    again = await _reclaimed(queue)
    await jobs.process(again)

    [answer] = _bot_messages(fake, chat)
    assert await store.find_answer(chat.id, str(key)) == str(answer["message_id"])


async def _dies_recording(jobs: UnrollJobs, job: Job, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the job in a worker that dies while its result is being recorded, after time
    enough for an answer that did not wait for the record to go out."""

    async def dying_finish(job: Job, result: bytes, *, ttl_s: int) -> None:
        await asyncio.sleep(0.3)
        raise _Killed

    with monkeypatch.context() as patched:
        patched.setattr(jobs.queue, "finish", dying_finish)
        with pytest.raises(_Killed):
            await jobs.process(job)


async def test_an_answer_telegram_did_not_take_leaves_the_result_for_the_next_hand_out(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
) -> None:
    """The job is deferred with its result recorded: the next hand-out answers from it
    instead of fetching the thread again."""
    chain = fxtwitter.add(build_thread(3)).chain
    key = ThreadKey(Platform.X, "x.com", chain[0].id)
    chat = fake.private_chat(fake.user("Alice"))
    queue, store = backend.queue(), backend.store()
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter)
    job = await _claimed(queue, _asked_in(chat, key))
    assert await sender.knows_rich_messages()  # asked before the fault, once per process
    fake.fail_next("sendRichMessage", status=502)
    with pytest.raises(NotDeliveredError):
        await jobs.process(job)
    assert _bot_messages(fake, chat) == []
    await queue.defer(job, 0)  # as the worker does with it
    [again] = await queue.claim("w2", count=1, block_s=0)
    await jobs.process(again)

    assert len(_bot_messages(fake, chat)) == 1
    assert len(fxtwitter.server.requests.matching(chain[0].id)) == 1


async def test_a_first_hand_out_with_a_recorded_result_answers_from_it(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
) -> None:
    """A job handed back at shutdown does not count a delivery, so its next hand-out is a
    first one that may find its result recorded: the fetch started early is dropped."""
    thread = fxtwitter.add(build_thread(3))
    key = ThreadKey(Platform.X, "x.com", thread.chain[0].id)
    chat = fake.private_chat(fake.user("Alice"))
    queue, store = backend.queue(), backend.store()
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter)
    again = await _handed_back_after_recording(queue, _asked_in(chat, key), jobs)
    fxtwitter.append_self_reply(thread, "one more")
    await jobs.process(again)

    [answer] = _bot_messages(fake, chat)
    assert thread.chain[0].text.split()[0] in str(answer)
    assert "one more" not in str(answer)


async def test_a_followed_threads_check_is_settled_once_the_result_is_recorded(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
) -> None:
    """A check is settled once the result is recorded: updating every follower takes long
    (each edit through the limiter), and meanwhile the thread's requests would wait on the
    job, or get the older cached result, instead of this one."""
    chain = fxtwitter.add(build_thread(3)).chain
    key = ThreadKey(Platform.X, "x.com", chain[0].id)
    chat = fake.private_chat(fake.user("Alice"))
    queue, store = backend.queue(), backend.store()
    check = UnrollRequest(request_id="c1", key=key, answer=Answer.FOLLOW_CHECK, user_id=0)
    job = await _claimed(queue, check, _asked_in(chat, key))
    recorded_when_settled: list[bool] = []

    class Follow:
        async def settle(self, request: UnrollRequest, result: object) -> None:
            recorded_when_settled.append((await queue.state(job)).result is not None)

    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter)
    jobs.follow = Follow()  # type: ignore[assignment]
    await jobs.process(job)

    assert recorded_when_settled == [True]
    assert len(_bot_messages(fake, chat)) == 1


async def test_a_fetch_started_early_and_not_needed_is_stopped(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The job was finished and everyone answered before a shutdown handed it back: the
    fetch started with its next hand-out, a first one, does not run on after it."""
    chain = fxtwitter.add(build_thread(3)).chain
    key = ThreadKey(Platform.X, "x.com", chain[0].id)
    queue, store = backend.queue(), backend.store()
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter)
    request = _asked_in(fake.private_chat(fake.user("Alice")), key)
    again = await _handed_back_after_recording(queue, request, jobs, answered=True)
    monkeypatch.setattr(fxtwitter, "delay_s", 2.0)  # the fetch is on its way when the job ends
    started: list[asyncio.Task[Thread] | None] = []
    early_fetch = jobs._early_fetch

    def kept_early_fetch(job: Job) -> asyncio.Task[Thread] | None:
        started.append(early_fetch(job))
        return started[-1]

    monkeypatch.setattr(jobs, "_early_fetch", kept_early_fetch)
    await jobs.process(again)

    [fetch] = started
    assert fetch is not None
    await asyncio.wait([fetch], timeout=1.0)  # less than the upstream holds it
    assert fetch.cancelled()
    fxtwitter.reset()


@pytest.mark.parametrize("again", ["reclaimed", "handed-back"])
async def test_a_job_shows_at_most_three_progress_edits_however_often_it_is_handed_out(
    backend: Backend,
    fake: FakeTelegram,
    sender: Sender,
    fxtwitter: FakeFxTwitter,
    http: HttpClient,
    monkeypatch: pytest.MonkeyPatch,
    again: str,
) -> None:
    """Telegram punishes loops of edits: the cap is the job's, not each hand-out's, so a
    hand-out that showed three progress edits leaves none for the next one, whether its
    worker died (the job is reclaimed) or shut down (it handed the job back, which counts
    no delivery: the next hand-out is a first one again)."""
    thread = fxtwitter.add(build_thread(3))
    key = ThreadKey(Platform.X, "x.com", thread.chain[0].id)
    chat = fake.private_chat(fake.user("Alice"))
    placeholder = await sender.send_placeholder(
        Target(chat_id=chat.id), "Unrolling…", reply_to=None
    )
    assert placeholder is not None
    request = replace(
        _asked_in(chat, key), answer=Answer.EDIT_PLACEHOLDER, message_id=placeholder.message_id
    )
    hand_outs = 0

    async def fetch_reporting_often(key: ThreadKey, **options: Any) -> Thread:
        """A long fetch: five progress reports, and an end on the first hand-out."""
        nonlocal hand_outs
        hand_outs += 1
        for found in range(1, 6):
            await options["progress"](found * 20)
        if hand_outs == 1:
            raise _Killed
        return await fetch_thread(key, http=options["http"], config=options["config"])

    monkeypatch.setattr(jobs_module, "PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr(jobs_module, "fetch_thread", fetch_reporting_often)
    queue, store = backend.queue(reclaim_idle_s=RECLAIM_IDLE_S), backend.store()
    jobs = _unroll_jobs(queue, store, sender, http, fxtwitter)
    first = await _claimed(queue, request)
    with pytest.raises(_Killed):
        await jobs.process(first)
    if again == "reclaimed":
        await jobs.process(await _reclaimed(queue))
    else:
        await queue.release(first)
        [handed_back] = await queue.claim("w2", count=1, block_s=0)
        assert handed_back.deliveries == 1
        await jobs.process(handed_back)

    edits = [str(call.params.get("text")) for call in fake.calls_to("editMessageText", chat)]
    progress = [text for text in edits if "posts so far" in text]
    assert (len(progress), hand_outs, "3 posts" in str(_bot_messages(fake, chat))) == (3, 2, True)
