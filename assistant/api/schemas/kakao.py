"""The Kakao i OpenBuilder skill protocol: the payload the bot platform posts, and the 2.0 skill response.

Only ``userRequest.utterance`` is required of the payload; every other field the platform sends (``intent``,
``bot``, ``action``, ``contexts``, ``flow`` ...) is accepted and ignored, so a new platform field never breaks
the skill. The limits of the response are the platform's: a simpleText of at most 1000 characters, at most
10 quick replies, a quick-reply label of at most 14 characters.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.api.schemas.text import Text

SIMPLE_TEXT_MAX_CHARS = 1000
QUICK_REPLIES_MAX = 10
QUICK_REPLY_LABEL_MAX_CHARS = 14
OUTPUTS_MAX = 3


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class KakaoBlock(_Lenient):
    id: str | None = None
    name: str | None = None


class KakaoUser(_Lenient):
    id: Text = Field(min_length=1, max_length=200, description="botUserKey: stable per user and bot")
    type: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class KakaoUserRequest(_Lenient):
    utterance: Text = Field(description="what the user typed; checked by the skill, not here, so that an empty "
                                        "or too long one still gets an answer the user can read (one that is no "
                                        "text, with a lone surrogate, gets a reply saying it could not be read)")
    user: KakaoUser | None = None
    timezone: str | None = None
    lang: str | None = None
    block: KakaoBlock | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class KakaoAction(_Lenient):
    id: str | None = None
    name: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    detail_params: dict[str, Any] = Field(default_factory=dict, alias="detailParams")
    client_extra: Any = Field(default=None, alias="clientExtra")


class KakaoSkillRequest(_Lenient):
    user_request: KakaoUserRequest = Field(alias="userRequest")
    intent: KakaoBlock | None = None
    bot: KakaoBlock | None = None
    action: KakaoAction | None = None

    model_config = ConfigDict(extra="ignore", populate_by_name=True, json_schema_extra={"examples": [{
        "intent": {"id": "5a56ec0008cc1461d75291f6", "name": "폴백 블록"},
        "userRequest": {
            "timezone": "Asia/Seoul", "params": {"ignoreMe": "true"},
            "block": {"id": "5a56ec0008cc1461d75291f6", "name": "폴백 블록"},
            "utterance": "학술행사 담당자 전화번호 알려줘", "lang": "ko",
            "user": {"id": "a1b2c3d4e5f6", "type": "botUserKey", "properties": {"plusfriendUserKey": "Xy7pQ2"}},
        },
        "bot": {"id": "5a548e36aea1a43fa851ecd9", "name": "계획서 도우미"},
        "action": {"name": "plan-assistant", "clientExtra": None, "params": {}, "id": "5a56ebaa211ee046633e958d",
                   "detailParams": {}},
    }]})


class SimpleTextBody(BaseModel):
    text: str = Field(min_length=1, max_length=SIMPLE_TEXT_MAX_CHARS)


class SimpleTextOutput(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    simple_text: SimpleTextBody = Field(alias="simpleText")


class QuickReply(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    label: str = Field(min_length=1, max_length=QUICK_REPLY_LABEL_MAX_CHARS, description="what the button shows")
    action: Literal["message"] = "message"
    message_text: str = Field(min_length=1, alias="messageText", description="sent as the user's utterance")


class SkillTemplate(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    outputs: list[SimpleTextOutput] = Field(min_length=1, max_length=OUTPUTS_MAX)
    quick_replies: list[QuickReply] | None = Field(default=None, max_length=QUICK_REPLIES_MAX, alias="quickReplies",
                                                   description="left out when there is none")


class KakaoSkillResponse(BaseModel):
    version: Literal["2.0"] = "2.0"
    template: SkillTemplate

    @classmethod
    def text(cls, text: str, quick_replies: list[QuickReply] | None = None) -> KakaoSkillResponse:
        return cls(template=SkillTemplate(outputs=[SimpleTextOutput(simple_text=SimpleTextBody(text=text))],
                                          quick_replies=quick_replies or None))
