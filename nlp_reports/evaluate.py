"""Accuracy of the extractor against gold annotations (corpora/ANNOTATION.md).

Indicators match one-to-one when value, value_max and unit agree and the names overlap; problems
and measures when their characters overlap by at least half; sections by heading. A false indicator
whose number lies in no gold indicator's evidence is a spurious number (a date, a slogan, a heading
number …), counted apart from a real indicator given a wrong name or value, and sorted into classes
by the words around it."""
from __future__ import annotations

import json
import math
import pathlib
import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .errors import InputError
from .extract.numbers import parse_number
from .normalise import _traditional, fold_characters, fold_punctuation, strip_markers

SPURIOUS_CLASSES = ("year_date", "document_number", "slogan", "heading_ordinal", "frequency_rule", "other")
_NUMERAL = re.compile(r"\d[\d,.]*|[零〇一二两三四五六七八九十百千万亿]+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_DATE_AFTER = re.compile(r"(?:年|月|日|号|时|点|分|:\d)")
_DOCUMENT = re.compile(r"[〔〕\[\]《》]|第\S{0,6}[期号]")
_SLOGAN_AROUND = re.compile(r"[“”‘’\"]")
_HEADING_AFTER = re.compile(r"^(?:是|、|\.|）|要|方面|部分)")  # 一是, 一、, 1., （二）
_RULE_BEFORE = re.compile(r"每|按(?:照)?[^，。；]{0,6}$|不少于|至少")


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self):
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self):
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self):
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)

    def as_dict(self):
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": _r(self.precision),
                "recall": _r(self.recall), "f1": _r(self.f1)}


@dataclass
class Accuracy:
    right: int = 0
    total: int = 0

    def add(self, ok: bool):
        self.right += bool(ok)
        self.total += 1

    @property
    def value(self):
        return self.right / self.total if self.total else None


@dataclass
class Evaluation:
    reports: int = 0
    indicators: Tally = field(default_factory=Tally)
    values_only: Tally = field(default_factory=Tally)
    zeros: Tally = field(default_factory=Tally)
    problems: Tally = field(default_factory=Tally)
    measures: Tally = field(default_factory=Tally)
    sections: Tally = field(default_factory=Tally)
    qualifier: Accuracy = field(default_factory=Accuracy)
    scope: Accuracy = field(default_factory=Accuracy)
    kind: Accuracy = field(default_factory=Accuracy)
    name: Accuracy = field(default_factory=Accuracy)
    canonical: Accuracy = field(default_factory=Accuracy)           # precision: of predicted keys
    canonical_coverage: Accuracy = field(default_factory=Accuracy)  # recall: of gold keys
    meta: dict = field(default_factory=lambda: {k: Accuracy() for k in ("place", "place_level", "year", "report_type")})
    role: Accuracy = field(default_factory=Accuracy)
    themes: list = field(default_factory=list)   # (gold, predicted) pairs
    misses: list = field(default_factory=list)   # (file, "missed"|"false", text)
    spurious: Counter = field(default_factory=Counter)  # class → false numbers outside gold evidence
    spurious_found: list = field(default_factory=list)  # (file, class, text)

    def theme_macro_f1(self):
        pairs = [(g, p) for g, p in self.themes if p is not None]
        if not any(p != "missing" for _, p in pairs):
            return None  # no theme model was applied
        labels = sorted({g for g, _ in pairs})
        f1s = []
        for label in labels:
            t = Tally(sum(g == p == label for g, p in pairs), sum(p == label != g for g, p in pairs),
                      sum(g == label != p for g, p in pairs))
            f1s.append(t.f1 or 0.0)
        return sum(f1s) / len(f1s)

    def spurious_per_10(self):
        return 10 * sum(self.spurious.values()) / self.reports if self.reports else None

    def as_dict(self):
        return {
            "reports": self.reports,
            "indicators": self.indicators.as_dict(),
            "indicator_values_only": self.values_only.as_dict(),
            "zeros": self.zeros.as_dict(),
            "spurious_numbers": {"total": sum(self.spurious.values()),
                                 "per_10_reports": _r(self.spurious_per_10()),
                                 "by_class": {c: self.spurious[c] for c in SPURIOUS_CLASSES}},
            "qualifier_accuracy": _r(self.qualifier.value),
            "scope_accuracy": _r(self.scope.value),
            "kind_accuracy": _r(self.kind.value),
            "name_accuracy": _r(self.name.value),
            "canonical_precision": _r(self.canonical.value),
            "canonical_coverage": _r(self.canonical_coverage.value),
            "problems": self.problems.as_dict(),
            "measures": self.measures.as_dict(),
            "meta_accuracy": {k: _r(v.value) for k, v in self.meta.items()},
            "sections": self.sections.as_dict(),
            "role_accuracy": _r(self.role.value),
            "theme_macro_f1": _r(self.theme_macro_f1()),
        }


