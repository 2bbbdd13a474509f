"""The benchmark (issue 8): speed, memory and accuracy of our pipeline beside the plain LangChain one.

    .venv/bin/python benchmarks/bench.py                 # real corpus, ~1–5 min  → results/latest.json
    .venv/bin/python benchmarks/bench.py --quick         # one pass of everything, for a smoke test
    .venv/bin/python benchmarks/bench.py --scale 10,100  # + synthetic 10×/100× corpora → results/scale.json, scale.png
    .venv/bin/python benchmarks/bench.py --plot benchmarks/results/scale.json   # redraw the PNG

Every figure is measured in a child process of its own (build, cold start, serving, the LangChain
baseline), so wall time and peak RSS (`os.wait4` rusage, i.e. what `/usr/bin/time -v` reports as
"Maximum resident set size") belong to that process alone. Builds go to a temporary directory,
never to `index/`. CPU seconds (user+sys) are recorded beside wall times: on a shared machine
the wall time grows with other load, the CPU time much less. What each figure means:
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common as C  # noqa: E402

REPO = C.REPO
RESULTS = C.LIVE / "benchmarks" / "results"
SNAPSHOT = ("rag", "benchmarks", "corpus", "evals")  # everything a run reads from the tree
FIRST_QUESTION = "湖州2024年CMI目标是多少？"
TARGETS = {  # issue 8, on the 2-core machine
    "build_s": 15.0, "cold_start_s": 3.0, "ask_p95_ms": 30.0, "serving_rss_mb": 1024.0,
    "ask_p95_ms_100x": 100.0, "build_s_100x": 20 * 60.0, "rank1_ratio": 3.0, "latency_ratio": 2.0,
    "reindex_fraction_100x": 0.05,
}


# -- child processes -----------------------------------------------------------------------------

def _rag_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "rag"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from rag.cli import main; raise SystemExit(main())"]


def run(cmd: list[str], timeout: float | None = None) -> dict[str, Any]:
    """Run a child; wall time to its first stdout line and to exit, its own peak RSS and CPU."""
    err = tempfile.TemporaryFile()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, cwd=REPO, env=env)
    assert p.stdout is not None
    first = p.stdout.readline()
    t_first = time.perf_counter() - t0
    rest = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err.seek(0)
    stderr = err.read().decode("utf-8", "replace")
    out = (first + rest).decode("utf-8", "replace")
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{stderr[-3000:]}")
    return {
        "wall_s": round(wall, 3), "first_line_s": round(t_first, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "peak_rss_mb": round(ru.ru_maxrss / 1024, 1),
        "stdout": out, "loadavg_after": C.loadavg(),
    }


def _last_json(out: str) -> dict[str, Any]:
    return json.loads(out.strip().splitlines()[-1])


def _manifest(index_dir: Path) -> dict[str, Any]:
    gen = index_dir / (index_dir / "CURRENT").read_text().strip()
    m = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    m["index_bytes"] = sum(p.stat().st_size for p in gen.iterdir())
    return m


def build(corpus: Path, index: Path) -> dict[str, Any]:
    """`rag build` in a child process; wall, CPU, peak RSS, the manifest's counts and timings."""
    r = run([*_rag_cmd(), "--corpus", str(corpus), "--index", str(index), "build"])
    m = _manifest(index)
    c, s = m["counts"], m["seconds"]
    return {
        "command": f"rag --corpus {corpus} --index {index} build",
        "wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "peak_rss_mb": r["peak_rss_mb"],
        "build_index_s": s["total"], "embed_phase_s": s["embed"],
        "units": c["units"], "clauses": c["clauses"], "documents": c["documents"],
        "embedded": c["embedded"], "reused": c["reused"],
        "units_per_s": round(c["embedded"] / s["embed"], 1) if c["embedded"] and s["embed"] else None,
        "vector_index": m["vector_index"], "index_mb": round(m["index_bytes"] / 2**20, 1),
        "loadavg_after": r["loadavg_after"],
    }


