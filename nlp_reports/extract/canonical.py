"""Canonical keys for indicators, from the taxonomy in nlp_reports/data/taxonomy.yaml.

Each indicator is described by one line of tab-separated fields — its kind and unit, the keys of
the figures just before it in its clause chain (its bases: 矛盾纠纷156件，调解成功149件), whether it
is a 其中 part, the cues of its sentence (near it), its name, and its phrase (its clause, quotation marks
dropped, the number with its unit replaced by '#': 全年排查调处矛盾纠纷#). The taxonomy's index gives
the few phrasings that admit its kind and unit and whose literal the phrase holds; the first of them
(in file order) that matches the whole line gives the key, so a phrasing whose guard fails simply
lets the next one try.

>>> from nlp_reports import analyse_text
>>> [(i.name, i.canonical) for i in analyse_text("全年排查调处矛盾纠纷156件，调解成功149件，调解成功率95.5%。").indicators]
[('矛盾纠纷', 'disputes_handled'), ('调解成功', 'disputes_resolved'), ('调解成功率', 'dispute_resolution_rate')]
"""
from __future__ import annotations

import dataclasses
import re

from ..matching import after_last
from ..results import Indicator
from .lexicon import lexicon
from .taxonomy import Taxonomy, taxonomy

_CLAUSE_MARKS = "，。；！？：、\n"
_CHAIN_BREAK = re.compile(r"[。；！？\n]")
_SENTENCE_END = re.compile(r"[。！？\n]")
_CLAUSE_MARK = re.compile(r"[，。；！？：、\n]")
_CLAUSE_END = re.compile(r"[，。；！？：、\n]")
_DROPPED = re.compile(r"[\s“”\"‘’'《》〈〉「」『』]")
# Qualifier and linking words between a name and its number: 调解成功率达到95.5% → 调解成功率#.
_BEFORE_WORDS = ("约|近|将近|大约|接近|达到|达|为|超过|逾|超|高达|多达|突破|共计|共|合计|累计|总计|均为|均|"
                 "分别为|分别|已达|仅|只有|继续保持|保持在|保持|稳定在|提高到|提高至|提升至|提升到|上升至|上升到|下降至|下降到|降至|"
                 "增至|增加到|扩充至|扩大到|扩大至|压缩至|压缩到|缩短至|缩短到|控制在|至").split("|")
_BEFORE_NUMBER = re.compile(f"(?:{'|'.join(_BEFORE_WORDS)})+(?=#)")
# A '#' after the last character of one of the words: only then can _BEFORE_NUMBER match (a cheap test).
_BEFORE_GATE = re.compile(f"[{''.join(sorted({w[-1] for w in _BEFORE_WORDS}))}]#")
# In a zero list (未发生越级上访和群体性事件) each item is read as if the opener stood before it,
# unless the opener's clause states a cause (因…引发的), which may qualify every item.
_ZERO_LIST = re.compile(r"(无|未发生|没有发生|未出现|未发现)(?:(?!因)[^，。；#])*?和(?=[^和]*$)")
_CLAUSE_REACH = 60
_BASE_REACH = 80
_CUE_REACH = 150


def assign_canonical(indicators, text: str) -> list[Indicator]:
    """The `indicators` (in text order, offsets into `text`) with `canonical` set to their taxonomy
    key, or left None where no key fits."""
    tax = taxonomy()
    out: list[Indicator] = []
    # The figures before this one in its clause chain: the last one, and the last whole one when
    # the last is a 其中 part (其中重大隐患2处，整改完成498处 → both). Changes and earlier-period
    # figures are never bases; a change in % is based on the last level, skipping rates
    # (收入完成38.6亿元，为年初预算的102.3%，同比增长9.7% → the change is of the 收入), a change in
    # 个百分点 on the last rate.
    bases = {"any": [None, None], "level": [None, None]}
    previous = None
    cues: dict = {}  # sentence window → its cue field: the figures of one sentence share it
    for ind in indicators:
        if previous is not None and _CHAIN_BREAK.search(text, min(previous.end, ind.start), ind.start):
            bases = {"any": [None, None], "level": [None, None]}
        previous = ind
        start = _clause_start(text, ind.start)
        sub = _is_part(text, start)
        before = bases["level" if ind.kind == "change" and ind.unit != "个百分点" else "any"]
        keys = {f.canonical for f in before if f is not None and f.canonical and ind.start - f.end <= _BASE_REACH}
        key = _key_for(tax, ind, text, start, sub, keys, cues)
        if key != ind.canonical:
            ind = dataclasses.replace(ind, canonical=key)
        out.append(ind)
        if ind.kind != "change" and ind.scope != "baseline":
            for name in ("any", "level") if ind.kind != "rate" else ("any",):
                bases[name][0] = ind
                if not sub:
                    bases[name][1] = ind
    return out


