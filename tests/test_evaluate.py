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
