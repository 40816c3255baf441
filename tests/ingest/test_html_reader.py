from assistant.ingest import BlockKind, load_document
from assistant.ingest.elements import Heading, Line, ListItem, TableElement
from assistant.ingest.readers import html

PAGE = """<!doctype html>
<html><head><title>무시되는 제목</title><style>p { color: red }</style>
<script>document.write("스크립트 본문")</script></head>
<body>
<h1>대전도시재생지원센터</h1>
<h2>□ 도시재생자문단</h2>
<p>대전지역의 지속 가능한 도시재생사업 추진과 효율적인 관리 도모.<br>전문가 협업으로 지원 체계 구축</p>
<ul><li>○ 추진 계획<ul><li>- '24. 1.~2. : 전문가 자문단 모집 및 구축(30명)</li></ul></li></ul>
<table><tr><th>구분</th><th>일정</th></tr><tr><td>자문 실시</td><td>'24. 3.~11.</td></tr></table>
<p>&lt;script&gt;alert(1)&lt;/script&gt; 는 본문의 글자일 뿐</p>
<p><img src="x" onerror="alert(2)">연락처 | 담당: 김유진 ☎ 8073-8312</p>
</body></html>"""


def test_html_elements_in_order_without_scripts():
    elements = html.read(PAGE.encode("utf-8"))
    assert elements[:4] == [
        Heading("대전도시재생지원센터", 1),
        Heading("□ 도시재생자문단", 2),
        Line("대전지역의 지속 가능한 도시재생사업 추진과 효율적인 관리 도모."),
        Line("전문가 협업으로 지원 체계 구축"),
    ]
    assert ListItem("○ 추진 계획", 0) in elements
    assert ListItem("- '24. 1.~2. : 전문가 자문단 모집 및 구축(30명)", 1) in elements
    assert TableElement([["구분", "일정"], ["자문 실시", "'24. 3.~11."]]) in elements
    text = "\n".join(getattr(e, "text", "") for e in elements)
    assert "스크립트 본문" not in text and "color: red" not in text and "무시되는 제목" not in text


def test_html_document_keeps_escaped_markup_as_literal_text(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    doc = load_document(path)
    assert "<script>alert(1)</script> 는 본문의 글자일 뿐" in doc.text  # text, to be escaped by any UI
    assert "onerror" not in doc.text and "alert(2)" not in doc.text
    assert doc.title == "대전도시재생지원센터"
    kinds = [b.kind for b in doc.blocks]
    assert BlockKind.TABLE in kinds and BlockKind.CONTACT in kinds
