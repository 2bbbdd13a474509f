"""The corpus: manifest of plans, loading and parsing them, content hashes for the index."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from . import parse_cache
from .bulk import gc_paused
from .errors import CorpusError
from .model import Clause, Doc
from .normalize import decode
from .parse import ParsedDoc, parse_document

log = logging.getLogger(__name__)

MANIFEST = "manifest.toml"
MAX_FILE_BYTES = 20 * 1024 * 1024  # a plan is ~50 KB; anything this big is not a plan text
_REQUIRED = ("id", "file", "title", "title_en", "region")
# Text addressed to an AI assistant. The assistant is extractive (it quotes, never obeys), but
# whoever maintains the corpus should know such text is in a plan file.
_INSTRUCTION = re.compile(
    r"(?:忽略|无视|忘记)(?:以上|上述|之前|前面|所有)[^。\n]{0,6}(?:指令|指示|提示)|系统提示词|"
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) instructions|"
    r"system prompt|<\s*script",
    re.I,
)


@dataclass(frozen=True)
class Corpus:
    """Every parsed plan plus the hashes that tell an index whether it is stale."""

    root: Path
    docs: tuple[ParsedDoc, ...]
    doc_hashes: dict[str, str]
    warnings: tuple[str, ...]

    @functools.cached_property
    def clauses(self) -> tuple[Clause, ...]:
        """Every clause in corpus order (made once: the chain reads it on every question)."""
        return tuple(c for d in self.docs for c in d.clauses)

    @property
    def content_hash(self) -> str:
        """One hash over the manifest and every document's bytes."""
        h = hashlib.sha256()
        for key in sorted(self.doc_hashes):
            h.update(f"{key}:{self.doc_hashes[key]}\n".encode())
        return h.hexdigest()

    def doc(self, doc_id: str) -> Doc:
        for d in self.docs:
            if d.doc.id == doc_id:
                return d.doc
        raise KeyError(doc_id)

    def clause(self, clause_id: str) -> Clause:
        for c in self.clauses:
            if c.id == clause_id:
                return c
        raise KeyError(clause_id)


def load_manifest(root: Path, require_files: bool = True) -> list[Doc]:
    """Read `corpus/manifest.toml` into Doc entries.

    Raises:
        CorpusError: the manifest is missing or malformed, an entry lacks a required field,
            ids repeat, or (with `require_files`) a listed file does not exist.
    """
    path = root / MANIFEST
    if not path.is_file():
        raise CorpusError(f"{path}: corpus manifest not found; create it with one [[doc]] per plan")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CorpusError(f"{path}: not valid TOML ({e})") from None
    known = {f.name for f in fields(Doc)}
    docs, seen = [], set()
    for i, entry in enumerate(data.get("doc", []), start=1):
        missing = [k for k in _REQUIRED if not entry.get(k)]
        if missing:
            raise CorpusError(f"{path}: [[doc]] entry {i} lacks {', '.join(missing)}")
        if entry["id"] in seen:
            raise CorpusError(f"{path}: document id {entry['id']!r} is listed twice")
        seen.add(entry["id"])
        if require_files and not (root / entry["file"]).is_file():
            raise CorpusError(_missing(root, entry["id"], entry["file"]))
        values = {k: str(v) for k, v in entry.items() if k in known}
        docs.append(Doc(**{k: values.get(k, "") for k in known}))  # type: ignore[arg-type]
    if not docs:
        raise CorpusError(f"{path}: lists no documents")
    return docs


@gc_paused()  # a parsed plan is thousands of objects: collecting would walk them all
def load_corpus(root: str | Path = "corpus", cache_dir: str | Path | None = None) -> Corpus:
    """Load and parse every plan listed in the manifest.

    Args:
        root: the corpus directory (manifest.toml and the plan texts).
        cache_dir: a parse cache (`rag.parse_cache`) to take unchanged plans' parses from
            (None: parse every plan). `save_parse_cache` fills it.

    Returns:
        The parsed corpus. Problems that lose only one document (a missing, non-UTF-8 or
        oversized file, an empty file, no headings, a duplicate of another document) are
        warnings naming the file: that document is skipped and the rest still loads. Text
        that reads as instructions to an AI is indexed as plain text, with a warning.

    Raises:
        CorpusError: manifest problems, or no listed document could be loaded.
    """
    root = Path(root)
    docs = load_manifest(root, require_files=False)
    parsed, hashes, warnings = [], {"manifest": _sha((root / MANIFEST).read_bytes())}, []
    by_hash: dict[str, str] = {}
    for doc in docs:
        path = root / doc.file
        try:
            data = _read(root, doc)
            digest = _sha(data)
            if digest in by_hash:
                warnings.append(f"{path}: same bytes as document {by_hash[digest]}; skipped")
                continue
            text = decode(data, str(path))
        except CorpusError as e:
            warnings.append(f"{e} (document {doc.id} skipped; the other plans still load)")
            continue
        by_hash[digest] = doc.id
        hashes[doc.id] = digest
        for m in list(_INSTRUCTION.finditer(text))[:3]:
            warnings.append(
                f"{path}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r} reads as an "
                "instruction to an AI; indexed as plain text (quoted, never followed)"
            )
        p = (parse_cache.load(Path(cache_dir), parse_cache.entry_key(doc, digest)) if cache_dir else None) \
            or parse_document(doc, text)
        warnings.extend(p.warnings)
        parsed.append(p)
    for w in warnings:
        log.warning(w)
    if not parsed:
        raise CorpusError(f"{root / MANIFEST}: no listed document could be loaded: {'; '.join(warnings)}")
    return Corpus(root, tuple(parsed), hashes, tuple(warnings))


def save_parse_cache(corpus: Corpus, cache_dir: str | Path) -> int:
    """Cache every plan's parse for the next `load_corpus(root, cache_dir)`; drop other entries.

    Returns:
        How many entries were written (plans not cached yet).
    """
    entries = ((parse_cache.entry_key(p.doc, corpus.doc_hashes[p.doc.id]), p) for p in corpus.docs)
    return parse_cache.save(Path(cache_dir), entries)


def _missing(root: Path, doc_id: str, name: str) -> str:
    return (
        f"{root / MANIFEST}: document {doc_id} names file {name!r}, "
        f"which is not in {root}; add the file or remove the entry"
    )


def _read(root: Path, doc: Doc) -> bytes:
    """A plan file's bytes, or CorpusError naming the file when it is missing or too large."""
    path = root / doc.file
    if not path.is_file():
        raise CorpusError(_missing(root, doc.id, doc.file))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CorpusError(
            f"{path}: {size:,} bytes is too large for a plan text "
            f"(limit {MAX_FILE_BYTES:,}); split it or check it is the right file"
        )
    return path.read_bytes()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
