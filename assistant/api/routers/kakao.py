"""POST /kakao/skill: the Kakao i OpenBuilder skill protocol (skill response version 2.0).

The platform gives a skill 5 seconds and shows the user whatever comes back, so every utterance gets a valid
skill response with HTTP 200: the answer, or a Korean text saying what to do (ask something, ask shorter, ask
again). Only a payload that is not a skill payload at all (a misconfigured bot) gets a 4xx.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request

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
from assistant.service import MAX_QUESTION_CHARS, QuestionError

log = logging.getLogger("assistant.api.kakao")
router = APIRouter(prefix="/kakao", tags=["kakao"])
SESSION_PREFIX = "kakao:"


@router.post("/skill", response_model=KakaoSkillResponse, response_model_exclude_none=True,
             summary="Answer a KakaoTalk utterance (Kakao i OpenBuilder skill, response version 2.0)")
async def skill(body: KakaoSkillRequest, request: Request) -> KakaoSkillResponse:
    assistant = request.app.state.assistant
    utterance = body.user_request.utterance.strip()
    if not utterance:
        return KakaoSkillResponse.text(EMPTY_TEXT)
    if len(utterance) > MAX_QUESTION_CHARS:
        return KakaoSkillResponse.text(too_long_text(len(utterance)))
    user = body.user_request.user
    session_id = f"{SESSION_PREFIX}{user.id}" if user else None
    try:
        # in a worker thread: a slow answer must not hold up the event loop, and the wait can be cut short
        response = await asyncio.wait_for(asyncio.to_thread(assistant.ask, utterance, session_id),
                                          timeout=assistant.settings.kakao_timeout)
    except TimeoutError:
        log.warning("kakao skill: no answer within %.3f s", assistant.settings.kakao_timeout)
        return KakaoSkillResponse.text(TIMEOUT_TEXT, retry_replies(utterance))
    except QuestionError:
        return KakaoSkillResponse.text(EMPTY_TEXT)
    except Exception:
        log.exception("kakao skill: answering failed")  # the trace goes to the log; the user gets a readable text
        return KakaoSkillResponse.text(ERROR_TEXT, retry_replies(utterance))
    return KakaoSkillResponse.text(skill_text(response), follow_up_replies(response, assistant.index))
