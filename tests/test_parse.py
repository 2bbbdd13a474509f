"""The heading tree, clause ids and per-clause facts, pinned on the real corpus."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.model import Doc
from rag.parse import parse_document


def _targets(clause):
    return [(t.indicator, t.comparator, t.value, t.year) for t in clause.targets]


# --- 000 浙江省推动公立医院高质量发展实施方案 ---------------------------------------------


def test_000_day_surgery_clause(clauses):
    c = clauses["000/二/（三）/1"]
    assert c.title == "创新医疗服务模式"
    assert c.path == ("二", "（三）", "1")
    assert c.units == ("省卫生健康委", "省医保局")
    assert c.lead_unit == "省卫生健康委"
    assert c.aliases == (("省卫生健康委", "省中医药局"),)
    assert ("省级三甲综合医院日间手术比例", "以上", "25%", "2025") in _targets(c)


def test_000_first_task_units_and_target(clauses):
    c = clauses["000/二/（一）/1"]
    assert c.units == ("省卫生健康委", "省发展改革委", "省科技厅")
    assert ("三甲综合医院三级、四级手术占比", "以上", "45%", "2025") in _targets(c)


def test_000_standing_rule_makes_city_and_county_governments_co_responsible(clauses):
    assert clauses["000/二/（一）/2"].units[-1] == "各市、县〔市、区〕政府"
    assert clauses["000/二/（一）/2"].implied_units == ()
    assert clauses["000/二/（一）/3"].implied_units == ("各市、县〔市、区〕政府",)
    assert clauses["000/二/（六）/4"].implied_units == ("各市、县〔市、区〕政府",)
    assert clauses["000/二/（一）/1"].implied_units == ()


@pytest.mark.parametrize(
    "cid,units",
    [
        ("000/二/（五）/1", ("省医保局", "省卫生健康委")),
        ("000/二/（五）/3", ("省人力社保厅", "省财政厅", "省卫生健康委")),
        ("000/二/（四）/2", ("省卫生健康委", "省药监局")),
        ("000/二/（三）/3", ("省卫生健康委", "省公安厅", "省财政厅", "省人力社保厅")),
        ("000/二/（六）/4", ("省卫生健康委", "省医保局", "省药监局")),
        ("002/三/（二）/1", ("市医保局", "市卫生健康委", "市财政局", "各区县人民政府")),
        ("002/三/（二）/4", ("市财政局", "市卫生健康委", "各区县人民政府")),
        ("002/三/（三）/5", ("市卫生健康委", "市委组织部", "市直机关工委")),
    ],
)
def test_units_in_written_order(clauses, cid, units):
    assert clauses[cid].units == units


def test_000_targets_in_one_clause(clauses):
    t = _targets(clauses["000/二/（一）/3"])
    assert ("县域就诊率", "以上", "90%", "2025") in t
    assert ("基层就诊率", "以上", "65%", "2025") in t
    assert ("公立医院医疗服务收入占比", "以上", "35%", "2025") in _targets(clauses["000/二/（五）/1"])
    assert ("人员支出占业务支出的比例", "左右", "45%", "2025") in _targets(clauses["000/二/（五）/3"])


def test_every_responsibility_list_is_parsed(corpus):
    for d in corpus.docs:
        with_units = [c for c in d.clauses if c.units and c.kind not in ("task_row",)]
        assert len(with_units) == d.responsibility_lists, d.doc.id
    assert {d.doc.id: d.responsibility_lists for d in corpus.docs}["000"] == 20
    assert {d.doc.id: d.responsibility_lists for d in corpus.docs}["002"] == 15


# --- 001 卫生健康现代化 ------------------------------------------------------------------


def test_001_private_use_decimal_target(clauses):
    (t,) = clauses["001/二/（一）/6"].targets
    assert (t.comparator, t.value, t.year) == ("以上", "44.7%", "2027")
    assert "体育锻炼" in t.indicator


def test_001_text_targets(clauses):
    assert ("人员支出占业务支出比例", "以上", "45%", "2027") in _targets(clauses["001/二/（九）/4"])
    assert ("严重致残出生缺陷发生率", "以内", "1‰", "2027") in _targets(clauses["001/二/（五）/2"])
    assert ("四级手术占比", "以上", "25%", "2027") in _targets(clauses["001/二/（四）/1"])
    assert clauses["001/二/（九）/2"].title == "优化调整医疗服务价格"


# --- 002 湖州示范项目 --------------------------------------------------------------------


def test_002_project_one(clauses):
    c = clauses["002/三/（一）/1"]
    assert c.title == "长三角市域医学高地提能改革项目"
    assert c.lead_unit == "市卫生健康委"
    assert c.units[-1] == "各区县人民政府" and len(c.units) == 7
    assert ("三级公立医院病例组合指数（CMI值）", "达到", "1.1", "2025") in _targets(c)


def test_002_task_rows_state_their_goals_for_the_whole_period(clauses):
    # 附件2's 主要内容 column states the task's goal for 2023-2025; each year's column its own
    row = clauses["002/附件2/4"]
    period = [(t.indicator, t.value, t.year, t.year_note) for t in row.targets if t.year_note]
    assert period == [("建成省市级重点实验室", "8个", "2025", "plan horizon"),
                      ("三年内培养学科带头人", "100名", "2025", "plan horizon")]
    assert ("建成省级重点实验室", "1个", "2025") in [(t.indicator, t.value, t.year) for t in row.targets]
    # "培育建设1个以上（包括1个，下同）国家级、3个省级…临床重点专科": the list's noun is every item's
    assert clauses["002/附件2/5"].targets[0].indicator == "培育建设国家级临床重点专科"


def test_002_goal_blocks_and_from_to_target(clauses):
    assert clauses["002/三/（一）/主要目标"].title == "主要目标"
    assert clauses["002/三/（二）/2"].lead_unit == "市医保局"
    assert ("区县级三级公立医院占比", "提升至", "40%", "2025") in _targets(clauses["002/三/（一）/3"])


def test_002_annex_list_is_not_parsed_as_tasks(clauses):
    assert "002/六/（六）/2" not in clauses


# --- 003 省级医疗资源配置 -----------------------------------------------------------------


def test_003_inline_leads(clauses):
    assert clauses["003/三/（四）/4"].lead_unit == "省肿瘤医院"
    leads = [u for u, *_ in clauses["003/一/（一）/—4"].inline_leads]
    assert leads == ["省中医院", "省立同德医院", "省新华医院"]
    leads = [u for u, *_ in clauses["003/三/（一）/2/—1"].inline_leads]
    assert leads == ["浙医一院", "浙医二院", "邵逸夫医院", "省人民医院"]


def test_003_headings_and_footnote(clauses):
    assert clauses["003/一/（一）"].title == "发展成效"
    assert any("省级医院" in n for n in clauses["003/前言"].notes)
    assert "[footnoteRef" not in clauses["003/前言"].text
    assert ("公立医院人员支出占业务支出的比例", "左右", "45%", "2025") in _targets(clauses["003/三/（二）/3"])


# --- 004 绍兴“十四五” --------------------------------------------------------------------


def test_004_boxes_and_continuous_numbering(clauses):
    box = clauses["004/三/（一）/专栏1"]
    assert (box.kind, box.title) == ("box", "公共卫生应急体系建设")
    assert ("传染病收治能力", "达到", "1.5床/万人", "2025") in _targets(box)
    assert clauses["004/三/（二）/5"].title == "创建区域医疗中心"
    assert clauses["004/三/（一）/-1"].title == "健全公共卫生应急管理体系"
    assert clauses["004/二/（二）/1"].title == "坚持健康优先"


def test_004_goals_and_results(clauses):
    assert ("居民人均期望寿命", "以上", "83岁", "2025") in _targets(clauses["004/二/（三）/—1"])
    review = clauses["004/一/（一）/—1"].targets
    assert review and all(t.role == "result" for t in review)
    assert clauses["004/一/（一）/—1"].review and clauses["003/一/（一）"].review  # 发展成效 / 现实基础
    assert not clauses["004/二/（三）/—1"].review
    assert ("县域就诊率", "以上", "90%", "2025") in _targets(clauses["004/三/（三）/10"])


# --- ids, quotes and robustness --------------------------------------------------------------


def test_ids_are_unique_and_text_is_clean(corpus):
    ids = [c.id for c in corpus.clauses]
    assert len(ids) == len(set(ids))
    for c in corpus.clauses:
        assert "[bookmark" not in c.text and "\ue010" not in c.text, c.id
        assert not any("０" <= ch <= "９" for ch in c.text), c.id


def test_ids_do_not_change_when_unrelated_text_changes(corpus):
    doc = corpus.doc("000")
    text = (corpus.root / doc.file).read_text(encoding="utf-8")
    before = [c.id for c in parse_document(doc, text).clauses]
    edited = text.replace("坚持以人民健康为中心，", "坚持以人民健康为中心，新增一句说明文字。", 1)
    edited = edited.replace("（二）医疗技术能力提升计划。", "（二）医疗技术能力提升计划。这里插入\n\n一段新内容。", 1)
    assert edited != text
    assert [c.id for c in parse_document(doc, edited).clauses] == before


def test_no_headings_becomes_paragraphs_with_warning():
    doc = Doc("900", "测试", "Test", "", "", "", "浙江省", "Zhejiang", "x.txt")
    p = parse_document(doc, "第一段内容，没有标题。\n第二段，卫生健康委负责。\n")
    assert [c.id for c in p.clauses] == ["900/段1", "900/段2"]
    assert "no headings" in p.warnings[0]


def test_empty_document_warns_and_yields_nothing():
    doc = Doc("901", "空", "Empty", "", "", "", "浙江省", "Zhejiang", "e.txt")
    p = parse_document(doc, "\n\n— 5 —\n")
    assert p.clauses == () and "empty" in p.warnings[0]


def test_doc_replace_keeps_dataclass_frozen(clauses):
    c = clauses["000/二/（三）/1"]
    with pytest.raises(AttributeError):
        c.title = "x"  # type: ignore[misc]
    assert replace(c, title="x").title == "x"
