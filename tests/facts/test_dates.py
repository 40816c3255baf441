"""Date expressions as the five corpus documents write them, normalized (assistant.facts.dates)."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from assistant.facts.dates import DateMention, find_dates, resolve_relative
from assistant.ingest import load_document, read_manifest

CORPUS = Path("/work/main/corpus")
DS = "daejeon-sejong-institute-2024-plan.txt"  # 대전세종연구원 2024 plan
GI = "goyang-research-institute-2024-plan.txt"  # 고양시정연구원 2024 plan
GP = "goyang-resident-autonomy-pledge-2018-2022.txt"  # 고양시 민관협치 공약 (2018-2022)
GU = "goyang-urban-corporation-innovation-2021-2024.txt"  # 고양도시관리공사 혁신계획
PJ = "paju-future-strategy-office-2023.txt"  # 파주시 미래전략담당관 2023

D = datetime.date


@pytest.fixture(scope="module")
def corpus_texts() -> dict[str, str]:
    """Normalized text of each corpus file, read with the project's loader (what the assistant indexes)."""
    manifest = read_manifest(CORPUS)
    return {name: load_document(CORPUS / name, info).text for name, info in manifest.items()}


# (document, a fragment copied from it, the mention's text, first day, last day, precision, is_range, default_year)
REAL = [
    (GI, "작성 개편('23. 8. 8.)", "'23. 8. 8.", D(2023, 8, 8), D(2023, 8, 8), "day", False, None),
    (DS, "- '01. 03. 14. 대전발전연구원 개원", "'01. 03. 14.", D(2001, 3, 14), D(2001, 3, 14), "day", False, None),
    (DS, "- '22. 07. 01. 세종시", "'22. 07. 01.", D(2022, 7, 1), D(2022, 7, 1), "day", False, None),
    (DS, "- '24. 3.~11. : 자문 실시", "'24. 3.~11.", D(2024, 3, 1), D(2024, 11, 30), "month", True, None),
    (DS, "- '24. 1.~2. : 전문가 자문단 모집", "'24. 1.~2.", D(2024, 1, 1), D(2024, 2, 29), "month", True, None),
    (DS, "- '24. 2~3. : 사업 홍보 및 설명회", "'24. 2~3.", D(2024, 2, 1), D(2024, 3, 31), "month", True, None),
    (DS, "- '24. 10. : 성과공유회", "'24. 10.", D(2024, 10, 1), D(2024, 10, 31), "month", False, None),
    (DS, "- '24. 3~9 : 모니터링 사업 추진", "'24. 3~9", D(2024, 3, 1), D(2024, 9, 30), "month", True, None),
    (DS, "- ' 24. 1~12. : 운영위원회 정례회", "' 24. 1~12.", D(2024, 1, 1), D(2024, 12, 31), "month", True, None),
    (DS, "- / 24. 1~3. 배출량 산정을", "24. 1~3.", D(2024, 1, 1), D(2024, 3, 31), "month", True, None),
    (PJ, "'23.9. 완료", "'23.9.", D(2023, 9, 1), D(2023, 9, 30), "month", False, None),
    (PJ, "'23.12. 예정", "'23.12.", D(2023, 12, 1), D(2023, 12, 31), "month", False, None),
    (PJ, "‘23. 2. 계약 및 착수", "‘23. 2.", D(2023, 2, 1), D(2023, 2, 28), "month", False, None),
    (GU, "‘21. 9. ~ 11.", "‘21. 9. ~ 11.", D(2021, 9, 1), D(2021, 11, 30), "month", True, None),
    (GI, "2024년 3월", "2024년 3월", D(2024, 3, 1), D(2024, 3, 31), "month", False, None),
    (GI, "2023년 11월", "2023년 11월", D(2023, 11, 1), D(2023, 11, 30), "month", False, None),
    (GI, "1. 2024년 연구과제(안)", "2024년", D(2024, 1, 1), D(2024, 12, 31), "year", False, None),
    (PJ, "(운영기간) 2023. 2. ~ 9.(8개월)", "2023. 2. ~ 9.", D(2023, 2, 1), D(2023, 9, 30), "month", True, None),
    (PJ, "2023. 2.~2023. 9.(8개월)", "2023. 2.~2023. 9.", D(2023, 2, 1), D(2023, 9, 30), "month", True, None),
    (PJ, "'23. 1. ~ 6. (150일)", "'23. 1. ~ 6.", D(2023, 1, 1), D(2023, 6, 30), "month", True, None),
    (GP, ": 2020. 11. 11. ~ 11. 30.", "2020. 11. 11. ~ 11. 30.", D(2020, 11, 11), D(2020, 11, 30), "day", True, None),
    (GP, "개최일: 2021. 5. 3. ~ 5. 13.", "2021. 5. 3. ~ 5. 13.", D(2021, 5, 3), D(2021, 5, 13), "day", True, None),
    (GI, "2022.8.1. ~ 2024.7.31. (2년)", "2022.8.1. ~ 2024.7.31.", D(2022, 8, 1), D(2024, 7, 31), "day", True, None),
    (DS, "(2023.1.1.~2023.12.31.)", "2023.1.1.~2023.12.31.", D(2023, 1, 1), D(2023, 12, 31), "day", True, None),
    (DS, "(2023.11.1.~2023.12.4.)", "2023.11.1.~2023.12.4.", D(2023, 11, 1), D(2023, 12, 4), "day", True, None),
    (DS, "(2023.11.3.~11.4.)", "2023.11.3.~11.4.", D(2023, 11, 3), D(2023, 11, 4), "day", True, None),
    (GP, "일시 : 2020. 2. 7.(금)", "2020. 2. 7.(금)", D(2020, 2, 7), D(2020, 2, 7), "day", False, None),
    (
        GP,
        "2020. 11. 2.(월)~11. 5.(목)",
        "2020. 11. 2.(월)~11. 5.(목)",
        D(2020, 11, 2),
        D(2020, 11, 5),
        "day",
        True,
        None,
    ),
    (GP, "(시청 본관 2층)\t9.12. (토)\t1강", "9.12. (토)", D(2020, 9, 12), D(2020, 9, 12), "day", False, 2020),
    (DS, "대전세종성별영향평가센터\t3.9.", "3.9.", D(2023, 3, 9), D(2023, 3, 9), "day", False, 2023),
    (DS, "(10. 30.)", "10. 30.", D(2023, 10, 30), D(2023, 10, 30), "day", False, 2023),
    (DS, "도입연구\t22-04-25\t", "22-04-25", D(2022, 4, 25), D(2022, 4, 25), "day", False, None),
    (DS, "\t22-04-25\t03-31\t김홍주", "03-31", D(2023, 3, 31), D(2023, 3, 31), "day", False, 2023),
    (PJ, "‘23.4월이후 격월 개최)", "‘23.4월", D(2023, 4, 1), D(2023, 4, 30), "month", False, None),
    (DS, "(통계청, '00.9월)", "'00.9월", D(2000, 9, 1), D(2000, 9, 30), "month", False, None),
    (PJ, "지속가능발전위원회 (24. 3. 30명 내외 구성)", "24. 3.", D(2024, 3, 1), D(2024, 3, 31), "month", False, None),
    (DS, "(23. 1월 기준)", "23. 1월", D(2023, 1, 1), D(2023, 1, 31), "month", False, None),
    (GI, "(2021~2023.10.기준)", "2021~2023.10.", D(2021, 1, 1), D(2023, 10, 31), "year", True, None),
    (GI, "연구(2024~2028)", "2024~2028", D(2024, 1, 1), D(2028, 12, 31), "year", True, None),
    (DS, "- 2024. 2월~3월 지표구성 및 체계 설정", "2024. 2월~3월", D(2024, 2, 1), D(2024, 3, 31), "month", True, None),
    (GP, "(2020. 2~3월)", "2020. 2~3월", D(2020, 2, 1), D(2020, 3, 31), "month", True, None),
    (GP, "2022. 1 ~ 6월 지속운영", "2022. 1 ~ 6월", D(2022, 1, 1), D(2022, 6, 30), "month", True, None),
    (GU, "2020. 12. ~ 2021. 2. : 1차", "2020. 12. ~ 2021. 2.", D(2020, 12, 1), D(2021, 2, 28), "month", True, None),
    (DS, "2024년 상반기", "2024년 상반기", D(2024, 1, 1), D(2024, 6, 30), "month", True, None),
    (DS, "'24년 1분기 중 발", "'24년 1분기", D(2024, 1, 1), D(2024, 3, 31), "month", True, None),
    (GI, "‘23년도", "‘23년도", D(2023, 1, 1), D(2023, 12, 31), "year", False, None),
    (PJ, "2023. 5. 24\t2023 제5회", "2023. 5. 24", D(2023, 5, 24), D(2023, 5, 24), "day", False, None),
    (DS, "제정('23.3)에 따라", "'23.3", D(2023, 3, 1), D(2023, 3, 31), "month", False, None),
    (PJ, "('24.1~9)", "'24.1~9", D(2024, 1, 1), D(2024, 9, 30), "month", True, None),
    (GP, "2019. 4. 29./11개 위원회 등록", "2019. 4. 29.", D(2019, 4, 29), D(2019, 4, 29), "day", False, None),
    (DS, "(2023. 12. 31.까지)", "2023. 12. 31.", D(2023, 12, 31), D(2023, 12, 31), "day", False, None),
    (DS, "용역정지 23. 9. 22.~환경부 승인일까지", "23. 9. 22.", D(2023, 9, 22), D(2023, 9, 22), "day", False, None),
    (DS, "(2021.3.4.~현재)", "2021.3.4.", D(2021, 3, 4), D(2021, 3, 4), "day", False, None),
]


