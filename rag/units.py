"""Retrieval units: small pieces (sentences, table rows, yearly plans) that point to their clause.

Small units match questions precisely; the parent clause is what gets cited ("small-to-big").
Each unit carries its clause's heading context in the text that is embedded and tokenised,
and a `quote` that is an exact substring of the clause text.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from .corpus import Corpus
from .model import Clause

_SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
_YEAR = re.compile(r"20\d\d")
_MAX_UNIT = 160


@dataclass(frozen=True)
class Unit:
    uid: int
    clause_id: str
    doc: str
    kind: str  # title | sentence | row | plan
    quote: str  # exact substring of the clause text
    embed_text: str
    lex_text: str
    years: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Unit:
        return cls(
            uid=d["uid"], clause_id=d["clause_id"], doc=d["doc"], kind=d["kind"],
            quote=d["quote"], embed_text=d["embed_text"], lex_text=d["lex_text"],
            years=tuple(d.get("years", ())),
        )


def _pieces(text: str) -> list[str]:
    """Sentences of a clause; long ones cut at commas into pieces of at most ~_MAX_UNIT chars."""
    out = []
    for s in _SENTENCE.findall(text):
        if not s.strip():
            continue
        while len(s) > _MAX_UNIT:
            cut = max(s.rfind(c, 0, _MAX_UNIT) for c in "，、,")
            cut = cut if cut > 20 else _MAX_UNIT
            out.append(s[: cut + 1])
            s = s[cut + 1 :]
        if s.strip():
            out.append(s)
    return out


def _context(clause: Clause, titles: dict[str, str]) -> str:
    """Parent heading titles and the clause's own title: "改善医疗卫生服务行动计划 创新医疗服务模式"."""
    parents = ["/".join((clause.doc, *clause.path[:i])) for i in range(1, len(clause.path))]
    return " ".join(t for t in (*(titles.get(p, "") for p in parents[-2:]), clause.title) if t)


def clause_units(clause: Clause, titles: dict[str, str], start: int) -> list[Unit]:
    """The retrieval units of one clause, numbered from `start`."""
    ctx = _context(clause, titles)
    units: list[Unit] = []

    def add(kind: str, quote: str, extra: str = "") -> None:
        embed = f"{ctx}：{extra}{quote}" if ctx else f"{extra}{quote}"
        units.append(
            Unit(start + len(units), clause.id, clause.doc, kind, quote, embed, f"{ctx} {extra}{quote}",
                 tuple(sorted(set(_YEAR.findall(extra + quote)))))
        )

    if clause.kind == "table_row" and clause.row is not None:
        years = " ".join(f"{c.year}年" for c in clause.row.cells if c.year)
        add("row", clause.text, f"{clause.row.indicator} {clause.row.category} {years} ")
        return units
    if clause.kind == "task_row" and clause.task is not None:
        t = clause.task
        head = f"{t.project} {t.task} 实施主体：{'、'.join(t.bodies)} "
        add("row", clause.text[:_MAX_UNIT], head)
        for year, plan in t.plans:
            if plan and plan in clause.text:
                add("plan", plan, f"{t.task} {year}年计划：")
        return units
    if clause.title and clause.title in clause.text:
        add("title", clause.title)
    for piece in _pieces(clause.text):
        add("sentence", piece)
    return units


def make_units(corpus: Corpus) -> list[Unit]:
    """Every retrieval unit of the corpus, in corpus order, with ids 0..n-1."""
    titles = {c.id: c.title for c in corpus.clauses}
    units: list[Unit] = []
    for clause in corpus.clauses:
        units.extend(clause_units(clause, titles, len(units)))
    return units


# What an indicator measures, as the plans end its name; jieba's dictionary lacks them, so "住院占比"
# (a question) became 住院/占/比 while "县域内住院量占比" (an indicator, one user word) gave no 占比.
MEASURE_WORDS = ("占比", "住院量", "就诊率", "筛查率", "管理率", "开放率", "规范化率")


def user_words(corpus: Corpus) -> list[str]:
    """Terms to keep whole when tokenising: unit names, aliases, leads, indicators, table rows,
    and the words that end indicator names (`MEASURE_WORDS`)."""
    words: set[str] = set(MEASURE_WORDS)
    for c in corpus.clauses:
        words.update(c.units)
        words.update(a for _, a in c.aliases)
        words.update(u for u, *_ in c.inline_leads)
        words.update(t.indicator for t in c.targets if len(t.indicator) <= 16)
        if c.row is not None:
            words.add(re.sub(r"（[^）]*）", "", c.row.indicator))
        if c.task is not None:
            words.update(c.task.bodies)
    return sorted(w for w in words if 2 <= len(w) <= 20 and not re.search(r"[，。；：\s]", w))
