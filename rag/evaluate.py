"""The eval runner: known-answer questions through the same chain as the UI, scored and gated."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .chain import Assistant
from .errors import RagError

HEADLINES = ("lead_unit", "units", "target", "table", "unanswerable", "general")
_FIELDS = ("id", "lang", "kind", "question", "gold")  # what scoring reads; evals.check checks the rest
TOLERANCE = 0.02  # a headline accuracy may drop this much below the baseline before the gate fails


def load_questions(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """The items of each JSONL file, each tagged with its file's stem as its split.

    Raises:
        RagError: a line is not a JSON object.
    """
    out = []
    for p in paths:
        split = p.stem
        for no, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                raise RagError(f"{p}:{no}: not valid JSON ({e.msg})") from None
            if not isinstance(item, dict):
                raise RagError(f"{p}:{no}: an eval item is a JSON object, not {type(item).__name__}")
            if lacking := [f for f in _FIELDS if f not in item]:
                raise RagError(f"{p}:{no}: the item lacks {', '.join(lacking)}")
            out.append({**item, "split": split})
    return out


def _num(s: str) -> float | None:
    """The leading number of a value as written: "15个" → 15.0, "≥1.05" → 1.05, "45%" → 45.0."""
    m = re.search(r"\d+(?:\.\d+)?", str(s).replace(",", ""))
    return float(m.group(0)) if m else None


def _bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)}


def _same_fact(t: dict[str, Any], item: dict[str, Any], clauses: dict[str, Any] | None, want: float | None) -> bool:
    """Whether an answer's target with the gold figure is the gold fact, not another indicator
    that happens to share the figure: it is from the gold clause, or its indicator shares a
    two-character word with an indicator the gold clause gives that figure (the same figure in
    an indicator table has a longer or shorter name: 四级手术占比 / 三级公立医院出院患者四级手术比例).
    Without the clauses, or when the gold clause gives no parsed target with that figure, any
    target with the figure counts."""
    gold_clause = clauses.get(item.get("clause_id", "")) if clauses else None
    if gold_clause is None or t.get("clause_id") == gold_clause.id:
        return True
    names = [g.indicator for g in gold_clause.targets if _num(g.value) == want]
    return not names or any(_bigrams(n) & _bigrams(t.get("indicator", "")) for n in names)


def score(item: dict[str, Any], ans: dict[str, Any], clauses: dict[str, Any] | None = None) -> bool:
    """Whether an answer (contract JSON) is right for a question's gold. With the parsed
    `clauses`, a figure must also be the gold clause's fact (`_same_fact`)."""
    gold, kind = item["gold"], item["kind"]
    if kind == "unanswerable":
        return not ans["found"]
    if not ans["found"]:
        return False
    if kind == "lead_unit":
        return ans["lead_unit"] == gold["lead_unit"]
    if kind == "units":
        g = gold["units"]
        return list(ans["units"][: len(g)]) == g
    if kind in ("target", "table"):
        want = _num(gold.get("number") or gold.get("value", ""))
        for t in ans["targets"]:
            if (_num(t["value"]) == want and (not gold.get("year") or t["year"] == gold["year"])
                    and _same_fact(t, item, clauses, want)):
                return True
        return False
    if kind == "general":
        text = ans["answer"] + " ".join(c["quote"] for c in ans["citations"])
        return all(s in text for s in gold.get("answer_contains", []))
    return False


def _rank(item: dict[str, Any], ans: dict[str, Any], clauses: dict[str, Any] | None = None) -> int | None:
    """Rank of the gold clause among the retrieved ones; with `clauses`, of the first clause that
    is the gold one or states the gold figure (`states_gold`)."""
    ids = [r["clause_id"] for r in ans.get("retrieval", [])]
    gold = item.get("clause_id")
    return next((i for i, c in enumerate(ids, 1)
                 if c == gold or (clauses is not None and states_gold(clauses[c], item["gold"]))), None)


def states_gold(clause: Any, gold: dict[str, Any]) -> bool:
    """Whether a clause states a target question's gold figure for its year: a figure written
    in the running text and again in an indicator table has two right clauses."""
    number, year = gold.get("number"), gold.get("year")
    return bool(number) and any(t.number == number and t.year == year for t in clause.targets)


