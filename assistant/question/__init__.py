"""Stage 0: a question -> one typed ``Question`` that retrieval, reading and abstention all use.

A question is analysed once: what kind of value answers it (``AnswerType``), the words naming what it
is about (``focus``), the words naming the asked attribute (``attribute``: 예산, 연구책임자, 정원), and
its constraints (a year, a role, the two sides of a comparison). Cues are matched on the question
with its spaces removed, so "몇 명이야", "몇명인가요" and "몇 명 이에요?" are read alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from assistant.question.intent import ROLE_CUES, Intent, classify
from assistant.retrieval.analyzer import AnalyzedText, text_of
from assistant.retrieval.decompose import split_two_sided


class AnswerType(StrEnum):
    CONTACT = "contact"  # a person and their phone
    PERSON = "person"
    ORGANIZATION = "organization"  # a department, team, institute, committee
    DATE = "date"
    PERIOD = "period"  # a span of time or a deadline
    COUNT = "count"  # 명, 건, 개, 곳, 회 ...
    AMOUNT = "amount"  # 원, 천원, 백만원, 억
    PERCENT = "percent"
    PLACE = "place"
    TITLE = "title"  # of a program, project, publication, event
    LIST = "list"
    DESCRIPTION = "description"  # purpose, content, method
    COMPARISON = "comparison"
    YESNO = "yesno"


# The counters of these documents; a count is a number followed by one of them.
COUNTERS = ("명", "건", "개소", "개", "곳", "회", "차", "종", "권", "편", "팀", "가지", "평", "배", "개월", "기", "위", "석")
_COUNTER = "|".join(sorted(COUNTERS, key=len, reverse=True))

# (type, phrase cue, noun cues) in order: the first that matches decides. Phrase cues (question words,
# "몇 명") run on the question without spaces; noun cues must be whole nouns of the question, so the
# "시기" inside "도시기본계획" or the "부서" inside "추천부서명" of a title do not decide the type.
_TYPE_CUES: list[tuple[AnswerType, re.Pattern[str], frozenset[str]]] = [
    (AnswerType.CONTACT, re.compile(r"전화|번호|직통|내선|어디로문의|연락처|연락"),
     frozenset({"담당자", "문의처"})),
    (AnswerType.PERSON, re.compile(r"누구|누가|성함|이름이?뭐|이름알|맡[았은는고]|담당했|이끌"),
     frozenset({"책임자", "연구책임자", "연구자", "책임연구원"})),
    (AnswerType.PERCENT, re.compile(r"퍼센트|몇%|%|몇프로|몇퍼"), frozenset({"비율", "율", "률"})),
    (AnswerType.COUNT, re.compile(rf"몇(?:{_COUNTER})|몇개|몇명|몇건|몇곳|몇회|몇차|몇군데|몇분"),
     frozenset({"인원", "정원", "현원", "개수", "건수", "횟수"})),
    (AnswerType.AMOUNT, re.compile(r"얼마|몇억|몇만원|몇원"),
     frozenset({"예산", "금액", "비용", "사업비", "제작비", "재원", "기금", "출연금", "수익", "매출", "연구비", "보증금"})),
    (AnswerType.PERIOD, re.compile(r"언제까지|몇월까지|까지야|까지인|동안|몇개월|몇년간"),
     frozenset({"기간", "마감", "기한"})),
    (AnswerType.DATE, re.compile(r"언제|며칠|몇월|몇일|몇년도|몇년에"),
     frozenset({"날짜", "시기", "일자", "개원일", "예정일", "연도", "년도", "개최일"})),
    (AnswerType.PLACE, re.compile(r"어디에있|몇층|층에|어디서열|어디서해|어디에서열"),
     frozenset({"주소", "위치", "장소", "소재지"})),
    (AnswerType.ORGANIZATION, re.compile(r"어느부서|어떤부서|무슨부서|어느기관|어떤기관|무슨기관|어디|어느팀|무슨팀|어느과"),
     frozenset({"부서", "기관", "주관", "소관", "주최", "조직", "발주처", "발주", "담당팀", "담당부서"})),
    (AnswerType.TITLE, re.compile(r"뭐라는|뭐라고|무슨연구|어떤연구"), frozenset({"제목", "명칭", "과제명", "사업명", "연구명", "이름"})),
    (AnswerType.LIST, re.compile(r"뭐뭐|무엇무엇|어떤것들|몇가지|들이뭐|들은뭐|다알려|모두알려|어떤어떤"),
     frozenset({"목록", "종류", "전부"})),
    (AnswerType.YESNO, re.compile(r"맞아|맞나요|맞는지|맞습니까|인지아닌지"), frozenset({"여부"})),
]
_COMPARISON = re.compile(r"먼저|더많|더크|더적|더작|더높|더낮|더빨|더늦|더오래|차이|비교|어디가더|어느쪽|중에어디|중어디|누가더")

# Words that ask rather than name: they are no focus. Analyzer terms (Kiwi morphemes and compounds).
_ASKING = frozenset({
    "몇", "얼마", "언제", "누구", "누가", "무엇", "뭐", "어디", "어느", "어떤", "무슨", "어떻", "알리", "알", "주",
    "하", "되", "있", "없", "좀", "건가", "거", "것", "수", "때", "분", "정확", "혹시", "궁금", "대하", "관하", "관련",
    "말", "싶", "보", "가르치", "해주", "나오", "돼", "요", "해", "야", "지", "나", "내", "제", "저희", "우리",
    "명", "건", "개", "곳", "회", "날짜", "며칠", "번호", "전화", "전화번호", "연락처", "연락", "이름", "성함",
})
# Words that name the asked attribute (a column, a key, a label) rather than the topic.
ATTRIBUTE_WORDS = frozenset({
    "예산", "사업비", "금액", "비용", "기간", "일정", "기한", "마감", "인원", "정원", "현원", "규모", "책임자",
    "연구책임자", "담당", "담당자", "부서", "주관", "소관", "목적", "내용", "방법", "대상", "장소", "위치", "주소",
    "비율", "수", "개수", "건수", "횟수", "연구자", "팀장", "과장", "부장", "센터장", "원장", "주무관", "실무자",
    "추천", "추천부서", "요청", "요청부서", "과제", "과제명", "날", "일자", "시기", "개최", "성과", "목표", "실적",
})
_YEAR = re.compile(r"(?<![\d'’])(20\d{2}|19\d{2})(?=년|\s|$|도|\D)|['’](\d{2})(?=년|\.|\s)")
_SQUASH = re.compile(r"\s+")


@dataclass(frozen=True)
class Question:
    """A question, analysed once."""

    text: str  # as asked
    query: str  # what retrieval searches (a follow-up carries its topic along)
    answer_type: AnswerType
    intent: Intent  # the coarse kind the fact lookups (contacts, schedules) dispatch on
    terms: frozenset[str]  # every content term of the query
    focus: frozenset[str]  # the terms naming what is asked about
    attribute: frozenset[str]  # the terms naming the asked attribute (a column, a key)
    years: tuple[str, ...] = ()  # four-digit years the question names
    role: str | None = None  # "팀장", "주무관" ...
    sides: tuple[str, ...] = ()  # the two halves of a comparison
    counter: str | None = None  # the counter a count question asks in (명, 건 ...)
    compared: AnswerType | None = None  # comparisons: the kind of value compared (a date, a count ...)
    # Kiwi's readings of ``text``, ``query`` and each of ``sides``, made once for every later stage
    analysed_text: AnalyzedText | None = field(default=None, repr=False, compare=False)
    analysed_query: AnalyzedText | None = field(default=None, repr=False, compare=False)
    analysed_sides: tuple[AnalyzedText, ...] = field(default=(), repr=False, compare=False)

    @property
    def squashed(self) -> str:
        return _SQUASH.sub("", self.text)

    @property
    def query_analysis(self) -> AnalyzedText:
        return self.analysed_query or AnalyzedText.of(self.query)

    @property
    def side_analyses(self) -> tuple[AnalyzedText, ...]:
        if len(self.analysed_sides) == len(self.sides):
            return self.analysed_sides
        return tuple(AnalyzedText.of(side) for side in self.sides)


def analyze_question(text: str | AnalyzedText, query: str | AnalyzedText | None = None) -> Question:
    """The typed analysis of ``text``; ``query`` is the retrieval text when it differs (follow-ups).

    Either may come analysed already (a follow-up's text is, to tell it is one): Kiwi runs once per text."""
    said = AnalyzedText.of(text)
    text = said.text
    asked = said if not query or text_of(query) == text else AnalyzedText.of(query)
    query = asked.text
    flat = _SQUASH.sub("", text)
    sides = split_two_sided(query) or ()
    nouns = _nouns(said)
    answer_type = _answer_type(flat, nouns, bool(sides))
    compared = _value_type(flat, nouns) if answer_type is AnswerType.COMPARISON else None
    terms = frozenset(asked.terms)
    attribute = frozenset(t for t in terms if t in ATTRIBUTE_WORDS)
    focus = focus_of(asked)
    counter = None
    if AnswerType.COUNT in (answer_type, compared):
        found = re.search(rf"몇\s*({_COUNTER})", text)
        counter = found.group(1) if found else ("명" if nouns & _HEADCOUNT else None)
    role = next((r for r in ROLE_CUES if r in flat), None)
    return Question(
        text=text, query=query, answer_type=answer_type, intent=classify(text), terms=terms, focus=focus,
        attribute=attribute, years=_years(text), role=role, sides=tuple(sides), counter=counter,
        compared=compared, analysed_text=said, analysed_query=asked,
        analysed_sides=tuple(AnalyzedText.of(side) for side in sides),
    )


_FOCUS_TAGS = {"NNG", "NNP", "SL", "SH", "XR", "NR"}


def focus_of(text: str | AnalyzedText) -> frozenset[str]:
    """The nouns naming what ``text`` asks about: no question words, attribute words or years.

    Single morphemes, not compounds: the reader looks for each in a unit's text with spaces removed,
    so "도시재생 지원센터" and "대전도시재생지원센터" both hold "도시재생", "지원", "센터".
    """
    found = []
    tokens = AnalyzedText.of(text).tokens
    for position, token in enumerate(tokens):
        tag = token.tag.split("-")[0]
        form = token.form.lower()
        if tag == "SN":  # "제4권", "2차": the number and its counter tell rows apart
            following = tokens[position + 1] if position + 1 < len(tokens) else None
            if following is not None and following.start == token.end and following.tag in ("NNB", "NNG") \
                    and len(following.form) == 1:
                form += following.form
            found.append(form)
            continue
        if tag in ("NNG", "NNP") and len(form) == 1:
            continue  # one syllable (장, 곳, 사람's 람 ...) matches inside too many words to say what is asked about
        if tag in _FOCUS_TAGS and form not in _ASKING and form not in ATTRIBUTE_WORDS and not _is_year(form):
            found.append(form)
    return frozenset(found)


def _nouns(text: AnalyzedText) -> frozenset[str]:
    """The question's nouns, single and compound ("연구책임자" and "연구", "책임자")."""
    return frozenset(text.terms) | frozenset(t.form for t in text.tokens if t.tag in ("NNG", "NNP"))


def _answer_type(flat: str, nouns: frozenset[str], two_sided: bool) -> AnswerType:
    if two_sided or _COMPARISON.search(flat):
        return AnswerType.COMPARISON
    return _value_type(flat, nouns)


_HEADCOUNT = frozenset({"인원", "정원", "현원", "인력", "직원", "위원"})  # counted in 명
_EARLIER = re.compile(r"먼저|빨리|늦게|일찍|오래")


def _value_type(flat: str, nouns: frozenset[str]) -> AnswerType:
    if _EARLIER.search(flat):
        return AnswerType.DATE
    for answer_type, phrase, noun_cues in _TYPE_CUES:
        if phrase.search(flat) or nouns & noun_cues:
            return answer_type
    return AnswerType.DESCRIPTION


def _years(text: str) -> tuple[str, ...]:
    years = []
    for full, short in _YEAR.findall(text):
        years.append(full or f"20{short}")
    return tuple(dict.fromkeys(years))


def _is_year(term: str) -> bool:
    return bool(re.fullmatch(r"(?:19|20)\d{2}(?:년)?", term))
