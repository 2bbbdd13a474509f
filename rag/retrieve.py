"""Hybrid search over retrieval units: dense (FAISS) + BM25 (jieba), fused, returned as clauses."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

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


class _Ranking(NamedTuple):
    """Clauses ranked by their best unit, best first: clause numbers, their best scores and units."""

    clauses: np.ndarray
    scores: np.ndarray
    units: np.ndarray


_NONE = _Ranking(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64))


def _best_per_clause(units: np.ndarray, scores: np.ndarray, unit_clause: np.ndarray) -> _Ranking:
    """Max unit score per clause over the candidate `units` (indices, with their `scores`).

    Vectorised: the cost grows with the candidates, not the corpus. Ties go to the lower unit
    index, within a clause (which unit it cites) and between clauses (which ranks first).
    """
    if not len(units):
        return _NONE
    order = np.lexsort((units, -scores))
    units, scores = units[order], scores[order]
    clauses = unit_clause[units]
    _, first = np.unique(clauses, return_index=True)  # each clause's first, i.e. best, unit
    first.sort()
    return _Ranking(clauses[first], scores[first], units[first])


def _places(cand: np.ndarray, ranking: _Ranking) -> np.ndarray:
    """Each candidate clause's 0-based place in `ranking`, −1 where it is absent (`cand` sorted)."""
    where = np.full(len(cand), -1, dtype=np.int64)
    where[np.searchsorted(cand, ranking.clauses)] = np.arange(len(ranking.clauses))
    return where


