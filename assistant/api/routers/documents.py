"""/v1/documents: the indexed documents, and (admin) adding and removing them while the service answers.

An upload is checked before anything changes: the admin token before a byte of the body is read, the size while it
streams, the type by its bytes (assistant/ingest/sniff.py), and the document is parsed once, from a temporary
folder, by the same reader the build will use. Only then is it stored in the corpus folder under a name made here,
its manifest entry written, and the incremental build started in the background; the old index answers until the
new one is swapped in. A deletion removes the file and its entry and rebuilds the same way.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from assistant.api.errors import NOT_FOUND, ErrorDetail, encodable_text
from assistant.api.routers.admin import require_admin
from assistant.api.schemas import ChunkSpan, DocumentDetail, DocumentsResponse, DocumentSummary
from assistant.api.schemas.uploads import (
    UPLOAD_FORM_SCHEMA,
    ChangeRefused,
    DocumentAdded,
    DocumentRemoved,
    UploadFields,
)
from assistant.chunking import chunk_document
from assistant.index.background import BackgroundIngest
from assistant.index.store import BuildLock
from assistant.ingest import load as loaders
from assistant.ingest.document import Document
from assistant.ingest.elements import UnreadableDocument
from assistant.ingest.manifest import (
    MANIFEST_NAME,
    CorpusLock,
    DocumentInfo,
    ManifestError,
    add_entry,
    read_manifest,
    remove_entry,
)
from assistant.ingest.sniff import FileType, UnknownFileType, safe_stem, sniff
from assistant.service import LoadedIndex
from assistant.settings import Settings

log = logging.getLogger("assistant.api.documents")
router = APIRouter(prefix="/v1/documents", tags=["documents"])

FORM_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers and the text fields around the file
MAX_FORM_FIELD_BYTES = 16 * 1024  # a title or an organization is a line
# names the build does not ingest (assistant/index/build.py): an upload never gets one of them
RESERVED_NAMES = frozenset({MANIFEST_NAME, "README.md", ".gitkeep"})
BUILD_RUNNING = "an index build is running; try again when it is done (GET /healthz shows it)"
YEAR = re.compile(r"((?:19|20)\d{2})(?:\s*[-~–]\s*((?:19|20)\d{2}))?")
ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorDetail, "description": "no valid admin token"},
    404: {"model": ErrorDetail, "description": "the admin routes are disabled (no ASSISTANT_ADMIN_TOKEN), or (DELETE) "
                                               "no such document"},
    409: {"model": ChangeRefused, "description": "a build is running, or the id or text is already in the corpus; "
                                                 "nothing was changed"},
}


def _summary(doc: dict, chunks: int) -> dict:
    return {k: doc[k] for k in ("doc_id", "title", "organization", "year", "source_format")} | {"chunks": chunks}


@router.get("", response_model=DocumentsResponse, summary="The indexed documents")
def list_documents(request: Request) -> DocumentsResponse:
    index = request.app.state.assistant.index  # one snapshot, even if a re-index lands meanwhile
    counts = Counter(c.doc_id for c in index.chunks)
    return DocumentsResponse(documents=[
        DocumentSummary(**_summary(doc, counts[doc_id])) for doc_id, doc in index.documents.items()
    ])


@router.get("/{doc_id}", response_model=DocumentDetail, summary="A document's normalized text and chunk boundaries",
            responses=NOT_FOUND)
def get_document(doc_id: str, request: Request) -> DocumentDetail:
    index = request.app.state.assistant.index
    doc = index.documents.get(doc_id)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no document {doc_id!r}")
    spans = [ChunkSpan(chunk_id=c.chunk_id, start=c.start, end=c.end, section=c.section, kind=c.kind.value,
                       location=c.location)
             for c in index.chunks if c.doc_id == doc_id]
    return DocumentDetail(**_summary(doc, len(spans)), text=doc["text"], chunk_spans=spans)


# changes


class ChangeError(Exception):
    """A change refused before anything changed: the status and the sentence to answer with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _refusal(exc: ChangeError, builder: BackgroundIngest) -> JSONResponse:
    content: dict[str, Any] = {"detail": encodable_text(exc.detail)}
    if exc.status == 409:
        content["build"] = builder.status.as_dict()
    return JSONResponse(status_code=exc.status, content=content)


