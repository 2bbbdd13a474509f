"""Per-clause extraction: responsible units (lead first), inline leads, numeric targets."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .model import Target

# Collective bodies whose names contain the list separator "、"; protected before splitting.
_COLLECTIVE = re.compile(r"各市、县[〔（(]市、区[〕）)](?:人民)?政府")
_RESP_OPEN = re.compile(r"[（(]\s*(?:责任单位|实施主体|牵头单位)[：:]")
_ALIAS = re.compile(r"^(.+?)[〔]([^〔〕]+)[〕]$")
_STANDING_RULE = re.compile(r"以下均需(.+?)落实[，,]?不再列出")
_LEAD_NOTE = re.compile(r"列第一(?:位)?的?为牵头单位")
_UNIT_SUFFIX = re.compile(r"(?:医院|委|局|厅|中心|政府|办|院|所|会|部|室|社|集团)$")


@dataclass(frozen=True)
class Responsibility:
    """A parsed `（责任单位：…）` list."""

    units: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]  # sentences after the list, e.g. 列第一位的为牵头单位，下同
    span: tuple[int, int]  # character span of the whole parenthesis in the clause text
    standing: str = ""  # a body made co-responsible for every later clause ("以下均需…落实")


def _close_paren(text: str, start: int) -> int:
    """Index of the parenthesis that closes the one opened at `start`, or -1."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] in "（(":
            depth += 1
        elif text[i] in "）)":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _split_units(listing: str) -> list[str]:
    """Split "A〔B〕、C，各市、县〔市、区〕政府" on 、，, outside brackets."""
    protected: list[str] = []

    def _protect(m: re.Match[str]) -> str:
        protected.append(m.group(0))
        return f"\x00{len(protected) - 1}\x00"

    s = _COLLECTIVE.sub(_protect, listing)
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "〔（(":
            depth += 1
        elif ch in "〕）)":
            depth -= 1
        if ch in "、，,；;" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        p = re.sub(r"\x00(\d+)\x00", lambda m: protected[int(m.group(1))], p).strip()
        p = p.removeprefix("和").removeprefix("及").strip()
        if p:
            out.append(p)
    return out


def extract_responsibilities(text: str) -> list[Responsibility]:
    """Find every `（责任单位：…）` list in a clause's normalised text.

    Args:
        text: the clause text, line breaks already joined.

    Returns:
        One Responsibility per list, units in the written order (the first is the lead).
    """
    found = []
    for m in _RESP_OPEN.finditer(text):
        end = _close_paren(text, m.start())
        if end < 0:
            end = len(text)
        body = text[m.end() : end]
        head, _, rest = body.partition("。")
        notes = tuple(s for s in re.split(r"[。；]", rest) if s.strip())
        units, aliases = [], []
        for name in _split_units(head):
            a = _ALIAS.match(name)
            if a and not _COLLECTIVE.fullmatch(name):
                units.append(a.group(1))
                aliases.append((a.group(1), a.group(2)))
            else:
                units.append(name)
        standing = ""
        for n in notes:
            r = _STANDING_RULE.search(n)
            if r:
                standing = r.group(1)
        found.append(
            Responsibility(tuple(units), tuple(aliases), notes, (m.start(), end + 1), standing)
        )
    return found


_GENERIC_HOST = re.compile(r"^(?:高水平|辖区|县域|现有|省市|省级|集约|紧密|暖心|具备|互联网|各|一批|\d)")
# After a count, attributes listed with 、 and closed by 的 before the noun they describe:
# "新建10-15个技术领先、特色明显、团队合理的重中之重学科" counts 重中之重学科, not 技术领先.
_ATTRIBUTED = re.compile(r"[^，。；、的]{1,10}(?:、[^，。；、的]{1,10})+的[^，。；、的]{2,12}")
_HOST = re.compile(r"依托((?:[^，。；、“”（）\s]{1,20}?(?:医院|中心|(?<![学])院))(?:、[^，。；、“”（）\s]{1,20}?(?:医院|中心|(?<![学])院))*)")
_CHARGED = re.compile(r"([^，。；：]{2,60}?)(?:需(?:重点)?(?:负责|承担|推进|牵头)|承担(?=相应的))")
_SHORT_NAME = re.compile(r"[（(]以下简称([^）)]+)[）)]")


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    a = max(text.rfind(c, 0, start) for c in "。；") + 1
    stops = [i for i in (text.find(c, end) for c in "。；") if i >= 0]
    return a, (min(stops) + 1 if stops else len(text))


def extract_inline_leads(text: str) -> list[tuple[str, str, str]]:
    """Units given a task in running text, as (unit, sentence, scope).

    Three ways the plans say it: "省肿瘤医院牵头，建立…" / "省中医院牵头的胃癌、…", "依托省立同德医院
    …推进…基地建设" and "浙大口腔医院需承担…任务" (or, without 需, "浙医一院…和省人民医院承担相应的…工作"). `sentence` is the quote; `scope` is the part
    of it that names the task, so a question can pick among several leads in one clause.
    "牵头医院"/"牵头单位" (a lead hospital as a noun), "列第一…为牵头单位" and generic hosts
    ("依托高水平综合医院") are not leads.
    """
    leads: list[tuple[int, str, str, str]] = []
    for m in re.finditer(r"牵头(?!医院|单位|的为)", text):
        before = re.sub(r"(?:发挥|负责|共同|分别)$", "", text[: m.start()])
        names: list[str] = []
        while True:  # "市财政局、市卫生健康委发挥牵头抓总作用": every unit of the 、 list leads
            cut = max(before.rfind(c) for c in "，。；：、“”（）\n")
            name = before[cut + 1 :]
            if not (2 <= len(name) <= 20 and _UNIT_SUFFIX.search(name)):
                break
            names.insert(0, name)
            if cut < 0 or before[cut] != "、":
                break
            before = before[:cut]
        if names:
            a, b = _sentence_around(text, m.start(), m.end())
            rest = text[m.end() : b]
            scope = re.split(r"[、，。；\d]", rest[1:], maxsplit=1)[0] if rest.startswith("的") else rest
            leads += [(m.start(), name, text[a:b], scope) for name in names]
    for m in _HOST.finditer(text):
        names = [n for n in m.group(1).split("、") if not _GENERIC_HOST.search(n)]
        a, b = _sentence_around(text, m.start(), m.end())
        for n in names:
            leads.append((m.start(), n, text[a:b], text[m.end() : b]))
    for m in _CHARGED.finditer(text):
        who = m.group(1)
        short = _SHORT_NAME.search(who)
        names = [short.group(1)] if short else re.split(r"和|、|及", who)
        names = [n for n in names if 2 <= len(n) <= 20 and _UNIT_SUFFIX.search(n)]
        a, b = _sentence_around(text, m.start(), m.end())
        for n in names:
            leads.append((m.start(), n, text[m.start(1) : b], text[m.end() : b]))
    return [(n, sent, scope) for _, n, sent, scope in sorted(leads, key=lambda x: x[0])]


# ---- targets in running text -------------------------------------------------------------

_NUM = r"\d+(?:\.\d+)?(?:[—~～-]\d+(?:\.\d+)?)?"
_UNITS = (
    r"床/万人|/10万|/万|万人次|万人|亿元|万元|万(?:张|辆|台|所|个|家|名|项)?|分钟|小时|个百分点|%|‰|个|张|人|名|家|支|岁|所|项|次|天|倍|台|辆|元|座|条|位|级|年"
)
_PRE_CMP = r"不低于|不高于|不少于|不多于|不超过|超过|高于|低于|少于|多于|至少|≥|≤|>|<|约"
_VERB = r"达到|达|提高到|提升到|提升至|提高至|降低到|降至|下降到|下降至|控制在|稳定在|维持在|保持在|增加到|增长到|突破|实现"
_POST_CMP = r"及以上|及以下|以上|以下|左右|以内"
_TARGET = re.compile(
    rf"(?P<pre>{_PRE_CMP})?(?P<verb>{_VERB})?(?P<pre2>{_PRE_CMP})?"
    r"(?:(?<=至少)(?:建成|建有|设置|配备|拥有|建设|培育))?\s*"  # "至少建有2个安宁疗护病区"
    rf"(?P<num>{_NUM})\s*(?P<unit>{_UNITS})?(?P<post>{_POST_CMP})?"
)
_YEAR = re.compile(r"(?:到|至|于|在)?(20\d\d)年(?:底|末)?")
_FIVE_YEAR = re.compile(r"“?十四五”?(?:期末|时期|末)")
# Verbs that bring a counted thing into being ("新建15个", "培育3家"); `_BUILD_VERB` wants one
# right before the figure, the others take the group as a piece of a larger pattern.
_BUILD = r"(?:建设|建成|新建|新增|培育|打造|创建|遴选|培养|引进|招录|设立|组建|布局|扶持|争创|推广|选树|推动|支持|带动|入围)"
_BUILD_VERB = re.compile(_BUILD + "$")
_PER_CAPITA = re.compile(r"每(?:千|万|百|十万)(?:名|人|常住人口)?")  # "每千名儿童拥有儿科医生1.12人"
_SENT = re.compile(r"[^。；！？]+[。；！？]?")
_SUB = re.compile(r"(?:[^，,：:（(]|[（(][^）)]*[）)]?)+")  # a sub-sentence: a comma inside brackets does not end it
_BRACKETED = re.compile(r"[（(][^）)]*[）)]")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENT.findall(text) if s.strip()]


