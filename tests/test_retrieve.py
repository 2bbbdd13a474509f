"""Hybrid retrieval on the real corpus and index: the right clause at rank 1."""

from __future__ import annotations

import pytest

CASES = [
    ("日间手术比例由哪个单位牵头？", "000/二/（三）/1"),
    ("医疗服务价格改革谁牵头", "000/二/（五）/1"),
    ("省肿瘤医院牵头建设什么平台", "003/三/（四）/4"),
    ("湖州人事薪酬制度改革行动由谁牵头", "002/三/（二）/3"),
    ("Which department leads medical service price reform in the provincial plan?", "000/二/（五）/1"),
]


@pytest.mark.parametrize("question,clause_id", CASES)
def test_right_clause_first(assistant, question, clause_id):
    hits = assistant.search(question, 5)
    assert hits[0].clause_id == clause_id, [h.clause_id for h in hits]


def test_document_filter(assistant):
    hits = assistant.searcher.search("县域就诊率", 10, docs=["004"])
    assert hits and all(h.clause_id.startswith("004/") for h in hits)


def test_modes_differ_and_explain(assistant):
    q = "三级公立医院病例组合指数"
    dense = assistant.searcher.search(q, 5, mode="dense")
    lexical = assistant.searcher.search(q, 5, mode="lexical")
    assert all(h.lexical_rank is None for h in dense)
    assert all(h.dense_rank is None for h in lexical)
    e = lexical[0].explain()
    assert set(e) >= {"clause_id", "score", "dense_rank", "lexical_rank", "matched"}


def test_matched_unit_quote_is_in_its_clause(assistant):
    for h in assistant.searcher.search("家庭医生签约覆盖率目标", 8):
        assert h.unit.quote in assistant.clauses[h.clause_id].text


def test_langchain_retriever_returns_whole_clauses(assistant):
    from rag.retrieve import ClauseRetriever

    r = ClauseRetriever(searcher=assistant.searcher, clauses=assistant.clauses, k=3)
    docs = r.invoke("省肿瘤医院牵头建设什么平台")
    assert len(docs) == 3
    assert docs[0].metadata["clause_id"] == "003/三/（四）/4"
    assert docs[0].page_content == assistant.clauses["003/三/（四）/4"].text


def test_right_clause_rank_1_over_the_eval_questions(assistant):
    """Issue 3's bar over the eval suite's staff-style questions (not copied from the clauses), zh
    and en. At rank 1 a clause that states the gold figure for its year counts too (the same
    target in the running text and an indicator table); top-5 asks for the gold clause itself."""
    from collections import defaultdict
    from pathlib import Path

    from rag.evaluate import load_questions, states_gold

    qdir = Path(__file__).resolve().parent.parent / "evals" / "questions"
    items = [q for q in load_questions(sorted(qdir.glob("*.jsonl")))
             if q.get("clause_id") and q["kind"] != "unanswerable"]
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for q in items:
        ids = [h.clause_id for h in assistant.search(q["question"], 5)]
        s = stats[q["lang"]]
        first = ids[0] == q["clause_id"] or states_gold(assistant.clauses[ids[0]], q["gold"])
        s[0], s[1], s[2] = s[0] + 1, s[1] + first, s[2] + (q["clause_id"] in ids)
    assert stats["zh"][0] >= 60 and stats["en"][0] >= 60
    hit1 = {lang: s[1] / s[0] for lang, s in stats.items()}
    hit5 = sum(s[2] for s in stats.values()) / sum(s[0] for s in stats.values())
    assert hit1["zh"] >= 0.95 and hit1["en"] >= 0.90, hit1
    assert hit5 >= 0.99, hit5


def test_weighted_fusion_and_ablation_options_run(assistant):
    q = "Which department leads medical service price reform in the provincial plan?"
    for options in ({"fusion": "weighted"}, {"coverage": 0.0}, {"expand": False}, {"mode": "lexical"}):
        assert assistant.search(q, 5, **options)
    assert assistant.search(q, 5)[0].clause_id == "000/二/（五）/1"