def _only(text: str, default_year: int | None = None) -> DateMention:
    mentions = find_dates(text, default_year)
    assert len(mentions) == 1, [m.text for m in mentions]
    return mentions[0]


@pytest.mark.parametrize(
    ("doc", "fragment", "written", "first", "last", "precision", "is_range", "default_year"),
    REAL,
    ids=[row[2] for row in REAL],
)
def test_real_expressions_are_normalized(doc, fragment, written, first, last, precision, is_range, default_year):
    (mention,) = [m for m in find_dates(fragment, default_year) if m.text == written]
    assert (mention.start_date, mention.end_date) == (first, last)
    assert (mention.precision, mention.is_range) == (precision, is_range)
    assert fragment[mention.start : mention.end] == written


def test_the_examples_are_copied_from_the_documents(corpus_texts):
    missing = [(doc, fragment) for doc, fragment, *_ in REAL if fragment not in corpus_texts[doc]]
    assert not missing


# forms from the brief whose exact spelling is not in the corpus (their neighbours are: "2021. 3. 31.", "‘23. 2.")
@pytest.mark.parametrize(
    ("text", "first", "last", "precision"),
    [
        ("2023. 11. 1.", D(2023, 11, 1), D(2023, 11, 1), "day"),
        ("2023.11.1.", D(2023, 11, 1), D(2023, 11, 1), "day"),
        ("‘23. 8. 8.", D(2023, 8, 8), D(2023, 8, 8), "day"),
        ("’23. 8. 8.", D(2023, 8, 8), D(2023, 8, 8), "day"),
        ("2024년", D(2024, 1, 1), D(2024, 12, 31), "year"),
    ],
)
def test_listed_forms(text, first, last, precision):
    mention = _only(text)
    assert (mention.text, mention.start_date, mention.end_date, mention.precision) == (text, first, last, precision)


