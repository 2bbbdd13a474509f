"""Recover the plans' indicator and task tables (annexes, 表N) from broken text extraction."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

from .model import Cell, TableRow, TaskRow
from .normalize import Line, collapse_spaces

_ANNEX = re.compile(r"附件\s*\d*")  # an annex start alone on its line, not "附件：1.…"
_CAPTION = re.compile(r"表\s*(\d+)\s*[：:]\s*(.+)")
_PERIOD = re.compile(r"(20\d\d)\s*[—–\-－~至]\s*20\d\d\s*年")
_YEAR = re.compile(r"(20\d\d)\s*年")
_DOTTED = re.compile(r"(\d+)\.([^\d\s].*)")  # "1.医疗服务收入…", not "82. 4"
_PREFIX_CMP = ("≥", "≤", ">", "<", "不低于", "不高于", "力争", "约")
_SUFFIX_CMP = ("以上", "以下", "左右")
_CMP_FOLD = str.maketrans({"≧": "≥", "≦": "≤", "＞": ">", "＜": "<"})
_NUM = r"\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?"
_ATTRIBUTES = ("预期性", "约束性")
_UNIT = re.compile(r"%|‰|\d+/\d+万|[个张人名元岁家床次天项所座件]|万元|亿元|床/万人")
_ROLE_WORDS = {"完成": "result", "实际": "result", "数据": "baseline", "基数": "baseline"}
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’"
# 附件2's page layout: area/project columns are three characters (six width units) wide,
# task/body columns at most six characters; content and plan columns are wider.
_NARROW, _HEAD_MAX = 6, 12
_BODY_END = ("医院", "委", "局", "政府", "中心", "院", "县", "办", "部", "会", "厅", "所", "站")
_BODY_START = tuple("市区县省各")
_Cols = list[tuple[str, str]]  # (year, role) of each value column


@dataclass(frozen=True)
class Tables:
    """Everything recovered from one document's table regions."""

    rows: tuple[TableRow, ...]
    tasks: tuple[TaskRow, ...]
    extra: tuple[tuple[str, str, str], ...]  # (clause_id, title, text)
    consumed: frozenset[int]
    unplaced: tuple[Line, ...]
    titles: dict[str, str]
    lines: dict[str, tuple[int, ...]] = field(default_factory=dict)  # id -> source lines


@dataclass
class _Acc:
    rows: list[TableRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    extra: list[tuple[str, str, str]] = field(default_factory=list)
    unplaced: list[Line] = field(default_factory=list)
    lines: dict[str, list[int]] = field(default_factory=dict)

    def place(self, key: str, lines: Sequence[Line]) -> None:
        self.lines.setdefault(key, []).extend(ln.no for ln in lines)


@dataclass
class _Table:
    """One table being recovered: where rows go, its id and its year columns."""

    acc: _Acc
    id: str
    cols: _Cols = field(default_factory=list)

    def row(
        self,
        rid: str,
        name: str,
        category: str,
        values: list[str],
        attr: str,
        lines: Sequence[Line],
        placed: Sequence[Line] = (),
        unit: str | None = None,
        raw: str = "",
    ) -> None:
        """Append a TableRow; `lines` make its raw text, `placed` are further lines it owns."""
        if unit is None:
            name, unit = _unit_of(name, values)
        cells, ambiguous = _cells(values, self.cols, unit)
        note = f"{len(values)} values for {len(self.cols)} year columns" if ambiguous else ""
        row_id = f"{self.id}/{rid}"
        raw = raw or _tidy([ln.text for ln in lines])
        row = TableRow(self.id, row_id, name, unit, category, cells, attr, raw, ambiguous, note)
        self.acc.rows.append(row)
        self.acc.place(row_id, [*placed, *lines])


# ---------------------------------------------------------------- cells and text helpers


def parse_cell(text: str, unit: str = "") -> tuple[str, str] | None:
    """Split one numeric table cell into (comparator, value).

    Args:
        text: the cell as extracted, e.g. "≥38.5％", "８２． ４", "83 岁 以 上", "107左右".
        unit: the row's unit, removed when it is printed inside the value ("83岁以上").

    Returns:
        (comparator, value), e.g. ("≥", "38.5"), ("", "82.4"), ("以上", "83"); None when the
        cell is not a number (text targets such as "同比例提高").
    """
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).replace("\ue010", "."))
    s = s.translate(_CMP_FOLD)
    units = "%|‰" + (f"|{re.escape(unit)}" if unit else "")
    pre, suf = "|".join(_PREFIX_CMP), "|".join(_SUFFIX_CMP)
    m = re.fullmatch(rf"({pre})?({_NUM})(?:{units})?({suf})?", s)
    if not m:
        return None
    return m.group(1) or m.group(3) or "", m.group(2)


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s if not c.isspace())