def _year_of(sentence: str, pos: int) -> str:
    """The year a target at `pos` belongs to: the last year phrase before it, else ""."""
    years = [m for m in _YEAR.finditer(sentence[:pos]) if not sentence[m.end() :].startswith("—")]
    if years:
        return years[-1].group(1)
    if _FIVE_YEAR.search(sentence[:pos]):
        return "2025"
    return ""


def _indicator_before(clause: str) -> str:
    """The indicator phrase in a sub-sentence before its value: strip time phrases and verbs."""
    s = re.sub(r"^.*?(?:20\d\d年(?:底|末)?|“?十四五”?(?:期末|时期|末)?)[，,]?", "", clause)
    s = re.sub(r"^(?:力争|争取|全面|推动|确保|其中|全市|全省|实现)+", "", s)
    s = re.sub(r"分别$", "", s)
    return s.strip("，,、：: ") or clause.strip("，,、：: ")


def extract_targets(
    text: str, clause_id: str, doc: str, default_year: str = "", yearly_plan: bool = False
) -> list[Target]:
    """Numeric targets in a clause's running text, one per stated value.

    A target is a number with a unit or comparator that a verb like 达到/控制在 or a
    comparator like 以上/不低于/左右 makes a goal ("日间手术占择期手术比例达到25%以上").
    Bare counts, years and document numbers are not targets.

    Args:
        text: normalised clause text.
        clause_id: id recorded on each target.
        doc: document id.
        default_year: the year used when the sentence names none, normally the end of the
            plan's period; such targets carry `year_note="plan horizon"`.
        yearly_plan: the text is one year's cell of a 实施计划表, so `default_year` is stated
            (no note) and a count after a build verb is a goal too ("累计建成6个县域医疗副中心").

    Returns:
        Targets in text order; `evidence` is the sentence, an exact substring of `text`.
    """
    targets: list[Target] = []
    for sent in _sentences(text):
        for sub_m in _SUB.finditer(sent):
            sub = sub_m.group(0)
            first = len(targets)
            last_end, prev_indicator, prev_after, prev_counted = 0, "", "", False
            chained: list[int] = []  # targets named by the words after their number
            inside = [b.span() for b in _BRACKETED.finditer(sub)]
            for m in _TARGET.finditer(sub):
                aside = any(a <= m.start() < b for a, b in inside)
                if aside and not (m.group("pre") or m.group("pre2") or m.group("verb") or m.group("post")):
                    continue  # "新增1个以上（包括1个，下同）国家级": an aside, not a figure
                seg_start = last_end
                if sub[: m.start()].endswith("从"):  # "从20%提升至40%": 20% is where it starts
                    prev_indicator = _indicator_before(sub[seg_start : m.start() - 1])
                    last_end = m.end()
                    continue
                if re.search(r"每\s*$", sub[: m.start()]):
                    continue  # "按照每3万常住人口不低于1辆": a rate's base, part of the indicator
                num, unit = m.group("num"), m.group("unit") or ""
                pre = m.group("pre") or m.group("pre2") or ""
                verb, post = m.group("verb") or "", m.group("post") or ""
                if not verb and len(targets) > first and "分别" in sub[: m.start()]:
                    verb = targets[-1].comparator  # "分别达到3.38人、3.26人和6.07张": one verb, three values
                part_of = unit and sub.startswith("其中") and any(t.evidence == sent for t in targets)
                if unit == "" and not (pre or post or verb):
                    continue  # a bare number ("前3的学科数量达10个") does not end the indicator
                if re.match(r"[A-Za-z]", sub[m.end() :]):
                    continue  # "实现5G院前急救": a name, not a figure
                if unit == "人" and sub[m.end() :].startswith("口"):
                    continue  # "1000人口以上行政村": a population, part of the indicator
                if unit == "岁" and re.match(r"[\u4e00-\u9fff]", sub[m.end() :]):
                    continue  # "完善3岁以下婴幼儿照护服务": an age group, part of what is named
                last_end = m.end()
                if re.match(r"(?:年|月|日|号|〕|\))", sub[m.end() :]) or re.match(
                    r"20\d\d$", num
                ):
                    continue
                if unit == "年" and not pre:
                    continue  # "用3年时间": a span, not a goal; "不少于2年" is one
                # A count after a build verb is a commitment ("新组建3支…救援队"), as is the next
                # count of the same list ("推广50项…技术和100个…方案") and a per-capita figure.
                listed = prev_counted and re.search(r"(?:和|、|及)$", sub[seg_start : m.start()])
                # "32家山区海岛县级医院…达到国家推荐标准": a count that opens a sub-sentence whose verb
                # follows is how many must reach the goal.
                leading = not sub[: m.start()].strip() and re.search(r"达到|实现", sub[m.end() :])
                # "高标准建设…及心血管病、创伤、呼吸等6个专业类国家区域医疗中心": a count closing a
                # list that a build verb opened is how many of the things named after it.
                enumerated = bool(unit) and sub[: m.start()].endswith("等") and bool(
                    _LIST_BUILD.search(sub[: m.start()]))
                # "建设市级名中医工作室7个", "建成…救治中心14家、…门诊各20家": a build verb, the
                # thing built, then how many, closing the phrase.
                closes = re.match(r"(?:[、，；。和及]|$)", sub[m.end() :])
                named = bool(unit) and bool(_COUNT_UNIT.search(unit)) and bool(closes) and bool(
                    _NAMED_COUNT.fullmatch(sub[seg_start : m.start()])
                    or (prev_counted and _NAMED_NEXT.fullmatch(sub[seg_start : m.start()])))
                counted = unit and (
                    _BUILD_VERB.search(re.sub(r"(?:累计|共|再|各|动态)$", "", sub[: m.start()]))
                    or listed or leading or enumerated or named or _PER_CAPITA.search(sub[: m.start()]))
                prev_counted = bool(counted)
                if not (pre or post or verb) and unit not in ("%", "‰") and not counted and not part_of:
                    continue  # "…救护车达到169辆，其中负压救护车49辆": a part of a goal is one too
                if sub[: m.start()].endswith("第"):
                    continue
                indicator = _indicator_before(sub[seg_start : m.start()].lstrip("、和及与的").rstrip("、和及与"))
                rest = _BRACKETED.sub("", sub[m.end() :]).strip("。；！？ ")
                after = re.split(r"[、和]", rest, maxsplit=1)[0]
                if attributed := _ATTRIBUTED.match(rest):  # "10-15个技术领先、特色明显…的重中之重学科"
                    after = attributed.group(0)
                if after and (listed or (prev_after and _BRACKETED.sub("", indicator) == prev_after)):
                    # "建成1个以上国家医学中心、10个以上专业类别国家区域医疗中心": the text before
                    # this number was the last count's noun; this count's noun follows it too
                    indicator, prev_after = after, after
                    chained += [len(targets) - 1, len(targets)] if not chained else [len(targets)]
                else:
                    if len(indicator) < 2 or re.fullmatch(rf"(?:{_VERB}|{_PRE_CMP})+", indicator):
                        indicator = prev_indicator or indicator
                    prev_after = ""
                    if re.fullmatch(r"[（(]?或", indicator) and len(targets) > first:
                        indicator = targets[-1].indicator  # "10%-15%（或不少于200张）": the same thing's other measure
                    elif after and indicator.endswith("的") and re.match(r"(?:设置|配置|设立|开设|预留)", after):
                        indicator = after  # "按照医院编制床位的15%设置重症监护病床": the base is context
                    elif after and _STRIVE.fullmatch(indicator):
                        # "力争50%以上的乡镇卫生院…提供安宁疗护服务": what is counted follows the value
                        indicator = after.removeprefix("的")
                    elif after and enumerated:
                        indicator = prev_after = after  # the list's items are in the context
                    elif after and (len(indicator) < 2 or _BUILD_VERB.search(indicator)
                                    or (pre == "至少" and after not in indicator)
                                    or re.search(r"(?:设置|建立|配置|配备)$", indicator)):
                        # "各区、县（市）至少建有2个安宁疗护病区": what there must be at least 2 of follows
                        # "建设20家左右省级中医特色医院": the thing counted follows the number
                        indicator = f"{indicator}{after}" if indicator else after
                        prev_after = after
                share = re.search(r"(?:占比|比例|比重)$", indicator)
                if share and len(indicator) <= 5 and prev_indicator.endswith(share.group(0)) \
                        and len(prev_indicator) > len(indicator):
                    # "县级公立医院中的三级医院占比达到30%、床位占比达到60%": the second share is of
                    # the same whole ("县级公立医院中的三级医院床位占比")
                    indicator = prev_indicator[: -len(share.group(0))] + indicator
                prev_indicator = indicator
                comparator = post or pre or ("达到" if verb.startswith("达") else verb)
                year = _year_of(sent, sub_m.start() + m.start())
                targets.append(
                    Target(
                        indicator=indicator[-40:],
                        comparator=comparator,
                        value=f"{num}{unit}",
                        number=num,
                        unit=unit,
                        year=year or default_year,
                        evidence=sent,
                        clause_id=clause_id,
                        doc=doc,
                        year_note="" if year or not default_year or yearly_plan else "plan horizon",
                    )
                )
            _respectively(sub, targets, first, sent[: sub_m.start()])
            _shared_noun(targets, first, chained)
    return targets