def test_iso():
    assert _only("'24. 3.~11.").iso == "2024-03-01/2024-11-30"
    assert _only("2023. 11. 1.").iso == "2023-11-01"
    assert _only("'24. 10.").iso == "2024-10"
    assert _only("2024년").iso == "2024"


@pytest.mark.parametrize(
    "text",
    [
        "○ 기금현황 : 총 11.3억원",  # DS: money
        "찬성 77.5%/반대 14.1%",  # GP: percentages
        "고양시정연구원 2.0 혁신",  # GI: a version
        "(P.11 참조)",  # a page reference
        "1. 학생 대상 경제교육",  # a numbered heading
        "3.8 세계 여성의 날",  # DS: "3.8" without its dot (and no default year)
        "26.1%에서 27.9%로 증가",  # DS
        "8.4평\t6.6평\t4.2평\t10.26평\t13.85평",  # GI: areas
        "☎ 8073-8365 팀장",  # GI: phone numbers
        "10년 만에 플러스",  # DS: ten years, not 2010
        "('96 → '06)",  # DS: IPCC guidelines of 1996/2006: a bare quoted year is not read
        "1.2.3. 항목",
        "2023. 2. 30.",  # no 30 February
        "2023.13.1.",
        "12345.6.7.",  # inside a longer digit run
    ],
)
def test_not_dates(text):
    assert find_dates(text) == []
    assert find_dates(text, default_year=2023) == []