def _tidy(texts: Sequence[str]) -> str:
    """Raw row text: lines joined (no space inside a broken word), decimals re-joined."""
    out = ""
    for t in texts:
        t = re.sub(r"\s+", " ", re.sub(r"(\d\.)\s+(\d)", r"\1\2", t)).strip()
        glue = "" if not out or re.fullmatch(f"[{_CJK}]{{2}}", out[-1] + t[:1]) else " "
        out += glue + t
    return out


def _is_cmp(tok: str) -> bool:
    return tok.translate(_CMP_FOLD) in _PREFIX_CMP


def _merge_cmp(tokens: list[str]) -> list[str]:
    """Attach a comparator printed alone ("≥" / "38.5%") to the value after it."""
    out: list[str] = []
    for tok in tokens:
        if out and _is_cmp(out[-1]):
            out[-1] += tok
        else:
            out.append(tok)
    return out


def _split_values(text: str) -> tuple[str, list[str], str]:
    """Split a line into (label, trailing value tokens, 预期性/约束性 attribute)."""
    toks = re.sub(r"(\d\.)\s+(\d)", r"\1\2", text).split()
    attr = toks.pop() if toks and toks[-1] in _ATTRIBUTES else ""
    vals: list[str] = []
    while toks and (parse_cell(toks[-1]) or _is_cmp(toks[-1])):
        vals.insert(0, toks.pop())
    if attr and not vals and toks and (len(toks) > 1 or not toks[0].endswith("）")):
        vals.append(toks.pop())  # a text target such as 同比例提高
    return " ".join(toks), vals, attr


def _split_unit(name: str) -> tuple[str, str]:
    """ "人均预期寿命（岁）" → ("人均预期寿命", "岁"); qualifiers like （CMI值） stay."""
    m = re.search(r"（([^（）]+)）$", name)
    if m and _UNIT.fullmatch(unit := re.sub(r"\s+", "", m.group(1))):
        return name[: m.start()], unit
    return name, ""


def _year_columns(header: str, plan_start: int) -> _Cols:
    """Year columns of a header line, each with its role (target, baseline or result)."""
    cols = []
    for m in re.finditer(r"(20\d\d)年([^\d\s]*)", collapse_spaces(header)):
        role = next((r for w, r in _ROLE_WORDS.items() if w in m.group(2)), "")
        if not role:
            role = "baseline" if plan_start and int(m.group(1)) < plan_start else "target"
        cols.append((m.group(1), role))
    return cols


def _cells(values: list[str], cols: _Cols, unit: str) -> tuple[tuple[Cell, ...], bool]:
    """Cells for one row; ambiguous (years "") when the count does not match the columns."""
    ambiguous = len(values) != len(cols)
    out = []
    for i, v in enumerate(values):
        cmp_val = parse_cell(v, unit) or ("", collapse_spaces(v))
        year, role = ("", "target") if ambiguous else cols[i]
        out.append(Cell(year, cmp_val[0], cmp_val[1], role))
    return tuple(out), ambiguous


def _unit_of(name: str, values: list[str]) -> tuple[str, str]:
    name, unit = _split_unit(collapse_spaces(name))
    if not unit and any(v.endswith("%") for v in values):
        unit = "%"
    return name, unit


