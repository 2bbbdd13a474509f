"""Validate the known-answer eval set (evals/questions/*.jsonl) against the parsed corpus.

`check_questions` returns problems (the item is wrong); gold that only disagrees with the
parser's extraction (units, targets, table cells) goes to `warnings`: the parser may be wrong.
`python -m evals.check [FILE ...]` prints a report and exits 1 when there are problems.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "evals" / "questions"
KINDS = ("lead_unit", "units", "target", "table", "unanswerable", "general")
FIELDS = ("id", "lang", "kind", "question", "gold", "clause_id", "evidence")
_CJK, _LATIN = re.compile(r"[\u3400-\u9fff]"), re.compile(r"[A-Za-z]")


def load_questions(path: str | Path) -> list[dict[str, Any]]:
    """Read one JSONL file of eval items (blank lines skipped); bad JSON raises ValueError."""
    items = []
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        try:
            items += [json.loads(line)] if line.strip() else []
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{no}: not valid JSON ({e})") from None
    return items


def _get(obj: Any, name: str, default: Any = None) -> Any:  # Clause or `rag corpus dump` dict
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


def _gold_ok(q: dict[str, Any]) -> bool:
    kind, gold = q["kind"], q["gold"]
    if kind == "lead_unit":
        return isinstance(gold.get("lead_unit"), str) and bool(gold["lead_unit"])
    if kind in ("units", "general"):
        vals = gold.get("units" if kind == "units" else "answer_contains")
        return isinstance(vals, list) and bool(vals) and all(isinstance(v, str) and v for v in vals)
    if kind == "unanswerable":
        return gold == {"found": False} and q["clause_id"] == "" and q["evidence"] == ""
    return all(isinstance(gold.get(k), str) for k in ("value", "number", "comparator", "year")) \
        and bool(gold["number"]) and gold["number"] in gold["value"] \
        and bool(re.fullmatch(r"20\d\d", gold["year"]))


def _compare_parsed(q: dict[str, Any], clause: Any) -> list[str]:
    """Where the gold disagrees with the parser's extraction (warnings, not problems)."""
    kind, gold = q["kind"], q["gold"]
    units = list(_get(clause, "units", ()) or ())
    if not units and _get(clause, "task") is not None:
        units = list(_get(_get(clause, "task"), "bodies", ()) or ())
    leads = units[:1] + [u for u, *_ in (_get(clause, "inline_leads", ()) or ())]
    if kind == "lead_unit" and gold["lead_unit"] not in leads:
        return [f"gold lead {gold['lead_unit']} not among parsed leads {leads}"]
    if kind == "units" and gold["units"] != units:
        return [f"gold units {gold['units']} != parsed {units}"]
    if kind == "table":
        row = _get(clause, "row")
        # Huzhou's 附件2 schedule has no cells: its year columns are read as the row's targets
        cells = [c for c in ((_get(row, "cells", ()) if row is not None else _get(clause, "targets", ())) or ())
                 if _get(c, "year") == gold["year"]]
        if not any((_get(c, "number") or _get(c, "value")) == gold["number"] and _get(c, "comparator", "")
                   in (gold["comparator"], "") for c in cells):
            seen = [(_get(c, "comparator"), _get(c, "value")) for c in cells]
            return [f"table cell {gold['year']} parsed as {seen}, gold {gold['number']}"]
    if kind == "target":
        nums = {(_get(t, "number"), _get(t, "year")) for t in _get(clause, "targets", ()) or ()}
        if (gold["number"], gold["year"]) not in nums:
            return [f"target {gold['number']} ({gold['year']}) not among parsed targets"]
    if kind == "general":
        return [f"answer string {s!r} not in clause text"
                for s in gold["answer_contains"] if s not in (_get(clause, "text") or "")]
    return []


