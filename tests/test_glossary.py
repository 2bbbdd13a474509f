"""Tests for rag.glossary against the real corpus/glossary.tsv and the real plan texts."""

import re
import unicodedata
from pathlib import Path

import pytest

from rag.errors import CorpusError
from rag.glossary import COLLOQUIAL, HEADER, KINDS, Glossary, load_glossary

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "corpus" / "glossary.tsv"
PLANS = sorted((ROOT / "corpus").glob("00[0-4]_*.txt"))


def _fold(text: str) -> str:
    """Join hard line breaks and fold full-width digits/letters; 〔〕 and “” stay as they are."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary(GLOSSARY)


@pytest.fixture(scope="module")
def corpus_text() -> str:
    assert len(PLANS) == 5, "expected the five plan texts 000_*.txt … 004_*.txt in corpus/"
    return "".join(_fold(p.read_text(encoding="utf-8")) for p in PLANS)


# --- the file itself ------------------------------------------------------------------------


def test_file_parses_with_every_kind(glossary):
    assert GLOSSARY.read_text(encoding="utf-8").splitlines()[0] == "\t".join(HEADER)
    counts = {kind: sum(1 for _ in glossary.terms(kind)) for kind in KINDS}
    assert counts["unit"] >= 60
    assert counts["indicator"] >= 80
    assert counts["term"] >= 150
    assert counts["region"] >= 10
    assert counts["plan"] == 5
    assert sum(counts.values()) == len(glossary.entries)


def test_no_name_is_ambiguous_between_rows(glossary):
    canon: dict[str, str] = {}
    for e in glossary.entries:
        assert e.zh not in canon, f"{e.zh} is both a {canon.get(e.zh)} and a {e.kind}"
        canon[e.zh] = e.kind
    for e in glossary.entries:
        for alias in e.zh_aliases:
            assert alias not in canon, f"line {e.line}: alias {alias} is another row's zh"


def test_units_and_indicators_are_written_in_the_plans(glossary, corpus_text):
    missing = [
        f"line {e.line}: {e.zh}"
        for e in glossary.entries
        if e.kind in ("unit", "indicator") and _fold(e.zh) not in corpus_text
    ]
    assert not missing, "not in any plan text:\n" + "\n".join(missing)


def test_aliases_not_marked_colloquial_are_written_in_the_plans(glossary, corpus_text):
    missing = [
        f"line {e.line}: {alias} (alias of {e.zh})"
        for e in glossary.entries
        for alias in e.zh_aliases
        if alias not in e.colloquial and _fold(alias) not in corpus_text
    ]
    assert not missing, f"mark these {COLLOQUIAL}colloquial or fix them:\n" + "\n".join(missing)


def test_every_responsible_unit_of_000_and_002_is_in_the_glossary(glossary):
    """Each name in a （责任单位：…） list of 000 and 002 has an English name."""
    local_governments = "各市、县〔市、区〕政府"  # the one name that contains 、
    units = set()
    for plan in PLANS[0], PLANS[2]:
        for listing in re.findall(r"责任单位:(.*?)\)", _fold(plan.read_text(encoding="utf-8"))):
            listing = listing.split("。")[0]  # drop "列第一位的为牵头单位，下同"
            if local_governments in listing:
                units.add(local_governments)
                listing = listing.replace(local_governments, "")
            units.update(u for u in re.split(r"[、,〔〕]", listing) if u)  # 〔alias〕 counted too
    assert len(units) >= 20
    assert {u for u in units if glossary.en(u) is None} == set()


@pytest.mark.parametrize(
    "zh",
    [  # 002 附件2 实施主体, and the hospitals that lead tasks inline in 003
        *("市中心医院", "市第一人民医院", "区县卫生健康局", "县级公立医院", "各级公立医院"),
        *("市妇保院", "市级公立医院", "各区县", "各公立医院"),
        *("省肿瘤医院", "省中医院", "省立同德医院", "省新华医院", "浙医一院", "浙医二院"),
        *("邵逸夫医院", "浙大儿院", "温医大眼视光医院", "浙大口腔医院", "省人民医院"),
    ],
)
def test_implementing_bodies_and_lead_hospitals_have_english_names(glossary, zh):
    assert glossary.en(zh)
    assert glossary.canonical_zh(zh) in {e.zh for e in glossary.terms("unit")}


# --- lookups --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zh, en",
    [
        ("省卫生健康委", "Zhejiang Provincial Health Commission"),
        ("省医保局", "Zhejiang Healthcare Security Administration"),
        ("省中医药局", "Zhejiang Administration of Traditional Chinese Medicine"),
        ("市委编办", "Huzhou Municipal Commission Office for Public Sector Reform"),
        ("市卫生健康委", "Huzhou Municipal Health Commission"),
        ("各区县人民政府", "district and county governments"),
        ("各市、县〔市、区〕政府", "city and county (city, district) governments"),
        ("病例组合指数", "case-mix index (CMI)"),
        ("日间手术", "day surgery"),
        ("日间手术比例", "day surgery rate"),
        ("县域就诊率", "county-level treatment rate"),
        ("医共体", "county medical community"),
        ("国家区域医疗中心", "national regional medical center"),
        ("湖州", "Huzhou"),
    ],
)
def test_en_names(glossary, zh, en):
    assert glossary.en(zh) == en


@pytest.mark.parametrize(
    "alias, canonical",
    [
        ("卫健委", "省卫生健康委"),  # shared with 市卫生健康委; the provincial row comes first
        ("浙江省卫生健康委", "省卫生健康委"),
        ("医保局", "省医保局"),
        ("浙江大学医学院附属第一医院", "浙医一院"),
        ("浙江中医药大学附属第二医院", "省新华医院"),
        ("CMI", "病例组合指数"),
        ("cmi值", "病例组合指数"),
        ("人均期望寿命", "人均预期寿命"),
        ("各市、县（市、区）人民政府", "各市、县〔市、区〕政府"),
        ("各市、县(市、区)政府", "各市、县〔市、区〕政府"),  # either bracket style
        ("省卫生健康委", "省卫生健康委"),
    ],
)
def test_canonical_zh(glossary, alias, canonical):
    assert glossary.canonical_zh(alias) == canonical


def test_en_via_alias_and_unknown_names(glossary):
    assert glossary.en("浙大一院") == glossary.en("浙医一院")
    assert glossary.en("每千人执业(助理)医师数") == "physicians per 1,000 population"
    assert glossary.en("不存在的单位") is None
    assert glossary.canonical_zh("") is None


# --- query expansion ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Which department leads medical service price reform?", {"医疗服务价格", "牵头单位"}),
        ("What county-level treatment rate does Shaoxing aim for by 2025?", {"县域就诊率", "绍兴"}),
        ("What is Huzhou's CMI target for 2024?", {"病例组合指数", "湖州", "目标"}),
        ("What is the case mix index of Huzhou's tertiary public hospitals?", {"病例组合指数"}),
        ("Who leads day surgery in provincial tertiary grade-A hospitals?", {"日间手术", "三甲"}),
        ("What day-surgery rate is required?", {"日间手术比例"}),
        ("Target share of grade IV surgeries in Huzhou", {"四级手术占比", "湖州"}),
        ("Who leads salary system reform?", {"薪酬制度", "牵头单位"}),
        ("Who is responsible for DRG payment reform?", {"DRG", "责任单位"}),
        ("What are the personnel expenditure targets?", {"人员支出占业务支出的比例"}),
        ("How many beds per 1,000 people by 2027?", {"千人床位数"}),
        ("beds per 1000 population", {"千人床位数"}),
        ("What's the target for life expectancy?", {"人均预期寿命"}),
        ("What does the medical insurance bureau do?", {"省医保局", "市医保局"}),
        ("Which health commission leads county medical communities?", {"医共体"}),
        ("Role of the staffing office in the Huzhou demonstration project", {"市委编办"}),
        ("family doctors' contract coverage", {"家庭医生签约覆盖率"}),
        ("Which unit leads the national regional medical centers?", {"国家区域医疗中心"}),
        ("What does the Shaoxing 14th five-year plan say about hospice care?", {"安宁疗护"}),
        ("Tiered diagnosis and treatment and two-way referrals", {"分级诊疗", "双向转诊"}),
        ("What is the TCM development index?", {"中医药发展指数"}),
        ("internet hospitals and digital reform", {"互联网医院", "数字化改革"}),
        # the named centres and bases the plans charge one hospital with (依托…争创…), any word order
        ("Who leads the bid for the national regional public health centre?", {"国家区域公共卫生中心"}),
        ("the national cancer regional medical centre", {"国家肿瘤区域医疗中心"}),
        ("a regional geriatric medical centre", {"国家区域老年医疗中心"}),
        ("the trauma and critical care centre for public emergencies", {"创伤危急重症立体救治中心"}),
        ("medical care for older people", {"老年健康"}),
        # British spellings find names written the American way, and the other way round
        ("new provincial clinical medical research centres", {"临床医学研究中心"}),
        ("the standardised residency training programme", {"住院医师规范化培训"}),
        # officials' English for two mechanisms (session 10)
        ("the 'one pledge plus three systems' mechanism", {"一承诺三制度"}),
        ("price linkage between county hospitals and primary care", {"医疗服务价格联动机制"}),
        # Huzhou's five-star clinics, asked by their English name (their 20家 each, not the 17 centres beside them)
        ("how many five-star antenatal clinics in 2023?", {"五星级孕产和儿童保健门诊"}),
    ],
)
def test_expand_en_finds_the_chinese_terms(glossary, question, expected):
    assert expected <= set(glossary.expand_en(question))


@pytest.mark.parametrize(
    "heading, zh",  # English wording of task headings in 000, 001 and 002
    [
        ("Innovate the medical service model", "医疗服务模式"),
        ("Deepen reform of medical insurance payment methods", "医保支付方式"),
        ("Deepen the reform of the personnel and compensation system", "薪酬制度"),
        ("Supercharge the medical peaks", "医学高峰"),
        ("Build provincial regional medical centres", "省级区域医疗中心"),
        ("Improve operations management of hospitals", "运营管理"),
        ("Strengthen medical quality and safety management", "医疗质量"),
        ("Improve the performance evaluation mechanism", "绩效评价"),
        ("Build clean hospitals", "清廉医院"),
        ("Reform comprehensive supervision", "综合监管"),
        ("Reform the family doctor system", "家庭医生"),
        ("Integrated medical and elderly care", "医养结合"),
        ("Develop affordable childcare", "托育"),
        ("Strengthen mental health services", "心理健康"),
        ("Improve emergency care capacity", "急诊急救"),
        ("Integrated medical care and disease prevention", "医防融合"),
        ("Fiscal investment mechanism reform", "财政投入"),
        ("Talent recruitment and cultivation", "人才引育"),
        ("Patient experience improvement", "舒心就医"),
        ("Party building in public hospitals", "党建"),
        ("Volume-based procurement of drugs and consumables", "集中带量采购"),
        ("Traditional Chinese medicine inheritance and innovation", "中医药传承创新"),
    ],
)
def test_task_headings_are_covered(glossary, heading, zh):
    assert zh in glossary.expand_en(heading)


def test_expand_en_prefers_the_longest_phrase(glossary):
    # "day surgery rate" is consumed whole: 日间手术 is not reported from inside it
    assert glossary.expand_en("the day surgery rate") == ["日间手术比例"]
    assert glossary.expand_en("day surgery") == ["日间手术"]
    # "medical service price" is consumed before "medical service" can match
    assert "医疗服务" not in glossary.expand_en("medical service price adjustment")


def test_expand_en_matching_rules(glossary):
    assert glossary.expand_en("CASE-MIX INDEX") == glossary.expand_en("casemix index")
    assert glossary.expand_en("county level treatment rates") == ["县域就诊率"]
    assert glossary.expand_en("family doctors") == ["家庭医生"]
    assert glossary.expand_en("How do I file a question?") == []
    assert "艾滋病" not in glossary.expand_en("financial aid")  # word boundary, no "AIDS"→"aid"
    assert glossary.expand_en("Huzhou, Huzhou and Huzhou") == ["湖州"]
    # "expected" is how a target is asked ("what rate is expected in 2023"), not the table's 预期性
    assert "预期性" not in glossary.expand_en("what project start rate is expected in 2023?")
    assert "预期性" in glossary.expand_en("is it a non-binding indicator?")


def test_how_many_says_number_of(glossary):
    # "number of hospitals" is asked "how many hospitals"; every "number of" name is, not one row
    assert glossary.expand_en("How many hospitals in all?") == ["医院数"]
    assert glossary.expand_en("how many 3A general hospitals") == ["三甲综合医院数"]
    # a longer name that starts inside "how many …" still wins
    assert glossary.expand_en("how many beds per 1,000 people") == ["千人床位数"]


def test_expand_zh_aliases(glossary):
    assert {"省卫生健康委", "市卫生健康委"} <= set(
        glossary.expand_zh_aliases("卫健委牵头哪些任务？")
    )
    assert glossary.expand_zh_aliases("湖州2024年CMI目标是多少？") == ["病例组合指数"]
    assert glossary.expand_zh_aliases("浙大一院的任务") == ["浙医一院"]
    # a name written canonically is not reported, nor matched again through a shorter alias
    assert glossary.expand_zh_aliases("省卫生健康委牵头") == ["牵头单位"]
    assert glossary.expand_zh_aliases("今天天气怎么样") == []


@pytest.mark.parametrize("question, things", [
    ("What emergency response time is Huzhou aiming for by 2025?", []),  # "AI" is not in "aiming"
    ("Who leads high-level health talent training in the provincial plan?", []),
    ("What cap does the plan put on antibiotic use intensity in particular?", []),  # nor "ICU" in "particular"
    ("Provincial resources plan: number of disciplines in the national top 3?", []),  # nor "P3" in "top 3"
    ("Huzhou TCM item: what does the culture bureau do?", []),  # nor "CMI" across "TCM item"
    ("What ICU bed share is set for county hospitals?", ["重症医学"]),
    ("AI辅助诊断覆盖率", ["人工智能"]), ("三级医院CMI目标", ["三级医院", "病例组合指数", "目标"]),
])
def test_latin_letter_aliases_match_whole_words_only(glossary, question, things):
    assert glossary.things_in(question) == things


def test_terms_filter_by_kind(glossary):
    plans = list(glossary.terms("plan"))
    assert {p.zh for p in plans} >= {"绍兴市卫生健康事业发展“十四五”规划"}
    assert all(e.kind == "plan" for e in plans)
    with pytest.raises(ValueError, match="unknown glossary kind 'units'"):
        list(glossary.terms("units"))


# --- malformed files ------------------------------------------------------------------------

HEAD = "\t".join(HEADER) + "\n"
ROW = "unit\t省医保局\tZhejiang Healthcare Security Administration\t~医保局\tmedical insurance bureau\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "glossary.tsv"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def test_colloquial_marker_is_parsed(tmp_path):
    (entry,) = load_glossary(_write(tmp_path, ROW)).entries
    assert entry.zh_aliases == ("医保局",) and entry.colloquial == ("医保局",)
    assert entry.en_aliases == ("medical insurance bureau",) and entry.line == 2


@pytest.mark.parametrize(
    "body, message",
    [
        (ROW + "unit\t省财政厅\tZhejiang Provincial Department of Finance\n", r":3: expected 5"),
        (ROW + "unit\t\tFinance\t\t\n", r":3: empty zh"),
        (ROW + "\nterm\t医改\t\t\t\n", r":4: empty en"),
        (ROW + ROW, r":3: duplicate '省医保局', first on line 2"),
        ("units\t省医保局\tx\t\t\n", r":2: unknown kind 'units'"),
        ("unit\t省医保局\tx\t医保局||省医保\t\n", r":2: empty alias"),
        ("unit\t省医保局\tx\t\tbureau|\n", r":2: empty alias"),
    ],
)
def test_malformed_lines_are_named(tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises(CorpusError, match=re.escape(str(path)) + message):
        load_glossary(path)


def test_bad_header_missing_file_and_encoding(tmp_path):
    path = tmp_path / "glossary.tsv"
    path.write_text("kind,zh,en\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"glossary.tsv:1: the header"):
        load_glossary(path)
    path.write_bytes(HEAD.encode() + "unit\t省医保局\tx\t\t\n".encode("gb18030"))
    with pytest.raises(CorpusError, match="as UTF-8"):
        load_glossary(path)
    with pytest.raises(CorpusError, match="nowhere.tsv: cannot read"):
        load_glossary(tmp_path / "nowhere.tsv")


def _expand_every_name(text, index, pattern):
    """`_expand` as it was before its shortcuts: every name in order, skipped only when the first
    four letters of its first word are not in the text."""
    from rag.glossary import _word_parts

    low, taken, hits = text.lower(), [False] * len(text), []
    for name, _, zhs in index.rows:
        prefix = _word_parts(name.split(" ")[0])[0].lower().split("'")[0][:4]
        for m in pattern(name).finditer(text) if prefix in low else ():
            if m.end() > m.start() and not any(taken[m.start() : m.end()]):
                taken[m.start() : m.end()] = [True] * (m.end() - m.start())
                hits.append((m.start(), zhs))
    return list(dict.fromkeys(zh for _, zhs in sorted(hits, key=lambda h: h[0]) for zh in zhs))


def test_expansion_shortcuts_find_what_trying_every_name_finds(glossary):
    """The prefix buckets and the needle test only skip names that cannot match."""
    from rag import glossary as g
    from rag.evaluate import load_questions

    questions = [q["question"] for q in load_questions([ROOT / "evals" / "questions" / "dev.jsonl"])]
    questions += ["İNTERNET hospitals in Huzhou", "women’s and children's health", "CASE-MIX INDEX",
                  "family-doctor contracts", "ﬁnancial aid", "Ｈｕｚｈｏｕ ＣＭＩ", "", "卫健委 DRG", "o'"]
    for q in questions:
        en, zh = g._en_text(q), g._zh_key(q)
        assert g._expand(en, glossary._en_index, g._en_pattern) == _expand_every_name(en, glossary._en_index, g._en_pattern), q
        assert g._expand(zh, glossary._zh_index, g._zh_pattern) == _expand_every_name(zh, glossary._zh_index, g._zh_pattern), q


def test_loose_names_come_in_the_order_a_plain_count_gives(glossary):
    """`_sharing_three` counts with bit sets, but ties in `expand_en_loose` follow the order a
    count over each asked word's names in turn gives: the two must agree."""
    from collections import Counter

    from rag import glossary as g
    from rag.evaluate import load_questions

    having: dict[str, list[int]] = {}
    for i, (words, _) in enumerate(glossary._loose):
        for w in words:
            having.setdefault(w, []).append(i)
    questions = [q["question"] for q in load_questions([ROOT / "evals" / "questions" / "dev.jsonl"])]
    for q in questions + ["urban-rural residents' medical insurance reimbursement ratio in county hospitals"]:
        asked = g._content_words(g._en_text(q))
        counted = Counter(i for w in asked for i in having.get(w, ()))
        assert list(glossary._sharing_three(asked)) == [i for i, n in counted.items() if n >= 3], q


