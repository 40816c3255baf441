"""The web UI in a real browser (Debian's Chromium driven by Playwright) against real server processes."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import httpx
import pytest
from conftest import CHROMIUM, ROOT, TIMEOUT_MS, running_server
from ui.chat_page import ask_in_page

from assistant.answering.sessions import CLARIFY
from assistant.facts.query import find_contacts, find_schedules
from assistant.index import IndexStore
from assistant.service import MAX_QUESTION_CHARS

ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (/usr/bin/chromium); `make system-deps`")


def qa_item(item_id: str) -> dict:
    for line in (ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["id"] == item_id:
            return item
    raise LookupError(item_id)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def open_ui(page, url: str) -> None:
    page.goto(f"{url}/")
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelector('#mode-line')?.innerText.includes('검색 방식')")


def open_quote(citation):
    """The quote of a ``details.citation`` locator, opened by a click unless it opened by itself."""
    quote = citation.locator(".quote")
    if citation.get_attribute("open") is None:
        assert not quote.is_visible()
        citation.locator("summary").click()
    assert quote.is_visible()
    return quote


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def cell_texts(page, table: str) -> list[list[str]]:
    """The rendered rows of a Dataframe (the ones in view: the grid is virtualized)."""
    return page.evaluate("""(table) => {
        const rows = {};
        for (const cell of document.querySelectorAll(`${table} [role=gridcell][data-row]`)) {
            (rows[cell.dataset.row] ??= [])[Number(cell.dataset.col)] = cell.innerText.trim();
        }
        return Object.keys(rows).sort((a, b) => a - b).map((k) => rows[k]);
    }""", table)


def search_table(page, query_box: str, button: str, query: str, count_box: str) -> None:
    page.fill(f"{query_box} textarea", query)
    page.click(button)
    page.wait_for_function("([box, q]) => document.querySelector(box)?.innerText.includes('검색어: ' + q)",
                           arg=[count_box, query])


def test_chat_answers_with_numbered_citations_that_open_to_their_quote(server_url, corpus_index, page):
    item = qa_item("gy-002")  # a contact question: name and phone
    documents = {d["doc_id"]: d for d in IndexStore(corpus_index).documents()}
    open_ui(page, server_url)
    assert "하이브리드" in page.inner_text("#mode-line")

    answer = ask_in_page(page, item["question"])
    text = answer.locator(".answer-text").inner_text()
    assert all(squash(key) in squash(text) for key in item["must_contain"]), text
    summary = answer.locator("details.citation summary").first
    assert summary.is_visible()
    assert summary.inner_text().startswith("[1]")
    assert documents[item["doc"]]["title"] in summary.inner_text()

    # opened by itself when the answer marks its evidence in it, else opened by a click
    quote = open_quote(answer.locator("details.citation").first)
    # the quote is the document's own text, not a paraphrase
    assert squash(quote.inner_text()) in squash(documents[item["doc"]]["text"])
    assert any(squash(key) in squash(quote.inner_text()) for key in item["must_contain"])

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui_chat.png"), full_page=True)


def test_the_short_answer_comes_first_in_bold_and_its_evidence_is_marked_in_the_opened_quote(server_url, page):
    item = qa_item("dj-b-020")  # who led a study: the name is in one row of a table
    expected = httpx.post(f"{server_url}/v1/ask", json={"question": item["question"]}, timeout=60).json()
    first = expected["citations"][0]
    supporting = [ev["text"] for ev in expected["evidence"] if ev["n"] == first["n"]]
    assert supporting, expected["evidence"]
    open_ui(page, server_url)

    answer = ask_in_page(page, item["question"])
    bold = answer.locator(".answer-text strong")
    assert bold.count() == 1 and bold.is_visible()
    assert int(bold.evaluate("(e) => getComputedStyle(e).fontWeight")) >= 600
    assert answer.locator(".answer-text").inner_text() == bold.inner_text()  # the whole answer, bold
    assert all(squash(key) in squash(bold.inner_text()) for key in item["must_contain"]), bold.inner_text()
    # the answer comes first: above the sources
    assert bold.bounding_box()["y"] < answer.locator("details.citation").first.bounding_box()["y"]

    citations = answer.locator("details.citation")
    assert citations.first.get_attribute("open") is not None  # the first source opened by itself
    assert all(citations.nth(i).get_attribute("open") is None for i in range(1, citations.count()))
    quote = citations.first.locator(".quote")
    assert quote.is_visible()
    marks = [squash(text) for text in quote.locator("mark").all_inner_texts()]
    assert marks and all(any(squash(text) in mark for mark in marks) for text in supporting), (marks, supporting)
    assert all(any(squash(key) in mark for mark in marks) for key in item["must_contain"]), marks
    # the marks are inside the verbatim quote: the quote reads as the document does, marks and all
    assert squash(quote.inner_text()) == squash(first["text"])
    marked = quote.locator("mark").first
    assert marked.evaluate("(e) => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"

    answer.evaluate("(e) => e.scrollIntoView({block: 'start'})")  # the answer at the top of the chat, then its source
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui_answer_highlight.png"), full_page=True)


def test_follow_ups_are_remembered_per_browser_session(server_url, browser, page):
    open_ui(page, server_url)
    first = ask_in_page(page, qa_item("gy-002")["question"])
    topic = first.locator("details.citation summary").first.inner_text()
    follow_up = ask_in_page(page, "그 사업 팀장은?")
    assert CLARIFY not in follow_up.inner_text()
    assert follow_up.locator("details.citation summary").first.inner_text() == topic

    other = browser.new_page(viewport={"width": 1280, "height": 1000})  # another visitor: no earlier topic
    try:
        other.set_default_timeout(TIMEOUT_MS)
        open_ui(other, server_url)
        assert CLARIFY in ask_in_page(other, "그 사업 팀장은?").inner_text()
    finally:
        other.close()

    page.click("#new-chat")  # a new conversation forgets the topic too
    page.wait_for_function("document.querySelectorAll('#chatbot [data-testid=bot]').length === 0")
    assert CLARIFY in ask_in_page(page, "그 사업 팀장은?").inner_text()


def test_an_example_question_is_asked_with_one_click(server_url, page):
    open_ui(page, server_url)
    button = page.locator(".example-row button").first
    question = button.inner_text().strip()
    button.click()
    page.wait_for_selector("#chatbot .answer-meta")
    assert page.locator("#chatbot [data-testid='user']").last.inner_text().strip() == question
    assert page.locator("#chatbot details.citation").count() >= 1


def test_empty_and_too_long_questions_get_a_clear_message(server_url, page):
    open_ui(page, server_url)
    page.fill("#question textarea", "   ")
    page.click("#send")
    page.wait_for_function("document.querySelector('#chat-notice')?.innerText.includes('질문을 입력해 주세요')")
    long_question = "가" * (MAX_QUESTION_CHARS + 1)
    page.fill("#question textarea", long_question)
    page.click("#send")
    page.wait_for_function("document.querySelector('#chat-notice')?.innerText.includes('너무 깁니다')")
    assert f"{MAX_QUESTION_CHARS:,}자" in page.inner_text("#chat-notice")
    assert page.locator("#chatbot [data-testid='user']").count() == 0  # nothing was sent
    assert page.input_value("#question textarea") == long_question  # kept, to be shortened


def test_contacts_tab_finds_a_contact_with_the_phone_as_written(server_url, corpus_index, page):
    item = qa_item("pj-001")  # a name written with spaces: '이 성 호', '940 - 4230'
    name, phone = item["must_contain"]
    expected = find_contacts(IndexStore(corpus_index).contacts(), name.replace(" ", ""))
    assert expected
    open_ui(page, server_url)
    open_tab(page, "연락처")
    search_table(page, "#contact-query", "#contact-search", name.replace(" ", ""), "#contact-count")
    assert page.inner_text("#contact-count").startswith(f"{len(expected)}건")
    rows = cell_texts(page, "#contact-table")
    matching = [row for row in rows if row[3] == name and row[4] == phone]
    assert matching, rows
    assert matching[0][5] == expected[0].doc_title

    page.locator("#contact-table [role=gridcell][data-row='0'][data-col='0']").click()
    page.wait_for_function("document.querySelector('#contact-source textarea')?.value.length > 0")
    assert expected[0].source_text in page.input_value("#contact-source textarea")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui_contacts.png"), full_page=True)


def test_schedules_tab_filters_by_dates_sorted_and_refuses_a_bad_date(server_url, corpus_index, page):
    records = IndexStore(corpus_index).schedules()
    low, high = datetime.date(2024, 3, 1), datetime.date(2024, 3, 31)
    expected = find_schedules(records, None, low, high)
    assert expected
    open_ui(page, server_url)
    open_tab(page, "일정")
    page.fill("#schedule-from textarea", "2024-13-01")
    page.click("#schedule-search")
    page.wait_for_function("document.querySelector('#schedule-count')?.innerText.includes('YYYY-MM-DD')")

    page.fill("#schedule-from textarea", low.isoformat())
    page.fill("#schedule-to textarea", high.isoformat())
    page.click("#schedule-search")
    page.wait_for_function(f"document.querySelector('#schedule-count')?.innerText.startsWith('{len(expected)}건')")
    rows = cell_texts(page, "#schedule-table")
    assert rows and [row[0] for row in rows] == [r.when for r in expected[:len(rows)]]
    starts = [row[1] for row in rows]
    assert starts == sorted(starts)
    assert all(row[2] >= low.isoformat() and row[1] <= high.isoformat() for row in rows)

    page.locator("#schedule-table [role=gridcell][data-row='0'][data-col='3']").click()
    page.wait_for_function("document.querySelector('#schedule-source textarea')?.value.length > 0")
    assert expected[0].source_text in page.input_value("#schedule-source textarea")


def test_documents_tab_lists_documents_and_opens_their_sections(server_url, corpus_index, page):
    store = IndexStore(corpus_index)
    documents = store.documents()
    open_ui(page, server_url)
    open_tab(page, "문서")
    page.wait_for_selector("#document-table [role=gridcell]")
    rows = cell_texts(page, "#document-table")
    assert sorted(row[4] for row in rows) == sorted(d["doc_id"] for d in documents)

    page.locator("#document-table [role=gridcell][data-row='1'][data-col='0']").click()
    section = page.locator("#document-sections details.doc-section").first
    section.wait_for()
    chosen = next(d for d in documents if d["doc_id"] == rows[1][4])
    assert chosen["title"] in page.inner_text("#document-sections h3")
    section.locator("summary").click()
    assert squash(section.locator(".quote").inner_text()) in squash(chosen["text"])


@pytest.fixture(scope="module")
def hostile_corpus(tmp_path_factory) -> Path:
    """One document whose text (decoded from entities, as the reader does for HTML in text files) is full of
    markup: tags, a Markdown link and image, LaTeX and template syntax. No manifest: the title is its heading."""
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    (corpus / "observatory.txt").write_text(
        "# 해오름 천문대 &lt;i&gt;운영&lt;/i&gt; 계획\n\n"
        "## 별빛 관측 교실 &lt;b onmouseover=\"window.__xss=6\"&gt;운영&lt;/b&gt;\n\n"
        "별빛 관측 교실은 해오름 천문대 옥상에서 열리는 야간 천체 관측 프로그램입니다.\n"
        "관측 장비 점검 메모: &lt;script&gt;window.__xss=1&lt;/script&gt; 이 줄은 문서에 적힌 그대로입니다.\n"
        "참가 안내 이미지: &lt;img src=x onerror=\"window.__xss=2\"&gt; 를 참고하세요.\n"
        "참가 신청 링크: [신청](javascript:window.__xss=3) 그리고 ![그림](x.png)\n"
        "템플릿 문자: {{value}} ${window.__xss=4} $x^2$\n"
        "연락처 | 담당: 김별빛 ☎ 8073-9999\n\n"
        "## 망원경 대여\n\n망원경 대여는 평일 오전에 신청할 수 있습니다.\n",
        encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def hostile_server(hostile_corpus, tmp_path_factory):
    from assistant.index import ingest
    from assistant.settings import Settings

    index_dir = tmp_path_factory.mktemp("hostile-index")
    report = ingest([hostile_corpus], Settings(index_dir=index_dir, corpus_dir=hostile_corpus), lexical_only=True)
    assert len(report.documents) == 1 and not report.skipped
    with running_server(index_dir, env={"ASSISTANT_CORPUS_DIR": str(hostile_corpus)}) as (url, _):
        yield url


PAYLOADS = ('<script>window.__xss=1</script>', '<img src=x onerror="window.__xss=2">',
            "[신청](javascript:window.__xss=3)", "![그림](x.png)", "{{value}}", "${window.__xss=4}", "$x^2$")


# a question about the program, and two whose answer is a line full of markup
HOSTILE_QUESTIONS = ("별빛 관측 교실은 어떤 프로그램이야?", "관측 장비 점검 메모에 뭐라고 적혀 있어?", "참가 신청 링크 알려줘")


def assert_inert(page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    injected = page.evaluate("""() => ({
        scripts: [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('__xss')).length,
        handlers: document.querySelectorAll('[onerror], [onmouseover]').length,
        images: document.querySelectorAll('img[src="x"], img[src="x.png"]').length,
        links: document.querySelectorAll('a[href^="javascript"]').length,
        italics: [...document.querySelectorAll('i, b')].filter((e) => e.textContent === '운영').length,
        katex: document.querySelectorAll('.katex').length,
    })""")
    assert injected == {"scripts": 0, "handlers": 0, "images": 0, "links": 0, "italics": 0, "katex": 0}


def test_document_markup_is_shown_as_text_never_run(hostile_server, page):
    open_ui(page, hostile_server)
    assert "어휘 검색" in page.inner_text("#mode-line")  # a lexical-only index
    marked: list[str] = []
    for question in HOSTILE_QUESTIONS:
        expected = httpx.post(f"{hostile_server}/v1/ask", json={"question": question}, timeout=60).json()
        answer = ask_in_page(page, question)
        # the answer in bold, as /v1/ask gives it: the document's markup in it is shown as text
        shown_answer = answer.locator(".answer-text strong").inner_text()
        assert squash(shown_answer) == squash(expected["answer"].replace("\t", " · ")), shown_answer
        citation = answer.locator("details.citation").first
        assert "해오름 천문대 <i>운영</i> 계획" in citation.locator("summary").inner_text()
        quote = open_quote(citation)
        shown = quote.inner_text()
        for payload in PAYLOADS:
            assert payload in shown
        # the marks are the evidence of the first source, verbatim, markup and all
        marks = quote.locator("mark").all_inner_texts()
        n = expected["citations"][0]["n"]
        evidence = sorted((e for e in expected["evidence"] if e["n"] == n), key=lambda e: e["start"])
        assert [squash(m) for m in marks] == [squash(e["text"]) for e in evidence]
        marked += marks
        assert_inert(page)
    assert any(payload in mark for mark in marked for payload in PAYLOADS), marked  # inside a mark too
    page.screenshot(path=str(ARTIFACTS / "ui_hostile_chat.png"), full_page=True)

    open_tab(page, "연락처")
    page.wait_for_selector("#contact-table [role=gridcell]")
    assert cell_texts(page, "#contact-table")[0][0] == "해오름 천문대 <i>운영</i> 계획"

    open_tab(page, "문서")
    page.wait_for_selector("#document-table [role=gridcell]")
    assert cell_texts(page, "#document-table")[0][0] == "해오름 천문대 <i>운영</i> 계획"
    page.locator("#document-table [role=gridcell][data-row='0'][data-col='0']").click()
    section = page.locator("#document-sections details.doc-section", has_text="별빛 관측 교실").first
    section.wait_for()
    assert '<b onmouseover="window.__xss=6">운영</b>' in section.locator("summary").inner_text()
    section.locator("summary").click()
    shown = section.locator(".quote").inner_text()
    for payload in PAYLOADS:
        assert payload in shown
    assert "해오름 천문대 <i>운영</i> 계획" in page.inner_text("#document-sections h3")
    assert_inert(page)
    page.screenshot(path=str(ARTIFACTS / "ui_hostile_documents.png"), full_page=True)


def test_schedules_tab_shows_the_next_30_days_and_links_the_feed_of_the_filter(corpus_index, page):
    today = datetime.date(2024, 3, 1)
    from assistant.ui import views

    expected = views.upcoming(IndexStore(corpus_index).schedules(), today)
    assert expected and any(item.label.startswith("D-") for item in expected)
    with running_server(corpus_index, env={"ASSISTANT_TODAY": today.isoformat(),
                                           "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0"}) as (url, _):
        open_ui(page, url)
        open_tab(page, "일정")
        page.wait_for_selector("#schedule-upcoming li")
        items = page.locator("#schedule-upcoming li").all_inner_texts()
        assert len(items) == min(len(expected), 20)
        for text, item in zip(items, expected):
            assert text.startswith(item.label) and item.record.start_date in text
        assert "2024-03-01부터 30일" in page.inner_text("#schedule-upcoming")

        page.fill("#schedule-query textarea", "연구")
        page.fill("#schedule-from textarea", "2024-03-01")
        page.click("#schedule-search")
        page.wait_for_function("document.querySelector('#schedule-ics')?.getAttribute('href').includes('q=')")
        href = page.get_attribute("#schedule-ics", "href")
        assert href == "v1/schedules.ics?q=%EC%97%B0%EA%B5%AC&from=2024-03-01"
        feed = httpx.get(f"{url}/{href}", timeout=60)
        assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")
        shown = page.inner_text("#schedule-count")
        assert shown.startswith(f"{feed.text.count('BEGIN:VEVENT')}건")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ui_schedules_upcoming.png"), full_page=True)
