"""The UI's HTML and rows: untrusted text stays text; sections and dates as the tabs show them."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from assistant.answering.models import AnswerResponse, Citation, Evidence
from assistant.service import QuestionError, check_question
from assistant.ui import render, views

HOSTILE = ('<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3)) ![](http://x/y.png) '
           "**bold** `code` $x^2$ {{value}} ${alert(4)} &amp; <!-- c --> \\ | ~ _ line\nnext\r\nlast\rend")

LINES = HOSTILE.replace("\r\n", "\n").replace("\r", "\n")  # what a reader sees: every line break kept


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, list]] = []
        self.text: list[str] = []
        self.open: list[str] = []  # the elements the parser is inside
        self.inside: dict[str, list[str]] = {}  # tag -> the text of each of its elements

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, attrs))
        if tag == "br":
            self.handle_data("\n")
            return
        self.open.append(tag)
        self.inside.setdefault(tag, []).append("")

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (tag, self.open)
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)
        for tag in set(self.open):
            self.inside[tag][-1] += data


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
    parsed = parse(message)
    text = "".join(parsed.text)
    assert "답 · 표 칸 [1]" in text and "[1] 문서 · 절" in text and "인용" in text
    assert "하이브리드 검색 · 1.23초" in text
    assert message.startswith('<div class="answer-text"><strong>')  # the answer first, in bold
    assert parsed.inside["strong"] == ["답 · 표 칸 [1]"]
    assert "mark" not in parsed.tags and ("details", [("class", "citation")]) in parsed.attrs  # no evidence: closed
    streamed = parse(render.response_html(response, "hybrid", "답"))
    assert "details" not in streamed.tags and streamed.inside["strong"] == ["답"]  # sources come with the whole answer


# a quote as the index gives it: document text at an offset, with markup and Markdown of its own around the evidence
QUOTE_START = 1000
QUOTE = "직원 현황\n구분\t계\t원장\n정원\t72\t1\n현원\t68\t1\n<b>주</b>: [각주](javascript:x)"


def evidence_of(text: str, n: int = 1, doc: str = "d", quote: str = QUOTE, start: int = QUOTE_START) -> Evidence:
    at = quote.index(text) + start
    return Evidence(n=n, doc=doc, start=at, end=at + len(text), text=text)


def cite(n: int = 1, doc: str = "d", text: str = QUOTE, start: int = QUOTE_START) -> Citation:
    return Citation(n=n, doc=doc, title="대전세종연구원", section="대전세종연구원 > 직원 현황", text=text, score=1.0,
                    start=start, end=start + len(text))


def test_the_mark_wraps_exactly_the_evidence_text():
    evidence = [evidence_of("정원\t72\t1"), evidence_of("현원\t68\t1")]
    parsed = parse(render.citation_html(cite(), evidence))
    assert parsed.inside["mark"] == ["정원\t72\t1", "현원\t68\t1"]
    assert parsed.tags.count("mark") == 2
    assert "".join(parsed.inside["div"]) == QUOTE  # the quote itself is whole, verbatim, in order
    # only this citation's evidence: another number or another document marks nothing here
    others = [evidence_of("정원\t72\t1", n=2), evidence_of("현원\t68\t1", doc="other")]
    assert "mark" not in parse(render.citation_html(cite(), others)).tags


def test_overlapping_evidence_is_marked_once():
    evidence = [evidence_of("정원\t72"), evidence_of("72\t1\n현원"), evidence_of("정원\t72")]
    assert parse(render.citation_html(cite(), evidence)).inside["mark"] == ["정원\t72\t1\n현원"]


@pytest.mark.parametrize("evidence", [
    Evidence(n=1, doc="d", start=QUOTE_START - 3, end=QUOTE_START + 2, text="xx직원"),  # begins before the quote
    Evidence(n=1, doc="d", start=QUOTE_START + len(QUOTE) - 2, end=QUOTE_START + len(QUOTE) + 3,
             text="x)abc"),  # ends after it
    Evidence(n=1, doc="d", start=QUOTE_START + 5000, end=QUOTE_START + 5004, text="정원\t72"),  # far outside
    Evidence(n=1, doc="d", start=QUOTE_START, end=QUOTE_START + 2, text="정원"),  # in range, but not that text
    Evidence(n=1, doc="d", start=QUOTE_START + 3, end=QUOTE_START + 3, text=""),  # empty
    Evidence(n=1, doc="d", start=QUOTE_START + 8, end=QUOTE_START + 3, text=""),  # reversed
])
def test_evidence_that_is_not_in_the_quote_is_ignored(evidence):
    citation = cite()
    assert render.evidence_spans(citation, [evidence]) == []
    parsed = parse(render.citation_html(citation, [evidence]))
    assert "mark" not in parsed.tags and "".join(parsed.inside["div"]) == QUOTE
    response = AnswerResponse(answer="정원 72명 [1]", citations=[citation], evidence=[evidence])
    assert "<details class=\"citation\" open>" not in render.response_html(response, "hybrid")


def test_hostile_text_inside_and_around_the_mark_stays_inert():
    inside = '<script>alert(1)</script> [x](javascript:alert(3)) {{v}} ${alert(4)} $x^2$ &amp; *굵게*'
    quote = f"{HOSTILE}\n{inside}\n{HOSTILE}"
    after = quote.rindex("**bold** `code`")  # a second mark, in the hostile text after the first one
    evidence = [evidence_of(inside, quote=quote, start=7),
                Evidence(n=1, doc="d", start=7 + after, end=7 + after + 15, text="**bold** `code`")]
    markup = render.citation_html(cite(text=quote, start=7), evidence)
    parsed = parse(markup)
    assert set(parsed.tags) == {"details", "summary", "div", "br", "mark"}
    assert parsed.inside["mark"] == [inside, "**bold** `code`"]
    assert "".join(parsed.inside["div"]) == quote.replace("\r\n", "\n").replace("\r", "\n")
    # in the quote, outside the tags this module writes, nothing a Markdown, LaTeX or template layer acts on is left
    shown = markup[markup.index('<div class="quote">'):]
    bare = re.sub(r"</?(?:details|div|mark)\b[^>]*>|<br>", "", shown)
    for character in "<>[]()!`*_$\\{}|~:":
        assert character not in bare


def test_a_crlf_cut_by_the_evidence_stays_one_line_break():
    quote = "앞줄\r\n담당 김은영\r\n뒷줄"
    evidence = [Evidence(n=1, doc="d", start=3, end=11, text="\n담당 김은영\r")]
    parsed = parse(render.citation_html(cite(text=quote, start=0), evidence))
    assert "".join(parsed.inside["div"]) == "앞줄\n담당 김은영\n뒷줄"
    assert parsed.inside["mark"] == ["\n담당 김은영"]  # the line break after it is the following text's


def test_only_the_first_citation_opens_and_only_with_its_evidence():
    first, second = cite(1), cite(2, text="정원\t72", start=50)
    both = [evidence_of("정원\t72\t1"), Evidence(n=2, doc="d", start=50, end=55, text="정원\t72")]
    message = render.response_html(AnswerResponse(answer="정원 72명 [1][2]", citations=[first, second],
                                                  evidence=both), "hybrid")
    opened = [tag for tag, attrs in parse(message).attrs if tag == "details" and ("open", None) in attrs]
    assert len(opened) == 1 and message.count("<details") == 2
    assert message.index("<details class=\"citation\" open><summary>[1]") < message.index("[2]")
    assert parse(message).inside["mark"] == ["정원\t72\t1", "정원\t72"]  # the closed one is marked too
    # the first has no evidence: none opens by itself
    message = render.response_html(AnswerResponse(answer="정원 72명 [2]", citations=[first, second],
                                                  evidence=both[1:]), "hybrid")
    assert " open>" not in message and parse(message).inside["mark"] == ["정원\t72"]


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


def test_upcoming_items_count_days_and_leave_out_month_long_entries():
    import datetime

    from assistant.facts.schedules import ScheduleRecord

    def item(start, end, precision="day", what="설명회"):
        return ScheduleRecord(what=what, when=start, start_date=start, end_date=end, precision=precision, iso=start,
                              year_inferred=False, doc_id="d", doc_title="<b>문서</b>", chunk_id="c", section="s",
                              source_text=what, start=0, end=1)

    today = datetime.date(2024, 3, 1)
    records = [item("2024-03-04", "2024-03-04"), item("2024-03-01", "2024-03-01", what="오늘"),
               item("2024-02-20", "2024-03-10", what="접수 중"), item("2024-03-01", "2024-03-31", "month", "3월"),
               item("2024-04-15", "2024-04-15", what="먼 일정"), item("2024-02-01", "2024-02-28", what="지난 일정")]
    found = views.upcoming(records, today)
    assert [(i.label, i.record.what) for i in found] == [("D-day", "오늘"), ("진행 중 (~03-10)", "접수 중"),
                                                       ("D-3", "설명회")]
    page = render.upcoming_html(found, today, 30)
    assert "<b>" not in page and "&lt;b&gt;" in page
    assert views.feed_link(" 연구 ", "2024-03-01", "") == "v1/schedules.ics?q=%EC%97%B0%EA%B5%AC&from=2024-03-01"
    assert views.feed_link(None, None, None, "csv") == "v1/schedules.csv"
    assert 'href="v1/schedules.ics?q=a&amp;from=b"' in render.feed_links_html("v1/schedules.ics?q=a&from=b", "x")
