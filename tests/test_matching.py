"""The search helpers (nlp_reports/matching.py) give exactly the matches of the plain
patterns they stand for, on the whole corpus and on generated edge cases."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp_reports.extract.lexicon import lexicon
from nlp_reports.matching import FirstOf, Tail, after_last, anchored_at_start, gate, gates, next_starts, required_literals
from nlp_reports.extract.taxonomy import taxonomy
from nlp_reports.loading import load_file
from nlp_reports.normalise import normalise
from nlp_reports.resources import load

from conftest import ROOT

_NAMED = re.compile(r"\(\?P<\w+>")


@pytest.fixture(scope="module")
def corpus():
    return [normalise(load_file(p).text) for p in sorted((ROOT / "corpora" / "reports").iterdir())]


def _alternation(first_of: FirstOf) -> re.Pattern:
    """The one pattern a FirstOf stands for (named groups made plain: the patterns may share names)."""
    return re.compile("|".join(f"(?:{_NAMED.sub('(?:', p.pattern)})" for p in first_of.patterns))


def _first_ofs():
    lex = lexicon()
    return {"slogans": lex.slogans, "percent_words": lex.percent_words, "zero": lex.zero, "cues": taxonomy().cues}


@pytest.mark.parametrize("name", ["slogans", "percent_words", "zero", "cues"])
def test_first_of_finds_what_the_alternation_finds(corpus, name):
    first_of = _first_ofs()[name]
    plain = _alternation(first_of)
    found = 0
    for text in corpus:
        assert [m.span() for m in first_of.finditer(text)] == [m.span() for m in plain.finditer(text)]
        # …and within windows, as canonical keys read the cues of a sentence
        for lo in range(0, len(text), 97):
            hi = min(len(text), lo + 150)
            assert [m.span() for m in first_of.finditer(text, lo, hi)] == [m.span() for m in plain.finditer(text, lo, hi)]
        found += sum(1 for _ in first_of.finditer(text))
    assert found > 0


def test_first_of_prefers_the_earlier_pattern_at_a_tie_and_skips_overlaps():
    first_of = FirstOf([r"法律知识考试", r"法律知识", r"知识"])
    text = "开展法律知识考试，普及法律知识和知识产权"
    assert [m.group() for m in first_of.finditer(text)] == ["法律知识考试", "法律知识", "知识"]
    assert first_of.search(text, 9).group() == "法律知识"
    assert first_of.search("没有相关内容") is None


def test_first_of_skips_a_pattern_whose_literal_is_absent():
    first_of = FirstOf([r"\d(?<!\d\d)\d{0,2}周年", r"[一二三四五六七八九十]届"])
    assert first_of.literals == (("周年",), ("届",))
    assert first_of.gate.search("成立30周年")
    assert [m.group() for m in first_of.finditer("建党100周年，十四届人大")] == ["100周年", "四届"]


def _span(m):
    return m.span() if m else None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="率度比例占成功人数\n", max_size=12), st.integers(0, 12), st.booleans())
def test_tail_answers_as_its_pattern(text, pos, repeat):
    tail = Tail(["率", "度", "比例", "占比", "成功率"], repeat=repeat)
    plain = tail.pattern
    assert _span(tail.search(text)) == _span(plain.search(text))
    assert _span(tail.search(text, pos)) == _span(plain.search(text, pos))
    end = min(len(text), pos + 3)
    assert _span(tail.search(text, 0, end)) == _span(plain.search(text, 0, end))
    assert tail.sub("", text) == plain.sub("", text)


def test_tail_on_names():
    rate = Tail(["率", "度", "比例"])
    assert rate.search("群众满意度").group() == "度"
    assert rate.search("调解成功率\n").group() == "率"  # $ before a final line break, as re does
    assert rate.search("矛盾纠纷") is None
    assert Tail(["全年", "累计"], repeat=True).sub("", "矛盾纠纷全年累计") == "矛盾纠纷"


_FORWARD_LAST = re.compile(r"[，。；！？、：|\n](?=[^，。；！？、：|\n]*\Z)")


def test_after_last_is_after_the_last_mark(corpus):
    mark = re.compile(r"[，。；！？、：|\n]")
    for text in corpus[:20]:
        for hi in range(0, len(text), 7):
            lo = max(0, hi - 60)
            m = _FORWARD_LAST.search(text, lo, hi)
            assert after_last(mark, text, lo, hi) == (m.end() if m else lo)


def test_required_literals_are_in_every_match(corpus):
    patterns = [p.pattern for p in lexicon().slogans.patterns] + list(load("qualifiers.yaml")["scope"].values())
    checked = 0
    for pattern in patterns:
        literals = required_literals(pattern)
        for text in corpus:
            for m in re.finditer(pattern, text):
                assert any(lit in m.group() for lit in literals), (pattern, m.group())
                checked += 1
    assert checked > 50
    assert required_literals("(?i:abc)d") == {"d"}  # a case-insensitive group holds no exact literal


def test_gate_matches_wherever_a_pattern_may():
    scope = gate(["(?:累计|共计)", "截至|截止"])
    assert scope.search("截至11月底") and scope.search("累计") and not scope.search("开展活动")
    assert gate(["累计", r"\d+"]).pattern == ""  # \d+ requires no literal: the gate lets everything through


def test_numeral_is_the_alternation_of_the_three(corpus):
    from nlp_reports.extract.numbers import ARABIC, BARE, CHINESE, NUMERAL

    one, three = re.compile(NUMERAL), re.compile(f"{ARABIC}|{CHINESE}|{BARE}")
    for text in corpus + ["近百名、逾万人次、千余名、百姓、千家万户、1,200.5、二〇二三、一万二千、12三"]:
        assert [m.span() for m in one.finditer(text)] == [m.span() for m in three.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="一。2.3！\n年", max_size=20), st.lists(st.integers(0, 20), max_size=8))
def test_next_starts_is_the_first_mark_at_or_after_each_offset(text, offsets):
    mark = re.compile(r"[。！\n.](?!(?<=\d\.)\d)")  # a look-behind before the offset, as the reach stops have
    offsets = sorted(min(o, len(text)) for o in offsets)
    starts = [m.start() for m in mark.finditer(text)] + [len(text)]
    assert next_starts(mark, text, offsets) == [next(s for s in starts if s >= o) for o in offsets]


def test_gates_search_without_the_flag_what_needs_none(corpus):
    boiler = load("normalise.yaml")["boiler_lines"]
    floating = [p for p in boiler if not anchored_at_start(p)]
    found = gates(floating, re.I)
    assert [bool(g.flags & re.I) for g in found] == [False, True]  # 下载… plain, Copyright folded
    assert found[1].search("COPYRIGHT 2023") and not found[0].search("COPYRIGHT")
    # wherever a floating boiler pattern matches a line, one of the gates finds a literal there
    lines = [line for text in corpus for line in text.split("\n")] + ["Copyright © 2023 某某网", "版权所有：某某网"]
    hits = 0
    for line in lines:
        if any(re.search(p, line, re.I) for p in floating):
            hits += 1
            assert any(g.search(line) for g in found), line
    assert hits >= 2
    assert [g.pattern for g in gates(["累计", r"\d+"], re.I)] == [""]  # a pattern needing no literal: no gate
