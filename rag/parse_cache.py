"""A per-plan cache of parsed documents, so a rebuild parses only the plans that changed.

Layout (in the index directory, see `rag.index.parse_cache_dir`):

    parse-cache/<key>.json    key = SHA-256 of the parser version, the manifest entry and the file's SHA-256

Each entry is one line with the SHA-256 of the rest, then the `ParsedDoc` as JSON (dataclasses as
arrays of their fields, in field order). The parser version hashes the parser's source files,
the Python version and the Unicode database, so a changed parser never reads an old entry.
An entry that is missing, torn, corrupt or unreadable is a miss: the plan is parsed again —
never a wrong parse. Entries are written whole (temporary file, then rename) and only after a
build has succeeded; entries no longer used are removed then.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
import types
import typing
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .model import Doc
from .parse import ParsedDoc

log = logging.getLogger(__name__)

# The modules whose code decides what `parse_document` returns (tests/test_parse_cache.py
# checks this covers everything rag.parse imports from rag), and this file (the format).
PARSER_MODULES = ("parse", "extract", "tables", "normalize", "model", "errors", "parse_cache")


@functools.cache
def parser_version() -> str:
    """Names the parser: its source files, Python and the Unicode database NFKC folds by."""
    h = hashlib.sha256(f"{sys.version}\0{unicodedata.unidata_version}\0".encode())
    here = Path(__file__).parent
    for name in PARSER_MODULES:
        h.update(name.encode() + b"\0" + (here / f"{name}.py").read_bytes() + b"\0")
    return h.hexdigest()


def entry_key(doc: Doc, digest: str) -> str:
    """The cache key of one plan: parser version, its manifest entry and its file's SHA-256."""
    entry = json.dumps(dataclasses.astuple(doc), ensure_ascii=False)
    return hashlib.sha256(f"{parser_version()}\0{entry}\0{digest}".encode()).hexdigest()


def load(cache_dir: Path, key: str) -> ParsedDoc | None:
    """The cached parse for `key`, or None if there is none or it fails its checksum or format."""
    try:
        raw = (cache_dir / f"{key}.json").read_bytes()
    except OSError:
        return None
    head, _, body = raw.partition(b"\n")
    if head.decode("ascii", "replace") != hashlib.sha256(body).hexdigest():
        log.warning("%s: parse cache entry fails its checksum; parsing the plan again", cache_dir / f"{key}.json")
        return None
    try:
        parsed = _decoder(ParsedDoc)(json.loads(body))
    except (ValueError, TypeError, KeyError, IndexError) as e:
        log.warning("%s: unreadable parse cache entry (%s); parsing the plan again", cache_dir / f"{key}.json", e)
        return None
    return parsed


def save(cache_dir: Path, entries: Iterable[tuple[str, ParsedDoc]]) -> int:
    """Write the entries not yet cached, remove every other entry; returns how many were written.

    A cache that cannot be written (read-only, disk full) only costs the next build its parse
    time: the error is logged, not raised.
    """
    written, keep = 0, set()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for key, parsed in entries:
            keep.add(f"{key}.json")
            if not (cache_dir / f"{key}.json").is_file():
                _write(cache_dir / f"{key}.json", _encode(parsed))
                written += 1
        for p in cache_dir.iterdir():
            if p.name not in keep:
                p.unlink()
    except OSError as e:
        log.warning("could not update the parse cache in %s (%s); the next build parses every plan", cache_dir, e)
    return written


def _write(path: Path, value: Any) -> None:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _encode(value: Any) -> Any:
    """JSON-ready form: a dataclass as the array of its field values, tuples as arrays."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [_encode(getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


@functools.cache
def _decoder(hint: Any) -> Callable[[Any], Any]:
    """A function that rebuilds a value of type `hint` from `_encode`'s form, made once per type
    (the entry's checksum and the parser version vouch for its types; only shapes are checked)."""
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        names = [f.name for f in dataclasses.fields(hint)]
        parts = [(i, _decoder(hints[name])) for i, name in enumerate(names) if hints[name] not in _SCALARS]

        def dataclass_(v: Any) -> Any:
            if len(v) != len(names):
                raise ValueError(f"{hint.__name__} has {len(names)} fields, the entry {len(v)}")
            for i, part in parts:
                v[i] = part(v[i])
            return hint(*v)

        return dataclass_
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
        inner = _decoder(next(a for a in args if a is not type(None)))
        return lambda v: None if v is None else inner(v)
    if origin is tuple and all(a in _SCALARS or a is Ellipsis for a in args):
        return tuple
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])
        return lambda v: tuple(map(item, v))
    if hint in _SCALARS:
        return lambda v: v
    raise TypeError(f"the parse cache cannot store a {hint!r}")


_SCALARS = (str, int, bool)
