"""Responsibility lists, inline leads and text targets, as pure functions on real clause text."""

from __future__ import annotations

from rag.extract import extract_inline_leads, extract_responsibilities, extract_targets

# 000 二（一）1, with the line breaks of the source joined.
C000_1 = (
    "超常规推进“医学高峰”建设。到2025年，三甲综合医院三级、四级手术占比达到45%以上。"
    "（责任单位：省卫生健康委〔省中医药局〕、省发展改革委、省科技厅。列第一位的为牵头单位，下同）"
)


def _named_values(text: str) -> list[tuple[str, str]]:
    """(indicator, value) of each target `extract_targets` finds in one sentence."""
    return [(t.indicator, t.value) for t in extract_targets(text, "x", "000", "2025")]


def test_units_in_order_with_alias_kept_apart():
    (r,) = extract_responsibilities(C000_1)
    assert r.units == ("省卫生健康委", "省发展改革委", "省科技厅")
    assert r.aliases == (("省卫生健康委", "省中医药局"),)
    assert r.notes == ("列第一位的为牵头单位，下同",)


def test_collective_body_after_comma_and_standing_rule():
    text = (
        "建设20家左右省级中医特色医院。（责任单位：省卫生健康委〔省中医药局〕、省发展改革委、"
        "省财政厅，各市、县〔市、区〕政府。以下均需各市、县〔市、区〕政府落实，不再列出）"
    )
    (r,) = extract_responsibilities(text)
    assert r.units[-1] == "各市、县〔市、区〕政府"
    assert len(r.units) == 4
    assert r.standing == "各市、县〔市、区〕政府"


def test_huzhou_list_with_district_governments():
    text = "（责任单位：市卫生健康委、市委编办、市医保局，各区县人民政府。列第一的为牵头单位，下同）"
    (r,) = extract_responsibilities(text)
    assert r.units == ("市卫生健康委", "市委编办", "市医保局", "各区县人民政府")


def test_list_span_covers_the_parenthesis():
    (r,) = extract_responsibilities(C000_1)
    assert C000_1[r.span[0] : r.span[1]].startswith("（责任单位：")
    assert C000_1[r.span[1] - 1] == "）"


def test_inline_leads_and_lead_hospital_noun():
    text = "省中医院牵头的胃癌、省立同德医院牵头的重度抑郁症。推动县域医共体牵头医院提标扩能。"
    assert [u for u, *_ in extract_inline_leads(text)] == ["省中医院", "省立同德医院"]


def test_target_with_comparator_value_year_and_evidence():
    (t,) = extract_targets(C000_1, "000/二/（一）/1", "000")
    assert (t.indicator, t.comparator, t.value, t.year) == ("三甲综合医院三级、四级手术占比", "以上", "45%", "2025")
    assert t.evidence in C000_1


def test_target_year_defaults_to_plan_horizon_with_note():
    (t,) = extract_targets("省级三甲综合医院日间手术比例达到25%以上。", "x", "000", "2025")
    assert (t.indicator, t.value, t.year, t.year_note) == ("省级三甲综合医院日间手术比例", "25%", "2025", "plan horizon")


def test_two_targets_in_one_sentence():
    ts = extract_targets("到2025年，县域就诊率达到90%以上，基层就诊率达到65%以上。", "x", "000")
    assert [(t.indicator, t.value) for t in ts] == [("县域就诊率", "90%"), ("基层就诊率", "65%")]


def test_count_target_names_what_is_counted():
    (t,) = extract_targets("建设20家左右省级中医特色医院。", "x", "000")
    assert (t.comparator, t.value) == ("左右", "20家")
    assert "省级中医特色医院" in t.indicator


def test_from_to_keeps_only_the_goal():
    ts = extract_targets("区县级三级公立医院占比从20%提升至40%。", "x", "002")
    assert [(t.indicator, t.value) for t in ts] == [("区县级三级公立医院占比", "40%")]


def test_years_and_document_numbers_are_not_targets():
    assert extract_targets("国办发〔2021〕18号文件于2021年12月20日印发。", "x", "000") == []


def test_inline_leads_by_host_and_by_charge_with_scope():
    text = ("依托浙医一院谋划建设省公共卫生临床中心。依托高水平综合医院建设区域医疗中心。"
            "浙江大学医学院附属口腔医院（以下简称浙大口腔医院）需承担积极争创国家口腔区域医疗中心任务；"
            "浙大儿院和浙大妇产科医院需负责相应的区域医疗中心建设工作。")
    leads = extract_inline_leads(text)
    assert [u for u, *_ in leads] == ["浙医一院", "浙大口腔医院", "浙大儿院", "浙大妇产科医院"]
    assert all(sentence in text and scope in sentence for _, sentence, scope in leads)
    assert leads[1][2].startswith("积极争创国家口腔区域医疗中心")
    assert leads[2][2] == leads[3][2]  # two hospitals charged with one task share its scope


