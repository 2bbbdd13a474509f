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


# Batches added after issue 3's bar was met on the suite (session 4): blind paraphrases and new
# held-out questions. They are reported by `rag eval` (README "Evals"), not gated here: a gate on
# held-out questions could only be passed by tuning on them.
LATER_BATCHES = ("-dev5-", "-dev6-", "-dev7-", "-ho6-", "-dev8-", "-ho7-", "-dev9-", "-dev10-", "-ho8-", "-dev11-", "-dev12-", "-dev13-", "-ho9-", "-dev14-", "-dev15-", "-dev16-", "-ho10-", "-dev17-", "-dev18-", "-dev19-", "-ho11-", "-dev20-", "-ho12-", "-dev21-", "-ho13-", "-dev22-", "-ho14-", "-dev23-", "-ho15-", "-dev24-", "-ho16-", "-dev25-", "-ho17-", "-dev26-", "-ho18-", "-dev27-", "-dev28-", "-ho19-", "-ho20-",
                 "-dev29-", "-dev30-", "-ho21-", "-ho22-", "-dev31-", "-dev32-", "-ho23-", "-ho24-", "-dev33-", "-dev34-", "-ho25-", "-ho26-",
                 "-dev35-", "-dev36-", "-ho27-", "-ho28-")


def test_right_clause_rank_1_over_the_eval_questions(assistant):
    """Issue 3's bar over the eval suite's staff-style questions (not copied from the clauses), zh
    and en, as the suite stood when the bar was met (`LATER_BATCHES` excluded). At rank 1 a clause
    that states the gold figure for its year counts too (the same target in the running text and
    an indicator table); top-5 asks for the gold clause itself."""
    from collections import defaultdict
    from pathlib import Path

    from rag.evaluate import load_questions, states_gold

    qdir = Path(__file__).resolve().parent.parent / "evals" / "questions"
    items = [q for q in load_questions(sorted(qdir.glob("*.jsonl")))
             if q.get("clause_id") and q["kind"] != "unanswerable" and not any(b in q["id"] for b in LATER_BATCHES)]
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


# -- the vectorised ranking equals the per-unit loop it replaced ---------------------------------

def _loop_best_per_clause(scores, clause_of, allowed):
    """The previous `_best_per_clause`: every unit in score order (ties: lower index first)."""
    import numpy as np

    best = {}
    for i in np.argsort(-scores, kind="stable"):
        if allowed[i] and clause_of[i] not in best:
            best[clause_of[i]] = (float(scores[i]), int(i))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_best_per_clause_equals_the_loop_on_random_scores(seed):
    import numpy as np

    from rag.retrieve import _best_per_clause

    rng = np.random.default_rng(seed)
    n = 3000
    unit_clause = np.sort(rng.integers(0, 400, n))  # units of a clause are contiguous
    scores = np.round(rng.normal(size=n), 1).astype("float32")  # rounded: many ties
    allowed = (rng.random(n) < 0.7) & (scores > 0)
    ids = np.flatnonzero(allowed)
    got = _best_per_clause(ids, scores[ids], unit_clause)
    want = _loop_best_per_clause(scores, unit_clause, allowed)
    assert list(got.clauses) == list(want)  # the same clauses in the same order
    assert [(float(s), int(u)) for s, u in zip(got.scores, got.units, strict=True)] == list(want.values())