# ---------------------------------------------------------------- 001 附件, 002 附件1


@dataclass
class _Sub:
    labels: list[str]
    values: list[str]
    attr: str
    lines: list[Line]
    placed: list[Line] = field(default_factory=list)
    key: str = ""


@dataclass
class _Group:
    numbers: list[str] = field(default_factory=list)
    number_lines: list[Line | None] = field(default_factory=list)
    category_lines: list[Line] = field(default_factory=list)
    subs: list[_Sub] = field(default_factory=list)


def _is_category_frag(text: str) -> bool:
    c = collapse_spaces(text)
    return 0 < len(c) <= 4 and not re.search(r"[\d（）()%]", c)


def _row_number(text: str, expected: int | None) -> tuple[str, str] | None:
    """The printed row number at the start of a line, if it is the one expected next."""
    m = re.match(r"(\d{1,3})(?:\s+(.*))?$", text)
    if not m or (expected is not None and int(m.group(1)) != expected):
        return None
    rest = m.group(2) or ""
    if rest and not _split_values(rest)[0]:
        return None  # a line of values ("85 ≥90 约束性"), not a numbered row
    return m.group(1), rest


def _emit_group(t: _Table, g: _Group, category: str) -> None:
    """One numbered row, sub-rows n.1, n.2 … under a shared name, or rows 19/20 sharing one."""
    subs, nums = g.subs, g.numbers
    k = len(subs[1].labels) if len(subs) > 1 else len(subs[0].labels)
    if len(nums) not in (1, len(subs)) or (len(subs) > 1 and k == 0):
        t.acc.unplaced.extend([*g.category_lines, *(x for x in g.number_lines if x)])
        t.acc.unplaced.extend(ln for sub in subs for ln in sub.lines)
        return
    # The first sub-row's fragments begin with the shared name; its own label is as long as
    # the second sub-row's.
    n_parent = max(0, len(subs[0].labels) - k)
    pname, punit = _split_unit(collapse_spaces("".join(subs[0].labels[:n_parent])))
    parent_lines = subs[0].lines[:n_parent]
    subs[0].labels, subs[0].lines = subs[0].labels[n_parent:], subs[0].lines[n_parent:]
    for i, sub in enumerate(subs):
        own = nums[i] if len(nums) > 1 else nums[0]
        rid = own if len(subs) == len(nums) else f"{own}.{i + 1}"
        sname, sunit = _unit_of("".join(sub.labels), sub.values)
        name = f"{pname}·{sname}" if pname and len(subs) > 1 else pname + sname
        head = [x for n, x in zip(nums, g.number_lines, strict=True) if x and n == own]
        placed = g.category_lines if i == 0 else []
        lines = [*head, *parent_lines, *sub.lines]
        t.row(rid, name, category, sub.values, sub.attr, lines, placed, sunit or punit)


def _parse_grid(t: _Table, body: Sequence[Line], numbered: bool) -> None:
    """Rows of 类别 / (序号) / 指标 / year columns / (性质), with names broken over lines."""
    category, g, last = "", _Group(), None
    buf: list[tuple[str, Line]] = []  # (label, line) since the last completed row
    for ln in body:
        text = ln.text
        num = _row_number(text, last + 1 if last else None) if numbered else None
        if num:
            if g.subs:
                _emit_group(t, g, category)
                g = _Group()
            if buf:  # lines between two numbered rows: the 类别 cell, broken over lines
                category = collapse_spaces("".join(label for label, _ in buf))
                g.category_lines, buf = [*g.category_lines, *(b for _, b in buf)], []
            last, text = int(num[0]), num[1]
            g.numbers.append(num[0])
            g.number_lines.append(None if text else ln)
            if not text:
                continue
        label, vals, attr = _split_values(text)
        if not (vals or attr):
            buf.append((label, ln))
            continue
        labels = [lb for lb, _ in buf] + ([label] if label else [])
        lines, buf = [*(b for _, b in buf), ln], []
        if numbered:
            g.subs.append(_Sub(labels, _merge_cmp(vals), attr, lines))
            continue
        n_cat = 0
        while n_cat < len(labels) - 1 and _is_category_frag(labels[n_cat]):
            n_cat += 1
        category = collapse_spaces("".join(labels[:n_cat])) or category
        rid = str(sum(r.table_id == t.id for r in t.acc.rows) + 1)
        name = "".join(labels[n_cat:])
        t.row(rid, name, category, _merge_cmp(vals), attr, lines[n_cat:], lines[:n_cat])
    if g.subs:
        _emit_group(t, g, category)
    else:  # a row number (and 类别) never followed by values
        t.acc.unplaced.extend([*g.category_lines, *(x for x in g.number_lines if x)])
    t.acc.unplaced.extend(b for _, b in buf)