def _search_one_thread(index: Any, q: np.ndarray, k: int, params: Any) -> tuple[np.ndarray, np.ndarray]:
    """FAISS search for one query on one OpenMP thread. One query gains nothing from a second
    thread (exact search at 166k units: 11 ms on one, 35 ms on two), and a second thread left
    spinning slows the next query's embedding; the setting is per calling thread, restored after."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return index.search(q, k, params=params)
    finally:
        faiss.omp_set_num_threads(threads)


def _by_value(values: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
    """{value: indices of the items that have it}, e.g. the units of each document or year."""
    out: dict[str, list[int]] = {}
    for i, vs in enumerate(values):
        for v in vs:
            out.setdefault(v, []).append(i)
    return {v: np.array(ix, dtype=np.int64) for v, ix in out.items()}


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
        # Units as arrays, so that a query costs what its candidates cost, not the corpus:
        # each unit's clause (a number; `_clause_key` orders clauses by id for ties), and the
        # units of each document and of each year a unit mentions (sparse, for the filters).
        self._clause_ids = list(dict.fromkeys(u.clause_id for u in self.units))
        number = {c: i for i, c in enumerate(self._clause_ids)}
        self._unit_clause = np.array([number[u.clause_id] for u in self.units], dtype=np.int64)
        self._clause_key = np.argsort(np.argsort(np.array(self._clause_ids, dtype=object)))
        self._doc_units = _by_value([(u.doc,) for u in self.units])
        self._year_units = _by_value([u.years for u in self.units])
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
        return self.share(tokens, self._clause_tokens.get(clause_id, set()))

    def coverages(self, tokens: Sequence[str], clause_ids: Sequence[str],
                  alternatives: Sequence[tuple[frozenset[str], Sequence[frozenset[str]]]] = ()) -> list[float]:
        """`coverage` of each clause, the query's distinct tokens and their weight found once.
        `alternatives`: (a name's tokens, its other written forms' tokens); a clause that writes
        one of the other forms in full covers the name (紧急医疗救援 for 紧急医学救援)."""
        want = {t for t in tokens if t in self._idf}
        if not want:
            return [0.0] * len(clause_ids)
        weight, clause_tokens, empty = self._idf.__getitem__, self._clause_tokens, frozenset()
        total = sum(map(weight, want))
        out = []
        for c in clause_ids:
            have = clause_tokens.get(c, empty)
            got = want & have
            for name, forms in alternatives:
                if not name <= have and any(f <= have for f in forms):
                    got |= want & name
            out.append(sum(map(weight, got)) / total)
        return out

    def share(self, tokens: Sequence[str], have: set[str] | frozenset[str]) -> float:
        """IDF-weighted share of the distinct query tokens (those any clause has) that are in `have`."""
        want = {t for t in tokens if t in self._idf}
        if not want:
            return 0.0
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
        coverage_forms: Mapping[str, Sequence[str]] | None = None,
        years: Sequence[str] | None = None,
        query_vector: np.ndarray | None = None,
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
            coverage_forms: {coverage term: its written forms}; a clause writing any form in full
                covers the term.
            coverage_terms: the extra terms coverage asks for (None = `lexical_terms`); a term's
                aliases widen the lexical search but should not each be required.
            query_vector: the dense side's query embedding, when the caller has it already
                (shape (1, dim)); None embeds `dense_text or query`.

        Returns:
            Up to k hits, best first.
        """
        n = len(self.units)
        if n == 0 or k <= 0:
            return []
        allowed = self._allowed(docs, years)
        dense, lex = _NONE, _NONE
        if mode in ("hybrid", "dense"):
            q = self.embedder.encode([dense_text or query]) if query_vector is None else query_vector
            params = None
            if allowed is not None:  # search only the allowed vectors, not the global top 400
                params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.flatnonzero(allowed).astype("int64")))
            sims, ids = _search_one_thread(self.index.faiss_index, q, min(n, 400), params)
            keep = (ids[0] >= 0) & (sims[0] > -1.0)
            ids, sims = ids[0][keep].astype(np.int64), sims[0][keep]
            if allowed is not None:
                ids, sims = ids[allowed[ids]], sims[allowed[ids]]
            dense = _best_per_clause(ids, sims, self._unit_clause)
        asked = self.tokenizer.query(query)
        tokens = asked + [t for term in lexical_terms for t in self.tokenizer.query(term, fixed=True)]
        cover = tokens if coverage_terms is None else (
            asked + [t for term in coverage_terms for t in self.tokenizer.query(term, fixed=True)])
        alternatives = [
            (frozenset(self.tokenizer.query(term, fixed=True)),
             [frozenset(self.tokenizer.query(f, fixed=True)) for f in forms if f != term])
            for term, forms in (coverage_forms or {}).items() if len(forms) > 1]
        if mode in ("hybrid", "lexical") and tokens:
            scores = self.bm25.get_scores(tokens)
            ids = np.flatnonzero(scores > 0)
            if allowed is not None:
                ids = ids[allowed[ids]]
            lex = _best_per_clause(ids, scores[ids], self._unit_clause)
        # Only the hits that can be returned are made: coverage re-orders the top COVERAGE_POOL.
        hits = self._fuse(dense, lex, fusion, weights, max(k, COVERAGE_POOL) if coverage_weight > 0 else k,
                          cover if coverage_weight > 0 else None, coverage_weight, keep=k, alternatives=alternatives)
        return hits[:k]

    def _allowed(self, docs: Sequence[str] | None, years: Sequence[str] | None) -> np.ndarray | None:
        """Which units the filters let through (None: no filter, all of them)."""
        if not docs and not years:
            return None
        none = np.zeros(0, dtype=np.int64)
        allowed = np.ones(len(self.units), dtype=bool)
        for wanted, units in ((docs, self._doc_units), (years, self._year_units)):
            if wanted:
                mask = np.zeros(len(self.units), dtype=bool)
                for v in wanted:
                    mask[units.get(v, none)] = True
                allowed &= mask
        return allowed

    def _fuse(self, dense: _Ranking, lex: _Ranking, fusion: str, weights: tuple[float, float], top: int,
              cover: Sequence[str] | None = None, coverage_weight: float = 0.0, keep: int | None = None,
              alternatives: Sequence[tuple[frozenset[str], Sequence[frozenset[str]]]] = ()) -> list[Hit]:
        """The `top` clauses of both rankings fused, best first (ties by clause id). With `cover`,
        the first COVERAGE_POOL are re-scored as fused/best + coverage_weight × coverage(cover)
        and re-ordered. Hits are made for the first `keep` only (None: all `top`)."""
        cand = np.union1d(dense.clauses, lex.clauses)
        dp, lp = _places(cand, dense), _places(cand, lex)
        has_d, has_l = dp >= 0, lp >= 0
        d_score, l_score = np.zeros(len(cand)), np.zeros(len(cand))
        d_score[has_d], l_score[has_l] = dense.scores[dp[has_d]], lex.scores[lp[has_l]]
        if fusion == "weighted":
            top_lex = (float(lex.scores[0]) if len(lex.scores) else 1.0) or 1.0
            fused = weights[0] * np.maximum(d_score, 0.0) + weights[1] * l_score / top_lex
        else:  # reciprocal ranks; ranks are 1-based places
            fused = np.zeros(len(cand))
            fused[has_d] += weights[0] / (RRF_K + dp[has_d] + 1)
            fused[has_l] += weights[1] / (RRF_K + lp[has_l] + 1)
        pick = np.arange(len(cand))
        if len(cand) > top:  # every clause scoring at least the top-th best (ties included)
            pick = np.flatnonzero(fused >= np.partition(fused, len(cand) - top)[len(cand) - top])
        pick = pick[np.lexsort((self._clause_key[cand[pick]], -fused[pick]))][:top]
        order = pick.tolist()
        ids = [self._clause_ids[c] for c in cand[pick].tolist()]
        scores = fused[pick].tolist()
        if cover is not None and order:
            best, pool = scores[0] or 1.0, min(len(order), COVERAGE_POOL)
            shares = self.coverages(cover, ids[:pool], alternatives)
            scores[:pool] = [scores[j] / best + coverage_weight * shares[j] for j in range(pool)]
            first = sorted(range(pool), key=lambda j: (-scores[j], ids[j]))
            order[:pool], ids[:pool], scores[:pool] = ([xs[j] for j in first] for xs in (order, ids, scores))
        if keep is not None:
            order, ids, scores = order[:keep], ids[:keep], scores[:keep]
        dl, ll = d_score[order].tolist(), l_score[order].tolist()
        dpl, lpl = dp[order].tolist(), lp[order].tolist()
        hits = []
        for j, cid in enumerate(ids):
            d, lx, di, li = dl[j], ll[j], dpl[j], lpl[j]
            d_unit = int(dense.units[di]) if di >= 0 else -1
            unit_i = d_unit if d_unit >= 0 and (li < 0 or d >= 0.5) else int(lex.units[li])
            hits.append(Hit(cid, scores[j], self.units[unit_i], d, lx,
                            di + 1 if di >= 0 else None, li + 1 if li >= 0 else None))
        return hits


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