_COUNT_UNIT = re.compile(r"(?:个|家|名|人|项|支|所|张|辆|台|座|条|位)$")
_THING = r"[^，。；、\d（）()]{2,24}?各?"  # what is built: no figure, no list mark, no aside
_NAMED_COUNT = re.compile(rf"[，；]?(?:[^，。；、\d]{{0,6}}?){_BUILD}{_THING}")
_NAMED_NEXT = re.compile(rf"[、和及]{_THING}")  # the next item of the same list
_STRIVE = re.compile(r"(?:全省|全市|各地)?(?:力争|争取|确保|努力|力求|推动|推进)+")  # no indicator yet
_LIST_BUILD = re.compile(rf"{_BUILD}|发展")  # a build verb anywhere before a list
_LIST_VERB = re.compile(
    r"^(?:全面|进一步|大力|加快|着力|持续|积极)*(?:加强|推进|推动|支持|提升|完善|强化|实施|开展|鼓励|引导|建设|发展|做强|做优)")
_LIST_NOUN = re.compile(r"^.*?(?:医院|卫生院|机构|中心)")


def _earlier_items(before: str, n: int) -> list[str]:
    """The n-item list an earlier sub-sentence names ("加强县级二甲以上和省市三级综合医院的重症学科
    建设，…比例分别达到4%、8%"): nearest sub-sentence first, the phrase before its first 的."""
    for part in reversed(re.split(r"[，,：:]", _BRACKETED.sub("", before))):
        phrase = _LIST_VERB.sub("", part.split("的")[0].split("分别")[0])
        items = [x for x in re.split(r"、|和|及", phrase) if x]
        if len(items) == n:
            return [_label(x) for x in items]
    return []


