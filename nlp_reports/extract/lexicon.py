"""The compiled forms of the extraction lexicons, built once per process from the data files."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..errors import DataError
from ..resources import alternation, load
from ..matching import FirstOf, Tail, gate
from .numbers import ARABIC, CHINESE, NUMERAL


@dataclass(frozen=True)
class Lexicon:
    quantity: re.Pattern          # number + multiplier + qualifier + unit
    percent_words: FirstOf        # 百分之九十八, 三分之二, 六成 (groups: den num q, or tenths q)
    units: dict                   # written unit → (unit, kind, only after Arabic digits)
    prefix_qualifiers: dict
    suffix_qualifiers: dict
    prefix_qualifier_re: Tail
    scopes: list                  # (scope, pattern)
    any_scope: re.Pattern         # search: any scope cue at all (one pass before trying each)
    scope_gate: re.Pattern        # search: a literal one of which every scope cue holds (cheaper still)
    scope_rank: dict              # scope → its rank when several cues reach one figure (0 wins)
    reach: re.Pattern             # search: a cue reaching beyond its clause; each alternative is closed
    reach_groups: dict            #   by an empty group, whose number here gives (scope, sentence | semicolon)
    stock: re.Pattern             # search: a stock stated as such, which no period cue reaches
    year_opening: re.Pattern      # a year (group year) that is a period cue when it opens a sentence
    slogans: FirstOf
    verbs: re.Pattern
    lead_words: re.Pattern
    kept_at_start: tuple          # 在建项目: a lead word that starts one of these is not stripped
    lead_end: Tail
    determiners: re.Pattern
    trim_first: frozenset         # the first characters of determiners and lead words
    light_verbs: re.Pattern
    light_end: Tail               # the same words at the end (命案实现“零发生”: 命案实现 → 命案)
    tail_words: re.Pattern
    whole_words: re.Pattern       # nouns holding a verb or a tail word (服务中心, 公共, 在线): never cut
    head_nouns: re.Pattern        # fullmatch: a noun a verb before it modifies (培训班, 整治资金)
    head_end: Tail                # search: a name ending in such a noun (调解纠纷数量)
    modifier_verbs: frozenset     # verbs kept before a people noun (受益群众)
    governing_verbs: frozenset    # verbs never taken as inside a compound (投入经费)
    quantity_end: re.Pattern      # search: text ending in a number and unit (…26户|87人)
    unit_last: frozenset          # the last characters of the units (a cheap test before quantity_end)
    people_end: Tail              # search: the name ends with a noun for people or households
    zero: FirstOf
    zero_outcome: Tail
    zero_context: re.Pattern
    zero_strong: re.Pattern
    zero_again: re.Pattern        # an opener again at the start of a later item (无越级上访、无进京非访)
    zero_suffix: re.Pattern
    zero_word: re.Pattern         # match: the outcome word right after 零 (零事故)
    zero_tail: re.Pattern


def _reach(quals: dict) -> dict:
    """The reaching cues as one pattern whose every alternative opens with its literal (a search then
    skips to where a cue can start: one scan of the text instead of one per scope), each closed by an
    empty group that says which scope and reach it is."""
    cues = [(k, quals["scope"][k], "sentence") for k in quals["reach"]["sentence"]] + \
        [(k, v, "semicolon") for k, v in quals["reach"]["semicolon"].items()]
    branches = [(b, (scope, reach)) for scope, pattern, reach in cues for b in _branches(pattern)]
    compiled = re.compile("|".join(f"{b}()" for b, _ in branches))
    if compiled.groups != len(branches):
        raise DataError("qualifiers.yaml: a scope cue that reaches on has a capturing group; use (?:…)")
    return {"reach": compiled, "reach_groups": {n: what for n, (_, what) in enumerate(branches, 1)}}


def _branches(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern written (?:a|b|…), else the pattern itself."""
    if not (pattern.startswith("(?:") and pattern.endswith(")")):
        return [pattern]
    out, depth, start, body = [], 0, 0, pattern[3:-1]
    for m in _STRUCTURE.finditer(body):  # escapes and classes skipped whole, parentheses counted
        token = m.group()
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth < 0:
            return [pattern]  # (?:a)|(?:b): not one group around the whole
        if token == "|" and depth == 0:
            out.append(body[start:m.start()])
            start = m.end()
    return out + [body[start:]]


_STRUCTURE = re.compile(r"\\.|\[(?:\\.|[^\]])*\]|[()|]")


def _is_regex(phrase: str) -> bool:
    return any(ch in phrase for ch in "\\[](){}?*+|^$")