def cold_start(corpus: Path, index: Path, runs: int) -> dict[str, Any]:
    """`rag ask` with a built index, `runs` times: process start → first answer line, and exit."""
    cmd = [*_rag_cmd(), "--corpus", str(corpus), "--index", str(index), "--no-rebuild", "ask", FIRST_QUESTION]
    rs = [run(cmd) for _ in range(runs)]
    firsts = sorted(r["first_line_s"] for r in rs)
    return {
        "command": f"rag --index {index} --no-rebuild ask {FIRST_QUESTION!r}",
        "first_answer_s": firsts, "median_s": firsts[len(firsts) // 2],
        "exit_s": [r["wall_s"] for r in rs], "cpu_s": [r["cpu_s"] for r in rs],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
        "answer": rs[0]["stdout"].splitlines()[0] if rs[0]["stdout"] else "",
    }


def serve(corpus: Path, index: Path, repeat: int, ann: str = "", curve: bool = False) -> dict[str, Any]:
    """The serving worker (`_serve` below) in a child process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "_serve", "--corpus", str(corpus),
           "--index", str(index), "--repeat", str(repeat)]
    if ann:
        cmd += ["--ann", ann]
    if curve:
        cmd += ["--curve"]
    r = run(cmd)
    out = _last_json(r["stdout"])
    out["process"] = {k: r[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "loadavg_after")}
    return out


# -- the serving worker (runs in its own process) -----------------------------------------------

def _serve_worker(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    from rag import evaluate
    from rag.chain import load_assistant

    a = load_assistant(args.corpus, args.index, rebuild=False)
    load_s = time.perf_counter() - t0
    # A serving process (the chat UI) does its one-time work at start-up: `Assistant.warm`.
    t0 = time.perf_counter()
    warm = a.warm()
    warm_s = time.perf_counter() - t0
    questions = C.load_questions()
    texts = [q["question"] for q in questions]
    for q in texts[:10]:
        a.ask(q)
    out: dict[str, Any] = {"load_s": round(load_s, 3), "warm_s": round(warm_s, 3), "warm": warm,
                           "units": len(a.searcher.units), "rss_mb_loaded": C.rss_mb()}
    ask_ms, search_ms, embed_ms, dense_ms, lex_ms = [], [], [], [], []
    enc = a.searcher.embedder.encode
    for _ in range(args.repeat):
        for q in texts:
            ask_ms.append(C.timed(a.ask, q)[0])
        for q in texts:
            search_ms.append(C.timed(a.search, q, 5)[0])
        for q in texts:
            embed_ms.append(C.timed(enc, [q])[0])
        for q in texts:
            dense_ms.append(C.timed(a.searcher.search, q, 20, mode="dense")[0])
            lex_ms.append(C.timed(a.searcher.search, q, 20, mode="lexical")[0])
    out["ask_ms"] = C.percentiles(ask_ms)
    out["ask_ms_first_pass"] = C.percentiles(ask_ms[:len(texts)])  # each question's first time
    out["search_ms"] = C.percentiles(search_ms)
    out["embed_ms"] = C.percentiles(embed_ms)
    out["dense_search_ms"] = C.percentiles(dense_ms)
    out["lexical_search_ms"] = C.percentiles(lex_ms)
    report = evaluate.run(a, questions)
    s = report["summary"]
    out["eval"] = {k: s[k] for k in ("n", "overall", "hit@1", "hit@5", "mrr", "cited_gold_clause",
                                    "wrong_refusal", "bad_citations")}
    out["eval"]["by_kind"] = {k: v["accuracy"] for k, v in s["accuracy"].items() if k.startswith("all/") and k.count("/") == 1}
    items = C.answerable(questions)
    out["passages"] = _passages(a, items)
    out["peak_rss_mb_serving"] = C.peak_rss_mb()
    out["rss_mb_serving"] = C.rss_mb()
    if args.ann:
        out["ann"] = _ann(a, items, texts, args.ann.split(","), args.curve)
    out["peak_rss_mb_end"] = C.peak_rss_mb()
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def _passages(a: Any, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Per answerable question: the chain's retrieval stage top 5 as (clause id, clause text)."""
    out = {}
    for q in items:
        hits = a.search(q["question"], 5)
        out[q["id"]] = [[h.clause_id, a.clauses[h.clause_id].text] for h in hits]
    return out


def make_ann(kind: str, vectors: Any) -> tuple[Any, float]:
    """An approximate index over `vectors`: "ivf" exactly as rag.index builds one above
    EXACT_SEARCH_MAX (IVFFlat, ≈ 4·√n lists, nprobe 32), or "hnsw" / "hnsw-efN" (HNSWFlat,
    M 32, efConstruction 40, efSearch 128 or N; FAISS searches with max(efSearch, k))."""
    import faiss

    import rag.index as ix

    n, dim = vectors.shape
    t0 = time.perf_counter()
    if kind == "ivf":
        old = ix.EXACT_SEARCH_MAX
        ix.EXACT_SEARCH_MAX = 0
        try:
            idx = ix.make_faiss_index(dim, n)
        finally:
            ix.EXACT_SEARCH_MAX = old
        ix._train(idx, vectors)
        idx.add(vectors)
        idx = ix.IVFSearch(idx)
    elif kind.startswith("hnsw"):
        idx = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        idx.hnsw.efConstruction = 40
        idx.hnsw.efSearch = _ef(kind)
        idx.add(vectors)
    else:
        raise ValueError(kind)
    return idx, time.perf_counter() - t0


def _ef(kind: str) -> int:
    return int(kind.split("-ef")[1]) if "-ef" in kind else 128


def _ann(a: Any, items: list[dict[str, Any]], texts: list[str], kinds: list[str], curve: bool) -> dict[str, Any]:
    """Exact vs approximate dense search on this index: build time, raw FAISS latency at the
    depth the Searcher asks for (400) and at 10, recall against exact, and the chain's
    rank-1 accuracy with the approximate index swapped in."""
    import faiss
    import numpy as np

    flat = a.searcher.index.faiss_index
    n = flat.ntotal
    vectors = flat.reconstruct_n(0, n)
    queries = a.searcher.embedder.encode(texts)
    depth = min(n, 400)
    out: dict[str, Any] = {"n": n, "type_in_use": type(flat).__name__}

    def raw_latency(idx: Any, k: int) -> dict[str, float]:
        return C.percentiles([C.timed(idx.search, queries[i : i + 1], k)[0] for i in range(len(texts))])

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    ex_sims, ex_ids = exact.search(queries, depth)
    out["flat"] = {"search_ms_k400": raw_latency(exact, depth), "search_ms_k10": raw_latency(exact, 10)}
    base = _rank1(a, items)
    out["flat"]["gold_clause@1"], out["flat"]["evidence@1"] = base
    graph: Any = None
    graph_s = 0.0
    for kind in kinds:
        if kind.startswith("hnsw") and graph is not None:  # one graph, several search depths
            idx, secs = graph, graph_s
            idx.hnsw.efSearch = _ef(kind)
        else:
            idx, secs = make_ann(kind, vectors)
            if kind.startswith("hnsw"):
                graph, graph_s = idx, secs
        sims, ids = idx.search(queries, depth)
        rec10 = sum(len(set(ids[i, :10]) & set(ex_ids[i, :10])) for i in range(len(texts))) / (10 * len(texts))
        rec400 = sum(len(set(ids[i]) & set(ex_ids[i])) for i in range(len(texts))) / (depth * len(texts))
        # Identical sentences recur across plans (identical vectors): any of the tied ids is as
        # good, so also count a result as found when its score reaches the exact k-th score.
        tie10 = float(np.mean([(sims[i, :10] >= ex_sims[i, 9] - 1e-5).sum() / 10 for i in range(len(texts))]))
        a.searcher.index.faiss_index = idx
        try:
            ask_ms = [C.timed(a.ask, q)[0] for q in texts]
            acc = _rank1(a, items)
        finally:
            a.searcher.index.faiss_index = flat
        out[kind] = {
            "build_s": round(secs, 2), "recall@10": round(rec10, 4), f"recall@{depth}": round(rec400, 4),
            "recall@10_ties": round(tie10, 4),
            "search_ms_k400": raw_latency(idx, depth), "search_ms_k10": raw_latency(idx, 10),
            "ask_ms": C.percentiles(ask_ms), "gold_clause@1": acc[0], "evidence@1": acc[1],
        }
        if kind.startswith("hnsw"):
            out[kind]["efSearch"] = idx.hnsw.efSearch
        del idx
    if curve:  # exact search latency against corpus size, on prefixes of these vectors
        pts = []
        size = 1664
        while size < n:
            pts.append(size)
            size *= 2
        pts.append(n)
        out["flat_curve"] = []
        for m in pts:
            sub = faiss.IndexFlatIP(vectors.shape[1])
            sub.add(vectors[:m])
            lat = raw_latency(sub, min(m, 400))
            out["flat_curve"].append({"n": m, "search_ms_k400": lat})
    return out


def _rank1(a: Any, items: list[dict[str, Any]]) -> tuple[float, float]:
    gold = ev = 0
    for q in items:
        hits = a.search(q["question"], 1)
        if hits and hits[0].clause_id == q["clause_id"]:
            gold += 1
        if hits and C.evidence_hit(a.clauses[hits[0].clause_id].text, q["evidence"]):
            ev += 1
    return round(gold / len(items), 4), round(ev / len(items), 4)


# -- the real corpus: ours beside the plain LangChain pipeline ----------------------------------

def comparable_items(corpus: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Answerable eval questions whose evidence occurs in the raw plan text (both pipelines can
    then find it); returns them and the ids left out."""
    import tomllib

    entries = tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8"))["doc"]
    raw = C.match_key("\n".join((corpus / e["file"]).read_text(encoding="utf-8") for e in entries))
    items = C.answerable(C.load_questions())
    keep = [q for q in items if C.match_key(q["evidence"]) in raw]
    return keep, [q["id"] for q in items if q not in keep]


def bench_real(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    corpus = REPO / "corpus"
    index = work / "index"
    out: dict[str, Any] = {}
    step("build (fresh, real corpus)")
    out["build"] = build(corpus, index)
    if not args.quick:
        step("rebuild with nothing changed")
        out["rebuild_unchanged"] = build(corpus, index)
    step("cold start")
    out["cold_start"] = cold_start(corpus, index, 1 if args.quick else 3)
    step("serving process (warm ask/search/embed, eval)")
    out["serve"] = serve(corpus, index, args.repeat)
    step("plain LangChain pipeline")
    r = run([sys.executable, str(REPO / "benchmarks" / "plain_langchain.py"), "--repeat", str(args.repeat)])
    lc = _last_json(r["stdout"])
    lc["cold_start_s"] = r["first_line_s"]
    lc["process"] = {k: r[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "loadavg_after")}
    out["langchain"] = lc
    out["comparison"] = compare(corpus, out["serve"], lc)
    return out


def compare(corpus: Path, ours: dict[str, Any], lc: dict[str, Any]) -> dict[str, Any]:
    """Both pipelines scored by the same metric on the same questions; the ratios."""
    items, left_out = comparable_items(corpus)
    our_pass = [[t for _, t in ours["passages"][q["id"]]] for q in items]
    lc_pass = [lc["passages"][q["id"]] for q in items]
    mine, theirs = C.score_passages(items, our_pass), C.score_passages(items, lc_pass)
    gold1 = sum(bool(ours["passages"][q["id"]]) and ours["passages"][q["id"]][0][0] == q["clause_id"] for q in items)
    mine["gold_clause_id@1"] = round(gold1 / len(items), 4)

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 2) if b else None

    by_kind: dict[str, dict[str, Any]] = {}
    for kind in sorted({q["kind"] for q in items}):
        sel = [i for i, q in enumerate(items) if q["kind"] == kind]
        sub = [items[i] for i in sel]
        by_kind[kind] = {
            "n": len(sel),
            "ours_evidence@1": C.score_passages(sub, [our_pass[i] for i in sel])["evidence@1"],
            "langchain_evidence@1": C.score_passages(sub, [lc_pass[i] for i in sel])["evidence@1"],
        }
    for lang in ("zh", "en"):
        sel = [i for i, q in enumerate(items) if q["lang"] == lang]
        sub = [items[i] for i in sel]
        by_kind[f"lang={lang}"] = {
            "n": len(sel),
            "ours_evidence@1": C.score_passages(sub, [our_pass[i] for i in sel])["evidence@1"],
            "langchain_evidence@1": C.score_passages(sub, [lc_pass[i] for i in sel])["evidence@1"],
        }
    return {
        "questions": len(items), "left_out": left_out,
        "metric": "evidence@1: the rank-1 passage (our top clause; their top chunk) contains the "
                  "question's gold evidence sentence (match_key on both sides)",
        "ours": mine, "langchain": theirs, "by_kind": by_kind,
        "rank1_ratio": ratio(mine["evidence@1"], theirs["evidence@1"]),
        "rank1_ratio_lenient": ratio(mine["evidence_or_cut@1"], theirs["evidence_or_cut@1"]),
        "answer@1_ratio": ratio(mine["answer@1"], theirs["answer@1"]),
        "latency_ratio_ask_p95": ratio(ours["ask_ms"]["p95"], lc["query_ms"]["p95"]),
        "latency_ratio_search_p95": ratio(ours["search_ms"]["p95"], lc["query_ms"]["p95"]),
        "latency_ratio_ask_p50": ratio(ours["ask_ms"]["p50"], lc["query_ms"]["p50"]),
    }


# -- scale ---------------------------------------------------------------------------------------

def bench_scale(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    from benchmarks import scale as S

    factors = sorted({1, *(int(x) for x in args.scale.split(",") if x.strip())})
    largest_run = max(f for f in factors if f not in args.estimate_only)
    rows: list[dict[str, Any]] = []
    for f in factors:
        row: dict[str, Any] = {"factor": f}
        rows.append(row)
        est, est_rss = _estimate(rows[:-1], f)
        row["estimated_build_s"], row["estimated_build_rss_mb"] = est, est_rss
        avail = _mem_available_mb()
        if est is not None and est > args.max_build_minutes * 60:
            row["skipped"] = (f"estimated build {est / 60:.0f} min from the {rows[-2]['factor']}× rate "
                              f"exceeds --max-build-minutes {args.max_build_minutes}")
        elif est_rss is not None and avail and est_rss > 0.6 * avail:
            row["skipped"] = (f"estimated build peak RSS {est_rss / 1024:.1f} GB (linear from "
                              f"{rows[-2]['factor']}×) exceeds 60% of the {avail / 1024:.1f} GB available")
        if f in args.estimate_only:
            row["skipped"] = (f"estimate only (--estimate-only): build ≈ {est / 60:.0f} min and peak RSS ≈ "
                              f"{est_rss / 1024:.1f} GB, linear from {rows[-2]['factor']}×"
                              if est is not None and est_rss is not None else "estimate only (--estimate-only)")
        if "skipped" in row:
            step(f"{f}×: skipped ({row['skipped']})")
            continue
        corpus, index = work / f"corpus-{f}", work / f"index-{f}"
        step(f"{f}×: generating corpus")
        t0 = time.perf_counter()
        S.generate(f, corpus, seed=args.seed)
        row["generate_s"] = round(time.perf_counter() - t0, 2)
        step(f"{f}×: full build")
        row["build"] = build(corpus, index)
        step(f"{f}×: serving, exact vs approximate")
        row["serve"] = serve(corpus, index, 1, ann=args.ann, curve=(f == largest_run and f > 1))
        row["serve"].pop("passages", None)
        _partial(args, rows)
        if f > 1:
            try:  # a failing step (1000×: the re-index ran out of memory) must not lose the rest
                step(f"{f}×: incremental re-index after changing one plan")
                row["reindex_change"] = _reindex(corpus, index, "change")
                step(f"{f}×: incremental re-index after adding one plan")
                row["reindex_add"] = _reindex(corpus, index, "add", seed=args.seed)
            except RuntimeError as e:
                row["reindex_error"] = str(e)[-1000:]
                step(f"{f}×: re-index failed: {str(e).splitlines()[0][-200:]}")
            full = row["build"]["wall_s"]
            for key in ("reindex_change", "reindex_add"):
                if key in row:
                    row[key]["fraction_of_full_build"] = round(row[key]["wall_s"] / full, 4)
                    row[key]["cpu_fraction_of_full_build"] = round(row[key]["cpu_s"] / row["build"]["cpu_s"], 4)
        _partial(args, rows)
        shutil.rmtree(index, ignore_errors=True)
        shutil.rmtree(corpus, ignore_errors=True)
    return rows


def _estimate(done: list[dict[str, Any]], factor: int) -> tuple[float | None, float | None]:
    """Build seconds and peak RSS for `factor`, linear from the largest finished build."""
    built = [r for r in done if "build" in r and r["factor"] > 1]
    if not built:
        return None, None
    last = built[-1]
    k = factor / last["factor"]
    return round(last["build"]["wall_s"] * k, 1), round(last["build"]["peak_rss_mb"] * k, 1)


def _mem_available_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _partial(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    """The rows measured so far, to results/<name>.partial.json: hours of a 1000× run survive
    a later step that kills the benchmark (removed when the full results are written)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name or 'scale'}.partial.json").write_text(
        json.dumps({"scale": rows}, ensure_ascii=False, indent=1), encoding="utf-8")


