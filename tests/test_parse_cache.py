"""The per-plan parse cache: same clauses as parsing, only changed plans parsed, bad entries ignored."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import rag.corpus as corpus_module
from rag import parse_cache
from rag.corpus import load_corpus, save_parse_cache
from rag.index import build_index, parse_cache_dir

from .conftest import CORPUS

PLANS = ("000_dbc0dc4999015e68.txt", "001_3f0dce72c6dcd5e9.txt", "002_136185e90f3548b4.txt",
         "003_fcb835583027c304.txt", "004_4faabe87d910e0af.txt")


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    for name in ("manifest.toml", *PLANS):
        shutil.copy(CORPUS / name, root / name)
    return root


@pytest.fixture
def parsed(monkeypatch):
    """The ids of the plans `load_corpus` actually parses."""
    seen: list[str] = []
    parse = corpus_module.parse_document

    def counting(doc, text):
        seen.append(doc.id)
        return parse(doc, text)

    monkeypatch.setattr(corpus_module, "parse_document", counting)
    return seen


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json"))


def test_cached_corpus_equals_a_parsed_one(root, tmp_path, parsed, corpus):
    cache = tmp_path / "cache"
    assert save_parse_cache(load_corpus(root), cache) == 5 and len(_entries(cache)) == 5
    parsed.clear()
    cached = load_corpus(root, cache)
    assert parsed == []  # nothing parsed
    assert cached.docs == corpus.docs and cached.clauses == corpus.clauses  # every field of every clause
    assert cached.doc_hashes == corpus.doc_hashes and cached.warnings == corpus.warnings
    assert save_parse_cache(cached, cache) == 0  # all there already


def test_a_changed_plan_is_parsed_again_and_its_old_entry_dropped(root, tmp_path, parsed):
    cache = tmp_path / "cache"
    save_parse_cache(load_corpus(root), cache)
    before = set(_entries(cache))
    plan = root / PLANS[2]
    plan.write_text(plan.read_text(encoding="utf-8").replace("。", "，并按季度通报进展。", 1), encoding="utf-8")
    parsed.clear()
    changed = load_corpus(root, cache)
    assert parsed == ["002"]
    assert changed.docs == load_corpus(root).docs
    assert save_parse_cache(changed, cache) == 1
    after = set(_entries(cache))
    assert len(after) == 5 and len(before - after) == 1  # the stale entry is gone


def test_a_changed_manifest_entry_is_parsed_again(root, tmp_path, parsed):
    cache = tmp_path / "cache"
    save_parse_cache(load_corpus(root), cache)
    manifest = root / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('id = "004"', 'id = "004b"'), encoding="utf-8")
    parsed.clear()
    c = load_corpus(root, cache)
    assert parsed == ["004b"] and any(cl.id.startswith("004b/") for cl in c.clauses)


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "empty", "valid checksum, wrong shape", "not json"])
def test_a_bad_entry_is_parsed_again_never_used(root, tmp_path, parsed, damage, caplog):
    cache = tmp_path / "cache"
    full = load_corpus(root)
    save_parse_cache(full, cache)
    key = parse_cache.entry_key(full.docs[3].doc, full.doc_hashes["003"])
    entry = cache / f"{key}.json"
    raw = entry.read_bytes()
    if damage == "flip a byte":
        raw = raw.replace("医院".encode(), "学校".encode(), 1)  # still valid JSON, another text
    elif damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "empty":
        raw = b""
    else:
        import hashlib

        body = b'["003"]' if damage.startswith("valid") else b"{not json"
        raw = hashlib.sha256(body).hexdigest().encode() + b"\n" + body
    entry.write_bytes(raw)
    parsed.clear()
    c = load_corpus(root, cache)
    assert parsed == ["003"]
    assert c.docs == full.docs
    if damage != "empty":
        assert "parsing the plan again" in caplog.text


def test_another_parser_version_misses(root, tmp_path, parsed, monkeypatch):
    cache = tmp_path / "cache"
    save_parse_cache(load_corpus(root), cache)
    monkeypatch.setattr(parse_cache, "parser_version", lambda: "another parser")
    parsed.clear()
    load_corpus(root, cache)
    assert parsed == ["000", "001", "002", "003", "004"]


def test_parser_version_covers_every_module_the_parser_imports():
    """A change to any module `parse_document` depends on must change the version."""
    rag_dir = Path(parse_cache.__file__).parent
    todo, seen = ["parse"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(ast.parse((rag_dir / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                todo += [node.module] if node.module else [a.name for a in node.names]
    assert seen <= set(parse_cache.PARSER_MODULES)


def test_an_unwritable_cache_is_only_a_warning(root, tmp_path, caplog):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the directory should be")
    assert save_parse_cache(load_corpus(root), blocked) == 0
    assert "could not update the parse cache" in caplog.text
    assert load_corpus(root, blocked).docs == load_corpus(root).docs


def test_a_build_fills_the_cache_and_the_next_load_uses_it(root, tmp_path, parsed, embedder):
    idx = tmp_path / "index"
    build_index(load_corpus(root, parse_cache_dir(idx)), embedder, idx)
    assert len(_entries(parse_cache_dir(idx))) == 5
    parsed.clear()
    again = load_corpus(root, parse_cache_dir(idx))
    assert parsed == []
    assert build_index(again, embedder, idx)["counts"]["embedded"] == 0
