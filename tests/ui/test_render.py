"""The UI's HTML and rows: untrusted text stays text; sections and dates as the tabs show them."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from assistant.answering.models import AnswerResponse, Citation
from assistant.service import QuestionError, check_question
from assistant.ui import render, views

HOSTILE = ('<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3)) ![](http://x/y.png) '
           "**bold** `code` $x^2$ {{value}} ${alert(4)} &amp; <!-- c --> \\ | ~ _ line\nnext\r\nlast\rend")

LINES = HOSTILE.replace("\r\n", "\n").replace("\r", "\n")  # what a reader sees: every line break kept


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "br":
            self.text.append("\n")

    def handle_data(self, data):
        self.text.append(data)


def parse(markup: str) -> Tags:
    parser = Tags()
    parser.feed(markup)
    parser.close()
    return parser


def test_inert_text_makes_no_markup_and_shows_every_character():
    markup = render.inert(HOSTILE)
    parsed = parse(markup)
    assert set(parsed.tags) <= {"br"}
    assert "".join(parsed.text) == LINES
    # nothing a Markdown, LaTeX or template layer would act on is left as a literal character
    for character in "<>[]()!`*_$\\{}|~:":
        assert character not in markup.replace("<br>", "")


def test_a_citation_opens_to_its_quote_and_escapes_title_section_and_quote():
    citation = Citation(n=2, doc="d", title="제목 <b>굵게</b>", section="제목 <b>굵게</b> > 절 [1](javascript:x)",
                        text=HOSTILE, score=1.0)
    markup = render.citation_html(citation)
    parsed = parse(markup)
    assert parsed.tags == ["details", "summary", "div", *["br"] * LINES.count("\n")]
    text = "".join(parsed.text)
    # the document's own title heading is not repeated after the title
    assert text.startswith("[2] 제목 <b>굵게</b> · 절 [1](javascript:x)")
    assert text.endswith(LINES)


def test_the_answer_message_has_the_answer_sources_and_a_closing_line():
    citation = Citation(n=1, doc="d", title="문서", section="절", text="인용", score=1.0)
    response = AnswerResponse(answer="답\t표 칸 [1]", citations=[citation], timing_ms={"total": 1234.0})
    message = render.response_html(response, "hybrid")
    text = "".join(parse(message).text)
    assert "답 · 표 칸 [1]" in text and "[1] 문서 · 절" in text and "인용" in text
    assert "하이브리드 검색 · 1.23초" in text
    assert "details" not in render.response_html(response, "hybrid", "답")  # sources come with the whole answer


def test_the_mode_line_says_which_retrieval_answers():
    assert "하이브리드" in render.mode_markdown("hybrid", 5, 483)
    assert "임베딩을 만드는 중" in render.mode_markdown("lexical", 5, 483, building=True, embedded=120)
    assert "임베딩이 없습니다" in render.mode_markdown("lexical", 5, 483)


@pytest.mark.parametrize(("text", "problem"), [("", "입력해"), ("   ", "입력해"), ("가" * 1001, "1,001자")])
def test_question_problems_are_told_in_korean(text, problem):
    with pytest.raises(QuestionError) as caught:
        check_question(text)
    assert problem in caught.value.user_message
    assert check_question("가" * 1000)


@pytest.mark.parametrize("text", ["2024-13-01", "2024-02-30", "2024/03/01", "20240301", "내일", "2024-3-1"])
def test_a_bad_date_is_refused_with_a_message_naming_it(text):
    with pytest.raises(views.DateInputError, match="YYYY-MM-DD") as caught:
        views.schedule_rows([], None, text, None)
    assert text in str(caught.value) and "시작일" in str(caught.value)


def test_a_range_that_ends_before_it_starts_is_refused():
    with pytest.raises(views.DateInputError, match="늦습니다"):
        views.schedule_rows([], None, "2024-05-01", "2024-04-01")


def test_document_sections_cover_every_chunk_in_reading_order(corpus_documents, corpus_chunks):
    for doc_id, chunks in corpus_chunks.items():
        text = corpus_documents[doc_id].text
        sections = views.document_sections(text, chunks)
        names = [name for name, _ in sections]
        assert len(names) == len(set(names)) == len({c.section for c in chunks})
        by_name = dict(sections)
        for chunk in chunks:
            assert chunk.quote.strip() in by_name[chunk.section]
        first_seen = {}
        for chunk in sorted(chunks, key=lambda c: c.start):
            first_seen.setdefault(chunk.section, len(first_seen))
        assert names == sorted(names, key=first_seen.get)
        for _, body in sections:
            for piece in body.split("\n…\n"):
                assert piece in text


def test_sections_html_escapes_names_and_texts():
    markup = render.sections_html("<i>문서</i>", "기관 · 2024", [("<b>절</b>", "<script>x</script>"), ("", "머리")])
    parsed = parse(markup)
    assert "script" not in parsed.tags and "b" not in parsed.tags and "i" not in parsed.tags
    text = "".join(parsed.text)
    assert "<i>문서</i>" in text and "<b>절</b>" in text and "<script>x</script>" in text and "(머리말)" in text


def test_html_escape_round_trip_of_a_quote():
    quote = "☎ 8073-8344\t담당: 노관령 <연락처> & \"따옴표\""
    assert html.unescape(render.inert(quote)) == quote
