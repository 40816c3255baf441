"""`assistant ingest` and `assistant chunks` run as a user runs them: a subprocess on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest
from builders import hwpx, make_pdf, p, section, t, to_bytes

ROOT = Path(__file__).resolve().parent.parent
EXCERPT = (ROOT / "corpus" / "goyang-research-institute-2024-plan.txt").read_text(encoding="utf-8")[1164:4425]  # two programs, each closed by its contact line


def run(*args: str, index_dir: Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index_dir), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True,
                            env=env, timeout=300, cwd=ROOT)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    (folder / "program.txt").write_text(EXCERPT, encoding="utf-8")
    (folder / "notes.md").write_text("# 회의 메모\n\n## □ 일정\n\n- 2024년 3월 착수\n", encoding="utf-8")
    (folder / "page.html").write_text("<h1>센터 안내</h1><p>연락처 | 담당: 김유진 ☎ 8073-8312</p>", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(make_pdf([["□ 대전도시재생지원센터 운영", "- 담당: 김유진 ☎ 8073-8312"]]))
    word = docx.Document()
    word.add_heading("도시재생 추진계획", level=1)
    word.add_paragraph("○ 목적 및 기대효과: 지역 주민 참여 확대")
    (folder / "plan.docx").write_bytes(to_bytes(word.save))
    (folder / "plan.hwpx").write_bytes(hwpx({"Contents/section0.xml": section(p(t("□ 탄소중립지원센터 운영")))}))
    (folder / "plan.hwp").write_bytes((Path(__file__).parent / "fixtures" / "sample-plan.hwp").read_bytes())
    sheet_book = openpyxl.Workbook()
    for row in (["사업명", "예산(백만원)", "담당부서"], ["탄소중립 실천", "120", "기후환경과"]):
        sheet_book.active.append(row)
    (folder / "budget.xlsx").write_bytes(to_bytes(sheet_book.save))
    # what a real folder also holds
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "table.xlsx").write_bytes(b"PK\x03\x04")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04")
    (folder / "random.docx").write_bytes(os.urandom(2048))
    return folder


def test_ingest_indexes_every_format_and_reports_the_skipped(mixed_folder, tmp_path):
    result = run("ingest", "--quiet", str(mixed_folder), index_dir=tmp_path, check=True)
    out = result.stdout
    assert "Indexed 8 documents" in out
    assert "Skipped 6 files" in out
    for name, reason in [("broken.pdf", "PDF"), ("photo.txt", "binary"), ("empty.txt", "empty"),
                         ("table.xlsx", "not an XLSX file"), ("slides.pptx", "unsupported file type"),
                         ("random.docx", "DOCX")]:
        line = next(row for row in out.splitlines() if name in row)
        assert reason in line, line
    manifest = json.loads((tmp_path / "current" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["documents"]) == 8 and manifest["chunk_count"] >= 8
    formats = {json.loads(row)["source_format"] for row in (tmp_path / "current" / "documents.jsonl").open()}
    assert formats == {"text", "markdown", "html", "pdf", "docx", "hwpx", "hwp", "xlsx"}


def test_chunks_command_shows_a_documents_chunks(mixed_folder, tmp_path):
    run("ingest", "--quiet", str(mixed_folder), index_dir=tmp_path, check=True)
    result = run("chunks", "--doc", "program", "--kind", "contact", "--json", index_dir=tmp_path, check=True)
    chunks = [json.loads(line) for line in result.stdout.splitlines()]
    assert chunks and all(c["kind"] == "contact" and c["doc_id"] == "program" for c in chunks)
    shown = run("chunks", "--doc", "program", "--section", "학술행사", index_dir=tmp_path, check=True).stdout
    assert "연구성과 공유 및 확산" in shown and "lines" in shown
    unknown = run("chunks", "--doc", "nope", index_dir=tmp_path)
    assert unknown.returncode == 2 and "Unknown document" in unknown.stderr


def test_failed_ingest_keeps_the_previous_index(mixed_folder, tmp_path):
    run("ingest", "--quiet", str(mixed_folder / "program.txt"), index_dir=tmp_path, check=True)
    before = (tmp_path / "current" / "chunks.jsonl").read_bytes()
    result = run("ingest", "--quiet", str(mixed_folder / "broken.pdf"), str(mixed_folder / "photo.txt"), index_dir=tmp_path)
    assert result.returncode == 1 and "No document could be indexed" in result.stderr
    assert (tmp_path / "current" / "chunks.jsonl").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folders left behind


def test_if_stale_skips_an_unchanged_corpus_and_rebuilds_after_an_edit(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(EXCERPT, encoding="utf-8")
    index = tmp_path / "index"
    run("ingest", "--quiet", "--if-stale", str(corpus), index_dir=index, check=True)
    assert "up to date" in run("ingest", "--quiet", "--if-stale", str(corpus), index_dir=index, check=True).stdout
    (corpus / "a.txt").write_text(EXCERPT + "\n추가된 문단입니다.\n", encoding="utf-8")
    assert "Indexed 1 documents" in run("ingest", "--quiet", "--if-stale", str(corpus), index_dir=index, check=True).stdout


def test_chunks_without_an_index_says_what_to_run(tmp_path):
    result = run("chunks", index_dir=tmp_path / "none")
    assert result.returncode == 1 and "assistant ingest" in result.stderr
