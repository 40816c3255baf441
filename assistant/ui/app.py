"""The Gradio Blocks: 채팅, 연락처, 일정, 문서, 관리.

Callbacks read the assistant through ``get_assistant`` on every call: the server swaps it (or its
index) when a rebuild finishes, and the UI must answer from the current one.

The 관리 tab adds and deletes documents behind ASSISTANT_ADMIN_TOKEN. Every one of its callbacks checks the token
typed into its password box against the setting (``secrets.compare_digest``) before it shows or does anything.
The file goes from the browser straight to ``POST /v1/documents`` with the token as its bearer header, so the
server checks the token before it reads a byte of the file, and Gradio's own upload route stays closed
(ASSISTANT_UI_UPLOADS): an anonymous visitor can store nothing on the server.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import TypeVar

import gradio as gr

from assistant.api.routers.documents import ChangeError, delete_document
from assistant.facts.query import find_contacts
from assistant.index.background import BackgroundIngest
from assistant.ingest import load as loaders
from assistant.ingest.manifest import ManifestError, read_manifest
from assistant.service import Assistant, QuestionError, check_question
from assistant.ui import render, views

log = logging.getLogger("assistant.ui")
T = TypeVar("T")

# from eval/qa.jsonl: a contact, a schedule, a program question and a follow-up that refers back to the first
EXAMPLE_QUESTIONS = (
    "고양시정연구원 학술행사 담당자 번호 알려줘",
    "빛마루 청사 임대 계약 언제까지임?",
    "미래전략데이터센터는 어떤 자료를 내놓나요?",
    "파주시 미래전략관에서 시정백서 만드는 거 과장님이 누구세요? 전화번호도요",
)
FOLLOW_UP_EXAMPLE = "그 사업 팀장은?"
MODE_REFRESH_SECONDS = 15
ADMIN_REFRESH_SECONDS = 2  # the admin tab follows a build it started
STREAM_PIECES = 24  # the answer appears in about this many steps
STREAM_PAUSE = 0.012  # seconds between steps: long enough for the browser to paint each one
SEARCHING = '<div class="answer-text searching">문서에서 찾는 중…</div>'
FAILED = "답변을 만드는 중 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."

CSS = """
.gradio-container { max-width: 1180px !important; width: 100% !important; margin: 0 auto !important; }
.table-wrap, .table-wrap * { font-family: var(--font) !important; }
#app-title h1 { margin-bottom: 0; }
#mode-line { font-size: 0.92em; color: var(--body-text-color-subdued); }
#chat-notice p { color: var(--error-text-color); font-weight: 600; margin: 0; }
#chatbot .answer-text { line-height: 1.6; }
#chatbot .answer-text strong { font-weight: 700; }
#chatbot .answer-meta { margin-top: 8px; font-size: 0.8em; color: var(--body-text-color-subdued); }
#chatbot .searching { color: var(--body-text-color-subdued); font-style: italic; }
#chatbot .citations-label { margin-top: 10px; font-size: 0.85em; font-weight: 600;
  color: var(--body-text-color-subdued); }
details.citation, details.doc-section { border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: 4px 10px; margin: 4px 0; background: var(--background-fill-secondary); }
details.citation summary, details.doc-section summary { cursor: pointer; font-size: 0.9em; font-weight: 600; }
details .quote { white-space: pre-wrap; tab-size: 4; font-size: 0.88em; margin: 6px 0 2px 0;
  padding-left: 8px; border-left: 3px solid var(--border-color-accent); }