def _reindex(corpus: Path, index: Path, how: str, seed: int = 8) -> dict[str, Any]:
    """Change one synthetic plan (two sentences edited) or add one, then `rag build` again."""
    import tomllib

    from benchmarks import scale as S

    manifest = corpus / "manifest.toml"
    entries = tomllib.loads(manifest.read_text(encoding="utf-8"))["doc"]
    if how == "change":
        target = next(e for e in entries if e["id"].startswith("s"))
        path = corpus / target["file"]
        text = path.read_text(encoding="utf-8")
        text = text.replace("。", "，并按季度通报进展。", 1).replace("。", "。本条已于年内修订。", 2)
        path.write_text(text, encoding="utf-8")
        what = f"edited two sentences of {target['id']}"
    else:
        import random

        src = entries[2]  # a rewrite of 002 (Huzhou), under a new id
        rng = random.Random(f"{seed}:add")
        text, reg = S.rewrite((corpus / src["file"]).read_text(encoding="utf-8"), rng, src["region"], 1)
        sid = "s99999"
        (corpus / f"{sid}.txt").write_text(text, encoding="utf-8")
        with open(manifest, "a", encoding="utf-8") as fh:
            fh.write(f'\n[[doc]]\nid = "{sid}"\nfile = "{sid}.txt"\ntitle = "{reg["region"]}新增规划"\n'
                     f'title_en = "Added plan"\nregion = "{reg["region"]}"\nyears = "2024-2026"\n')
        what = f"added plan {sid} (a rewrite of {src['id']})"
    b = build(corpus, index)
    b["what"] = what
    return b