def run(
    assistant: Assistant,
    questions: list[dict[str, Any]],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Ask every question; return per-item results and summary metrics."""
    results = []
    clauses = assistant.clauses
    for i, item in enumerate(questions, 1):
        t0 = time.perf_counter()
        a = assistant.ask(item["question"])
        ms = (time.perf_counter() - t0) * 1000
        ans = a.to_json()
        ans["retrieval"] = list(a.retrieval)
        bad_cites = [c for c in ans["citations"] if c["quote"] not in clauses[c["clause_id"]].text]
        cited = [c["clause_id"] for c in ans["citations"]]
        results.append({
            "id": item["id"], "split": item["split"], "lang": item["lang"], "kind": item["kind"],
            "question": item["question"], "gold": item["gold"], "clause_id": item.get("clause_id", ""),
            "pass": score(item, ans, clauses), "rank": _rank(item, ans), "fact_rank": _rank(item, ans, clauses),
            "cited_gold": item.get("clause_id") in cited,
            "found": ans["found"], "answer": ans["answer"], "lead_unit": ans["lead_unit"],
            "units": ans["units"], "targets": ans["targets"], "citations": len(cited),
            "bad_citations": len(bad_cites), "ms": round(ms, 2),
        })
        if progress:
            progress(i, len(questions))
    return {"results": results, "summary": summarise(results)}


def _pct(xs: list[bool]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        for key in (f"{r['split']}/{r['kind']}/{r['lang']}", f"{r['split']}/{r['kind']}", f"all/{r['kind']}/{r['lang']}", f"all/{r['kind']}"):
            by[key].append(r)
    acc = {k: {"n": len(v), "accuracy": _pct([r["pass"] for r in v])} for k, v in sorted(by.items())}
    answerable = [r for r in results if r["kind"] != "unanswerable"]
    ranked = [r for r in answerable if r["clause_id"]]
    ms = sorted(r["ms"] for r in results) or [0.0]
    return {
        "n": len(results),
        "accuracy": acc,
        "overall": _pct([r["pass"] for r in results]),
        "hit@1": _pct([r["rank"] == 1 for r in ranked]),
        "hit@5": _pct([r["rank"] is not None and r["rank"] <= 5 for r in ranked]),
        "fact@1": _pct([r.get("fact_rank") == 1 for r in ranked]),
        "mrr": round(sum(1 / r["rank"] for r in ranked if r["rank"]) / len(ranked), 4) if ranked else None,
        "cited_gold_clause": _pct([r["cited_gold"] for r in ranked]),
        "wrong_refusal": _pct([not r["found"] for r in answerable]),
        "citations": sum(r["citations"] for r in results),
        "bad_citations": sum(r["bad_citations"] for r in results),
        "latency_ms": {"p50": ms[len(ms) // 2], "p95": ms[min(len(ms) - 1, int(len(ms) * 0.95))]},
    }


def compare(report: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Questions that passed in the baseline and fail now."""
    before = {r["id"]: r for r in baseline["results"]}
    return [
        {"id": r["id"], "question": r["question"], "expected": r["gold"], "actual": r["answer"]}
        for r in report["results"]
        if r["id"] in before and before[r["id"]]["pass"] and not r["pass"]
    ]


def gate(report: dict[str, Any], baseline: dict[str, Any], tolerance: float = TOLERANCE) -> list[str]:
    """Reasons the report is worse than the baseline (empty = passes the gate)."""
    problems = []
    s, b = report["summary"], baseline["summary"]
    for key, base in b["accuracy"].items():
        if not key.startswith("all/") or key.count("/") != 1:
            continue
        now = s["accuracy"].get(key, {}).get("accuracy")
        if base["accuracy"] is not None and (now is None or now < base["accuracy"] - tolerance):
            problems.append(f"{key} accuracy {now} is below the baseline {base['accuracy']} (tolerance {tolerance})")
    if s["bad_citations"]:
        problems.append(f"{s['bad_citations']} citation(s) failed to verify")
    return problems


def markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = ["| split | kind | zh | en | all |", "|---|---|---|---|---|"]
    for split in ("dev", "heldout", "all"):
        for kind in HEADLINES:
            cells = []
            for lang in ("zh", "en", None):
                key = f"{split}/{kind}/{lang}" if lang else f"{split}/{kind}"
                a = s["accuracy"].get(key)
                cells.append(f"{a['accuracy']:.0%} ({a['n']})" if a and a["accuracy"] is not None else "–")
            if any(c != "–" for c in cells):
                lines.append(f"| {split} | {kind} | " + " | ".join(cells) + " |")
    def f(key: str, spec: str = ".1%") -> str:  # a figure no item measures (no gold clause) is "–"
        return "–" if s.get(key) is None else format(s[key], spec)

    lines += [
        "",
        f"overall {f('overall')} of {s['n']}; retrieval hit@1 {f('hit@1')} "
        f"({f('fact@1')} counting a clause that states the same figure), hit@5 {f('hit@5')}, "
        f"MRR {f('mrr', '.3f')}; gold clause cited {f('cited_gold_clause')}; wrong refusals "
        f"{f('wrong_refusal')}; citations {s['citations']} ({s['bad_citations']} failed); "
        f"latency p50 {s['latency_ms']['p50']:.1f} ms, p95 {s['latency_ms']['p95']:.1f} ms",
    ]
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path) -> None:
    """Bar chart of accuracy by kind and language (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = report["summary"]["accuracy"]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for j, lang in enumerate(("zh", "en")):
        vals = [(s.get(f"all/{k}/{lang}") or {}).get("accuracy") or 0 for k in HEADLINES]
        ax.bar([i + j * 0.4 for i in range(len(HEADLINES))], vals, width=0.4, label=lang)
    ax.set_xticks([i + 0.2 for i in range(len(HEADLINES))], HEADLINES)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy")
    ax.set_title("Eval accuracy by kind and language (dev + held-out)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
