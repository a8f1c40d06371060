"""No input breaks the core: property-based tests over the normaliser, the number parser, the
structure parser and the extractor, and a complexity check on adversarial inputs."""
import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp_reports.analyse import analyse_text
from nlp_reports.extract.numbers import parse_chinese, parse_number
from nlp_reports.normalise import normalise
from nlp_reports.structure import parse_sections

# Report-like alphabet: numerals, units, qualifiers, enumerators and punctuation, plus anything.
REPORTISH = st.text(alphabet=st.sampled_from(list(
    "0123456789０１２３.,，。；：、（）()“”《》〔〕%％+＋-~—至到余多约近超过不足以上左右万亿千百十"
    "零〇一二两三四五六七八九是次件人名个元份率无未发生零事故\n 第部分年月日每X镇街道下一步存在问题")), max_size=300)
ANY = st.text(max_size=300)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.one_of(REPORTISH, ANY))
def test_extraction_never_raises_and_evidence_is_exact(raw):
    report = analyse_text(raw)
    text = report.text
    for ind in report.indicators:
        assert text[ind.start:ind.end] == ind.text
        assert math.isfinite(ind.value)
        assert ind.value_max is None or math.isfinite(ind.value_max)
    for item in report.problems + report.measures:
        assert text[item.start:item.end] == item.text
    for sec in report.sections:
        assert 0 <= sec.start <= sec.body_start <= sec.end <= len(text)


@FAST
@given(st.one_of(REPORTISH, ANY))
def test_output_is_deterministic_and_normalising_is_idempotent(raw):
    assert analyse_text(raw).to_dict() == analyse_text(raw).to_dict()
    once = normalise(raw)
    assert normalise(once) == once


@FAST
@given(st.text(alphabet="零〇一二两三四五六七八九十百千万亿", min_size=1, max_size=12))
def test_chinese_numerals_parse_to_finite_values_or_a_clear_error(numeral):
    try:
        value = parse_chinese(numeral)
    except ValueError:
        return
    assert math.isfinite(value) and value >= 0


@FAST
@given(st.from_regex(r"\A\d{1,3}(,\d{3}){0,3}(\.\d{1,3})?\Z"))
def test_arabic_numbers_with_separators(numeral):
    assert parse_number(numeral) == float(numeral.replace(",", ""))


@FAST
@given(REPORTISH)
def test_sections_are_nested_and_ordered(raw):
    text = normalise(raw)
    secs = parse_sections(text)
    for a, b in zip(secs, secs[1:]):
        assert a.start < b.start
    for s in secs:
        if s.parent is not None:
            p = secs[s.parent]
            assert p.level < s.level and p.start < s.start and s.end <= p.end


ADVERSARIAL = {
    "digits": "1234567890" * 10,
    "numerals": "一二三四五六七八九十百千万亿" * 7,
    "units": "3次5件7人9个" * 10,
    "yu": "10余余余余余份" * 10,
    "brackets": "（（（（（1）））））" * 10,
    "headings": "一、工作情况\n（一）开展活动3次。\n1.发放资料\n一是加强领导。\n",
    "wrapped": "今年以来全镇认真落实上级各项决策部署持续推进法治建设工作开展活动三次发放资料\n",
    "zeros": "全年无行政复议、行政诉讼案件、" * 5,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_no_super_linear_blow_up(name):
    unit = ADVERSARIAL[name]

    def seconds(size, repeats):
        text = (unit * (size // len(unit) + 1))[:size]
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            analyse_text(text)
            best = min(best, time.perf_counter() - t0)
        return best

    small, large = seconds(100_000, 2), seconds(1_000_000, 1)
    assert large <= 14 * small + 0.5, f"{name}: 100 KB {small:.3f}s, 1 MB {large:.3f}s"


def test_one_megabyte_line_without_punctuation():
    text = "开展法治宣传活动" * 130_000
    t0 = time.perf_counter()
    report = analyse_text(text)
    assert time.perf_counter() - t0 < 30
    assert report.indicators == ()