@pytest.mark.parametrize(("question", "zh"), [
    ("What is the in-scope reimbursement ratio of urban-rural resident insurance?", "城乡医保"),
    ("What share of county public hospital beds should be in tertiary hospitals?", "床位占比"),
    ("What is the ceiling for early deaths from major chronic diseases?", "重大慢性病过早死亡率"),  # early, death
    ("What is the mean inpatient stay at tertiary public hospitals?", "三级公立医院平均住院日"),  # mean
    ("2024 floor for grade IV ops as a share of discharges?", "四级手术占比"),  # ops: too short to stem
    ("% of acute and critical cases to be handled inside the county?", "急危重症患者在县域内得到救治"),
])
def test_english_said_in_other_words_still_finds_the_name(glossary, question, zh):
    assert zh not in glossary.expand_en(question)  # not word for word…
    assert zh in glossary.expand_en_loose(question)  # …but nearly every word of the name is there


@pytest.mark.parametrize("question", [
    "What personnel spending share do the plans set?",  # two shared words are not a name
    "What was the 13th five-year plan's figure?",
])
def test_loose_matching_needs_most_of_a_longer_name(glossary, question):
    loose = glossary.expand_en_loose(question)
    assert "年科教人才和信息化经费支出占比" not in loose and "十四五" not in loose


