"""The canonical indicator taxonomy (nlp_reports/data/taxonomy.yaml), checked and compiled once.

Each phrasing becomes one pattern over the description line of an indicator (see canonical.py) and
is indexed two ways, so that a lookup touches only the phrasings that can match: by the kinds and
units it admits, and by the literals one of which every phrase it matches must hold (矛盾纠纷# for
(?:排查|调处)(?:各类)?矛盾纠纷#). One scan of the phrase with a trie of all literals yields the
candidates; only those are matched.
"""
from __future__ import annotations

import dataclasses
import functools
import re

from ..errors import DataError
from ..matching import FirstOf, required_literals
from ..resources import alternation, load

KINDS = ("count", "people", "money", "rate", "change", "area", "length", "time", "other")
_KEY = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_FIELD = "[^\t]*"


@dataclasses.dataclass(frozen=True)
class Taxonomy:
    entries: dict            # key → entry as written in the data file
    phrasings: tuple         # (key, pattern fullmatched on the description line), in file order
    groups: dict             # (kind, unit) → (indexes of the phrasings admitting that kind and unit,
                             #                 those of them that require no literal)
    literal_re: re.Pattern   # search: the longest literal starting at the first position holding one
    by_literal: dict         # literal → indexes of the phrasings requiring it or one of its prefixes
    cues: FirstOf            # one pattern (a named group) per context cue of the sentence
    target: re.Pattern       # target or plan words: such a figure is no achievement
    leads: re.Pattern        # lead words dropped from the start of a name

    def candidates(self, kind: str, unit: str, phrase: str) -> list[int]:
        """The phrasings admitting `kind` and `unit` whose required literal `phrase` holds, in file order."""
        group, always = self.groups.get((kind, unit), ((), ()))
        found = set(always)
        # At each position the literal starting there: searched from one past the last found (a
        # look-ahead pattern with finditer would be tried at every offset).
        pos, search = 0, self.literal_re.search
        while (m := search(phrase, pos)) is not None:
            found.update(self.by_literal[m.group()] & group)
            pos = m.start() + 1
        return sorted(found)


@functools.cache
def taxonomy() -> Taxonomy:
    """The taxonomy data file, checked and compiled once per process; DataError names every problem."""
    data = load("taxonomy.yaml")
    problems = check(data)
    if problems:
        raise DataError("taxonomy.yaml: " + "; ".join(problems))
    macros = _macros(data)
    phrasings, groups, requiring, unindexed = [], {}, {}, set()
    for entry in data["entries"]:
        for phrasing in entry["phrasings"]:
            n = len(phrasings)
            phrasings.append((entry["key"], re.compile(_alternative(entry, phrasing, macros))))
            for unit in units_of(entry):
                groups.setdefault((entry["kind"], unit), set()).add(n)
            literals = required_literals(_expand(phrasing.get("phrase", ""), macros))
            if literals and min(map(len, literals)) >= 2:
                for literal in literals:
                    requiring.setdefault(literal, set()).add(n)
            else:
                unindexed.add(n)
    # A phrase holding 矛盾纠纷# also holds 矛盾纠纷: the longest literal found stands for its prefixes.
    by_literal = {lit: frozenset().union(*(ns for other, ns in requiring.items() if lit.startswith(other)))
                  for lit in requiring}
    cues = FirstOf(f"(?P<{name}>{pattern})" for name, pattern in data["contexts"].items())
    return Taxonomy(entries={e["key"]: e for e in data["entries"]}, phrasings=tuple(phrasings),
                    groups={g: (frozenset(ns), frozenset(ns & unindexed)) for g, ns in groups.items()},
                    literal_re=re.compile(alternation(requiring)), by_literal=by_literal,
                    cues=cues,
                    target=re.compile(data["target_words"]), leads=re.compile(f"^(?:{_leads(data)})*"))


def units_of(entry: dict) -> list[str]:
    """The units an entry admits; '-' stands for the missing unit of a zero outcome (count keys)."""
    return [str(entry["unit"]), *map(str, entry.get("alt_units", []))] + (["-"] if entry["kind"] == "count" else [])


