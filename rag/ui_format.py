"""HTML for the chat UI: answers, citations, refusals and retrieval details, all text escaped.

Pure functions over `Answer` values. Every string that comes from the corpus or from a user is
passed through `html.escape` before it is placed in markup; `<mark>` highlights are inserted
around spans found in the raw text, so a highlight never splits an escape sequence.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import Answer, Citation, Doc

ClauseText = Callable[[str], "str | None"]

_LABELS = {
    "zh": {
        "sources": "出处",
        "see_also": "相近条款（仅供参阅，并非答案）",
        "full": "查看条款全文",
        "clause": "条款",
        "not_found": "规划中未写明",
        "retrieval": "检索详情",
        "error": "无法回答",
        "filter": "检索范围",
    },
    "en": {
        "sources": "Sources",
        "see_also": "Closest clauses (for reference, not an answer)",
        "full": "Show the full clause",
        "clause": "clause",
        "not_found": "The plans don't state this",
        "retrieval": "Retrieval details",
        "error": "Cannot answer",
        "filter": "Searched",
    },
}


class PlanFilterError(ValueError):
    """A plan filter value that names no plan group or document."""


@dataclass(frozen=True)
class PlanGroup:
    """One choice of the plan filter: a bilingual label and the document ids it selects."""

    key: str  # "all", "provincial", or the region in English, lower-case ("huzhou")
    label: str  # "省级 Provincial"
    docs: tuple[str, ...]  # () = every plan


def plan_groups(docs: Iterable[Doc]) -> list[PlanGroup]:
    """Filter choices from the manifest: all plans, provincial plans, then one per city.

    Args:
        docs: manifest entries (`rag.corpus.load_manifest`).

    Returns:
        "全部 All" first, then "省级 Provincial" (regions ending in 省), then each other region
        ("湖州 Huzhou") in manifest order.
    """
    groups = [PlanGroup("all", "全部 All", ())]
    provincial = tuple(d.id for d in docs if d.region.endswith("省"))
    if provincial:
        groups.append(PlanGroup("provincial", "省级 Provincial", provincial))
    regions: dict[str, list[Doc]] = {}
    for d in docs:
        if not d.region.endswith("省"):
            regions.setdefault(d.region, []).append(d)
    for region, members in regions.items():
        en = members[0].region_en or region
        zh = region.removesuffix("市")
        groups.append(PlanGroup(en.lower(), f"{zh} {en}", tuple(d.id for d in members)))
    return groups


def resolve_plan(plan: str | None, groups: Sequence[PlanGroup]) -> tuple[str, ...] | None:
    """Document ids for a filter value, or None for all plans.

    Accepts a label ("湖州 Huzhou"), either half of it ("湖州", "Huzhou", any case), a key
    ("provincial") or a comma-separated list of document ids ("002,004").

    Raises:
        PlanFilterError: the value names no plan group or document; the message lists the
            valid values.
    """
    value = (plan or "").strip()
    if not value:
        return None
    low = value.lower()
    for g in groups:
        if low in {g.key, g.label.lower(), *(p.lower() for p in g.label.split())}:
            return g.docs or None
    known = {d for g in groups for d in g.docs}
    ids = tuple(x.strip() for x in value.split(",") if x.strip())
    if ids and all(i in known for i in ids):
        return ids
    choices = ", ".join(g.label for g in groups)
    raise PlanFilterError(f"unknown plan filter {plan!r}; use one of: {choices} (or document ids)")


def highlight(text: str, terms: Iterable[str], tag: str = "mark") -> str:
    """Escape `text`, wrapping every occurrence of any term in `<tag>` (longest term first).

    Args:
        text: raw (unescaped) text.
        terms: raw strings to highlight; empty strings are ignored.
        tag: the element to wrap matches in.

    Returns:
        HTML safe to insert into a page.
    """
    words = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not words:
        return html.escape(text)
    pattern = re.compile("|".join(_term_pattern(w) for w in words))
    out, pos = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        out.append(f"<{tag}>{html.escape(m.group(0))}</{tag}>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _term_pattern(term: str) -> str:
    """A term as a regex; a number never matches inside a longer number ("1.1" not in "11.15")."""
    p = re.escape(term)
    if term[0].isdigit():
        p = r"(?<![\d.])" + p
    if term[-1].isdigit():
        p += r"(?![\d]|\.\d)"
    return p


def answer_terms(ans: Answer) -> list[str]:
    """What to highlight in a cited quote: the lead and listed units, the target values."""
    terms = [ans.lead_unit or "", *ans.units]
    for t in ans.targets:
        # the value as written ("25%"), and its bare number for table rows ("% 90")
        terms += [str(t.get(k) or "") for k in ("value", "number", "indicator")]
    return [t for t in terms if t]


def _lines(text: str, terms: Iterable[str]) -> str:
    return "<br>".join(highlight(line, terms, "strong") for line in text.split("\n"))


def render_citation(
    c: Citation,
    lang: str,
    terms: Sequence[str] = (),
    docs: Mapping[str, Doc] | None = None,
    clause_text: ClauseText | None = None,
) -> str:
    """One citation: plan title, heading path and clause id, the highlighted quote, full clause.

    Args:
        c: the citation.
        lang: "zh" or "en" (labels; English adds the plan's English title).
        terms: raw strings to mark in the quote and the full clause.
        docs: manifest entries by id, for English titles.
        clause_text: clause id → full clause text; without it, no full-clause disclosure.
    """
    L = _LABELS.get(lang, _LABELS["zh"])
    doc = (docs or {}).get(c.doc)
    title = f"《{html.escape(c.title)}》"
    if lang == "en" and doc and doc.title_en:
        title = f"{html.escape(doc.title_en)} {title}"
    path = html.escape(c.path) if c.path else ""
    parts = [
        '<div class="rag-cite">',
        f'<div class="rag-cite-title">{title}</div>',
        f'<div class="rag-cite-path">{path} <code>{html.escape(c.clause_id)}</code></div>',
        f'<blockquote class="rag-quote">{highlight(c.quote, terms)}</blockquote>',
    ]
    full = clause_text(c.clause_id) if clause_text else None
    if full and full.strip() != c.quote.strip():
        parts.append(
            f'<details class="rag-full"><summary>{L["full"]}</summary>'
            f'<div class="rag-full-text">{highlight(full, terms)}</div></details>'
        )
    parts.append("</div>")
    return "".join(parts)


def render_retrieval(
    rows: Sequence[Mapping[str, Any]], lang: str, filter_docs: Sequence[str] = ()
) -> str:
    """The retrieval scores as a collapsible table (one row per clause, best first)."""
    L = _LABELS.get(lang, _LABELS["zh"])
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    head = "".join(f"<th>{html.escape(k)}</th>" for k in ["#", *cols])
    body = "".join(
        "<tr>"
        + f"<td>{i}</td>"
        + "".join(f"<td>{html.escape(_cell(r.get(k)))}</td>" for k in cols)
        + "</tr>"
        for i, r in enumerate(rows, 1)
    )
    scope = ", ".join(filter_docs) if filter_docs else "*"
    return (
        f'<details class="rag-retrieval"><summary>{L["retrieval"]} '
        f"({L['filter']}: {html.escape(scope)})</summary>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>"
    )


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def render_answer(
    ans: Answer,
    *,
    show_retrieval: bool = False,
    docs: Mapping[str, Doc] | None = None,
    clause_text: ClauseText | None = None,
) -> str:
    """An answer as one HTML block: the answer text, then its citations (or see-also clauses).

    A `found=False` answer gets the distinct "not stated" style and lists `see_also` clauses
    as reference only, with nothing highlighted (no unit or number is asserted).
    """
    lang = ans.language if ans.language in _LABELS else "zh"
    L = _LABELS[lang]
    terms = answer_terms(ans)
    if ans.found:
        parts = [
            '<div class="rag-answer rag-found">',
            f'<div class="rag-text">{_lines(ans.answer, terms)}</div>',
        ]
        cites = ans.citations
        heading = L["sources"]
    else:
        parts = [
            '<div class="rag-answer rag-notfound">',
            f'<div class="rag-badge">⚠ {L["not_found"]}</div>',
            f'<div class="rag-text">{_lines(ans.answer, ())}</div>',
        ]
        cites, terms = ans.see_also, []
        heading = L["see_also"]
    if cites:
        parts.append(f'<div class="rag-cites-head">{heading}</div>')
        parts += [render_citation(c, lang, terms, docs, clause_text) for c in cites]
    if show_retrieval and ans.retrieval:
        filter_docs = ans.slots.get("filter", ()) if isinstance(ans.slots, dict) else ()
        parts.append(render_retrieval(ans.retrieval, lang, filter_docs))
    parts.append("</div>")
    return "".join(parts)


def render_error(message: str, lang: str = "zh") -> str:
    """A chain error (`RagError`) as a readable chat message."""
    L = _LABELS.get(lang, _LABELS["zh"])
    return (
        '<div class="rag-answer rag-error">'
        f'<div class="rag-badge">✖ {L["error"]}</div>'
        f'<div class="rag-text">{html.escape(message)}</div></div>'
    )


def render_question(question: str, limit: int = 600) -> str:
    """The user's message, escaped (the chat renders HTML); a very long one is shortened."""
    shown = question if len(question) <= limit else f"{question[:limit]} … ({len(question):,})"
    return "<br>".join(html.escape(line) for line in shown.split("\n"))


CSS = """
.rag-answer { line-height: 1.6; }
.rag-text { margin-bottom: .4em; }
.rag-found .rag-text strong { color: var(--color-accent); }
.rag-notfound { border-left: 4px solid #d97706; padding-left: .7em; }
.rag-error { border-left: 4px solid #dc2626; padding-left: .7em; }
.rag-badge { font-weight: 600; margin-bottom: .3em; }
.rag-notfound .rag-badge { color: #b45309; }
.rag-error .rag-badge { color: #b91c1c; }
.rag-cites-head { font-size: .85em; font-weight: 600; opacity: .75; margin: .6em 0 .2em; }
.rag-cite { border: 1px solid var(--border-color-primary); border-radius: 6px;
            padding: .4em .6em; margin: .35em 0; font-size: .92em; }
.rag-notfound .rag-cite { opacity: .85; border-style: dashed; }
.rag-cite-title { font-weight: 600; }
.rag-cite-path { font-size: .85em; opacity: .75; }
.rag-quote { margin: .3em 0; padding: .2em .6em; border-left: 3px solid var(--color-accent);
             background: var(--background-fill-secondary); }
.rag-answer mark { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
.rag-full summary, .rag-retrieval summary { cursor: pointer; font-size: .85em; opacity: .8; }
.rag-full-text { white-space: pre-wrap; font-size: .9em; margin-top: .3em; }
.rag-retrieval table { font-size: .78em; border-collapse: collapse; margin-top: .3em; }
.rag-retrieval td, .rag-retrieval th { border: 1px solid var(--border-color-primary);
                                       padding: .1em .4em; text-align: left; white-space: nowrap; }
.rag-retrieval td:last-child { white-space: normal; }
"""
