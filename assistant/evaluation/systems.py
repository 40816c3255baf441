"""The systems an evaluation compares: the assistant in-process, over HTTP, and baselines.

Each answers one question at a time with an ``Observation``: the answer, whether it
abstained, its citations, and the texts it retrieved in rank order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import httpx

from assistant.evaluation.metrics import CitationOut, Observation

RETRIEVE_K = 10


class System(Protocol):
    name: str

    def run(self, question: str) -> Observation: ...


class AssistantSystem:
    """The assistant in this process (``assistant.service.Assistant``)."""

    name = "assistant"

    def __init__(self, assistant) -> None:
        self.assistant = assistant

    def run(self, question: str) -> Observation:
        started = time.perf_counter()
        response = self.assistant.ask(question)
        latency = (time.perf_counter() - started) * 1000
        hits = self.assistant.search(question, k=RETRIEVE_K)
        return Observation(
            answer=response.answer,
            abstained=response.abstained,
            citations=[CitationOut(c.doc, c.text) for c in response.citations],
            retrieved=[h.chunk.quote for h in hits],
            latency_ms=latency,
        )


class HttpSystem:
    """A running server: ``POST /v1/ask`` for the answer, ``POST /v1/search`` for the ranking."""

    def __init__(self, base_url: str, timeout: float = 30.0, name: str = "assistant") -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(base_url=self.base_url, timeout=timeout)

    def run(self, question: str) -> Observation:
        try:
            started = time.perf_counter()
            response = self.client.post("/v1/ask", json={"question": question})
            latency = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            answer = response.json()
            search = self.client.post("/v1/search", json={"query": question, "top_k": RETRIEVE_K})
            search.raise_for_status()
            results = search.json()["results"]
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            return Observation(error=f"{type(exc).__name__}: {exc}"[:300])
        return Observation(
            answer=answer.get("answer", ""),
            abstained=bool(answer.get("abstained")),
            citations=[CitationOut(c.get("doc", ""), c.get("text", "")) for c in answer.get("citations", [])],
            retrieved=[r.get("text", "") for r in results],
            latency_ms=latency,
        )

    def documents(self) -> dict[str, str]:
        """Normalized texts the server quotes from, for the verbatim-citation check."""
        listing = self.client.get("/v1/documents")
        listing.raise_for_status()
        texts = {}
        for doc in listing.json()["documents"]:
            detail = self.client.get(f"/v1/documents/{doc['doc_id']}")
            detail.raise_for_status()
            texts[doc["doc_id"]] = detail.json()["text"]
        return texts


class RetrieverBaseline:
    """A retriever whose "answer" is its top-1 passage, cited as such."""

    def __init__(self, name: str, search: Callable[[str, int], list[tuple[str, str]]]) -> None:
        self.name = name
        self._search = search  # question, k -> [(doc_id, text)] best first

    def run(self, question: str) -> Observation:
        started = time.perf_counter()
        hits = self._search(question, RETRIEVE_K)
        latency = (time.perf_counter() - started) * 1000
        if not hits:
            return Observation(abstained=True, latency_ms=latency)
        doc, text = hits[0]
        return Observation(answer=text, citations=[CitationOut(doc, text)], retrieved=[t for _, t in hits],
                           latency_ms=latency)