def _alternative(entry: dict, phrasing: dict, macros: dict) -> str:
    """The pattern of one phrasing over the line: kind, unit, bases, 其中 part, cues, name, phrase."""
    base = f"{_FIELD},(?:{'|'.join(map(re.escape, phrasing['base']))}),{_FIELD}" if phrasing.get("base") else _FIELD
    cue = f"{_FIELD},{phrasing['context']},{_FIELD}" if phrasing.get("context") else _FIELD
    name = f"(?:{phrasing['name']})" if "name" in phrasing else _FIELD
    phrase = f"[^\t]*?(?:{_expand(phrasing['phrase'], macros)}){_FIELD}" if "phrase" in phrasing else _FIELD
    units = "(?:" + "|".join(map(re.escape, units_of(entry))) + ")"
    return "\t".join((re.escape(entry["kind"]), units, base, "[SN]" if entry.get("sub") else "N", cue, name, phrase))


def _macros(data: dict) -> dict:
    """{{NAME}} → its expansion; {{leads}} is the lead words, compiled to one trie."""
    leads = {"{{leads}}": _leads(data)}
    return {f"{{{{{k}}}}}": _expand(str(v), leads) for k, v in (data.get("macros") or {}).items()}


def _leads(data: dict) -> str:
    leads = data.get("leads") or {}
    return "|".join([alternation(leads.get("words", [])), *leads.get("patterns", [])])


def _expand(pattern: str, macros: dict) -> str:
    for token, value in macros.items():
        pattern = pattern.replace(token, value)
    return pattern


def check(data) -> list[str]:
    """Every problem of the taxonomy data (empty when it is sound), each naming the bad entry."""
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        return ["needs leads, macros, contexts, target_words and a list of entries"]
    problems = []
    macros = _macros(data)
    contexts = data.get("contexts") or {}
    for name, pattern in contexts.items():
        problems += _regex_problems(f"context {name} {pattern!r}", pattern)
    problems += _regex_problems(f"target_words {data.get('target_words')!r}", data.get("target_words", ""))
    leads = data.get("leads")
    if not isinstance(leads, dict) or not isinstance(leads.get("words"), list):
        problems.append("leads needs a list of words")
    else:
        for pattern in leads.get("patterns", []):
            problems += _regex_problems(f"leads pattern {pattern!r}", pattern)
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
            problems += _phrasing_problems(where, entry, phrasing, macros, contexts, all_keys)
    return problems


def _phrasing_problems(where: str, entry: dict, phrasing, macros: dict, contexts: dict, keys: set) -> list[str]:
    if not isinstance(phrasing, dict) or not {"phrase", "name"} & set(phrasing):
        return [f"{where}: a phrasing needs a phrase or a name: {phrasing!r}"]
    problems = []
    unknown = set(phrasing) - {"phrase", "name", "base", "context"}
    if unknown:
        problems.append(f"{where}: unknown phrasing fields {sorted(unknown)}")
    patterns = [str(phrasing[f]) for f in ("phrase", "name") if f in phrasing]
    for pattern in patterns:
        if "^" in re.sub(r"\[[^\]]*\]", "", pattern) or "\t" in pattern:
            problems.append(f"{where}: {pattern!r}: use {{{{L}}}} for the clause start, not ^")
    for base in phrasing.get("base", []):
        if base not in keys:
            problems.append(f"{where}: base {base!r} is not a key")
    if phrasing.get("context") and phrasing["context"] not in contexts:
        problems.append(f"{where}: context {phrasing['context']!r} is not defined")
    if not problems:  # compiled as taxonomy() will compile it, so that it is then found in re's cache
        problems += _regex_problems(f"{where}: {' / '.join(patterns)!r}", _alternative(entry, phrasing, macros))
    return problems


def _regex_problems(where: str, pattern: str) -> list[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return [f"{where} is not a valid regular expression ({exc})"]
    if compiled.groups:
        return [f"{where} has capturing groups; use (?:…)"]
    return []


def _known_units() -> set:
    units = {spec.get("as", unit) for unit, spec in load("units.yaml").items()}
    return units | {"%", "‰", "个百分点"}