# -- output ----------------------------------------------------------------------------------------

def step(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg} (load {C.loadavg()})", file=sys.stderr, flush=True)


def targets(real: dict[str, Any] | None, scale: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Each issue-8 target with the measured figure and whether it is met."""
    t: dict[str, Any] = {}

    def put(name: str, figure: float | None, target: float, higher_is_better: bool = False) -> None:
        met = None if figure is None else (figure >= target if higher_is_better else figure <= target)
        t[name] = {"figure": figure, "target": target, "met": met}

    if real:
        put("build_s", real["build"]["wall_s"], TARGETS["build_s"])
        put("cold_start_s", real["cold_start"]["median_s"], TARGETS["cold_start_s"])
        put("ask_p95_ms", real["serve"]["ask_ms"]["p95"], TARGETS["ask_p95_ms"])
        put("serving_rss_mb", real["serve"]["process"]["peak_rss_mb"], TARGETS["serving_rss_mb"])
        cmp_ = real["comparison"]
        put("rank1_ratio", cmp_["rank1_ratio"], TARGETS["rank1_ratio"], higher_is_better=True)
        put("latency_ratio_ask_p95", cmp_["latency_ratio_ask_p95"], TARGETS["latency_ratio"])
    for row in scale or []:
        if row["factor"] == 100 and "build" in row:
            put("build_s_100x", row["build"]["wall_s"], TARGETS["build_s_100x"])
            put("ask_p95_ms_100x", row["serve"]["ask_ms"]["p95"], TARGETS["ask_p95_ms_100x"])
            put("reindex_fraction_100x", row["reindex_change"]["fraction_of_full_build"],
                TARGETS["reindex_fraction_100x"])
    return t


def summary(res: dict[str, Any]) -> str:
    lines = []
    real = res.get("real")
    if real:
        s, lc, cmp_ = real["serve"], real["langchain"], real["comparison"]
        lines += [
            f"build: {real['build']['wall_s']} s wall ({real['build']['cpu_s']} s CPU), "
            f"peak RSS {real['build']['peak_rss_mb']} MB, {real['build']['units_per_s']} units/s",
            f"cold start: {real['cold_start']['first_answer_s']} s",
            f"warm ask ms: {s['ask_ms']}",
            f"warm search ms: {s['search_ms']}",
            f"embedding ms: {s['embed_ms']}",
            f"serving peak RSS: {s['process']['peak_rss_mb']} MB",
            f"eval: {s['eval']}",
            f"LangChain: build {lc['build']}, cold start {lc['cold_start_s']} s, query ms {lc['query_ms']}, "
            f"peak RSS {lc['process']['peak_rss_mb']} MB",
            f"ours {cmp_['ours']}",
            f"theirs {cmp_['langchain']}",
            f"rank-1 ratio {cmp_['rank1_ratio']} (lenient {cmp_['rank1_ratio_lenient']}), "
            f"latency ratio ask p95 {cmp_['latency_ratio_ask_p95']}, search p95 {cmp_['latency_ratio_search_p95']}",
        ]
    for row in res.get("scale") or []:
        if "build" not in row:
            lines.append(f"{row['factor']}×: {row.get('skipped')}")
            continue
        b, sv = row["build"], row["serve"]
        lines.append(f"{row['factor']}×: {b['units']} units, build {b['wall_s']} s, index {b['index_mb']} MB, "
                     f"build RSS {b['peak_rss_mb']} MB, serve RSS {sv['process']['peak_rss_mb']} MB, "
                     f"ask p95 {sv['ask_ms']['p95']} ms, load {sv['load_s']} s")
        for k in ("reindex_change", "reindex_add"):
            if k in row:
                lines.append(f"   {k}: {row[k]['wall_s']} s ({row[k]['fraction_of_full_build']:.1%}), "
                             f"embedded {row[k]['embedded']}, reused {row[k]['reused']}")
    for name, v in res.get("targets", {}).items():
        lines.append(f"target {name}: {v['figure']} vs {v['target']} → {'met' if v['met'] else 'NOT met'}")
    return "\n".join(lines)


def _ann_kinds(rows: list[dict[str, Any]]) -> list[str]:
    kinds: list[str] = []
    for r in rows:
        for k, v in r["serve"].get("ann", {}).items():
            if isinstance(v, dict) and "recall@10" in v and k not in kinds:
                kinds.append(k)
    return kinds


def _points(rows: list[dict[str, Any]], get: Any) -> list[tuple[float, float]]:
    """(units, figure) for the rows that have the figure (a hand-assembled row may lack some)."""
    out = []
    for r in rows:
        try:
            y = get(r)
        except (KeyError, TypeError):
            continue
        if y is not None:
            out.append((r["build"]["units"], y))
    return out


def plot(res: dict[str, Any], path: Path) -> None:
    """Build time, index size, memory and query p95 against corpus size (units), log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted((r for r in res["scale"] if "build" in r), key=lambda r: r["build"]["units"])

    def line(ax: Any, get: Any, style: str, label: str) -> None:
        pts = _points(rows, get)
        if pts:
            ax.plot(*zip(*pts, strict=True), style, label=label)

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0][0]
    line(ax, lambda r: r["build"]["wall_s"], "o-", "full build (wall)")
    line(ax, lambda r: r["build"]["cpu_s"], "s--", "full build (CPU)")
    line(ax, lambda r: r["reindex_change"]["wall_s"], "^-", "re-index after 1-plan change")
    ax.axhline(20 * 60, color="grey", ls=":", label="target at 100×: 20 min")
    ax.set_ylabel("seconds")
    ax.set_title("Build time")
    ax = axes[0][1]
    line(ax, lambda r: r["build"]["index_mb"], "o-", "index on disk")
    line(ax, lambda r: r["build"]["peak_rss_mb"], "s-", "peak RSS, build")
    line(ax, lambda r: r["reindex_change"]["peak_rss_mb"], "v--", "peak RSS, re-index")
    line(ax, lambda r: r["serve"]["peak_rss_mb_serving"], "^-", "peak RSS, serving")
    ax.axhline(1024, color="grey", ls=":", label="1 GB")
    ax.set_ylabel("MB")
    ax.set_title("Index size and memory")
    ax = axes[1][0]
    line(ax, lambda r: r["serve"]["ask_ms"]["p95"], "o-", "warm ask p95 (index as built)")
    line(ax, lambda r: r["serve"]["search_ms"]["p95"], "s-", "warm search p95 (index as built)")
    for kind in _ann_kinds(rows):
        line(ax, lambda r, k=kind: r["serve"]["ann"][k]["ask_ms"]["p95"], "^--", f"warm ask p95 ({kind})")
    ax.axhline(30, color="grey", ls=":", label="30 ms (1×) / 100 ms (100×) targets")
    ax.axhline(100, color="grey", ls=":")
    ax.set_ylabel("ms")
    ax.set_title("Query latency (eval questions)")
    ax = axes[1][1]
    # (a row run with --ann "" has none of these: `line` skips it)
    line(ax, lambda r: r["serve"]["ann"]["flat"]["search_ms_k400"]["p95"], "o-", "exact (IndexFlatIP)")
    for kind in _ann_kinds(rows):
        line(ax, lambda r, k=kind: r["serve"]["ann"][k]["search_ms_k400"]["p95"], "^-", kind)
    curve = next((r["serve"]["ann"].get("flat_curve") for r in reversed(rows)
                  if r["serve"].get("ann", {}).get("flat_curve")), None)
    if curve:
        ax.plot([c["n"] for c in curve], [c["search_ms_k400"]["p95"] for c in curve], "k.:", label="exact, prefixes of the largest")
    from rag.index import EXACT_SEARCH_MAX

    ax.axvline(EXACT_SEARCH_MAX, color="red", ls=":", label=f"EXACT_SEARCH_MAX = {EXACT_SEARCH_MAX:,}")
    ax.set_ylabel("ms (p95, top-400 dense, 1 query)")
    ax.set_title("Dense search alone: exact vs approximate")
    for row in axes:
        for ax in row:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("retrieval units (1× = 1,664)")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
    date = res["machine"]["date"][:10]
    fig.suptitle(f"Scale: synthetic corpora {', '.join(str(r['factor']) + '×' for r in rows)} — "
                 f"{res['machine']['nproc']} cores, {date}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _frozen(argv: list[str], tmp: str | None) -> int:
    """Run this benchmark again from a copy of the source, corpus and questions, so that edits to
    the working tree during a long run (a 1000× build takes hours) cannot reach its workers: a
    worker importing a newer `rag` would find the index it is measuring stale. The copy's
    `rag` comes first on PYTHONPATH for every child; results are written to the working tree."""
    src = Path(tempfile.mkdtemp(prefix="bench-src-", dir=tmp))
    try:
        for d in SNAPSHOT:
            shutil.copytree(REPO / d, src / d, ignore=shutil.ignore_patterns("__pycache__", "reports", "results"))
        env = {**os.environ, "RAG_BENCH_LIVE": str(REPO), "PYTHONPATH": os.pathsep.join(
            [str(src), *filter(None, [os.environ.get("PYTHONPATH")])])}
        return subprocess.call([sys.executable, str(src / "benchmarks" / "bench.py"), *argv], env=env)
    finally:
        shutil.rmtree(src, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_serve"]:
        p = argparse.ArgumentParser()
        p.add_argument("_serve")
        p.add_argument("--corpus", required=True)
        p.add_argument("--index", required=True)
        p.add_argument("--repeat", type=int, default=3)
        p.add_argument("--ann", default="")
        p.add_argument("--curve", action="store_true")
        return _serve_worker(p.parse_args(argv))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one pass of each measurement (smoke test)")
    p.add_argument("--repeat", type=int, default=None, help="passes over the 242 questions (default 3; --quick 1)")
    p.add_argument("--scale", default="", help="also run synthetic corpora at these factors, e.g. 10,100")
    p.add_argument("--only-scale", action="store_true", help="skip the real-corpus part")
    p.add_argument("--seed", type=int, default=8, help="seed of the synthetic corpora")
    p.add_argument("--ann", default="ivf,hnsw,hnsw-ef1000",
                   help="approximate indexes to compare with exact search at each scale")
    p.add_argument("--estimate-only", default="", help="factors to extrapolate and record, not run (e.g. 1000)")
    p.add_argument("--max-build-minutes", type=float, default=60.0,
                   help="skip a scale whose build, extrapolated from the previous one, would take longer")
    p.add_argument("--name", default=None, help="results/<name>.json (default latest, or scale with --scale)")
    p.add_argument("--tmp", default=None, help="where to build (default: the system temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--plot", metavar="JSON[,JSON]", help="only redraw the scale PNG from results files (rows merged)")
    p.add_argument("--live", action="store_true",
                   help="run from the working tree itself instead of a snapshot of it")
    args = p.parse_args(argv)
    if args.plot:  # several files: their rows on one plot, drawn beside the first
        files = [Path(f) for f in args.plot.split(",")]
        res = json.loads(files[0].read_text(encoding="utf-8"))
        for f in files[1:]:
            res["scale"] += json.loads(f.read_text(encoding="utf-8"))["scale"]
        plot(res, files[0].with_suffix(".png"))
        return 0
    if not args.live and "RAG_BENCH_LIVE" not in os.environ:
        return _frozen(argv, args.tmp)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.estimate_only = {int(x) for x in args.estimate_only.split(",") if x.strip()}
    if args.estimate_only:
        args.scale = ",".join(x for x in [args.scale, ",".join(map(str, sorted(args.estimate_only)))] if x)
    res: dict[str, Any] = {"machine": C.machine(["benchmarks/bench.py", *argv])}
    import rag.chain  # where every child's `rag` comes from (PYTHONPATH): the snapshot, unless --live

    res["machine"]["rag_source"] = str(Path(rag.chain.__file__).parent)
    if "RAG_BENCH_LIVE" in os.environ and not Path(rag.chain.__file__).is_relative_to(REPO):
        raise RuntimeError(f"the snapshot's rag is shadowed by {rag.chain.__file__}")
    work = Path(tempfile.mkdtemp(prefix="bench-", dir=args.tmp))
    try:
        if not args.only_scale:
            res["real"] = bench_real(args, work)
        if args.scale:
            res["scale"] = bench_scale(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    res["machine"]["loadavg_at_end"] = C.loadavg()
    res["targets"] = targets(res.get("real"), res.get("scale"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = args.name or ("scale" if args.scale else "latest")
    if res.get("real"):  # the per-question passages are long; keep them out of the results file
        res["real"]["serve"].pop("passages", None)
        res["real"]["langchain"].pop("passages", None)
    (RESULTS / f"{name}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    (RESULTS / f"{name}.partial.json").unlink(missing_ok=True)
    if res.get("scale"):
        plot(res, RESULTS / f"{name}.png")
    print(summary(res))
    print(f"\nwrote {RESULTS / f'{name}.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
