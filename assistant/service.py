"""The assistant as one object: the index loaded once, then ``ask`` and ``search``.

The CLI, the HTTP API and the evaluation all go through this class, so they answer alike.
"""

from __future__ import annotations

import re
import time

from assistant.answering import AnswerResponse, answer_from_hits
from assistant.answering.contacts import answer_contact, contact_spans, wants_phone
from assistant.answering.extractive import abstain, compose
from assistant.answering.guard import unsupported_numbers
from assistant.answering.intent import Intent, classify
from assistant.answering.schedules import answer_schedule, find_period
from assistant.answering.sessions import CLARIFY, SessionMemory, points_back, resolve
from assistant.answering.support import unsupported_reason
from assistant.index import IndexStore, load_retriever
from assistant.retrieval import Hit
from assistant.settings import Settings, get_settings

MAX_QUESTION_CHARS = 1000
TWO_SIDED = re.compile(r"비교|어디가\s*더|어느\s*쪽|중에|보다|차이|둘\s*다|각각|vs|랑|하고", re.IGNORECASE)


class QuestionError(ValueError):
    """A question the assistant will not process (empty, too long); the message says why."""


class Assistant:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        store = IndexStore(self.settings.index_dir)
        self.documents = {d["doc_id"]: d for d in store.documents()}
        self.contacts: dict[str, list] = {}
        for record in store.contacts():
            self.contacts.setdefault(record.chunk_id, []).append(record)
        self.schedules = store.schedules()
        self.retriever = load_retriever(store, self.settings)
        self.chunks = self.retriever.chunks
        self.chunks_by_id = {c.chunk_id: c for c in self.chunks}
        self.served_by = contact_spans(self.chunks)
        self.sessions = SessionMemory()
        self.writer = None
        if self.settings.llm_base_url and self.settings.llm_model:
            from assistant.answering.llm import LLMWriter

            self.writer = LLMWriter(self.settings)
        self.retriever.search("연락처", 1)  # loads Kiwi and the embedder now, not on the first user's question

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        return self.retriever.search(check_question(query), k or self.settings.top_k)

    def ask(self, question: str, session_id: str | None = None) -> AnswerResponse:
        started = time.perf_counter()
        check_question(question)
        previous = self.sessions.last(session_id)
        query = resolve(question, previous)  # "그 사업 담당자는?" carries the previous topic along
        intent = classify(question)
        hits = self.retriever.search(query, max(self.settings.top_k, 5))
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
            response = answer_schedule(query, period, self.schedules, self.chunks_by_id)
        elif intent is Intent.CONTACT:
            response = answer_contact(question, hits, self.contacts, self.served_by, self.chunks_by_id)
            if response is None and wants_phone(question):
                response = abstain(hits)  # a phone number was asked for; no page about this has one
        if response is None:
            # a contact line answers "who"; for anything else it is a short chunk BM25 likes too much
            evidence = hits if intent is Intent.CONTACT else [h for h in hits if h.chunk.kind.value != "contact"] or hits
            if TWO_SIDED.search(question):  # "A랑 B 중에 어디가 더": a fact from each side, so more evidence
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
