"""The retrieval chain (LCEL: analyse → retrieve → answer) and the Assistant that runs it.

The CLI, the Gradio UI and the eval runner all call `Assistant.ask`; nothing answers a
question another way.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManager
from langchain_core.runnables import RunnableLambda

from . import answer as A
from .analyse import (
    _CITIES,
    _FIRST_LISTED,
    _LEAD,
    _NOT_RESULT,
    _UNITS,
    MAX_QUESTION_CHARS,
    PlanTitles,
    Query,
    analyse,
)
from .corpus import Corpus, load_corpus
from .errors import IndexStateError, QuestionError
from .generate import Generator, refine
from .index import build_index, load_index, parse_cache_dir
from .model import Answer, Citation, Clause, Target
from .retrieve import Hit, Searcher
from .units import user_words

log = logging.getLogger(__name__)

TOP_K = 8
RERANK_DEPTH = 5
# Weight of clause coverage against the fused rank score (README "Retrieval" has the sweep).
COVERAGE_WEIGHT = 1.0
# Choosing a target: IDF-weighted word match with its context, minus this per retrieval rank,
# plus a bonus for a table cell when the question names a year.
RANK_PENALTY = 1.0
TABLE_BONUS = 1.0
LOOSENESS = 0.05
ALIAS_WEIGHT = 0.5
WORD_MAX = 4
RAREST_MATCH = 0.6  # an English question's rarest named word missing: refuse below this (README "Refusals")
MIN_TARGET_MATCH = 0.25  # below this share of the asked words matched, refuse (README "Refusals")
# A word no clause writes, naming what an indicator counts or measures ("千人药师数"), refuses a figure
# that matches less than this share; above it the rest of the name vouches for a synonym ("存活率").
UNSEEN_HEAD_MATCH = 0.5
_HEAD_OF = r"{}(?<!所)(?:人?数|数量|率|占比|比例|比重)"  # ("…中所占比例": 所占 is how a share is said)
GENERAL_FALLBACK = 0.7  # coverage of the top clause that lets a target question get a quote instead
MIN_LEAD_COVERAGE = 0.3  # share of the question a clause must cover to answer who leads it
THING_SHARE = 0.5  # rarity-weighted share of the named indicators/terms a lead clause must write
INLINE_SHARE = 0.5  # a running-text lead's sentence must cover this much of what its clause covers
# Words no clause writes (无烟, 后勤) carrying most of what a lead question names: the task is not
# in the plans, whatever clause shares its generic words (医院, 工作).
UNSEEN_TASK_SHARE = 0.6
# An English lead question in words the glossary does not know ("fostering a good service
# environment") leaves lexical coverage blind: the top clause may answer on meaning alone when it
# is this close and this far ahead of every other clause with a unit list.
EN_LEAD_DENSE = 0.40
EN_LEAD_MARGIN = 0.06
CONFIDENT_DENSE = 0.45  # a question none of whose words the plans use needs this cosine to be answered
MIN_DENSE = 0.30  # below this cosine and with no lexical match, nothing is relevant
WARM_TARGETS = 8192  # target-wording cache entries; `warm` fills them when the corpus's targets fit
_STANDING_RULE = re.compile(r"以下均需[^）]*不再列出")
_UNIT_LIKE = re.compile(r"[省市县区][\u4e00-\u9fff]{1,8}?(?:厅|局|委员会|委|办公室|办|医院)")
_HOW_MANY = re.compile(r"\bhow many\b|\bnumber of\b|\b(?:head)?count\b(?! as\b)|多少(?:家|个|所|名|人|张|项|支)|几(?:家|个|所|名|项|支|张|辆|台|人)", re.I)
# The measure word asked, when it names a kind of thing (张: beds, 辆: vehicles); 个/家/名/人 are
# said loosely ("新建多少家" centres written 15个, "每千名儿童几个" doctors written 1.12人).
_MEASURE = re.compile(r"(?:多少|几)(张|辆|台|间|支|座|套|项)")
# What a measure word counts: institutions, beds or places, people, vehicles, machines, teams. 个 and 项
# count things of any kind but people or beds; a figure counted in another kind does not answer
# ("几家" / 4.5张, "多少人" / 15个).
_MEASURE_KIND = {"家": "institution", "所": "institution", "张": "bed", "床": "bed", "人": "person",
                 "名": "person", "位": "person", "辆": "vehicle", "台": "machine", "支": "team", "间": "room"}
_KIND_ASKED = re.compile(f"(?:多少|几)([{''.join(_MEASURE_KIND)}])")
# The same in English: the counted noun's kind ("how many hospice beds": not 1个 ward per county)
_KIND_ASKED_EN = re.compile(r"\bhow many (?:[\w-]+ ){0,3}?(?:(beds?)|(ambulances?|vehicles?))\b", re.I)


def _same_kind(asked: str, unit: str) -> bool:
    """Whether a figure in `unit` can count what a measure word of kind `asked` counts. A rate
    counts what is above its line: "床/万人" counts beds (per 10,000 people), not people."""
    unit = unit.split("/")[0] or unit
    if kind := _MEASURE_KIND.get(unit[-1:]):
        return kind == asked
    return unit[-1:] not in ("个", "项") or asked not in ("person", "bed", "room")


_COUNT_UNITS = frozenset("家个所名人张项支台座辆万")  # 万: "年体检人数达到1000万" is ten million people
# "Which cities / 分别依托哪几家医院": a list of places or hospitals asked for; a passage naming none
# (only how many: "建设4个省级儿童区域医疗中心") does not answer it.
_WHICH_PLACES = re.compile(r"\bwhich (?:cities|counties|districts|places|regions)\b|哪(?:几)?(?:个|些)?(?:城市|地市|设区市|地方|县|区县)|"
                           r"哪(?:几|些)(?:个)?市", re.I)
_WHICH_HOSPITALS = re.compile(r"\bwhich hospitals\b|\bwhich (?:hospital|institution)s? (?:host|hosts|will|are|is)\b|"
                              r"(?:依托|在)哪(?:几|些)?(?:家|所)|哪(?:几|些)(?:家|所)(?:医院|单位|机构)?", re.I)
_GENERIC_HOSPITAL = re.compile(r"^(?:各级|各|市级|县级|省级|区县级?|市属|省属|三甲|三级|二级|公立|综合)")
# What a "how many" question counts: the noun after the measure word ("多少间负压病房").
# "How many academicians …": the thing counted, in the words after "how many" (as a glossary name).
_COUNTED_EN = re.compile(r"\bhow many ((?:(?!(?:does|do|did|is|are|was|were|will|should|must|shall|would|can|could|has|"
                         r"have|had|by|in|for|under|at|to|on|of|per|each|a|the|there|it|they|we)\b)[\w-]+ ?){1,6})", re.I)
_COUNTED = re.compile(r"(?:多少|几)(?:个|家|所|名|人|张|项|支|间|台|辆|座|套|条)([\u4e00-\u9fffA-Za-z、]{2,16})")
# …and the noun before it ("达标的县有多少个"), the question's last words
_COUNTED_BEFORE = re.compile(r"([\u4e00-\u9fff]+?)(?:一共|总共|共)?有?(?:多少|几)[个家所名座][?？]?$")
_COUNTED_VERB = re.compile(r"跻身|进入|入选|纳入|列入|达到|达标|合格|获得|实现|要|需|将|能|可")
# A question about money ("多少钱", "budget") is not answered by a count or a share, nor one about
# a month or a day ("In which month of 2024…") by a year's target: the plans set neither.
_MONEY = re.compile(r"多少钱|多少(?:资金|经费)|总预算|预算(?:是|有)?多少|how much money|\bbudget(?:ed)? (?:for|of)\b|"
                    r"earmarked|\bfunding for\b", re.I)
_DAY = re.compile(r"几月|哪个月|哪一天|几号|\bwhich month\b|\bwhat month\b|\bwhat date\b|\bwhich day\b", re.I)
# A question that asks for a percentage is not answered by a count or a level.
_PERCENT = re.compile(r"%|\bper ?cent(?:age)?\b|\bcoverage\b|百分之|百分比|百分点|覆盖率|占比", re.I)
# A question that asks how long or how fast is answered by a span of time.
_DURATION = re.compile(r"多快|多久|多长时间|几分钟|几小时|多少分钟|多少小时|\bhow (?:quickly|fast|soon|long)\b|"
                       r"\bhow many (?:minutes|hours)\b|\bwithin how\b", re.I)
_DAYS = re.compile(r"\bhow many (?:days|minutes|hours)\b", re.I)  # a span asked as "how many": not a count of things
_TIME_UNITS = ("分钟", "小时", "天", "年")
# A rate per head of population, asked or stated ("每千常住人口", "千人", "/万", "per 1,000").
_RATE = re.compile(r"每(?:千|万|百|十万|10万)|千人|万人(?!次)|千常住|/万|/10万|‰|"
                   r"\bper (?:1,?000|thousand|1k|10,?000|ten thousand|10k|100,?000|100k|capita)\b", re.I)
# The head count a rate is per, from `_RATE`'s match: a rate per 10,000 is not one per 1,000.
_RATE_BASES = (("100000", re.compile(r"十万|10万|100,?000|100k", re.I)), ("10000", re.compile(r"万|10,?000|ten thousand|10k", re.I)),
               ("1000", re.compile(r"千|‰|1,?000|thousand|1k", re.I)), ("100", re.compile(r"百")))


def _rate_base(rate: str) -> str | None:
    """The head count of a rate per head `_RATE` matched ("每千": 1000), if it says."""
    return next((base for base, p in _RATE_BASES if p.search(rate)), None)


# A rate per head ruled out by the question ("absolute count, not per 1,000", "总数而非每千人"):
# only a figure that is not a rate answers it.
_NOT_RATE = re.compile(r"\b(?:not|rather than|instead of|as opposed to)\s+(?:a\s+)?(?:rate\s+)?per "
                       r"(?:1,?000|thousand|10,?000|ten thousand|capita|head)\b|\babsolute (?:count|number|figure|total)\b|"
                       r"(?:而非|不是|不要|非)每(?:千|万|百)", re.I)
_AMOUNT = re.compile(r"(?:量|数量|总数|人数|次数|个数)$")  # a unitless figure of these is a count
_SHARE_WORDS = frozenset({"占比", "比例", "比重"})  # each says "a share": one matches another
_YEARISH = re.compile(r"(?:19|20)\d\d")
# Who a figure is for: a question about one tier or ownership is not answered by a figure for
# another ("民营医院床位占比" is not "县级公立医院…床位占比"; 县级 is not 省级三甲).
_QUALIFIERS = (
    {"national": re.compile(r"全国(?!第|前|排名|领先|一流)|国家级|\bnational[- ]level\b|\bnationally\b", re.I),
     "province": re.compile(r"省级|省市|省属|省、市|\bprovincial[- ]level\b|\bprovince[- ]level\b|\bprovincial-(?:run|owned)?", re.I),
     "city": re.compile(r"(?<!省)市级|市属|设区市|省市|省、市|\bcity[- ](?:level|run|owned)\b|\bmunicipal\b|\bprefecture", re.I),
     "county": re.compile(r"县级|区县|区、县|县域|县医院|县[（(]?市、?区|县[（(]市[）)]|\bcount(?:y|ies)\b|\bdistricts?\b", re.I), "township": re.compile(r"乡镇|\btownships?\b", re.I),
     "village": re.compile(r"(?<![农乡城])村(?!镇)|\bvillages?\b", re.I)},
    {"public": re.compile(r"公立|(?<!non-)\bpublic\b", re.I),
     "private": re.compile(r"民营|社会办|\bprivate(?:ly)?\b|\bnon-public\b|\bsocially[- ]run\b", re.I)},
    # Hospital grade: "二级以上" includes the tertiary ones, so it names neither.
    {"tertiary": re.compile(r"三级(?:公立|综合|甲等)?医院|三甲|\btertiary\b[^.?,;]{0,30}?\bhospitals?\b|"
                            r"\b(?:grade|level|tier|class)[- ]?(?:3|III|three)\b(?![- ]?\+| and above| or above)", re.I),
     "secondary": re.compile(r"二级(?:公立|综合|甲等)?医院|二甲(?!以上)|\bsecondary\b[^.?,;]{0,30}?\bhospitals?\b|"
                             r"\b(?:grade|level|tier|class)[- ]?(?:2|II|two)\b(?![- ]?\+| and above| or above)", re.I)},
    # Hospital kind: a general hospitals' figure is not a TCM hospitals' one.
    {"tcm": re.compile(r"中医(?:医)?院|\bTCM hospitals?\b|\bChinese medicine hospitals?\b", re.I),
     "general": re.compile(r"综合医院|\bgeneral hospitals?\b", re.I)},
)
# "provincial" alone names the tier ("provincial famous TCM doctors") unless it names a plan or a
# body; the search topic drops plan names only in part ("the provincial [medical resources FYP]").
_PROVINCIAL = re.compile(r"\bprovincial\b(?! (?:[\w'-]+ ){0,4}(?:plans?|FYP|opinions?|programme)\b|"
                         r" (?:health commission|government|people's government)\b)", re.I)
_EXPLICIT = {"private"}  # the plans are about public bodies: a figure for private ones must say so


def _same_unit(a: str, b: str) -> bool:
    """One unit at any tier: 省卫生健康委 and 市卫生健康委 are both the health commission."""
    def base(u: str) -> str:
        return re.sub(r"^(?:浙江)?(?:省|市|区县|县|各级)", "", u.split("〔")[0])
    return base(a) == base(b) or a in b or b in a


def _tiers(text: str) -> tuple[frozenset[str], ...]:
    """The tiers, ownerships and grades `text` names, one set per `_QUALIFIERS` group."""
    return tuple(frozenset(k for k, pat in group.items() if pat.search(text)) for group in _QUALIFIERS)


# A rank ("全国前3", "top 10"; analyse writes Chinese and English numerals as digits).
_RANK = re.compile(r"(?:前|\btop\s*)(\d+)(?!\d)", re.I)
# A plan's document number as staff cite it: "74号文", "省政府74号文", "湖政办发〔2023〕54号".
_DOC_NUMBER = re.compile(r"(?:[\u4e00-\u9fff]{0,2}政(?:府|办发)(?:办公厅|办公室)?\s*)?(?:[〔\[（(](?P<year>20\d\d)[〕\]）)]\s*)?"
                         r"第?(?P<n>\d{1,4})\s*号文?")
# A total asked for ("in total", 总共, 全市共…), and a figure for each of several places or bodies
# (an indicator opening with 各/每: "各区、县（市）至少建成献血屋").
_TOTAL = re.compile(r"\bin total\b|\baltogether\b|\btotal (?:number|count|of)\b|\b(?:city|province)-?wide total\b|"
                    r"总共|一共|共计|合计|总数|全市共|全省共", re.I)
_EACH = re.compile(r"[各每]")
_NUMBER_WORD = re.compile(r"\d+(?:\.\d+)?")
_ZH_COUNT = re.compile(r"[一二两三四五六七八九十百千万]+(?:[个家所项支张名亿元]|万元)")  # 三个, 两家, 五千万元
_ITEM_LABEL = re.compile(r"（([^（）]+)）$")  # a target's bracketed tail: its item of a 分别 list, or a gloss
_SHARE_OF = re.compile(r"占[^，。；、]{0,10}比例")  # 占…比例, written short as 占比
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
# How a question asks for units (哪个部门牵头, 责任单位有哪些, 排第一): not the task it names.
_ASKING_FOR_UNITS = (_LEAD, _UNITS, _FIRST_LISTED)
# Pointing words, not things: "这块", "那条", "哪一项", "一行".
_FILLER = re.compile(r"(?:这|那|哪|一|每)一?(?:项|条|块|行|件|摊|套|边|份|些|个|部分|方面|类)")
# Words of a question that ask, or name the plan's period, rather than name what is asked about.
_ASKING = frozenset("要 多少 是 的 了 吗 呢 有 达到 目标 要求 几个 什么 哪些 定 设 多久 最少 至少 需要 应该 "
                    "十四 十四五 四五 十三 十三五 三五 规划 方案 原定 回顾 "
                    # where in a plan, not what: "指标表里", "那张表", "主要指标表"; jieba's 年定 ("2023年定多少")
                    "表 表里 表中 表格 指标表 主要指标 指标体系 那张 张表 那 附件 年定 到 里 % ％ "
                    # "目标值定的多少": jieba's search mode also cuts 标值
                    "目标值 标值 数值 "
                    # how it is counted or which document says it, not what: "按…计算", "每100名", "现代化意见"
                    "按 按照 计算 每 名 意见 "
                    # the indicator table by its name, and where it lists one: "重点指标所列", "2025年应达到"
                    "重点指标 所列 列 所 年应 应 "
                    # courtesy and the asker's errand: "烦请告知", "领导让我查", "想确认一下"
                    "请 请问 烦请 告知 麻烦 劳驾 帮忙 查 我查 查一下 确认 一下 想 我 我们 咱 咱们 领导 让".split())
_TABLE_WORDS = re.compile(r"\btables?\b|\bannex|\bschedule\b|\brollout\b|\brow\b|表\s*\d|(?:指标|计划|目标|任务|一览)表|表格|附件", re.I)
_META_QUESTION = re.compile(r"文号|发文字号|document number|落款|日期|哪天|when was|\bdated?\b|\bissued\b|(?:印发|发布)(?!的)", re.I)
_META_TERMS = {"浙江", "湖州", "绍兴", "全国", "牵头单位", "责任单位", "目标", "医院", "指标"}
_REVERSE = re.compile(
    r"(?:牵头|挑头|负责)(?:了)?(?:负责)?(?:[^，。？?]{0,20}的)?(?:是)?(?:哪些|什么|几项|哪项|哪条|哪个任务)|"
    r"(?:哪|什么)(?:一)?(?:项|些)(?:任务|改革|工作)?[^，。？?]{0,24}?由.{2,12}?(?:牵头|挑头|负责|作为)|"
    r"是(?:哪|什么)[项些个条]?[^，。？?]{0,12}的(?:牵头|责任)单位|"
    r"管(?:啥|什么|哪)|负责啥|承担(?:的是)?(?:哪|啥|什么)|"
    r"\bwhat(?:'s| is) (?:the )?[\w&' -]{3,60}? doing\b|"
    r"what (?:tasks|work|does)|which tasks?\b.{0,60}\b(?:lead|responsible|own)|"
    r"\bwhat (?:is|are) (?!(?:the )?(?:lead )?(?:unit|department|body|agency|bureau|office|authority|hospital)s?\b)"
    r".{3,80}? responsible for\b", re.I)
# "What does X do in task T" / "X承担哪些任务": about one unit's part in a task, not who leads it.
_ROLE = re.compile(r"承担(?:了)?(?:哪些|什么|啥)|(?:起|发挥)(?:了)?(?:什么|啥|哪些)作用|(?:做|干)(?:什么|啥)|什么角色|"
                   r"负责(?:的是)?哪(?:一)?(?:块|部分|些)|管(?:的是)?哪(?:一)?块|"
                   r"\bwhat (?:role|part)\b|\bplays? in\b|\bresponsible for in\b|\bits (?:job|role|part)\b|"
                   r"\bwhat does .{3,80}? do (?:in|for|on)\b|"
                   # "X's (assigned) role (in T)?" ("clean hospital item: public security department's
                   # role?"), "what does X handle / own", "which bit is X's", 分到了哪些工作
                   r"(?:'s|s') (?:[a-z]+ )?(?:role|part|job|task|share|remit|responsibilit(?:y|ies))\b|"
                   r"\bwhat does .{3,80}? (?:handle|own|cover|take on|take responsibility for|deliver)\b|"
                   r"\bwhat (?:does|do|is|are) .{3,80}? (?:have|has|need|needs|supposed|expected|required) to (?:do|deliver)\b|"
                   r"\bwhich (?:bit|piece|part)s? (?:is|are|does|of)\b|分到(?:了)?(?:哪|什么|啥)|分工(?:是)?(?:什么|啥)|"
                   r"\bwhich aspects? of\b.{3,80}?\b(?:assigned|given|allotted|left) to\b", re.I)  # (part/bit/piece: above)
# Counties and districts of Huzhou and Shaoxing: the plans set city-wide figures, so a figure
# asked for one of them must be written for it ("Zhuji's own county visit rate").
_SUBREGIONS = {"诸暨": r"诸暨|\bzhuji\b", "嵊州": r"嵊州|\bshengzhou\b", "新昌": r"新昌|\bxinchang\b",
               "上虞": r"上虞|\bshangyu\b", "柯桥": r"柯桥|\bkeqiao\b", "越城": r"越城|\byuecheng\b",
               "德清": r"德清|\bdeqing\b", "长兴": r"长兴|\bchangxing\b", "安吉": r"安吉|\banji\b",
               "吴兴": r"吴兴|\bwuxing\b", "南浔": r"南浔|\bnanxun\b"}
_SUBREGION = re.compile("|".join(f"(?P<r{i}>{p})" for i, p in enumerate(_SUBREGIONS.values())), re.I)
_EN_UNIT_LIKE = re.compile(
    r"(?:provincial |municipal |city )?(?:Department|Bureau|Commission|Office|Administration) of [A-Z][\w ]{2,30}?"
    r"(?= (?:in|lead|leads|have|has|need|needs|do|does|play|plays|handle|handles|own|owns|take|takes)\b|[?,.]|$)|"
    r"(?:provincial |municipal |city )?[A-Z][\w]+(?: [A-Z][\w]+){0,3} (?:Department|Bureau|Commission|Office|Administration)\b|"
    r"(?i:\b(?:the )?(?:provincial|municipal|city|county) (?:(?:[a-z]+|&) ){1,4}(?:department|bureau|commission|office|administration)\b)")


@dataclass
class Turn:
    query: Query
    clause_ids: tuple[str, ...]
    text: str


@dataclass
class Conversation:
    """A chat: remembers the last turn so follow-ups ("那2024年呢？") reuse its clause and slots."""

    assistant: Assistant
    turns: list[Turn] = field(default_factory=list)

    def ask(self, question: str, docs: Sequence[str] | None = None, k: int = TOP_K) -> Answer:
        return self.assistant.ask(question, docs=docs, k=k, history=self.turns)


class _Stage(RunnableLambda):
    """A chain stage. With nobody tracing (no callback handler, no tracing hook), it calls its function directly:
    RunnableLambda inspects the function's signature on every call, ~0.15 ms a stage, a fifth of
    a warm answer. With a handler (a tracer, LangSmith), it is a RunnableLambda, traced as one."""

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        callbacks = (config or {}).get("callbacks")
        if callbacks is not None and CallbackManager.configure(callbacks).handlers:  # incl. hooks
            return super().invoke(input, config, **kwargs)
        return self.func(input)


class _NullGlossary:
    def en(self, zh: str) -> str | None:
        return None

    def expand_en(self, q: str) -> list[str]:
        return []

    def expand_en_loose(self, q: str, share: float = 0.0, exact: list[str] | None = None) -> list[str]:
        return []

    def indicators_in(self, q: str) -> list[str]:
        return []

    def things_in(self, q: str) -> list[str]:
        return []

    def canonical_zh(self, text: str) -> str | None:
        return None

    def expand_zh_aliases(self, q: str) -> list[str]:
        return []

    def terms(self, kind: str | None = None) -> list[Any]:
        return []


def _glossary(corpus_dir: Path) -> Any:
    path = corpus_dir / "glossary.tsv"
    if not path.is_file():
        log.warning("%s not found: English names and query expansion are off", path)
        return _NullGlossary()
    from .glossary import load_glossary

    return load_glossary(path)


def glossary_words(glossary: Any) -> list[str]:
    """Chinese names and aliases from the glossary, for the jieba user dictionary."""
    terms = getattr(glossary, "terms", None)
    if terms is None:
        return []
    return [w for e in terms() for w in (e.zh, *e.zh_aliases)]


class Assistant:
    """Answers questions from one corpus and its index.

    Args:
        corpus: the parsed corpus.
        searcher: hybrid search over the corpus's index.
        glossary: zh↔en names and query expansion.
        generator: the optional generative mode (None = extractive answers only, the default).
    """

    def __init__(self, corpus: Corpus, searcher: Searcher, glossary: Any, generator: Generator | None = None) -> None:
        self.corpus = corpus
        self.generator = generator
        self.searcher = searcher
        self.glossary = glossary
        self.clauses = {c.id: c for c in corpus.clauses}
        self.docs = {d.doc.id: d.doc for d in corpus.docs}
        self._titles = PlanTitles.of((d, t) for d, doc in self.docs.items() for t in (doc.title, doc.title_en) if t)
        self.known_units = sorted(
            {u for c in corpus.clauses for u in (*c.units, *(x for x, *_ in c.inline_leads))},
            key=len, reverse=True,
        )
        self.years = {t.year for c in corpus.clauses for t in c.targets if t.year}
        # Each plan's period as its first and last year ("2023-2025" → ("2023", "2025")).
        self._spans = {d: (y[0], y[-1]) if (y := re.findall(r"20\d\d", doc.years)) else ("", "")
                       for d, doc in self.docs.items()}
        # Glossary terms that say which plan or what kind of answer, not what the task is:
        # they pick the document filter and the intent, and would only add noise to BM25.
        self._meta_terms = {e.zh for e in glossary.terms() if e.kind == "plan"} | _META_TERMS
        # Per document, the clause stating a standing co-responsibility rule and its words.
        self._standing_rules: dict[str, tuple[Clause, str]] = {}
        for c in corpus.clauses:
            m = _STANDING_RULE.search(c.text)
            if m and c.doc not in self._standing_rules:
                self._standing_rules[c.doc] = (c, m.group(0))
        # A project in the body text and the rows of an implementation table (附件2) that carry
        # it out, each way: the two may list another lead, and an answer from one says so.
        self._counterparts: dict[str, list[Clause]] = {}
        body = {(c.doc, c.title): c for c in corpus.clauses if c.kind != "task_row" and c.lead_unit}
        for row in corpus.clauses:
            if row.task is not None and row.lead_unit and (b := body.get((row.doc, row.task.project))):
                self._counterparts.setdefault(b.id, []).append(row)
                self._counterparts.setdefault(row.id, []).append(b)
        # Target indicators are fixed text: segment each once, not on every question.
        self._indicator_tokens = functools.lru_cache(maxsize=WARM_TARGETS)(self._words)
        self._zh_forms = {e.zh: (e.zh, *(a for a in e.zh_aliases if a not in e.colloquial))
                          for e in glossary.terms()}
        self._indicators = {e.zh for e in glossary.terms("indicator")}
        self._things = self._indicators | {e.zh for e in glossary.terms("term")}  # what figures measure
        self._max_idf = max(self.searcher._idf.values(), default=0.0)
        # Every clause's text: a word no token has may still be written inside a longer one (全血 in
        # the user word 全血采集年增长率); only a word written nowhere is unseen.
        self._all_text = "\n".join(c.text for c in self.clauses.values())
        self._absent_cache: dict[str, bool] = {}
        self._writing_cache: dict[str, int] = {}
        self._hospitals = [u for u in self.known_units if u.endswith("院") and not _GENERIC_HOSPITAL.match(u)]
        # Words that name a plan, not a task (十四五, 示范项目, 公立医院高质量发展): in some plan's title.
        titles = "\n".join(d.title for d in self.docs.values())
        self._plan_words = {t for t in self._things if any(f in titles for f in self._zh_forms.get(t, (t,)))}
        self._table_years: dict[str, set[str]] = {}  # a table's year columns, from its clear rows
        for c in self.clauses.values():
            if c.row is not None and not c.row.ambiguous:
                self._table_years.setdefault(c.row.table_id, set()).update(x.year for x in c.row.cells)
        self._region_words = {e.zh for e in glossary.terms() if e.kind == "region"} | {
            a for e in glossary.terms() if e.kind == "region" for a in e.zh_aliases
        } | {"省里", "省级", "全市", "市里"}
        self._target_tokens = functools.lru_cache(maxsize=WARM_TARGETS)(self._target_context)
        self._target_parties = functools.lru_cache(maxsize=WARM_TARGETS)(self._parties)
        self._measures_cached = functools.lru_cache(maxsize=65536)(self._measures_uncached)
        self.chain = (
            _Stage(self._analyse, name="analyse")
            | _Stage(self._retrieve, name="retrieve")
            | _Stage(self._answer, name="answer")
            | _Stage(lambda a: refine(a, a.question, self.generator), name="generate")
        )

    def warm(self) -> dict[str, float]:
        """Do now the one-time work that the first questions would otherwise pay for: compile the
        glossary's name patterns, segment its names, and segment every target's wording for
        target matching. Answers are the same with or without it; only the first questions after
        start-up get faster (the first pass over the eval suite: `ask` p95 about 5.2 ms cold
        caches, 3.5 ms warm). The corpus part is skipped when its targets would not fit the
        caches (large corpora). Long-running processes call it: the chat UI, in the background.

        Returns:
            Seconds spent on each part.
        """
        spent: dict[str, float] = {}
        t0 = time.perf_counter()
        self.glossary.warm()
        spent["glossary_patterns_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        tok = self.searcher.tokenizer
        for forms in self._zh_forms.values():
            for form in forms:
                tok.query(form, fixed=True)
        spent["glossary_words_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        targets = [(c, t) for c in self.clauses.values() for t in c.targets]
        if 2 * len(targets) <= WARM_TARGETS:
            for c, t in targets:
                self._indicator_tokens(c.title)
                self._indicator_tokens(t.indicator)
                self._indicator_tokens(t.evidence)
                self._target_tokens(t, False)
                self._target_tokens(t, True)
                self._target_parties(t)
        spent["targets_s"] = time.perf_counter() - t0
        return {k: round(v, 3) for k, v in spent.items()}

    def conversation(self) -> Conversation:
        return Conversation(self)

    def en(self, zh: str) -> str | None:
        return self.glossary.en(zh)

    # -- the three stages ------------------------------------------------------------------

    def ask(
        self,
        question: str,
        docs: Sequence[str] | None = None,
        k: int = TOP_K,
        history: list[Turn] | None = None,
    ) -> Answer:
        """Answer one question.

        Args:
            question: Chinese or English text.
            docs: restrict to these document ids (None = all plans).
            k: how many clauses to retrieve.
            history: earlier turns of the conversation (appended to).

        Raises:
            QuestionError: the question is empty or longer than MAX_QUESTION_CHARS.
        """
        if not question or not question.strip():
            raise QuestionError("the question is empty; ask about a lead unit or a target")
        if len(question) > MAX_QUESTION_CHARS:
            raise QuestionError(
                f"the question has {len(question):,} characters; the limit is "
                f"{MAX_QUESTION_CHARS:,} — ask one question at a time"
            )
        state = {"question": question, "docs": tuple(docs or ()), "k": k, "history": history}
        steps = getattr(self.chain, "steps", None)
        if steps is None or CallbackManager.configure().handlers:
            ans: Answer = self.chain.invoke(state)  # someone traces (LangSmith, collect_runs): stage by stage
        else:  # the same stages in order, without the sequence's per-call callback set-up (~0.5 ms)
            ans = functools.reduce(lambda x, step: step.invoke(x), steps, state)
        if history is not None:
            history.append(Turn(ans.slots["query"], tuple(c.clause_id for c in ans.citations), question))
        return ans

    def _analyse(self, state: dict[str, Any]) -> dict[str, Any]:
        q = analyse(state["question"], self._titles)
        history = state.get("history") or []
        prev = history[-1] if history else None
        if prev and q.follow_up:
            p = prev.query
            # A follow-up naming another plan ("what about Huzhou?") searches afresh;
            # otherwise the previous turn's clauses are the first candidates.
            state["prev_clauses"] = () if q.docs else prev.clause_ids
            q = replace(
                q,
                intent=q.intent if q.intent != "general" else p.intent,
                years=q.years or p.years,
                docs=q.docs or p.docs,
                role=q.role if q.role != "target" else p.role,
                text=f"{prev.text} {q.text}",
                topic=f"{p.topic} {q.topic}",
            )
        q = self._by_number(q)
        if q.plan_years:  # "the 2021 hospital plan": the plans issued that year, if that narrows it
            dated = tuple(d for d in (q.docs or self.docs) if self.docs[d].date[:4] in q.plan_years)
            q = replace(q, docs=dated) if dated else q
            # "2023年3月那个文件": of the plans issued that year, the one issued that month
            month = tuple(d for d in q.docs if self.docs[d].date[:7] in q.plan_months)
            q = replace(q, docs=month) if month else q
        if q.plan_span:  # "the 2023-25 demo project": the plans over that period, if that narrows it
            spanned = tuple(d for d in (q.docs or self.docs) if self.docs[d].years == q.plan_span)
            q = replace(q, docs=spanned) if spanned else q
        docs = tuple(state["docs"]) or q.docs
        if state["docs"] and q.docs:
            docs = tuple(d for d in q.docs if d in state["docs"]) or tuple(state["docs"])
        state["query"], state["filter"] = q, docs
        return state

    def _by_number(self, q: Query) -> Query:
        """A plan named by its document number ("省政府74号文", "湖政办发〔2023〕54号"): that plan is
        the filter, and the reference is not part of what is asked about."""
        m = _DOC_NUMBER.search(q.text)
        if not m:
            return q
        year, n = m.group("year"), m.group("n")
        ids = tuple(d.id for d in self.docs.values()
                    if d.number.endswith(f"〕{n}号") and (not year or f"〔{year}〕" in d.number))
        if len(ids) != 1 or (q.docs and ids[0] not in q.docs):
            return q
        topic = re.sub(r"\s+", " ", q.topic.replace(m.group(0), " ")).strip(" ，,")
        return replace(q, docs=ids, topic=topic if len(topic) >= 4 else q.topic)

    def _retrieve(self, state: dict[str, Any], *, mode: str = "hybrid", fusion: str = "rrf",
                  expand: bool = True, coverage: float | None = None,
                  years: Sequence[str] | None = None, vector: Any = None) -> dict[str, Any]:
        """Hybrid search, intent-aware order and structural pins. The keyword options exist for
        the ablation in `evals/ablation.py`; the chain uses the defaults. `vector`: the dense
        side's query embedding when it is known (a second search for the same question)."""
        q: Query = state["query"]
        if vector is None and mode in ("hybrid", "dense"):
            vector = self.searcher.embedder.encode([q.topic])
        state["vector"] = vector
        english = expand and (q.language == "en" or q.script != "zh")
        # Exact English names first, then names said in other words ("urban-rural resident insurance").
        exact = self.glossary.expand_en(q.topic) if english else []
        state["exact"] = exact  # English names the question says word for word
        terms = exact + self.glossary.expand_en_loose(q.topic, exact=exact) if english else []
        terms += self.glossary.expand_zh_aliases(q.topic) if expand and q.script != "en" else []
        canonical = [t for t in terms if t not in self._meta_terms]
        # The plans may write a term by an alias (癌症 as 肿瘤): search every written form.
        terms = list(dict.fromkeys(f for t in canonical for f in self._zh_forms.get(t, (t,))))
        state["terms"], state["canonical"] = terms, canonical
        hits = self.searcher.search(q.topic, max(state["k"], 20), docs=state["filter"] or None,
                                    mode=mode, fusion=fusion, lexical_terms=terms,
                                    coverage_weight=COVERAGE_WEIGHT if coverage is None else coverage,
                                    coverage_terms=canonical, years=years,
                                    coverage_forms={t: self._zh_forms[t] for t in canonical if t in self._zh_forms},
                                    query_vector=vector)
        hits = self._rerank(q, hits)
        state["structural"] = pinned = self._structural(q)
        if pinned:  # "专栏7", "文号": the plan's structure names the clause outright
            cid = pinned[0].id
            unit = next((u for u in self.searcher.units if u.clause_id == cid), None)
            if unit is not None:
                top = max((h.score for h in hits), default=0.0)
                hits = [Hit(cid, top + 1.0, unit), *(h for h in hits if h.clause_id != cid)]
        state["hits"] = hits[: state["k"]]
        return state

    def _rerank(self, q: Query, hits: list[Hit]) -> list[Hit]:
        """Within the top RERANK_DEPTH, clauses that can answer this intent come first
        (a lead question wants a clause with a responsibility list), and for a question that
        names a table ("in the implementation plan table"), table rows first; order otherwise kept."""
        wants_row = bool(_TABLE_WORDS.search(q.text))

        def useful(h: Hit) -> bool:
            c = self.clauses[h.clause_id]
            if wants_row and c.kind not in ("table_row", "task_row"):
                return False
            if q.intent in ("lead_unit", "units"):
                return bool(c.lead_unit)
            if q.intent == "target":
                return any(not q.years or t.year in q.years for t in c.targets)
            return True

        head, tail = hits[:RERANK_DEPTH], hits[RERANK_DEPTH:]
        return [h for h in head if useful(h)] + [h for h in head if not useful(h)] + tail

    def search(self, question: str, k: int = 5, docs: Sequence[str] | None = None, **options: Any) -> list[Hit]:
        """The chain's retrieval stage alone: analysis, hybrid search, intent-aware order.

        Args:
            options: `mode`, `fusion`, `expand`, `coverage` (ablations) and `years` (a metadata
                filter: only units that mention one of these years) — see `_retrieve`.
        """
        state = self._retrieve(self._analyse({"question": question, "docs": tuple(docs or ()), "k": k}), **options)
        return state["hits"]

    # -- answering ---------------------------------------------------------------------------

    def _answer(self, state: dict[str, Any]) -> Answer:
        q: Query = state["query"]
        hits: list[Hit] = state["hits"]
        prev = [self.clauses[c] for c in state.get("prev_clauses", ()) if c in self.clauses]
        ranked = prev + [self.clauses[h.clause_id] for h in hits if h.clause_id not in {p.id for p in prev}]
        base = dict(question=state["question"], language=q.language, intent=q.intent,
                    retrieval=tuple(h.explain() for h in hits),
                    slots={"query": q, "filter": list(state["filter"]), "terms": state["terms"],
                           "canonical": state.get("canonical", state["terms"]), "exact": state.get("exact", [])})
        see_also = tuple(c for c in (self._cite(x, A.lead_sentence(x)) for x in ranked[:3]) if c)

        def refuse(reason: str = "") -> Answer:
            return Answer(found=False, answer=A.refusal(q.language, reason), see_also=see_also, **base)

        if q.elsewhere:
            why = (f"The plans here cover Zhejiang Province, Huzhou and Shaoxing, not {q.elsewhere}."
                   if q.language == "en" else f"本库规划覆盖浙江省、湖州市和绍兴市，不含{q.elsewhere}。")
            return refuse(why)
        if q.intent == "target" and q.years and not any(y in self.years for y in q.years):
            why = (f"No plan here sets figures for {', '.join(q.years)}." if q.language == "en"
                   else f"本库规划均未设定{'、'.join(q.years)}年的指标。")
            return refuse(why)
        structural = state.get("structural")
        if structural and structural[2] == "meta":  # "文号是多少" / "哪个单位发的": about the plan itself
            return self._meta(q, base, structural) or refuse()  # (its words need match no clause's)
        if not hits or (max(h.dense for h in hits) < MIN_DENSE and not any(h.lexical_rank for h in hits)):
            return refuse()
        if q.intent in ("lead_unit", "units") and _REVERSE.search(q.text):
            named = self._named_units(q, unit_like=False)
            # "建20家省级中医特色医院那条，省人力社保厅负责什么": a task named besides the units (an
            # indicator or term, not their own words: 医保 in 市医保局) asks the unit's part in it.
            if named and self._named_things(task := self._without(q, named), base):
                return self._role(q, task, named, state, base, refuse)
            if named:  # the first named unit that leads a task in the plans asked about
                return next((a for u in named if (a := self._reverse(u, q, base))), None) or refuse()
            m = _UNIT_LIKE.search(q.text) or _EN_UNIT_LIKE.search(q.text)
            if m:  # a unit no plan gives a task to
                why = (f"No clause lists {m.group(0)} as responsible." if q.language == "en"
                       else f"各规划均未将{m.group(0)}列为责任单位。")
                return refuse(why)
        if q.intent in ("lead_unit", "units") and (gone := self._unseen_task(q, base)):
            return refuse(f"各规划均未提及“{'、'.join(gone)}”。" if q.language == "zh"
                          else f"No plan here mentions {', '.join(gone)}.")
        if _ROLE.search(q.text) and (named := self._named_units(q)):
            return self._role(q, self._without(q, named), named, state, base, refuse)
        if q.intent in ("lead_unit", "units", "target"):
            found = (self._units(q, ranked, base, hits) if q.intent != "target"
                     else self._targets(q, ranked, hits, base))
            if found:
                return found
            if q.intent != "target" or base["slots"].get("other_party") or base["slots"].get("other_indicator") \
                    or not self._quotable(q, hits, base):
                return refuse()
        meta = self._meta(q, base, structural)
        if meta:
            return meta
        if q.intent == "general" and self._named_indicators(q, base["slots"]["canonical"]):
            # "Shaoxing 2025 childcare places per 1,000 people?": naming an indicator, and asking
            # nothing else, asks for its figure.
            found = self._targets(q, ranked, hits, {**base, "intent": "target"})
            if found:
                return found
            if base["slots"].get("other_party"):  # its figures are for another tier (省级、市级, asked 县级)
                return refuse()
        top = ranked[0]
        quote = hits[0].unit.quote if hits and hits[0].clause_id == top.id else top.title
        if _DAY.search(q.text) and "月" not in quote:
            return refuse()  # "which month": a passage without one does not answer it
        if q.years and not any(y in top.text for y in q.years):
            return refuse()  # "…in 2021: what was it?": a passage without that year does not answer
        if self._lacks_asked_list(q, top.text):
            return refuse()  # "which cities get the 4 centres?": a passage naming none does not answer
        c = self._cite(top, quote)
        if not c:
            return refuse()
        return Answer(found=True, answer=A.general_answer(top, self.docs[top.doc], quote, q.language),
                      citations=(c,), **base)

    def _role(self, q: Query, task: Query, named: list[str], state: dict[str, Any], base: dict[str, Any],
              refuse: Callable[[str], Answer]) -> Answer:
        """"What role does the public security department play in the DRG reform?": the task's
        unit list answers — unless the unit is not on it, which the plans then do not say. The task
        is searched for on its own (`task`: the question without the units' names): their words
        (大数据 in 市大数据局, "Organization Department") would find the clauses that list the unit."""
        # (The dense side keeps the question's embedding: the unit's name moves it little.)
        found = self._retrieve({**state, "query": task}, vector=state.get("vector"))
        slots = {**base["slots"], **{k: found[k] for k in ("terms", "canonical", "exact")}}
        hits = found["hits"]
        answer = self._units(task, [self.clauses[h.clause_id] for h in hits], {**base, "slots": slots}, hits)
        if answer and not any(_same_unit(n, u) for n in named for u in answer.units or (answer.lead_unit,)):
            who = named[0] if named[0].isascii() or not (en := self.glossary.en(named[0])) else f"{en} ({named[0]})"
            why = (f"{who[:1].upper()}{who[1:]} is not among the units responsible for the closest task."
                   if q.language == "en" else f"最相近任务的责任单位中没有{named[0]}。")
            return refuse(why)
        return answer or refuse("")

    def _without(self, q: Query, units: Sequence[str]) -> Query:
        """The question with the units' names (Chinese, and English in an English question)
        taken out of its text and topic."""
        text, topic = q.text, q.topic
        for u in units:
            text, topic = text.replace(u, " "), topic.replace(u, " ")
        if q.script != "zh":
            text, topic = self.glossary.without_names(text, units), self.glossary.without_names(topic, units)
        return replace(q, text=text, topic=topic)

    def _absent(self, names: Iterable[str], things: bool = False) -> set[str]:
        """The glossary names a question says exactly that no plan writes in any form (HPV疫苗);
        `things`: only indicators and terms (an issuing office's name is not what is asked)."""
        out = set()
        for name in names:
            if things and name not in self._things:
                continue
            if (gone := self._absent_cache.get(name)) is None:
                gone = self._absent_cache[name] = not any(
                    f in self._all_text for f in (name, *self._zh_forms.get(name, ())))
            if gone:
                out.add(name)
        return out

    def _named_units(self, q: Query, unit_like: bool = True) -> list[str]:
        """The units a question names: any the plans list (in Chinese, or by glossary name in
        English), else (`unit_like`) a unit-like name no plan lists (市大数据局, "Big Data Bureau")."""
        named = [u for u in self.known_units if u in q.text]
        if q.language == "en" or q.script != "zh":
            named += [u for u in self.glossary.expand_en(q.text) if u in self.known_units and u not in named]
        if not named and unit_like:  # a body's name before a hospital's (省公立医院 in "省公立医院方案" is the plan)
            like = sorted(_UNIT_LIKE.finditer(q.text), key=lambda m: m.group(0).endswith("医院"))
            m = like[0] if like else _EN_UNIT_LIKE.search(q.text)
            named = [m.group(0)] if m else []
        return named

    def _quotable(self, q: Query, hits: list[Hit], base: dict[str, Any]) -> bool:
        """No stated target fits, but the top clause covers nearly all the question asks
        ("总预算多少钱"): quote it rather than refuse — unless it reports past results (现实基础)
        for a question about a plan, or lacks the year asked ("2019年…"). (Not for "who": a clause
        without a unit list that merely mentions the topic would read as an answer.)"""
        if not hits:
            return False
        top = self.clauses[hits[0].clause_id]
        # (Numbers are not what it is about: "per 100 girls" is not covered by a row's "100".)
        asked = [w for w in self._query_tokens(q, base["slots"]["terms"])
                 if not _YEARISH.fullmatch(w) and not _NUMBER_WORD.fullmatch(w)]
        return (self.searcher.coverage(asked, top.id) >= GENERAL_FALLBACK
                and not self._unseen(asked) and not self._absent(base["slots"]["exact"], things=True)  # never mentioned
                and not _DAY.search(q.text)  # "which month": the plans set years
                and not (q.role == "target" and not q.years and top.review)
                and all(y in top.text for y in q.years)
                and self._other_figure(hits[0].unit.quote, top))

    @staticmethod
    def _other_figure(quote: str, clause: Clause) -> bool:
        """Whether the passage a figure question would quote writes a figure the clause's stated
        targets do not already cover ("总预算9.75亿元"). When it writes none, or only those targets,
        which fitted nothing asked, the passage does not answer "how many" ("实行订单式定向委培")."""
        for t in clause.targets:
            quote = quote.replace(t.value, " ")
        return any(not _YEARISH.fullmatch(n) for n in _NUMBER_WORD.findall(quote)) or bool(_ZH_COUNT.search(quote))

    def _unseen_task(self, q: Query, base: dict[str, Any]) -> list[str]:
        """The words no clause writes, when they carry most of the rarity-weighted task a Chinese
        lead question names ("无烟医院（控烟）这块工作归口哪个部门牵头": 无烟, 控烟), each weighing as the
        rarest word the plans do write; else []. How it asks (哪个部门牵头, 这块, 那条) is not part
        of the task."""
        if q.script != "zh":
            return []
        asking = " ".join(m.group(0) for p in _ASKING_FOR_UNITS for m in p.finditer(q.text))
        words = {w for w in self._query_tokens(q, base["slots"]["terms"])
                 if w not in _ASKING and w not in q.plan_years and not _FILLER.fullmatch(w) and w not in asking}
        unseen = self._unseen(words)
        weight = len(unseen) * self._max_idf
        if not unseen or weight < UNSEEN_TASK_SHARE * (weight + sum(self.searcher.idf(w) for w in words)):
            return []
        return sorted(unseen, key=q.text.find)

    def _unseen_head(self, q: Query, unseen: set[str]) -> str | None:
        """A word no clause writes that is what the asked indicator counts or measures: a whole
        word before 数/率/占比… ("千人药师数": 药师). Not part of a longer word ("存活率", a synonym the
        rest of the name can vouch for) nor an adverb ("绝对数")."""
        if not unseen:
            return None
        whole = self.searcher.tokenizer.whole_words(q.text)
        return next((w for w in whole if w in unseen and re.search(_HEAD_OF.format(re.escape(w)), q.text)), None)

    def _unseen(self, words: Iterable[str]) -> set[str]:
        """The Chinese words no clause writes, even inside a longer word (抗菌 in 抗菌药物使用强度)."""
        return {w for w in words if not self.searcher.idf(w) and _HAN_WORD.fullmatch(w) and w not in self._all_text}

    def _named_indicators(self, q: Query, named: Sequence[str]) -> list[str]:
        """Glossary indicators the question names: written out in it (`Glossary.indicators_in`),
        or among the names its search expanded to (`named`: English names, exact or loose, and
        Chinese aliases). Loose ones only widen what may answer."""
        found = self.glossary.indicators_in(q.text)
        return list(dict.fromkeys(found + [n for n in named if n in self._indicators]))

    def _measures(self, t: Target, clause: Clause, indicator: str, counting: bool) -> bool:
        """The target may be this glossary indicator: its name is the indicator's, or one of the
        indicator's forms, or all its words, are in the target's sentence or its clause's title
        ("推进居民电子健康档案开放应用，开放率达到80%" for 居民电子健康档案开放率). Which of a
        sentence's figures it is, the scoring decides. (Fixed text: cached.)"""
        return self._measures_cached(t, clause.title, indicator, counting)

    def _measures_uncached(self, t: Target, title: str, indicator: str, counting: bool) -> bool:
        if self.glossary.canonical_zh(t.indicator) == indicator:
            return True
        forms = self._zh_forms.get(indicator, (indicator,))
        if any(f in t.evidence or f in title or f in t.indicator for f in forms):
            return True
        context = (self._target_tokens(t, counting) | self._indicator_tokens(title)
                   | self._indicator_tokens(t.evidence))
        share = bool(_SHARE_OF.search(t.indicator))  # "重症床位占总床位数的比例" is a 床位占比
        return any(self._indicator_tokens(f) <= context
                   or (share and f.endswith("占比") and self._indicator_tokens(f[:-2]) <= context) for f in forms)

    def _inside_named(self, t: Target, indicators: Sequence[str], written: Sequence[str]) -> bool:
        """The target is of another glossary indicator than those named, and its indicator's words
        are all within one of the names the question writes (家庭医生签约覆盖率 in 重点人群家庭医生签约覆盖率)."""
        own = self.glossary.canonical_zh(t.indicator)
        return bool(own) and own not in indicators and any(
            self._indicator_tokens(t.indicator) <= self._indicator_tokens(f) for f in written)

    def _query_tokens(self, q: Query, terms: Sequence[str]) -> list[str]:
        """The question's search words: its topic and the glossary terms it expanded to."""
        tok = self.searcher.tokenizer
        return tok.query(q.topic) + [t for x in terms for t in tok.query(x, fixed=True)]

    def _other_party(self, t: Target, asked: tuple[frozenset[str], ...]) -> bool:
        """The question names a tier or ownership (县级, 民营) and the target names only others."""
        for want, have in zip(asked, self._target_parties(t), strict=True):
            if want and (have or want & _EXPLICIT) and not want & have:
                return True
        return False

    def _parties(self, t: Target) -> tuple[frozenset[str], ...]:
        """The tiers and ownerships a target names, per `_QUALIFIERS` group (cached per target)."""
        label = _ITEM_LABEL.search(t.indicator)  # "…经费（省级）": one item of a 分别 list
        if label and not any(_tiers(label.group(1))):  # "…病例组合指数（CMI值）": a gloss, not an item
            label = None
        near = self._near(t) if t.source == "text" and not label else ""
        phrase = label.group(1) if label else f"{t.indicator} {near}" if t.source == "text" else t.indicator
        # A phrase that names none of a group has the sentence's subject ("全市三级公立医院CMI达到1.1，
        # 四级手术占比达到19%": the 19% is of the tertiary hospitals too).
        subject = t.evidence[: max(t.evidence.find(t.value), 0)] if t.source == "text" else ""
        if label and subject:  # the subject names every item's tier ("县级二甲以上和省市三级综合医院…分别"):
            for other in self.clauses[t.clause_id].targets:  # none of them is this item's
                if m := _ITEM_LABEL.search(other.indicator):
                    subject = subject.replace(m.group(1), "")
        return tuple(own or inherited for own, inherited in zip(_tiers(phrase), _tiers(subject), strict=True))

    @staticmethod
    def _in_days(t: Target) -> bool:
        """A figure given in days, hours or minutes: by its unit ("10分钟"), by what follows it
        ("不少于4个工作日"), or by its indicator ("平均住院日")."""
        after = t.evidence[t.evidence.find(t.value) + len(t.value):] if t.value in t.evidence else ""
        return (t.unit in _TIME_UNITS[:3] or bool(re.match(r"(?:以上|以下|以内|左右)?(?:个)?(?:工作日|天|日)", after))
                or bool(re.search(r"(?:日|天数)(?:[（(][^）)]*[）)])?$", t.indicator)))

    @staticmethod
    def _is_count(t: Target) -> bool:
        """A value that answers "how many": 10家, 6.07张, 200人, 日均结算量1000 — not 45%, 5级 or 1.05."""
        if not t.unit:
            return t.number.isdigit() and bool(_AMOUNT.search(t.indicator))
        return t.unit[-1] in _COUNT_UNITS

    def _target_context(self, t: Target, counting: bool = False) -> frozenset[str]:
        """Words that say what a target measures: its indicator plus the phrase around the value
        (the indicator may follow the number: "支持200家以上中心乡镇卫生院达到二级医院服务能力"),
        without the value itself ("前3的学科数量达10个": 10 is not what is measured).

        A count asked for with "how many" whose noun is qualified with 的 carries the conditions
        listed before it ("电子病历…达到5级、…智慧服务达到3级的公立医院不少于10家"): its phrase runs
        to the comma, not to the list mark. In "A和B分别达到x、y" the phrase names every item, so only the
        indicator (which names this one) counts."""
        near = self._near(t, counting)
        same = self.glossary.canonical_zh(t.indicator) or ""  # the glossary's name for this indicator
        return self._words(f"{t.indicator} {same} {near}", fixed=True)

    def _near(self, t: Target, counting: bool = False) -> str:
        """The phrase around a target's value, without the value; see `_target_context`. A
        condition ending in 的 before it belongs to it ("派出人员担任科室主任的，连续工作不少于1年")."""
        def part(pattern: str) -> str:  # the piece of the evidence that holds the value
            pieces = [p for p in re.split(pattern, t.evidence) if t.value in p or (t.number and t.number in p)]
            # Two pieces with the same value ("…设置至少1家康复医院，…设置至少1家护理院"): the one that
            # ends like this target's indicator.
            own = [p for p in pieces if t.indicator[-2:] in p]
            return (own or pieces or [""])[0]

        near = part(r"[，；。、]|(?:和|及|与)(?=\d)")  # "5个以上市级和20个以上区县级…": one item each
        if counting and self._is_count(t) and "的" in near.split(t.value)[0]:
            near = part(r"[，；。]")
        if "分别" in near:
            return ""
        clauses = re.split(r"[，；。]", t.evidence)
        j = next((j for j, c in enumerate(clauses) if near and near in c), -1)
        if j > 0 and clauses[j - 1].endswith("的"):
            near = f"{clauses[j - 1]} {near}"
        elif j > 0 and clauses[j].startswith("其中") and (whole := next(
                (o for o in self.clauses[t.clause_id].targets
                 if o.evidence == t.evidence and o.value in clauses[j - 1]), None)):
            near = f"{whole.indicator} {near}"  # "入网救护车达到169辆，其中负压救护车49辆": a part of 入网救护车
        return near.replace(t.value, " ")

    def _words(self, text: str, fixed: bool = False) -> frozenset[str]:
        """Words for matching a question with a target: jieba's search-mode words up to WORD_MAX
        characters. A whole glossary name is one long, rare token besides its parts; counted as
        well, it would outweigh the words that tell two indicators apart (床位 in 床位占比)."""
        return frozenset(w for w in self.searcher.tokenizer(text, fixed=fixed) if len(w) <= WORD_MAX)

    def _cite(self, clause: Clause, quote: str) -> Citation | None:
        return A.cite(clause, self.docs[clause.doc], quote)

    def _named_things(self, q: Query, base: dict[str, Any]) -> dict[str, float]:
        """The indicators and terms a question names (in Chinese, or by exact English name) that
        say what the task is — not words that name the plan (十四五, 示范项目: in a plan's title)
        — each with its rarity across clauses, log(1 + clauses / clauses writing it)."""
        named = [*(self.glossary.things_in(q.text) if q.script != "en" else ()), *base["slots"]["exact"]]
        n = max(len(self.clauses), 1)
        return {t: math.log(1 + n / max(self._clauses_writing(t), 1)) for t in dict.fromkeys(named)
                if t in self._things and t not in self._meta_terms and t not in self._plan_words}

    def _clauses_writing(self, thing: str) -> int:
        got = self._writing_cache.get(thing)
        if got is None:
            got = self._writing_cache[thing] = sum(1 for c in self.clauses.values() if self._writes(c, thing))
        return got

    def _writes(self, clause: Clause, thing: str) -> bool:
        """The clause (its text or title) writes the thing in one of its forms, or all the words
        of one (县域医疗卫生 in "县域医共体…医疗卫生"): English names map to the glossary's wording."""
        forms = self._zh_forms.get(thing, (thing,))
        if any(f in clause.text or f in clause.title for f in forms):
            return True
        have = self.searcher._clause_tokens.get(clause.id, frozenset())
        return any(self._indicator_tokens(f) <= have for f in forms)

    def _names_task(self, clause: Clause, things: dict[str, float], english: bool = False) -> bool:
        """The clause writes most of what the question names (rarity-weighted): the task asked
        about, not a neighbour that shares its general words ("鸿雁计划人才项目": a clause on talent
        that never mentions 鸿雁计划 leads another task)."""
        if not things:
            return True
        got = self._thing_weight(clause, things)
        if english:  # glossary names for English words are looser ("ambulance care" → 救护车): one will do
            return got > 0
        return got >= THING_SHARE * sum(things.values())

    def _thing_weight(self, clause: Clause, things: dict[str, float]) -> float:
        """The rarity-weighted sum of the named things the clause writes."""
        return sum(w for t, w in things.items() if self._writes(clause, t))

    @staticmethod
    def _for_each_counted(q: Query, t: Target) -> bool:
        """Whether the question counts a noun written before its measure word ("达标的县有多少个")
        and the figure's own part of its sentence is written for each of them (每个县…1家)."""
        m = _COUNTED_BEFORE.search(re.sub(r"[（(][^（()）]*[）)]", "", q.topic))  # (市、区) aside
        if not m:
            return False
        head = re.split(r"[的、和]", _COUNTED_VERB.split(m.group(1))[-1])[-1]  # after the verb and 的
        return bool(head) and any(re.search(f"[每各]个?{re.escape(head)}", part) and t.value in part
                                  for part in re.split(r"[，；。]", t.evidence))

    def _lacks_asked_list(self, q: Query, text: str) -> bool:
        """The question asks which cities, or which hospitals (a particular one the plans charge,
        浙医一院 — not a kind, 省级医院), and `text` names none: how many is not which."""
        return bool((_WHICH_PLACES.search(q.text) and not _CITIES.search(text)) or (
            _WHICH_HOSPITALS.search(q.text) and not any(u in text for u in self._hospitals)))

    def _in_span(self, doc: str, year: str) -> bool:
        """The year falls within the plan's period (2023-2025)."""
        first, last = self._spans[doc]
        return bool(first) and first <= year <= last

    def _units(self, q: Query, ranked: list[Clause], base: dict[str, Any], hits: Sequence[Hit] = ()) -> Answer | None:
        # A year that names the plan ("the 2021 hospital plan") is not part of the task asked about.
        asked = [w for w in self._query_tokens(q, base["slots"]["terms"]) if w not in q.plan_years]
        things = self._named_things(q, base)
        dense = {h.clause_id: h.dense for h in hits}
        matched = {h.clause_id: h.unit.quote for h in hits}  # each clause's sentence closest to the question

        def meant(clause: Clause) -> bool:
            """An English question's first clause, clearly closest in meaning (EN_LEAD_DENSE)."""
            if (q.script != "en" or clause is not ranked[0] or clause.id not in dense
                    or dense[clause.id] < EN_LEAD_DENSE):
                return False
            # A clause that writes less of what the question names is no rival (国家区域医疗中心 but
            # not 肿瘤, beside the clause that writes both)
            own = self._thing_weight(clause, things)
            rival = max((dense.get(c.id, 0.0) for c in ranked[1:5]
                         if c.lead_unit and self._thing_weight(c, things) >= own), default=0.0)
            return dense[clause.id] - rival >= EN_LEAD_MARGIN

        for clause in ranked[:5]:
            # A clause with a unit list that shares little with the question is not its answer.
            if not clause.lead_unit or (self.searcher.coverage(asked, clause.id) < MIN_LEAD_COVERAGE
                                        and not meant(clause)):
                continue
            if not self._names_task(clause, things, english=q.script == "en"):
                continue  # it leads another task ("Hongyan plan" asked, 提升科研创新能力 found)
            if q.years and not any(y in clause.text or self._in_span(clause.doc, y) for y in q.years):
                continue  # "who leads it in 2026-27": a 2023-2025 plan's list does not say
            group = self._inline_group(clause, q, set(asked))
            if group and not clause.units:  # its only lead may be for another of its tasks
                sentence = group[1].inline_leads[0][1]
                said = set(self.searcher.tokenizer(sentence, fixed=True))
                if "抓总" in sentence:  # 牵头抓总: in overall charge of all the clause is about
                    said |= set(self.searcher.tokenizer(clause.title, fixed=True))
                if (self.searcher.share(asked, said) < INLINE_SHARE * self.searcher.coverage(asked, clause.id)
                        and matched.get(clause.id, "\0") not in sentence):
                    continue  # (产前诊断中心, not 儿童区域医疗中心) — unless that very sentence matched best
            if group:  # the clause names its lead in running text: answer from that sentence
                named, clause = group
            else:
                named = clause.units or (clause.lead_unit,)
            c = self._cite(clause, A.responsibility_quote(clause))
            if not c:
                continue
            doc = self.docs[clause.doc]
            cites = [c]
            units = named
            if not group and q.intent == "units" and clause.implied_units:
                units = (*units, *clause.implied_units)
                if clause.doc in self._standing_rules:
                    rc = self._cite(*self._standing_rules[clause.doc])
                    cites += [rc] if rc else []
            text = (A.units_answer(clause, doc, q.language, self.en, named) if q.intent == "units"
                    else A.lead_answer(clause, doc, q.language, self.en, named))
            if not group and (other := [o for o in self._counterparts.get(clause.id, ())
                                        if o.lead_unit != clause.lead_unit]):
                # "高水平县级强院提档改革项目": the body lists 市卫生健康委 first, 附件2 区县卫生健康局
                also = [(o, oc) for o in other if (oc := self._cite(o, A.responsibility_quote(o)))]
                text += A.counterparts_note([o for o, _ in also], q.language, self.en)
                cites += [oc for _, oc in also]
            return Answer(found=True, answer=text, lead_unit=clause.lead_unit, units=units,
                          units_en=tuple(self.en(u) or u for u in units),
                          citations=tuple(cites), **base)
        return None

    def _pieces_in(self, word: str, context: frozenset[str] | set[str]) -> bool:
        """Every piece of a compound word is in `context` (县级医院: 县级 and 医院, in 区县级三级公立医院)."""
        pieces = [p for p in self.searcher.tokenizer(word, fixed=True) if p != word]
        return sum(map(len, pieces)) >= len(word) and set(pieces) <= context

    def _inline_group(self, clause: Clause, q: Query, words: set[str]) -> tuple[tuple[str, ...], Clause] | None:
        """The units a clause charges in running text with the task the question names.

        A clause may charge several units ("省中医院牵头的胃癌、省立同德医院牵头的重度抑郁症…",
        "依托浙医一院…依托浙医二院…"): each lead's own scope is matched against the question and
        the best one wins, with every unit sharing its scope. When the clause also has a
        responsibility list, the inline lead wins only for a lead question that names its scope
        more closely than the clause's title (a 附件2 task whose content says "市妇保院牵头推进…").
        """
        if not clause.inline_leads or (clause.units and q.intent != "lead_unit"):
            return None

        def shared(text: str) -> set[str]:
            return words & set(self.searcher.tokenizer(text, fixed=True))

        def weight(ws: set[str]) -> float:  # rarity-weighted: 皮肤病 says more than 科研
            return sum(self.searcher.idf(w) for w in ws)

        common = [shared(scope) for _, _, scope in clause.inline_leads]
        best = max(range(len(common)), key=lambda i: (weight(common[i]), -i))
        if clause.units and (len(common[best]) < 2 or len(common[best]) <= len(shared(clause.title))):
            return None
        scope = clause.inline_leads[best][2]
        group = [x for x in clause.inline_leads if x[2] == scope]
        units = tuple(dict.fromkeys(u for u, _, _ in group))
        rest = tuple(x for x in clause.inline_leads if x[2] != scope)
        return units, replace(clause, units=(), aliases=(), implied_units=(), inline_leads=(*group, *rest))

    def _structural(self, q: Query) -> tuple[Clause, str, str] | None:
        """A clause the question points at by the plan's structure, not by its content:
        a numbered box ("专栏7", "box 8") or the plan's number/date ("文号", "落款日期").

        Returns:
            (clause, quote, what) with what = "box" or "meta", or None.
        """
        docs = q.docs if len(q.docs) == 1 else ()
        if not docs:
            return None
        box = re.search(r"专栏\s*(\d+)|box\s*(\d+)", q.text, re.I)
        if box:
            suffix = f"专栏{box.group(1) or box.group(2)}"
            for cid, c in self.clauses.items():
                if cid.startswith(docs[0] + "/") and cid.endswith(suffix):
                    return c, c.title, "box"
        if not _META_QUESTION.search(q.topic):  # (not its date of issue, which names the plan)
            return None
        doc = self.docs[docs[0]]
        for value in (doc.number, doc.date):
            if not value:
                continue
            needle = value
            if value == doc.date and value.count("-") == 2:
                y, m, d = (int(x) for x in value.split("-"))
                needle = f"{y}年{m}月{d}日"
            for c in self.corpus.clauses:
                if c.doc == doc.id and needle in c.text:
                    return c, needle, "meta"
        return None

    def _meta(self, q: Query, base: dict[str, Any], found: tuple[Clause, str, str] | None) -> Answer | None:
        """Questions about a plan itself: its document number, date, issuer — or a numbered box
        (`found`: the clause `_structural` pinned during retrieval)."""
        if not found:
            return None
        c, quote, what = found
        ct = self._cite(c, quote)
        if not ct:
            return None
        if what == "box":
            text = A.general_answer(c, self.docs[c.doc], c.title, q.language)
        else:
            doc = self.docs[c.doc]
            date = doc.date
            if date.count("-") == 2:
                y, m, d = (int(x) for x in date.split("-"))
                date = f"{y}年{m}月{d}日"
            text = (f"{doc.title_en} ({doc.title}): issued by {doc.issuer}, document number "
                    f"{doc.number or '(none)'}, dated {doc.date} ({date})." if q.language == "en" else
                    f"《{doc.title}》由{doc.issuer}印发，文号{doc.number or '（无）'}，日期{date}。")
        return Answer(found=True, answer=text, citations=(ct,), **base)

    def _reverse(self, unit: str, q: Query, base: dict[str, Any]) -> Answer | None:
        led = [c for c in self.corpus.clauses if c.lead_unit == unit and (not q.docs or c.doc in q.docs)]
        if not led:
            return None
        cites = [x for x in (self._cite(c, A.responsibility_quote(c)) for c in led[:10]) if x]
        titles = "；".join(f"{c.title}（{c.heading}）" for c in led[:10])
        text = (f"{A.name(unit, 'en', self.en)} leads {len(led)} task(s): {titles}" if q.language == "en"
                else f"{unit}牵头的任务共{len(led)}项：{titles}")
        return Answer(found=True, answer=text, lead_unit=unit, units=(unit,),
                      units_en=(self.en(unit) or unit,), citations=tuple(cites), **base)

    def _targets(self, q: Query, ranked: list[Clause], hits: list[Hit], base: dict[str, Any]) -> Answer | None:
        scored: list[tuple[float, Target, Clause]] = []
        idf = self.searcher.idf
        canonical = base["slots"]["canonical"]
        # What the question names (its words and its glossary names) counts in full; the other
        # written forms of those names (名中医 → 全国名中医, 省级名中医) count ALIAS_WEIGHT, unless
        # the question writes one of them ("省级名中医": not 全国名中医).
        asked_for = " ".join((q.topic, *canonical))
        # = self._words(asked_for): jieba cuts at spaces, so the topic (segmented for the search
        # already) and each glossary name (fixed text) are segmented on their own, not again.
        named = self._words(q.topic).union(*(self._words(c, fixed=True) for c in canonical))
        words = set(named)
        for term in canonical:  # the forms the question writes, else all of them
            forms = self._zh_forms.get(term, (term,))
            words |= self._words(" ".join([f for f in forms if f in q.text] or forms), fixed=True)
        wants_count = bool(_HOW_MANY.search(q.text))
        if self._absent(base["slots"]["exact"], things=True):
            return None  # it names exactly a thing no plan writes (HPV疫苗, 床护比): no figure is of it
        # The tiers a Chinese question writes; a glossary name it matched may carry another's
        # (平均住院日 → 三级公立医院平均住院日, asked of 二级公立医院). English questions reach
        # Chinese tier words only through those names.
        asked_parties = _tiers(q.topic)
        if q.script != "zh":  # a tier the question says in English overrides its names' (三级… asked of secondary)
            asked_parties = tuple(own or named for own, named in zip(asked_parties, _tiers(asked_for), strict=True))
            if not asked_parties[0] and _PROVINCIAL.search(q.text):
                asked_parties = (frozenset({"province"}), *asked_parties[1:])
        ranks = set(_RANK.findall(q.topic))
        not_rate = bool(_NOT_RATE.search(q.text))
        asked_rate = None if not_rate else _RATE.search(q.text)
        per_capita = asked_rate is not None
        results_ruled_out = bool(_NOT_RESULT.search(q.text))  # "不是实际完成的数": the year's goal only
        # A share asked in one word (比重) and written in another (占比) matches once, at the asked word's weight.
        share_asked = words & _SHARE_WORDS
        share_weight = max((idf(w) * (1.0 if w in named else ALIAS_WEIGHT) for w in share_asked), default=0.0)
        asked_base = _rate_base(asked_rate.group(0)) if asked_rate else None  # per 1,000 or per 10,000…
        for rank, clause in enumerate(ranked[:TOP_K]):
            # No year asked: a table row answers with its last goal, not its first milestone.
            yearly = clause.kind == "task_row"  # a 实施计划表 row: one cell per year
            last = max((t.year for t in clause.targets if (t.source == "table" or yearly) and t.role == "target"),
                       default="")
            for t in clause.targets:
                if q.years and t.year not in q.years:
                    continue
                if not q.years and q.role == "target" and t.year and t.year < self._spans.get(t.doc, ("", ""))[0]:
                    continue  # the last plan's goal in a review table (2020), not this plan's
                if not q.years and (t.source == "table" or yearly) and t.role == "target" and t.year != last:
                    continue
                # A year named without "baseline"/"actual" picks that year's cell whatever its role.
                if t.role != q.role and not (q.role == "target" and q.years and not results_ruled_out):
                    continue
                if self._other_party(t, asked_parties):
                    base["slots"]["other_party"] = True
                    continue
                if per_capita or not_rate:
                    rate = _RATE.search(f"{t.indicator} {t.unit} {t.evidence[: t.evidence.find(t.value)]}")
                    if per_capita != bool(rate):
                        # "每千常住人口ICU床位": 200张 beds in all is not a rate per 1,000; "total beds, not
                        # per 1,000": 0.6张 per 1,000 is the rate ruled out
                        continue
                    if rate and asked_base and _rate_base(rate.group(0)) not in (None, asked_base):
                        continue  # "beds per 10k residents": 5.8张 per 1,000 older people is another rate
                if _TOTAL.search(q.text) and _EACH.match(t.indicator):
                    continue  # "how many in total across the city": 各区、县至少建成1个 is each one's
                if ranks and (said := set(_RANK.findall(f"{t.indicator} {self._near(t)}"))) and not ranks & said:
                    continue  # "前10的学科" asked: the 前3 figure beside it counts other subjects
                ctx = self._target_tokens(t, wants_count)
                match = sum(idf(w) * (1.0 if w in named else ALIAS_WEIGHT) for w in words & ctx)
                if share_asked and ctx & _SHARE_WORDS and not share_asked & ctx:
                    match += share_weight
                # Of two indicators that both cover the question, the one naming less else wins
                # ("城乡医保…报销比例" over "城镇职工和城乡医保…报销比例（城镇职工）").
                match -= LOOSENESS * sum(idf(w) for w in self._indicator_tokens(t.indicator) - named)
                bonus = TABLE_BONUS if t.source == "table" and q.years else 0.0
                scored.append((match - rank * RANK_PENALTY + bonus, t, clause))
            if clause.row is not None and clause.row.ambiguous and rank == 0 and not scored and not (
                    self._unseen(named)) and any(re.search(r"\d", c.value) for c in clause.row.cells) and (
                    not q.years or set(q.years) & self._table_years.get(clause.row.table_id, set())):
                c = self._cite(clause, clause.text)
                if c:
                    doc = self.docs[clause.doc]
                    return Answer(found=True, answer=A.ambiguous_row_answer(clause, doc, q.language),
                                  citations=(c,), **base)
        if _DAY.search(q.text):
            return None
        if m := _SUBREGION.search(q.text):  # "诸暨的县域就诊率": only a figure written for 诸暨
            place = list(_SUBREGIONS)[int(m.lastgroup[1:])]
            scored = [x for x in scored if place in x[1].evidence]
            base["slots"]["other_party"] = base["slots"].get("other_party") or not scored
        if _MONEY.search(q.text):
            scored = [x for x in scored if "元" in x[1].unit]
        days = bool(_DAYS.search(q.text))
        if days and any(self._in_days(t) for _, t, _ in scored):
            scored = [x for x in scored if self._in_days(x[1])]  # "how many days": 平均住院日, 4个工作日
        elif wants_count and not days and any(self._is_count(t) for _, t, _ in scored):
            scored = [x for x in scored if self._is_count(x[1])]  # "how many": not a share or a level
            if (m := _MEASURE.search(q.text)) and any(t.unit.endswith(m.group(1)) for _, t, _ in scored):
                scored = [x for x in scored if x[1].unit.endswith(m.group(1))]  # "多少张": beds, not 1个 base
        elif _PERCENT.search(q.text) and any(t.unit in ("%", "‰") for _, t, _ in scored):
            scored = [x for x in scored if x[1].unit in ("%", "‰")]  # "what %": not 5人/万
        elif _DURATION.search(q.text) and any(t.unit in _TIME_UNITS for _, t, _ in scored):
            scored = [x for x in scored if x[1].unit in _TIME_UNITS]  # "how quickly": 10分钟, not 5个 stations
        if m := _KIND_ASKED.search(q.text):  # "几家机构": 4.5张 places count another kind of thing
            scored = [x for x in scored if _same_kind(_MEASURE_KIND[m.group(1)], x[1].unit)]
        elif q.script != "zh" and (m := _KIND_ASKED_EN.search(q.text)):
            kind = "bed" if m.group(1) else "vehicle"
            scored = [x for x in scored if _same_kind(kind, x[1].unit)]
        indicators = self._named_indicators(q, canonical)
        if indicators and scored:
            # The question names an indicator (日间手术占比): a figure of another one (四级手术比例)
            # does not answer it, however many other words the two share.
            scored = [x for x in scored if any(self._measures(x[1], x[2], i, wants_count) for i in indicators)]
            base["slots"]["other_indicator"] = not scored
            if q.script == "en" and len(indicators) > 1:
                # Two indicators named in English, one saying all the other says and more ("family
                # doctor sign-up target for key groups": 重点人群签约率 over 家庭医生签约覆盖率): the
                # narrower one's figures answer.
                said = {i: self.glossary.words_said(i, q.text) for i in indicators}
                wider = {i for i in indicators if any(said[i] < said[j] for j in indicators)}
                own = [x for x in scored if self.glossary.canonical_zh(x[1].indicator) not in wider]
                if any(self.glossary.canonical_zh(x[1].indicator) in set(indicators) - wider for x in own):
                    scored = own
            # A figure of another glossary indicator whose words are all inside the name the question
            # writes does not answer it when that name's own figure is there ("重点人群家庭医生签约覆盖率":
            # the 95% 重点人群签约率, not the 46% 家庭医生签约覆盖率 beside it).
            written = [f for i in indicators for f in self._zh_forms.get(i, (i,)) if f in q.text]
            if written and any(self.glossary.canonical_zh(t.indicator) in indicators for _, t, _ in scored):
                scored = [x for x in scored if not self._inside_named(x[1], indicators, written)]
        if not scored:
            return None
        scored.sort(key=lambda x: -x[0])
        best_score, best, best_clause = scored[0]
        # How much of what the question asks about the chosen target's words cover: too little,
        # and the plans set no figure for this (a 民营医院 share is not a 公立医院 share).
        # Asked: each thing the question names once (not every alias's words); a name counts as
        # matched when any of its written forms is in the context.
        asked = {w for w in named if not _YEARISH.fullmatch(w) and w not in self._region_words and w not in _ASKING}
        # A Chinese word no clause writes (抗菌 in 抗菌药物使用强度) names something the plans never
        # mention: it weighs as much as the rarest word they do.
        unseen = self._unseen(asked)
        weight = sum(idf(w) for w in asked) + len(unseen) * self._max_idf
        context = self._target_tokens(best, wants_count) | self._indicator_tokens(best_clause.title)
        covered = asked & context
        for term in canonical:  # (a name the target's sentence writes: the "医学高峰" its list is under)
            forms = self._zh_forms.get(term, ())
            if any(f in best.evidence or self._indicator_tokens(f) <= context for f in forms):
                covered |= asked & self._indicator_tokens(term)  # glossary names: fixed text, cached
        if asked & _SHARE_WORDS and context & _SHARE_WORDS:
            covered |= asked & _SHARE_WORDS
        for w in asked - covered:  # "ICU" said in English: covered by 重症监护 in the target's sentence
            if w.isascii() and idf(w) and any(f in best.evidence for zh in self.glossary.expand_en(w)
                                               for f in self._zh_forms.get(zh, (zh,))):
                covered.add(w)
        if weight and all(_NUMBER_WORD.fullmatch(w) for w in covered):
            match = 0.0  # only a number in common ("per 100 households" and a row of 100s) is no match
        elif weight:
            match = sum(idf(w) for w in covered) / weight
        else:  # no word of the question is in the plans: only a close semantic match will do
            match = 1.0 if hits and hits[0].dense >= CONFIDENT_DENSE else 0.0
        base["slots"]["target_match"] = round(match, 3)
        base["slots"]["target_best"] = f"{best.clause_id} {best.indicator} {best.value}"
        base["slots"]["target_missing"] = sorted(asked - covered, key=lambda w: -idf(w))
        if match < MIN_TARGET_MATCH:
            return None
        if match < UNSEEN_HEAD_MATCH and (head := self._unseen_head(q, unseen)):
            base["slots"]["target_missing"] = [head]  # "千人药师数": no plan counts 药师, whatever else matches
            return None
        if self._lacks_asked_list(q, best.evidence):
            return None  # "分别依托哪几家医院": a count of them is not the hospitals asked for
        if self._for_each_counted(q, best):
            return None  # "达标的县有多少个": 每个县设置护理院至少1家 is per county, not a count of them
        if m := _COUNTED.search(q.topic):  # "要设多少间负压病房": a figure that counts something else does not answer
            # the head noun: after the last 的 or list mark, before a verb ("多少个学科跻身…前十": 学科;
            # "多少名国家级、省级名中医": 省级名中医)
            # (a verb inside a list of modifiers, "几家管理规范、能复制的示范单位", leaves the noun after 的)
            head = (re.split(r"[的、和]", _COUNTED_VERB.split(m.group(1))[0])[-1]
                    or re.split(r"[的、和]", m.group(1))[-1] or m.group(1))
            noun = self._words(head)
            if unseen := self._unseen(noun):  # "多少名队员": a noun no clause writes is counted by none
                base["slots"]["target_missing"] = sorted(unseen)
                return None
            rarest = max((w for w in noun if idf(w) > 0), key=lambda w: (idf(w), w), default=None)
            if rarest is not None and rarest not in context and rarest not in (
                    f"{best.indicator} {self._near(best, wants_count)} {best_clause.title}"):
                # (its own phrase, not the sentence: "每个设区市设置至少1家二级以上康复医院，每个县…
                # 设置至少1家护理院" — the county's 1家 are 护理院)
                base["slots"]["target_missing"] = [rarest]
                return None
        elif q.script != "zh" and (m := _COUNTED_EN.search(q.text)):  # the same, said in English:
            counted = [n for n in self.glossary.expand_en(m.group(1)) if n in self._things]  # (院士)
            if counted and not any(f in f"{best.indicator} {best.evidence}"
                                   for n in counted for f in self._zh_forms.get(n, (n,))):
                base["slots"]["target_missing"] = counted
                return None
        if q.script == "en" and match < RAREST_MATCH:
            # An English question's Chinese words are its glossary names' only: when the rarest
            # is missing ("two cancers" → 两癌), a figure of something else merely shares the rest.
            said = self._words(q.topic).union(*(self._words(c, fixed=True) for c in base["slots"]["exact"]))
            rarest = max(asked & said, key=lambda w: (idf(w), w), default=None)  # not a loose name's
            if rarest is not None and idf(rarest) > 0 and rarest not in covered and not self._pieces_in(rarest, context) and not (
                    # an annex row is one project: a word anywhere in it describes each of its figures
                    best_clause.kind == "task_row" and rarest in self._words(best_clause.text, fixed=True)):
                return None
        picked = [(best, best_clause)]
        if not q.docs and not base["slots"]["filter"]:
            key = self._indicator_tokens(best.indicator) & words
            same = self.glossary.canonical_zh(best.indicator)
            for s, t, c in scored[1:]:
                if t.doc in {p.doc for p, _ in picked}:
                    continue
                # The glossary's same indicator in another plan is listed wherever it ranked.
                if (same and self.glossary.canonical_zh(t.indicator) == same) or (
                        s >= best_score - 3 and key and key <= self._indicator_tokens(t.indicator)):
                    picked.append((t, c))
        cites, out = [], []
        for t, c in picked:
            ct = self._cite(c, t.evidence)
            if ct:
                cites.append(ct)
                out.append((t, c, self.docs[c.doc]))
        if not out:
            return None
        return Answer(found=True, answer=A.targets_answer(out, q.language, self.en),
                      targets=tuple(A.target_json(t, self.en) for t, _, _ in out),
                      citations=tuple(cites), **base)


