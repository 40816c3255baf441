"""Over every question of the evaluation set: quotes are verbatim and no answer invents a number."""

import json
from pathlib import Path

from assistant.answering.guard import unsupported_numbers
from assistant.service import Assistant
from assistant.settings import Settings

QA = Path(__file__).resolve().parents[2] / "eval" / "qa.jsonl"


def test_every_answer_is_quoted_and_number_faithful(corpus_index, corpus_texts):
    assistant = Assistant(Settings(index_dir=corpus_index))
    questions = [json.loads(line)["question"] for line in QA.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) >= 150
    for question in questions:
        response = assistant.ask(question)
        for citation in response.citations:
            assert citation.text in corpus_texts[citation.doc], question
            assert corpus_texts[citation.doc][citation.start:citation.end] == citation.text, question
        spans = {c.n: c for c in response.citations}
        for evidence in response.evidence:  # what clients highlight: exactly the document's text, inside its quote
            assert corpus_texts[evidence.doc][evidence.start:evidence.end] == evidence.text, question
            cited = spans[evidence.n]
            assert cited.start <= evidence.start and evidence.end <= cited.end, question
        if not response.abstained:
            assert response.citations, question
            assert unsupported_numbers(response.answer, [c.text for c in response.citations]) == [], question
        else:  # an abstention states no number but the asked year and what a cited neighbour says
            assert unsupported_numbers(response.answer, [question, *(c.text for c in response.citations)]) == [], question
            if not response.facts or not response.facts[0].get("neighbour"):
                assert not any(ch.isdigit() for ch in response.answer), question
