"""Curated zh↔en glossary (units, indicators, policy terms, regions, plans) for bilingual queries."""

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

from .errors import CorpusError

KINDS = ("unit", "indicator", "term", "region", "plan")
HEADER = ("kind", "zh", "en", "zh_aliases", "en_aliases")
COLLOQUIAL = "~"  # zh alias prefix: a name staff use that the plans never write out

_FOLD = str.maketrans({"〔": "(", "〕": ")", "—": "-", "–": "-", "’": "'", "‘": "'"})
_Index = tuple[tuple[str, str, tuple[str, ...]], ...]  # (name, prefix, canonical zh names)


class Entry(NamedTuple):
    """One glossary row; `colloquial` lists the zh aliases marked "~" (not in the plans)."""

    kind: str
    zh: str
    en: str
    zh_aliases: tuple[str, ...] = ()
    en_aliases: tuple[str, ...] = ()
    colloquial: tuple[str, ...] = ()
    line: int = 0


def _en_text(text: str) -> str:
    # NFKC folds （） and full-width digits; 〔〕 fold to () so both bracket styles match.
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # "1,000" → "1000"


def _zh_key(text: str) -> str:
    return re.sub(r"\s+", "", _en_text(text)).lower()


def _word_parts(word: str) -> tuple[str, str]:
    """Literal stem and regex tail of one English word, so simple plurals/singulars match."""
    low = word.lower()
    if word.isupper():  # acronyms: "CDC"/"CDCs", and "AIDS" never shrinks to "aid"
        return word, "s?"
    if len(low) < 3 or not low[-1].isalpha() or not low.isascii():
        return word, ""
    if low.endswith("ies") or (low[-1] == "y" and low[-2] not in "aeiou"):
        return word[: -3 if low.endswith("ies") else -1], "(?:y|ies)"
    return (word[:-1] if low[-1] == "s" and low[-2] != "s" else word), "(?:s|es)?"


@cache
def _zh_pattern(name: str) -> re.Pattern[str]:
    return re.compile(re.escape(name))


@cache
def _en_pattern(phrase: str) -> re.Pattern[str]:
    # Words joined by spaces, hyphens or nothing ("case-mix" = "case mix"), possessives allowed.
    parts = (_word_parts(w) for w in phrase.split(" "))
    body = r"(?:'s?)?[\s\-]*".join(re.escape(s).replace("'", "'?") + t for s, t in parts)
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE)


def _en_phrases(entry: Entry) -> Iterator[str]:
    for name in (entry.en, *entry.en_aliases):
        for variant in (name, re.sub(r"\s*\([^)]*\)", "", name)):  # "index (CMI)" → "index"
            if words := [w for w in re.split(r"[\s\-]+", _en_text(variant)) if w]:
                yield " ".join(w if w.isupper() else w.lower() for w in words)  # keep acronyms


def _index(names: dict[str, list[str]]) -> _Index:
    rows = []
    for name, zhs in names.items():  # every match contains the prefix: most never compile
        prefix = _word_parts(name.split(" ")[0])[0].lower().split("'")[0][:4]
        rows.append((name, prefix, tuple(dict.fromkeys(zhs))))
    return tuple(sorted(rows, key=lambda row: (-len(row[0]), row[0])))


def _expand(text: str, index: _Index, pattern: Callable[[str], re.Pattern[str]]) -> list[str]:
    # Longest name first; a span matched once is not matched again by a shorter name.
    low, taken, hits = text.lower(), [False] * len(text), []
    for name, prefix, zhs in index:
        for m in pattern(name).finditer(text) if prefix in low else ():
            if m.end() > m.start() and not any(taken[m.start() : m.end()]):
                taken[m.start() : m.end()] = [True] * (m.end() - m.start())
                hits.append((m.start(), zhs))
    return list(dict.fromkeys(zh for _, zhs in sorted(hits, key=lambda h: h[0]) for zh in zhs))


