"""Every metric on small cases computed by hand, and hit@k / MRR against ranx."""

import random

import pytest
from ranx import Qrels, Run, evaluate

from assistant.answering.guard import unsupported_numbers
from assistant.evaluation.metrics import (
    CONCISE_MAX_CHARS,
    CitationOut,
    Observation,
    answer_body,
    breakdown,
    contains_all,
    first_full_hit,
    score,
    summarize,
)
from assistant.evaluation.qa import QAItem

DOCS = {"d1": "연락처 | 담당: 김유진 ☎ 8073-8312\n개원: '17. 3. 28.\n예산 14,858백만원", "d2": "과 장\t이 성 호\t☎ 940 - 4230"}


def item(qid, keys, qtype="contact", doc="d1"):
    return QAItem(id=qid, type=qtype, question="q", answer="", must_contain=keys, doc=doc, evidence=[])


def test_matching_ignores_whitespace_both_ways():
    assert contains_all("과장은 이성호, 전화 940-4230", ["이 성 호", "940 - 4230"])
    assert contains_all("이 성 호 ☎ 940 - 4230", ["이성호", "940-4230"])
    assert not contains_all("이성호 ☎ 940-4231", ["940-4230"])


def test_first_full_hit_needs_every_key_in_the_union_of_the_top_k():
    retrieved = ["김유진", "잡음", "8073-8312", "기타"]
    assert first_full_hit(retrieved, ["김유진", "8073 - 8312"]) == 3
    assert first_full_hit(retrieved, ["없는 문자열"]) is None
    assert first_full_hit(["a"] * 10 + ["김유진"], ["김유진"]) is None  # beyond 10
    assert first_full_hit(retrieved, []) is None


def test_numbers_must_come_from_a_cited_quote():
    quote = "담당: 김유진 ☎ 8073-8312"
    assert unsupported_numbers("김유진 주무관, 8073-8312 [1]", [quote]) == []
    assert unsupported_numbers("김유진, 8073-8313 [1]", [quote]) == ["8313"]
    assert unsupported_numbers("☎ 940-4230", ["☎ 940 - 4230"]) == []  # spacing differs, digits do not
    assert unsupported_numbers("예산 14,858백만원", []) == ["858"]  # "14" is short; "858" must be cited


def test_summary_figures_by_hand():
    answerable_ok = score(item("a", ["김유진", "8073-8312"]), Observation(
        answer="담당은 김유진, ☎ 8073 - 8312 입니다 [1]", citations=[CitationOut("d1", "담당: 김유진 ☎ 8073-8312")],
        retrieved=["잡음", "연락처 | 담당: 김유진 ☎ 8073-8312"], latency_ms=10), DOCS)
    fabricated = score(item("b", ["이 성 호"], doc="d2"), Observation(
        answer="과장은 이성호, 940-4231 [1]", citations=[CitationOut("d2", "과장 이성호 ☎ 940-4231")],  # not in d2
        retrieved=["과 장\t이 성 호\t☎ 940 - 4230"], latency_ms=20), DOCS)
    false_abstention = score(item("c", ["14,858"], "number"), Observation(
        answer="문서에 없습니다", abstained=True, retrieved=[], latency_ms=30), DOCS)
    unanswerable_abstained = score(item("d", [], "unanswerable", ""), Observation(
        answer="문서에 없습니다", abstained=True, latency_ms=40), DOCS)
    unanswerable_answered = score(item("e", [], "unanswerable", ""), Observation(
        answer="'17. 3. 28. 입니다 [1]", citations=[CitationOut("d1", "개원: '17. 3. 28.")], latency_ms=50), DOCS)
    s = summarize([answerable_ok, fabricated, false_abstention, unanswerable_abstained, unanswerable_answered])

    assert (s["questions"], s["answerable"]) == (5, 3)
    assert s["hit@1"] == round(1 / 3, 4)  # only b is complete at rank 1
    assert s["hit@3"] == round(2 / 3, 4)  # a completes at rank 2; c retrieved nothing
    assert s["mrr@10"] == round((1 / 2 + 1) / 3, 4)
    assert s["accuracy"] == round(2 / 3, 4)  # a and b contain their key strings (whitespace-insensitive)
    assert s["abstention_precision"] == 0.5  # two abstentions, one on an unanswerable question
    assert s["abstention_recall"] == 0.5  # two unanswerable questions, one abstained
    assert s["false_abstention"] == round(1 / 3, 4)
    assert s["citation_support"] == round(2 / 3, 4)
    assert s["verbatim_citations"] == round(2 / 3, 4)  # the fabricated quote is caught
    # a, b and e answered; b's 940-4231 is in its own (fabricated) quote, e has no 3-digit run: all pass
    assert s["number_faithfulness"] == 1.0
    assert s["latency_p50_ms"] == 30 and s["latency_max_ms"] == 50


