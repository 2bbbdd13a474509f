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