details .quote mark { background: #ffe88a; color: #1f2328; border-radius: 2px; padding: 0 1px; }
.suggestions { margin-top: 8px; font-size: 0.9em; }
.example-row button { white-space: normal !important; justify-content: flex-start !important; text-align: left; }
.doc-meta { color: var(--body-text-color-subdued); font-size: 0.9em; }
.upcoming { list-style: none; padding-left: 0; margin: 0.3em 0 1em; }
.upcoming li { margin: 0.25em 0; }
.dday { display: inline-block; min-width: 4.5em; color: var(--color-accent); }
#admin-file-input { padding: 10px 0; font-size: 0.95em; }
#admin-build p, #document-build p { margin: 0; }
"""

# The admin tab's upload, run in the browser: the file goes to POST /v1/documents with the token as bearer; the
# server's JSON answer becomes a plain-text line (a Textbox value: nothing in it is ever markup).
UPLOAD_JS = """
async (token, title, organization, year, docId) => {
  const input = document.querySelector('#admin-file-input');
  const file = input && input.files && input.files[0];
  if (!file) return '올릴 파일을 고르세요.';
  const form = new FormData();
  form.append('file', file, file.name);
  for (const [key, value] of [['title', title], ['organization', organization], ['year', year], ['doc_id', docId]]) {
    if (value && value.trim()) form.append(key, value.trim());
  }
  const root = ((window.gradio_config && window.gradio_config.root) || window.location.origin).replace(/\\/$/, '');
  let response;
  try {
    response = await fetch(root + '/v1/documents', {method: 'POST', body: form,
                                                     headers: {Authorization: 'Bearer ' + (token || '')}});
  } catch (error) {
    return '올리지 못했습니다: 서버에 닿지 않습니다 (' + error + ')';
  }
  let body = {};
  try { body = await response.json(); } catch (error) { body = {}; }
  if (response.status === 202) {
    input.value = '';
    return `올렸습니다: ${body.title} (ID ${body.doc_id}, 파일 ${body.file}, ${body.source_format}, 청크 ${body.chunks}개). `
      + '색인이 끝나면 답에 쓰입니다.';
  }
  const detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail ?? response.statusText);
  return `올리지 못했습니다 (${response.status}): ${detail}`;
}
"""
CONFIRM_DELETE_JS = """
(token, docId) => [token, docId && window.confirm('이 문서를 지울까요? ' + docId) ? docId : '']
"""


def build_ui(get_assistant: Callable[[], Assistant],
             get_builder: Callable[[], BackgroundIngest | None] = lambda: None) -> gr.Blocks:
    """``get_builder``: the background index build, if any, so the mode line can say a switch is coming."""
    mode = partial(_mode, get_assistant, get_builder)
    with gr.Blocks(title="계획 문서 도우미", analytics_enabled=False) as blocks:
        gr.Markdown("# 계획 문서 도우미\n색인된 공공기관 계획 문서에서 담당자와 연락처, 일정, 사업 내용을 찾아 "
                    "출처와 함께 답합니다.", elem_id="app-title")
        mode_line = gr.Markdown(elem_id="mode-line")
        with gr.Tabs():
            with gr.Tab("채팅", id="chat"):
                _chat_tab(get_assistant, mode, mode_line)
            with gr.Tab("연락처", id="contacts"):
                load_contacts = _contacts_tab(get_assistant)
            with gr.Tab("일정", id="schedules"):
                load_schedules = _schedules_tab(get_assistant)
            with gr.Tab("문서", id="documents"):
                load_documents = _documents_tab(get_assistant, get_builder)
            with gr.Tab("관리", id="admin"):
                _admin_tab(get_assistant, get_builder, mode, mode_line)
        blocks.load(mode, outputs=mode_line, show_progress="hidden", api_visibility="private")
        # a background build switches lexical to hybrid retrieval; the line follows without a reload
        mode_timer = gr.Timer(MODE_REFRESH_SECONDS)
        mode_timer.tick(mode, outputs=mode_line, show_progress="hidden", api_visibility="private")
        for loader in (load_contacts, load_schedules):
            loader(blocks)
        load_documents(blocks, mode_timer)
    return blocks


def _mode(get_assistant: Callable[[], Assistant], get_builder: Callable[[], BackgroundIngest | None]) -> str:
    index, builder = get_assistant().index, get_builder()
    building = builder is not None and builder.running
    return render.mode_markdown(index.retrieval_mode, len(index.documents), len(index.chunks), building,
                                builder.status.embedded if building else 0)


def _chat_tab(get_assistant: Callable[[], Assistant], mode: Callable[[], str], mode_line: gr.Markdown) -> None:
    session = gr.State(None)  # this browser tab's conversation id, made on its first question
    chatbot = gr.Chatbot(elem_id="chatbot", label="대화", show_label=False, height=560, latex_delimiters=[], sanitize_html=True,
                         feedback_options=None, buttons=["copy"], layout="panel",
                         placeholder="계획 문서에 대해 물어보세요. 답의 [1], [2]는 아래 출처 번호입니다.")
    with gr.Row(equal_height=True):
        question = gr.Textbox(elem_id="question", show_label=False, scale=8, max_lines=6, autofocus=True,
                              placeholder="질문을 입력하세요 (예: 학술행사 담당자 전화번호 알려줘)")
        send = gr.Button("보내기", variant="primary", scale=1, elem_id="send", min_width=90)
        clear = gr.Button("새 대화", variant="secondary", scale=1, elem_id="new-chat", min_width=90)
    notice = gr.Markdown(elem_id="chat-notice")
    gr.Markdown("**예시 질문** — 누르면 바로 물어봅니다. 이어지는 질문은 앞의 대화를 기억합니다.")
    with gr.Row(elem_classes="example-row"):
        examples = [gr.Button(q, size="sm", variant="secondary") for q in (*EXAMPLE_QUESTIONS, FOLLOW_UP_EXAMPLE)]

    respond = chat_responder(get_assistant, mode)
    outputs = [chatbot, question, notice, mode_line, session]
    for trigger in (question.submit, send.click):
        trigger(respond, [question, chatbot, session], outputs, api_visibility="private")
    for button in examples:
        button.click(respond, [button, chatbot, session], outputs, api_visibility="private")
    clear.click(lambda: ([], "", "", None), None, [chatbot, question, notice, session], api_visibility="private")
    # the chatbot's own trash button empties the history; the conversation it had is forgotten too
    chatbot.clear(lambda: ("", None), None, [notice, session], api_visibility="private")


def chat_responder(get_assistant: Callable[[], Assistant],
                   mode_line: Callable[[], str] | None = None) -> Callable[..., Iterator[tuple]]:
    """The chat callback: (question, history, session id) -> updates of (chatbot, question box, notice, mode line,
    session id), first the question with a searching note, then the answer growing, then answer and sources."""

    def respond(text: str, history: list[dict] | None, session_id: str | None) -> Iterator[tuple]:
        history = list(history or [])
        try:
            check_question(text)
        except QuestionError as exc:  # the question stays in the box to be fixed
            yield history, gr.skip(), exc.user_message, gr.skip(), session_id
            return
        session_id = session_id or f"ui-{uuid.uuid4().hex}"
        history.append({"role": "user", "content": render.user_html(text.strip())})
        yield [*history, {"role": "assistant", "content": SEARCHING}], "", "", gr.skip(), session_id
        assistant = get_assistant()
        try:
            response = assistant.ask(text, session_id=session_id)
        except Exception:  # noqa: BLE001 - the trace goes to the log, the user gets a sentence
            log.exception("the web chat could not answer %r", text[:200])
            yield [*history, {"role": "assistant", "content": render.answer_html(FAILED, strong=False)}], "", "", gr.skip(), session_id
            return
        mode = assistant.index.retrieval_mode
        for prefix in _pieces(response.answer):
            yield ([*history, {"role": "assistant", "content": render.response_html(response, mode, prefix)}],
                   gr.skip(), gr.skip(), gr.skip(), session_id)
            time.sleep(STREAM_PAUSE)
        history.append({"role": "assistant", "content": render.response_html(response, mode)})
        yield history, gr.skip(), "", mode_line() if mode_line else gr.skip(), session_id

    return respond


def _pieces(answer: str) -> Iterator[str]:
    """Growing prefixes of the answer, cut between words."""
    words = re.findall(r"\S+\s*", answer)
    step = max(1, -(-len(words) // STREAM_PIECES))
    for end in range(step, len(words), step):
        yield "".join(words[:end])


def _contacts_tab(get_assistant: Callable[[], Assistant]):
    gr.Markdown("문서의 연락처 줄과 표에서 뽑은 담당자입니다. 이름·전화는 문서에 적힌 그대로이며, 행을 누르면 원문 줄이 보입니다.")
    with gr.Row(equal_height=True):
        query = gr.Textbox(elem_id="contact-query", show_label=False, scale=8,
                           placeholder="사업, 부서, 직위, 이름, 전화번호로 찾기 (띄어쓰기 무시)")
        search = gr.Button("찾기", variant="primary", scale=1, elem_id="contact-search", min_width=90)
    count = gr.Markdown(elem_id="contact-count")
    table = gr.Dataframe(headers=views.CONTACT_HEADERS, datatype="str", interactive=False, wrap=True,
                         elem_id="contact-table", max_height=560, column_widths=["22%", "10%", "7%", "8%", "11%",
                                                                                 "20%", "22%"])
    source = gr.Textbox(label="원문", interactive=False, lines=2, elem_id="contact-source")
    shown = gr.State("")  # the query the table shows, which the box may no longer hold

    def run(text: str) -> tuple:
        found = find_contacts(get_assistant().index.contact_records, text)
        return views.contact_table(found), _count(len(found), text), "", text

    def show_source(text: str, event: gr.SelectData) -> str:
        record = _selected(find_contacts(get_assistant().index.contact_records, text), event)
        return f"{record.source_text}\n— {record.doc_title} · {record.section}" if record else ""

    outputs = [table, count, source, shown]
    for trigger in (query.submit, search.click):
        trigger(run, query, outputs, api_visibility="private")
    table.select(show_source, shown, source, api_visibility="private")
    return lambda blocks: blocks.load(run, query, outputs, api_visibility="private")


def _schedules_tab(get_assistant: Callable[[], Assistant]):
    upcoming = gr.HTML(elem_id="schedule-upcoming")
    gr.Markdown("문서에 적힌 날짜가 있는 항목입니다. 기간(YYYY-MM-DD)과 검색어로 거르고, 날짜순으로 보여 줍니다. "
                "행을 누르면 원문 줄이 보입니다.")
    with gr.Row(equal_height=True):
        date_from = gr.Textbox(label="시작일", placeholder="2024-01-01", elem_id="schedule-from", scale=2)
        date_to = gr.Textbox(label="종료일", placeholder="2024-12-31", elem_id="schedule-to", scale=2)
        query = gr.Textbox(label="검색어", placeholder="예: 도시재생", elem_id="schedule-query", scale=4)
        search = gr.Button("찾기", variant="primary", scale=1, elem_id="schedule-search", min_width=90)
    count = gr.Markdown(elem_id="schedule-count")
    feeds = gr.HTML(elem_id="schedule-feeds")  # the calendar feed and CSV of what the table shows
    table = gr.Dataframe(headers=views.SCHEDULE_HEADERS, datatype="str", interactive=False, wrap=True,
                         elem_id="schedule-table", max_height=560,
                         column_widths=["11%", "9%", "9%", "31%", "14%", "26%"])
    source = gr.Textbox(label="원문", interactive=False, lines=2, elem_id="schedule-source")
    shown = gr.State(("", "", ""))  # the filter the table shows, which the boxes may no longer hold

    def run(text: str, low: str, high: str) -> tuple:
        try:
            found = views.schedule_rows(get_assistant().index.schedules, text, low, high)
        except views.DateInputError as exc:
            return gr.skip(), render.inert(str(exc)), "", gr.skip(), gr.skip()
        links = render.feed_links_html(views.feed_link(text, low, high), views.feed_link(text, low, high, "csv"))
        return views.schedule_table(found), _count(len(found), text), "", (text, low, high), links

    def soon() -> str:
        assistant = get_assistant()
        today = assistant.settings.reference_date  # ASSISTANT_TODAY, else the real date
        return render.upcoming_html(views.upcoming(assistant.index.schedules, today), today, views.UPCOMING_DAYS)

    def show_source(filters: tuple[str, str, str], event: gr.SelectData) -> str:
        try:
            found = views.schedule_rows(get_assistant().index.schedules, *filters)
        except views.DateInputError:
            return ""
        record = _selected(found, event)
        return f"{record.source_text}\n— {record.doc_title} · {record.section}" if record else ""

    inputs, outputs = [query, date_from, date_to], [table, count, source, shown, feeds]
    for trigger in (query.submit, date_from.submit, date_to.submit, search.click):
        trigger(run, inputs, outputs, api_visibility="private")
    table.select(show_source, shown, source, api_visibility="private")

    def load(blocks: gr.Blocks) -> None:
        blocks.load(run, inputs, outputs, api_visibility="private")
        blocks.load(soon, None, upcoming, api_visibility="private")

    return load


def _documents_tab(get_assistant: Callable[[], Assistant], get_builder: Callable[[], BackgroundIngest | None]):
    gr.Markdown("색인된 문서입니다. 문서를 고르거나 표의 행을 누르면 섹션별 본문을 펼쳐 볼 수 있습니다.")
    build_line = gr.Markdown(elem_id="document-build")
    table = gr.Dataframe(headers=views.DOCUMENT_HEADERS, datatype="str", interactive=False, wrap=True,
                         elem_id="document-table", column_widths=["44%", "20%", "8%", "8%", "20%"])
    choice = gr.Dropdown(label="문서", choices=[], elem_id="document-choice", interactive=True)
    sections = gr.HTML(elem_id="document-sections", js_on_load=None)
    shown = gr.State("")  # built_at of the index the table lists: it is listed again only when another is served

    def listing(seen: str) -> tuple:
        index = get_assistant().index  # one snapshot, even if a re-index lands meanwhile
        build = _build_line(index, get_builder())
        if seen and seen == index.built_at:  # the same index: the table and the picked document stay as they are
            return build, gr.skip(), gr.skip(), seen
        choices = [(d.get("title") or doc_id, doc_id) for doc_id, d in index.documents.items()]
        return (build, views.document_table(index.documents, index.retriever.chunks),
                gr.update(choices=choices, value=None), index.built_at)

    def show(doc_id: str | None) -> str:
        index = get_assistant().index
        doc = index.documents.get(doc_id or "")
        if doc is None:
            return ""
        chunks = [c for c in index.retriever.chunks if c.doc_id == doc_id]
        parts = [doc.get("organization", ""), str(doc.get("year", "")), f"청크 {len(chunks)}개", doc_id]
        return render.sections_html(doc.get("title") or doc_id, " · ".join(p for p in parts if p),
                                    views.document_sections(doc.get("text", ""), chunks))

    def pick(event: gr.SelectData) -> str | None:
        return _selected(list(get_assistant().index.documents), event)

    choice.change(show, choice, sections, api_visibility="private")
    table.select(pick, None, choice, api_visibility="private")

    def load(blocks: gr.Blocks, timer: gr.Timer) -> None:
        outputs = [build_line, table, choice, shown]
        blocks.load(listing, shown, outputs, api_visibility="private")
        # a document added or removed in the 관리 tab (or by another admin) shows up here when its build is done
        timer.tick(listing, shown, outputs, show_progress="hidden", api_visibility="private")

    return load


def _build_line(index, builder: BackgroundIngest | None) -> str:
    status = builder.status.as_dict() if builder is not None else {"state": "idle"}
    return render.build_markdown(status, index.built_at)


def admin_token_matches(builder: BackgroundIngest | None, token: str | None) -> bool:
    """The token typed in the 관리 tab is ASSISTANT_ADMIN_TOKEN (compared in constant time); never when no token is
    set, or the server has no builder to change documents with."""
    expected = builder.settings.admin_token if builder is not None else None
    return bool(expected) and bool(token) and secrets.compare_digest(token.encode(), expected.encode())


def _admin_tab(get_assistant: Callable[[], Assistant], get_builder: Callable[[], BackgroundIngest | None],
               mode: Callable[[], str], mode_line: gr.Markdown) -> None:
    gr.Markdown("문서를 올리고 지우는 관리 화면입니다. 서버의 관리자 토큰(ASSISTANT_ADMIN_TOKEN)을 넣으세요. "
                "바뀐 문서는 뒤에서 색인을 새로 만든 뒤 답에 쓰이며, 그동안에도 이전 색인으로 답합니다.")
    with gr.Row(equal_height=True):
        token = gr.Textbox(label="관리자 토큰", type="password", elem_id="admin-token", scale=6,
                           placeholder="ASSISTANT_ADMIN_TOKEN")
        login = gr.Button("확인", variant="primary", elem_id="admin-login", scale=1, min_width=90)
    notice = gr.Markdown(elem_id="admin-notice")
    with gr.Column(visible=False, elem_id="admin-panel") as panel:
        build_line = gr.Markdown(elem_id="admin-build")
        gr.Markdown("#### 문서 올리기")
        accept = ",".join(sorted(loaders.SUPPORTED_SUFFIXES))  # what this server reads, asked at start
        gr.HTML(f'<input type="file" id="admin-file-input" accept="{render.inert(accept)}">', elem_id="admin-file",
                js_on_load=None)
        with gr.Row():
            title = gr.Textbox(label="제목 (비우면 문서의 첫 제목)", elem_id="admin-title", scale=4)
            organization = gr.Textbox(label="기관", elem_id="admin-organization", scale=3)
            year = gr.Textbox(label="연도 (예: 2024, 2021-2024)", elem_id="admin-year", scale=2)
            doc_id = gr.Textbox(label="문서 ID (비우면 파일 이름으로)", elem_id="admin-doc-id", scale=3)
        upload = gr.Button("올리기", variant="primary", elem_id="admin-upload")
        upload_result = gr.Textbox(label="올린 결과", interactive=False, elem_id="admin-upload-result", lines=2)
        gr.Markdown("#### 문서 목록")
        table = gr.Dataframe(headers=views.ADMIN_DOCUMENT_HEADERS, datatype="str", interactive=False, wrap=True,
                             elem_id="admin-documents", column_widths=["30%", "14%", "8%", "7%", "14%", "17%", "10%"])
        with gr.Row(equal_height=True):
            choice = gr.Dropdown(label="지울 문서", choices=[], elem_id="admin-delete-choice", interactive=True,
                                 scale=6)
            delete = gr.Button("지우기", variant="stop", elem_id="admin-delete", scale=1, min_width=90)
        delete_result = gr.Markdown(elem_id="admin-delete-result")
    timer = gr.Timer(ADMIN_REFRESH_SECONDS, active=False)
    shown = gr.State("")  # the index and manifest the table lists; listed again only when either changes

    def refresh(secret: str, seen: str) -> tuple:
        """(build line, table, delete choices, what the table shows, mode line), for an admin only."""
        builder = get_builder()
        if not admin_token_matches(builder, secret):
            return "", [], gr.update(choices=[], value=None), "", gr.skip()
        index = get_assistant().index
        try:
            manifest = read_manifest(builder.settings.corpus_dir)
        except ManifestError as exc:
            return render.notice_markdown(str(exc), ok=False), gr.skip(), gr.skip(), seen, gr.skip()
        key = f"{index.built_at}|{sorted((i.id, i.file) for i in manifest.values())}"
        build = _build_line(index, builder)
        if key == seen:
            return build, gr.skip(), gr.skip(), seen, gr.skip()
        rows = views.admin_document_table(index.documents, index.retriever.chunks, manifest)
        # the mode line above the tabs counts documents too: it follows at once rather than at its next refresh
        return build, rows, gr.update(choices=views.deletable_choices(rows), value=None), key, mode()

    def enter(secret: str) -> tuple:
        builder = get_builder()
        if builder is None or not builder.settings.admin_token:
            message = render.notice_markdown("관리 기능이 꺼져 있습니다: 서버에 ASSISTANT_ADMIN_TOKEN이 없습니다.", ok=False)
        elif not admin_token_matches(builder, secret):
            message = render.notice_markdown("토큰이 맞지 않습니다.", ok=False)
        else:
            return (gr.update(visible=True), render.notice_markdown("관리자로 들어왔습니다."), gr.Timer(active=True),
                    *refresh(secret, ""))
        return (gr.update(visible=False), message, gr.Timer(active=False), "", [], gr.update(choices=[], value=None), "",
                gr.skip())

    def remove(secret: str, target: str | None) -> str:
        builder = get_builder()
        if not admin_token_matches(builder, secret):
            return render.notice_markdown("토큰이 맞지 않습니다.", ok=False)
        if not target:
            return render.notice_markdown("지울 문서를 고르세요.", ok=False)
        try:
            removed = delete_document(builder.settings, builder, get_assistant().index, target)
        except ChangeError as exc:
            return render.notice_markdown(f"지우지 못했습니다: {exc.detail}", ok=False)
        return render.notice_markdown(f"지웠습니다: {removed['doc_id']} (파일 {removed['file']}). 색인을 새로 만드는 중입니다.")

    listing = [build_line, table, choice, shown, mode_line]
    for trigger in (login.click, token.submit):
        trigger(enter, token, [panel, notice, timer, *listing], api_visibility="private")
    timer.tick(refresh, [token, shown], listing, show_progress="hidden", api_visibility="private")
    upload.click(None, [token, title, organization, year, doc_id], upload_result, js=UPLOAD_JS,
                 api_visibility="private").then(refresh, [token, shown], listing, api_visibility="private")
    delete.click(remove, [token, choice], delete_result, js=CONFIRM_DELETE_JS, api_visibility="private").then(
        refresh, [token, shown], listing, api_visibility="private")


def _selected(rows: list[T], event: gr.SelectData) -> T | None:
    """The record of the clicked table row (the table shows ``rows`` in order)."""
    row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
    return rows[row] if isinstance(row, int) and 0 <= row < len(rows) else None


def _count(found: int, query: str | None) -> str:
    query = (query or "").strip()
    return f"{found}건" + (f" — 검색어: {render.inert(query)}" if query else "")