def _r(x):
    return None if x is None else round(x, 4)


def read_gold(path, split: str | None = None) -> list[dict]:
    """Gold records from a JSONL file or a folder of them, optionally one split only."""
    path = pathlib.Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files or not all(f.exists() for f in files):
        raise InputError("no gold JSONL file here", str(path))
    records = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"line {n} is not valid JSON ({exc.msg})", str(f)) from None
                # `file` is relative to the corpus folder: the gold file's own folder or its parent.
                base = f.parent if (f.parent / rec.get("file", "")).exists() else f.parent.parent
                rec["_base"] = str(base)
                if split is None or rec.get("split") == split:
                    records.append(rec)
    return records


def _fold(text: str) -> str:
    # Both sides fold traditional script unconditionally: gold keeps a traditional report's own
    # characters, the extractor's text is simplified.
    text = strip_markers(fold_punctuation(fold_characters(text or ""))).translate(_traditional()[0])
    return text.replace("\n", "").replace(" ", "")


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-4, abs_tol=1e-6)


def names_overlap(a: str, b: str) -> bool:
    """One name contains the other, or they share a run of at least half the shorter one."""
    a, b = _fold(a), _fold(b)
    if not a or not b:
        return False
    if a in b or b in a:
        return True
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size >= max(2, min(len(a), len(b)) / 2)


def text_overlap(a: str, b: str) -> bool:
    """The characters of two item texts overlap by at least half of the longer one."""
    a, b = _fold(a), _fold(b)
    if not a or not b:
        return False
    same = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return same >= max(len(a), len(b)) / 2


def _unit(u):
    return None if u in (None, "") else u


def _match(gold: list, pred: list, same) -> list[tuple[int, int]]:
    """Greedy one-to-one matching in document order."""
    used, pairs = set(), []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if pi not in used and same(g, p):
                used.add(pi)
                pairs.append((gi, pi))
                break
    return pairs


def _tally(tally: Tally, n_gold: int, n_pred: int, n_pairs: int):
    tally.tp += n_pairs
    tally.fp += n_pred - n_pairs
    tally.fn += n_gold - n_pairs


def _evidence_spans(text: str, gold_indicators: list) -> list[tuple[int, int]]:
    """Where each gold indicator's evidence stands in the normalised `text` (searched in order)."""
    spans, pos = [], 0
    for g in gold_indicators:
        t = _fold(g["text"])
        i = text.find(t, pos) if t else -1
        if i < 0 and t:
            i = text.find(t)
        if i >= 0:
            spans.append((i, i + len(t)))
            pos = i
    return spans


def _number_span(p: dict) -> tuple[int, int]:
    """Offsets of the numeral a predicted indicator was read from (its whole evidence for a zero
    or when no numeral in it has the predicted value)."""
    if p["value"]:
        for m in _NUMERAL.finditer(p["text"]):
            digits = m.group(0).rstrip("万亿千百") or m.group(0)
            try:
                value = parse_number(digits.rstrip(",."))
            except (ValueError, KeyError):
                continue
            if any(_same_number(value * f, v) for v in (p["value"], p.get("value_max")) if v
                   for f in (1, 10, 100, 1000, 10_000, 1e8)):
                return p["start"] + m.start(), p["start"] + m.end()
    return p["start"], p["end"]


def spurious_class(text: str, start: int, end: int) -> str:
    """The not-an-indicator class of a number at text[start:end], told from the words around it."""
    before, after = text[max(0, start - 12):start], text[end:end + 6]
    if _DOCUMENT.search(text[max(0, start - 3):end + 3]):
        return "document_number"
    if _DATE_AFTER.match(after) or _YEAR.fullmatch(text, start, end):
        return "year_date"
    if before.endswith("第") or _HEADING_AFTER.match(after) or start == 0 or text[start - 1] == "\n":
        return "heading_ordinal"
    if _RULE_BEFORE.search(before.rsplit("，", 1)[-1]):
        return "frequency_rule"
    if _SLOGAN_AROUND.search(text[max(0, start - 2):end + 4]) or text[start] in "一二两三四五六七八九十":
        return "slogan"
    return "other"


def _canonical(ev: Evaluation, g_ind: list, p_ind: list, pairs: list) -> None:
    """Canonical keys, only for a record whose gold carries them (an unlabelled split reports -):
    precision over matched predictions with a key, coverage over gold indicators with a key."""
    if not any(g.get("canonical") for g in g_ind):
        return
    predicted = dict(pairs)
    for gi, pi in pairs:
        if p_ind[pi].get("canonical"):
            ev.canonical.add(p_ind[pi]["canonical"] == g_ind[gi].get("canonical"))
    for gi, g in enumerate(g_ind):
        if g.get("canonical"):
            ev.canonical_coverage.add(gi in predicted and p_ind[predicted[gi]].get("canonical") == g["canonical"])


