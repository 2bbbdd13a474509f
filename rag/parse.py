"""Recover each plan's heading tree and turn it into citable clauses with stable ids."""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from . import tables as _tables
from .extract import extract_inline_leads, extract_responsibilities, extract_targets
from .model import Clause, Doc, Target
from .normalize import Line, clean_lines, collapse_spaces

log = logging.getLogger(__name__)

_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}


def _cn_to_int(s: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23."""
    if len(s) == 1:
        return _CN_DIGITS.get(s, 0)
    if s.startswith("十"):
        return 10 + _CN_DIGITS.get(s[1:], 0)
    tens, _, ones = s.partition("十")
    return _CN_DIGITS.get(tens, 0) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


# (kind, rank, pattern). Lower rank = higher in the tree. Numbered kinds are checked for
# sequence so that a wrapped line starting "1." inside a sentence is not taken for a heading.
_HEADINGS: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("annex", 0, re.compile(r"^附件\s*(\d*)$")),
    ("annexlist", 1, re.compile(r"^(附件)[：:]")),
    ("l1", 1, re.compile(r"^([一二三四五六七八九十]{1,3})、")),
    ("l2", 2, re.compile(r"^（([一二三四五六七八九十]{1,3})）")),
    ("box", 3, re.compile(r"^专栏\s*(\d+)")),
    ("goal", 3, re.compile(r"^(主要目标)[：:]")),
    ("l3", 3, re.compile(r"^(\d{1,2})\s*[.、](?!\d)")),
    ("dash", 3, re.compile(r"^[-•·]\s*(?=[^\d\s])")),
    ("l4", 4, re.compile(r"^（(\d{1,2})）")),
    ("bullet", 5, re.compile(r"^——(?!—)")),
)
_NUMBERED = {"l1", "l2", "l3", "l4"}


@dataclass
class _Node:
    kind: str
    rank: int
    label: str
    path: tuple[str, ...]
    first: Line
    head: str  # heading line text after the label
    standalone: bool  # heading line is a title on its own (not the start of a wrapped sentence)
    lines: list[Line] = field(default_factory=list)
    children: dict[str, int] = field(default_factory=dict)  # kind -> last number / count


@dataclass(frozen=True)
class ParsedDoc:
    """One plan parsed: its clauses in reading order, lines left unplaced, warnings."""

    doc: Doc
    clauses: tuple[Clause, ...]
    unplaced: tuple[Line, ...]
    warnings: tuple[str, ...]
    responsibility_lists: int  # `（责任单位：` occurrences in the text, for the stats check


def _match_heading(text: str) -> tuple[str, int, str, str] | None:
    """(kind, rank, number-or-label, rest of the line) if `text` starts like a heading."""
    for kind, rank, pat in _HEADINGS:
        m = pat.match(text)
        if m:
            num = m.group(1) if m.groups() else ""
            return kind, rank, num, text[m.end() :].strip()
    return None


def _label(kind: str, num: str, count: int) -> str:
    return {
        "annex": f"附件{num}",
        "annexlist": "附件目录",
        "l1": num,
        "l2": f"（{num}）",
        "box": f"专栏{num}",
        "goal": "主要目标",
        "l3": num,
        "dash": f"-{count}",
        "l4": f"（{num}）",
        "bullet": f"—{count}",
    }[kind]


def _title(node: _Node, text: str) -> str:
    if node.kind in ("goal", "annexlist"):
        return node.label
    if node.standalone:
        return node.head[:60]
    first = re.split(r"[。；！？]", text, maxsplit=1)[0]
    return first if len(first) <= 40 else node.head[:40]


def _build_tree(lines: Sequence[Line]) -> list[_Node]:
    """Walk the lines once, opening a node at every heading (rank stack)."""
    widths = [len(collapse_spaces(ln.text)) for ln in lines] or [0]
    wrap_width = statistics.median(widths)
    root = _Node("root", -1, "", (), Line(0, ""), "", True)
    preamble = _Node("pre", 0, "前言", ("前言",), lines[0] if lines else Line(0, ""), "", False)
    nodes: list[_Node] = [preamble]
    stack: list[_Node] = [root]
    for line in lines:
        text = collapse_spaces(line.text)
        h = _match_heading(text)
        if nodes[-1].kind == "annexlist" and (not h or h[0] != "annex"):
            h = None  # "附件：1.… 2.…" lists the annexes; its items are not clauses
        if h:
            kind, rank, num, rest = h
            depth = max(i for i, n in enumerate(stack) if n.rank < rank)
            parent = stack[depth]
            if kind in _NUMBERED:
                n = int(num) if num.isdigit() else _cn_to_int(num)
                prev = parent.children.get(kind)
                if prev is not None and n != prev + 1:
                    h = None  # out of sequence: a wrapped line, not a heading
                else:
                    parent.children[kind] = n
            if h:
                del stack[depth + 1 :]
        if not h:
            nodes[-1].lines.append(line)
            continue
        count = parent.children.get(kind + "#", 0) + 1
        parent.children[kind + "#"] = count
        label = _label(kind, num, count)
        standalone = kind in ("box", "annex", "l1") or (
            not re.search(r"[。；！？]", rest) and len(text) < 0.8 * max(wrap_width, 1)
        )
        node = _Node(kind, rank, label, parent.path + (label,), line, rest, standalone)
        stack.append(node)
        nodes.append(node)
    return [n for n in nodes if n.kind != "pre" or n.lines]


def _node_text(node: _Node) -> str:
    body = "".join(collapse_spaces(ln.text) for ln in node.lines)
    if node.kind == "pre":
        return body
    if node.standalone and body:
        return f"{node.head}\n{body}"
    return node.head + body


_REVIEW = re.compile(r"现实基础|发展成效|发展背景|发展现状|工作成效|主要成就|完成情况")


def _clause_from_node(
    node: _Node, doc: Doc, standing: str, titles: dict[str, str]
) -> tuple[Clause, str]:
    """Make a Clause; returns it and the standing co-responsible body in force after it.

    `titles` maps already-built clause ids to titles: targets under a heading such as
    现实基础/发展成效 report results achieved, not goals, so they get role "result".
    """
    text = _node_text(node)
    cid = "/".join((doc.id, *node.path))
    ancestors = ["/".join((doc.id, *node.path[:i])) for i in range(1, len(node.path) + 1)]
    review = any(_REVIEW.search(titles.get(a, "")) for a in ancestors) or bool(
        _REVIEW.search(node.head)
    )
    resp = extract_responsibilities(text)
    units = tuple(u for r in resp for u in r.units)
    aliases = tuple(a for r in resp for a in r.aliases)
    notes = tuple(n for ln in [node.first, *node.lines] for n in ln.notes)
    implied = (standing,) if standing and units and standing not in units else ()
    for r in resp:
        standing = r.standing or standing
    targets = tuple(extract_targets(text, cid, doc.id, "" if review else _horizon(doc)))
    if review:
        targets = tuple(replace(t, role="result") for t in targets)
    kind = {"box": "box", "bullet": "bullet", "dash": "clause", "pre": "paragraph"}.get(
        node.kind, "clause"
    )
    clause = Clause(
        doc=doc.id,
        id=cid,
        path=node.path,
        title=_title(node, text),
        text=text,
        kind=kind,
        units=units,
        aliases=aliases,
        implied_units=implied,
        inline_leads=tuple(extract_inline_leads(text)),
        targets=targets,
        notes=notes,
        line=node.first.no,
        review=review,
    )
    return clause, standing


def _horizon(doc: Doc) -> str:
    """The plan's end year ("2021-2025" → "2025"), used for targets stated without a year."""
    years = re.findall(r"20\d\d", doc.years)
    return years[-1] if years else ""


def _table_clauses(doc: Doc, found: _tables.Tables) -> list[Clause]:
    out: list[Clause] = []
    for row in found.rows:
        text = collapse_spaces(row.raw)
        label = row.table_id.split("/", 1)[1]
        targets = tuple(
            Target(
                indicator=row.indicator,
                comparator=c.comparator,
                value=f"{c.value}{row.unit if row.unit in ('%', '‰') else ''}",
                number=c.value,
                unit=row.unit,
                year=c.year,
                evidence=text,
                clause_id=row.row_id,
                doc=doc.id,
                source="table",
                role=c.role,
            )
            for c in row.cells
        )
        out.append(
            Clause(doc.id, row.row_id, (label, row.indicator), row.indicator, text,
                   kind="table_row", targets=targets, row=row)
        )
    for task in found.tasks:
        label = task.table_id.split("/", 1)[1]
        out.append(
            Clause(doc.id, task.row_id, (label, task.task), task.task, collapse_spaces(task.raw),
                   kind="task_row", units=task.bodies, task=task,
                   inline_leads=tuple(extract_inline_leads(task.content)),
                   # The task's own goals for the whole period ("三年内培养学科带头人100名"), then each
                   # year's cell.
                   targets=(*extract_targets(task.content, task.row_id, doc.id, _horizon(doc)),
                            *(t for year, cell in task.plans
                              for t in extract_targets(cell, task.row_id, doc.id, year, yearly_plan=True))))
        )
    for cid, title, text in found.extra:
        path = tuple(cid.split("/")[1:])
        out.append(
            Clause(doc.id, cid, path, title, text, kind="paragraph",
                   targets=tuple(extract_targets(text, cid, doc.id, _horizon(doc))))
        )
    return out


def _dedupe_ids(clauses: list[Clause]) -> list[Clause]:
    seen: dict[str, int] = {}
    out = []
    for c in clauses:
        n = seen.get(c.id, 0) + 1
        seen[c.id] = n
        out.append(c if n == 1 else replace(c, id=f"{c.id}#{n}"))
    return out


def parse_document(doc: Doc, text: str) -> ParsedDoc:
    """Parse one plan's text into clauses, table rows and task rows.

    Args:
        doc: the manifest entry.
        text: the decoded file contents.

    Returns:
        A ParsedDoc. A file with no recognisable headings is kept as paragraphs with a
        warning; an empty file gives no clauses and a warning. Never raises on content.
    """
    lines = clean_lines(text)
    warnings: list[str] = []
    if not lines:
        return ParsedDoc(doc, (), (), (f"{doc.file}: empty after normalisation; nothing indexed",), 0)
    found = _tables.extract_tables(doc.id, lines)
    body = [ln for ln in lines if ln.no not in found.consumed]
    nodes = _build_tree(body)
    if all(n.kind == "pre" for n in nodes):
        warnings.append(f"{doc.file}: no headings recognised; indexed as paragraphs")
        nodes = [
            _Node("pre", 0, f"段{i}", (f"段{i}",), ln, "", False, [ln])
            for i, ln in enumerate(body, 1)
        ]
    clauses: list[Clause] = []
    standing = ""
    titles: dict[str, str] = {}
    for node in nodes:
        clause, standing = _clause_from_node(node, doc, standing, titles)
        titles[clause.id] = clause.title
        if clause.text:
            clauses.append(clause)
    clauses.extend(_table_clauses(doc, found))
    joined = "".join(collapse_spaces(ln.text) for ln in lines)
    n_resp = len(re.findall(r"[（(](?:责任单位|实施主体)[：:]", joined))
    return ParsedDoc(doc, tuple(_dedupe_ids(clauses)), tuple(found.unplaced), tuple(warnings), n_resp)