@dataclass(frozen=True)
class Glossary:
    """Lookups over glossary entries: English names, canonical Chinese names, query expansion."""

    entries: tuple[Entry, ...]
    _by_name: dict[str, tuple[Entry, ...]] = field(init=False, repr=False, compare=False)
    _en_index: _Index = field(init=False, repr=False, compare=False)
    _zh_index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, list[Entry]] = {}
        en_names: dict[str, list[str]] = {}
        for e in self.entries:
            by_name.setdefault(_zh_key(e.zh), []).append(e)
            for p in _en_phrases(e):
                en_names.setdefault(p, []).append(e.zh)
        for key, owner in [(_zh_key(a), e) for e in self.entries for a in e.zh_aliases]:
            by_name.setdefault(key, []).append(owner)  # after all canonical names: they win
        alias_of = {k: [e.zh for e in v if _zh_key(e.zh) != k] for k, v in by_name.items()}
        object.__setattr__(self, "_by_name", {k: tuple(v) for k, v in by_name.items()})
        object.__setattr__(self, "_en_index", _index(en_names))
        object.__setattr__(self, "_zh_index", _index(alias_of))

    def en(self, zh: str) -> str | None:
        """English name for a Chinese unit, indicator, term, region or plan.

        Args:
            zh: the Chinese name as the plan writes it, or an alias such as "卫健委".
        Returns:
            The English name, or None when the glossary does not know the name.
        """
        found = self._by_name.get(_zh_key(zh))
        return found[0].en if found else None

    def canonical_zh(self, text: str) -> str | None:
        """Canonical Chinese name for a name or alias, the first in file order if shared.

        Args:
            text: a Chinese name or alias, e.g. "卫健委".
        Returns:
            The canonical name ("省卫生健康委"), or None when the glossary does not know it.
        """
        found = self._by_name.get(_zh_key(text))
        return found[0].zh if found else None

    def expand_en(self, question: str) -> list[str]:
        """Canonical zh names whose English names occur in `question`, longest phrase first.

        Args:
            question: an English question; matching ignores case, simple plurals and "-" vs " ".
        Returns:
            Canonical zh names in order of first appearance, without duplicates.
        """
        return _expand(_en_text(question), self._en_index, _en_pattern)

    def expand_zh_aliases(self, question: str) -> list[str]:
        """Canonical names for the zh aliases in a Chinese question ("卫健委" → both commissions).

        Args:
            question: the question as the user typed it.
        Returns:
            Canonical zh names in order of appearance; names written canonically are not reported.
        """
        return _expand(_zh_key(question), self._zh_index, _zh_pattern)

    def terms(self, kind: str | None = None) -> Iterator[Entry]:
        """Entries in file order, optionally of one kind (e.g. to build a jieba user dictionary)."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown glossary kind {kind!r}; use one of {', '.join(KINDS)}")
        return (e for e in self.entries if kind is None or e.kind == kind)


def _parse_row(raw: str, where: str, line: int) -> Entry:
    cells = [c.strip() for c in raw.split("\t")]
    if len(cells) != len(HEADER):
        raise CorpusError(f"{where}: expected 5 tab-separated columns, found {len(cells)}")
    kind, zh, en, *alias_cells = cells
    if kind not in KINDS:
        raise CorpusError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if not zh or not en:
        raise CorpusError(f"{where}: empty {'en' if zh else 'zh'} column; both are required")
    zh_al, en_al = (tuple(a.strip() for a in c.split("|")) if c else () for c in alias_cells)
    if not all(a.removeprefix(COLLOQUIAL) for a in zh_al + en_al):
        raise CorpusError(f"{where}: empty alias in {alias_cells}; remove the stray '|'")
    colloquial = tuple(a[1:] for a in zh_al if a.startswith(COLLOQUIAL))
    zh_al = tuple(a.removeprefix(COLLOQUIAL) for a in zh_al)
    return Entry(kind, zh, en, zh_al, en_al, colloquial, line)


def load_glossary(path: str | Path) -> Glossary:
    """Read a UTF-8 glossary TSV (header `kind zh en zh_aliases en_aliases`, aliases split by "|").

    Args:
        path: the glossary file, normally corpus/glossary.tsv.
    Returns:
        The parsed glossary; CorpusError naming the file and line for a missing or non-UTF-8
        file, a bad header, a wrong column count, an empty zh, en or alias, or a duplicate.
    """
    try:
        lines = Path(path).read_bytes().decode("utf-8").lstrip("\ufeff").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(f"{path}: cannot read the glossary as UTF-8 text ({e})") from None
    if not lines or tuple(c.strip() for c in lines[0].split("\t")) != HEADER:
        raise CorpusError(f"{path}:1: the header must be the tab-separated {' '.join(HEADER)}")
    entries: dict[tuple[str, str], Entry] = {}
    for no, raw in enumerate(lines[1:], start=2):
        if raw.strip():
            row = _parse_row(raw, f"{path}:{no}", no)
            if first := entries.get((row.kind, row.zh)):
                raise CorpusError(f"{path}:{no}: duplicate {row.zh!r}, first on line {first.line}")
            entries[row.kind, row.zh] = row
    return Glossary(tuple(entries.values()))
