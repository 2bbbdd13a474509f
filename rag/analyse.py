"""Query analysis: script and language, intent, and slots (year, plan/region, role, follow-up)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_QUESTION_CHARS = 2000

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")

# Intent cues. Order of checks: units (all/others) before lead, lead before target.
_UNITS = re.compile(
    r"责任(?:单位|部门|方)(?!.*牵头)|有哪些(?:责任)?(?:单位|部门)|哪些(?:单位|部门|机构)|还有(?:谁|哪些|哪个)|其他(?:责任|配合)?单位|所有(?:责任)?单位|"
    r"全部(?:责任)?单位|配合单位|共同负责|实施主体|执行单位|涉及(?:哪些)?(?:单位|部门)|责任单位是|都有谁|(?:实施|参与|相关)(?:单位|部门)|(?:都)?列了(?:谁|哪些)|"
    r"\ball (?:the )?(?:responsible|units|departments|bodies|agencies)|who else|which (?:other )?"
    r"(?:departments|units|bodies|agencies|bureaus) (?:are|share|were|carry|implement|deliver|run|handle|do)|co-responsible|"
    r"responsible (?:units|departments|bodies)|implementing bodies|full list|list (?:all|every|the) |"
    r"shares? responsibility|who implements|every (?:responsible )?(?:unit|department)|"
    r"(?:bodies|units|departments|agencies) (?:implement|carry out|deliver)|"
    # every unit, or the list in its order: 单位有哪些, 哪几家, 依次列出, 按文件顺序, "in listed order"
    r"(?:单位|部门)(?:一共|总共|共|都)?有哪些|哪几(?:家|个)(?:单位|部门|机构)|哪几家(?=来|实施|负责|承担|落实|执行)|(?:全部|依次|逐一)列出|按(?:文件|原文|原)?(?:原来)?的?顺序|依次是|"
    r"哪(?:些|几个|几家)主体|列出(?:.{0,30})(?:单位|部门)|由哪(?:些|几(?:个|家))|"
    r"\bin (?:the )?(?:listed )?order\b|\bin the order (?:listed|given)\b|"
    r"\bwhich (?:other )?(?:departments|units|bodies|agencies|bureaus|organi[sz]ations|entities|institutions)\b(?! leads?\b)",
    re.I,
)
_LEAD = re.compile(
    r"牵头|挑头|领头|主抓|归口|归哪|谁(?:来)?(?:主导|统筹)|(?:主导|统筹)(?:单位|部门)|负总责|责任主体|归谁|责任方|落到谁|谁头上|哪个(?:单位|部门|机构|局|委|厅|办)|哪家|谁(?:来)?负责|由谁|"
    r"主责|主管|负责单位|落实单位|主办单位|谁(?:来)?(?:抓|管|推进|推动|落实|干|做|办)|谁的活|谁说了算|负责(?:的是)?(?:哪|什么|啥)|由哪(?:个|家)|"
    # a unit's part: "市医保局管啥 / 承担哪部分工作", "what's the Big Data Bureau doing"
    r"管(?:啥|什么|哪(?:一)?(?:项|块|些|部分))|承担(?:的是)?(?:哪(?:一)?(?:项|块|些|部分)|啥|什么)|"
    r"\bwhat(?:'s| is| does| do) (?:the )?[\w&' -]{3,60}?(?:bureau|department|commission|office|administration|"
    r"committee|hospital|government)s? (?:doing|do)\b|"
    r"\blead(?:s|ing)?\b|in charge|responsible for|takes? the lead|which (?:[\w-]+ ){0,2}?(?:department|unit|agency|"
    r"body|bureau|office|hospital|authority|entity|organi[sz]ation|institution)|\baccountable\b|\b(?:main|primary) responsib|"
    # the hospital a task is built on (依托省中医院争创…): "依托哪家医院", "所依托的医院为", "… 依托医院"
    r"依托(?:的是)?(?:哪(?!几)|谁)|依托的?(?:医院|单位)(?:为|是)|依托医院\s*[?？]?\s*$|who (?:is )?(?:responsible|handles|owns|runs|drives)|implementing (?:body|unit|agency)|"
    r"who (?:spearheads|heads|coordinates|oversees|manages|is accountable|is tasked)|point (?:agency|department)|"
    r"who (?:should|do|can) (?:i|we) (?:contact|ask|talk to)|"
    r"who(?:'s| is)? (?:carr(?:y|ies) (?:it |this |that )?out|implements?|delivers?|(?:is )?doing (?:it|this))|"
    r"who (?:carr(?:y|ies)|shoulders|undertakes|takes on|owns|is charged with|has) (?:the|this|that) "
    r"(?:task|job|work|row|item|duty|responsibility|project)",
    re.I,
)
_TARGET = re.compile(
    # a bare indicator asked ("湖州22年县域内住院占比？"): its figure is what is wanted
    r"(?:率|占比|比例|比重|指数|床位数|人数|数量|总数|医院数)\s*[?？]?\s*$|"
    r"\b(?:head)?count\b(?! as\b)|\btotal\b|\bmin\b|\bmax\b|\bhow (?:full|far)\b|"
    # a degree asked ("how digitised should core public health work be"): the figure that measures it
    r"\bhow (?!(?:should|must|will|would|can|could|do|does|did|is|are|was|were|to|about)\b)[a-z-]+ "
    r"(?:should|must|will|is|are)\b.*\bbe\b|"
    r"目标|达到多少|多少|几[个家张名所支辆位间台座]|比例是|比重|指标|要求.*(?:达到|不低于)|到20\d\d|基线|基期|完成情况|"
    r"(?:占比|比例|率)(?:有|的)?(?:什么|啥|何)?要求|几(?:分钟|天|年|岁|项|人|倍|成|次|级|万)|以内|上限|下限|"
    r"(?:压|降|提高|提升|控制|增加)到|卡在|多大比例|多少比例|比例多少|百分之几|几成|"
    r"\bbar\b|\bthreshold|\bminimum\b|\bmaximum\b|\bfloor\b|\bno (?:less|more|fewer) than\b|"
    r"实际完成|预期值|期望值|数值|多高|多低|什么水平|什么程度|(?:什么|哪条)线|数字要求|定的是几|定为几|\btarget|\bgoal|\baim|how (?:many|much|high|low)|\bnumber of\b|\bshare\b|\bproportion|"
    r"percentage|\bwhat ?%|%\s*of\b|\bpercent\b|\breach\b|supposed to|should (?:reach|have|hit|get)|\bhit\b|what (?:percentage|rate|"
    r"ratio|share|value|level|number)|\bwhat (?:[\w-]+ ){1,3}(?:count|amount|number|figure|volume)\b|\bby 20\d\d|baseline|\bactual|\bresult|\brate\b|\bratio\b|"
    r"\bwhat (?:was|were|is|are|will be) (?:the |its |their )?(?:\w+ )?(?:average|total|number|share|rate|"
    r"ratio|level|proportion|percentage|count|amount|length)|\bcap\b|ceiling|\bat (?:most|least)\b|"
    r"\bkeep\b.*\bat\b|how long|\bexpected\b|\bplanned\b|平均|增幅|控制在|多久|多长时间|最少|至少|最多",
    re.I,
)
_FOLLOW = re.compile(
    r"^(?:那|那么|还有|另外|再|其中|这个|这项|该)|呢[？?]?$|^(?:and|what about|how about|and what|"
    r"what of|same for|also)\b",
    re.I,
)
_YEAR = re.compile(r"(20\d\d)\s*年?")
# A rank said in words ("the country's top three"), as the plans write it (前3).
_NUMBER_WORDS = {"three": "3", "five": "5", "ten": "10", "twenty": "20", "fifty": "50", "hundred": "100"}
# A rank said in Chinese numerals ("全国前三的学科"), as the plans write it (前3).
_ZH_NUMBERS = {"三": "3", "五": "5", "十": "10", "二十": "20", "五十": "50", "一百": "100"}
_TOP_ZH = re.compile(r"前(三|五|十|二十|五十|一百)(?=名|位|强|的|[，,？?]|$)")
_TOP_N = re.compile(r"\btop (three|five|ten|twenty|fifty|hundred)\b", re.I)
# Spoken Chinese for what the plans write formally ("一周干几天" for 每周工作…个工作日).
_COLLOQUIAL = (
    (re.compile(r"一(?=周|个?星期|个?礼拜)"), "每"),
    (re.compile(r"(?:干|上)(?=几天|多少天)"), "工作"),
)
# A span of years ("2023-25", "2023—2025年"): a plan's period, which names the plan, not a target year.
_SPAN = re.compile(r"(?<!\d)(20\d\d)\s*[-—–~～]\s*(?:20)?(\d\d)(?!\d)")
# A demonstrative before a plan named loosely ("那个卫健现代化文件").
_THAT = "那个|这个|那份|这份"


def _described(most: int, docs: str = "方案|意见|文件", space: bool = False) -> str:
    """A plan described in up to `most` characters before its kind of document ("推公立医院高质量
    发展的方案"), not a target's wording (目标, 指标); `space`: spaces may stand inside."""
    char = r"[\u4e00-\u9fff\s]" if space else r"[\u4e00-\u9fff]"
    return rf"(?:(?!目标|指标){char}){{0,{most}}}?(?:{docs})"


# A year that dates a plan ("the 2023 modernisation opinions", "2021年的方案"), not a target.
_PLAN_AFTER = re.compile(r"(?:年?(?:的|版|印发的)?)\s*(?:(?:provincial |public |zhejiang |health |huzhou |shaoxing )*"
                         r"(?:modernis|moderniz|public hospital|hospital (?:reform )?plan|plan\b|opinions?\b|programme|"
                         r"document)|(?:省|市)?(?:实施)?(?:方案|意见|文件))"
                         rf"|年?(?:的|版|印发的){_described(10)}"
                         # "2021年那个推公立医院高质量发展的方案": a demonstrative before a plan described
                         rf"|年?(?:出|发|印发)?的?(?:{_THAT}){_described(16, '方案|意见|文件|规划')}", re.I)
# A year and month of issue ("2023年3月发的", "issued in March 2023"): the plan's date, not a target
# year. After the year: its month (and day) and the verb; before it: the verb and the month.
_ISSUE_ZH = r"\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?(?:份)?\s*(?:印发|发布|出台|下发|发|出)"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_EN = "|".join(_MONTHS)  # English month names by their first three letters
_ISSUE_EN = (rf"\s+(?:in\s+|on\s+)?(?:\d{{1,2}}\s+)?(?:{_MONTH_EN})[a-z]*\.?\s*"
             r"(?:\d{1,2},?\s*)?")
# …or the month and the document, without a verb ("2023年3月那个卫健现代化文件").
_MONTH_THAT = rf"\s*\d{{1,2}}\s*月份?\s*(?:的|{_THAT})?"  # "3月那个"
_MONTH_DOC = _MONTH_THAT + _described(10)
_ISSUED_AFTER = re.compile(rf"年?(?:{_ISSUE_ZH}|{_MONTH_DOC})")
_ISSUED_BEFORE = re.compile(rf"(?:issued|published|released|dated|of|from){_ISSUE_EN}$", re.I)
# The whole date of issue, taken out of the searched topic.
_ISSUE_DATE = re.compile(rf"20\d\d\s*年{_ISSUE_ZH}的?(?:{_THAT})?|"
                         rf"20\d\d\s*年{_MONTH_THAT}(?={_described(10, space=True)})|"
                         rf"\b(?:issued|published|released|dated){_ISSUE_EN}20\d\d", re.I)
_MONTH_YEAR = re.compile(rf"(20\d\d)\s*年\s*(\d{{1,2}})\s*月|\b({_MONTH_EN})[a-z]*\.?"
                         r"\s*(?:\d{1,2},?\s*)?(20\d\d)", re.I)


def _months_of_issue(text: str, dated: set[str]) -> tuple[str, ...]:
    """The year-months that date a plan ("2023年3月那个文件", "issued in March 2023")."""
    out = []
    for m in _MONTH_YEAR.finditer(text):
        year, month = (m.group(1), int(m.group(2))) if m.group(1) else (m.group(4), _MONTHS.index(m.group(3).lower()) + 1)
        if year in dated and 1 <= month <= 12:
            out.append(f"{year}-{month:02d}")
    return tuple(dict.fromkeys(out))


# A document number's year ("浙政办发〔2021〕74号"): it names the plan, never a year asked about.
_NUMBERED = re.compile(r"[〔\[【（(]\s*20\d\d\s*[〕\]】）)]\s*(?:第\s*)?\d{1,4}\s*号")
_BY_YEAR = re.compile(r"(?:到|至|\bby|\bin|\bfor)\s*$", re.I)  # "到2025年…", "by 2025": a target year whatever follows
# "opinions (2023)", "方案（2021）"; but "湖州方案2026年公立医院…" asks about 2026
_PLAN_BEFORE = re.compile(r"(?:opinions?|plan|programme)[\s(（]*$|(?:方案|意见|规划)\s*[(（]\s*$", re.I)
# "24年", "到25年": a year of the plans' decade written short — not "3年", "20年以上", "10年时间".
_SHORT_YEAR = re.compile(r"(?<![\d.])(19|2\d|30)年(?!以上|以内|以下|内|左右|时间|来|多|之)")
_BASELINE = re.compile(r"基线|基期|基数|起点|baseline|starting (?:point|value)", re.I)
# "the target, not the actual result", "不要实际完成值": what is ruled out is not what is asked;
# "lab and imaging results" (检查检验结果) are not a plan's results.
_TEST_RESULTS = re.compile(r"\b(?:test|lab|laboratory|imaging|exam|examination|diagnostic|check-?up|screening)\s+results\b", re.I)
_NOT_RESULT = re.compile(r"\b(?:not|rather than|instead of)\s+(?:the\s+|an?\s+)?(?:actual\s+)?(?:results?|outcomes?|achieved\b[\w\s]{0,20})|"
                         r"(?:不要|不是|不看|不用|并非|而非|非)\s*(?:那个)?实际(?:完成|达到|做到)?(?:的)?(?:值|数|情况|数值)?", re.I)
_RESULT = re.compile(r"完成情况|(?<!不是)(?<!非)实际(?:完成|达到|做到|值|情况)|完成了|做到了|(?<!not )(?<!not the )actual|achieved|(?<![\w-])(?<!research )results?\b",
                     re.I)

# Plans by region or name, zh and en. Provincial questions may hit any of 000/001/003.
_PLANS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"湖州|huzhou|示范项目|demo(?:nstration)? project", re.I), ("002",)),
    (re.compile(r"绍兴|shaoxing|(?:卫生健康|卫健)(?:事业)?(?:发展)?[“\"]?十四五[”\"]?(?:规划)?", re.I), ("004",)),
    (re.compile(r"省级医疗资源配置|医疗资源配置|资源配置(?:规划|十四五|“十四五”)|resources? allocation|(?:medical )?resources? (?:plan|FYP)|省级医院规划", re.I), ("003",)),
    (re.compile(r"现代化建设|(?:卫生健康|卫健)现代化|现代化(?:实施)?意见|现代化[那的]?[张个]?(?:重点)?指标|moderni[sz]\w*", re.I),
     ("001",)),
    (re.compile(r"高质量发展实施方案|推(?:动|进)?公立医院高质量发展(?:的?(?:实施)?方案)?|省(?:里)?公立医院(?:高质量)?(?:发展)?(?:实施)?(?:方案)?|high-quality development of public|"
                r"(?:provincial|zhejiang)(?:'s)? (?:20\d\d )?(?:public )?hospital (?:plan|programme)|public hospital (?:reform |development )?plan|"
                r"plan for (?:the )?public hospitals|"
                r"public hospital high-quality development|公立医院高质量发展的?(?:实施)?方案", re.I), ("000",)),
    (re.compile(r"浙江|省级|全省|省里|本省|provincial|zhejiang|province", re.I), ("000", "001", "003")),
)
# Zhejiang's eleven cities: several named together are a list inside a provincial task
# ("支持宁波、温州、湖州、金华建省级区域医疗中心"), not a plan filter.
_CITIES = re.compile(r"杭州|宁波|温州|嘉兴|湖州|绍兴|金华|衢州|舟山|台州|丽水|hangzhou|ningbo|wenzhou|jiaxing|"
                     r"huzhou|shaoxing|jinhua|quzhou|zhoushan|taizhou|lishui", re.I)
