"""Curated zh↔en glossary (units, indicators, policy terms, regions, plans) for bilingual queries."""

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from .errors import CorpusError

KINDS = ("unit", "indicator", "term", "region", "plan")
# A "label" row only names in English what a target the parser reads measures (its indicator as
# extracted, which may be a phrase no glossary name covers): it is shown, never matched.
LABEL = "label"
HEADER = ("kind", "zh", "en", "zh_aliases", "en_aliases")
COLLOQUIAL = "~"
LOOSE_SHARE = 0.8  # of a name's content words (rarity-weighted) an English paraphrase must say  # zh alias prefix: a name staff use that the plans never write out

_FOLD = str.maketrans({"〔": "(", "〕": ")", "—": "-", "–": "-", "’": "'", "‘": "'"})


class Entry(NamedTuple):
    """One glossary row; `colloquial` lists the zh aliases marked "~" (not in the plans)."""

    kind: str
    zh: str
    en: str
    zh_aliases: tuple[str, ...] = ()
    en_aliases: tuple[str, ...] = ()
    colloquial: tuple[str, ...] = ()
    line: int = 0


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_LOOSE_SPACES = re.compile(r"(?<![A-Za-z0-9])\s+|\s+(?![A-Za-z0-9])")
_WORDS = re.compile(r"[A-Za-z0-9']+")


def _en_text(text: str) -> str:
    # NFKC folds （） and full-width digits; 〔〕 fold to () so both bracket styles match.
    if not text.isascii():  # ASCII is NFKC already and has nothing to fold
        text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return _THOUSANDS.sub("", text) if "," in text else text  # "1,000" → "1000"


# British spellings folded to the American ones, in glossary names and questions alike, so
# "clinical medical research centres" finds the name written "…research center".
_AMERICAN = {"centre": "center", "programme": "program", "paediatr": "pediatr", "orthopaed": "orthoped",
             "gynaecolog": "gynecolog", "anaesth": "anesth", "haem": "hem", "oesophag": "esophag",
             "foet": "fet", "tumour": "tumor", "labour": "labor", "behaviour": "behavior", "is": "iz"}
# Each British piece anywhere in a word; "is" only before a suffix, after 3 letters (-ise, -isation).
_BRITISH = re.compile("|".join(b for b in _AMERICAN if b != "is") + r"|(?<=[a-z]{3})is(?=(?:ation|ations|e|ed|es|ing)\b)",
                      re.IGNORECASE)


def _american(text: str) -> str:
    return _BRITISH.sub(lambda m: _AMERICAN[m.group(0).lower()], text)


def _en_folded(text: str) -> str:
    """English text as names and questions are matched: NFKC-folded, American spelling."""
    return _american(_en_text(text))


def _zh_key(text: str) -> str:
    # Spaces go, except between two Latin letters or digits: "TCM innovation" must not read "tcminnovation"
    # (where the alias CMI would match), and "ICU beds" keeps ICU a word of its own.
    return _LOOSE_SPACES.sub("", _en_text(text)).lower()


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
    # A name that starts or ends in a Latin letter or digit (CMI, AI, ICU床位, 5G) is not part of
    # a longer Latin word: "AI" is not in "training", nor "ICU" in "particular".
    head = r"(?<![a-z0-9])" if re.match(r"[a-z0-9]", name) else ""
    tail = r"(?![a-z0-9])" if re.search(r"[a-z0-9]$", name) else ""
    return re.compile(f"{head}{re.escape(name)}{tail}")


@cache
def _en_pattern(phrase: str) -> re.Pattern[str]:
    # Words joined by spaces, hyphens or nothing ("case-mix" = "case mix"), possessives allowed.
    parts = (_word_parts(w) for w in phrase.split(" "))
    body = r"(?:'s?)?[\s\-]*".join(re.escape(s).replace("'", "'?") + t for s, t in parts)
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE)


def _en_phrases(entry: Entry) -> Iterator[str]:
    for name in (entry.en, *entry.en_aliases):
        for variant in (name, re.sub(r"\s*\([^)]*\)", "", name)):  # "index (CMI)" → "index"
            if words := [w for w in re.split(r"[\s\-]+", _en_folded(variant)) if w]:
                phrase = " ".join(w if w.isupper() else w.lower() for w in words)  # keep acronyms
                yield phrase
                if phrase.startswith("number of "):  # asked as "how many hospitals …"
                    yield "how many " + phrase.removeprefix("number of ")


