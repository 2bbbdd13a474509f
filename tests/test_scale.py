"""Scale (issue 8): the exact → approximate switch, and incremental builds that redo only what changed.

Real corpus, real embedder, no mocks: the threshold is lowered so the real 1,664 units cross it.
"""

from __future__ import annotations

import shutil

import faiss
import numpy as np
import pytest

import rag.index as ix
from rag.chain import _glossary, glossary_words, load_assistant
from rag.corpus import load_corpus
from rag.index import build_index, load_index

from .conftest import CORPUS

PLANS = ("000_dbc0dc4999015e68.txt", "001_3f0dce72c6dcd5e9.txt", "002_136185e90f3548b4.txt",
         "003_fcb835583027c304.txt", "004_4faabe87d910e0af.txt")


def _copy_corpus(root, ids=("000", "001", "002", "003", "004")):
    root.mkdir(parents=True)
    text = (CORPUS / "manifest.toml").read_text(encoding="utf-8")
    entries = [e for e in text.split("[[doc]]")[1:] if any(f'id = "{i}"' in e for i in ids)]
    (root / "manifest.toml").write_text("".join("[[doc]]" + e for e in entries), encoding="utf-8")
    for name in (*PLANS, "glossary.tsv"):
        shutil.copy(CORPUS / name, root / name)
    return root


def _build(root, idx, embedder):
    return build_index(load_corpus(root), embedder, idx, extra_words=glossary_words(_glossary(root)))


def _live(idx):
    return idx / (idx / "CURRENT").read_text().strip()


def _vectors(idx):
    f = load_index(idx, None, None).faiss_index
    return f.reconstruct_n(0, f.ntotal)


def test_exact_search_up_to_the_threshold(index_dir):
    m = load_index(index_dir, None, None)
    assert m.manifest["counts"]["units"] <= ix.EXACT_SEARCH_MAX
    assert m.manifest["vector_index"] == "IndexFlatIP" and isinstance(m.faiss_index, faiss.IndexFlatIP)


def test_above_the_threshold_the_index_is_ivf_and_still_finds_the_clause(tmp_path, embedder, monkeypatch):
    monkeypatch.setattr(ix, "EXACT_SEARCH_MAX", 1_000)  # the real corpus has 1,664 units
    idx = tmp_path / "index"
    m = _build(CORPUS, idx, embedder)
    assert m["counts"]["units"] > 1_000 and m["vector_index"] == "IndexIVFFlat"
    loaded = load_index(idx, None, embedder.id)
    ivf = loaded.faiss_index.index
    assert isinstance(ivf, faiss.IndexIVFFlat) and ivf.is_trained and ivf.ntotal == m["counts"]["units"]
    assert ivf.nprobe == ix.IVF_NPROBE and 1 < ivf.nlist < m["counts"]["units"]  # saved in the file
    a = load_assistant(CORPUS, idx, rebuild=False, embedder=embedder)
    assert a.search("日间手术比例由哪个单位牵头？", 3)[0].clause_id == "000/二/（三）/1"
    ans = a.ask("日间手术比例由哪个单位牵头？")
    assert ans.lead_unit == "省卫生健康委" and ans.citations[0].clause_id == "000/二/（三）/1"
    # A plan-filtered question: the Searcher passes a generic SearchParameters(sel=…), which
    # FAISS's IVF refuses on its own; the loaded index carries the filter over.
    ans = a.ask("湖州2024年CMI目标是多少？")
    assert ans.citations and ans.citations[0].clause_id.startswith("002/")
    assert any(t["value"].endswith("1.05") for t in ans.to_json()["targets"])
    # The approximate index returns what exact search returns for eval-style questions.
    q = embedder.encode(["县域就诊率的目标是多少？", "Which department leads medical service price reform?"])
    exact = faiss.IndexFlatIP(q.shape[1])
    exact.add(loaded.faiss_index.reconstruct_n(0, loaded.faiss_index.ntotal))
    assert (loaded.faiss_index.search(q, 10)[1] == exact.search(q, 10)[1]).mean() >= 0.9
    # And a rebuild reuses its vectors (the IVF's direct map is saved with it).
    again = _build(CORPUS, idx, embedder)
    assert again["counts"]["embedded"] == 0 and again["vector_index"] == "IndexIVFFlat"


def test_changing_one_plan_reembeds_only_that_plan_and_matches_a_full_build(tmp_path, embedder):
    root = _copy_corpus(tmp_path / "corpus")
    idx = tmp_path / "index"
    first = _build(root, idx, embedder)
    before = {u.embed_text for u in load_index(idx, None, None).units}
    f = root / "002_136185e90f3548b4.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("宣传推广", "宣传推介", 1)
                 .replace("。", "，并按季度通报进展。", 1), encoding="utf-8")
    second = _build(root, idx, embedder)
    units = load_index(idx, None, None).units
    new = {u.embed_text for u in units} - before
    c = second["counts"]
    assert 0 < c["embedded"] <= 6 and c["embedded"] == sum(u.embed_text in new for u in units)
    assert {u.doc for u in units if u.embed_text in new} == {"002"}
    assert c["reused"] == c["units"] - c["embedded"] and c["units"] == first["counts"]["units"]
    # Same dictionary → tokens of unchanged text are reused; only changed text is segmented.
    assert 0 < c["tokenized"] <= c["embedded"]
    # And the result is exactly what a build from nothing gives.
    scratch = tmp_path / "scratch"
    _build(root, scratch, embedder)
    assert (_live(idx) / "units.jsonl").read_bytes() == (_live(scratch) / "units.jsonl").read_bytes()
    assert np.allclose(_vectors(idx), _vectors(scratch), atol=1e-5)


def test_adding_one_plan_embeds_only_its_units_and_matches_a_full_build(tmp_path, embedder):
    root = _copy_corpus(tmp_path / "corpus", ids=("000", "001", "002", "003"))
    idx = tmp_path / "index"
    first = _build(root, idx, embedder)
    shutil.copy(CORPUS / "manifest.toml", root / "manifest.toml")  # now lists 004 too
    second = _build(root, idx, embedder)
    units = load_index(idx, None, None).units
    added = [u for u in units if u.doc == "004"]
    c = second["counts"]
    assert c["units"] == first["counts"]["units"] + len(added)
    assert 0 < c["embedded"] <= len(added) and c["reused"] >= first["counts"]["units"]
    # 004 brings new dictionary words, so every text is segmented again (jieba's choices
    # depend on the whole dictionary) — and the result equals a build from nothing.
    assert c["tokenized"] == c["units"]
    scratch = tmp_path / "scratch"
    _build(root, scratch, embedder)
    assert (_live(idx) / "units.jsonl").read_bytes() == (_live(scratch) / "units.jsonl").read_bytes()
    assert np.allclose(_vectors(idx), _vectors(scratch), atol=1e-5)


@pytest.mark.parametrize("n", [0, 1_000, 1_001, 50_000])
def test_make_faiss_index_is_the_one_switch(n, monkeypatch):
    monkeypatch.setattr(ix, "EXACT_SEARCH_MAX", 1_000)
    kind = ix.make_faiss_index(512, n)
    assert isinstance(kind, faiss.IndexIVFFlat if n > 1_000 else faiss.IndexFlatIP)
    if n > 1_000:
        nlist = faiss.extract_index_ivf(kind).nlist
        assert nlist == min(int(4 * n**0.5), n // 39) and kind.nprobe == ix.IVF_NPROBE
