"""Canonical keys for indicators, from the taxonomy in nlp_reports/data/taxonomy.yaml.

Each indicator is described by one line of tab-separated fields — kind, unit, the keys of the figures
just before it in its clause chain (its bases: 矛盾纠纷156件，调解成功149件), whether it is a 其中 part,
the sentence's context cues, its name, and its phrase (its clause up to the end of its evidence,
the number replaced by '#') — and that line is
matched once against a single compiled alternation of every phrasing, tried in file order. The
guards (unit, kind, base, cue) are part of each alternative, so a phrasing whose guard fails simply
lets the next one try, and no indicator is looped over phrasing by phrasing.

>>> from nlp_reports import analyse_text
>>> [(i.name, i.canonical) for i in analyse_text("全年排查调处矛盾纠纷156件，调解成功149件，调解成功率95.5%。").indicators]
[('矛盾纠纷', 'disputes_handled'), ('调解成功', 'disputes_resolved'), ('调解成功率', 'dispute_resolution_rate')]
"""
from __future__ import annotations

import dataclasses
import functools
import re

from ..errors import DataError
from ..resources import load
from ..results import Indicator
from .lexicon import lexicon

KINDS = ("count", "people", "money", "rate", "change", "area", "length", "time", "other")
_KEY = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_CLAUSE_MARKS = "，。；！？：、\n"
_CHAIN_BREAK = re.compile(r"[。；！？\n]")
_CLAUSE_END = re.compile(r"[，。；！？：、\n]")
_DROPPED = re.compile(r"[\s“”\"‘’'《》〈〉「」『』]")
# Qualifier and linking words between a name and its number: 调解成功率达到95.5% → 调解成功率#.
_BEFORE_NUMBER = re.compile(r"(?:约|近|将近|大约|接近|达到|达|为|超过|逾|超|高达|多达|突破|共计|共|合计|累计|总计|均为|均|"
                            r"分别为|分别|已达|仅|只有|继续保持|保持在|保持|稳定在|提高到|提高至|提升至|提升到|上升至|上升到|下降至|下降到|降至|"
                            r"增至|增加到|扩充至|扩大到|扩大至|压缩至|压缩到|缩短至|缩短到|控制在|至)+(?=#)")
# In a zero list (未发生越级上访和群体性事件) each item is read as if the opener stood before it,
# unless the opener's clause states a cause (因…引发的), which may qualify every item.
_ZERO_LIST = re.compile(r"(无|未发生|没有发生|未出现|未发现)(?:(?!因)[^，。；#])*?和(?=[^和]*$)")
_CLAUSE_REACH = 60
_BASE_REACH = 80


@dataclasses.dataclass(frozen=True)
class Taxonomy:
    entries: dict            # key → entry as written in the data file
    matcher: re.Pattern      # fullmatch on the description line; the group name gives the phrasing
    keys: tuple              # group index (p<n>) → key
    cues: re.Pattern         # one named group per context cue
    target: re.Pattern       # target or plan words: such a figure is no achievement
    leads: re.Pattern        # lead words stripped from the start of a name


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
    for ind in indicators:
        for pair in bases.values():
            pair[:] = [None if f is None or _chain_broken(text, f, ind) else f for f in pair]
        phrase, sub = _phrase(ind, text)
        before = bases["level" if ind.kind == "change" and ind.unit != "个百分点" else "any"]
        keys = {f.canonical for f in before if f is not None and f.canonical}
        ind = dataclasses.replace(ind, canonical=_key_for(tax, ind, phrase, sub, keys))
        out.append(ind)
        if ind.kind != "change" and ind.scope != "baseline":
            for name in ("any", "level") if ind.kind != "rate" else ("any",):
                bases[name][0] = ind
                if not sub:
                    bases[name][1] = ind
    return out


def _chain_broken(text: str, before: Indicator, ind: Indicator) -> bool:
    return ind.start - before.end > _BASE_REACH or bool(_CHAIN_BREAK.search(text, min(before.end, ind.start), ind.start))


def describe(ind: Indicator, text: str, bases=()) -> str:
    """The line the taxonomy's phrasings are matched against (see the module docstring)."""
    return _line(taxonomy(), ind, *_phrase(ind, text), set(bases))


