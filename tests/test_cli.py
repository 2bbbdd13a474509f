"""The `rag` command line as scripts call it: the --json contract, batch mode, errors."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import CORPUS

KEYS = {"question", "language", "intent", "found", "answer", "lead_unit", "units", "targets", "citations"}


def _rag(index_dir, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", "--corpus", str(CORPUS), "--index", str(index_dir), *args],
        input=stdin, capture_output=True, text=True, timeout=120,
    )


def test_ask_json_contract(index_dir):
    r = _rag(index_dir, "ask", "--json", "日间手术比例由哪个单位牵头？")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert KEYS <= set(d) and d["lead_unit"] == "省卫生健康委"


def test_ask_json_batch_one_object_per_line(index_dir):
    r = _rag(index_dir, "ask", "--json", "-", stdin="湖州2024年CMI目标是多少？\n\nWhich department leads medical service price reform?\n")
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.returncode == 0 and len(lines) == 3
    assert lines[1]["found"] is False and "empty" in lines[1]["error"]
    assert lines[2]["lead_unit"] == "省医保局"


def test_empty_question_exits_2_without_traceback(index_dir):
    r = _rag(index_dir, "ask", "   ")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "empty" in r.stderr


def test_search_metadata_filters_region_and_year(index_dir):
    r = _rag(index_dir, "search", "CMI目标", "--region", "Huzhou", "--year", "2024", "--json")
    rows = json.loads(r.stdout)
    assert r.returncode == 0 and rows and all(row["doc"] == "002" for row in rows)
    bad = _rag(index_dir, "search", "CMI", "--region", "Hangzhou")
    assert bad.returncode == 1 and "no plan covers region" in bad.stderr and "Traceback" not in bad.stderr


def test_eval_takes_one_question_file_and_names_a_bad_one(index_dir, tmp_path):
    one = tmp_path / "batch.jsonl"
    one.write_text(json.dumps({"id": "zh-x-lead_unit-01", "lang": "zh", "kind": "lead_unit",
                               "question": "日间手术比例由哪个单位牵头？", "gold": {"lead_unit": "省卫生健康委"},
                               "clause_id": "", "evidence": ""}, ensure_ascii=False) + "\n", encoding="utf-8")
    r = _rag(index_dir, "eval", "--questions", str(one), "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "out" / "latest.json").read_text(encoding="utf-8"))["results"][0]["pass"]
    (tmp_path / "bad.jsonl").write_text('{"id": "x"}\nnot json\n', encoding="utf-8")
    for path, says in ((tmp_path / "none", "no question file"), (tmp_path / "bad.jsonl", "bad.jsonl:1: the item lacks")):
        r = _rag(index_dir, "eval", "--questions", str(path), "--out", str(tmp_path / "out"))
        assert r.returncode == 1 and says in r.stderr and "Traceback" not in r.stderr, r.stderr