# ---------------------------------------------------------------- 002 附件3 (绩效目标表)


def _is_vertical(ln: Line) -> bool:
    """One character of a cell written top to bottom (产 / 出 / 指 / 标)."""
    return len(ln.text) == 1 and "\u4e00" <= ln.text <= "\u9fff"


def _category(vertical: Sequence[Line], old: str) -> str:
    """ "产出指标数量指标" → "产出指标/数量指标"; a single word replaces the second level."""
    text = "".join(ln.text for ln in vertical)
    words = re.findall(r".+?指标", text) or [text]
    if len(words) > 1:
        return "/".join(words[:2])
    top = old.split("/")[0]
    return f"{top}/{words[0]}" if top else words[0]


def _facts(lines: Sequence[Line]) -> list[tuple[str, str]]:
    """Label/value pairs of a form header; a label broken over lines is re-joined."""
    toks: list[str] = []
    pending = ""
    for ln in lines:
        parts = ln.text.split()
        if len(parts) == 1 and not re.search(r"\d", parts[0]):
            pending += parts[0]
            continue
        toks, pending = [*toks, pending, *parts] if pending else [*toks, *parts], ""
    toks += [pending] if pending else []
    return list(zip(toks[0::2], toks[1::2], strict=False))


def _front_matter(t: _Table, front: Sequence[Line]) -> tuple[list[Line], list[Line]]:
    """Header facts and 总体目标 into `extra`; returns (column header lines, pending vertical)."""
    parts: dict[str, list[Line]] = {"facts": [], "goals": [], "header": []}
    mode, vertical = "facts", []
    for ln in front:
        if _is_vertical(ln):
            vertical.append(ln)
            continue
        if vertical:
            word = "".join(v.text for v in vertical)
            mode = "goals" if "目标" in word and "指标" not in word else "header"
            parts["header"], vertical = [*parts["header"], *vertical], []
        parts[mode].append(ln)
    facts = _facts(parts["facts"])
    for key, numeric in (("项目信息", False), ("项目资金", True)):
        chosen = [f"{k}：{v}" for k, v in facts if bool(re.fullmatch(r"[\d.]+", v)) == numeric]
        if chosen:
            t.acc.extra.append((f"{t.id}/{key}", key, "；".join(chosen)))
            t.acc.place(f"{t.id}/{key}", parts["facts"])
    goals: list[list[Line]] = []
    for ln in parts["goals"]:
        if re.match(r"目标\s*\d+\s*[：:]", ln.text) or not goals:
            goals.append([])
        goals[-1].append(ln)
    for group in goals:
        text = collapse_spaces("".join(ln.text for ln in group))
        n = re.match(r"目标(\d*)", text)
        cid = f"{t.id}/目标{n.group(1) if n else ''}"
        t.acc.extra.append((cid, f"总体目标 目标{n.group(1) if n else ''}", text))
        t.acc.place(cid, group)
    return parts["header"], vertical


