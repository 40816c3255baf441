"""Structure recognition on excerpts of the real documents, read through the text reader."""

from assistant.ingest import BlockKind
from assistant.ingest.readers import text
from assistant.ingest.structure import parse_structure


def parse(source: str):
    normalized, blocks, _ = parse_structure(text.read(source.encode("utf-8")))
    for block in blocks:
        assert normalized[block.start:block.end] == block.text
    return normalized, blocks


def kinds(blocks):
    return [b.kind for b in blocks]


GOYANG_PROGRAM = """연구사업 수행

고양특례시 시정 전반에 대한 전문적이고 체계적인 조사연구를 통하여 정책대안을 제시함으로써 고양시 발전에 기여

사업개요

○ 연구사업 진행 프로세스

① 연구주제 발굴\t고양시·고양시의회, 고양시민, 유관기관의 외부의뢰\t· 정기·수시 수요조사 · 자체발굴
② 연구과제 선정(심의)\t연구과제 선정심의를 통하여 현안 및 현장 중심의 실용적 연구과제 선정\t· 브레인스토밍

◆ 기대효과

- 현안 · 현장 중심의 연구수행을 통하여 고양특례시의 발전을 선도하는 실용적 정책개발

연락처 | 부장: 윤신희 ☎ 8073-8365 | 팀장: 백주현 ☎ 8073-8375 | 담당: 김유진 ☎ 8073-8312

연구성과 공유 및 확산 | [학술행사]

고양시정 핵심현안과 연구성과에 대한 인지도 높은 학술행사 개최를 통해 연구성과 공유 및 정책대안 제시

사업개요
"""


def test_program_title_generic_subsections_and_closing_contact():
    _, blocks = parse(GOYANG_PROGRAM)
    headings = [(b.level, b.title) for b in blocks if b.kind is BlockKind.HEADING]
    assert headings == [
        (1, "연구사업 수행"),
        (2, "사업개요"),
        (3, "연구사업 진행 프로세스"),
        (2, "기대효과"),
        (1, "연구성과 공유 및 확산 | [학술행사]"),
        (2, "사업개요"),
    ]
    contact = next(b for b in blocks if b.kind is BlockKind.CONTACT)
    assert contact.text.startswith("연락처 | 부장: 윤신희") and contact.text.endswith("8073-8312")
    table = next(b for b in blocks if b.kind is BlockKind.TABLE)
    assert table.header == []  # long cells: the first row is data, not column names
    assert [r.cells[0] for r in table.rows] == ["① 연구주제 발굴", "② 연구과제 선정(심의)"]


PLEDGE_PAGES = (
    "구 분\t추진실적 및 추진계획\t비 고\n"
    "<p><b>그동안 추진실적 (2018. ~ 2021.6.)</b></p>\t<ul> <li>○ 자문위원회 1차 회의 개최(2019. 6. 5.)</li></ul>\t\n"
    "\n"
    "구 분\t추진실적 및 추진계획\t비 고\n"
    "\t<ul> <li>○ 고양시 주민참여위원회 위원 공개모집 <ul> <li>- 모집인원: 38명</li> </ul> </li> </ul>\t\n"
)