class _Index(NamedTuple):
    """Names to look for, longest first, and cheap tests that rule most of them out."""

    rows: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]  # (name, needles, canonical zh names)
    leads: tuple[str, ...]  # what every match of the row starts with, as its needles are written
    by_prefix: dict[str, tuple[int, ...]]  # rows whose matches all contain this prefix (≤ 4 chars)
    lengths: frozenset[int]  # of those prefixes
    literal: bool  # names match only as written (zh): the name is the one needle
    gram: int  # n: each row is filed once, under the n-character piece of its needles fewest rows
    by_gram: dict[str, tuple[tuple[str, int], ...]]  # share, with a second piece (of another needle)
    short: dict[str, tuple[int, ...]]  # rows with no needle of n characters, under their longest


def _needles(name: str) -> tuple[str, ...]:
    """Lowercase pieces every match of `name` contains: each word's stem, split at apostrophes
    (the pattern lets an apostrophe go missing)."""
    stems = (_word_parts(w)[0].lower() for w in name.split(" "))
    return tuple(sorted({piece for stem in stems for piece in stem.split("'") if piece}, key=len, reverse=True))


def _index(names: dict[str, list[str]], literal: bool = False, gram: int = 3) -> _Index:
    rows = sorted(((name, (name,) if literal else _needles(name), tuple(dict.fromkeys(zhs)))
                   for name, zhs in names.items()), key=lambda row: (-len(row[0]), row[0]))
    # A match starts with its first word's stem, up to any apostrophe ("" when that comes first).
    leads = tuple(name if literal else _word_parts(name.split(" ")[0])[0].lower().split("'")[0]
                  for name, _, _ in rows)
    by_prefix: dict[str, list[int]] = {}
    for i, lead in enumerate(leads):  # every match contains the prefix: most never compile
        by_prefix.setdefault(lead[:4], []).append(i)

    def grams(needles: Iterable[str]) -> set[str]:
        return {nd[j : j + gram] for nd in needles for j in range(len(nd) - gram + 1)}

    def rarest(ps: set[str]) -> str:
        return min(ps, key=lambda p: (shared[p], p))

    pieces = [grams(needles) for _, needles, _ in rows]
    shared = Counter(p for ps in pieces for p in ps)
    by_gram: dict[str, list[tuple[str, int]]] = {}
    short: dict[str, list[int]] = {}
    for i, ((_, needles, _), ps) in enumerate(zip(rows, pieces, strict=True)):
        if ps:  # a piece of another needle is the better second test: less often next to the first
            first = rarest(ps)
            by_gram.setdefault(first, []).append(
                (rarest(grams(nd for nd in needles if first not in nd) or (ps - {first}) or ps), i))
        else:
            short.setdefault(needles[0] if needles else "", []).append(i)
    return _Index(tuple(rows), leads, {p: tuple(ix) for p, ix in by_prefix.items()},
                  frozenset(map(len, by_prefix)), literal, gram,
                  {g: tuple(ix) for g, ix in by_gram.items()}, {nd: tuple(ix) for nd, ix in short.items()})


def _caseless(text: str) -> bool:
    """True when `str.lower` folds `text` as the regex's IGNORECASE does: ASCII and uncased
    characters only (Chinese, digits), nothing like "İ" that lowercases to two characters."""
    return text.isascii() or all(c.isascii() or c.lower() == c.upper() for c in text)


def _candidates(low: str, index: _Index) -> list[int]:
    """Rows, in index order, whose prefix occurs in the lowercased text."""
    grams = {low[i : i + n] for n in index.lengths for i in range(len(low) - n + 1)}
    return sorted(i for g in grams & index.by_prefix.keys() for i in index.by_prefix[g])