def _loop_search(s, query, k, docs=None, mode="hybrid", fusion="rrf", lexical_terms=(),
                 weights=(1.0, 1.0), coverage_weight=0.0, years=None):
    """`Searcher.search` as it was: per-unit loops over the whole corpus, every clause fused."""
    import faiss
    import numpy as np

    from rag.retrieve import COVERAGE_POOL, RRF_K, Hit

    n = len(s.units)
    clause_of = [u.clause_id for u in s.units]
    allowed = np.ones(n, dtype=bool) if not docs else np.isin([u.doc for u in s.units], list(docs))
    if years:
        allowed &= np.array([not set(u.years).isdisjoint(years) for u in s.units])
    dense, lex = {}, {}
    if mode in ("hybrid", "dense"):
        params = None
        if docs or years:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.flatnonzero(allowed).astype("int64")))
        sims, ids = s.index.faiss_index.search(s.embedder.encode([query]), min(n, 400), params=params)
        scores = np.full(n, -1.0, dtype="float32")
        scores[ids[0][ids[0] >= 0]] = sims[0][ids[0] >= 0]
        dense = _loop_best_per_clause(scores, clause_of, allowed & (scores > -1.0))
    tokens = s.tokenizer.query(query) + [t for term in lexical_terms for t in s.tokenizer.query(term)]
    if mode in ("hybrid", "lexical") and tokens:
        scores = s.bm25.get_scores(tokens)
        lex = _loop_best_per_clause(scores, clause_of, allowed & (scores > 0))
    dr = {c: r for r, c in enumerate(dense, 1)}
    lr = {c: r for r, c in enumerate(lex, 1)}
    top_lex = max((v for v, _ in lex.values()), default=1.0) or 1.0
    hits = []
    for cid in set(dense) | set(lex):
        d, lx = dense.get(cid, (0.0, -1)), lex.get(cid, (0.0, -1))
        if fusion == "weighted":
            score = weights[0] * max(d[0], 0.0) + weights[1] * lx[0] / top_lex
        else:
            score = sum(w / (RRF_K + r[cid]) for w, r in zip(weights, (dr, lr), strict=True) if cid in r)
        unit = d[1] if d[1] >= 0 and (lx[1] < 0 or d[0] >= 0.5) else lx[1]
        hits.append(Hit(cid, score, s.units[unit], d[0], lx[0], dr.get(cid), lr.get(cid)))
    hits.sort(key=lambda h: (-h.score, h.clause_id))
    if coverage_weight > 0 and hits:
        top = hits[0].score or 1.0
        pool = [Hit(h.clause_id, h.score / top + coverage_weight * s.coverage(tokens, h.clause_id), h.unit,
                    h.dense, h.lexical, h.dense_rank, h.lexical_rank) for h in hits[:COVERAGE_POOL]]
        hits = sorted(pool, key=lambda h: (-h.score, h.clause_id)) + hits[COVERAGE_POOL:]
    return hits[:k]


SEARCHES = [
    {},
    {"mode": "dense"},
    {"mode": "lexical"},
    {"fusion": "weighted", "k": 30},
    {"coverage_weight": 1.0, "lexical_terms": ("医院", "卫生健康委"), "k": 60},
    {"docs": ("002", "004")},
    {"years": ("2025", "2024")},
    {"docs": ("000",), "years": ("2023",), "k": 3},
    {"k": 500},
]


@pytest.mark.parametrize("options", SEARCHES)
def test_search_equals_the_per_unit_loop(assistant, options):
    questions = [q for q, _ in CASES] + ["湖州2024年CMI目标是多少？", "县域就诊率", "家庭医生签约覆盖率目标"]
    options = dict(options)
    k = options.pop("k", 20)
    for q in questions:
        got = assistant.searcher.search(q, k, **options)
        assert got == _loop_search(assistant.searcher, q, k, **options), q


def test_a_clause_writing_another_form_of_a_glossary_name_covers_it(assistant):
    s = assistant.searcher
    name = s.tokenizer.query("紧急医学救援", fixed=True)
    forms = [frozenset(s.tokenizer.query(f, fixed=True)) for f in ("紧急医疗救援", "应急医疗救援")]
    plain, credited = (s.coverages(name, ["003/三/（五）/1"], alts)[0]
                       for alts in ((), [(frozenset(name), forms)]))
    assert plain < 0.99 and credited == pytest.approx(1.0)  # the clause writes 紧急医疗救援队


def test_a_plan_dated_by_year_narrows_the_filter(assistant):
    a = assistant.ask("Zhejiang 2021 hospital plan: by 2025, what portion of beds in county public hospitals should be in tertiary ones?")
    assert "001" not in a.slots["filter"] and a.slots["query"].plan_years == ("2021",)  # 001 is of 2023
    b = assistant.ask("How many nationally recognised health talents does the 2021 plan for public hospitals aim for by 2025?")
    assert b.slots["filter"] == ["000"], b.slots["filter"]
