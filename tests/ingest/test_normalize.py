import pytest

from assistant.ingest import UnreadableDocument
from assistant.ingest.normalize import (
    clean_line,
    decode_text,
    has_html,
    html_to_lines,
    join_spaced,
)

# a cell of the Goyang pledge document (004), as converted
PLEDGE_CELL = (
    '<ul style="list-style-type: none"> <li>○ 고양시 주민참여위원회 위원 공개모집 '
    '<ul style="list-style-type: none"> <li>- 모집기간: 2020. 11. 11. ~ 11. 30.</li> '
    "<li>- 모집인원: 38명(임기: 위촉일로부터 2년)</li> </ul> </li> "
    "<li>- 시민참여 확대를 위한 &lt;온라인 공개모집창구&gt; 운영(2019. 4. 29./11개 위원회 등록)</li></ul>"
)


def test_html_cell_becomes_lines_with_entities_decoded():
    assert html_to_lines(PLEDGE_CELL) == [
        "○ 고양시 주민참여위원회 위원 공개모집",
        "- 모집기간: 2020. 11. 11. ~ 11. 30.",
        "- 모집인원: 38명(임기: 위촉일로부터 2년)",
        "- 시민참여 확대를 위한 <온라인 공개모집창구> 운영(2019. 4. 29./11개 위원회 등록)",
    ]


def test_inline_markup_melts_into_the_text():
    assert html_to_lines('<p style="text-align: center;"><b>2022년 상반기 추진계획 (향후 추진 계획)</b></p>') == [
        "2022년 상반기 추진계획 (향후 추진 계획)"
    ]
    assert html_to_lines("(과업규모) 2km<sup>2</sup> / 198백만원") == ["(과업규모) 2km2 / 198백만원"]


def test_scripts_are_dropped_and_nested_tables_become_rows():
    lines = html_to_lines("<p>앞<script>alert(1)</script></p><table><tr><td>구분</td><td>내용</td></tr></table>")
    assert lines == ["앞", "구분 | 내용"]


def test_text_that_only_looks_like_markup_is_not_html():
    assert not has_html("<출처 : 2020년 고양도시관리공사 경영혁신 설문조사 결과>")
    assert not has_html("< 2023년 주요 협업사례 >")
    assert has_html("<b>시민만족도 조사</b>")


@pytest.mark.parametrize(
    ("written", "joined"),
    [
        ("과 장\t이 성 호\t☎ 940 - 4230", "과장\t이성호\t☎ 940-4230"),
        ("일 반 현 황", "일반현황"),
        ("담당: 정 혁 ☎ 8073-8317", "담당: 정혁 ☎ 8073-8317"),
        ("☎ 940 - 4058 ☎ 940 - 2958", "☎ 940-4058 ☎ 940-2958"),
        ("국가균형발전 및 동반성장 정책 발굴", "국가균형발전 및 동반성장 정책 발굴"),
    ],
)
def test_spaced_names_and_numbers_are_joined_for_search(written, joined):
    assert join_spaced(written) == joined


def test_contact_mode_separates_three_names_and_joins_split_names():
    assert join_spaced("이 은 지 방 성 국 민 정 원", names=True) == "이은지 방성국 민정원"
    assert join_spaced("팀 장\t이 선주", names=True) == "팀장\t이선주"
    assert join_spaced("이 사업은", names=False) == "이 사업은"


def test_decoding_refuses_binary_and_empty_and_reads_cp949():
    with pytest.raises(UnreadableDocument, match="binary"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UnreadableDocument, match="empty"):
        decode_text(b"  \n ")
    assert decode_text("연락처 ☎ 8073-8365".encode("cp949", errors="ignore")).startswith("연락처")
    assert decode_text("\ufeff고양시".encode("utf-8")) == "고양시"


def test_clean_line_removes_invisible_characters():
    assert clean_line("고양\u200b시\u00a0정연구원  ") == "고양시 정연구원"
