"""`rag ARGS...` with the index build's progress printed, optionally crashing at one point.

    python tests/data/build_child.py [--kill-at STAGE] RAG-ARGS...      (e.g. ... --index X build)

Runs `rag.cli.main(RAG-ARGS)` unchanged, printing "stage NAME" (flushed) as `build_index`
passes each named point: after every embedding batch (embedded:N), before and after writing
each file (before:units.jsonl … after:CURRENT.tmp), around each os.replace (before-replace:gen,
after-replace:CURRENT …) and around garbage collection (before:gc, after:gc).

With --kill-at NAME the process SIGKILLs itself on reaching NAME: no handler, no cleanup, no
flush of Python buffers — a crash at exactly that point. Two more points exist only as kill
targets: "torn:FILE" writes the first half of FILE, flushes it to the OS and dies (a crash in
the middle of a write); "torn:gc" deletes one file of the old generation and dies (a crash in
the middle of garbage collection). The test in tests/test_reliability.py also kills this
process from outside at random moments.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def main() -> int:
    args = sys.argv[1:]
    kill_at = None
    if args[:1] == ["--kill-at"]:
        kill_at, args = args[1], args[2:]

    import faiss

    import rag.embed as embed
    import rag.index as ix

    def stage(name: str) -> None:
        print(f"stage {name}", flush=True)
        if name == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def label(path) -> str:
        name = Path(path).name
        return "gen" if name.startswith("gen-") and not name.startswith("gen-tmp-") else name

    fsync_write = ix._fsync_write

    def traced_write(path, data):
        data = data if isinstance(data, bytes) else b"".join(data)  # streamed chunks
        name = Path(path).name
        stage(f"before:{name}")
        if kill_at == f"torn:{name}":
            with open(path, "wb") as f:
                f.write(data[: len(data) // 2])
                f.flush()
            stage(f"torn:{name}")
        fsync_write(path, data)
        stage(f"after:{name}")

    write_index = faiss.write_index

    def traced_write_index(index, path):
        stage("before:vectors.faiss")
        write_index(index, path)
        stage("after:vectors.faiss")

    replace = os.replace

    def traced_replace(src, dst):
        stage(f"before-replace:{label(dst)}")
        replace(src, dst)
        stage(f"after-replace:{label(dst)}")

    collect = ix._collect_garbage

    def traced_collect(index_dir, keep):
        stage("before:gc")
        if kill_at == "torn:gc":
            old = [p for p in Path(index_dir).glob("gen-*") if p.name != keep]
            victims = sorted(f for g in old for f in g.iterdir())
            if victims:
                victims[0].unlink()
            stage("torn:gc")
        collect(index_dir, keep)
        stage("after:gc")

    load_embedder = embed.load_embedder

    def traced_load_embedder(*a, **k):
        e = load_embedder(*a, **k)
        encode, batches = e.encode, [0]

        def traced_encode(texts):
            out = encode(texts)
            batches[0] += 1
            stage(f"embedded:{batches[0]}")
            return out

        e.encode = traced_encode
        return e

    ix._fsync_write = traced_write
    faiss.write_index = traced_write_index  # rag.index calls it through the module
    os.replace = traced_replace
    ix._collect_garbage = traced_collect
    embed.load_embedder = traced_load_embedder  # rag.cli imports it at call time

    from rag.cli import main as rag_main

    stage("start")
    rc = rag_main(args)
    stage("done")
    return rc


if __name__ == "__main__":
    sys.exit(main())