@functools.cache
def lexicon() -> Lexicon:
    units_data = load("units.yaml")
    units = {u: (spec.get("as", u), spec["kind"], bool(spec.get("arabic_only"))) for u, spec in units_data.items()}
    units.update({"%": ("%", "rate", False), "‰": ("‰", "rate", False), "个百分点": ("个百分点", "change", False),
                  "百分点": ("个百分点", "change", False)})
    quals = load("qualifiers.yaml")
    suffix = alternation(quals["suffix"])
    quantity = re.compile(
        rf"(?P<num>{NUMERAL})(?P<q0>余|多)?(?P<mult>千万|百万|十万|万亿|[万亿千百])?"
        # 1亿2000万元: the rest of the amount after 亿, in its own multiplier
        rf"(?:(?<=亿)(?P<rest>{ARABIC})(?P<rmult>千万|百万|十万|[万千]))?(?P<q1>余|多)?"
        rf"(?:(?P<sep>-|~|～|—|–|至|到)(?P<num2>{ARABIC}|{CHINESE})(?P<mult2>千万|百万|十万|[万亿千百])?(?P<q2>余|多)?)?"
        rf"(?P<unit>{alternation(units)})(?P<q3>{suffix})?")
    names = load("names.yaml")
    zeros = load("zeros.yaml")
    slogans = [str(p) for p in load("slogans.yaml")["phrases"]]
    return Lexicon(
        quantity=quantity,
        percent_words=FirstOf([
            rf"(?P<den>百|千|{CHINESE}|{ARABIC})分之(?P<num>百|{CHINESE}|{ARABIC})(?P<q>以上|左右|以下|多)?",
            # 六成 standing alone, or after a verb (占六成以上); the numeral comes before the look-behind
            r"(?P<tenths>[一二三四五六七八九])(?<![\u4e00-\u9fff][一二三四五六七八九])成(?P<q>以上|左右|以下|多)?(?=[，。；、）]|$)",
            r"(?P<tenths>[一二三四五六七八九])(?<=[占近约达超减降升长加高了至到为][一二三四五六七八九])成"
            r"(?P<q>以上|左右|以下|多)?(?=[，。；、）\u4e00-\u9fff]|$)"], gate="分之|[一二三四五六七八九]成"),
        units=units,
        prefix_qualifiers=quals["prefix"],
        suffix_qualifiers=quals["suffix"],
        prefix_qualifier_re=Tail(quals["prefix"]),
        scopes=[(k, re.compile(v)) for k, v in quals["scope"].items()],
        any_scope=re.compile("|".join(f"(?:{v})" for v in quals["scope"].values())),
        scope_gate=gate(quals["scope"].values()),
        scope_rank={k: n for n, k in enumerate(quals["scope"])},
        **_reach(quals),
        stock=re.compile(quals["stock"]),
        year_opening=re.compile(quals["year_opening"]),
        slogans=FirstOf([p for p in slogans if _is_regex(p)] + [alternation(p for p in slogans if not _is_regex(p))]),
        verbs=re.compile(alternation(names["verbs"])),
        lead_words=re.compile(rf"^(?:{alternation(names['lead_words'])})+"),
        kept_at_start=tuple(names["kept_at_start"]),
        # 调解成功28件: a word such as 成功 is an adverb before a verb but part of the action after one.
        lead_end=Tail(set(names["lead_words"]) - set(names["kept_at_end"]), repeat=True),
        determiners=re.compile(rf"^(?:{alternation(names['determiners'])})"),
        trim_first=frozenset(str(w)[0] for w in names["determiners"] + names["lead_words"]),
        light_verbs=re.compile(rf"^(?:{alternation(names['light_verbs'])})+"),
        light_end=Tail(names["light_verbs"], repeat=True),
        tail_words=re.compile(alternation(names["tail_words"])),
        whole_words=re.compile(alternation(names["whole_words"])),
        head_nouns=re.compile(alternation(names["head_nouns"])),
        head_end=Tail(names["head_nouns"]),
        modifier_verbs=frozenset(names["modifier_verbs"]),
        governing_verbs=frozenset(names["governing_verbs"]),
        unit_last=frozenset(u[-1] for u in units),
        quantity_end=re.compile(rf"(?:\d|[零〇一二两三四五六七八九十百千万亿])[余多]?(?:{alternation(units)})$"),
        people_end=Tail(names["people_nouns"]),
        zero=FirstOf([zeros["openers"], rf"(?:{zeros['zero_prefix']})(?=(?:{alternation(zeros['outcomes'])}))"]),
        zero_outcome=Tail(zeros["outcomes"]),
        zero_context=re.compile(zeros['contexts']),
        zero_strong=re.compile(zeros['strong']),
        zero_again=re.compile(rf"^(?:{zeros['openers']})(?=[\u4e00-\u9fff]{{2}})"),
        zero_suffix=re.compile(zeros['suffix']),
        zero_word=re.compile(alternation(zeros['outcomes'])),
        zero_tail=re.compile(zeros['tail']),
    )
