"""Adding and removing documents on a running `assistant serve` process, while it keeps answering.

The server has its own copy of the corpus, index and embedding cache (api/upload_helpers.py). The tests run in order:
refusals first (nothing may change), then an upload while another thread keeps asking, then its deletion.
"""

from __future__ import annotations

import threading
import time
import tomllib

import httpx
import pytest
from api.upload_helpers import (
    AUTH,
    TOKEN,
    docx_bytes,
    editable_server,
    png_bytes,
    served_state,
    upload,
    wait_for_build,
    with_entity_bomb,
    zip_bomb,
)
from builders import hwpx, make_pdf, p, section, t
from conftest import running_server

UPLOAD_CAP_MB = 1
TITLE = "2025년 한빛시 드론배송 시범사업 계획"
DOC_ID = "hanbit-drone-2025"
ORGANIZATION = "한빛시 미래교통과"
TABLE = [
    ["사업명", "담당자", "전화번호", "사업비"],
    ["섬 주민 의약품 드론배송", "최도윤 팀장", "031-777-4822", "7억 3천만원"],
    ["드론 관제센터 구축", "박서연 주무관", "031-777-4821", "2억 1천만원"],
]
QUESTION = "섬 주민 의약품 드론배송 담당 팀장은?"  # answered by one cell of the table: 최도윤
OTHER_QUESTIONS = ["학술행사 담당자 전화번호 알려줘", "도시재생 자문단은 누가 운영해?", "고양도시관리공사 혁신경영 목표는?"]


@pytest.fixture(scope="module")
def served(corpus_index, tmp_path_factory):
    """(client, corpus folder) of a server whose uploads may be 1 MiB; the other body caps are the defaults."""
    env = {"ASSISTANT_MAX_UPLOAD_MB": str(UPLOAD_CAP_MB)}
    with editable_server(corpus_index, tmp_path_factory.mktemp("uploads"), env) as (url, corpus), \
            httpx.Client(base_url=url, timeout=120) as client:
        yield client, corpus