def _line(tax: Taxonomy, ind: Indicator, phrase: str, sub: bool, bases: set) -> str:
    unit = ind.unit or ("-" if ind.value == 0 else "?")
    cues = {m.lastgroup for m in tax.cues.finditer(ind.sentence or "")}
    name = "" if sub else tax.leads.sub("", _DROPPED.sub("", ind.name or ""))
    return "\t".join((ind.kind, unit, "," + ",".join(sorted(bases)) + ",", "S" if sub else "N",
                      "," + ",".join(sorted(cues)) + ",", name, phrase))


def _key_for(tax: Taxonomy, ind: Indicator, phrase: str, sub: bool, bases: set) -> str | None:
    if ind.scope in ("target", "baseline") or tax.target.search(phrase):
        return None
    m = tax.matcher.fullmatch(_line(tax, ind, phrase, sub, bases))
    return tax.keys[int(m.lastgroup[1:])] if m else None


def _phrase(ind: Indicator, text: str) -> tuple[str, bool]:
    """(phrase, whether the figure is a 其中 sub-count). The phrase runs from the clause start to
    the clause end (a zero outcome: to the end of its evidence), with the number and its unit
    replaced by '#'."""
    start = _clause_start(text, ind.start)
    if ind.rule == "zero":
        piece = _ZERO_LIST.sub(r"\1", text[start:ind.end]) + "#"
    else:
        number = _last_number(text, ind.start, ind.end)
        if number:
            end = _CLAUSE_END.search(text, number[1], number[1] + _CLAUSE_REACH)
            piece = text[start:number[0]] + "#" + text[number[1]:max(ind.end, end.start() if end else ind.end)]
        else:
            piece = text[start:ind.end] + "#"
    phrase = _BEFORE_NUMBER.sub("", _DROPPED.sub("", piece))
    sub = phrase.startswith("其中") or text[max(0, start - 3):start].rstrip("，：、").endswith("其中")
    return phrase, sub


def _clause_start(text: str, pos: int) -> int:
    """After the last clause mark before `pos`; a 、 ends a clause only when the list item before it
    holds its own number (举办讲座4次、悬挂横幅12条), not when the items share one
    (开展消防、防汛等应急演练11次)."""
    lo = max(0, pos - _CLAUSE_REACH)
    start = pos
    while start > lo:
        if text[start - 1] in _CLAUSE_MARKS:
            if text[start - 1] != "、":
                break
            item = _clause_start(text, start - 1)
            if _last_number(text, item, start - 1):
                break
            start = item
            continue
        start -= 1
    return start


def _last_number(text: str, start: int, end: int) -> tuple[int, int] | None:
    lex = lexicon()
    spans = [m.span() for pattern in (lex.quantity, lex.percent_words) for m in pattern.finditer(text, start, end)]
    return max(spans, key=lambda s: s[1]) if spans else None


@functools.cache
def taxonomy() -> Taxonomy:
    """The taxonomy data file, checked and compiled once per process."""
    data = load("taxonomy.yaml")
    problems = check(data)
    if problems:
        raise DataError("taxonomy.yaml: " + "; ".join(problems))
    macros = {f"{{{{{k}}}}}": v for k, v in data.get("macros", {}).items()}
    alternatives, keys = [], []
    for entry in data["entries"]:
        for phrasing in entry["phrasings"]:
            alternatives.append(f"(?P<p{len(keys)}>{_alternative(entry, phrasing, macros)})")
            keys.append(entry["key"])
    cues = "|".join(f"(?P<{name}>{pattern})" for name, pattern in data["contexts"].items())
    leads = macros.get("{{L}}", "").replace("(?<=\\t)", "^")
    return Taxonomy(entries={e["key"]: e for e in data["entries"]}, matcher=re.compile("|".join(alternatives)),
                    keys=tuple(keys), cues=re.compile(cues), target=re.compile(data["target_words"]),
                    leads=re.compile(leads or "(?!)"))