def test_indicators_a_question_writes_by_any_name_brackets_folded(glossary):
    # Questions are NFKC-folded before analysis, so full-width brackets arrive as ASCII ones.
    assert glossary.indicators_in("绍兴每千人执业(助理)医师数要达到多少？") == ["千人医师数"]
    assert glossary.indicators_in("湖州三级公立医院日间手术占比是多少？") == ["日间手术比例"]
    assert glossary.indicators_in("日间手术比例由哪个单位牵头？") == ["日间手术比例"]  # the canonical name too
    assert glossary.indicators_in("哪个单位牵头？") == []


# --- labels: English names for what the parser's targets measure ------------------------------

def test_every_target_the_parser_reads_has_an_english_name(glossary, clauses):
    # English answers name the indicator in English with the Chinese beside it (issue 4)
    missing = sorted({t.indicator for c in clauses.values() for t in c.targets if not glossary.en(t.indicator)})
    assert missing == [], f"add glossary 'label' rows for: {missing[:10]}"


def test_every_label_names_a_target_the_parser_reads(glossary, clauses):
    read = {t.indicator for c in clauses.values() for t in c.targets}
    assert glossary.labels and set(glossary.labels) <= read, sorted(set(glossary.labels) - read)[:10]


def test_labels_are_shown_never_matched(glossary):
    assert glossary.en("新增乡镇急救站点") == "new township emergency stations"
    assert "新增乡镇急救站点" not in glossary.expand_en("new township emergency stations in Huzhou")
    assert "新增乡镇急救站点" not in glossary.things_in("湖州新增乡镇急救站点几个")
    assert all(e.kind in KINDS for e in glossary.entries)


def test_a_label_with_aliases_is_refused(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("\t".join(HEADER) + "\nlabel\t新增站点\tnew stations\t站点\t\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="a label has no aliases"):
        load_glossary(path)


def test_words_said_by_a_name(glossary):
    q = "Huzhou's family doctor sign-up target for key groups?"
    assert glossary.words_said("家庭医生签约覆盖率", q) < glossary.words_said("重点人群签约率", q)
    assert glossary.words_said("病例组合指数", q) == frozenset()