def test_numbered_heading_with_a_year_keeps_only_the_year():
    assert [m.text for m in find_dates("1. 2024년 연구과제(안)", default_year=2024)] == ["2024년"]


def test_month_day_needs_a_default_year():
    assert find_dates("터\t3.9.") == []
    assert [m.text for m in find_dates("\t22-04-25\t03-31\t")] == ["22-04-25"]  # only the YY-MM-DD start
    assert [m.iso for m in find_dates("터\t3.9.", default_year=2023)] == ["2023-03-09"]
    assert [m.iso for m in find_dates("\t22-04-25\t03-31\t", default_year=2023)] == ["2022-04-25", "2023-03-31"]
    assert find_dates("(3.8)", default_year=2023) == []  # no trailing dot: not a date
    assert find_dates("10-12세 아동", default_year=2023) == []  # an age range, not 12 October


def test_ranges_that_end_before_they_start_are_not_ranges():
    (mention,) = find_dates("'24. 11.~3.")
    assert (mention.text, mention.is_range, mention.iso) == ("'24. 11.", False, "2024-11")
    # DS writes "2023.2.1.~2023.11.31.": the end does not exist, the start is kept
    (mention,) = find_dates("(2023.2.1.~2023.11.31.)")
    assert (mention.text, mention.iso) == ("2023.2.1.", "2023-02-01")


def test_several_mentions_left_to_right():
    text = "(2019. 5. 17./2019. 9. 11.) 및 ('24.3., 8.)"  # GP and PJ
    assert [(m.text, m.iso) for m in find_dates(text)] == [
        ("2019. 5. 17.", "2019-05-17"),
        ("2019. 9. 11.", "2019-09-11"),
        ("'24.3.", "2024-03"),
    ]


@pytest.mark.parametrize(
    "text",
    ["", "~", "'", "'24", "2023.", "2023. ", "2023~", "~2023", "\x00\xff\ufffd" * 50, "9" * 5000, "2023." * 5000],
)
def test_any_input_is_safe(text):
    for mention in find_dates(text, default_year=2023):
        assert text[mention.start : mention.end] == mention.text


def test_garbage_does_not_raise():
    assert find_dates(None) == []  # type: ignore[arg-type]
    noise = bytes(range(256)).decode("latin-1") * 200 + "'24. 3.~11." + "~. 1 2 . ~" * 1000
    assert "'24. 3.~11." in [m.text for m in find_dates(noise, default_year=2024)]
    assert find_dates("3.9.", default_year=0) == []  # no year 0: nothing, not a ValueError
    assert resolve_relative("내년", datetime.date.max) is None