def _with_needles(low: str, index: _Index) -> list[int]:
    """Rows, in index order, whose needles all occur in `low`: those filed under one of its
    n-grams (each row is filed once) whose second piece it also has, then the full needle test."""
    n, rows = index.gram, index.rows
    grams = {low[i : i + n] for i in range(len(low) - n + 1)}
    found = [i for g in grams & index.by_gram.keys() for second, i in index.by_gram[g] if second in grams]
    found += [i for needle, ix in index.short.items() if needle in low for i in ix]
    return sorted(i for i in found if all(map(low.__contains__, rows[i][1])))  # longest (rarest) needle first


def _expand(text: str, index: _Index, pattern: Callable[[str], re.Pattern[str]]) -> list[str]:
    # Longest name first; a span matched once is not matched again by a shorter name. A name
    # whose needles are not all in the text cannot match, so its pattern is not run. That test
    # holds only where lowercasing folds as the regex does; elsewhere the prefix alone decides.
    low, taken, hits = text.lower(), [False] * len(text), []
    if index.literal or _caseless(text):
        # Where needles show as written, no match starts before its lead first does: the
        # regex need not scan the text before that.
        seen = text if index.literal else low
        found = [(i, seen.find(index.leads[i])) for i in _with_needles(seen, index)]
    else:
        found = [(i, 0) for i in _candidates(low, index)]
    for i, start in found:
        name, _, zhs = index.rows[i]
        for m in pattern(name).finditer(text, start):
            if m.end() > m.start() and not any(taken[m.start() : m.end()]):
                taken[m.start() : m.end()] = [True] * (m.end() - m.start())
                hits.append((m.start(), zhs))
    return list(dict.fromkeys(zh for _, zhs in sorted(hits, key=lambda h: h[0]) for zh in zhs))


_STOP = frozenset(
    "a an and are at be by for from in into is it its of on or per should the their to what which "
    "with how many much does do did will would shall plan plans target targets goal goals".split())


# Wording variants folded together for loose matching only (spelling: `_american`, before this).
_SAME = {"personnel": "staff", "expenditure": "spending",
         "expense": "spending", "spend": "spending", "mean": "average", "death": "mortality",
         "early": "premature", "operation": "surgery", "op": "surgery", "ops": "surgery", "rate": "share", "proportion": "share", "percentage": "share",
         "inside": "within", "country": "national", "three": "3", "ten": "10", "handled": "treated", "handle": "treated"}


@lru_cache(maxsize=1 << 14)  # a question's words are mostly the glossary's: stem each once
def _stem(word: str) -> str:
    w = word.lower().removesuffix("'s").removesuffix("'")
    w = _SAME.get(w, w)
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return _SAME.get(w, w)


def _content_words(text: str) -> frozenset[str]:
    """Lower-case stems of the words that carry meaning ("the ICU beds" → {"icu", "bed"})."""
    return frozenset(s for w in _WORDS.findall(text) if (s := _stem(w)) not in _STOP and s)