def _parse_dotted(t: _Table, body: Sequence[Line], plan_start: int) -> None:
    """Rows "1.名称 … values" under vertical 一级/二级指标 cells; values may span lines."""
    first = next(i for i, ln in enumerate(body) if _DOTTED.match(ln.text))
    header, vertical = _front_matter(t, body[:first])
    t.acc.place(f"{t.id}/header", header)
    t.cols = _year_columns(" ".join(ln.text for ln in header), plan_start)
    category, rows = "", []
    for ln in body[first:]:
        if _is_vertical(ln):
            vertical.append(ln)
            continue
        text, new = ln.text, _DOTTED.match(ln.text)
        if new:
            category = _category(vertical, category) if vertical else category
            rows.append((category, _Sub([], [], "", [ln], vertical, new.group(1))))
            vertical, text = [], new.group(2)
        label, vals, _ = _split_values(text)
        if not rows or (not new and label and rows[-1][1].values):
            t.acc.unplaced.append(ln)  # text after a row's values: cannot say whose it is
            continue
        rows[-1][1].lines.extend([] if new else [ln])
        rows[-1][1].labels.extend([label] if label else [])
        rows[-1][1].values.extend(vals)
    for cat, r in rows:
        t.row(r.key, "".join(r.labels), cat, _merge_cmp(r.values), "", r.lines, r.placed)
    t.acc.unplaced.extend(vertical)


# ---------------------------------------------------------------- 004 表1 / 表2 (tab-separated)


def _parse_tabbed(t: _Table, body: Sequence[Line], plan_start: int) -> None:
    """One row per line: [类别] 序号 指标名称 单位 value columns…; the category carries down."""
    t.acc.place(f"{t.id}/header", body[:1])
    t.cols = [c for h in body[0].text.split("\t") for c in _year_columns(h, plan_start)]
    category, n = "", len(t.cols)
    for ln in body[1:]:
        cells = ln.text.split("\t")
        if not cells[0].strip().isdigit():
            category, cells = collapse_spaces(cells[0]) or category, cells[1:]
        if not n or len(cells) < 2 + n or not cells[0].strip().isdigit():
            t.acc.unplaced.append(ln)
            continue
        unit = collapse_spaces("".join(cells[2:-n]))
        raw = " ".join(collapse_spaces(c) for c in ln.text.split("\t") if c.strip())
        name = collapse_spaces(cells[1])
        t.row(cells[0].strip(), name, category, cells[-n:], "", [ln], unit=unit, raw=raw)


# ---------------------------------------------------------------- 002 附件2 (实施计划表)


def _ends(ln: Line) -> bool:
    return ln.text.rstrip().endswith("。")


def _headlike(ln: Line) -> bool:
    return _width(ln.text) <= _HEAD_MAX and not _ends(ln)


def _split_task_rows(frags: Sequence[Line | None]) -> list[list[Line]]:
    """A row starts at a narrow fragment after a sentence end or a page header (None)."""
    rows: list[list[Line]] = []
    boundary = True
    for f in frags:
        if f is None:
            boundary = True
            continue
        if not rows or (boundary and _headlike(f) and any(_ends(x) for x in rows[-1])):
            rows.append([])
        rows[-1].append(f)
        boundary = _ends(f)
    return rows


def _name_cells(frags: Sequence[Line]) -> list[str]:
    """Area / project names in one narrow run: a name ends with ” or 项目/工程/行动."""
    cells: list[str] = []
    cur = ""
    for f in frags:
        cur += collapse_spaces(f.text)
        if cur.endswith("”") or re.search(r"(项目|工程|行动)$", cur):
            cells, cur = [*cells, cur], ""
    return [*cells, cur] if cur else cells


def _task_bodies(frags: Sequence[Line]) -> tuple[str, tuple[str, ...]]:
    """Split the task's fragments from the 实施主体 (unit names) that follow them.

    Every body must end like a unit (医院/委/局 …); of the valid splits, the earliest whose
    first body starts like one (市/区/县/省/各) wins, so "集团建设市中心医院" stays apart.
    """
    texts = [collapse_spaces(f.text) for f in frags]
    best: tuple[bool, int] | None = None
    for k in range(1, len(texts)):
        task, bodies = "".join(texts[:k]), "".join(texts[k:]).split("、")
        if "、" in task or not all(3 <= len(b) <= 10 and b.endswith(_BODY_END) for b in bodies):
            continue
        best = max(best or (False, -k), (bodies[0].startswith(_BODY_START), -k))
    if best is None:
        return "".join(texts), ()
    k = -best[1]
    return "".join(texts[:k]), tuple("".join(texts[k:]).split("、"))