# How questions name a plan around its title ("按…的方案", "规划里", "in the … plan"): once the
# plan has set the document filter, these words only add noise to the search text.
_PLAN_WRAPPER = re.compile(
    r"[\u4e00-\u9fff]{0,14}?(?:印发|发布|出台)的(?:这个|那个)?(?:方案|规划|实施意见|意见|文件)(?:里|中|上|中的|里的)?|"
    r"(?:按|根据|在)?(?:省里|省级)?的?(?:这个)?(?:方案|规划|实施意见|意见)(?:里|中|上|中的|里的)|"
    rf"(?:{_THAT})[\u4e00-\u9fff\s]{{0,10}}?(?:方案|规划|实施意见|意见|文件)(?:里|中|上|中的|里的)?|"
    r"(?<![\u4e00-\u9fff])文件(?:里|中|上)?的?(?![\u4e00-\u9fff])|"
    r"\b(?:in|under|according to|per) (?:the )?[\w' -]{0,30}?(?:plan|opinions|programme)(?:'s)?\b",
    re.I,
)
_ELSEWHERE = re.compile(
    r"江苏|上海|北京|广东|福建|安徽|江西|山东|河南|湖北|湖南|四川|重庆|天津|河北|山西|陕西|云南|贵州|广西|海南|"
    r"辽宁|吉林|黑龙江|内蒙古|新疆|西藏|甘肃|青海|宁夏|深圳|广州|南京|苏州|武汉|成都|"
    r"杭州|宁波|温州|嘉兴|金华|衢州|舟山|台州|丽水|"
    r"jiangsu|shanghai|beijing|guangdong|fujian|anhui|shandong|sichuan|chongqing|shenzhen|"
    r"guangzhou|nanjing|suzhou|wuhan|chengdu|hangzhou|ningbo|wenzhou|jiaxing|jinhua|quzhou|zhoushan|taizhou|lishui",
    re.I,
)
# The whole country: out of scope only when no plan here is named ("national" is also part of
# names the plans use, "national regional medical centre").
# Only the country as the place a figure is for: "national" also qualifies things inside the plans
# ("national recommended standard", "national top 10").
_NATIONAL = re.compile(r"全国(?:的|范围内?|层面|平均|各地)|国家卫健委|nationwide|"
                       r"nationally(?! (?:recogni[sz]ed|renowned|known|certified|accredited|ranked|leading))|across (?:China|the country)|"
                       r"China's|\bnational (?:target|goal|average|figure)", re.I)
