"""Loading the corpus: manifest, hashes, and bad files handled with clear errors."""

from __future__ import annotations

import re
import shutil

import pytest

from rag.corpus import load_corpus, load_manifest
from rag.errors import CorpusError

from .conftest import CORPUS


def _copy_corpus(tmp_path, ids=("000",)):
    root = tmp_path / "corpus"
    root.mkdir()
    entries = (CORPUS / "manifest.toml").read_text(encoding="utf-8").split("[[doc]]")
    keep = [e for e in entries[1:] if any(f'id = "{i}"' in e for i in ids)]
    (root / "manifest.toml").write_text("".join("[[doc]]" + e for e in keep), encoding="utf-8")
    for d in load_manifest(CORPUS):
        if d.id in ids:
            shutil.copy(CORPUS / d.file, root / d.file)
    return root


def _add_doc(root, doc_id, name, data: bytes):
    (root / name).write_bytes(data)
    with open(root / "manifest.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[[doc]]\nid = "{doc_id}"\nfile = "{name}"\ntitle = "测试"\ntitle_en = "Test"\nregion = "浙江省"\n')


def test_manifest_lists_five_plans_with_metadata():
    docs = load_manifest(CORPUS)
    assert [d.id for d in docs] == ["000", "001", "002", "003", "004"]
    assert docs[2].region == "湖州市" and docs[2].number == "湖政办发〔2023〕54号"
    assert docs[4].title == "绍兴市卫生健康事业发展“十四五”规划"


def test_corpus_files_are_the_seeds_byte_for_byte():
    seeds = CORPUS.parent.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds not beside the checkout")
    for d in load_manifest(CORPUS):
        assert (CORPUS / d.file).read_bytes() == (seeds / d.file).read_bytes()


def test_content_hash_changes_with_a_document(tmp_path, corpus):
    root = _copy_corpus(tmp_path)
    h1 = load_corpus(root).content_hash
    _add_doc(root, "005", "005.txt", "一、总则\n到2025年，测试指标达到50%以上。\n".encode())
    c2 = load_corpus(root)
    assert c2.content_hash != h1
    assert "005/一" in {c.id for c in c2.clauses}


def test_non_utf8_file_is_named_with_offset_and_skipped(tmp_path):
    root = _copy_corpus(tmp_path)
    _add_doc(root, "005", "bad.txt", "一、总则\n卫生".encode() + "健康".encode("gb18030"))
    c = load_corpus(root)
    assert any(re.search(r"bad\.txt: not UTF-8 at byte offset 19.*document 005 skipped", w) for w in c.warnings)
    assert [d.doc.id for d in c.docs] == ["000"]


def test_missing_file_in_manifest(tmp_path):
    root = _copy_corpus(tmp_path)
    with open(root / "manifest.toml", "a", encoding="utf-8") as f:
        f.write('\n[[doc]]\nid = "009"\nfile = "nope.txt"\ntitle = "x"\ntitle_en = "x"\nregion = "x"\n')
    c = load_corpus(root)
    assert any("nope.txt" in w and "document 009 skipped" in w for w in c.warnings)
    assert [d.doc.id for d in c.docs] == ["000"]
    with pytest.raises(CorpusError, match="nope.txt"):
        load_manifest(root)  # the manifest check on its own stays strict


def test_empty_and_duplicate_documents_warn_and_the_rest_loads(tmp_path):
    root = _copy_corpus(tmp_path)
    _add_doc(root, "005", "empty.txt", b"")
    _add_doc(root, "006", "dup.txt", (root / load_manifest(root)[0].file).read_bytes())
    c = load_corpus(root)
    assert any("empty" in w for w in c.warnings)
    assert any("same bytes as document 000" in w for w in c.warnings)
    assert "000/二/（三）/1" in {x.id for x in c.clauses}


def test_malformed_manifest(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    (root / "manifest.toml").write_text("[[doc]\nid=", encoding="utf-8")
    with pytest.raises(CorpusError, match="not valid TOML"):
        load_corpus(root)
    (root / "manifest.toml").write_text('[[doc]]\nid = "1"\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="lacks file"):
        load_corpus(root)
