"""Extractive answers: pick the unit or target from clause data, write it in zh or en, cite it.

Pure functions: every unit and number in an answer comes from a Clause, and every quote is
checked to be an exact substring of the clause it cites before it is returned.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from .extract import extract_responsibilities
from .model import Citation, Clause, Doc, Target

log = logging.getLogger(__name__)

EnName = Callable[[str], "str | None"]


def cite(clause: Clause, doc: Doc, quote: str) -> Citation | None:
    """A citation whose quote is verified to be an exact substring of the clause text.

    A failed check is a bug upstream: it is logged and the citation (and so the claim) dropped.
    """
    quote = quote.strip()
    if not quote or quote not in clause.text:
        log.error("citation check failed: %r is not in clause %s", quote[:60], clause.id)
        return None
    return Citation(doc.id, doc.title, clause.id, clause.heading, quote)


def responsibility_quote(clause: Clause) -> str:
    """The `（责任单位：…）` text of a clause, else its inline-lead sentence, else its title."""
    resp = extract_responsibilities(clause.text)
    if resp:
        a, b = resp[0].span
        return clause.text[a:b]
    if clause.inline_leads:
        return clause.inline_leads[0][1]
    return clause.title


def name(unit: str, lang: str, en: EnName) -> str:
    """A unit or indicator name for display: English with the Chinese beside it, or Chinese."""
    if lang == "en":
        e = en(unit)
        return f"{e} ({unit})" if e else unit
    return unit


def lead_sentence(clause: Clause) -> str:
    """The clause's title if it is in the text, else its first sentence (for "see also")."""
    if clause.title and clause.title in clause.text:
        return clause.title
    return re.split(r"(?<=[。；])", clause.text, maxsplit=1)[0][:120]


def where(clause: Clause, doc: Doc, lang: str) -> str:
    """Where a clause sits, for the answer text: plan title and heading path."""
    if clause.kind in ("table_row", "task_row"):
        return f"{doc.title_en}, {clause.path[0]}" if lang == "en" else f"《{doc.title}》{clause.path[0]}"
    if lang == "en":
        return f"{doc.title_en}, {clause.heading} “{clause.title}”"
    return f"《{doc.title}》{clause.heading}“{clause.title}”"


def lead_answer(clause: Clause, doc: Doc, lang: str, en: EnName, units: Sequence[str] = ()) -> str:
    """`units`: the units the answer names, lead first — the clause's list, or the units its running
    text charges together with the task asked ("浙大儿院和浙大妇产科医院需负责…"), which all answer,
    not the first alone as "the lead"."""
    lead = clause.lead_unit
    alias = dict(clause.aliases).get(lead)
    if not clause.units and len(units) > 1:
        if lang == "en":
            names = [name(u, lang, en) for u in units]
            return (f"The plan charges {', '.join(names[:-1])} and {names[-1]} together with this task "
                    f"(the text names {lead} first). Source: {where(clause, doc, lang)}.")
        return f"由{'、'.join(units)}共同承担（原文首列{lead}）。出处：{where(clause, doc, lang)}。"
    if lang == "en":
        s = f"The lead unit is {name(lead, lang, en)}"
        s += f" (also named {alias})" if alias else ""
        s += f". Source: {where(clause, doc, lang)}"
        return s + (" — the unit listed first leads." if clause.units else ".")
    s = f"牵头单位：{lead}" + (f"〔{alias}〕" if alias else "")
    s += f"。出处：{where(clause, doc, lang)}"
    return s + ("（责任单位中列第一位的为牵头单位）。" if clause.units else "。")


def counterparts_note(others: list[Clause], lang: str, en: EnName) -> str:
    """The same project's other listing with another lead: its implementation-table rows (附件2)
    for a body-text answer, or the body text's list for a row's."""
    if not others:
        return ""
    def quoted(title: str) -> str:  # a title may open with its own quotes ("“2+N”紧密型…")
        return title if title.startswith("“") else f"“{title}”"

    if lang == "en":
        parts = [f"{quoted(o.title)} ({o.path[0]}) lists {name(o.lead_unit, lang, en)} first" if o.task
                 else f"the body text ({o.heading} {quoted(o.title)}) lists {name(o.lead_unit, lang, en)} first"
                 for o in others]
        return f" For the same project, {'; '.join(parts)}."
    parts = [f"{o.path[0]}{quoted(o.title)}列{o.lead_unit}为首" if o.task else f"正文{o.heading}{quoted(o.title)}列{o.lead_unit}为首"
             for o in others]
    return f"同一项目另见：{'；'.join(parts)}。"


