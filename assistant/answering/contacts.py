"""Answers to "who do I call about X": the contact records of the program the question is about.

Retrieval finds the passages about X; the contact line that closes the program page those
passages sit on answers. When none of the best passages belongs to a page with a contact
line, the documents do not give one, and the assistant says so rather than hand out
another program's phone number.
"""

from __future__ import annotations

import re

from assistant.answering.models import AnswerResponse, Citation
from assistant.chunking import Chunk, ChunkKind
from assistant.facts import ContactRecord
from assistant.question.intent import ROLE_CUES
from assistant.retrieval import Hit

PHONE_CUE = re.compile(r"연락처|전화|번호|연락|직통")
CONTACT_RANK_WINDOW = 5


def contact_spans(chunks: list[Chunk]) -> dict[str, str]:
    """Chunk id -> id of the contact chunk that serves it.

    A contact line closes a program's page: it serves the chunks since the previous contact.
    In a document that opens with its contact (a pledge sheet's header) it serves what follows.
    """
    served: dict[str, str] = {}
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    for doc_chunks in by_doc.values():
        doc_chunks.sort(key=lambda c: c.start)
        contact_positions = [i for i, c in enumerate(doc_chunks) if c.kind is ChunkKind.CONTACT]
        if not contact_positions:
            continue
        if contact_positions[0] <= 1 and len(contact_positions) == 1:  # the contact heads the document
            contact = doc_chunks[contact_positions[0]].chunk_id
            served.update((c.chunk_id, contact) for c in doc_chunks)
            continue
        pending: list[str] = []
        for chunk in doc_chunks:
            pending.append(chunk.chunk_id)
            if chunk.kind is ChunkKind.CONTACT:
                served.update((chunk_id, chunk.chunk_id) for chunk_id in pending)
                pending = []
    return served


def answer_contact(
    question: str, hits: list[Hit], contacts: dict[str, list[ContactRecord]], served_by: dict[str, str],
    chunks_by_id: dict[str, Chunk],
) -> AnswerResponse | None:
    """The contacts of the program the best hits belong to, or None when no hit belongs to one.

    ``question`` is the question as asked (its role words pick the people); the hits may
    have been retrieved with a query that carries a previous turn's topic.
    """
    for hit in hits[:CONTACT_RANK_WINDOW]:
        contact_id = served_by.get(hit.chunk.chunk_id)
        if contact_id in contacts:
            break
    else:
        return None
    contact_chunk = chunks_by_id[contact_id]
    records = _by_role(question, contacts[contact_id])
    program = records[0].program or contact_chunk.section
    people = ", ".join(f"{r.role + ' ' if r.role else ''}{r.name_as_written} ☎ {r.phone_as_written}" for r in records)
    answer = f"{program} 문의처: {people} [1]"
    citations = [Citation.of_chunk(1, contact_chunk, hit.score)]
    if hit.chunk.chunk_id != contact_id:  # the passage that matched the question, for context
        citations.append(Citation.of_chunk(2, hit.chunk, hit.score))
    facts = [{"type": "contact", **{k: getattr(r, k) for k in ("program", "role", "name", "phone", "department")}}
             for r in records]
    return AnswerResponse(answer=answer, intent="contact", citations=citations, facts=facts)


def wants_phone(question: str) -> bool:
    return bool(PHONE_CUE.search(question))


def _by_role(question: str, records: list[ContactRecord]) -> list[ContactRecord]:
    wanted = {role for cue, roles in ROLE_CUES.items() if cue in question for role in roles}
    chosen = [r for r in records if r.role in wanted]
    return chosen or records
