"""What a question asks for: who to call, when, how much, what a program does, or anything else.

Cue words decide, the order of the checks settles ties (a question naming a person's role
and asking "몇 번" wants a phone number, not a count).
"""

from __future__ import annotations

import re
from enum import StrEnum


class Intent(StrEnum):
    CONTACT = "contact"
    SCHEDULE = "schedule"
    NUMBER = "number"
    PROJECT = "project"
    GENERAL = "general"


_CUES = [
    (Intent.CONTACT, r"담당|연락처|전화|번호|누구|누가|팀장|과장|부장|주무관|센터장|실무자|문의|연락|직통"),
    (Intent.SCHEDULE, r"언제|일정|기간|날짜|며칠|몇\s*월|마감|개최일|시작했|시작하|끝나|예정일|몇\s*년도|부터"),
    (Intent.NUMBER, r"얼마|몇\s*(?:명|개|건|곳|평|배|억|만|퍼센트|%)|규모|금액|인원|면적|예산|비율|몇"),
    (Intent.PROJECT, r"무슨\s*사업|어떤\s*사업|뭐\s*해|뭘\s*해|무엇을\s*하|하는\s*일|목적|내용|추진\s*과제|사업"),
]
_COMPILED = [(intent, re.compile(pattern)) for intent, pattern in _CUES]


def classify(question: str) -> Intent:
    for intent, pattern in _COMPILED:
        if pattern.search(question):
            return intent
    return Intent.GENERAL


# words that say "a contact is wanted" and so cannot tell one program from another
CONTACT_WORDS = frozenset({
    "담당", "담당자", "연락처", "전화", "전화번호", "번호", "누구", "팀장", "과장", "부장", "주무관", "센터장",
    "실무자", "실무", "문의", "연락", "이름", "직원", "사람", "분", "알리", "주", "하", "좀", "관련", "업무",
})

ROLE_CUES = {
    "과장": ("과장",),
    "부장": ("부장",),
    "센터장": ("센터장",),
    "팀장": ("팀장", "팀장대행", "장장"),
    "주무관": ("주무관", "담당", "담당자"),
    "실무": ("주무관", "담당", "담당자"),
    "담당": ("담당", "담당자", "주무관"),
}