TODAY = D(2026, 11, 24)


@pytest.mark.parametrize(
    ("expression", "first", "last"),
    [
        ("다음 달", D(2026, 12, 1), D(2026, 12, 31)),
        ("다음달", D(2026, 12, 1), D(2026, 12, 31)),
        ("이번 달", D(2026, 11, 1), D(2026, 11, 30)),
        ("이달", D(2026, 11, 1), D(2026, 11, 30)),
        ("지난달", D(2026, 10, 1), D(2026, 10, 31)),
        ("오늘", TODAY, TODAY),
        ("올해", D(2026, 1, 1), D(2026, 12, 31)),
        ("내년", D(2027, 1, 1), D(2027, 12, 31)),
        ("작년", D(2025, 1, 1), D(2025, 12, 31)),
        ("지난해", D(2025, 1, 1), D(2025, 12, 31)),
        ("올해 3월", D(2026, 3, 1), D(2026, 3, 31)),
        ("3월", D(2026, 3, 1), D(2026, 3, 31)),
        ("내년 상반기", D(2027, 1, 1), D(2027, 6, 30)),
        ("하반기", D(2026, 7, 1), D(2026, 12, 31)),
        ("2024년 하반기", D(2024, 7, 1), D(2024, 12, 31)),
        ("3분기", D(2026, 7, 1), D(2026, 9, 30)),
        ("1분기", D(2026, 1, 1), D(2026, 3, 31)),
        ("다음 달 10일", D(2026, 12, 10), D(2026, 12, 10)),
        ("상반기에", D(2026, 1, 1), D(2026, 6, 30)),
        ("2024. 3.", D(2024, 3, 1), D(2024, 3, 31)),
    ],
)
def test_resolve_relative(expression, first, last):
    assert resolve_relative(expression, TODAY) == (first, last)


def test_relative_month_crosses_the_year():
    assert resolve_relative("다음 달", D(2026, 12, 5)) == (D(2027, 1, 1), D(2027, 1, 31))
    assert resolve_relative("지난달", D(2027, 1, 5)) == (D(2026, 12, 1), D(2026, 12, 31))


NOT_RELATIVE = ["연락처", "", "   ", "에", "13월", "다음 달 32일", "2월 30일", "10년", "예산 3.5억"]


@pytest.mark.parametrize("expression", NOT_RELATIVE)
def test_resolve_relative_non_dates(expression):
    assert resolve_relative(expression, TODAY) is None


@pytest.mark.parametrize("name", [DS, GI, GP, GU, PJ])
def test_whole_documents(corpus_texts, name):
    text = corpus_texts[name]
    started = time.perf_counter()
    mentions = find_dates(text)
    assert time.perf_counter() - started < 1.0
    if name == DS:
        assert len(mentions) > 30
    previous_end = 0
    for m in mentions:
        assert text[m.start : m.end] == m.text
        assert m.start >= previous_end  # left to right, non-overlapping
        previous_end = m.end
        assert m.start_date <= m.end_date
        assert m.precision in ("day", "month", "year")
        # plan-era dates; the only years outside 1990-2035 are written-out years of history and vision
        # titles in DS ("1945년 광복", "‘2048년 대전 그랜드플랜", "2040년 세종도시기본계획")
        if not (1990 <= m.start_date.year and m.end_date.year <= 2035):
            assert m.precision == "year" and m.text.endswith("년"), m
            assert 1900 <= m.start_date.year <= 2099


def test_whole_document_with_its_year(corpus_texts):
    """With the reporting year, DS's event tables (month.day) and research tables (MM-DD) are read too."""
    text = corpus_texts[DS]
    without, with_year = find_dates(text), find_dates(text, default_year=2023)
    assert len(with_year) > len(without) + 300
    assert all(text[m.start : m.end] == m.text and m.start_date <= m.end_date for m in with_year)
