"""The `rag` command line: corpus stats, build, search, ask, eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

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


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description=__doc__)
    p.add_argument("--corpus", default=str(_env_path("RAG_CORPUS", "corpus")), help="corpus directory")
    p.add_argument("--index", default=str(_env_path("RAG_INDEX", "index")), help="index directory")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("corpus", help="inspect the parsed corpus")
    c.add_argument("what", choices=["stats"])
    c.set_defaults(func=_cmd_stats)
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


__all__ = ["main", "json"]