def _alternative(entry: dict, phrasing: dict, macros: dict) -> str:
    units = [entry["unit"], *entry.get("alt_units", [])] + (["-"] if entry["kind"] == "count" else [])
    field = "[^\t]*"
    base = "[^\t]*,(?:" + "|".join(map(re.escape, phrasing["base"])) + "),[^\t]*" if phrasing.get("base") else field
    cue = f"[^\t]*,{phrasing['context']},[^\t]*" if phrasing.get("context") else field
    name = f"(?:{phrasing['name']})" if "name" in phrasing else field
    phrase = f"[^\t]*?(?:{_expand(phrasing['phrase'], macros)})[^\t]*" if "phrase" in phrasing else field
    return "\t".join((re.escape(entry["kind"]), "(?:" + "|".join(map(re.escape, units)) + ")", base,
                      "[SN]" if entry.get("sub") else "N", cue, name, phrase))


def _expand(pattern: str, macros: dict) -> str:
    for token, value in macros.items():
        pattern = pattern.replace(token, value)
    return pattern


def check(data) -> list[str]:
    """Every problem of the taxonomy data (empty when it is sound), each naming the bad entry."""
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        return ["needs macros, contexts, target_words and a list of entries"]
    problems = []
    macros = {f"{{{{{k}}}}}": v for k, v in (data.get("macros") or {}).items()}
    contexts = data.get("contexts") or {}
    for name, pattern in contexts.items():
        problems += _regex_problems(f"context {name}", pattern)
    problems += _regex_problems("target_words", data.get("target_words", ""))
    units = _known_units()
    seen: set = set()
    all_keys = {e.get("key") for e in data["entries"] if isinstance(e, dict)}
    for n, entry in enumerate(data["entries"]):
        if not isinstance(entry, dict):
            problems.append(f"entry {n} is not a mapping")
            continue
        key = entry.get("key")
        where = f"{key or f'entry {n}'}"
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            problems.append(f"{where}: key must be snake_case English")
        elif key in seen:
            problems.append(f"{where}: duplicate key")
        seen.add(key)
        for field in ("label", "definition"):
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                problems.append(f"{where}: needs a {field}")
        if entry.get("kind") not in KINDS:
            problems.append(f"{where}: kind {entry.get('kind')!r} is not one of {', '.join(KINDS)}")
        for unit in [entry.get("unit"), *entry.get("alt_units", [])]:
            if unit not in units:
                problems.append(f"{where}: unit {unit!r} is not a unit the extractor writes")
        phrasings = entry.get("phrasings")
        if not isinstance(phrasings, list) or not phrasings:
            problems.append(f"{where}: needs phrasings")
            continue
        for phrasing in phrasings:
            problems += _phrasing_problems(where, phrasing, macros, contexts, all_keys)
    return problems


def _phrasing_problems(where: str, phrasing, macros: dict, contexts: dict, keys: set) -> list[str]:
    if not isinstance(phrasing, dict) or not {"phrase", "name"} & set(phrasing):
        return [f"{where}: a phrasing needs a phrase or a name: {phrasing!r}"]
    problems = []
    unknown = set(phrasing) - {"phrase", "name", "base", "context"}
    if unknown:
        problems.append(f"{where}: unknown phrasing fields {sorted(unknown)}")
    for pattern in (phrasing[f] for f in ("phrase", "name") if f in phrasing):
        if re.search(r"\^", re.sub(r"\[[^\]]*\]", "", str(pattern))) or "\t" in str(pattern):
            problems.append(f"{where}: {pattern!r}: use {{{{L}}}} for the clause start, not ^")
        problems += _regex_problems(where, _expand(str(pattern), macros))
    for base in phrasing.get("base", []):
        if base not in keys:
            problems.append(f"{where}: base {base!r} is not a key")
    if phrasing.get("context") and phrasing["context"] not in contexts:
        problems.append(f"{where}: context {phrasing['context']!r} is not defined")
    return problems


def _regex_problems(where: str, pattern: str) -> list[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return [f"{where}: {pattern!r} is not a valid regular expression ({exc})"]
    if compiled.groups:
        return [f"{where}: {pattern!r} has capturing groups; use (?:…)"]
    return []


def _known_units() -> set:
    units = {spec.get("as", unit) for unit, spec in load("units.yaml").items()}
    return units | {"%", "‰", "个百分点"}