def test_units_taking_on_their_share_of_a_task_are_charged_with_it():
    # 003 省级综合医院: "承担相应的…工作" without 需 charges every hospital listed before it
    text = "除具备省级医院一般功能定位外，浙医一院、浙医二院和省人民医院承担相应的国家医学中心建设工作。"
    leads = extract_inline_leads(text)
    assert [u for u, *_ in leads] == ["浙医一院", "浙医二院", "省人民医院"]
    assert {scope for *_, scope in leads} == {"相应的国家医学中心建设工作。"}
    assert extract_inline_leads("支持承担国家区域医学中心建设任务的省级医院提质扩容。") == []


def test_every_unit_of_a_listed_overall_lead():
    # 002/六/（二） 部门联动: both bureaus lead overall; neither is a "lead hospital" noun
    text = "市财政局、市卫生健康委发挥牵头抓总作用，加强统筹协调和监督指导。推动县域医共体牵头医院提标扩能。"
    leads = extract_inline_leads(text)
    assert [u for u, *_ in leads] == ["市财政局", "市卫生健康委"]
    assert leads[0][1:] == leads[1][1:] and leads[0][1].startswith("市财政局、")


def test_a_count_closing_what_a_build_verb_builds_is_a_target():
    # 002/附件2 year cells and running text: verb, the thing, then how many
    ts = extract_targets("加快中医药传承创新，建设市级名中医工作室7个，加快名老中医师带徒学术继承人培养。",
                         "x", "002", "2023", yearly_plan=True)
    assert [(t.indicator, t.value, t.year) for t in ts] == [("建设市级名中医工作室", "7个", "2023")]
    ts = extract_targets("建成危重孕产妇和新生儿救治中心14家、五星级孕产和儿童保健门诊各20家、医防护儿童健康管理中心17家。",
                         "x", "002", "2023", yearly_plan=True)
    assert [t.value for t in ts] == ["14家", "20家", "17家"]  # the list's next items count too
    assert ts[2].indicator == "医防护儿童健康管理中心"
    # a count that is not what a verb builds is not a goal
    assert extract_targets("聚焦山区26县和6个海岛县，深化医疗卫生“山海”提升工程。", "x", "001", "2027") == []


def test_an_age_group_is_not_a_target():
    ts = extract_targets("完善3岁以下婴幼儿照护服务政策，乡镇（街道）3岁以下婴幼儿照护服务机构覆盖率达到50%以上。",
                         "x", "004", "2025")
    assert [(t.indicator, t.value) for t in ts] == [("乡镇（街道）3岁以下婴幼儿照护服务机构覆盖率", "50%")]
    (t,) = extract_targets("人均期望寿命达到83岁以上。", "x", "004", "2025")
    assert t.value == "83岁"  # an age the sentence ends on is the goal


def test_at_least_is_a_comparator_and_names_what_follows():
    ts = extract_targets("推进市级安宁疗护培训基地建设，各区、县（市）至少建有2个安宁疗护病区，"
                         "每个设区市设置至少1家二级以上康复医院。", "x", "004", "2025")
    assert [(t.indicator, t.comparator, t.value) for t in ts] == [
        ("各区、县（市）安宁疗护病区", "至少", "2个"), ("每个设区市设置二级以上康复医院", "至少", "1家")]
    # "至少负责1个山区海岛县": a hospital's share of the work, not a figure to reach
    assert extract_targets("综合实力较强的省级三甲医院至少负责1个山区海岛县下沉工作。", "x", "003", "2025") == []


def test_and_above_after_a_count_and_the_thing_set_up_after_it():
    (t,) = extract_targets("健全院前医疗急救网络，建制乡镇设置1个及以上急救站（点），全面建成覆盖城乡的急救网络。",
                           "x", "002", "2025")
    assert (t.indicator, t.comparator, t.value) == ("建制乡镇设置急救站", "及以上", "1个")


def test_lead_before_item_scope_stops_at_the_next_item():
    text = "省中医院牵头的胃癌、省立同德医院牵头的重度抑郁症、省新华医院牵头的系统性红斑狼疮3个项目获批。"
    assert [scope for *_, scope in extract_inline_leads(text)] == ["胃癌", "重度抑郁症", "系统性红斑狼疮"]