# Words that put a question inside the plans' area even when another place is named.
_HOME = re.compile(r"浙江|湖州|绍兴|省里|我省|全省|本省|zhejiang|huzhou|shaoxing", re.I)


@dataclass(frozen=True)
class Query:
    """What a question asks, as the chain understands it."""

    text: str  # normalised question (NFKC digits, simplified Chinese)
    language: str  # "zh" or "en": the language to answer in
    script: str  # "zh", "en" or "mixed"
    intent: str  # lead_unit | units | target | general
    years: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()  # plans named or implied by region; () = all
    role: str = "target"  # target | baseline | result
    elsewhere: str = ""  # a place no plan here covers ("江苏", "Ningbo")
    follow_up: bool = False
    slots: dict[str, object] = field(default_factory=dict, compare=False)
    topic: str = ""  # the text to search: `text` without the words that only named the plan
    plan_years: tuple[str, ...] = ()  # years that date a plan ("the 2021 hospital plan"), not a target
    plan_span: str = ""  # a plan's period as the question gives it ("2023-2025" from "2023-25")
    plan_months: tuple[str, ...] = ()  # months of issue with those years ("2023-03" from "2023年3月那个文件")


_t2s = None
_t2s_changes: frozenset[str] = frozenset()


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (衛生健康委 → 卫生健康委), via OpenCC's data. Text with no
    character the conversion can change is returned as it is (most questions: 0.1 ms saved)."""
    global _t2s, _t2s_changes
    if _t2s is None:
        import opencc
        from opencc import OpenCC

        _t2s, _t2s_changes = OpenCC("t2s"), _changing_chars(Path(opencc.__file__).parent / "dictionary")
    return text if _t2s_changes.isdisjoint(text) else _t2s.convert(text)


def _changing_chars(folder: Path) -> frozenset[str]:
    """Characters t2s may change: those its character table maps to something else, and every
    character of a phrase that changes without one of them (沈默 → 沉默)."""
    def pairs(name: str) -> Iterator[tuple[str, list[str]]]:
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            yield key, values.split(" ")

    chars = {k for k, vs in pairs("TSCharacters.txt") if any(v != k for v in vs)}
    odd = {c for k, vs in pairs("TSPhrases.txt") if vs[0] != k and chars.isdisjoint(k) for c in k}
    return frozenset(chars | odd)


def clean_question(text: str) -> str:
    """Drop control characters and NULs, fold full-width forms, collapse whitespace."""
    if not text.isprintable():  # (printable: no character of category C, the usual case)
        text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", text).strip()


# "方案中医院党建": 中 is "in" the plan, not the 中 of 中医院 (a TCM hospital), when a document word
# comes before it; written 里, which says the same and cannot be read into the next word.
# "一年招多少人" is per year, as the plans write it (每年招聘引进…1000名); not 第一年, 近一年, 一年内.
_A_YEAR = re.compile(r"(?<![第前近后头上下同当去今明每\d一])一年(?![内来后前半度多])")
_IN_DOCUMENT = re.compile(r"(方案|规划|意见|文件|计划|计划表|附件[0-9一二三]?|表)中(?=医院|医疗)")


def detect_script(text: str) -> str:
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    if cjk and latin >= 12 and latin > cjk:
        return "mixed" if cjk >= 2 else "en"
    if cjk and latin >= 12:
        return "mixed"
    return "zh" if cjk else "en"


# "lead"/"牵头" naming a kind of hospital, not who leads: "医共体牵头医院", "leading public hospitals".
# Asked at the end ("胃癌协作试点 牵头医院", "… lead hospital?"), the noun is what is asked: which one.
_HOSPITAL_KIND = r"(?:(?:public|general|tertiary|county|city) )*hospitals?\b"
_LEAD_NOUN = re.compile(rf"牵头医院(?!\s*(?:是(?:哪|谁)|[?？]?\s*$))|\bleading {_HOSPITAL_KIND}|"
                        rf"\blead {_HOSPITAL_KIND}(?!\s*[?]?\s*$)", re.I)


# The unit listed first is the lead ("排第一的责任方是谁", "责任单位里排第一的是谁").
_FIRST_LISTED = re.compile(r"(?:排|列)(?:在)?(?:第一|首位|最前|头)|第一责任(?:单位|部门|人)|第一(?:位|个)(?:的)?(?:责任|单位|部门)|listed first|first[- ]listed|"
                           r"\bcomes? first\b|\bnamed first\b|\bfirst (?:among|on the list|in the list)\b|\btop of the list\b", re.I)


# "谁来建 / who builds …": any "who" asked (not "由谁担任", a post) is about responsibility.
_WHO = re.compile(r"谁(?!担任)|(?:^|[:;,，：；—–(（]\s*|[?？]\s*)who(?:'s|’s|\s)|\bwhose (?:job|task|responsibility|remit|role|duty)\b", re.I)


# A note naming a target year and a thing, with no question word ("Huzhou 2025: new provincial key
# clinical specialties?", "湖州2025年新增省级临床重点专科？"): the figure for that year is asked.
_OPEN_WORD = re.compile(r"哪|什么|啥|怎么|怎样|如何|为什么|为何|是否|有没有|吗|"
                        r"作用|职责|\b(?:what|which|how|why|whether|does|do|did|is|are|was|were|list|describe|explain|role)\b", re.I)


def detect_intent(text: str) -> str:
    if _FIRST_LISTED.search(text):
        return "lead_unit"
    if _UNITS.search(text):
        return "units"
    if _LEAD.search(_LEAD_NOUN.sub(" ", text)) or _WHO.search(text):
        return "lead_unit"
    if _TARGET.search(text):
        return "target"
    return "general"


@dataclass(frozen=True)
class PlanTitles:
    """The plans' own titles, as a question quotes them ("《湖州市…实施方案（2023—2025年）》里…").

    Each title is also matched without its bracketed period, without a leading "关于" and without its
    region ("浙江省", "Zhejiang"), which the region patterns read anyway.
    """

    pattern: re.Pattern[str]
    ids: tuple[str, ...]

    @classmethod
    def of(cls, titles: Iterable[tuple[str, str]]) -> PlanTitles:
        """Args: titles: (doc id, title) pairs, Chinese and English."""
        forms: dict[str, set[str]] = {}
        for doc, title in titles:
            t = clean_question(title)
            variants = {t, re.sub(r"\s*[（(][^（()）]*[）)]\s*$", "", t)}
            variants |= {v.removeprefix("关于") for v in variants}
            variants |= {re.sub(r"^(?:浙江省|湖州市|绍兴市|Zhejiang|Huzhou|Shaoxing)\s*", "", v) for v in variants}
            forms.setdefault(doc, set()).update(v for v in variants if len(v) >= 8)
        ids = tuple(forms)
        alternatives = ("|".join(re.escape(v) for v in sorted(forms[d], key=len, reverse=True)) for d in ids)
        return cls(re.compile("|".join(f"(?P<d{i}>《?(?:{a})》?)" for i, a in enumerate(alternatives)), re.I), ids)

    def search(self, text: str) -> tuple[str, int, int] | None:
        """The plan a text quotes by title, and where: (doc id, start, end), or None."""
        m = self.pattern.search(text) if self.ids else None
        return (self.ids[int(m.lastgroup[1:])], m.start(), m.end()) if m and m.lastgroup else None


def analyse(question: str, titles: PlanTitles | None = None) -> Query:
    """Understand one question on its own (follow-ups are merged by the chain).

    Args:
        question: the user's text, already checked for length.
        titles: the plans' titles: a question quoting one is about that plan, and
            the title's words are not what it asks about.

    Returns:
        A Query with language, intent and slots.
    """
    text = clean_question(question)
    if _CJK.search(text):
        text = _A_YEAR.sub("每年", _IN_DOCUMENT.sub(r"\1里", to_simplified(text)))
    script = detect_script(text)
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    language = "zh" if script == "zh" or (script == "mixed" and cjk * 3 >= latin) else "en"
    docs: tuple[str, ...] = ()
    topic = text
    if titles and (quoted := titles.search(text)):
        doc, start, end = quoted
        before = re.sub(r"(?:\b(?:in|under|according to|per|from|of)(?: the)?|按照?|根据|在)\s*$", "", text[:start], flags=re.I)
        docs, topic = (doc,), f"{before} {re.sub(r'^(?:里的?|中的?|上的?)', '', text[end:])}"
    cities = {c.lower() for c in _CITIES.findall(text)}
    for pat, ids in () if docs else _PLANS if len(cities) < 2 else _PLANS[2:]:
        if pat.search(text):
            docs = ids
            break
    topic = _ISSUE_DATE.sub(" ", topic)  # a plan's date of issue names the plan, not what is asked
    if docs and len(docs) == 1:
        for pat, ids in _PLANS[:-1]:
            topic = pat.sub(" ", topic) if ids == docs else topic
        topic = _PLAN_WRAPPER.sub(" ", topic)
    topic = _SHORT_YEAR.sub(lambda m: f"20{m.group(1)}年", topic)  # searched and matched as the year it is
    topic = _TOP_N.sub(lambda m: f"top {_NUMBER_WORDS[m.group(1).lower()]}", topic)  # 前3: "top three"
    topic = _TOP_ZH.sub(lambda m: f"前{_ZH_NUMBERS[m.group(1)]}", topic)  # 前3: "前三"
    for pat, plain in _COLLOQUIAL:
        topic = pat.sub(plain, topic)
    topic = _SPAN.sub(" ", topic)  # the plan's period names the plan (the filter), not what is asked
    topic = re.sub(r"\b\d+(?:st|nd|rd|th)\b", " ", topic)  # "14th FYP", "3rd-tier": names, never the figure asked
    topic = re.sub(r"\s+", " ", topic).strip(" ，,")
    span = _SPAN.search(text)
    found = [(m.group(1), not _BY_YEAR.search(text[max(m.start() - 8, 0) : m.start()]) and bool(
        _PLAN_AFTER.match(text, m.end()) or _PLAN_BEFORE.search(text[max(m.start() - 16, 0) : m.start()])
        or _ISSUED_AFTER.match(text, m.end()) or _ISSUED_BEFORE.search(text[max(m.start() - 40, 0) : m.start()])))
        for m in _YEAR.finditer(_NUMBERED.sub(lambda n: " " * len(n.group(0)), text))
        if not (span and span.start() <= m.start() < span.end())]
    dated = {y for y, dates_a_plan in found if dates_a_plan}
    years = tuple(dict.fromkeys([*(y for y, _ in found if y not in dated),
                                 *(f"20{y}" for y in _SHORT_YEAR.findall(text))]))
    if re.search(r"十四五|14th five", text, re.I) and not years:
        years = ("2025",)
    intent = detect_intent(text)
    if intent == "general" and years and not _OPEN_WORD.search(text):
        intent = "target"  # "Huzhou 2025: new provincial key clinical specialties?"
    role = ("baseline" if _BASELINE.search(text) else
            "result" if _RESULT.search(_TEST_RESULTS.sub(" ", _NOT_RESULT.sub(" ", text))) else "target")
    m = _ELSEWHERE.search(text) if len(cities) < 2 and not _HOME.search(text) else None
    m = m or (_NATIONAL.search(text) if not docs else None)
    return Query(
        text=text,
        language=language,
        script=script,
        intent=intent,
        years=years,
        docs=docs,
        role=role,
        elsewhere=m.group(0) if m else "",
        follow_up=bool(_FOLLOW.search(text)) and len(text) <= 40,
        topic=topic if len(topic) >= 4 else text,
        plan_years=tuple(sorted(dated)),
        plan_months=_months_of_issue(text, dated),
        plan_span=f"{span.group(1)}-20{span.group(2)}" if span else "",
    )