def load_assistant(
    corpus_dir: str | Path = "corpus",
    index_dir: str | Path = "index",
    rebuild: bool = True,
    progress: Callable[[int, int], None] | None = None,
    embedder: Any = None,
) -> Assistant:
    """Load the corpus and index (building or rebuilding the index when needed).

    Args:
        corpus_dir: the corpus directory.
        index_dir: the index directory.
        rebuild: rebuild a missing, stale, corrupt or mismatched index; False = refuse with
            IndexStateError saying why and which command rebuilds it.
        progress: called with (done, total) while embedding during a build.
        embedder: the embedder (default: USE multilingual v3).
    """
    from .embed import load_embedder

    corpus = load_corpus(corpus_dir, cache_dir=parse_cache_dir(index_dir))  # unchanged plans: not re-parsed
    embedder = embedder or load_embedder()
    glossary = _glossary(Path(corpus_dir))
    extra = glossary_words(glossary)
    try:
        index = load_index(index_dir, corpus, embedder.id)
        # The jieba dictionary is made from the plans and the glossary; the corpus hash covers
        # the plans, this covers the glossary (a new term must be searchable as one word).
        if index.words != "\n".join(sorted(set(user_words(corpus)) | set(extra))).split():
            raise IndexStateError(
                f"index at {index_dir} is stale: the glossary changed; rebuild it with `rag build`")
    except IndexStateError as e:
        if not rebuild:
            raise
        log.warning("%s — rebuilding", e)
        build_index(corpus, embedder, index_dir, progress=progress, extra_words=extra)
        index = load_index(index_dir, corpus, embedder.id)
    return Assistant(corpus, Searcher(index, embedder), glossary, Generator.from_env(glossary))
