"""The assistant as one object: the index loaded once, then ``ask`` and ``search``.

The CLI, the HTTP API and the evaluation all go through this class, so they answer alike.

A question is analysed once (``assistant.question``); its ``Question`` travels down to retrieval, the reader and the
composers. A question that carries no earlier turn's topic (no session, or it is no follow-up) is answered from the
loaded index's answer cache when it was answered before (a messenger bot's example buttons, retries): the index, the
question, top_k and "today" decide its answer.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from assistant.answering import AnswerResponse, answer_from_hits
from assistant.answering.contacts import answer_contact, contact_spans, wants_phone
from assistant.answering.extractive import abstain, compose
from assistant.answering.guard import unsupported_numbers
from assistant.answering.render import lead_with
from assistant.answering.schedules import answer_schedule, find_period
from assistant.answering.sessions import CLARIFY, SessionMemory, Turn, is_follow_up, points_back, resolve
from assistant.answering.short import read_answer
from assistant.answering.support import missing_year, unsupported_reason
from assistant.chunking import Chunk
from assistant.facts import ContactRecord, ProjectRecord, ScheduleRecord
from assistant.index import IndexStore, load_retriever
from assistant.question import analyze_question
from assistant.question.intent import Intent
from assistant.reading.reader import READ_HITS, read, rerank
from assistant.reading.vocabulary import TermWeights, focus_share
from assistant.retrieval import Hit, HybridRetriever
from assistant.retrieval.analyzer import AnalyzedText
from assistant.settings import Settings, get_settings

MAX_QUESTION_CHARS = 1000
COMPOSE_CHARS = 190  # the composed lines (and their [n] markers) fit a 200-character answer body
NEIGHBOUR_CHARS = 140
# a contact answer whose program and passage hold less of the question's focus than this answers another
# question (tune split: wrong and unanswerable contact answers 0.13, right ones 0.38 and above)
CONTACT_MIN_FOCUS = 0.25  # after "문서에는 2025년 내용이 나와 있지 않습니다. 가까운 내용: "
ANSWER_CACHE_SIZE = 1024  # answers kept per loaded index: about 10 KB each (quotes are the chunks' own strings)


class QuestionError(ValueError):
    """A question the assistant will not process; the message says why (English, for the API and logs),
    ``user_message`` says it to the person who asked (Korean, for the chat front ends)."""

    def __init__(self, reason: str, length: int = 0) -> None:
        self.reason = reason  # "empty" or "too_long"
        self.length = length
        if reason == "empty":
            super().__init__("the question is empty")
        else:
            super().__init__(f"the question is {length} characters long; the limit is {MAX_QUESTION_CHARS}")

    @property
    def user_message(self) -> str:
        if self.reason == "empty":
            return "질문을 입력해 주세요."
        return f"질문이 너무 깁니다 ({self.length:,}자). {MAX_QUESTION_CHARS:,}자 이내로 줄여 주세요."


class AnswerCache:
    """Answers by (question, top_k, today), least recently used first out, for one loaded index.

    What goes in and what comes out are copies: a caller may change its answer (the LLM writer, the API's
    formatting) without changing what the next caller gets."""

    def __init__(self, size: int = ANSWER_CACHE_SIZE) -> None:
        self.size = size
        self._answers: OrderedDict[tuple, AnswerResponse] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> AnswerResponse | None:
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
        return found.model_copy(deep=True)

    def put(self, key: tuple, response: AnswerResponse) -> None:
        kept = response.model_copy(deep=True)
        with self._lock:
            self._answers[key] = kept
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)


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
    term_weights: TermWeights  # how telling each word is in this index, for the reader
    # answers computed on this index: a reload brings a new index, and with it an empty cache
    answers: AnswerCache = field(default_factory=AnswerCache, compare=False)

    @property
    def chunks(self) -> list[Chunk]:
        return self.retriever.chunks

    @property
    def retrieval_mode(self) -> str:
        """'hybrid' (BM25 + dense) or 'lexical' (BM25 only, while the embeddings are built)."""
        return self.retriever.name

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
                   built_at=str(store.manifest().get("built_at", "")),
                   term_weights=TermWeights([c.quote for c in retriever.chunks]))


class Assistant:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.index = LoadedIndex.read(self.settings)
        from assistant.state import open_store  # sessions in the shared store: any worker answers a follow-up

        self.sessions = SessionMemory(self.settings.sessions_max, self.settings.session_ttl_seconds,
                                      self.settings.sessions_per_client, open_store(self.settings.state_store))
        # Answers computed at once, the others waiting in arrival order (a Semaphore wakes its waiters first in,
        # first out). Left to the thread pool, 16 questions shared the cores and each took 16 times its CPU time;
        # in turn they finish in arrival order and the threads contend less for the GIL. New questions at 16
        # clients (bench/load_serving.py --new-questions): one worker, 2 slots, 23 -> 26.7 answers/s and p99
        # 1.78 -> 1.15 s; two workers, 1 slot each, p99 0.94 -> 0.70 s at the same answers/s.
        self.answer_slots = self.settings.answer_slots or max(1, os.cpu_count() or 1)
        self._computing = threading.BoundedSemaphore(self.answer_slots)
        self.writer = None
        if self.settings.llm_base_url and self.settings.llm_model:
            from assistant.answering.llm import LLMWriter

            self.writer = LLMWriter(self.settings)

    def reload(self) -> None:
        """Read the index again (after a rebuild); requests under way finish on the old one.

        Callers take ``index = assistant.index`` once per request, so one answer never mixes two indexes.
        """
        self.index = LoadedIndex.read(self.settings)
        # the new index's objects, like the first one's, are left out of garbage collection (api/app.py); the old
        # one's are thawed first, so what of it no request still holds is collected rather than frozen for good
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def forget_questions(self) -> None:
        """Empty the caches keyed by question (answers, query embeddings, Kiwi's analyses): for benchmarks and
        tests."""
        index = self.index
        index.answers.clear()
        index.retriever.forget_queries()
        AnalyzedText.forget()

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        """Ranked evidence: retrieval's top chunks reordered by the reader (a chunk is as good as its best unit
        for the question; on the tune split hit@3 0.851 -> 0.896, hit@5 0.910 -> 0.925, hit@1 unchanged)."""
        k = k or self.settings.top_k
        index = self.index
        checked = check_question(query)
        analysis = analyze_question(query)
        if checked == query:  # retrieval reads the query the question stage read
            hits = index.retriever.search(analysis.query_analysis, max(k, READ_HITS), sides=analysis.side_analyses)
        else:
            hits = index.retriever.search(checked, max(k, READ_HITS))
        reading = read(analysis, hits, term_weight=index.term_weights)
        return rerank(reading, hits)[:k]

    def ask(self, question: str, session_id: str | None = None, *, top_k: int | None = None) -> AnswerResponse:
        """The cited answer; ``top_k``: the chunks retrieved and read (the settings' top_k, at least READ_HITS,
        when None)."""
        started = time.perf_counter()
        check_question(question)
        previous = self.sessions.last(session_id)
        index = self.index  # one snapshot for the whole answer, even if a rebuild lands meanwhile
        said = AnalyzedText.of(question) if previous is not None else None  # Kiwi reads the question once
        # a question that carries no earlier turn's topic (none, or it is no follow-up) is answered alike in every
        # session: from the question, top_k and "today" only, on this index
        standalone = previous is None or not is_follow_up(said)
        key = (question, top_k, self.settings.reference_date) if standalone else None
        response = index.answers.get(key) if key is not None else None
        cached = response is not None
        query, retrieved = question, time.perf_counter()  # a standalone question is its own query
        queued = 0.0
        if response is None:
            waiting = time.perf_counter()
            with self._computing:
                queued = time.perf_counter() - waiting
                response, query, retrieved = self._answer(said or AnalyzedText.of(question), previous, index, top_k)
            if key is not None:
                index.answers.put(key, response)
        if self.writer is not None:
            response = self.writer.rewrite(question, response)
        if not response.abstained and response.citations:
            self.sessions.remember(session_id, query, response.citations[0].section)
        response.timing_ms = {
            "retrieve": round((retrieved - started) * 1000, 2),
            "compose": round((time.perf_counter() - retrieved) * 1000, 2),
            "total": round((time.perf_counter() - started) * 1000, 2),
        }
        if cached:
            response.timing_ms["cached"] = 1.0
        if queued >= 0.0005:  # waited for a slot (part of "retrieve")
            response.timing_ms["queued"] = round(queued * 1000, 2)
        return response

    def _answer(self, said: AnalyzedText, previous: Turn | None, index: LoadedIndex,
                top_k: int | None) -> tuple[AnswerResponse, str, float]:
        """The extractive answer (before any LLM rewrite), the query it was retrieved with, and when retrieval
        ended (``time.perf_counter``)."""
        question = said.text
        query = resolve(said, previous)  # "그 사업 담당자는?" carries the previous topic along
        analysis = analyze_question(said, query)
        intent = analysis.intent
        hits = index.retriever.search(analysis.query_analysis, top_k or max(self.settings.top_k, READ_HITS),
                                      sides=analysis.side_analyses)
        retrieved = time.perf_counter()
        response = None
        topic = frozenset(t for t in analysis.focus if not any(t.startswith(y) for y in analysis.years))
        reason = unsupported_reason(analysis.query_analysis, hits, intent.value,
                                    about=lambda text: focus_share(topic, text, index.term_weights))
        if previous is None and points_back(question):
            response = abstain(hits)
            response.answer = CLARIFY
            response.facts = [{"type": "abstention", "reason": "the question points to an earlier topic there is none of"}]
        elif reason is not None and (year := missing_year(reason)) and (
            nearby := compose(analysis.query_analysis, evidence_of(hits, intent), intent.value,
                              max_chars=NEIGHBOUR_CHARS)
        ).citations:
            # the documents cover the topic, not the year asked: say so, and show what they do say
            response = nearby
            response.answer = f"문서에는 {year}년 내용이 나와 있지 않습니다. 가까운 내용: {nearby.answer}"
            response.abstained = True
            response.suggestions = list(dict.fromkeys(h.chunk.section for h in hits[:3] if h.chunk.section))
            response.facts = [{"type": "abstention", "reason": reason, "neighbour": True}]
        elif reason is not None:
            response = abstain(hits)
            response.facts = [{"type": "abstention", "reason": reason}]
        elif intent not in (Intent.CONTACT, Intent.NUMBER) and (
            period := find_period(question, self.settings.reference_date)
        ):
            response = answer_schedule(query, period, index.schedules, index.chunks_by_id)
        elif intent is Intent.CONTACT:
            response = answer_contact(question, hits, index.contacts, index.served_by, index.chunks_by_id)
            if response is not None and focus_share(
                analysis.focus, " ".join(f"{c.title} {c.section} {c.text}" for c in response.citations),
                index.term_weights,
            ) < CONTACT_MIN_FOCUS:
                response = None  # the contacts of some other program: not an answer to this question
            if response is None and wants_phone(question):
                response = abstain(hits)  # a phone number was asked for; no page about this has one
        if response is None:
            evidence = evidence_of(hits, intent)
            response, lead = read_answer(analysis, evidence, term_weight=index.term_weights)
            if response is None:  # no cell or comparison the reader is sure of: the best lines, short
                budget = COMPOSE_CHARS - (len(lead.answer) + 1 if lead is not None else 0)
                if analysis.sides:  # "A랑 B 중에 어디가 더": a fact from each side
                    response = compose(analysis.query_analysis, evidence, intent.value, max_chars=budget,
                                       evidence=5, sides=analysis.side_analyses)
                else:
                    response = compose(analysis.query_analysis, evidence, intent.value, max_chars=budget)
                if lead is not None:  # the value asked for first, then the lines around it
                    response = lead_with(lead, response)
        if unsupported_numbers(response.answer, [question, *(c.text for c in response.citations)]):
            response = answer_from_hits(hits)  # a composed answer never states a number its quotes lack
        response.intent = intent.value  # the LLM writer keeps both: set here, they are cached with the answer
        response.answer_type = analysis.answer_type.value
        return response, query, retrieved


def evidence_of(hits: list[Hit], intent: Intent) -> list[Hit]:
    """What the reader reads: a contact line answers "who"; for anything else it is a short chunk BM25 likes
    too much."""
    if intent is Intent.CONTACT:
        return hits
    return [h for h in hits if h.chunk.kind.value != "contact"] or hits


def check_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise QuestionError("empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError("too_long", len(question))
    return question
