"""Tables recovered from the real plans: exact rows, cells, tasks and line accounting."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.model import Cell
from rag.normalize import Line, clean_lines
from rag.tables import Tables, extract_tables, parse_cell, row_text

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
FILES = {p.name[:3]: p for p in sorted(CORPUS.glob("*.txt"))}


def _lines(doc: str) -> list[Line]:
    return clean_lines(FILES[doc].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def found() -> dict[str, Tables]:
    return {doc: extract_tables(doc, _lines(doc)) for doc in FILES}


@pytest.fixture(scope="module")
def rows(found):
    return {r.row_id: r for t in found.values() for r in t.rows}


@pytest.fixture(scope="module")
def tasks(found):
    return {t.row_id: t for t in found["002"].tasks}


def _cells(row) -> list[tuple[str, str, str, str]]:
    return [(c.year, c.comparator, c.value, c.role) for c in row.cells]


# ---------------------------------------------------------------- cell parser


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("≥38.5％", "", ("≥", "38.5")),
        ("８２． ４", "", ("", "82.4")),
        ("９４\ue010 ７", "", ("", "94.7")),
        ("＞90", "", (">", "90")),
        ("≦5％", "", ("≤", "5")),
        ("83 岁 以 上", "岁", ("以上", "83")),
        ("4.0 以 下", "", ("以下", "4.0")),
        ("107左右", "", ("左右", "107")),
        ("8以下", "", ("以下", "8")),
        ("不低于50%", "", ("不低于", "50")),
        ("1.00", "", ("", "1.00")),
        ("7/16", "个", ("", "7/16")),
    ],
)
def test_parse_cell(text, unit, expected):
    assert parse_cell(text, unit) == expected


@pytest.mark.parametrize("text", ["同比例提高", "力争保持全国前三", "≥", "", "3岁以下婴幼儿托位"])
def test_parse_cell_rejects_text(text):
    assert parse_cell(text) is None


# ---------------------------------------------------------------- regions and accounting


def test_table_ids_and_titles(found):
    titles = {k: v for t in found.values() for k, v in t.titles.items()}
    assert titles == {
        "001/附件": "浙江省卫生健康现代化建设重点指标体系",
        "002/附件1": "分年度主要目标表",
        "002/附件2": "实施计划表",
        "002/附件3": "绩效目标表",
        "004/表1": "“十三五”规划主要指标完成情况",
        "004/表2": "“十四五”时期卫生健康事业发展主要指标值",
    }
    assert not found["000"].consumed and not found["003"].consumed


def test_row_counts(found):
    counts: dict[str, int] = {}
    for t in found.values():
        for r in t.rows:
            counts[r.table_id] = counts.get(r.table_id, 0) + 1
    assert counts == {
        "001/附件": 34,
        "002/附件1": 10,
        "002/附件3": 22,
        "004/表1": 18,
        "004/表2": 21,
    }
    numbers = {r.row_id.split("/")[-1].split(".")[0] for r in found["001"].rows}
    assert numbers == {str(n) for n in range(1, 32)}  # 31 numbered indicators
    assert len(found["002"].tasks) == 15


def test_every_table_line_is_placed_or_reported(found):
    for doc, t in found.items():
        placed = {n for nos in t.lines.values() for n in nos}
        unplaced = {ln.no for ln in t.unplaced}
        assert placed | unplaced == set(t.consumed), doc
        assert not placed & unplaced, doc
    assert sum(len(t.unplaced) for t in found.values()) == 0


def test_annex_list_in_body_is_not_a_table(found):
    lines = {ln.no: ln.text for ln in _lines("002")}
    assert lines[743] == "附件：1.分年度主要目标表" and 743 not in found["002"].consumed
    assert min(found["002"].consumed) == 748  # "附件 1"
    assert min(found["004"].consumed) == 47 and max(found["004"].consumed) == 146
    assert (min(found["001"].consumed), max(found["001"].consumed)) == (582, 719)


def test_row_ids_are_unique_and_stable():
    lines = _lines("002")
    first = extract_tables("002", lines)
    # Unrelated body text (with years and a 附件 mention) must not renumber anything.
    extra = [Line(740, "（七）其他事项。本方案自 2024 年起施行。"), Line(741, "附件：见后")]
    second = extract_tables("002", lines[:300] + extra + lines[300:])
    assert [r.row_id for r in first.rows] == [r.row_id for r in second.rows]
    assert [t.row_id for t in first.tasks] == [t.row_id for t in second.tasks]
    ids = [r.row_id for r in first.rows] + [t.row_id for t in first.tasks]
    assert len(ids) == len(set(ids))


# ---------------------------------------------------------------- 001 附件 重点指标体系


def test_001_first_row(rows):
    r = rows["001/附件/1"]
    assert (r.indicator, r.unit, r.category, r.attribute) == (
        "人均预期寿命",
        "岁",
        "健康水平",
        "预期性",
    )
    assert _cells(r) == [
        ("2023", "", "82.4", "target"),
        ("2025", "", "82.5", "target"),
        ("2027", "", "82.7", "target"),
    ]
    assert not r.ambiguous and r.raw == "1 人均预期寿命（岁） 82.4 82.5 82.7 预期性"


def test_001_pua_decimal_and_units(rows):
    assert rows["001/附件/5"].cell("2027") == Cell("2027", "", "94.7")
    assert rows["001/附件/3"].unit == "1/10万"
    assert rows["001/附件/4"].unit == "‰"
    r = rows["001/附件/23"]
    assert (r.indicator, r.unit) == ("适龄儿童国家免疫规划疫苗接种率（以乡镇为单位）", "%")


def test_001_names_broken_over_lines(rows):
    r = rows["001/附件/17"]
    assert (r.indicator, r.unit) == ("每千名老年人医疗机构康复护理床位数", "张")
    assert [c.value for c in r.cells] == ["5.0", "5.5", "5.8"]
    assert rows["001/附件/18"].indicator == "每千人口拥有3岁以下婴幼儿托位数"
    r = rows["001/附件/16"]
    assert r.indicator == "乡镇卫生院（社区卫生服务中心）服务能力达到国家标准占比"
    assert r.attribute == "约束性"


def test_001_sub_rows(rows):
    assert rows["001/附件/8.1"].indicator == "中国医院科技量值（STEM）·百强医院"
    assert _cells(rows["001/附件/8.2"]) == [
        ("2023", "≥", "225", "target"),
        ("2025", "≥", "230", "target"),
        ("2027", "≥", "235", "target"),
    ]
    names = [rows[f"001/附件/9.{i}"].indicator.split("·") for i in (1, 2, 3)]
    assert {n[0] for n in names} == {"国家医疗健康信息互联互通标准化成熟度评价"}
    assert [n[1] for n in names] == ["达五级的设区市", "达四级以上的县市区", "达四级以上的医疗机构"]
    assert rows["001/附件/9.3"].cell("2027") == Cell("2027", "≥", "130")
    assert rows["001/附件/9.2"].unit == "个"
    assert "001/附件/8" not in rows and "001/附件/9" not in rows


def test_001_rows_19_20_share_a_name(rows):
    r19, r20 = rows["001/附件/19"], rows["001/附件/20"]
    assert r19.indicator == "全国三级公立医院绩效考核排名·西医类"
    assert r20.indicator == "全国三级公立医院绩效考核排名·中医类"
    assert _cells(r19) == [("", "", "力争保持全国前三", "target")] and r19.ambiguous
    assert r20.category == "健康服务"


def test_001_fewer_values_than_years_are_not_guessed(rows):
    r = rows["001/附件/7"]
    assert r.ambiguous and _cells(r) == [("", "≥", "5", "target")]
    r = rows["001/附件/21"]
    assert r.ambiguous and [(c.comparator, c.value) for c in r.cells] == [("", "89.5"), ("≥", "90")]
    assert "89.5 ≥90" in r.raw and r.cell("2025") is None
    r = rows["001/附件/2"]
    assert _cells(r) == [("", "", "同比例提高", "target")] and r.ambiguous
    assert rows["001/附件/27"].cells[0].value == "稳步提升"
    assert rows["001/附件/27"].attribute == "约束性"
    assert sum(r.ambiguous for r in rows.values() if r.table_id == "001/附件") == 16


def test_001_categories(rows):
    cats = [rows[f"001/附件/{n}"].category for n in ("6", "7", "10", "11", "22", "26", "31")]
    assert cats == [
        "健康水平",
        "健康科技",
        "健康科技",
        "健康资源",
        "健康服务",
        "健康保障",
        "综合指数",
    ]


# ---------------------------------------------------------------- 002 附件1 分年度主要目标表


def test_002_annex1_rows(rows):
    r = rows["002/附件1/1"]
    assert (r.indicator, r.unit, r.category) == ("县域内住院量占比", "%", "分级诊疗格局")
    assert _cells(r) == [
        ("2022", "", "90.76", "baseline"),
        ("2023", ">", "90", "target"),
        ("2024", ">", "90", "target"),
        ("2025", ">", "90", "target"),
    ]
    r = rows["002/附件1/3"]
    assert (r.indicator, r.unit) == ("三级公立医院病例组合指数（CMI值）", "")
    assert [c.value for c in r.cells] == ["0.95", "1.00", "1.05", "1.10"]
    assert rows["002/附件1/2"].indicator == "基层医疗卫生机构诊疗量占总诊疗量的比例"
    assert rows["002/附件1/9"].cell("2025") == Cell("2025", "", "48.00")
    assert rows["002/附件1/8"].category == "三医协同发展治理"
    assert rows["002/附件1/7"].category == "公立医院高质量发展"


# ---------------------------------------------------------------- 002 附件3 绩效目标表


def test_002_annex3_cmi_row(rows):
    r = rows["002/附件3/8"]
    assert r.indicator == "三级公立医院病例组合指数（CMI值）"
    assert _cells(r) == [
        ("2022", "", "0.95", "baseline"),
        ("2023", "≥", "1.0", "target"),
        ("2024", "≥", "1.05", "target"),
        ("2025", "≥", "1.1", "target"),
    ]
    assert (
        row_text(r)
        == "三级公立医院病例组合指数（CMI值）：2022年 0.95；2023年 ≥1.0；2024年 ≥1.05；2025年 ≥1.1"
    )


def test_002_annex3_comparator_on_its_own_line(rows):
    r = rows["002/附件3/1"]
    assert r.indicator == "医疗服务收入（不含药品、耗材、检查、化验收入）占公立医院医疗收入的比例"
    assert (r.unit, r.category) == ("%", "产出指标/数量指标")
    assert [(c.comparator, c.value) for c in r.cells] == [
        ("", "38.09"),
        ("≥", "38.5"),
        ("≥", "39"),
        ("≥", "40"),
    ]
    assert rows["002/附件3/13"].cell("2024") == Cell("2024", "≤", "8.40")


def test_002_annex3_categories_and_odd_rows(rows):
    assert rows["002/附件3/5"].category == "产出指标/质量指标"
    assert rows["002/附件3/11"].category == "产出指标/成本指标"
    assert rows["002/附件3/19"].category == "效益指标/社会效益指标"
    assert rows["002/附件3/22"].category == "满意度指标/满意度指标"
    assert rows["002/附件3/22"].cell("2022") == Cell("2022", "", "87.65", "baseline")
    r = rows["002/附件3/21"]  # 门诊 and 住院 values side by side: 8 values, 4 columns
    assert r.ambiguous and [c.value for c in r.cells][:3] == ["89.73", "93.00", "90"]
    assert rows["002/附件3/14"].ambiguous and len(rows["002/附件3/14"].cells) == 5


def test_002_annex3_extra(found):
    extra = {cid: (title, text) for cid, title, text in found["002"].extra}
    assert set(extra) == {
        "002/附件3/项目信息",
        "002/附件3/项目资金",
        "002/附件3/目标1",
        "002/附件3/目标2",
        "002/附件3/目标3",
    }
    assert extra["002/附件3/项目资金"][1] == (
        "项目资金（万元）：97500；申请中央补助资金（万元）：50000；地方资金（万元）：34850；其他（万元）：12650"
    )
    assert "中央主管部门：财政部、国家卫生健康委" in extra["002/附件3/项目信息"][1]
    assert extra["002/附件3/目标1"] == (
        "总体目标 目标1",
        "目标1：优质高效的全市域分级诊疗体系更加完善，县域内住院量占比稳定在90%以上；",
    )
    assert extra["002/附件3/目标3"][1].endswith("公立医院门诊和住院次均费用增幅均≤5%。")


# ---------------------------------------------------------------- 002 附件2 实施计划表


def test_002_first_task(tasks):
    t = tasks["002/附件2/1"]
    assert t.area == "市域整合型服务体系“五大改革项目”"
    assert t.project == "健共体（健联体）深化改革项目"
    assert t.task == "“2+N”紧密型城市医疗集团建设"
    assert t.bodies == ("市中心医院", "市第一人民医院")
    assert t.content.startswith("深入推进2个紧密型城市医疗集团建设")
    assert (
        dict(t.plans)["2024"] == "医疗集团在岗位管理、薪酬制度改革、绩效评价等方面形成标志性成果。"
    )
    assert [y for y, _ in t.plans] == ["2023", "2024", "2025"]
    assert "市中心医院、市第一人民医院" in t.raw


def test_002_tasks_bodies(tasks):
    assert tasks["002/附件2/2"].bodies == ("区县卫生健康局", "县级公立医院")
    assert tasks["002/附件2/8"].bodies == ("市卫生健康委", "市医保局", "德清县")
    assert tasks["002/附件2/12"].bodies == ("市卫生健康委", "市级公立医院", "各区县")
    assert tasks["002/附件2/14"].bodies == ("市卫生健康委", "各公立医院")
    assert tasks["002/附件2/4"].task == "打造长三角市域医学高地"


def test_002_task_areas_and_projects_carry_over_pages(tasks):
    t = tasks["002/附件2/8"]
    assert (t.area, t.project, t.task) == (
        "三医协同发展治理“五大改革行动”",
        "深化医保支付方式改革行动",
        "健共体下三医联动改革",
    )
    assert dict(t.plans)["2024"] == "支付方式模式向湖州市全市域推广。"
    t = tasks["002/附件2/12"]  # a new project without the area repeated
    assert (t.area, t.project) == ("公立医院高质量发展“五大改革工程”", "就医体验全流程提优改革工程")
    assert tasks["002/附件2/5"].project == "长三角市域医学高地提能改革项目"
    assert tasks["002/附件2/15"].task == "公立医院党建全行业引领改革工程"


def test_002_tasks_with_several_sentences_per_cell(tasks):
    # Cells with more than one 。 at a line end: the boundary is chosen by column width.
    plans = dict(tasks["002/附件2/4"].plans)
    assert plans["2023"].endswith("第一批选送30名赴浙大培训6月。启动市大健康实验室平台建设。")
    assert plans["2024"].startswith("推动建设湖州市医学中心")
    assert tasks["002/附件2/6"].content.endswith("建设全覆盖。新增3家县级三级医院。")
    assert dict(tasks["002/附件2/6"].plans)["2023"].startswith("开展五大中心创建行动")
    assert dict(tasks["002/附件2/11"].plans)["2025"].endswith("千人执业医师数将达到3.8。")
    assert dict(tasks["002/附件2/13"].plans)["2024"].endswith("旅游示范基地1个。")
    assert tasks["002/附件2/14"].content.endswith("各公立医院加强预算、成本、运营一体化建设。")


def test_002_every_task_has_three_plans(tasks):
    for t in tasks.values():
        assert len(t.plans) == 3 and all(p.endswith("。") for _, p in t.plans), t.row_id
        assert t.task and t.bodies and t.content.endswith("。"), t.row_id


# ---------------------------------------------------------------- 004 表1 / 表2


def test_004_table1(rows):
    r = rows["004/表1/2"]
    assert (r.indicator, r.unit, r.category) == ("5岁以下儿童死亡率", "%", "健康素质")
    assert _cells(r) == [("2020", "以下", "8", "target"), ("2020", "", "2.45", "result")]
    r = rows["004/表1/5"]
    assert (r.unit, r.category, r.cells[0].comparator, r.cells[0].value) == (
        "",
        "人口发展",
        "左右",
        "107",
    )
    assert rows["004/表1/17"].unit == "个" and rows["004/表1/17"].cells[1].value == "34/65"
    assert rows["004/表1/12"].category == "资源配置"
    assert row_text(rows["004/表1/1"]) == "人均期望寿命（岁）：2020年目标 81；2020年完成情况 82.87"


def test_004_table2_letter_spaced(rows):
    r = rows["004/表2/1"]
    assert (r.indicator, r.unit, r.category) == ("人均期望寿命", "岁", "健康水平指标")
    assert _cells(r) == [("2025", "以上", "83", "target")]
    r = rows["004/表2/7"]
    assert (r.indicator, r.category) == ("每千人执业（助理）医师数", "服务体系指标")
    assert rows["004/表2/12"].unit == "床/万人"
    assert rows["004/表2/3"].unit == "1/10万"
    assert rows["004/表2/21"].cells == (Cell("2025", "左右", "108"),)
    assert rows["004/表2/20"].category == "服务效能指标"


# ---------------------------------------------------------------- generic behaviour


def test_synthetic_annex_with_other_years():
    text = "\n".join(
        [
            "正文。",
            "附件",
            "示例指标表",
            "类别 序号 指 标 2024 年 2026 年 性质",
            "健康",
            "1 床位数（张） 6. 1 ≥6. 5 约束性",
            "2",
            "示例复合",
            "指标",
            "甲类（个） ≥3 ≥4 预期性",
            "乙类（个） 5 预期性",
        ]
    )
    t = extract_tables("999", clean_lines(text))
    got = {r.row_id: r for r in t.rows}
    assert set(got) == {"999/附件/1", "999/附件/2.1", "999/附件/2.2"}
    assert _cells(got["999/附件/1"]) == [
        ("2024", "", "6.1", "target"),
        ("2026", "≥", "6.5", "target"),
    ]
    assert got["999/附件/2.1"].indicator == "示例复合指标·甲类"
    assert got["999/附件/2.2"].ambiguous and got["999/附件/2.2"].category == "健康"
    assert 1 not in t.consumed and not t.unplaced


def test_row_text_ambiguous_and_percent(rows):
    assert (
        row_text(rows["001/附件/7"]) == "高水平研究型医院（个）：≥5（原表未标明对应年份）（预期性）"
    )
    assert row_text(rows["002/附件1/1"]).startswith("县域内住院量占比：2022年 90.76%；2023年 >90%")


@pytest.mark.parametrize("doc", ["001", "002", "004"])
def test_damaged_tables_never_raise_and_account_for_every_line(doc):
    lines = _lines(doc)
    variants = [lines[:k] for k in range(len(lines) - 1, 0, -37)]
    variants += [[ln for i, ln in enumerate(lines) if i % step] for step in (3, 5, 11)]
    for variant in variants:
        t = extract_tables(doc, variant)
        placed = {n for nos in t.lines.values() for n in nos}
        assert placed | {ln.no for ln in t.unplaced} == set(t.consumed)