@router.post("", status_code=202, response_model=DocumentAdded, dependencies=[Depends(require_admin)],
             summary="Add a document (multipart upload); it is answered from once the background build is done",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": UPLOAD_FORM_SCHEMA}}}},
             responses={**ADMIN_RESPONSES,
                        413: {"model": ErrorDetail, "description": "the file is over ASSISTANT_MAX_UPLOAD_MB"},
                        415: {"model": ErrorDetail, "description": "not multipart/form-data, or a file of a type "
                                                                   "this server does not read"},
                        422: {"model": ErrorDetail, "description": "a missing or bad field, or a file that cannot "
                                                                   "be read (the reader's reason)"}})
async def upload_document(request: Request):
    settings, builder = request.app.state.settings, request.app.state.builder
    try:
        if builder.running:  # before the body is read: the upload could not be stored anyway
            raise ChangeError(409, BUILD_RUNNING)
        fields, client_name, data = await _read_form(request, settings.max_upload_bytes)
        file_type = _sniff(data)
        suffix = file_type.suffix_for(client_name, loaders.SUPPORTED_SUFFIXES)
        stem = safe_stem(client_name)
        doc, chunks = await run_in_threadpool(_parse, data, f"{stem}{suffix}", settings)
        added = await run_in_threadpool(store_document, settings, builder, request.app.state.assistant.index, data,
                                        client_name, stem, suffix, fields, doc, chunks)
    except ChangeError as exc:
        return _refusal(exc, builder)
    except UnknownFileType as exc:
        return _refusal(ChangeError(415, f"unsupported file type: {exc}"), builder)
    return JSONResponse(status_code=202, content=added)


@router.delete("/{doc_id}", status_code=202, response_model=DocumentRemoved, dependencies=[Depends(require_admin)],
               summary="Remove a document: its file and manifest entry, then rebuild in the background",
               responses=ADMIN_RESPONSES)
def delete_document_route(doc_id: str, request: Request):
    try:
        state = request.app.state
        removed = delete_document(state.settings, state.builder, state.assistant.index, doc_id)
    except ChangeError as exc:
        return _refusal(exc, request.app.state.builder)
    return JSONResponse(status_code=202, content=removed)