def describe(ind: Indicator, text: str, bases=()) -> str:
    """The line the taxonomy's phrasings are matched against (see the module docstring)."""
    start = _clause_start(text, ind.start)
    return _line(taxonomy(), ind, text, _phrase(ind, text, start), _is_part(text, start), set(bases))


def _line(tax: Taxonomy, ind: Indicator, text: str, phrase: str, sub: bool, bases: set,
          cues: dict | None = None) -> str:
    window = _sentence_around(text, ind)
    field = cues.get(window) if cues is not None else None
    if field is None:
        field = "," + ",".join(sorted({m.lastgroup for m in tax.cues.finditer(text, *window)})) + ","
        if cues is not None:
            cues[window] = field
    name = "" if sub else tax.leads.sub("", _DROPPED.sub("", ind.name or ""))
    return "\t".join((ind.kind, _unit(ind), "," + ",".join(sorted(bases)) + ",", "S" if sub else "N",
                      field, name, phrase))


def _sentence_around(text: str, ind: Indicator) -> tuple[int, int]:
    """The figure's sentence, at most _CUE_REACH characters either side of its evidence (so that a
    text without sentence marks costs no more per figure)."""
    lo, hi = max(0, ind.start - _CUE_REACH), min(len(text), ind.end + _CUE_REACH)
    after = _SENTENCE_END.search(text, ind.end, hi)
    return after_last(_SENTENCE_END, text, lo, ind.start), (after.start() if after else hi)


def _unit(ind: Indicator) -> str:
    return ind.unit or ("-" if ind.value == 0 else "?")


def _key_for(tax: Taxonomy, ind: Indicator, text: str, start: int, sub: bool, bases: set,
             cues: dict | None = None) -> str | None:
    if (ind.kind, _unit(ind)) not in tax.groups or ind.scope in ("target", "baseline"):
        return None
    phrase = _phrase(ind, text, start)
    if tax.target.search(phrase):
        return None
    line = None
    for n in tax.candidates(ind.kind, _unit(ind), phrase):
        line = line or _line(tax, ind, text, phrase, sub, bases, cues)
        key, pattern = tax.phrasings[n]
        if pattern.fullmatch(line):
            return key
    return None


def _phrase(ind: Indicator, text: str, start: int) -> str:
    """The figure's clause from `start` to the clause end (a zero outcome: to the end of its
    evidence), with the number and its unit replaced by '#'."""
    if ind.rule == "zero":
        piece = _ZERO_LIST.sub(r"\1", text[start:ind.end]) + "#"
    else:
        number = _last_number(text, ind.start, ind.end)
        if number:
            end = _CLAUSE_END.search(text, number[1], number[1] + _CLAUSE_REACH)
            piece = text[start:number[0]] + "#" + text[number[1]:max(ind.end, end.start() if end else ind.end)]
        else:
            piece = text[start:ind.end] + "#"
    piece = _DROPPED.sub("", piece)
    return _BEFORE_NUMBER.sub("", piece) if _BEFORE_GATE.search(piece) else piece


def _is_part(text: str, start: int) -> bool:
    """Whether the clause starting at `start` is a 其中 part of the figure before it."""
    return text.startswith("其中", start) or text[max(0, start - 3):start].rstrip("，：、").endswith("其中")


def _clause_start(text: str, pos: int) -> int:
    """After the last clause mark before `pos`; a 、 ends a clause only when the list item before it
    holds its own number (举办讲座4次、悬挂横幅12条), not when the items share one
    (开展消防、防汛等应急演练11次)."""
    lo = max(0, pos - _CLAUSE_REACH)
    marks = _CLAUSE_MARK.finditer(text[lo:pos][::-1])  # right to left: reversed offset r is text[pos - 1 - r]
    mark = next(marks, None)
    while mark is not None and mark.group() == "、":
        item = next(marks, None)
        if _last_number(text, pos - item.start() if item else lo, pos - mark.end()):
            break
        mark = item
    return pos - mark.start() if mark else lo


def _last_number(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the number (with its unit) that ends last in text[start:end]."""
    lex = lexicon()
    last = None
    for pattern in (lex.quantity, lex.percent_words):
        for m in pattern.finditer(text, start, end):
            if last is None or m.end() > last.end():
                last = m
    return last.span() if last else None
