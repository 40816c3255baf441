"""POST /kakao/skill: the Kakao i OpenBuilder skill protocol (skill response version 2.0).

The platform gives a skill 5 seconds and shows the user whatever comes back, so every utterance gets a valid
skill response with HTTP 200: the answer, or a Korean text saying what to do (ask something, ask shorter, ask
again). Only a payload that is not a skill payload at all (a misconfigured bot) gets a 4xx.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from assistant.answering.sessions import session_owner
from assistant.api.kakao_format import (
    EMPTY_TEXT,
    ERROR_TEXT,
    TIMEOUT_TEXT,
    follow_up_replies,
    retry_replies,
    skill_text,
    too_long_text,
)
from assistant.api.schemas.kakao import KakaoSkillRequest, KakaoSkillResponse
from assistant.service import QuestionError, check_question
from assistant.settings import Settings
from assistant.state import StateStore, StoreUnavailable
from assistant.state.base import OutageLog

log = logging.getLogger("assistant.api.kakao")
router = APIRouter(prefix="/kakao", tags=["kakao"])
SESSION_PREFIX = "kakao:"
KAKAO_ANSWER_WORKERS = 8
RATE_LIMITED_TEXT = "질문이 너무 잦습니다. 잠시 후 다시 질문해 주세요."

Result = TypeVar("Result")


class AnswerWorkers:
    """At most ``size`` answers computed at once, each in a worker thread of its own; no answer waits for one.

    A time-out only stops the waiting: a thread cannot be stopped, so the answer runs on to its end. In asyncio's
    default pool (min(32, cpus + 4) threads, shared with everything else run in a thread) answers given up on, and
    the retries people send after them, would queue up and push later requests past the platform's 5 seconds too.
    With workers of its own the skill does not starve the rest of the server, and when they are all busy it says
    "ask again" at once rather than queueing an answer that could not arrive in time. A worker counts as busy until
    its answer has really finished, not until the request stopped waiting for it.
    """

    def __init__(self, size: int) -> None:
        self._free = threading.BoundedSemaphore(size)
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kakao-answer")

    def try_submit(self, function: Callable[..., Result], *args: object) -> Future[Result] | None:
        """``function(*args)`` started on a free worker, or None when every worker is busy."""
        if not self._free.acquire(blocking=False):
            return None
        try:
            future = self._executor.submit(self._run, function, *args)
        except BaseException:
            self._free.release()
            raise
        # cancelled before a worker took it up (the wait timed out that early): _run never frees the worker
        future.add_done_callback(lambda done: self._free.release() if done.cancelled() else None)
        return future

    def _run(self, function: Callable[..., Result], *args: object) -> Result:
        try:
            return function(*args)
        finally:
            self._free.release()  # before the result is set, so whoever has the result may submit again


answer_workers = AnswerWorkers(KAKAO_ANSWER_WORKERS)
_outage = OutageLog(log)


def rate_limited(store: StateStore, settings: Settings, bot_id: str, user_id: str | None) -> bool:
    """Whether this utterance is over a limit: ``kakao_user_per_minute`` per user, ``kakao_channel_per_minute`` per
    bot, all its users together. Per address would not do: every user of a channel arrives from the platform's few
    addresses. The user's token is taken first, so a user over the limit does not spend the channel's. When the
    store fails the utterance goes through (logged), as the other limits do."""
    now = time.time()
    buckets = []
    if user_id and settings.kakao_user_per_minute > 0:
        buckets.append((f"kakao-user:{bot_id}:{user_id}", settings.kakao_user_per_minute))
    if settings.kakao_channel_per_minute > 0:
        buckets.append((f"kakao-bot:{bot_id}", settings.kakao_channel_per_minute))
    try:
        return any(store.take_token(key, float(per_minute), per_minute / 60.0, now) > 0 for key, per_minute in buckets)
    except StoreUnavailable as exc:
        _outage.warn("kakao rate limit store unavailable, letting utterances through", exc)
        return False


@router.post("/skill", response_model=KakaoSkillResponse, response_model_exclude_none=True,
             summary="Answer a KakaoTalk utterance (Kakao i OpenBuilder skill, response version 2.0)")
async def skill(body: KakaoSkillRequest, request: Request) -> KakaoSkillResponse:
    assistant = request.app.state.assistant
    index = assistant.index  # the follow-up buttons read the index this request began with, whatever a rebuild swaps in
    try:
        utterance = check_question(body.user_request.utterance)
    except QuestionError as exc:
        return KakaoSkillResponse.text(EMPTY_TEXT if exc.reason == "empty" else too_long_text(exc.length))
    user = body.user_request.user
    bot_id = body.bot.id if body.bot and body.bot.id else "unknown"
    # in a thread: a shared store may wait (a SQLite write lock, a Redis round trip), the event loop must not
    if await run_in_threadpool(rate_limited, request.app.state.state_store, assistant.settings, bot_id,
                               user.id if user else None):
        # HTTP 200 all the same: the platform shows the user only a skill response
        return KakaoSkillResponse.text(RATE_LIMITED_TEXT, retry_replies(utterance))
    session_id = f"{SESSION_PREFIX}{user.id}" if user else None
    timeout = assistant.settings.kakao_timeout
    # the session counts against the Kakao user, not the platform address every user shares; the worker thread
    # runs in a copy of this context to see that
    owner = session_owner.set(session_id)
    try:
        answering = answer_workers.try_submit(contextvars.copy_context().run, assistant.ask, utterance, session_id)
        if answering is None:
            log.warning("kakao skill: all %d answer workers busy", KAKAO_ANSWER_WORKERS)
            return KakaoSkillResponse.text(TIMEOUT_TEXT, retry_replies(utterance))
        response = await asyncio.wait_for(asyncio.wrap_future(answering), timeout=timeout)
    except TimeoutError:
        log.warning("kakao skill: no answer within %.3f s", timeout)
        return KakaoSkillResponse.text(TIMEOUT_TEXT, retry_replies(utterance))
    except Exception:
        log.exception("kakao skill: answering failed")  # the trace goes to the log; the user gets a readable text
        return KakaoSkillResponse.text(ERROR_TEXT, retry_replies(utterance))
    finally:
        session_owner.reset(owner)
    return KakaoSkillResponse.text(skill_text(response), follow_up_replies(response, index))
