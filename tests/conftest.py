from __future__ import annotations

from pathlib import Path

import pytest

from assistant.chunking import Chunk, chunk_document
from assistant.ingest import Document, load_document, read_manifest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus_documents() -> dict[str, Document]:
    manifest = read_manifest(CORPUS)
    docs = [load_document(CORPUS / name, info) for name, info in manifest.items()]
    return {doc.doc_id: doc for doc in docs}


@pytest.fixture(scope="session")
def corpus_chunks(corpus_documents) -> dict[str, list[Chunk]]:
    return {doc_id: chunk_document(doc) for doc_id, doc in corpus_documents.items()}