@dataclass(frozen=True)
class Glossary:
    """Lookups over glossary entries: English names, canonical Chinese names, query expansion."""

    entries: tuple[Entry, ...]
    labels: dict[str, str] = field(default_factory=dict, compare=False)  # target indicator → English
    _by_name: dict[str, tuple[Entry, ...]] = field(init=False, repr=False, compare=False)
    _en_index: _Index = field(init=False, repr=False, compare=False)
    _zh_index: _Index = field(init=False, repr=False, compare=False)
    _indicator_index: _Index = field(init=False, repr=False, compare=False)
    _thing_index: _Index = field(init=False, repr=False, compare=False)
    _loose: tuple[tuple[frozenset[str], str], ...] = field(init=False, repr=False, compare=False)
    _loose_with: dict[str, int] = field(init=False, repr=False, compare=False)
    _word_idf: dict[str, float] = field(init=False, repr=False, compare=False)
    _loose_idf: tuple[float, ...] = field(init=False, repr=False, compare=False)  # a name's whole weight
    _phrase_words: dict[str, list[frozenset[str]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, list[Entry]] = {}
        en_names: dict[str, list[str]] = {}
        for e in self.entries:
            by_name.setdefault(_zh_key(e.zh), []).append(e)
            for p in _en_phrases(e):
                en_names.setdefault(p, []).append(e.zh)
        for key, owner in [(_zh_key(a), e) for e in self.entries for a in e.zh_aliases]:
            by_name.setdefault(key, []).append(owner)  # after all canonical names: they win
        # Canonical names stay in the index with nothing to report: "省级名中医" written out takes its
        # span, so the alias "名中医" inside it does not also bring in "全国名中医".
        alias_of = {k: [e.zh for e in v if _zh_key(e.zh) != k] for k, v in by_name.items()}
        object.__setattr__(self, "_by_name", {k: tuple(v) for k, v in by_name.items()})
        object.__setattr__(self, "_en_index", _index(en_names))
        object.__setattr__(self, "_zh_index", _index(alias_of, literal=True, gram=2))
        def written_forms(kinds: tuple[str, ...]) -> _Index:  # every written form of an entry → the entry
            names: dict[str, list[str]] = {}
            for e in self.entries:
                if e.kind in kinds:
                    for name in dict.fromkeys((e.zh, *e.zh_aliases)):
                        names.setdefault(_zh_key(name), []).append(e.zh)
            return _index(names, literal=True, gram=2)

        object.__setattr__(self, "_indicator_index", written_forms(("indicator",)))
        object.__setattr__(self, "_thing_index", written_forms(("indicator", "term")))
        phrase_words: dict[str, list[frozenset[str]]] = {}  # zh → content words of each English name
        loose: list[tuple[frozenset[str], str]] = []  # indicator and term names of 3+ content words
        for e in self.entries:
            said = [_content_words(p) for p in _en_phrases(e)]
            phrase_words.setdefault(e.zh, []).extend(said)
            if e.kind in ("indicator", "term"):
                loose += [(w, e.zh) for w in said if len(w) >= 3]  # two words are a phrase: expand_en
        df = Counter(w for words, _ in loose for w in words)
        object.__setattr__(self, "_loose", tuple(loose))
        loose_with: dict[str, int] = {}  # content word → the names that have it, as bit i set
        for i, (words, _) in enumerate(loose):
            for w in words:
                loose_with[w] = loose_with.get(w, 0) | 1 << i
        object.__setattr__(self, "_loose_with", loose_with)
        object.__setattr__(self, "_phrase_words", phrase_words)
        object.__setattr__(self, "_word_idf", {w: math.log(1 + len(loose) / c) for w, c in df.items()})
        # Summed once per name, over the same set in the same order as a per-question sum would be.
        whole = tuple(sum(self._word_idf[w] for w in words) for words, _ in loose)
        object.__setattr__(self, "_loose_idf", whole)

    def warm(self) -> int:
        """Compile every name's pattern now rather than on the first question that needs it
        (3,400 English patterns take about 0.8 s to compile). For long-running processes: a
        one-shot `rag ask` compiles only what its question needs. Returns how many patterns."""
        for row in self._en_index.rows:
            _en_pattern(row[0])
        zh = (self._zh_index, self._indicator_index, self._thing_index)
        for index in zh:
            for row in index.rows:
                _zh_pattern(row[0])
        return len(self._en_index.rows) + sum(len(index.rows) for index in zh)

    def words_said(self, zh: str, question: str) -> frozenset[str]:
        """The content words of an English question that one English name of `zh` says (the name
        sharing most with it): "key groups family doctor coverage" says 4 words of "Huzhou's family
        doctor sign-up target for key groups?", "family doctor coverage" 2."""
        asked = _content_words(_en_folded(question))
        return max((words & asked for words in self._phrase_words.get(zh, ())), key=len, default=frozenset())

    def without_names(self, text: str, zh_names: Iterable[str]) -> str:
        """`text` with every English name of these entries taken out: what an English question
        asks besides them ("what's the Organization Department doing in the digital reform")."""
        text = _en_folded(text)
        for zh in zh_names:
            phrases = {p for e in self._by_name.get(_zh_key(zh), ()) if e.zh == zh for p in _en_phrases(e)}
            for p in sorted(phrases, key=len, reverse=True):
                text = _en_pattern(p).sub(" ", text)
        return text

    def en(self, zh: str) -> str | None:
        """English name for a Chinese unit, indicator, term, region or plan.

        Args:
            zh: the Chinese name as the plan writes it, or an alias such as "卫健委".
        Returns:
            The English name, or None when the glossary does not know the name.
        """
        found = self._by_name.get(_zh_key(zh))
        return found[0].en if found else self.labels.get(zh)

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
        return _expand(_en_folded(question), self._en_index, _en_pattern)

    def expand_en_loose(self, question: str, share: float = LOOSE_SHARE,
                        exact: list[str] | None = None) -> list[str]:
        """Indicators and terms whose English name the question says in other words: nearly all
        of a name's content words (weighted by rarity) occur in it, in any order or inflection
        ("urban-rural resident insurance" for "urban-rural residents' medical insurance").

        Args:
            question: an English question.
            share: the rarity-weighted share of a name's content words that must occur.
            exact: what `expand_en(question)` gave, if the caller has it already.
        Returns:
            Canonical zh names, best-covered first, without the names `expand_en` finds.
        """
        text = _en_folded(question)
        asked = _content_words(text)
        exact = set(_expand(text, self._en_index, _en_pattern) if exact is None else exact)
        # Words an exact name already explains ("national regional medical centres") do not make
        # a second, looser name ("national medical centre").
        said = {w for zh in exact for words in self._phrase_words.get(zh, ()) if words <= asked for w in words}
        best: dict[str, float] = {}
        for i in self._sharing_three(asked):
            words, zh = self._loose[i]
            if zh in exact or (common := words & asked) <= said:
                continue
            got = sum(self._word_idf[w] for w in common) / self._loose_idf[i]
            if got >= share and got > best.get(zh, 0.0):
                best[zh] = got
        return sorted(best, key=lambda zh: -best[zh])

    def _sharing_three(self, asked: frozenset[str]) -> Iterator[int]:
        """Loose names with 3+ of the `asked` words, by the first asked word they have, then by
        index: the order a count over each word's names in turn gives, which breaks ties in
        `expand_en_loose`. Bit-sliced counting over one int per word does it in a few big-int ops."""
        have = [b for w in asked if (b := self._loose_with.get(w))]
        one = two = three = 0  # bit i set: name i has at least 1, 2, 3 of the words so far
        for b in have:
            three |= two & b
            two |= one & b
            one |= b
        for b in have:
            if group := b & three:
                three ^= group
                while group:
                    low = group & -group
                    yield low.bit_length() - 1
                    group ^= low

    def expand_zh_aliases(self, question: str) -> list[str]:
        """Canonical names for the zh aliases in a Chinese question ("卫健委" → both commissions).

        Args:
            question: the question as the user typed it.
        Returns:
            Canonical zh names in order of appearance; names written canonically are not reported.
        """
        return _expand(_zh_key(question), self._zh_index, _zh_pattern)

    def indicators_in(self, question: str) -> list[str]:
        """Indicators a Chinese question writes by any of their names, canonical or alias (the
        longest name first; a span is matched once).

        Args:
            question: the question as the user typed it.
        Returns:
            Canonical zh names of indicator entries, in order of appearance.
        """
        key = _zh_key(question)
        found = _expand(key, self._indicator_index, _zh_pattern)
        # "日间手术的占比" names 日间手术占比: a 的 inside a name does not change what it names
        joined = _expand(key.replace("的", ""), self._indicator_index, _zh_pattern) if "的" in key else []
        return list(dict.fromkeys(found + joined))

    def things_in(self, question: str) -> list[str]:
        """Indicators and terms (what a task or figure is about: 清廉医院, 鸿雁计划) a Chinese
        question writes by any of their names, as `indicators_in` does for indicators.

        Returns:
            Canonical zh names, in order of appearance.
        """
        return _expand(_zh_key(question), self._thing_index, _zh_pattern)

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
    if kind not in (*KINDS, LABEL):
        raise CorpusError(f"{where}: unknown kind {kind!r}; use one of {', '.join((*KINDS, LABEL))}")
    if kind == LABEL and any(alias_cells):
        raise CorpusError(f"{where}: a label has no aliases; it is shown, never matched")
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
    labels = {e.zh: e.en for e in entries.values() if e.kind == LABEL}
    return Glossary(tuple(e for e in entries.values() if e.kind != LABEL), labels)
