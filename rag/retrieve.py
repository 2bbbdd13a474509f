"""Hybrid search over retrieval units: dense (FAISS) + BM25 (jieba), fused, returned as clauses."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from .index import Index
from .tokenize import Tokenizer
from .units import Unit

logging.getLogger("bm25s").setLevel(logging.WARNING)

RRF_K = 60
DENSE_WEIGHT = 0.5


@dataclass(frozen=True)
class Hit:
    """One clause found for a query, with the unit that matched best and why."""

    clause_id: str
    score: float
    unit: Unit
    dense: float = 0.0
    lexical: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None

    def explain(self) -> dict[str, Any]:
        return {
            "clause_id": self.clause_id, "score": round(self.score, 4),
            "dense": round(self.dense, 4), "dense_rank": self.dense_rank,
            "lexical": round(self.lexical, 3), "lexical_rank": self.lexical_rank,
            "matched": self.unit.quote[:80],
        }


def _best_per_clause(scores: np.ndarray, units: Sequence[Unit], allowed: np.ndarray) -> dict[str, tuple[float, int]]:
    """Max unit score per clause: {clause_id: (score, unit index)} over allowed units."""
    best: dict[str, tuple[float, int]] = {}
    for i in np.argsort(-scores):
        if not allowed[i]:
            continue
        cid = units[i].clause_id
        if cid not in best:
            best[cid] = (float(scores[i]), int(i))
    return best


def _ranks(best: dict[str, tuple[float, int]]) -> dict[str, int]:
    return {cid: r for r, (cid, _) in enumerate(sorted(best.items(), key=lambda kv: -kv[1][0]), 1)}


class Searcher:
    """Dense + lexical search over one loaded index.

    Args:
        index: the loaded index.
        embedder: the embedder the index was built with (`encode`).
        tokenizer: jieba tokenizer with the index's user dictionary (made if None).
    """

    def __init__(self, index: Index, embedder: Any, tokenizer: Tokenizer | None = None) -> None:
        self.index = index
        self.units = index.units
        self.embedder = embedder
        self.tokenizer = tokenizer or Tokenizer(index.words)
        self.bm25 = bm25s.BM25()
        self.bm25.index([t or ["∅"] for t in index.tokens], show_progress=False)
        self._docs = np.array([u.doc for u in self.units])

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        docs: Sequence[str] | None = None,
        mode: str = "hybrid",
        fusion: str = "rrf",
        lexical_terms: Sequence[str] = (),
        dense_text: str | None = None,
    ) -> list[Hit]:
        """Rank clauses for a query.

        Args:
            query: the question.
            k: how many clauses to return.
            docs: only search these documents (None = all).
            mode: "hybrid", "dense" or "lexical".
            fusion: "rrf" (reciprocal-rank fusion) or "weighted" (normalised score sum).
            lexical_terms: extra terms for the BM25 side (e.g. glossary Chinese for English).
            dense_text: text to embed instead of `query` (None = the query).

        Returns:
            Up to k hits, best first.
        """
        n = len(self.units)
        if n == 0:
            return []
        allowed = np.ones(n, dtype=bool) if not docs else np.isin(self._docs, list(docs))
        dense_best: dict[str, tuple[float, int]] = {}
        lex_best: dict[str, tuple[float, int]] = {}
        if mode in ("hybrid", "dense"):
            q = self.embedder.encode([dense_text or query])
            sims, ids = self.index.faiss_index.search(q, min(n, 400))
            scores = np.full(n, -1.0, dtype="float32")
            valid = ids[0] >= 0
            scores[ids[0][valid]] = sims[0][valid]
            dense_best = _best_per_clause(scores, self.units, allowed & (scores > -1.0))
        if mode in ("hybrid", "lexical"):
            tokens = self.tokenizer.query(query) + [t for term in lexical_terms for t in self.tokenizer.query(term)]
            if tokens:
                scores = self.bm25.get_scores(tokens)
                lex_best = _best_per_clause(scores, self.units, allowed & (scores > 0))
        return self._fuse(dense_best, lex_best, k, fusion)

    def _fuse(self, dense: dict, lex: dict, k: int, fusion: str) -> list[Hit]:
        dr, lr = _ranks(dense), _ranks(lex)
        top_lex = max((s for s, _ in lex.values()), default=1.0) or 1.0
        scored = []
        for cid in set(dense) | set(lex):
            d, lx = dense.get(cid, (0.0, -1)), lex.get(cid, (0.0, -1))
            if fusion == "weighted":
                s = DENSE_WEIGHT * max(d[0], 0.0) + (1 - DENSE_WEIGHT) * lx[0] / top_lex
            else:
                s = sum(1.0 / (RRF_K + r[cid]) for r in (dr, lr) if cid in r)
            unit_i = d[1] if d[1] >= 0 and (lx[1] < 0 or d[0] >= 0.5) else lx[1]
            scored.append(Hit(cid, s, self.units[unit_i], d[0], lx[0], dr.get(cid), lr.get(cid)))
        scored.sort(key=lambda h: (-h.score, h.clause_id))
        return scored[:k]


class ClauseRetriever(BaseRetriever):
    """LangChain retriever over a Searcher: documents are whole clauses, best first."""

    searcher: Any
    clauses: dict[str, Any]
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        out = []
        for h in self.searcher.search(query, self.k):
            c = self.clauses[h.clause_id]
            out.append(
                Document(
                    page_content=c.text,
                    metadata={"clause_id": c.id, "doc": c.doc, "title": c.title,
                              "path": c.heading, "score": h.score, "matched": h.unit.quote},
                )
            )
        return out
