"""The known-answer eval set: every item well-formed and grounded in the real corpus."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from evals.check import KINDS, check_questions, load_questions
from rag.corpus import load_corpus

REPO = Path(__file__).resolve().parent.parent
QDIR = REPO / "evals" / "questions"
# rough minimum per kind over both splits (the set aims at ~65/22/55/38/28/12)
MIN_PER_KIND = {"lead_unit": 55, "units": 18, "target": 45, "table": 30,
                "unanswerable": 22, "general": 10}


@pytest.fixture(scope="module")
def clauses_by_id():
    return {c.id: c for c in load_corpus(REPO / "corpus").clauses}


@pytest.fixture(scope="module")
def splits():
    return {name: load_questions(QDIR / f"{name}.jsonl") for name in ("dev", "heldout")}


@pytest.mark.parametrize("name", ["dev", "heldout"])
def test_items_are_grounded_in_the_corpus(name, splits, clauses_by_id):
    problems = check_questions(splits[name], clauses_by_id)
    assert problems == [], "\n".join(problems)


def test_ids_and_questions_do_not_repeat_across_splits(splits, clauses_by_id):
    dev, held = splits["dev"], splits["heldout"]
    assert not {q["id"] for q in dev} & {q["id"] for q in held}
    assert not {q["question"] for q in dev} & {q["question"] for q in held}
    assert check_questions(dev + held, clauses_by_id) == []


def test_checker_catches_broken_items(clauses_by_id):
    good = {"id": "zh-lead-999", "lang": "zh", "kind": "lead_unit", "question": "日间手术谁牵头？",
            "gold": {"lead_unit": "省卫生健康委"}, "clause_id": "000/二/（三）/1",
            "evidence": "（责任单位：省卫生健康委〔省中医药局〕、省医保局）"}
    assert check_questions([good], clauses_by_id) == []
    broken = [
        {**good, "clause_id": "000/九/9"},
        {**good, "id": "zh-lead-998", "evidence": "（责任单位：省医保局）"},
        {**good, "id": "zh-lead-997", "question": "Who leads day surgery?"},
        {**good, "id": "zh-lead-996", "gold": {"units": ["省卫生健康委"]}},
        {k: v for k, v in good.items() if k != "evidence"},
        {**good, "id": "zh-unans-1", "kind": "unanswerable", "gold": {"found": False}},
    ]
    problems = check_questions([good, *broken], clauses_by_id)
    assert len(problems) >= len(broken), problems
    assert any("duplicate id" in p for p in problems)
    warnings: list[str] = []
    other_lead = {**good, "id": "zh-lead-995", "question": "日间手术谁牵头？（医保）",
                  "gold": {"lead_unit": "省医保局"}}
    assert check_questions([other_lead], clauses_by_id, warnings) == []
    assert warnings and "省医保局" in warnings[0]


def test_checker_reads_the_schedules_year_columns(clauses_by_id):
    # Huzhou's 附件2 has no table cells: a year's figure is that year's column, read as a target
    item = {"id": "zh-table-999", "lang": "zh", "kind": "table", "question": "县域医疗副中心2024年累计建成几个？",
            "gold": {"value": "6个", "number": "6", "comparator": "", "year": "2024"},
            "clause_id": "002/附件2/2", "evidence": "累计建成6个县域医疗副中心"}
    warnings: list[str] = []
    assert check_questions([item], clauses_by_id, warnings) == [] and warnings == []
    wrong_year = {**item, "id": "zh-table-998", "gold": {**item["gold"], "year": "2023"}}
    assert check_questions([wrong_year], clauses_by_id, warnings) == []
    assert warnings and "table cell 2023" in warnings[0]


def test_size_and_split_ratio(splits):
    n_dev, n_held = len(splits["dev"]), len(splits["heldout"])
    assert n_dev + n_held >= 200
    assert 0.25 <= n_held / (n_dev + n_held) <= 0.35


def test_language_mix(splits):
    for name, items in [("all", splits["dev"] + splits["heldout"]), *splits.items()]:
        share_zh = Counter(q["lang"] for q in items)["zh"] / len(items)
        assert 0.5 <= share_zh <= 0.7, (name, share_zh)


def test_kind_mix(splits):
    both = splits["dev"] + splits["heldout"]
    kinds = Counter(q["kind"] for q in both)
    for kind, least in MIN_PER_KIND.items():
        assert kinds[kind] >= least, (kind, kinds[kind])
    for name, items in splits.items():
        pairs = Counter((q["kind"], q["lang"]) for q in items)
        missing = [(k, lang) for k in KINDS for lang in ("zh", "en") if not pairs[(k, lang)]]
        assert not missing, (name, missing)


def test_every_plan_is_asked_about(splits):
    both = splits["dev"] + splits["heldout"]
    docs = Counter(q["clause_id"].split("/")[0] for q in both if q["clause_id"])
    assert set(docs) == {"000", "001", "002", "003", "004"}
    assert min(docs.values()) >= 10, docs


def test_the_checker_cli_explains_itself_and_names_a_missing_file(capsys):
    from evals.check import main

    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0 and "JSONL files" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["/no/such/file.jsonl"])
    assert e.value.code == 2 and "no such file: /no/such/file.jsonl" in capsys.readouterr().err


PARAPHRASES = sorted((REPO / "evals" / "paraphrases").glob("*.jsonl"))


@pytest.mark.parametrize("path", PARAPHRASES, ids=lambda p: p.stem)
def test_paraphrases_reword_dev_items_only(path, splits, clauses_by_id):
    # Each item rewords one dev item ("<dev id>-pa"/"-pb") for the same answer; none may carry a
    # held-out question's fact, and each is grounded like any other item. A reword in the other
    # language says so before the dev id ("en-x-zh-target-020-pa"), so its id names its language.
    items = load_questions(path)
    dev = {q["id"]: q for q in splits["dev"]}
    held = {q["question"] for q in splits["heldout"]}
    assert items and check_questions(items, clauses_by_id) == []
    for q in items:
        src_id = re.sub(r"^(?:en|zh)-x-", "", q["id"])
        assert src_id == q["id"] or not src_id.startswith(q["lang"] + "-"), q["id"]
        src = dev.get(src_id[:-3])
        assert q["id"][-3:] in ("-pa", "-pb") and src is not None, q["id"]
        assert (q["kind"], q["gold"], q["clause_id"]) == (src["kind"], src["gold"], src["clause_id"]), q["id"]
        assert q["question"] not in held and q["question"] != src["question"], q["id"]


def test_check_keeps_held_out_warnings_unread(tmp_path, splits, capsys):
    # A warning names an item's clause and gold lead: for a held-out file only the count is
    # printed, unless asked for in full.
    from evals.check import main

    item = next(dict(q) for q in splits["dev"] if q["kind"] == "lead_unit" and "省医保局" in q["evidence"]
                and q["gold"]["lead_unit"] != "省医保局")
    item["gold"] = {"lead_unit": "省医保局"}  # on the clause's list, not its parsed lead: a warning
    for name in ("heldout", "other"):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    main([str(tmp_path / "heldout.jsonl"), str(tmp_path / "other.jsonl")])
    out = capsys.readouterr().out
    assert "heldout.jsonl: 1 items, 0 problems, 1 warnings" in out and out.count("gold lead 省医保局") == 1, out
    main(["--show-heldout", str(tmp_path / "heldout.jsonl")])
    assert "gold lead 省医保局" in capsys.readouterr().out
