"""Hybrid search over retrieval units: dense (FAISS) + BM25 (jieba), fused, returned as clauses."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import bm25s
import faiss
import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from .index import Index
from .tokenize import Tokenizer
from .units import Unit

logging.getLogger("bm25s").setLevel(logging.WARNING)

RRF_K = 60
COVERAGE_POOL = 40  # fused candidates re-scored by how much of the question their clause covers


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
        # Every token of a clause (all its units, with their heading context), and how rare each
        # token is across clauses: BM25 scores one sentence, coverage looks at the whole clause.
        self._clause_tokens: dict[str, set[str]] = {}
        for u, toks in zip(self.units, index.tokens, strict=True):
            self._clause_tokens.setdefault(u.clause_id, set()).update(toks)
        df = Counter(t for toks in self._clause_tokens.values() for t in toks)
        n = max(len(self._clause_tokens), 1)
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}

    def idf(self, token: str) -> float:
        """How rare a token is across clauses (0 for a token no clause has)."""
        return self._idf.get(token, 0.0)

    def coverage(self, tokens: Sequence[str], clause_id: str) -> float:
        """IDF-weighted share of the distinct query tokens that occur anywhere in the clause."""
        want = {t for t in tokens if t in self._idf}
        if not want:
            return 0.0
        have = self._clause_tokens.get(clause_id, set())
        return sum(self._idf[t] for t in want & have) / sum(self._idf[t] for t in want)

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
        weights: tuple[float, float] = (1.0, 1.0),
        coverage_weight: float = 0.0,
        coverage_terms: Sequence[str] | None = None,
        years: Sequence[str] | None = None,
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
            weights: (dense, lexical) weights of each ranking in the fusion.
            coverage_weight: > 0 re-scores the top COVERAGE_POOL fused hits as
                fused/best + coverage_weight × coverage (see `coverage`).
            years: only units that mention one of these years (None = any).
            coverage_terms: the extra terms coverage asks for (None = `lexical_terms`); a term's
                aliases widen the lexical search but should not each be required.

        Returns:
            Up to k hits, best first.
        """
        n = len(self.units)
        if n == 0:
            return []
        allowed = np.ones(n, dtype=bool) if not docs else np.isin(self._docs, list(docs))
        if years:
            allowed &= np.array([not set(u.years).isdisjoint(years) for u in self.units])
        dense_best: dict[str, tuple[float, int]] = {}
        lex_best: dict[str, tuple[float, int]] = {}
        if mode in ("hybrid", "dense"):
            q = self.embedder.encode([dense_text or query])
            params = None
            if docs or years:  # search only the allowed vectors, not the global top 400
                params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.flatnonzero(allowed).astype("int64")))
            sims, ids = self.index.faiss_index.search(q, min(n, 400), params=params)
            scores = np.full(n, -1.0, dtype="float32")
            valid = ids[0] >= 0
            scores[ids[0][valid]] = sims[0][valid]
            dense_best = _best_per_clause(scores, self.units, allowed & (scores > -1.0))
        asked = self.tokenizer.query(query)
        tokens = asked + [t for term in lexical_terms for t in self.tokenizer.query(term)]
        cover = tokens if coverage_terms is None else (
            asked + [t for term in coverage_terms for t in self.tokenizer.query(term)])
        if mode in ("hybrid", "lexical") and tokens:
            scores = self.bm25.get_scores(tokens)
            lex_best = _best_per_clause(scores, self.units, allowed & (scores > 0))
        hits = self._fuse(dense_best, lex_best, fusion, weights)
        if coverage_weight > 0 and hits:
            top = hits[0].score or 1.0
            pool = [
                replace(h, score=h.score / top + coverage_weight * self.coverage(cover, h.clause_id))
                for h in hits[:COVERAGE_POOL]
            ]
            hits = sorted(pool, key=lambda h: (-h.score, h.clause_id)) + hits[COVERAGE_POOL:]
        return hits[:k]

    def _fuse(self, dense: dict, lex: dict, fusion: str, weights: tuple[float, float]) -> list[Hit]:
        dr, lr = _ranks(dense), _ranks(lex)
        top_lex = max((s for s, _ in lex.values()), default=1.0) or 1.0
        scored = []
        for cid in set(dense) | set(lex):
            d, lx = dense.get(cid, (0.0, -1)), lex.get(cid, (0.0, -1))
            if fusion == "weighted":
                s = weights[0] * max(d[0], 0.0) + weights[1] * lx[0] / top_lex
            else:
                s = sum(w / (RRF_K + r[cid]) for w, r in zip(weights, (dr, lr), strict=True) if cid in r)
            unit_i = d[1] if d[1] >= 0 and (lx[1] < 0 or d[0] >= 0.5) else lx[1]
            scored.append(Hit(cid, s, self.units[unit_i], d[0], lx[0], dr.get(cid), lr.get(cid)))
        scored.sort(key=lambda h: (-h.score, h.clause_id))
        return scored


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
