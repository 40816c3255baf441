"""The 관리 tab in a real browser (Debian's Chromium driven by Playwright) against a real server whose corpus can
change: nothing without the token; with it, a document is uploaded, listed once built, and deleted."""

from __future__ import annotations

import re

import httpx
import pytest
from api.upload_helpers import TOKEN, docx_bytes, editable_server, wait_for_build
from conftest import CHROMIUM
from ui.test_browser import ARTIFACTS, assert_inert, cell_texts, open_tab

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (/usr/bin/chromium); `make system-deps`")

DOC_ID = "ui-drone-2025"
# what an uploader types and names the file: markup that must be shown as text everywhere
TITLE = '한빛시 드론 <i>운영</i> 계획 <img src=x onerror="window.__xss=2">'
FILE_NAME = "한빛 드론 <계획> & '시범'.docx"
STORED_AS = "한빛_드론_계획_시범.docx"


@pytest.fixture(scope="module")
def admin_server(corpus_index, tmp_path_factory):
    with editable_server(corpus_index, tmp_path_factory.mktemp("admin-ui"), {"ASSISTANT_UI": "true"}) as (url, _):
        yield url


def open_admin(page, url: str) -> None:
    page.goto(f"{url}/")
    page.wait_for_selector("#question textarea")
    open_tab(page, "관리")
    page.wait_for_selector("#admin-token input")


def log_in(page, token: str) -> None:
    page.fill("#admin-token input", token)
    page.click("#admin-login")


def admin_rows(page) -> list[list[str]]:
    return cell_texts(page, "#admin-documents")


def wait_for_row(page, doc_id: str, present: bool = True, status: str = "색인됨") -> None:
    """Until the admin table has (or no longer has) a row of ``doc_id`` in that status (it refreshes every 2 s)."""
    page.wait_for_function("""([id, present, status]) => {
        const rows = {};
        for (const cell of document.querySelectorAll('#admin-documents [role=gridcell][data-row]')) {
            (rows[cell.dataset.row] ??= []).push(cell.innerText.trim());
        }
        const all = Object.values(rows);
        const found = all.some((cells) => cells.includes(id) && (!present || cells.includes(status)));
        return all.length > 0 && found === present;
    }""", arg=[doc_id, present, status])


def test_nothing_admin_is_shown_without_the_token(admin_server, page):
    open_admin(page, admin_server)
    assert not page.locator("#admin-panel").is_visible()
    assert not page.locator("#admin-file-input").is_visible()
    log_in(page, "not-the-token")
    page.wait_for_function("document.querySelector('#admin-notice')?.innerText.includes('토큰이 맞지 않습니다')")
    assert not page.locator("#admin-panel").is_visible()
    assert not page.locator("#admin-documents").is_visible()


def test_log_in_upload_see_it_listed_after_the_build_then_delete_it(admin_server, page):
    api = httpx.Client(base_url=admin_server, timeout=60)
    runs = api.get("/healthz").json()["build"]["runs"]
    open_admin(page, admin_server)
    log_in(page, TOKEN)
    page.wait_for_selector("#admin-panel", state="visible")
    wait_for_row(page, "goyang-institute-2024")
    assert len(admin_rows(page)) == 5

    page.set_input_files("#admin-file-input", files=[{
        "name": FILE_NAME,
        "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "buffer": docx_bytes("2025년 한빛시 드론배송 시범사업 계획", [
            ["사업명", "담당자", "전화번호"], ["섬 주민 의약품 드론배송", "최도윤 팀장", "031-777-4822"]]),
    }])
    page.fill("#admin-title textarea", TITLE)
    page.fill("#admin-organization textarea", "한빛시 미래교통과")
    page.fill("#admin-year textarea", "2025")
    page.fill("#admin-doc-id textarea", DOC_ID)
    page.click("#admin-upload")
    page.wait_for_function("document.querySelector('#admin-upload-result textarea')?.value.length > 0")
    result = page.input_value("#admin-upload-result textarea")
    assert result.startswith("올렸습니다") and DOC_ID in result and STORED_AS in result, result
    # the build line follows the build the upload started
    page.wait_for_function("document.querySelector('#admin-build')?.innerText.includes('색인 상태')")
    assert wait_for_build(api, runs + 1)["state"] == "done"

    wait_for_row(page, DOC_ID)
    row = next(r for r in admin_rows(page) if DOC_ID in r)
    assert row == [TITLE, "한빛시 미래교통과", "2025", row[3], DOC_ID, STORED_AS, "색인됨"] and int(row[3]) >= 1
    page.wait_for_function("document.querySelector('#admin-build')?.innerText.includes('완료')")
    assert re.search(r"색인 상태: 완료 — \d\d:\d\d:\d\d, 청크 [\d,]+개", page.inner_text("#admin-build"))
    assert_inert(page)
    page.screenshot(path=str(ARTIFACTS / "ui_admin.png"), full_page=True)

    # the 문서 tab lists it too, with the build state
    open_tab(page, "문서")
    page.wait_for_function(f"document.querySelector('#document-table')?.innerText.includes('{DOC_ID}')")
    assert "색인 상태: 완료" in page.inner_text("#document-build")
    assert_inert(page)

    open_tab(page, "관리")
    page.locator("#admin-delete-choice input").click()
    page.locator("[role=option]", has_text=DOC_ID).click()
    page.once("dialog", lambda dialog: dialog.accept())  # the browser asks before a document is deleted
    page.click("#admin-delete")
    page.wait_for_function("document.querySelector('#admin-delete-result')?.innerText.includes('지웠습니다')")
    assert wait_for_build(api, runs + 2)["state"] == "done"
    wait_for_row(page, DOC_ID, present=False)
    assert DOC_ID not in {d["doc_id"] for d in api.get("/v1/documents").json()["documents"]}


def test_a_token_changed_after_logging_in_does_nothing(admin_server, page):
    api = httpx.Client(base_url=admin_server, timeout=60)
    runs = api.get("/healthz").json()["build"]["runs"]
    open_admin(page, admin_server)
    log_in(page, TOKEN)
    wait_for_row(page, "goyang-institute-2024")
    page.locator("#admin-delete-choice input").click()
    page.locator("[role=option]", has_text="goyang-institute-2024").click()
    page.fill("#admin-token input", TOKEN + "-guess")  # every action checks the token in the box, not a login
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#admin-delete")
    page.wait_for_function("document.querySelector('#admin-delete-result')?.innerText.includes('토큰이 맞지 않습니다')")
    assert api.get("/healthz").json()["build"]["runs"] == runs
    assert "goyang-institute-2024" in {d["doc_id"] for d in api.get("/v1/documents").json()["documents"]}
