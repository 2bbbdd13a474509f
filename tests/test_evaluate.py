"""The eval suite as a gate: the whole known-answer set through the chain, against the baseline."""

from __future__ import annotations

import copy
import json

from rag import evaluate as E

from .conftest import REPO

QUESTIONS = REPO / "evals" / "questions"
BASELINE = REPO / "evals" / "baseline.json"


def test_scorer_reads_values_as_written():
    item = {"kind": "target", "gold": {"number": "15", "year": "2025"}}
    ans = {"found": True, "targets": [{"value": "15个", "year": "2025"}]}
    assert E.score(item, ans)
    assert not E.score(item, {**ans, "targets": [{"value": "15个", "year": "2027"}]})
    assert E.score({"kind": "unanswerable", "gold": {"found": False}}, {"found": False})


def test_scorer_rejects_another_indicator_with_the_gold_figure(clauses):
    # Huzhou's 2025 bed use rate at township health centres is 50% (三/（一）/4); 50% of township
    # health centres offering palliative care (三/（三）/2) shares the figure, not the fact.
    item = {"kind": "target", "clause_id": "002/三/（一）/4", "gold": {"number": "50", "year": "2025"}}
    other = {"value": "50%", "year": "2025", "clause_id": "002/三/（三）/2", "indicator": "的乡镇卫生院开展安宁疗护服务"}
    assert E.score(item, {"found": True, "targets": [other]})  # without the clauses: the figure only
    assert not E.score(item, {"found": True, "targets": [other]}, clauses)
    gold_target = next(t for t in clauses["002/三/（一）/4"].targets if t.number == "50")
    same = {**other, "clause_id": "002/三/（一）/4", "indicator": gold_target.indicator}
    assert E.score(item, {"found": True, "targets": [same]}, clauses)
    # the 2025 level-IV surgery share, written in the body text and again in 附件1's row
    item = {"kind": "target", "clause_id": "002/三/（一）/1", "gold": {"number": "19", "year": "2025"}}
    row = {"value": "19%", "year": "2025", "clause_id": "002/附件1/4", "indicator": "三级公立医院出院患者四级手术比例"}
    assert E.score(item, {"found": True, "targets": [row]}, clauses)


def test_suite_passes_the_regression_gate(assistant, tmp_path):
    questions = E.load_questions([QUESTIONS / "dev.jsonl", QUESTIONS / "heldout.jsonl"])
    assert len(questions) >= 200
    report = E.run(assistant, questions)
    (tmp_path / "report.json").write_text(json.dumps(report, ensure_ascii=False))
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    problems = E.gate(report, baseline)
    regressions = E.compare(report, baseline)
    assert not problems, (problems, regressions[:10])
    assert report["summary"]["bad_citations"] == 0


def test_gate_fails_a_worse_report():
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    worse = copy.deepcopy(baseline)
    worse["summary"]["accuracy"]["all/lead_unit"]["accuracy"] -= 0.10
    worse["summary"]["bad_citations"] = 1
    problems = E.gate(worse, baseline)
    assert any("all/lead_unit" in p for p in problems)
    assert any("citation" in p for p in problems)
    assert E.gate(baseline, baseline) == []