def _item_problems(q: dict[str, Any], clauses_by_id: Mapping[str, Any],
                   warnings: list[str] | None) -> list[str]:
    out = []
    if set(q) - set(FIELDS):
        out.append(f"unknown fields {sorted(set(q) - set(FIELDS))}")
    if q["lang"] not in ("zh", "en") or q["kind"] not in KINDS or not q["question"].strip():
        return out + [f"bad lang {q['lang']!r}, kind {q['kind']!r} or empty question"]
    if not q["id"].startswith(q["lang"] + "-"):
        out.append(f"id should start with {q['lang']}-")
    cjk, latin = len(_CJK.findall(q["question"])), len(_LATIN.findall(q["question"]))
    if not (cjk > latin if q["lang"] == "zh" else latin >= max(cjk, 1)):
        out.append(f"question script does not match lang {q['lang']}")
    if not _gold_ok(q):
        return out + [f"gold does not fit kind {q['kind']}: {json.dumps(q['gold'], ensure_ascii=False)}"]
    if q["kind"] == "unanswerable":
        return out
    if (clause := clauses_by_id.get(q["clause_id"])) is None:
        return out + [f"unknown clause id {q['clause_id']!r}"]
    ev = q["evidence"]
    if not ev or ev not in (_get(clause, "text") or ""):
        return out + [f"evidence is not a substring of {q['clause_id']}: {ev[:40]!r}"]
    gold = q["gold"]
    must = {"lead_unit": [gold.get("lead_unit")], "units": gold.get("units"),
            "target": [gold.get("number")], "table": [gold.get("number")]}.get(q["kind"], [])
    if missing := [s for s in must if s not in ev]:
        out.append(f"evidence does not show {missing}")
    if warnings is not None:
        warnings += [f"{q['id']} [{q['clause_id']}]: {w}" for w in _compare_parsed(q, clause)]
    return out


def check_questions(questions: Iterable[dict[str, Any]], clauses_by_id: Mapping[str, Any],
                    warnings: list[str] | None = None) -> list[str]:
    """Problems in the eval items; parser disagreements are appended to `warnings` if given."""
    problems: list[str] = []
    seen: set[str] = set()
    for n, q in enumerate(questions, 1):
        tag = f"#{n} {q.get('id', '?') if isinstance(q, dict) else '?'}"
        if not isinstance(q, dict) or not isinstance(q.get("gold"), dict) or any(
                not isinstance(q.get(k), str) for k in FIELDS if k != "gold"):
            problems.append(f"{tag}: malformed item (needs string {', '.join(FIELDS)}; gold a dict)")
            continue
        for key, what in ((f"id:{q['id']}", "duplicate id"),
                          (f"q:{q['question'].strip()}", "duplicate question text")):
            if key in seen:
                problems.append(f"{tag}: {what}")
            seen.add(key)
        problems += [f"{tag}: {p}" for p in _item_problems(q, clauses_by_id, warnings)]
    return problems


def main(argv: list[str] | None = None) -> int:
    import argparse

    from rag.corpus import load_corpus

    p = argparse.ArgumentParser(prog="python -m evals.check", description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="*", type=Path, help="JSONL files (default: evals/questions/*.jsonl)")
    p.add_argument("--show-heldout", action="store_true",
                   help="print held-out warnings in full (by default only their count: reading them leaks answers)")
    args = p.parse_args(argv)
    files = args.files or sorted(QUESTIONS.glob("*.jsonl"))
    if missing := [f for f in files if not f.is_file()]:
        p.error(f"no such file: {missing[0]}")
    clauses = {c.id: c for c in load_corpus(ROOT / "corpus").clauses}
    bad = 0
    for path in files:
        warnings: list[str] = []
        items = load_questions(path)
        problems = check_questions(items, clauses, warnings)
        bad += len(problems)
        print(f"{path}: {len(items)} items, {len(problems)} problems, {len(warnings)} warnings")
        if path.stem == "heldout" and not args.show_heldout:
            # A warning names the item's clause and gold: the held-out rules say not to read them
            # while changing the chain. A problem (a broken item) is named by its id only.
            warnings = []
            problems = [" ".join(p.split(" ", 2)[:2]).rstrip(":") for p in problems]  # "#3 zh-ho9-lead_unit-02"
        print("".join([f"  problem {p}\n" for p in problems] + [f"  warning {w}\n" for w in warnings]), end="")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