async def _read_form(request: Request, max_bytes: int) -> tuple[UploadFields, str, bytes]:
    """The form's fields, the file's name and bytes; the body is refused (413) as soon as it passes the cap."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        raise ChangeError(415, "send the document as multipart/form-data with a 'file' part")
    limit = max_bytes + FORM_OVERHEAD_BYTES
    too_large = ChangeError(413, f"the upload is larger than the limit of {max_bytes / 2**20:g} MiB "
                                 "(ASSISTANT_MAX_UPLOAD_MB)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large

    async def limited() -> AsyncIterator[bytes]:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large
            yield chunk

    parser = MultiPartParser(request.headers, limited(), max_files=1, max_fields=len(UploadFields.model_fields),
                             max_part_size=MAX_FORM_FIELD_BYTES)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ChangeError(422, f"the body is not readable multipart/form-data: {exc.message}") from None
    except (ValueError, UnicodeError) as exc:  # python-multipart on a malformed boundary or header
        raise ChangeError(422, f"the body is not readable multipart/form-data: {exc}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ChangeError(422, "the form has no 'file' part holding a file")
        data = await upload.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise too_large
        if not data:
            raise ChangeError(422, "the file is empty")
        texts = {}
        for key, value in form.multi_items():
            if key == "file":
                continue
            if not isinstance(value, str):
                raise ChangeError(422, f"the form field {key!r} must be text, not a file")
            if key in texts:
                raise ChangeError(422, f"the form field {key!r} is given twice")
            if value.strip():  # an empty field is a field left out
                texts[key] = value
        try:
            fields = UploadFields.model_validate(texts)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}" for e in exc.errors())
            raise ChangeError(422, f"bad form field: {problems}") from None
        return fields, upload.filename or "", data
    finally:
        await form.close()


def _sniff(data: bytes) -> FileType:
    try:
        return sniff(data)
    except UnreadableDocument as exc:
        raise ChangeError(422, f"the file cannot be read: {exc}") from None


def _parse(data: bytes, name: str, settings: Settings) -> tuple[Document, int]:
    """The document as the build will read it, from a private temporary folder: the reader's refusal is the
    uploader's answer, and nothing unreadable reaches the corpus."""
    with tempfile.TemporaryDirectory(prefix="assistant-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            # the build's own size limit (ASSISTANT_MAX_FILE_MB): a file it would skip is refused here
            doc = loaders.load_document(path, None, max_bytes=int(settings.max_file_mb * 2**20), ocr=settings.ocr)
            chunks = chunk_document(doc, settings.chunk_max_tokens, settings.chunk_min_tokens)
        except UnreadableDocument as exc:
            raise ChangeError(422, f"the file cannot be read: {exc}") from None
        except RecursionError:
            raise ChangeError(422, "the file cannot be read: document nesting too deep to parse") from None
    if not chunks:
        raise ChangeError(422, "the file cannot be read: no text to index")
    return doc, len(chunks)


def store_document(settings: Settings, builder: BackgroundIngest, index: LoadedIndex, data: bytes, client_name: str,
                   stem: str, suffix: str, fields: UploadFields, doc: Document, chunks: int) -> dict:
    """Store a checked upload in the corpus, add its manifest entry and start the build; ChangeError (409) when a
    build runs, or its id or text is already in ``index`` (the served one), with nothing changed."""
    corpus = Path(settings.corpus_dir)
    title = fields.title or doc.title
    with _corpus_change(corpus, builder, settings.index_dir):
        manifest = _read_manifest(corpus)
        taken = {info.id for info in manifest.values()} | set(index.documents)
        doc_id = fields.doc_id or _free_id(_slug(stem), taken)
        if doc_id in taken:
            raise ChangeError(409, f"the document id {doc_id!r} is already in the corpus")
        for other_id, record in index.documents.items():
            if record.get("content_hash") == doc.content_hash:
                raise ChangeError(409, f"the same text is already indexed as {other_id!r}")
        stored = _store_file(corpus, stem, suffix, data)
        info = DocumentInfo(file=stored.name, id=doc_id, title=title, organization=fields.organization or "",
                            year=fields.year or _year_of(title), source=_source_name(client_name))
        try:
            add_entry(corpus, info)
        except (ManifestError, OSError) as exc:
            stored.unlink(missing_ok=True)
            raise ChangeError(409, f"the manifest cannot be updated: {exc}") from None
        if not builder.start():
            _undo_add(corpus, stored, doc_id)
            raise ChangeError(409, "another process started an index build just now; try again when it is done")
    log.info("document %s added as %s (%d bytes); building", doc_id, stored.name, len(data))
    return DocumentAdded(doc_id=doc_id, file=stored.name, title=info.title, organization=info.organization,
                         year=info.year, source_format=doc.source_format, chunks=chunks,
                         build=builder.status.as_dict()).model_dump(mode="json")


def delete_document(settings: Settings, builder: BackgroundIngest, index: LoadedIndex, doc_id: str) -> dict:
    """Delete a document's file and manifest entry and start the build; ChangeError when there is no such document
    (404), or a build runs or it is the last document (409), with nothing changed. The web UI's admin tab calls this
    too."""
    corpus = Path(settings.corpus_dir).resolve()
    if builder.running:
        raise ChangeError(409, BUILD_RUNNING)
    with _corpus_change(corpus, builder, settings.index_dir):
        manifest = _read_manifest(corpus)
        listed = next((info for info in manifest.values() if info.id == doc_id), None)
        record = index.documents.get(doc_id)
        if listed is not None:
            path = (corpus / listed.file).resolve()
        elif record is not None and record.get("path"):
            path = Path(record["path"]).resolve()
        else:
            raise ChangeError(404, f"no document {doc_id!r}")
        if path.parent != corpus and corpus not in path.parents:
            raise ChangeError(409, f"the document {doc_id!r} was indexed from outside the corpus folder; "
                                   "it cannot be removed here")
        others = set(index.documents) | {info.id for info in manifest.values()}
        if not others - {doc_id}:
            raise ChangeError(409, "this is the last document; the index cannot be built without any")
        # moved aside first, so it can be put back if the build cannot start
        aside = path.with_name(f".removed-{os.getpid()}-{path.name}")
        if path.exists():
            os.replace(path, aside)
        try:
            if listed is not None:
                remove_entry(corpus, doc_id)
        except (ManifestError, OSError) as exc:
            if aside.exists():
                os.replace(aside, path)
            raise ChangeError(409, f"the manifest cannot be updated: {exc}") from None
        if not builder.start():
            if listed is not None:
                add_entry(corpus, listed)
            if aside.exists():
                os.replace(aside, path)
            raise ChangeError(409, "another process started an index build just now; try again when it is done")
        aside.unlink(missing_ok=True)
    log.info("document %s (%s) removed; building", doc_id, path.name)
    return DocumentRemoved(doc_id=doc_id, file=path.name, build=builder.status.as_dict()).model_dump(mode="json")


@contextmanager
def _corpus_change(corpus: Path, builder: BackgroundIngest, index_dir: Path) -> Iterator[None]:
    """Hold the corpus lock, with no build running here or in another process sharing the index folder."""
    lock = CorpusLock(corpus)
    try:
        lock.acquire()
    except TimeoutError as exc:
        raise ChangeError(409, str(exc)) from None
    try:
        if builder.running or not _build_lock_free(index_dir):
            raise ChangeError(409, BUILD_RUNNING)
        yield
    finally:
        lock.release()


def _build_lock_free(index_dir: Path) -> bool:
    lock = BuildLock(index_dir)
    if not lock.acquire(blocking=False):
        return False
    lock.release()
    return True


def _read_manifest(corpus: Path) -> dict[str, DocumentInfo]:
    try:
        return read_manifest(corpus)
    except ManifestError as exc:
        raise ChangeError(409, f"the corpus manifest cannot be read: {exc}") from None


def _store_file(corpus: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Write the file under a name no other file has: a hidden temporary file (never ingested), then a hard link
    under the first free name (a link never replaces an existing file), then the temporary name removed."""
    corpus.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".upload-", suffix=suffix, dir=corpus)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        for number in range(1, 10_000):
            target = corpus / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
            if target.name in RESERVED_NAMES:
                continue
            try:
                os.link(temporary, target)
            except FileExistsError:
                continue
            return target
        raise ChangeError(409, f"no free file name for {stem}{suffix} in the corpus folder")
    finally:
        Path(temporary).unlink(missing_ok=True)


def _undo_add(corpus: Path, stored: Path, doc_id: str) -> None:
    try:
        remove_entry(corpus, doc_id)
    finally:
        stored.unlink(missing_ok=True)


def _slug(stem: str) -> str:
    slug = re.sub(r"[^0-9A-Za-z가-힣_.-]+", "-", stem.strip()).strip("-._").lower()
    return slug[:60].rstrip("-._") or "document"


def _free_id(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _year_of(title: str) -> str:
    """A year the title names ("2024년 ... 계획" -> 2024, "2021~2024" -> 2021-2024), else ""."""
    match = YEAR.search(title)
    if match is None:
        return ""
    return f"{match.group(1)}-{match.group(2)}" if match.group(2) else match.group(1)


def _source_name(client_name: str) -> str:
    """The name the uploader gave, as a record of where the file came from (control characters dropped)."""
    name = "".join(ch for ch in client_name if ch.isprintable())
    return f"upload: {name[:200]}" if name else "upload"

