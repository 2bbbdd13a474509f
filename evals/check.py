"""Validate the known-answer eval set (evals/questions/*.jsonl) against the parsed corpus.

`check_questions` returns problems (the item is wrong and must be fixed); gold that merely
disagrees with what the parser extracted (units, targets, table cells) goes to `warnings`,
because there the parser, not the eval, may be the one at fault.
Run `python -m evals.check [FILE ...]` for a report; exit status 1 when there are problems.
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
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def load_questions(path: str | Path) -> list[dict[str, Any]]:
    """Read one JSONL file of eval items (blank lines skipped); bad JSON raises ValueError."""
    items = []
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{no}: not valid JSON ({e})") from None
    return items


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Field of a Clause object or of a clause dict from `rag corpus dump`."""
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


def _parsed_units(clause: Any) -> tuple[list[str], list[str]]:
    """(listed units in order, every name the parser saw as a lead)."""
    units = list(_get(clause, "units", ()) or ())
    task = _get(clause, "task")
    if not units and task is not None:
        units = list(_get(task, "bodies", ()) or ())
    leads = [u for u, *_ in (_get(clause, "inline_leads", ()) or ())]
    return units, units[:1] + leads


def _gold_problems(q: dict[str, Any]) -> list[str]:
    kind, gold = q["kind"], q["gold"]
    if kind == "lead_unit":
        ok = isinstance(gold.get("lead_unit"), str) and gold["lead_unit"]
    elif kind == "units":
        ok = isinstance(gold.get("units"), list) and gold["units"] and all(
            isinstance(u, str) and u for u in gold["units"])
    elif kind in ("target", "table"):
        ok = all(isinstance(gold.get(k), str) for k in ("value", "number", "comparator", "year"))
        ok = ok and gold["number"] and gold["number"] in gold["value"]
        ok = ok and re.fullmatch(r"20\d\d", gold["year"]) is not None
    elif kind == "unanswerable":
        ok = gold == {"found": False} and q["clause_id"] == "" and q["evidence"] == ""
    else:
        ok = isinstance(gold.get("answer_contains"), list) and gold["answer_contains"] and all(
            isinstance(s, str) and s for s in gold["answer_contains"])
    return [] if ok else [f"gold does not fit kind {kind!r}: {json.dumps(gold, ensure_ascii=False)}"]


def _compare_parsed(q: dict[str, Any], clause: Any) -> list[str]:
    """Where the gold disagrees with the parser's extraction (warnings, not problems)."""
    kind, gold, out = q["kind"], q["gold"], []
    if kind == "lead_unit":
        _, leads = _parsed_units(clause)
        if gold["lead_unit"] not in leads:
            out.append(f"gold lead {gold['lead_unit']} not among parsed leads {leads}")
    elif kind == "units":
        units, _ = _parsed_units(clause)
        if gold["units"] != units:
            out.append(f"gold units {gold['units']} != parsed {units}")
    elif kind == "table":
        row = _get(clause, "row")
        cells = [c for c in (_get(row, "cells", ()) or ()) if _get(c, "year") == gold["year"]]
        if not any(_get(c, "value") == gold["number"] and _get(c, "comparator", "") in (
                gold["comparator"], "") for c in cells):
            seen = [(_get(c, "comparator"), _get(c, "value")) for c in cells]
            out.append(f"table cell {gold['year']} parsed as {seen}, gold {gold['number']}")
    elif kind == "target":
        nums = {(_get(t, "number"), _get(t, "year")) for t in _get(clause, "targets", ()) or ()}
        if (gold["number"], gold["year"]) not in nums:
            out.append(f"target {gold['number']} ({gold['year']}) not among parsed targets")
    return out


def _script_ok(lang: str, text: str) -> bool:
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    return cjk > latin if lang == "zh" else latin >= max(cjk, 1)


def check_questions(questions: Iterable[dict[str, Any]], clauses_by_id: Mapping[str, Any],
                    warnings: list[str] | None = None) -> list[str]:
    """Problems in the eval items; parser disagreements are appended to `warnings` if given."""
    problems: list[str] = []
    seen_ids: set[str] = set()
    seen_questions: set[str] = set()
    for n, q in enumerate(questions, 1):
        tag = f"#{n} {q.get('id', '?') if isinstance(q, dict) else '?'}"
        if not isinstance(q, dict) or any(not isinstance(q.get(k), str) for k in FIELDS if k != "gold") \
                or not isinstance(q.get("gold"), dict):
            problems.append(f"{tag}: malformed item (needs string {', '.join(FIELDS)}; gold a dict)")
            continue
        if set(q) - set(FIELDS):
            problems.append(f"{tag}: unknown fields {sorted(set(q) - set(FIELDS))}")
        if q["id"] in seen_ids:
            problems.append(f"{tag}: duplicate id")
        seen_ids.add(q["id"])
        if q["question"].strip() in seen_questions:
            problems.append(f"{tag}: duplicate question text")
        seen_questions.add(q["question"].strip())
        if q["lang"] not in ("zh", "en") or q["kind"] not in KINDS or not q["question"].strip():
            problems.append(f"{tag}: bad lang {q['lang']!r}, kind {q['kind']!r} or empty question")
            continue
        if not q["id"].startswith(q["lang"] + "-"):
            problems.append(f"{tag}: id should start with {q['lang']}-")
        if not _script_ok(q["lang"], q["question"]):
            problems.append(f"{tag}: question script does not match lang {q['lang']}")
        gold_problems = _gold_problems(q)
        problems += [f"{tag}: {p}" for p in gold_problems]
        if q["kind"] == "unanswerable" or gold_problems:
            continue
        clause = clauses_by_id.get(q["clause_id"])
        if clause is None:
            problems.append(f"{tag}: unknown clause id {q['clause_id']!r}")
            continue
        ev = q["evidence"]
        if not ev or ev not in (_get(clause, "text") or ""):
            problems.append(f"{tag}: evidence is not a substring of {q['clause_id']}: {ev[:40]!r}")
            continue
        must = {"lead_unit": [q["gold"].get("lead_unit")], "units": q["gold"].get("units"),
                "target": [q["gold"].get("number")], "table": [q["gold"].get("number")],
                "general": []}[q["kind"]]
        missing = [s for s in must or [] if s not in ev]
        if missing:
            problems.append(f"{tag}: evidence does not show {missing}")
        if warnings is not None:
            warnings += [f"{tag} [{q['clause_id']}]: {w}" for w in _compare_parsed(q, clause)]
            if q["kind"] == "general":
                text = _get(clause, "text") or ""
                warnings += [f"{tag}: answer string {s!r} not in clause text"
                             for s in q["gold"]["answer_contains"] if s not in text]
    return problems


def main(argv: list[str] | None = None) -> int:
    from rag.corpus import load_corpus

    files = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or sorted(
        QUESTIONS.glob("*.jsonl"))
    clauses = {c.id: c for c in load_corpus(ROOT / "corpus").clauses}
    bad = 0
    for path in files:
        warnings: list[str] = []
        problems = check_questions(load_questions(path), clauses, warnings)
        bad += len(problems)
        print(f"{path}: {len(load_questions(path))} items, {len(problems)} problems, "
              f"{len(warnings)} warnings")
        for p in problems:
            print(f"  problem {p}")
        for w in warnings:
            print(f"  warning {w}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
