"""The assistant as one object: the index loaded once, then ``ask`` and ``search``.

The CLI, the HTTP API and the evaluation all go through this class, so they answer alike.
"""

from __future__ import annotations

import time

from assistant.answering import AnswerResponse, answer_from_hits
from assistant.index import IndexStore, load_retriever
from assistant.retrieval import Hit
from assistant.settings import Settings, get_settings

MAX_QUESTION_CHARS = 1000


class QuestionError(ValueError):
    """A question the assistant will not process (empty, too long); the message says why."""


class Assistant:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        store = IndexStore(self.settings.index_dir)
        self.documents = {d["doc_id"]: d for d in store.documents()}
        self.retriever = load_retriever(store, self.settings)
        self.chunks = self.retriever.chunks
        self.retriever.search("연락처", 1)  # loads Kiwi and the embedder now, not on the first user's question

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        return self.retriever.search(check_question(query), k or self.settings.top_k)

    def ask(self, question: str) -> AnswerResponse:
        started = time.perf_counter()
        hits = self.search(question, k=max(self.settings.top_k, 3))
        retrieved = time.perf_counter()
        response = answer_from_hits(hits)
        response.timing_ms = {
            "retrieve": round((retrieved - started) * 1000, 2),
            "compose": round((time.perf_counter() - retrieved) * 1000, 2),
            "total": round((time.perf_counter() - started) * 1000, 2),
        }
        return response


def check_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise QuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return question
