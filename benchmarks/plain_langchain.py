"""The plain LangChain pipeline the issue compares against, on the same corpus and embedder.

    raw plan texts (corpus/manifest.toml → corpus/*.txt, no normalisation, no parsing)
      → RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
      → rag.embed.load_embedder() (USE multilingual v3, the same LangChain Embeddings we use)
      → langchain_community FAISS.from_documents (in memory; never saved or loaded)
      → similarity_search(question, k)

Run alone it measures itself and prints one JSON object (bench.py runs it as a subprocess, so
its cold start and peak RSS are its own):

    .venv/bin/python benchmarks/plain_langchain.py [--corpus corpus] [--repeat 3]

The first stdout line is printed as soon as the first question is answered, which is what
bench.py times as "process start → first answer". With no saved store, that includes
splitting and embedding the whole corpus: the plain pipeline has no index to load.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

T_START = time.perf_counter()

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import common as C  # noqa: E402

CHUNK_SIZE = 500
CHUNK_OVERLAP = 50
FIRST_QUESTION = "湖州2024年CMI目标是多少？"


def load_documents(corpus_dir: str | Path) -> list[Any]:
    """One LangChain Document per plan: the file's text exactly as stored."""
    from langchain_core.documents import Document

    root = Path(corpus_dir)
    entries = tomllib.loads((root / "manifest.toml").read_text(encoding="utf-8"))["doc"]
    return [
        Document(page_content=(root / e["file"]).read_text(encoding="utf-8"),
                 metadata={"doc": e["id"], "title": e["title"], "source": e["file"]})
        for e in entries
    ]


def build(corpus_dir: str | Path, embedder: Any) -> tuple[Any, dict[str, Any]]:
    """Split, embed and index the corpus in memory; returns the FAISS store and timings."""
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t0 = time.perf_counter()
    docs = load_documents(corpus_dir)
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks = splitter.split_documents(docs)
    t1 = time.perf_counter()
    store = FAISS.from_documents(chunks, embedder)
    t2 = time.perf_counter()
    return store, {
        "documents": len(docs),
        "chunks": len(chunks),
        "chunk_chars_mean": round(sum(len(c.page_content) for c in chunks) / max(1, len(chunks)), 1),
        "split_s": round(t1 - t0, 3),
        "embed_and_index_s": round(t2 - t1, 3),
        "total_s": round(t2 - t0, 3),
        "chunks_per_s": round(len(chunks) / max(t2 - t1, 1e-9), 1),
    }


def measure(corpus_dir: str | Path, repeat: int = 3, k: int = 5) -> dict[str, Any]:
    """Build, answer one question (cold start), then time warm queries and score accuracy."""
    from rag.embed import load_embedder

    embedder = load_embedder()
    store, build_stats = build(corpus_dir, embedder)
    first = store.similarity_search(FIRST_QUESTION, k=k)
    t_first = time.perf_counter() - T_START
    print(json.dumps({"first_answer": first[0].page_content[:60]}, ensure_ascii=False), flush=True)

    questions = C.load_questions()
    texts = [q["question"] for q in questions]
    for q in texts[:10]:  # warm-up
        store.similarity_search(q, k=k)
    search_ms, embed_ms = [], []
    for _ in range(repeat):
        for q in texts:
            search_ms.append(C.timed(store.similarity_search, q, k=k)[0])
        for q in texts:
            embed_ms.append(C.timed(embedder.embed_query, q)[0])
    items = C.answerable(questions)
    ranked = [[d.page_content for d in store.similarity_search(q["question"], k=k)] for q in items]
    return {
        "pipeline": f"RecursiveCharacterTextSplitter({CHUNK_SIZE}/{CHUNK_OVERLAP}) → {embedder.id} → "
                    "langchain_community FAISS (in memory) → similarity_search",
        "build": build_stats,
        "first_answer_s_in_process": round(t_first, 3),
        "query_ms": C.percentiles(search_ms),
        "embed_ms": C.percentiles(embed_ms),
        "k": k,
        "repeat": repeat,
        "questions": len(texts),
        "passages": {q["id"]: p for q, p in zip(items, ranked, strict=True)},
        "peak_rss_mb": C.peak_rss_mb(),
        "rss_mb_end": C.rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=str(C.REPO / "corpus"))
    p.add_argument("--repeat", type=int, default=3, help="passes over the eval questions for latency")
    args = p.parse_args(argv)
    out = measure(args.corpus, args.repeat)
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
