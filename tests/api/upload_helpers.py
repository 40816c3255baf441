"""A server whose corpus can be changed (its own copy of the corpus, index and embedding cache), the documents to
upload to it, written with the real libraries, and what must stay the same when an upload is refused."""

from __future__ import annotations

import hashlib
import io
import shutil
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docx
import httpx
from conftest import CORPUS, ROOT, running_server
from PIL import Image

TOKEN = "upload-admin-token-7d2e41"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BUILD_TIMEOUT = 600  # seconds: a safety limit for a build, not a speed requirement


@contextmanager
def editable_server(corpus_index: Path, folder: Path, env: dict[str, str] | None = None):
    """A real `assistant serve` with the admin token over copies of the corpus, the index built from it and the
    warm embedding cache (only an uploaded document's chunks get embedded, and never into the project's cache).
    Yields (base URL, corpus folder)."""
    corpus, index, cache = folder / "corpus", folder / "index", folder / "cache"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    cache.mkdir()
    shutil.copy(ROOT / "index" / "cache" / "embeddings.sqlite", cache / "embeddings.sqlite")
    settings = {
        "ASSISTANT_ADMIN_TOKEN": TOKEN,
        "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_CACHE_DIR": str(cache),
        "ASSISTANT_UI": "false",
        **(env or {}),
    }
    with running_server(index, env=settings) as (url, _):
        yield url, corpus


def upload(client: httpx.Client, name: str, data: bytes, token: str | None = TOKEN, **fields: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post("/v1/documents", files={"file": (name, data)}, data=fields, headers=headers)


def wait_for_build(client: httpx.Client, runs: int) -> dict:
    """The build status once build number ``runs`` has ended (the server's health, polled)."""
    deadline = time.monotonic() + BUILD_TIMEOUT
    while True:
        build = client.get("/healthz").json()["build"]
        if build["runs"] >= runs and build["state"] in ("done", "failed"):
            return build
        assert time.monotonic() < deadline, f"the build did not end within {BUILD_TIMEOUT} s: {build}"
        time.sleep(0.5)


@dataclass(frozen=True)
class ServedState:
    """What a refused upload must leave as it was: the corpus folder's files and bytes (the manifest among them),
    and the index the server answers from."""

    files: dict[str, str]
    documents: list[dict]
    built_at: str


def served_state(client: httpx.Client, corpus: Path) -> ServedState:
    files = {str(p.relative_to(corpus)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(corpus.rglob("*")) if p.is_file()}
    return ServedState(files, client.get("/v1/documents").json()["documents"],
                       client.get("/healthz").json()["index_built_at"])


# documents


def docx_bytes(title: str, table: list[list[str]], paragraphs: list[str] = ()) -> bytes:
    """A Word document with a heading, a table (first row its header) and paragraphs, as python-docx writes it."""
    document = docx.Document()
    document.add_heading(title, level=1)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, text in enumerate(row):
            grid.cell(r, c).text = text
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def png_bytes() -> bytes:
    """A real PNG image (Pillow): binary, with NUL bytes in its header."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def zip_bomb(members: dict[str, str], bomb_member: str, expanded_mb: int = 210) -> bytes:
    """An office package whose ``bomb_member`` inflates to ``expanded_mb`` MiB of zeros (a few hundred KB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        with archive.open(bomb_member, "w", force_zip64=True) as member:
            zeros = bytes(2**20)
            for _ in range(expanded_mb):
                member.write(zeros)
    return out.getvalue()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
    + "]>"
)


def with_entity_bomb(package: bytes, member: str, marker: str) -> bytes:
    """``package`` with ``member`` rewritten to declare the billion-laughs entities and use the largest in place of
    ``marker`` (a text the member holds): 10^9 "lol"s if a parser expanded it."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                text = content.decode("utf-8")
                root = text.index("<", text.index("?>") + 2) if text.startswith("<?xml") else 0
                assert marker in text
                content = (BILLION_LAUGHS + text[root:].replace(marker, "&lol9;", 1)).encode("utf-8")
            archive.writestr(info, content)
    return out.getvalue()