def _sse(xs: Sequence[float]) -> float:
    mean = sum(xs) / len(xs) if xs else 0.0
    return sum((x - mean) ** 2 for x in xs)


def _cut_cost(widths: list[int], sizes: list[int], ends: tuple[int, ...]) -> float:
    """Content lines are wider than plan lines, and the yearly plans are of similar length."""
    spans = list(zip((0, *(e + 1 for e in ends[:-1])), ends, strict=True))
    plans = [w for s, e in spans[1:] for w in widths[s:e]]
    lengths = [sum(sizes[s : e + 1]) for s, e in spans[1:]]
    balance = _sse(lengths) / max(1.0, sum(lengths) / len(lengths))
    return _sse(widths[: spans[0][1]]) + _sse(plans) + balance


def _body_cells(frags: Sequence[Line], n_plans: int) -> list[str]:
    """Content and yearly plans: each cell ends in 。; surplus 。 line ends are ranked by cost."""
    ends = [i for i, f in enumerate(frags) if _ends(f)]
    if not ends or ends[-1] != len(frags) - 1:
        ends.append(len(frags) - 1)
    if len(ends) > n_plans + 1:
        widths = [_width(f.text) for f in frags]
        sizes = [len(collapse_spaces(f.text)) for f in frags]
        cuts = min(
            combinations(ends[:-1], n_plans), key=lambda c: _cut_cost(widths, sizes, (*c, ends[-1]))
        )
        ends = [*cuts, ends[-1]]
    spans = zip([0, *(e + 1 for e in ends[:-1])], ends, strict=True)
    return [collapse_spaces("".join(f.text for f in frags[s : e + 1])) for s, e in spans]


def _parse_tasks(t: _Table, body: Sequence[Line]) -> None:
    """Task → 实施主体 → yearly plans from the column-by-column fragments of 实施计划表."""
    frags: list[Line | None] = []
    years: list[str] = []
    i = 0
    while i < len(body):
        if collapse_spaces(body[i].text) == "示范":  # a (repeated) page header
            j = next((k for k in range(i, len(body)) if len(_YEAR.findall(body[k].text)) > 1), i)
            years = years or _YEAR.findall(body[j].text)
            t.acc.place(f"{t.id}/header", body[i : j + 1])
            frags.append(None)
            i = j + 1
        else:
            frags.append(body[i])
            i += 1
    area = project = ""
    for n, row in enumerate(_split_task_rows(frags), start=1):
        k = next((j for j, f in enumerate(row) if not _headlike(f)), len(row))
        n_narrow = next((j for j, f in enumerate(row[:k]) if _width(f.text) > _NARROW), k)
        names = _name_cells(row[:n_narrow])
        if len(names) > 1:
            area, project = names[0], "".join(names[1:])
        elif names:  # one name: a new area ends in ”, otherwise a new project
            area, project = (names[0], project) if names[0].endswith("”") else (area, names[0])
        task, bodies = _task_bodies(row[n_narrow:k])
        cells = _body_cells(row[k:], len(years)) if k < len(row) else [""]
        raw = " ".join([*names, task, "、".join(bodies), *cells])
        plans = tuple(zip(years, cells[1:], strict=False))
        rid = f"{t.id}/{n}"
        t.acc.tasks.append(TaskRow(t.id, rid, area, project, task, bodies, cells[0], plans, raw))
        t.acc.place(rid, row)


# ---------------------------------------------------------------- regions and entry point