def test_respectively_gives_each_value_its_own_indicator_and_comparator():
    ts = extract_targets("全市每千人执业（助理）医师数、千人注册护士数、千人医疗卫生机构床位数分别达到3.38人、3.26人和6.07张。", "x", "004", "2025")
    assert [(t.indicator, t.value) for t in ts] == [
        ("每千人执业（助理）医师数", "3.38人"), ("千人注册护士数", "3.26人"), ("千人医疗卫生机构床位数", "6.07张")]
    ts = extract_targets("城镇职工和城乡医保政策范围内报销比例分别维持在85%、70%；重症床位占比分别达到4%、8%以上。", "x", "002", "2025")
    assert ts[1].indicator == "城乡医保政策范围内报销比例" and ts[0].indicator.endswith("（城镇职工）")
    assert [t.comparator for t in ts[2:]] == ["以上", "以上"]  # 以上 qualifies both values


def test_values_joined_like_their_subjects_are_respective_without_fenbie():
    # Huzhou 附件2: "门诊和住院患者满意度平均达90和92以上" — 92 is the inpatients', not a second
    # figure for the whole phrase; both keep 以上.
    ts = extract_targets("公立医院门诊和住院患者满意度平均达90和92以上。", "x", "002", "2025")
    assert [(t.indicator, t.comparator, t.value) for t in ts] == [
        ("公立医院门诊", "以上", "90"), ("住院患者满意度平均", "以上", "92")]
    # One subject with two values joined by 和 is left alone (not split into items it lacks).
    ts = extract_targets("床位使用率达80和85以上。", "x", "004", "2025")
    assert {t.indicator for t in ts} == {ts[0].indicator} and "床位使用率" in ts[0].indicator


def test_respectively_finds_its_items_in_an_earlier_sub_sentence():
    text = ("全面加强县级二甲以上和省市三级综合医院的重症学科（含综合ICU、专科ICU）建设，"
            "重症床位占总床位数的比例分别达到4%、8%以上。")
    assert [(t.indicator, t.comparator, t.value) for t in extract_targets(text, "x", "001", "2027")] == [
        ("重症床位占总床位数的比例（县级二甲以上）", "以上", "4%"),
        ("重症床位占总床位数的比例（省市三级综合医院）", "以上", "8%")]
    text = "省级、市级医院每百名卫技人员年科研经费分别达到250万元、60万元以上，科研成果转移转化金额分别达到170万元、30万元以上。"
    assert [t.indicator for t in extract_targets(text, "x", "001", "2027")] == [
        "省级、市级医院每百名卫技人员年科研经费（省级）", "省级、市级医院每百名卫技人员年科研经费（市级医院）",
        "科研成果转移转化金额（省级）", "科研成果转移转化金额（市级医院）"]


def test_count_whose_noun_follows_keeps_its_own_noun():
    ts = extract_targets("建成1个以上国家医学中心、10个以上专业类别国家区域医疗中心。", "x", "001", "2027")
    assert [(t.indicator, t.value) for t in ts] == [("建成国家医学中心", "1个"), ("专业类别国家区域医疗中心", "10个")]


def test_yearly_plan_cell_counts_are_targets_for_that_year():
    (t,) = extract_targets("累计建成6个县域医疗副中心。", "x", "002", "2024", yearly_plan=True)
    assert (t.value, t.year, t.year_note) == ("6个", "2024", "")
    (t,) = extract_targets("累计建成6个县域医疗副中心。", "x", "002", "2024")  # running text: the plan's horizon
    assert (t.value, t.year, t.year_note) == ("6个", "2024", "plan horizon")


def test_commitments_without_a_comparator_are_targets():
    def got(text: str) -> list[tuple[str, str, str]]:
        return [(t.indicator, t.comparator, t.value) for t in extract_targets(text, "x", "001", "2027")]

    assert got("推广50项重大疑难疾病中西医结合诊疗技术和100个优势病种中医诊疗方案。") == [
        ("推广重大疑难疾病中西医结合诊疗技术", "", "50项"), ("优势病种中医诊疗方案", "", "100个")]
    assert got("每千名儿童拥有儿科执业（助理）医生1.12人。") == [("每千名儿童拥有儿科执业（助理）医生", "", "1.12人")]
    assert got("打造3-5个省级中医临床教学培训示范中心。")[0][2] == "3-5个"
    assert got("派出人员连续任职不少于2年。") == [("派出人员连续任职", "不少于", "2年")]
    assert got("平均急救反应时间少于13分钟。") == [("平均急救反应时间", "少于", "13分钟")]
    assert got("全市医疗卫生机构床位数达到3.5万张以上。") == [("医疗卫生机构床位数", "以上", "3.5万张")]
    assert got("用3年时间完成改造，引进10名专家。") == [("引进专家", "", "10名")]


