"""Shared fixtures: the real corpus, parsed once; every writable path under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path, monkeypatch):
    """Point the index and data directories at tmp_path so no test touches the repo's."""
    monkeypatch.setenv("RAG_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def corpus():
    from rag.corpus import load_corpus

    return load_corpus(CORPUS)


@pytest.fixture(scope="session")
def clauses(corpus):
    return {c.id: c for c in corpus.clauses}


@pytest.fixture(scope="session")
def embedder():
    from rag.embed import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory, corpus, embedder):
    from rag.chain import _glossary, glossary_words
    from rag.index import build_index

    path = tmp_path_factory.mktemp("index")
    g = _glossary(CORPUS)
    build_index(corpus, embedder, path, extra_words=glossary_words(g))
    return path


@pytest.fixture(scope="session")
def assistant(index_dir, embedder):
    from rag.chain import load_assistant

    return load_assistant(CORPUS, index_dir, rebuild=False, embedder=embedder)
