"""Retrieval ablation: which part of the retrieval stage earns the rank-1 figures.

Runs every answerable eval question (dev + held-out) through the chain's retrieval stage with
one part changed at a time and reports hit@1 / hit@5 by language, as a Markdown table.

    python evals/ablation.py [--index DIR] [--out evals/reports/retrieval.md]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.chain import load_assistant  # noqa: E402
from rag.evaluate import load_questions  # noqa: E402

VARIANTS = [
    ("full chain retrieval (hybrid RRF + coverage + glossary)", {}),
    ("hybrid, weighted-sum fusion instead of RRF", {"fusion": "weighted"}),
    ("hybrid RRF, no coverage re-scoring", {"coverage": 0.0}),
    ("hybrid RRF + coverage, no glossary expansion", {"expand": False}),
    ("dense only (USE-m3 in FAISS)", {"mode": "dense", "coverage": 0.0}),
    ("BM25 only (jieba + glossary terms)", {"mode": "lexical", "coverage": 0.0}),
]


def run(index: str) -> str:
    assistant = load_assistant(REPO / "corpus", index)
    items = [q for q in load_questions(sorted((REPO / "evals" / "questions").glob("*.jsonl")))
             if q.get("clause_id") and q["kind"] != "unanswerable"]
    rows = ["| retrieval | zh hit@1 | zh hit@5 | en hit@1 | en hit@5 |", "|---|---|---|---|---|"]
    for name, options in VARIANTS:
        stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for q in items:
            ids = [h.clause_id for h in assistant.search(q["question"], 5, **options)]
            s = stats[q["lang"]]
            s[0] += 1
            s[1] += ids[:1] == [q["clause_id"]]
            s[2] += q["clause_id"] in ids
        cells = [f"{stats[lang][i] / stats[lang][0]:.1%}" for lang in ("zh", "en") for i in (1, 2)]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    n = {lang: sum(1 for q in items if q["lang"] == lang) for lang in ("zh", "en")}
    return "\n".join(rows) + f"\n\n{n['zh']} zh and {n['en']} en answerable questions (dev + held-out).\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", default=str(REPO / "index"))
    ap.add_argument("--out", default=str(REPO / "evals" / "reports" / "retrieval.md"))
    args = ap.parse_args()
    table = run(args.index)
    Path(args.out).write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
