"""The on-disk index: retrieval units → embeddings (FAISS) + BM25 tokens, with a checked manifest.

Layout (no pickle anywhere; every file checksummed in the manifest, verified before it is read):

    index/CURRENT              name of the live generation, replaced atomically
    index/gen-<hash>/manifest.json   <hash> = its SHA-256 prefix, checked before it is parsed
    index/gen-<hash>/units.jsonl     retrieval units (the docstore) with their BM25 tokens
    index/gen-<hash>/vectors.faiss   FAISS index over the unit embeddings
    index/gen-<hash>/userdict.txt    the jieba user dictionary made from the corpus
    index/parse-cache/<key>.json     each plan's parse (`rag.parse_cache`, checksummed per entry)

A build writes a new generation beside the old one, fsyncs it, writes its manifest last and
then swaps CURRENT, so a crash at any moment leaves the old index or the new one, never a mix.
The parse cache is only a cache: updated after the swap, and a bad entry is parsed again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import orjson

from .bulk import gc_paused
from .corpus import Corpus, save_parse_cache
from .errors import IndexStateError
from .units import Unit, make_units, user_words

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Up to this many units, exact search; above, an inverted-file index (IVF). Measured on the
# 2-core machine (benchmarks/README.md): exact top-400 search for one query costs ~15 ms at
# 166k units (idle) and grows linearly, so 200k keeps it within a ~20 ms share of the query
# budget. At 166k units IVF answers in ~0.3 ms for −1.4 points of rank-1 accuracy; HNSW
# (M 32) loses 4.7 points — near-duplicate plans and plan filters defeat its graph.
EXACT_SEARCH_MAX = 200_000
IVF_NPROBE = 32  # lists searched per query, of ≈ 4·√n (recall@10 0.997 at 166k units)
_FILES = ("units.jsonl", "vectors.faiss", "userdict.txt")


@dataclass
class Index:
    """A loaded index: units, their vectors in FAISS, and the manifest that describes them."""

    path: Path
    manifest: dict[str, Any]
    units: list[Unit]
    faiss_index: Any
    words: list[str]
    tokens: list[list[str]]


def make_faiss_index(dim: int, n: int) -> Any:
    """The one place that picks the vector index: exact inner product (`IndexFlatIP`) up to
    EXACT_SEARCH_MAX units; above, `IndexIVFFlat` with ≈ 4·√n lists, IVF_NPROBE searched (it
    needs training: `build_index` trains it on a fixed sample of the vectors). Vectors are
    L2-normalised, so inner product is cosine similarity."""
    if n <= EXACT_SEARCH_MAX:
        return faiss.IndexFlatIP(dim)
    nlist = max(1, min(int(4 * n**0.5), n // 39))  # FAISS wants ≥ 39 training points per list
    idx: Any = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    idx.nprobe = IVF_NPROBE  # saved in the index file
    return idx


def _train(fidx: Any, matrix: np.ndarray) -> None:
    """Train an index that needs it (IVF) on a fixed sample: the same corpus gives the same index."""
    if fidx.is_trained or not len(matrix):
        return
    nlist = faiss.extract_index_ivf(fidx).nlist
    rng = np.random.default_rng(0)
    take = min(len(matrix), 64 * nlist)
    fidx.train(matrix[np.sort(rng.choice(len(matrix), take, replace=False))])


class IVFSearch:
    """A loaded IVF index that also takes the generic `faiss.SearchParameters(sel=…)` the
    Searcher passes for a plan filter (FAISS's IVF accepts only `SearchParametersIVF`); every
    other attribute is the index's own."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def search(self, x: np.ndarray, k: int, params: Any = None) -> Any:
        ivf_params: Any = faiss.SearchParametersIVF
        if params is not None and not isinstance(params, ivf_params):
            params = ivf_params(sel=params.sel, nprobe=self.index.nprobe)
        return self.index.search(x, k, params=params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_write(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write `data` (bytes, or chunks streamed one by one) and fsync it: every index file goes
    through here, so the fault-injection tests can tear or kill any write."""
    with open(path, "wb") as f:
        if isinstance(data, bytes):
            f.write(data)
        else:
            for chunk in data:
                f.write(chunk)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tokenizer_id() -> str:
    """Names the BM25 tokenizer's code and jieba version: cached tokens are reused only while it holds."""
    import jieba

    from . import tokenize

    try:
        src = Path(tokenize.__file__).read_bytes() + getattr(jieba, "__version__", "").encode()
    except OSError:  # no source to fingerprint: never reuse tokens
        src = os.urandom(16)
    return hashlib.sha256(src).hexdigest()[:16]


def _key(text: str) -> bytes:
    """A unit text's 16-byte digest: what a build remembers of the previous generation's texts
    (1.7 M texts at 1000× the corpus: digests, not the texts themselves)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


@dataclass
class _Previous:
    """What the live generation lets a build reuse, held lean so that a re-index fits beside
    the new generation at 1000× the corpus: its FAISS index (vectors are read row by row from
    it), each embed_text's row, and — when the jieba dictionary and tokenizer are unchanged —
    where each lex_text's line (with its BM25 tokens) starts in its units.jsonl."""

    vectors: Any  # the previous FAISS index, or None
    rows: dict[bytes, int]  # _key(embed_text) → row in `vectors`
    lines: dict[bytes, int]  # _key(lex_text) → byte offset of a line in `units`
    units: Path | None  # the previous units.jsonl (still on disk until the new one is live)
    _file: Any = None  # that file, open while the new generation is written

    def copy_vectors(self, src: list[int], dst: list[int], matrix: np.ndarray, step: int = 1 << 16) -> None:
        """matrix[dst[i]] = previous vector src[i], a block at a time (no second full copy)."""
        for i in range(0, len(src), step):
            matrix[dst[i : i + step]] = self.vectors.reconstruct_batch(np.asarray(src[i : i + step], dtype="int64"))

    def tokens_at(self, offset: int) -> list[str]:
        """The BM25 tokens on the previous units.jsonl's line at `offset` (the file was checked
        against its checksum when the build opened it; it stays open until `close`)."""
        if self._file is None:
            self._file = open(self.units, "rb")  # noqa: SIM115 - closed by close(), after the build
        self._file.seek(offset)
        return orjson.loads(self._file.readline()).get("tokens", [])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.vectors = None


def _previous(index_dir: Path, embedder_id: str, words: list[str], tokenizer_id: str) -> _Previous:
    """The live generation, checked like `load_index` but streamed: its unit lines are read
    one at a time for their texts, never all held (the full read is `load_index`'s job)."""
    none = _Previous(None, {}, {}, None)
    try:
        gen = _checked(index_dir, verify_corpus=None, embedder_id=embedder_id)
    except IndexStateError:
        return none
    fidx = faiss.read_index(str(gen.path / "vectors.faiss"))
    if isinstance(fidx, faiss.IndexIVF) and fidx.direct_map.type == faiss.DirectMap.NoMap:
        return none  # no row lookup: nothing to reuse
    # A changed dictionary can re-segment any text (jieba's word probabilities depend on the
    # whole dictionary), so tokens are reused only when the dictionary is byte-identical.
    same_dict = gen.words == "\n".join(words).split() and gen.manifest.get("tokenizer") == tokenizer_id
    rows: dict[bytes, int] = {}
    lines: dict[bytes, int] = {}
    n, off = 0, 0
    with open(gen.path / "units.jsonl", "rb") as f, gc_paused():
        for line in f:
            if line.strip():
                r = orjson.loads(line)
                rows.setdefault(_key(r["embed_text"]), n)
                if same_dict:
                    lines.setdefault(_key(r["lex_text"]), off)
                n += 1
            off += len(line)
    if n != fidx.ntotal:
        return none
    return _Previous(fidx, rows, lines, gen.path / "units.jsonl" if same_dict else None)


@gc_paused()  # hundreds of thousands of units and token lists at 100× the corpus
def build_index(
    corpus: Corpus,
    embedder: Any,
    index_dir: str | Path,
    progress: Callable[[int, int], None] | None = None,
    extra_words: list[str] | None = None,
) -> dict[str, Any]:
    """Build (or incrementally refresh) the index for `corpus` and make it live.

    Args:
        corpus: the parsed corpus.
        embedder: an object with `encode(list[str]) -> np.ndarray`, `id` and `dim`.
        index_dir: where the index lives (created if missing).
        progress: called with (done, total) as units are embedded.
        extra_words: more terms for the jieba dictionary (e.g. glossary Chinese names).

    Returns:
        The new manifest (counts, timings, how many units were re-embedded).
    """

    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    units = make_units(corpus)
    words = sorted(set(user_words(corpus)) | set(extra_words or []))
    tokenizer_id = _tokenizer_id()
    prev = _previous(index_dir, embedder.id, words, tokenizer_id)
    try:
        return _build(corpus, embedder, index_dir, units, words, tokenizer_id, prev, progress, t0)
    finally:
        prev.close()


def _build(corpus: Corpus, embedder: Any, index_dir: Path, units: list[Unit], words: list[str],
           tokenizer_id: str, prev: _Previous, progress: Callable[[int, int], None] | None,
           t0: float) -> dict[str, Any]:
    from .tokenize import Tokenizer

    # Vectors go straight into one matrix (reused ones copied from the previous FAISS index a
    # block at a time, which is then let go), so a build holds them once there and once in
    # FAISS — at 100× the corpus each copy is 340 MB, at 1000× 3.4 GB.
    matrix = np.zeros((len(units), embedder.dim), dtype="float32")
    rows: dict[str, list[int]] = {}
    todo: list[str] = []
    src: list[int] = []
    dst: list[int] = []
    for i, u in enumerate(units):
        j = prev.rows.get(_key(u.embed_text)) if prev.rows else None
        if j is None:
            todo.append(u.embed_text)
            rows.setdefault(u.embed_text, []).append(i)
        else:
            src.append(j)
            dst.append(i)
    if dst:
        prev.copy_vectors(src, dst, matrix)
    prev.vectors = None  # copied: let the previous generation's vectors go
    prev.rows = {}
    del src, dst
    step = 256
    for i in range(0, len(todo), step):
        batch = todo[i : i + step]
        for text, vec in zip(batch, embedder.encode(batch), strict=True):
            matrix[rows[text]] = vec
        if progress:
            progress(min(i + step, len(todo)), len(todo))
    t_embed = time.perf_counter()
    fidx = make_faiss_index(embedder.dim, len(units))
    if len(units):
        _train(fidx, matrix)
        fidx.add(matrix)
        if isinstance(fidx, faiss.IndexIVF):
            fidx.make_direct_map()  # saved with it: lets the next build reuse its vectors
    # BM25 tokens: the previous generation's where its dictionary still holds (read back from
    # its units.jsonl by line offset as each line is written), new ones segmented now for the
    # texts it lacks.
    offsets = [prev.lines.get(_key(u.lex_text)) for u in units] if prev.lines else [None] * len(units)
    prev.lines = {}
    tokens: dict[str, list[str]] = {}
    retokenized = [u.lex_text for u, off in zip(units, offsets, strict=True) if off is None]
    if retokenized:  # the jieba dictionary is loaded only when some text needs segmenting
        tokenizer = Tokenizer(words)
        for text in retokenized:
            if text not in tokens:
                tokens[text] = tokenizer(text)

    def tokens_of(u: Unit, off: int | None) -> list[str]:
        return tokens[u.lex_text] if off is None else prev.tokens_at(off)

    t_tokens = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="gen-tmp-", dir=index_dir))
    try:
        # Streamed, one line per unit. vars(u) is Unit.to_json() without dataclasses.asdict's
        # deep copy, and orjson writes it ~4× faster than json (both matter at 100× the corpus).
        lines = (orjson.dumps({**vars(u), "tokens": tokens_of(u, off)}) + b"\n"
                 for u, off in zip(units, offsets, strict=True))
        _fsync_write(tmp / "units.jsonl", lines if units else b"\n")
        faiss.write_index(fidx, str(tmp / "vectors.faiss"))
        with open(tmp / "vectors.faiss", "rb+") as f:
            os.fsync(f.fileno())
        _fsync_write(tmp / "userdict.txt", ("\n".join(words) + "\n").encode())
        manifest = {
            "format_version": FORMAT_VERSION,
            "corpus_hash": corpus.content_hash,
            "doc_hashes": corpus.doc_hashes,
            "embedder": {"id": embedder.id, "dim": embedder.dim},
            "tokenizer": tokenizer_id,
            "vector_index": type(fidx).__name__,
            "counts": {
                "documents": len(corpus.docs),
                "clauses": len(corpus.clauses),
                "units": len(units),
                "embedded": len(todo),
                "reused": len(units) - len(todo),
                "tokenized": len(retokenized),
            },
            "seconds": {
                "embed": round(t_embed - t0, 3),
                "tokenize": round(t_tokens - t_embed, 3),
                "total": round(time.perf_counter() - t0, 3),
            },
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "files": {n: {"sha256": _sha256(tmp / n), "size": (tmp / n).stat().st_size} for n in _FILES},
        }
        body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        _fsync_write(tmp / "manifest.json", body)
        _fsync_dir(tmp)
        gen = index_dir / f"gen-{hashlib.sha256(body).hexdigest()[:16]}"  # the manifest's checksum
        if gen.exists():
            shutil.rmtree(gen)
        os.replace(tmp, gen)
        _fsync_write(index_dir / "CURRENT.tmp", gen.name.encode())
        os.replace(index_dir / "CURRENT.tmp", index_dir / "CURRENT")
        _fsync_dir(index_dir)
    except (OSError, RuntimeError) as e:  # disk full, quota, read-only (faiss raises RuntimeError)
        raise IndexStateError(
            f"could not write a new index in {index_dir} ({str(e).rsplit('failed: ', 1)[-1]}); "
            "the live index was not changed — free some space and run `rag build` again"
        ) from e
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _collect_garbage(index_dir, keep=gen.name)
    save_parse_cache(corpus, parse_cache_dir(index_dir))  # after the swap: a failed build leaves no trace
    return manifest


def parse_cache_dir(index_dir: str | Path) -> Path:
    """Where builds keep each plan's parse (`rag.parse_cache`), so the next build parses only
    changed plans: `load_corpus(root, parse_cache_dir(index_dir))`."""
    return Path(index_dir) / "parse-cache"


def _collect_garbage(index_dir: Path, keep: str) -> None:
    for p in index_dir.glob("gen-*"):
        if p.name != keep:
            shutil.rmtree(p, ignore_errors=True)


def _refuse(reason: str, index_dir: Path) -> IndexStateError:
    return IndexStateError(f"index at {index_dir} {reason}; rebuild it with `rag build`")


def load_index(
    index_dir: str | Path, verify_corpus: Corpus | None, embedder_id: str | None
) -> Index:
    """Load the live index after checking every file against its manifest.

    Args:
        index_dir: the index directory.
        verify_corpus: the corpus the index must have been built from (None: don't check).
        embedder_id: the embedder the index must have been built with (None: don't check).

    Raises:
        IndexStateError: missing, corrupt (size or checksum), stale (corpus changed) or
            mismatched (another embedder or format); the message says which and how to rebuild.
    """
    g = _read(Path(index_dir), verify_corpus, embedder_id)
    vectors: Any = IVFSearch(g.faiss_index) if isinstance(g.faiss_index, faiss.IndexIVF) else g.faiss_index
    with gc_paused():
        units = [Unit.from_json(r) for r in g.records]
    return Index(g.path, g.manifest, units, vectors, g.words, [r.get("tokens", []) for r in g.records])


@dataclass
class _Generation:
    """A live generation as read from disk, every file checked: unit records still as JSON."""

    path: Path
    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    faiss_index: Any
    words: list[str]


def _read(index_dir: Path, verify_corpus: Corpus | None, embedder_id: str | None) -> _Generation:
    """`load_index` without making Unit objects (a rebuild needs only their texts and tokens)."""
    gen = _checked(index_dir, verify_corpus, embedder_id, keep_units=True)
    with gc_paused():
        records = [orjson.loads(line) for line in gen.units.split(b"\n") if line]
    fidx = faiss.read_index(str(gen.path / "vectors.faiss"))
    if fidx.ntotal != len(records):
        raise _refuse(f"is inconsistent: {fidx.ntotal} vectors for {len(records)} units", index_dir)
    return _Generation(gen.path, gen.manifest, records, fidx, gen.words)


@dataclass
class _Checked:
    """A live generation whose files all match its manifest: not yet parsed."""

    path: Path
    manifest: dict[str, Any]
    words: list[str]
    units: bytes  # units.jsonl as read and checked (empty unless asked for)


def _checked(index_dir: Path, verify_corpus: Corpus | None, embedder_id: str | None, *,
             keep_units: bool = False) -> _Checked:
    """Find the live generation and check every file against its manifest, its corpus and its
    embedder. `keep_units`: units.jsonl is read into memory once, checked there and returned
    (for parsing); otherwise every file is checked streaming."""
    index_dir = Path(index_dir)
    current = index_dir / "CURRENT"
    if not current.is_file():
        raise _refuse("does not exist yet", index_dir)
    name = current.read_text(encoding="utf-8", errors="replace").strip()
    gen = index_dir / name
    if not name.startswith("gen-") or not gen.is_dir():
        raise _refuse(f"is corrupt: CURRENT names {name[:40]!r}, not a generation in it", index_dir)
    try:
        raw = (gen / "manifest.json").read_bytes()
    except OSError as e:
        raise _refuse(f"has an unreadable manifest ({type(e).__name__})", index_dir) from None
    if gen.name != f"gen-{hashlib.sha256(raw).hexdigest()[:16]}":  # verified before parsing
        raise _refuse("is corrupt: manifest.json does not match its checksum", index_dir)
    try:
        manifest = json.loads(raw.decode("utf-8"))
        files = manifest["files"]
    except (ValueError, KeyError, TypeError) as e:
        raise _refuse(f"has an unreadable manifest ({type(e).__name__})", index_dir) from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _refuse(f"has format {manifest.get('format_version')}, expected {FORMAT_VERSION}", index_dir)
    data = b""
    for name in _FILES:
        p, meta = gen / name, files.get(name, {})
        if not p.is_file():
            raise _refuse(f"is missing {name}", index_dir)
        if name == "units.jsonl" and keep_units:  # read once: checked in memory, then parsed
            data = p.read_bytes()
            ok = len(data) == meta.get("size") and hashlib.sha256(data).hexdigest() == meta.get("sha256")
        else:
            ok = p.stat().st_size == meta.get("size") and _sha256(p) == meta.get("sha256")
        if not ok:
            raise _refuse(f"is corrupt: {name} does not match its checksum", index_dir)
    if embedder_id is not None and manifest["embedder"]["id"] != embedder_id:
        raise _refuse(
            f"was built with embedder {manifest['embedder']['id']!r}, not {embedder_id!r}", index_dir
        )
    if verify_corpus is not None and manifest["corpus_hash"] != verify_corpus.content_hash:
        changed = sorted(
            k for k in set(manifest["doc_hashes"]) | set(verify_corpus.doc_hashes)
            if manifest["doc_hashes"].get(k) != verify_corpus.doc_hashes.get(k)
        )
        raise _refuse(f"is stale: the corpus changed ({', '.join(changed)})", index_dir)
    words = (gen / "userdict.txt").read_text(encoding="utf-8").split()
    return _Checked(gen, manifest, words, data)
