"""The assistant as one object: the index loaded once, then ``ask`` and ``search``.

The CLI, the HTTP API and the evaluation all go through this class, so they answer alike.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from assistant.answering import AnswerResponse, answer_from_hits
from assistant.answering.contacts import answer_contact, contact_spans, wants_phone
from assistant.answering.extractive import abstain, compose
from assistant.answering.guard import unsupported_numbers
from assistant.answering.intent import Intent, classify
from assistant.answering.schedules import answer_schedule, find_period
from assistant.answering.sessions import CLARIFY, SessionMemory, points_back, resolve
from assistant.answering.support import unsupported_reason
from assistant.chunking import Chunk
from assistant.facts import ContactRecord, ProjectRecord, ScheduleRecord
from assistant.index import IndexStore, load_retriever
from assistant.retrieval import Hit, HybridRetriever
from assistant.retrieval.decompose import split_two_sided
from assistant.settings import Settings, get_settings

MAX_QUESTION_CHARS = 1000
TWO_SIDED = re.compile(r"비교|어디가\s*더|어느\s*쪽|중에|보다|차이|둘\s*다|각각|vs|랑|하고", re.IGNORECASE)


class QuestionError(ValueError):
    """A question the assistant will not process (empty, too long); the message says why."""


@dataclass(frozen=True)
class LoadedIndex:
    """Everything read from one built index; swapped as a whole when the index is rebuilt under a running server."""

    documents: dict[str, dict]
    contacts: dict[str, list[ContactRecord]]  # by chunk id
    contact_records: list[ContactRecord]
    schedules: list[ScheduleRecord]
    projects: list[ProjectRecord]
    retriever: HybridRetriever
    chunks_by_id: dict[str, Chunk]
    served_by: dict
    built_at: str

    @classmethod
    def read(cls, settings: Settings) -> LoadedIndex:
        store = IndexStore(settings.index_dir)
        contacts: dict[str, list[ContactRecord]] = {}
        records = store.contacts()
        for record in records:
            contacts.setdefault(record.chunk_id, []).append(record)
        retriever = load_retriever(store, settings)
        retriever.search("연락처", 1)  # loads Kiwi and the embedder now, not on the first user's question
        return cls(documents={d["doc_id"]: d for d in store.documents()}, contacts=contacts, contact_records=records,
                   schedules=store.schedules(), projects=store.projects(), retriever=retriever,
                   chunks_by_id={c.chunk_id: c for c in retriever.chunks}, served_by=contact_spans(retriever.chunks),
                   built_at=str(store.manifest().get("built_at", "")))


class Assistant:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.index = LoadedIndex.read(self.settings)
        self.sessions = SessionMemory()
        self.writer = None
        if self.settings.llm_base_url and self.settings.llm_model:
            from assistant.answering.llm import LLMWriter

            self.writer = LLMWriter(self.settings)

    def reload(self) -> None:
        """Read the index again (after a rebuild); requests under way finish on the old one."""
        self.index = LoadedIndex.read(self.settings)

    # the parts of the loaded index callers use, read through the current snapshot
    documents = property(lambda self: self.index.documents)
    contacts = property(lambda self: self.index.contacts)
    contact_records = property(lambda self: self.index.contact_records)
    schedules = property(lambda self: self.index.schedules)
    projects = property(lambda self: self.index.projects)
    retriever = property(lambda self: self.index.retriever)
    chunks = property(lambda self: self.index.retriever.chunks)
    chunks_by_id = property(lambda self: self.index.chunks_by_id)
    served_by = property(lambda self: self.index.served_by)

    @property
    def retrieval_mode(self) -> str:
        """'hybrid' (BM25 + dense) or 'lexical' (BM25 only, while the embeddings are built)."""
        return "hybrid" if self.index.retriever.dense is not None else "lexical"

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        return self.retriever.search(check_question(query), k or self.settings.top_k)

    def ask(self, question: str, session_id: str | None = None) -> AnswerResponse:
        started = time.perf_counter()
        check_question(question)
        previous = self.sessions.last(session_id)
        query = resolve(question, previous)  # "그 사업 담당자는?" carries the previous topic along
        intent = classify(question)
        index = self.index  # one snapshot for the whole answer, even if a rebuild lands meanwhile
        hits = index.retriever.search(query, max(self.settings.top_k, 5))
        retrieved = time.perf_counter()
        response = None
        reason = unsupported_reason(query, hits, intent.value)
        if previous is None and points_back(question):
            response = abstain(hits)
            response.answer = CLARIFY
            response.facts = [{"type": "abstention", "reason": "the question points to an earlier topic there is none of"}]
        elif reason is not None:
            response = abstain(hits)
            response.facts = [{"type": "abstention", "reason": reason}]
        elif intent not in (Intent.CONTACT, Intent.NUMBER) and (
            period := find_period(question, self.settings.reference_date)
        ):
            response = answer_schedule(query, period, index.schedules, index.chunks_by_id)
        elif intent is Intent.CONTACT:
            response = answer_contact(question, hits, index.contacts, index.served_by, index.chunks_by_id)
            if response is None and wants_phone(question):
                response = abstain(hits)  # a phone number was asked for; no page about this has one
        if response is None:
            # a contact line answers "who"; for anything else it is a short chunk BM25 likes too much
            evidence = hits if intent is Intent.CONTACT else [h for h in hits if h.chunk.kind.value != "contact"] or hits
            if sides := split_two_sided(query):  # "A랑 B 중에 어디가 더": a fact from each side
                response = compose(query, evidence, intent.value, max_chars=700, evidence=5, sides=sides)
            elif TWO_SIDED.search(question):  # 각각, 둘 다 without two named sides: more evidence
                response = compose(query, evidence, intent.value, max_chars=700, evidence=5)
            else:
                response = compose(query, evidence, intent.value)
        if unsupported_numbers(response.answer, (c.text for c in response.citations)):
            response = answer_from_hits(hits)  # a composed answer never states a number its quotes lack
        if self.writer is not None:
            response = self.writer.rewrite(question, response)
        response.intent = intent.value
        if not response.abstained and response.citations:
            self.sessions.remember(session_id, question if query == question else query, response.citations[0].section)
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