def evaluate_report(ev: Evaluation, gold: dict, report: dict, text: str | None = None) -> None:
    """Add one report's comparison to `ev` (report is the extract JSON contract; `text` its
    normalised text, needed to tell spurious numbers from mis-named indicators)."""
    ev.reports += 1
    g_ind, p_ind = gold["indicators"], report["indicators"]

    def full(g, p):
        return (_same_number(g["value"], p["value"]) and _same_number(g.get("value_max"), p.get("value_max"))
                and _unit(g.get("unit")) == _unit(p.get("unit")) and names_overlap(g["name"], p["name"]))

    pairs = _match(g_ind, p_ind, full)
    _tally(ev.indicators, len(g_ind), len(p_ind), len(pairs))
    value_pairs = _match(g_ind, p_ind, lambda g, p: _same_number(g["value"], p["value"]))
    _tally(ev.values_only, len(g_ind), len(p_ind), len(value_pairs))
    for gi, pi in value_pairs:
        ev.name.add(names_overlap(g_ind[gi]["name"], p_ind[pi]["name"]))
    for gi, pi in pairs:
        g, p = g_ind[gi], p_ind[pi]
        ev.qualifier.add(g["qualifier"] == p["qualifier"])
        ev.scope.add(g.get("scope") == p.get("scope"))
        ev.kind.add(g["kind"] == p["kind"])
    _canonical(ev, g_ind, p_ind, pairs)
    g_zero = [g for g in g_ind if g["value"] == 0]
    p_zero = [p for p in p_ind if p["value"] == 0]
    _tally(ev.zeros, len(g_zero), len(p_zero), len(_match(g_zero, p_zero, lambda g, p: names_overlap(g["name"], p["name"]))))
    matched_g = {gi for gi, _ in pairs}
    matched_p = {pi for _, pi in pairs}
    ev.misses += [(gold["file"], "missed", g["text"]) for gi, g in enumerate(g_ind) if gi not in matched_g]
    ev.misses += [(gold["file"], "false", p["text"]) for pi, p in enumerate(p_ind) if pi not in matched_p]
    if text is not None:
        evidence = _evidence_spans(text, g_ind)
        for pi, p in enumerate(p_ind):
            if pi not in matched_p:
                lo, hi = _number_span(p)
                if not any(s < hi and lo < e for s, e in evidence):
                    cls = spurious_class(text, lo, hi)
                    ev.spurious[cls] += 1
                    ev.spurious_found.append((gold["file"], cls, p["text"]))

    for key, tally in (("problems", ev.problems), ("measures", ev.measures)):
        g_items, p_items = gold[key], report[key]
        n = len(_match(g_items, p_items, lambda g, p: text_overlap(g["text"], p["text"])))
        _tally(tally, len(g_items), len(p_items), n)

    for key, acc in ev.meta.items():
        g, p = gold["meta"].get(key), report["meta"].get(key)
        acc.add(_fold(str(g)) == _fold(str(p)) if key == "place" else g == p)

    g_sec, p_sec = gold["sections"], report["sections"]

    def same_heading(g, p):
        a, b = _fold(g["heading"]), _fold(p["heading"])
        return bool(a) and bool(b) and (a.startswith(b) or b.startswith(a))

    sec_pairs = dict(_match(g_sec, p_sec, same_heading))
    _tally(ev.sections, len(g_sec), len(p_sec), len(sec_pairs))
    for gi, g in enumerate(g_sec):
        p = p_sec[sec_pairs[gi]] if gi in sec_pairs else None
        ev.role.add(p is not None and p["role"] == g["role"])
        if g.get("theme"):
            ev.themes.append((g["theme"], p.get("theme") if p else "missing"))


def run(gold_path, split: str | None = None, analyse=None) -> Evaluation:
    """Extract every gold report and compare."""
    if analyse is None:
        from .analyse import analyse_file as analyse
    ev = Evaluation()
    for rec in read_gold(gold_path, split):
        result = analyse(pathlib.Path(rec["_base"]) / rec["file"])
        evaluate_report(ev, rec, result.to_dict(with_text=False), result.text)
    return ev


def worst(ev: Evaluation, n: int = 15) -> list[tuple[str, str, str]]:
    """The most common kinds of miss first: missed golds and false predictions by file."""
    per_file = Counter(f for f, _, _ in ev.misses)
    return sorted(ev.misses, key=lambda m: (-per_file[m[0]], m[0], m[1]))[:n]