def units_answer(clause: Clause, doc: Doc, lang: str, en: EnName, units: Sequence[str] = ()) -> str:
    """`units`: as for `lead_answer` (the clause's list when empty); the standing rule's implied
    units are added from the clause."""
    listed = [name(u, lang, en) for u in units or clause.units or (clause.lead_unit,)]
    implied = [name(u, lang, en) for u in clause.implied_units]
    if not clause.units:  # named in running text, not in a responsibility list
        return (f"Charged in the plan's text: {'; '.join(listed)}. Source: {where(clause, doc, lang)}."
                if lang == "en" else f"正文所列承担单位：{'、'.join(listed)}。出处：{where(clause, doc, lang)}。")
    if lang == "en":
        s = f"Responsible units, lead first: {'; '.join(listed)}."
        if implied:
            s += f" Also co-responsible by the plan's standing rule (not listed): {'; '.join(implied)}."
        return s + f" Source: {where(clause, doc, lang)}."
    s = f"责任单位（列第一位的为牵头单位）：{'、'.join(listed)}。"
    if implied:
        s += f"另按方案“以下均需…落实，不再列出”的规定，{'、'.join(implied)}亦须落实。"
    return s + f"出处：{where(clause, doc, lang)}。"


_ROLE_ZH = {"baseline": "基期值", "result": "完成值", "target": "目标"}
_ROLE_EN = {"baseline": "baseline", "result": "actual result", "target": "target"}


def target_phrase(t: Target, lang: str, en: EnName) -> str:
    """One target as a phrase: "2025年 省级三甲综合医院日间手术比例 达到 25%以上"."""
    unit = "" if t.unit in ("%", "‰") or t.value.endswith(t.unit) else t.unit
    value = f"{t.value}{unit}"
    cmp_ = t.comparator
    if lang == "en":
        year = f"{t.year}" if t.year else "(no year stated)"
        note = " (plan horizon; no year stated in the clause)" if t.year_note else ""
        c = {"以上": "at least", "不低于": "at least", "≥": "≥", "以下": "at most", "以内": "within",
             "≤": "≤", "左右": "about", "达到": "", "不超过": "at most", ">": ">", "<": "<"}.get(cmp_, cmp_)
        label = en(t.indicator) or t.indicator
        ind = f"{label} ({t.indicator})" if label != t.indicator else t.indicator
        return f"{year} {_ROLE_EN.get(t.role, 'target')} for {ind}: {c + ' ' if c else ''}{value}{note}".strip()
    year = f"{t.year}年" if t.year else "（未注明年份）"
    note = "（条文未写年份，按规划期末）" if t.year_note else ""
    if cmp_ in ("以上", "以下", "左右", "以内"):
        shown = f"{value}{cmp_}"
    else:
        shown = f"{cmp_}{value}"
    return f"{year}{_ROLE_ZH.get(t.role, '目标')}：{t.indicator} {shown}{note}"


def targets_answer(picked: Sequence[tuple[Target, Clause, Doc]], lang: str, en: EnName) -> str:
    """One line per target, each with its plan; several plans are answered each in turn."""
    lines = []
    for t, clause, doc in picked:
        src = where(clause, doc, lang)
        if clause.row is not None and clause.row.ambiguous:
            lines.append(ambiguous_row_answer(clause, doc, lang))
            continue
        if lang == "en":
            lines.append(f"{target_phrase(t, lang, en)} — {src}.")
        else:
            lines.append(f"{target_phrase(t, lang, en)}（{src}）。")
    if len({d.id for _, _, d in picked}) > 1:
        head = ("The plans give different figures; each is cited:" if lang == "en"
                else "多个规划均有此指标，分别如下：")
        return head + "\n" + "\n".join(f"- {x}" for x in lines)
    return "\n".join(lines)


def ambiguous_row_answer(clause: Clause, doc: Doc, lang: str) -> str:
    """A table row whose values cannot be tied to years: quote it rather than guess."""
    if lang == "en":
        return (f"The indicator table gives fewer values than year columns for this row, so the "
                f"year of each value is not stated; the row reads: “{clause.text}” — {where(clause, doc, lang)}.")
    return f"该指标表此行数值少于年份列，无法确定各数值对应年份，原文为：“{clause.text}”（{where(clause, doc, lang)}）。"


def general_answer(clause: Clause, doc: Doc, quote: str, lang: str) -> str:
    if lang == "en":
        return f"The closest passage is {where(clause, doc, lang)}: “{quote}”"
    return f"相关条款：{where(clause, doc, lang)}：“{quote}”"


def refusal(lang: str, reason: str = "") -> str:
    if lang == "en":
        return "The plans do not state this." + (f" {reason}" if reason else "") + " See also the closest clauses below."
    return "规划中未写明此项内容。" + (f"{reason}" if reason else "") + "可参阅下列相近条款。"


def target_json(t: Target, en: EnName | None = None) -> dict[str, Any]:
    d = {"indicator": t.indicator, "comparator": t.comparator, "value": t.value, "year": t.year,
         "doc": t.doc, "clause_id": t.clause_id, "number": t.number, "unit": t.unit, "role": t.role,
         "source": t.source}
    if en and en(t.indicator):
        d["indicator_en"] = en(t.indicator)
    return d