def _label(item: str) -> str:
    """A list item as a qualifier: "市级医院每百名卫技人员年科研经费" → "市级医院"."""
    m = _LIST_NOUN.match(item)
    return m.group(0) if m else item


def _shared_noun(targets: list[Target], first: int, chained: list[int]) -> None:
    """"3个以上省级、5个以上市级和20个以上区县级临床重点专科": the last item's noun is every item's."""
    items = [i for i in dict.fromkeys(chained) if i >= first]
    if len(items) < 2:
        return
    last = targets[items[-1]].indicator
    ends = {targets[i].indicator[-1] for i in items[:-1]}
    cut = min((last.find(c) for c in ends if 0 < last.find(c) < 5), default=-1)
    noun = last[cut + 1 :] if len(ends) == 1 and cut > 0 else ""
    for i in items[:-1] if len(noun) >= 2 else ():
        core = re.sub(rf"^{_BUILD}+", "", targets[i].indicator)  # "培育建设国家级": 国家级
        if len(core) <= 5 and not targets[i].indicator.endswith(noun):
            targets[i] = replace(targets[i], indicator=targets[i].indicator + noun)


def _respectively(sub: str, targets: list[Target], first: int, before: str = "") -> None:
    """"A、B和C分别达到x、y和z": give each value its own subject instead of the whole list.

    A short item that only qualifies the shared head ("县级和省市级…比例分别达到4%、8%") keeps
    the whole subject with the item in brackets: "县级和省市级…比例（县级）". When the subject is
    one phrase, the items may be named in an earlier sub-sentence of the same sentence (`before`):
    "…重症床位占总床位数的比例（县级二甲以上）".
    """
    found = targets[first:]
    if len(found) < 2:
        return
    if "分别" not in sub:  # "门诊和住院患者满意度平均达90和92以上": the values joined as the subjects are
        joined = re.search(rf"(?:{_VERB})\s*{re.escape(found[0].value)}\s*和\s*{re.escape(found[1].number)}", sub)
        if len(found) != 2 or not joined or sub[: joined.start()].count("和") != 1:
            return
        sub = f"{sub[: joined.start()]}分别{sub[joined.start():]}"
    post = found[-1].comparator
    if post in ("以上", "以下", "左右", "以内"):  # "分别达到4%、8%以上": 以上 qualifies every value
        for i, t in enumerate(found[:-1]):
            if t.comparator in ("", "达到"):
                targets[first + i] = found[i] = replace(t, comparator=post)
    subject = _indicator_before(sub[: sub.index("分别")])
    items = [x for x in re.split(r"、|和|及", subject) if x]
    if len(items) == len(found):
        qualifiers = any(len(x) < 5 for x in items)  # "省级、市级医院…经费": the items share the head
        for i, (t, item) in enumerate(zip(found, items, strict=True)):
            label = _label(item) if qualifiers else item
            whole = len(item) >= 5 and label == item  # the item names its own indicator
            targets[first + i] = replace(t, indicator=item[-40:] if whole else f"{subject}（{label}）")
        return
    items = _earlier_items(before, len(found))
    for i, (t, item) in enumerate(zip(found, items, strict=False)):
        targets[first + i] = replace(t, indicator=f"{subject[-30:]}（{item[-12:]}）")
