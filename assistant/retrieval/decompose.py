"""Two-sided questions ("A랑 B 중에 어디가 더 ...", "A하고 B 비교") split into one query per side.

One query for both sides ranks the side with more matching words first and can push the
other out of the top five; a search per side finds each.
"""

from __future__ import annotations

import re

# the connector joins the two sides; 와/과 are left out: they end too many nouns (결과, 성과, 효과)
_CONNECTOR = re.compile(r"^(?P<left>.+?)(?:이랑|랑|하고)$")
_VERSUS = re.compile(r"^(?:vs\.?|VS\.?|대)$")
# without a comparison cue, "A랑 B" is usually one topic ("교육하고 연구", "부장이랑 팀장")
_COMPARISON = re.compile(r"비교|어디가|어느\s*(?:쪽|곳|기관)|중에?\s|보다|각각|차이|둘\s*다")


# wider: questions about two things at once, named or not ("각각 몇 명", "둘 다"), which want more evidence
_TWO_THINGS = re.compile(r"비교|어디가\s*더|어느\s*쪽|중에|보다|차이|둘\s*다|각각|vs|랑|하고", re.IGNORECASE)


def asks_about_two(question: str) -> bool:
    return bool(_TWO_THINGS.search(question))


def split_two_sided(question: str) -> tuple[str, str] | None:
    """The two sides of a comparison question, or None when it is not one."""
    if not _COMPARISON.search(question):
        return None
    words = question.split()
    for index, word in enumerate(words[:-1]):
        if _VERSUS.match(word) and index > 0:
            return " ".join(words[:index]), " ".join(words[index + 1:])
        match = _CONNECTOR.match(word)
        if match:
            return " ".join([*words[:index], match.group("left")]), " ".join(words[index + 1:])
    return None