def test_an_invented_number_is_unfaithful_even_with_a_true_quote():
    result = score(item("f", ["김유진"]), Observation(
        answer="김유진, 8073-9999 [1]", citations=[CitationOut("d1", "담당: 김유진 ☎ 8073-8312")]), DOCS)
    assert result.correct and result.numbers_faithful is False and result.verbatim_citations == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hit_at_k_and_mrr_agree_with_ranx(seed):
    rng = random.Random(seed)
    results, qrels, run = [], {}, {}
    for q in range(60):
        retrieved = [f"t{rng.randrange(30)}" for _ in range(10)]
        key = f"t{rng.randrange(30)}"
        results.append(score(item(f"q{q}", [key]), Observation(retrieved=retrieved), {}))
        # ranx view of the same run: items are ranks, the relevant one is where the evidence completes
        rank = first_full_hit(retrieved, [key])
        qrels[f"q{q}"] = {f"r{rank}" if rank else "never": 1}
        run[f"q{q}"] = {f"r{r}": 1.0 / r for r in range(1, 11)}
    ours = summarize(results)
    theirs = evaluate(Qrels(qrels), Run(run), ["hit_rate@1", "hit_rate@3", "hit_rate@5", "hit_rate@10", "mrr@10"])
    for k in (1, 3, 5, 10):
        assert ours[f"hit@{k}"] == pytest.approx(theirs[f"hit_rate@{k}"], abs=1e-4)
    assert ours["mrr@10"] == pytest.approx(theirs["mrr@10"], abs=1e-4)


def test_answer_body_drops_citation_markers_and_the_space_before_them():
    assert answer_body("정원 72명, 현원 68명입니다 [1]") == "정원 72명, 현원 68명입니다"
    assert answer_body("  노관령 [1][2], ☎ 8073-8344 [12]\n") == "노관령, ☎ 8073-8344"
    assert answer_body("[3] 단독") == "단독"
    assert answer_body("표 [가] 항목 [1a]") == "표 [가] 항목 [1a]"  # only [digits] are markers


def _answered(qid, keys, body, markers=" [1]", qtype="contact"):
    return score(item(qid, keys, qtype), Observation(answer=body + markers), DOCS)


def test_concise_accuracy_truthfulness_and_body_length_by_hand():
    # answerable: correct with a 200-character body (markers do not count), correct at 201, correct and short,
    # wrong, abstained, error; unanswerable: abstained, answered, error
    at_limit = _answered("a", ["김유진"], "김유진" + "가" * 197, markers=" [1] [2]")
    over_limit = _answered("b", ["김유진"], "김유진" + "가" * 198)
    short = _answered("c", ["8073-8312"], "☎ 8073-8312")
    wrong = _answered("d", ["8073-8312"], "☎ 8073-9999 입니다")
    abstained = score(item("e", ["김유진"]), Observation(answer="문서에서 찾지 못했습니다", abstained=True), DOCS)
    error = score(item("f", ["김유진"]), Observation(error="ConnectError: refused"), DOCS)
    right_abstention = score(item("g", [], "unanswerable", ""), Observation(answer="없음", abstained=True), DOCS)
    hallucination = _answered("h", [], "'17. 3. 28.", qtype="unanswerable")
    unanswerable_error = score(item("i", [], "unanswerable", ""), Observation(error="Timeout"), DOCS)
    results = [at_limit, over_limit, short, wrong, abstained, error, right_abstention, hallucination,
               unanswerable_error]

    assert [r.body_chars for r in results[:4]] == [200, 201, 11, 15]
    assert [r.truthfulness for r in results] == [1, 1, 1, -1, 0, 0, 1, -1, 0]
    s = summarize(results)
    assert s["accuracy"] == 0.5  # a, b, c of six answerable
    assert s["concise_accuracy"] == round(2 / 6, 4)  # a (exactly 200) and c; b is one character over
    assert s["truthfulness"] == round((1 + 1 + 1 - 1 + 0 + 0 + 1 - 1 + 0) / 9, 4)
    # body lengths over answered answerable questions only (a, b, c, d): 11, 15, 200, 201
    assert s["body_p50_chars"] == (15 + 200) / 2
    assert s["body_p90_chars"] == round(200 + 0.7 * (201 - 200), 1)  # linear: rank 0.9 * 3 = 2.7
    assert CONCISE_MAX_CHARS == 200
    # the earlier figures are still there
    assert s["false_abstention"] == round(1 / 6, 4) and s["errors"] == 2
    assert s["abstention_recall"] == round(1 / 3, 4)


def test_summaries_without_answers_have_no_body_length():
    s = summarize([score(item("e", ["김유진"]), Observation(abstained=True), DOCS),
                   score(item("g", [], "unanswerable", ""), Observation(abstained=True), DOCS)])
    assert s["body_p50_chars"] is None and s["body_p90_chars"] is None
    assert s["concise_accuracy"] == 0.0 and s["truthfulness"] == 0.5  # 0 for the abstention, +1 for the right one


def test_breakdown_by_tag_counts_an_item_once_per_tag():
    tagged = [QAItem(id=f"t{n}", type="number", question="q", must_contain=["김유진"], tags=tags)
              for n, tags in enumerate([["table_cell"], ["table_cell", "multi"], []])]
    results = [score(t, Observation(answer="김유진 [1]"), DOCS) for t in tagged]
    groups = breakdown(results, lambda i: i.tags)
    assert sorted(groups) == ["multi", "table_cell"]
    assert groups["table_cell"]["questions"] == 2 and groups["multi"]["questions"] == 1
