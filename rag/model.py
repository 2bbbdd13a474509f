"""Domain values shared by every stage: documents, clauses, targets, table rows, answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any


@dataclass(frozen=True)
class Doc:
    """One plan, as described by its manifest entry."""

    id: str
    title: str
    title_en: str
    issuer: str
    number: str
    date: str
    region: str
    region_en: str
    file: str
    years: str = ""


@dataclass(frozen=True)
class Target:
    """A numeric target stated in running text or in a table cell.

    `value` carries the number with its unit as written ("25%", "1.1", "5个");
    `number` and `unit` are the same split apart for comparison.
    """

    indicator: str
    comparator: str
    value: str
    number: str
    unit: str
    year: str
    evidence: str
    clause_id: str
    doc: str
    source: str = "text"  # "text" or "table"
    role: str = "target"  # "target", or for table cells "baseline" / "result"
    year_note: str = ""  # "plan horizon" when the text names no year and the plan's end year is used

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Cell:
    """One value of an indicator row for one year (or the baseline)."""

    year: str
    comparator: str
    value: str
    role: str = "target"  # "target", "baseline" or "result"


@dataclass(frozen=True)
class TableRow:
    """One indicator row of a table, recovered from broken extraction."""

    table_id: str  # e.g. "002/附件3"
    row_id: str  # e.g. "002/附件3/5"
    indicator: str
    unit: str
    category: str
    cells: tuple[Cell, ...]
    attribute: str  # 预期性 / 约束性 / "" (also free text such as 备注)
    raw: str
    ambiguous: bool = False
    note: str = ""

    def cell(self, year: str) -> Cell | None:
        for c in self.cells:
            if c.year == year:
                return c
        return None


@dataclass(frozen=True)
class TaskRow:
    """One task of an implementation-plan table (002 附件2): task → bodies → yearly plans."""

    table_id: str
    row_id: str
    area: str
    project: str
    task: str
    bodies: tuple[str, ...]
    content: str
    plans: tuple[tuple[str, str], ...]  # (year, plan text)
    raw: str


@dataclass(frozen=True)
class Clause:
    """A retrievable, citable unit of a plan: a numbered clause, a box, a bullet or a table row."""

    doc: str
    id: str
    path: tuple[str, ...]
    title: str
    text: str
    kind: str = "clause"  # clause | bullet | box | paragraph | table_row | task_row
    units: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # (unit, alternate name in 〔…〕)
    implied_units: tuple[str, ...] = ()  # co-responsible by a standing rule, not listed
    inline_leads: tuple[tuple[str, str, str], ...] = ()  # (unit, sentence, scope); see extract_inline_leads
    targets: tuple[Target, ...] = ()
    notes: tuple[str, ...] = ()
    row: TableRow | None = None
    task: TaskRow | None = None
    line: int = 0  # first source line (1-based) in the corpus file
    review: bool = False  # under 现实基础/发展成效: what was achieved, not what is planned

    @property
    def lead_unit(self) -> str:
        """The lead unit: first listed responsible unit, else the first inline "X牵头"."""
        if self.units:
            return self.units[0]
        return self.inline_leads[0][0] if self.inline_leads else ""

    @property
    def heading(self) -> str:
        """The heading path joined for display, e.g. "二 / （三） / 1"."""
        return " / ".join(self.path)


@dataclass(frozen=True)
class Citation:
    doc: str
    title: str
    clause_id: str
    path: str
    quote: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """The chain's answer; `to_json` is the `rag ask --json` contract."""

    question: str
    language: str
    intent: str
    found: bool
    answer: str
    lead_unit: str | None = None
    units: tuple[str, ...] = ()
    targets: tuple[dict[str, Any], ...] = ()
    citations: tuple[Citation, ...] = ()
    units_en: tuple[str, ...] = ()
    see_also: tuple[Citation, ...] = ()
    slots: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    retrieval: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)
    mode: str = "extractive"

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "language": self.language,
            "intent": self.intent,
            "found": self.found,
            "answer": self.answer,
            "lead_unit": self.lead_unit,
            "units": list(self.units),
            "targets": [dict(t) for t in self.targets],
            "citations": [c.to_json() for c in self.citations],
            "units_en": list(self.units_en),
            "see_also": [c.to_json() for c in self.see_also],
            "slots": {k: asdict(v) if is_dataclass(v) and not isinstance(v, type) else v
                      for k, v in self.slots.items()},
            "mode": self.mode,
        }