def clear_refusal(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    return detail


def the_document() -> bytes:
    return docx_bytes(TITLE, TABLE, ["한빛시는 섬 지역 주민에게 의약품을 드론으로 배송하는 시범사업을 추진한다.",
                                     "운항은 2025년 5월에 시작한다."])


# refusals: each one answers its 4xx and changes nothing


def test_no_token_or_a_wrong_one_is_401_and_changes_nothing(served):
    client, corpus = served
    before = served_state(client, corpus)
    for token in (None, "wrong", TOKEN + "x", TOKEN[:-1]):
        response = upload(client, "계획.docx", the_document(), token=token)
        assert "Bearer" in clear_refusal(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        assert "Bearer" in clear_refusal(client.delete("/v1/documents/goyang-institute-2024", headers=headers), 401)
    assert served_state(client, corpus) == before


def good_hwpx() -> bytes:
    return hwpx({"Contents/section0.xml": section(p(t("2025년 드론 시범사업 담당 최도윤")))})


BAD_UPLOADS = [
    # (client's file name, the bytes (made when the test runs), status, words the reason holds)
    ("계획.pdf", lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", 422, "PDF"),
    ("계획.pdf", lambda: make_pdf([["2025년 드론 시범사업", "담당 최도윤"]])[:900], 422, "PDF"),  # cut short
    ("사진.pdf", png_bytes, 415, "binary"),  # an image renamed .pdf
    ("사진.txt", png_bytes, 415, "binary"),  # and renamed .txt
    ("도구.txt", lambda: b"MZ\x90\x00\x03" + bytes(300), 415, "binary"),
    ("빈 파일.txt", lambda: b"", 422, "empty"),
    ("계획.docx", lambda: the_document()[:4000], 422, "zip"),  # a DOCX cut short: no central directory
    ("폭탄.docx", lambda: zip_bomb({"[Content_Types].xml": "<Types/>"}, "word/document.xml"), 422, "zip bomb"),
    ("폭탄.hwpx", lambda: zip_bomb({"mimetype": "application/hwp+zip"}, "Contents/section0.xml"), 422, "zip bomb"),
    ("웃음.hwpx", lambda: with_entity_bomb(good_hwpx(), "Contents/section0.xml", "최도윤"), 422, "HWPX"),
    ("웃음.docx", lambda: with_entity_bomb(the_document(), "word/document.xml", "최도윤"), 422, "DOCX"),
    ("계획.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), 422, "OLE"),
]


@pytest.mark.parametrize("name, data, status, reason", BAD_UPLOADS,
                         ids=["corrupt-pdf", "truncated-pdf", "png-as-pdf", "png-as-txt", "exe-as-txt", "empty",
                              "truncated-docx", "docx-zip-bomb", "hwpx-zip-bomb", "hwpx-entity-bomb",
                              "docx-entity-bomb", "broken-ole"])
def test_a_bad_file_gets_its_4xx_and_changes_nothing(served, name, data, status, reason):
    client, corpus = served
    data = data()
    before = served_state(client, corpus)
    started = time.monotonic()
    response = upload(client, name, data, title="무엇이든")
    assert reason in clear_refusal(response, status)
    assert time.monotonic() - started < 30  # a bomb is refused, not expanded
    assert served_state(client, corpus) == before
    assert client.get("/healthz").json()["build"]["runs"] == 0  # no build was started


def test_a_spreadsheet_bomb_is_refused_before_its_type_is_even_decided(served):
    client, corpus = served
    before = served_state(client, corpus)
    bomb = zip_bomb({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}, "xl/worksheets/sheet1.xml")
    # the archive's directory is checked before any member is inflated, whether or not .xlsx has a reader here
    assert "zip bomb" in clear_refusal(upload(client, "예산.xlsx", bomb), 422)
    assert served_state(client, corpus) == before


def test_an_oversized_file_is_413_whether_its_length_is_declared_or_not(served):
    client, corpus = served
    before = served_state(client, corpus)
    big = "\n".join(f"{n}번째 줄: 한빛시 드론배송 시범사업 운항 기록" for n in range(40_000)).encode()
    assert len(big) > UPLOAD_CAP_MB * 2**20
    declared = upload(client, "기록.txt", big)
    assert "ASSISTANT_MAX_UPLOAD_MB" in clear_refusal(declared, 413)

    boundary = "upload-boundary-9f3"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="기록.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n").encode() + big + f"\r\n--{boundary}--\r\n".encode()

    def chunks():  # no Content-Length: the cap must hold while the body streams
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    streamed = client.post("/v1/documents", content=chunks(), headers={
        **AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    assert "ASSISTANT_MAX_UPLOAD_MB" in clear_refusal(streamed, 413)
    assert served_state(client, corpus) == before


def test_bad_forms_are_refused_clearly(served):
    client, corpus = served
    before = served_state(client, corpus)
    text = "# 2025년 계획\n\n담당 최도윤\n".encode()
    assert "multipart" in clear_refusal(client.post("/v1/documents", headers=AUTH, json={"file": "x"}), 415)
    assert "file" in clear_refusal(client.post("/v1/documents", headers=AUTH, files={"title": (None, "제목")}), 422)
    assert "year" in clear_refusal(upload(client, "a.md", text, year="이천이십오"), 422)
    assert "doc_id" in clear_refusal(upload(client, "a.md", text, doc_id="../etc"), 422)
    assert "title" in clear_refusal(upload(client, "a.md", text, title="제목\x1b[2J"), 422)
    assert "colour" in clear_refusal(upload(client, "a.md", text, colour="blue"), 422)
    duplicate = upload(client, "a.md", text, doc_id="goyang-institute-2024")
    assert "already" in clear_refusal(duplicate, 409) and duplicate.json()["build"]["state"] == "idle"
    same_text = upload(client, "copy.txt", (corpus / "goyang-research-institute-2024-plan.txt").read_bytes())
    assert "goyang-institute-2024" in clear_refusal(same_text, 409)
    assert served_state(client, corpus) == before


# an upload while the server answers


def test_an_upload_is_answered_from_once_built_while_questions_go_on(served):
    client, corpus = served
    before = served_state(client, corpus)
    manifest_before = (corpus / "manifest.toml").read_text(encoding="utf-8")
    document = the_document()
    outcomes: list[str] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=60) as asker:
            deadline = time.monotonic() + 600
            while not stop.is_set() and time.monotonic() < deadline and len(outcomes) < 5000:
                question = OTHER_QUESTIONS[len(outcomes) % len(OTHER_QUESTIONS)]
                try:
                    response = asker.post("/v1/ask", json={"question": question})
                    ok = response.status_code == 200 and response.json()["answer"]
                except httpx.HTTPError as exc:
                    ok = False
                    outcomes.append(f"error {exc!r}")
                    continue
                outcomes.append("ok" if ok else f"error {response.status_code} {response.text[:200]}")

    asker = threading.Thread(target=keep_asking, daemon=True)
    asker.start()
    try:
        # a DOCX whose name says PDF and tries to leave the folder: stored under a safe name with its real suffix
        response = upload(client, "../../한빛시 드론배송 계획.pdf", document, organization=ORGANIZATION,
                          doc_id=DOC_ID)
        assert response.status_code == 202, response.text
        added = response.json()
        assert added["doc_id"] == DOC_ID and added["title"] == TITLE and added["year"] == "2025"
        assert added["file"] == "한빛시_드론배송_계획.docx" and added["source_format"] == "docx"
        assert added["chunks"] >= 1 and added["build"]["state"] == "building"

        racing = upload(client, "다른 계획.md", "# 2026년 다른 계획\n\n담당 홍길동\n".encode())
        assert "build" in clear_refusal(racing, 409) and racing.json()["build"]["state"] == "building"
        assert "build" in clear_refusal(client.delete("/v1/documents/goyang-institute-2024", headers=AUTH), 409)

        build = wait_for_build(client, runs=1)
        assert build["state"] == "done" and build["error"] is None, build
    finally:
        stop.set()
        asker.join(60)
    errors = [o for o in outcomes if o != "ok"]
    assert len(outcomes) >= 3 and errors == [], (len(outcomes), errors[:5])
    print(f"\n{len(outcomes)} questions answered while the upload was checked and built, {len(errors)} errors")

    assert (corpus / "한빛시_드론배송_계획.docx").read_bytes() == document
    assert not list(corpus.parent.glob("*.pdf")) and not list(corpus.parent.glob("*.docx"))  # nothing outside
    entries = {e["id"]: e for e in tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8"))["documents"]}
    assert entries[DOC_ID] | {"source": ""} == {"file": "한빛시_드론배송_계획.docx", "id": DOC_ID, "title": TITLE,
                                              "organization": ORGANIZATION, "year": "2025", "source": ""}
    assert (corpus / "manifest.toml").read_text(encoding="utf-8").startswith(manifest_before)  # comments kept
    assert set(entries) == {d["doc_id"] for d in before.documents} | {DOC_ID}

    listed = {d["doc_id"]: d for d in client.get("/v1/documents").json()["documents"]}
    assert listed[DOC_ID]["title"] == TITLE and listed[DOC_ID]["chunks"] == added["chunks"]
    health = client.get("/healthz").json()
    assert health["index_built_at"] != before.built_at and health["documents"] == len(before.documents) + 1
    assert health["build"]["embedded"] >= health["chunks"]  # every chunk of the new index got its vector

    answer = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert "최도윤" in answer["answer"], answer["answer"]
    cited = answer["citations"][0]
    assert cited["doc"] == DOC_ID and cited["title"] == TITLE, cited
    assert "최도윤" in cited["text"]


def test_a_deleted_document_leaves_answers_and_search(served):
    client, corpus = served
    assert any(d["doc_id"] == DOC_ID for d in client.get("/v1/documents").json()["documents"])
    assert clear_refusal(client.delete("/v1/documents/no-such-document", headers=AUTH), 404)

    response = client.delete(f"/v1/documents/{DOC_ID}", headers=AUTH)
    assert response.status_code == 202, response.text
    assert response.json() | {"build": None} == {"doc_id": DOC_ID, "file": "한빛시_드론배송_계획.docx", "build": None}
    assert not (corpus / "한빛시_드론배송_계획.docx").exists()
    build = wait_for_build(client, runs=2)
    assert build["state"] == "done" and build["error"] is None, build

    assert DOC_ID not in {d["doc_id"] for d in client.get("/v1/documents").json()["documents"]}
    assert client.get(f"/v1/documents/{DOC_ID}").status_code == 404
    answer = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert DOC_ID not in {c["doc"] for c in answer["citations"]} and "최도윤" not in answer["answer"]
    results = client.post("/v1/search", json={"query": "섬 주민 의약품 드론배송 최도윤 팀장", "top_k": 20}).json()
    assert DOC_ID not in {r["doc"] for r in results["results"]}
    ids = [e["id"] for e in tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8"))["documents"]]
    assert DOC_ID not in ids and len(ids) == 5
    assert clear_refusal(client.delete(f"/v1/documents/{DOC_ID}", headers=AUTH), 404)


# the body-size middleware


def test_an_upload_over_the_question_body_cap_reaches_the_route(corpus_index, tmp_path):
    # the default body caps: an upload of a few hundred KB is no question body and must reach the route, which
    # reads it against ASSISTANT_MAX_UPLOAD_MB; with no token configured the route's answer is its own 404
    with running_server(corpus_index, env={"ASSISTANT_UI": "false", "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
                                           "ASSISTANT_ADMIN_TOKEN": "", "ASSISTANT_CORPUS_DIR": str(tmp_path)}) as (
            url, _):
        response = httpx.post(f"{url}/v1/documents", files={"file": ("큰 계획.pdf", b"%PDF-1.7\n" + bytes(300_000))},
                              timeout=60)
    assert response.status_code == 404, response.text
