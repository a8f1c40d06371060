"""The user's own example report: every indicator value by value, the zeros, no slogan numerals,
4 problems and 3 measures."""
import pytest

# (name, value, unit, qualifier, kind, scope) in document order.
EXPECTED = [
    ("专项学习", 2, "次", "exact", "count", None),
    ("法治宣传活动", 11, "次", "exact", "count", "cumulative"),
    ("普法宣传活动", 30, "次", "more_than", "count", None),
    ("宣传资料", 50000, "份", "more_than", "count", "cumulative"),
    ("行政村法治宣传阵地", 12, "个", "exact", "count", None),
    ("投资", 100000, "元", "more_than", "money", "period"),
    ("村居法治带头人", 18, "人", "exact", "people", "as_of"),  # 目前…在册18人: a count as of now
    ("法律明白人", 37, "人", "exact", "people", "as_of"),
    ("重大行政决策事项审查", 2, "件", "exact", "count", "cumulative"),
    ("镇级合同", 3, "件", "exact", "count", "cumulative"),
    ("村级合同", 15, "件", "exact", "count", "cumulative"),  # 累计 reaches to the next ；
    ("行政复议", 0, None, "exact", "count", "period"),
    ("行政诉讼案件", 0, None, "exact", "count", "period"),
    ("群众来访反映的问题", 377, "件", "exact", "count", "period"),
    ("来访群众", 600, "人次", "more_than", "people", "period"),
    ("群众反映的问题", 370, "件", "exact", "count", "period"),
    ("问题解决率", 98.1, "%", "exact", "rate", "period"),
    ("群众满意率", 100, "%", "exact", "rate", "period"),
]


def test_every_indicator_value_by_value(seed_report):
    got = [(i.name, i.value, i.unit, i.qualifier, i.kind, i.scope) for i in seed_report.indicators]
    assert got == [(n, pytest.approx(v), u, q, k, s) for n, v, u, q, k, s in EXPECTED]


def test_sixteen_quantities_and_two_zeros(seed_report):
    zeros = [i for i in seed_report.indicators if i.value == 0]
    assert len(seed_report.indicators) - len(zeros) == 16
    assert [z.name for z in zeros] == ["行政复议", "行政诉讼案件"]


def test_evidence_offsets_point_into_the_normalised_text(seed_report):
    text = seed_report.text
    for ind in seed_report.indicators:
        assert text[ind.start:ind.end] == ind.text
        assert ind.text in ind.sentence
    money = next(i for i in seed_report.indicators if i.unit == "元")
    assert money.text == "投资10万余元"


def test_no_slogan_numeral_is_an_indicator(seed_report):
    surfaces = " ".join(i.text for i in seed_report.indicators)
    for slogan in ("两个确立", "八五", "十进", "十一个坚持", "一规划两纲要", "两委", "三项制度", "两级", "三步六调", "一刀切"):
        assert slogan not in surfaces


def test_problems_are_four_separate_items(seed_report):
    texts = [p.text for p in seed_report.problems]
    assert len(texts) == 4
    assert texts[0] == "法治议事协调机构运行机制有待进一步完善"
    assert texts[2] == "行政执法力量相对薄弱，行政执法工作存在不规范问题"
    assert texts[3].startswith("矛盾纠纷化解压力仍然较大")


def test_measures_are_three_items_without_enumerators(seed_report):
    texts = [m.text for m in seed_report.measures]
    assert len(texts) == 3
    assert texts[0].startswith("保障议事协调机构规范运行。增强")
    assert texts[1].startswith("推进依法行政不断深入")
    assert texts[2].startswith("积极探索构建社会治理新机制新模式")


def test_metadata(seed_report):
    m = seed_report.meta
    assert (m.title, m.place, m.place_level, m.year, m.report_type) == (
        "X镇2023年法治建设工作自查报告", "X镇", "镇", 2023, "法治建设工作自查报告")


def test_sections_levels_and_roles(seed_report):
    secs = seed_report.sections
    top = [(s.number, s.role) for s in secs if s.level == 1]
    assert top == [("一", "practice"), ("二", "practice"), ("三", "practice"), (None, "problems"), (None, "next_steps")]
    assert [s.heading for s in secs if s.level == 1][:3] == [
        "一、学习宣传贯彻落实习近平法治思想情况",
        "二、党领导法治建设制度和工作机制贯彻落实、发挥作用情况",
        "三、深入推进依法行政、加快建设法治政府情况开展情况"]
    items = [s for s in secs if s.parent == secs[0].id]
    assert [s.heading for s in items] == ["一是将习近平法治思想贯彻工作始终", "二是将普法宣传融入日常工作",
                                          "三是统筹推进法治国家、法治政府、法治社会一体化建设"]
    assert all(s.level == 2 for s in items)
    assert [s.role for s in secs if s.level == 2][-3:] == ["next_steps"] * 3


def test_scrape_markers_and_fullwidth_are_gone(seed_report):
    assert "##" not in seed_report.text and "paidbegin" not in seed_report.text
    assert "％" not in seed_report.text and "＋" not in seed_report.text
    assert "在本地贯彻落实" in seed_report.text
