"""The hybrid retriever as a LangChain ``BaseRetriever``, for chains built with LangChain.

    from assistant.retrieval.langchain import AssistantRetriever
    docs = AssistantRetriever(k=5).invoke("학술행사 담당자 전화번호")

Each ``Document`` is a chunk's verbatim quote, with its document, section and ranks in
``metadata``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

_assistants: dict[str, Any] = {}
_lock = threading.Lock()


def _assistant(index_dir: str | None):
    from assistant.service import Assistant
    from assistant.settings import get_settings

    settings = get_settings()
    if index_dir is not None:
        settings = settings.model_copy(update={"index_dir": Path(index_dir)})
    key = str(settings.index_dir)
    with _lock:  # loading an index takes seconds: one per folder and process
        if key not in _assistants:
            _assistants[key] = Assistant(settings)
        return _assistants[key]


class AssistantRetriever(BaseRetriever):
    k: int = 5
    index_dir: str | None = None  # default: ASSISTANT_INDEX_DIR

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        hits = _assistant(self.index_dir).search(query, k or self.k)
        return [
            Document(
                page_content=hit.chunk.quote,
                id=hit.chunk.chunk_id,
                metadata={
                    "chunk_id": hit.chunk.chunk_id,
                    "doc_id": hit.chunk.doc_id,
                    "title": hit.chunk.doc_title,
                    "organization": hit.chunk.organization,
                    "section": hit.chunk.section,
                    "kind": hit.chunk.kind.value,
                    "start": hit.chunk.start,
                    "end": hit.chunk.end,
                    "rank": hit.rank,
                    "score": hit.score,
                    "ranks": hit.ranks,
                },
            )
            for hit in hits
        ]
