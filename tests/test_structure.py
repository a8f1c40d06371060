import pathlib
import time

import pytest
import yaml

from conftest import case_params
from nlp_reports.analyse import analyse_text
from nlp_reports.extract.items import extract_items
from nlp_reports.meta import read_meta
from nlp_reports.normalise import normalise
from nlp_reports.structure import parse_sections, sentences, title_span

REPORT = """长寿镇2022年安全生产工作自查报告
今年以来，我镇认真贯彻落实上级安全生产工作部署，现将有关情况报告如下。
第一部分 主要工作开展情况
（一）强化组织领导
镇党委、政府主要领导亲自抓，召开专题会议6次。
1.压实企业主体责任。全年检查企业120家次。
2.开展隐患排查整治。排查隐患86处，已整改83处。
（二）加强宣传教育
举办培训班3期。
第二部分 存在的问题
一是部分企业主体责任落实不到位；二是隐患整改不够及时。
第三部分 下一步工作打算
持续开展隐患排查
继续加大检查力度，确保不发生较大以上事故。
长寿镇人民政府
2022年12月20日"""


def test_heading_styles_levels_parents_and_roles():
    text = normalise(REPORT)
    secs = parse_sections(text)
    got = [(s.level, s.heading, s.role, s.parent) for s in secs]
    assert got == [
        (1, "第一部分主要工作开展情况", "practice", None),
        (2, "（一）强化组织领导", "practice", 0),
        (3, "1.压实企业主体责任", "practice", 1),
        (3, "2.开展隐患排查整治", "practice", 1),
        (2, "（二）加强宣传教育", "practice", 0),
        (1, "第二部分存在的问题", "problems", None),
        (1, "第三部分下一步工作打算", "next_steps", None),
        (2, "持续开展隐患排查", "next_steps", 6),
    ]
    # The closing unit name and date are not headings.
    assert all("人民政府" not in s.heading for s in secs)


def test_problem_items_split_from_an_enumerated_paragraph():
    text = normalise(REPORT)
    items = extract_items(text, parse_sections(text), "problems")
    assert [i.text for i in items] == ["部分企业主体责任落实不到位", "隐患整改不够及时"]


def test_sentences_split_at_stops_and_lines():
    text = "开展活动3次。发放资料200份！\n群众满意"
    assert [text[a:b] for a, b in sentences(text)] == ["开展活动3次。", "发放资料200份！", "群众满意"]


MIXED = """X镇2022年安全生产自查报告
一、主要工作
全年开展检查12次。
二、存在的问题及下一步打算
（一）存在的问题
一是隐患整改不够及时；二是宣传不够深入。
（二）下一步打算
一是补齐应急短板。加大应急物资投入，充实应急队伍。
二是严格执法问责。对拒不整改的企业依法处罚。
X镇人民政府
二〇二二年十二月"""


def test_children_of_a_mixed_part_take_their_own_roles_and_items_inherit():
    text = normalise(MIXED)
    secs = parse_sections(text)
    assert [(s.heading, s.role) for s in secs] == [
        ("一、主要工作", "practice"), ("二、存在的问题及下一步打算", "problems"), ("（一）存在的问题", "problems"),
        ("（二）下一步打算", "next_steps"), ("一是补齐应急短板", "next_steps"), ("二是严格执法问责", "next_steps")]
    assert [i.text for i in extract_items(text, secs, "next_steps")] == [
        "补齐应急短板。加大应急物资投入，充实应急队伍", "严格执法问责。对拒不整改的企业依法处罚"]
    # the problems are the items of the problems child only, not the whole mixed part
    assert [i.text for i in extract_items(text, secs, "problems")] == ["隐患整改不够及时", "宣传不够深入"]


# -- the case table of messy layouts (tests/cases/structure.yaml) -----------------------------
CASE_FIELDS = {"id", "text", "sections", "problems", "measures", "meta", "xfail"}
META_FIELDS = {"title", "place", "place_level", "year", "report_type"}


def _load_cases() -> list[dict]:
    cases = yaml.safe_load((pathlib.Path(__file__).parent / "cases" / "structure.yaml").read_text(encoding="utf-8"))
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for case in cases:
        assert set(case) <= CASE_FIELDS and {"id", "text"} <= set(case), case["id"]
        assert set(case) & {"sections", "problems", "measures", "meta"}, f"{case['id']}: nothing to check"
        assert set(case.get("meta", {})) <= META_FIELDS, case["id"]
    return cases


CASES = _load_cases()


@pytest.mark.parametrize("case_id", case_params(CASES, "id"))
def test_layout_case(case_id):
    case = next(c for c in CASES if c["id"] == case_id)
    report = analyse_text(case["text"])
    if "sections" in case:
        assert [[s.level, s.role, s.heading] for s in report.sections] == case["sections"]
    if "problems" in case:
        assert [p.text for p in report.problems] == case["problems"]
    if "measures" in case:
        assert [m.text for m in report.measures] == case["measures"]
    for field, value in case.get("meta", {}).items():
        assert getattr(report.meta, field) == value, field


# -- linear time on the layouts this module reads ----------------------------------------------
STRUCTURE_ADVERSARIAL = {
    "leader-dots": "一、基本情况" + "…" * 50 + "1\n",
    "long-leader-run": "…" * 997 + "1",
    "label-lines": "发布日期：\n",
    "date-lines": "2023年1月1日\n",
    "unit-lines": "X镇人民政府\n",
    "pipe-rows": "| 项目 | 3 |\n",
    "yishi-with-lead": "一是加强领导。开展活动。二是推进。\n",
    "nested-styles": "第一部分 概况\n一、工作\n（一）领导\n1.责任\n（1）落实\n①细化\n一是压实。\n",
}


@pytest.mark.parametrize("name", sorted(STRUCTURE_ADVERSARIAL))
def test_structure_is_linear_in_the_input(name):
    def cost(size):
        unit = STRUCTURE_ADVERSARIAL[name]
        text = (unit * (size // len(unit) + 1))[:size]
        t0 = time.process_time()
        span = title_span(text)
        secs = parse_sections(text)
        extract_items(text, secs, "problems")
        extract_items(text, secs, "next_steps")
        read_meta(text, text[span[0]:span[1]] if span else None)
        return time.process_time() - t0

    small, large = cost(50_000), cost(500_000)
    assert large <= 14 * small + 0.3, f"{name}: 50 KB {small:.3f}s, 500 KB {large:.3f}s"