def _regions(doc_id: str, lines: Sequence[Line]) -> list[tuple[str, list[Line]]]:
    """(table_id, lines from the 附件/表N line on) for every table region."""
    out: list[tuple[str, list[Line]]] = []
    texts = [collapse_spaces(ln.text) for ln in lines]
    annexes = [i for i, x in enumerate(texts) if _ANNEX.fullmatch(x)] + [len(lines)]
    for i, j in zip(annexes, annexes[1:], strict=False):
        if _YEAR.search(" ".join(texts[i : min(j, i + 60)])):  # an annex of prose is no table
            out.append((f"{doc_id}/附件{texts[i].removeprefix('附件')}", list(lines[i:j])))
    for i, text in enumerate(texts):
        if (m := _CAPTION.fullmatch(text)) and i + 1 < len(lines) and "\t" in lines[i + 1].text:
            j = next((k for k in range(i + 1, len(lines)) if "\t" not in lines[k].text), len(lines))
            out.append((f"{doc_id}/表{m.group(1)}", list(lines[i:j])))
    return out


def extract_tables(doc_id: str, lines: Sequence[Line]) -> Tables:
    """Find the table regions of one document and recover their rows.

    Args:
        doc_id: the document id ("001"), the prefix of table and row ids.
        lines: the document's cleaned lines (`normalize.clean_lines`).

    Returns:
        Tables: indicator rows, 实施计划表 task rows, citable non-row text (`extra`), the
        source lines of table regions, and the lines of those that could not be placed.
    """
    acc, titles, consumed = _Acc(), dict[str, str](), set[int]()
    regions = _regions(doc_id, lines)
    start = min((r[0].no for _, r in regions), default=0)
    period = next((m for ln in lines if ln.no < start and (m := _PERIOD.search(ln.text))), None)
    plan_start = int(period.group(1)) if period else 0  # earlier year columns are baselines
    for table_id, region in regions:
        consumed.update(ln.no for ln in region)
        caption = _CAPTION.fullmatch(collapse_spaces(region[0].text))
        n_title = 1 if caption else 2
        titles[table_id] = caption.group(2) if caption else collapse_spaces(region[1].text)
        acc.place(f"{table_id}/header", region[:n_title])
        t, body = _Table(acc, table_id), region[n_title:]
        k = next((i for i, ln in enumerate(body) if _YEAR.search(ln.text)), None)
        if k is None:  # no year columns: nothing to recover, but say so
            acc.unplaced.extend(body)
        elif "\t" in body[0].text:
            _parse_tabbed(t, body, plan_start)
        elif "主要内容" in (collapse_spaces(ln.text) for ln in body[:20]):
            _parse_tasks(t, body)
        elif any(_DOTTED.match(ln.text) for ln in body):
            _parse_dotted(t, body, plan_start)
        else:
            acc.place(f"{table_id}/header", body[: k + 1])
            t.cols = _year_columns(body[k].text, plan_start)
            _parse_grid(t, body[k + 1 :], "序号" in body[k].text)
    found = (tuple(acc.rows), tuple(acc.tasks), tuple(acc.extra), frozenset(consumed))
    return Tables(*found, tuple(acc.unplaced), titles, {k: tuple(v) for k, v in acc.lines.items()})


def row_text(row: TableRow) -> str:
    """Render a row readably in Chinese, for display and embedding.

    Args:
        row: a recovered table row.

    Returns:
        e.g. "三级公立医院病例组合指数（CMI值）：2022年 0.95；2023年 ≥1.0；2024年 ≥1.05；2025年 ≥1.1".
    """
    sign = row.unit if row.unit in ("%", "‰") else ""
    name = row.indicator + (f"（{row.unit}）" if row.unit and not sign else "")

    def value(c: Cell) -> str:
        pre, suf = ("", c.comparator) if c.comparator in _SUFFIX_CMP else (c.comparator, "")
        return f"{pre}{c.value}{sign if parse_cell(c.value) else ''}{suf}"

    mixed = any(c.role == "result" for c in row.cells)
    labels = {"result": "完成情况", "target": "目标" if mixed else ""}
    if row.ambiguous:
        body = " ".join(value(c) for c in row.cells) + "（原表未标明对应年份）"
    else:
        body = "；".join(f"{c.year}年{labels.get(c.role, '')} {value(c)}" for c in row.cells)
    return f"{name}：{body}" + (f"（{row.attribute}）" if row.attribute else "")