def test_repeated_header_on_a_new_page_continues_the_table():
    normalized, blocks = parse(PLEDGE_PAGES)
    tables = [b for b in blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == 1
    table = tables[0]
    assert table.header == ["구 분", "추진실적 및 추진계획", "비 고"]
    data = [r for r in table.rows if not r.repeated_header]
    assert [r.cells[0] for r in data] == ["구 분", "그동안 추진실적 (2018. ~ 2021.6.)", ""]
    assert sum(r.repeated_header for r in table.rows) == 1
    assert data[2].cells[1] == "○ 고양시 주민참여위원회 위원 공개모집\n- 모집인원: 38명"
    assert "<ul>" not in normalized and "<b>" not in normalized


PAJU_CONTACT_TABLE = (
    "### ○ 시정을 기록하는 것에서 나아가 홍보·교육 자료로 활용\n\n"
    "- (시정 홍보) 시민 눈높이에 맞는 정책 설명\n\n"
    "주 관 부 서\t미래전략관\t과\t장\t이 성 호\t☎ 940 - 4230\t\n"
    "\t\t팀\t장\t이 창 훈 정지선\t☎ 940 - 4058 ☎ 940 - 2958\t\n"
    "주 무 관\t\t주\t무\t이 은 지 방 성 국 민 정 원\t☎ 940 - 4053 ☎ 940 - 2956 ☎ 940 - 2953\t\n"
    "\t\t무\t관\t\t\t\n"
    "\n"
    "## ▣ 혁신동아리 운영\n"
)


def test_column_wise_contact_table_is_one_contact_block_with_its_fragments():
    _, blocks = parse(PAJU_CONTACT_TABLE)
    assert kinds(blocks) == [BlockKind.HEADING, BlockKind.LIST_ITEM, BlockKind.CONTACT, BlockKind.HEADING]
    contact = blocks[2]
    assert len(contact.rows) == 4 and contact.rows[-1].cells == ["", "", "무", "관"]
    assert blocks[0].level == 1 and blocks[0].title == "시정을 기록하는 것에서 나아가 홍보·교육 자료로 활용"
    assert blocks[3].title == "혁신동아리 운영"


def test_contact_continuation_lines_and_vacancies_stay_in_one_block():
    _, blocks = parse("◆ 기대효과\n\n- 효율적 운영\n\n연락처 공석\n\n담당: 김리영 ☎ 8073-8374\n\n공석\n\n경제자유구역센터 운영\n")
    contact = [b for b in blocks if b.kind is BlockKind.CONTACT]
    assert len(contact) == 1 and contact[0].text == "연락처 공석\n\n담당: 김리영 ☎ 8073-8374\n\n공석"
    assert blocks[-1].kind is BlockKind.HEADING and blocks[-1].title == "경제자유구역센터 운영"


DAEJEON_OUTLINE = """순서

I . 일반현황\t3
1. 설립목적 및 주요업무\t3
III . 부서별 주요업무계획\t13
1. 기획조정실\t13
2. 경제사회연구실\t25

Ⅲ 부서별 주요업무계획

1 기획조정실

1 2023년 주요성과

□ 도시정보 아카이브 시스템 고도화

- 아카이브 시스템 개선

2 2024년 여건분석 및 추진 방향

3 2024년 연구사업 및 주요 업무수행 계획

1 기획평가팀

□ 연구성과 관리체계 강화

2 경제사회연구실

1 2023년 주요성과

② 2024년 여건분석 및 추진 방향

□ 대외 환경

- 지방시대 도래
"""


def test_numbered_outline_nests_by_counters_and_table_of_contents():
    _, blocks = parse(DAEJEON_OUTLINE)
    headings = {}
    for block in blocks:
        if block.kind is BlockKind.HEADING:
            headings.setdefault(block.title, block)  # titles repeat per department: keep the first
    assert headings["기획조정실"].path == ("부서별 주요업무계획", "기획조정실")
    assert headings["2024년 여건분석 및 추진 방향"].path[:2] == ("부서별 주요업무계획", "기획조정실")
    assert headings["기획평가팀"].path == (
        "부서별 주요업무계획", "기획조정실", "2024년 연구사업 및 주요 업무수행 계획", "기획평가팀")
    # the table of contents pins 경제사회연구실 beside 기획조정실, not under 기획평가팀
    assert headings["경제사회연구실"].path == ("부서별 주요업무계획", "경제사회연구실")
    last = blocks[-1]
    assert last.path == ("부서별 주요업무계획", "경제사회연구실", "2024년 여건분석 및 추진 방향", "대외 환경")


def test_markdown_headings_and_bold_markers():
    normalized, blocks = parse("## I 민선8기 1년 주요성과\n\n#### ○ 우수 제안 시정 반영 **정책반영 52건**\n")
    assert [(b.level, b.title) for b in blocks] == [(1, "민선8기 1년 주요성과"), (2, "우수 제안 시정 반영 정책반영 52건")]
    assert "**" not in normalized and "##" not in normalized


def test_pledge_code_row_is_a_title_and_contact_row_a_contact():
    _, blocks = parse(
        "2-1-2\t<b>주민참여를 기반으로 하는 민관협치 추진</b>\t\t\t\t\n"
        "소관부서\t주민자치과\t과장 장장 담당자\t한창익 이해원 김윤경\t연락처\t8075-2440 8075-2441 8075-2445\n"
    )
    assert kinds(blocks) == [BlockKind.HEADING, BlockKind.CONTACT]
    assert blocks[0].title == "주민참여를 기반으로 하는 민관협치 추진"
    assert blocks[1].path == ("주민참여를 기반으로 하는 민관협치 추진",)