def test_counts_named_by_the_words_after_them_share_the_last_noun():
    text = "新增1个以上（包括1个，下同）国家级、3个以上省级、5个以上市级和20个以上区县级临床重点专科。"
    assert [(t.indicator, t.value) for t in extract_targets(text, "x", "002", "2025")] == [
        ("新增国家级临床重点专科", "1个"), ("省级临床重点专科", "3个"), ("市级临床重点专科", "5个"),
        ("区县级临床重点专科", "20个")]


def test_a_rank_is_part_of_the_indicator_and_an_aside_with_a_comparator_is_a_target():
    text = "进入全国前3的学科数量达10个以上，前10的学科数量达30个以上。"
    assert [t.indicator for t in extract_targets(text, "x", "003", "2025")] == ["进入全国前3的学科数量", "前10的学科数量"]
    ts = extract_targets("原则上按照医院编制床位的10%-15%（或不少于200张）设置重症监护病床。", "x", "003", "2025")
    assert ("不少于", "200张") in [(t.comparator, t.value) for t in ts]


def test_a_part_of_a_goal_after_其中_is_a_target():
    ts = extract_targets("2025年全市入网救护车达到169辆，其中负压救护车49辆。", "x", "004", "2025")
    assert [(t.indicator, t.value) for t in ts] == [("入网救护车", "169辆"), ("负压救护车", "49辆")]


def test_a_short_share_after_a_longer_one_is_of_the_same_whole():
    ts = extract_targets("县级公立医院中的三级医院占比达到30%、床位占比达到60%以上。", "x", "000", "2025")
    assert [t.indicator for t in ts] == ["县级公立医院中的三级医院占比", "县级公立医院中的三级医院床位占比"]


def test_a_count_opening_a_goal_and_counts_after_more_verbs():
    assert _named_values("推进医疗卫生山海提升工程，32家山区海岛县级医院医疗服务能力达到国家推荐标准。") == [
        ("山区海岛县级医院医疗服务能力达到国家推荐标准", "32家")]
    assert _named_values("争取入围1-2个国家级中医临床教学培训示范中心。") == [("入围国家级中医临床教学培训示范中心", "1-2个")]
    assert _named_values("1000人口以上行政村的村卫生室设置率达到100%。") == [("1000人口以上行政村的村卫生室设置率", "100%")]
    assert _named_values("实现5G院前急救信息化全覆盖。") == []  # 5G is a name


def test_a_count_closing_a_list_a_build_verb_opened():
    assert _named_values("高标准建设传染病医学中心及心血管病、创伤、呼吸、妇产、儿童、癌症等6个专业类国家区域医疗中心。") == [
        ("专业类国家区域医疗中心", "6个")]
    assert _named_values("优先发展人体器官移植、血液病、重症医学等10个医学重点培育专科（学科）。") == [("医学重点培育专科", "10个")]
    assert _named_values("浙医一院、浙医二院等10家省级医院成功承担建设任务。") == []  # no build verb opens the list


def test_ten_thousands_a_rates_base_and_a_striving_adverb():
    assert _named_values("优化体检项目，年体检人数达到1000万以上。") == [("年体检人数", "1000万")]
    assert _named_values("按照每3万常住人口不低于1辆的标准配置救护车。") == [("按照每3万常住人口", "1辆")]  # 3万: the base
    assert _named_values("力争50%以上的乡镇卫生院（社区卫生服务中心）提供安宁疗护服务。") == [("乡镇卫生院提供安宁疗护服务", "50%")]


def test_a_base_ending_in_的_and_an_alternative_in_brackets_name_what_follows():
    ts = extract_targets("原则上按照医院编制床位的10%-15%（或不少于200张）设置重症监护病床。", "x", "003", "2025")
    assert [(t.indicator, t.value) for t in ts if t.value != "10%"] == [
        ("设置重症监护病床", "15%"), ("设置重症监护病床", "200张")]


def test_a_count_whose_noun_follows_a_list_of_attributes_closed_by_的():
    assert _named_values("新建10-15个技术领先、特色明显、团队合理的重中之重学科。") == [
        ("新建技术领先、特色明显、团队合理的重中之重学科", "10-15个")]
    assert _named_values("扶持10—20个有潜力、有特色的重点培育专科。")[0][0].endswith("重点培育专科")
