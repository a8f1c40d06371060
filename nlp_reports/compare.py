"""Indicators across places and years, with year-over-year change, from the store.

An indicator is chosen by its canonical key or, where canonical is not set (no taxonomy yet), by
its name; both kinds can be mixed. A cell that no report fills is missing (None) and stays
missing: it is never 0, and a change is computed only between two present values in one unit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import InputError

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:[-–~:]\s*(\d{4}))?\s*$")
FIELDS = ["indicator", "place", "place_key", "place_code", "year", "value", "unit", "qualifier", "change",
          "change_pct", "mentions", "report_id", "report_type"]
THEME_FIELDS = ["report_id", "place", "place_key", "year", "report_type", "theme", "chars", "share", "work_share"]


def parse_years(text: str | None) -> tuple[int, int] | None:
    """'2021-2023' → (2021, 2023); '2022' → (2022, 2022).

    >>> parse_years("2021-2023"), parse_years("2022"), parse_years(None)
    ((2021, 2023), (2022, 2022), None)
    """
    if not text:
        return None
    m = _YEARS.match(text)
    if not m:
        raise InputError(f"--years {text!r}: expected a year or a range such as 2021-2023")
    a, b = int(m.group(1)), int(m.group(2) or m.group(1))
    return (a, b) if a <= b else (b, a)


@dataclass
class Comparison:
    indicators: list[str]
    years: list[int]
    rows: list[dict]                           # one per (indicator, place, year) present; see FIELDS
    places: list[tuple[str, str]] = field(default_factory=list)  # (place_key, display name)
    themes: list[dict] = field(default_factory=list)             # see THEME_FIELDS and theme_shares
    warnings: list[str] = field(default_factory=list)
    labels: dict = field(default_factory=dict)  # canonical key → the name most reports give it

    def value(self, indicator, place_key, year) -> dict | None:
        return self._index.get((indicator, place_key, year))

    def __post_init__(self):
        self._index = {(r["indicator"], r["place_key"], r["year"]): r for r in self.rows}

    def to_dict(self) -> dict:
        return {"indicators": self.indicators, "years": self.years,
                "places": [{"place_key": k, "place": n} for k, n in self.places],
                "rows": self.rows, "themes": self.themes}


def compare(store, indicators=(), place=None, report_type=None, years=None, top: int = 8) -> Comparison:
    """The comparison of `indicators` (canonical keys, or names of indicators without one) over the
    places and years that report them. Without `indicators`, the `top` most widespread of those
    that one place reports in two years or more, canonical keys only when the store has any."""
    warnings = []
    if not indicators:  # chosen in SQL: a store of 10,000 reports holds half a million indicators
        indicators = default_indicators(store.indicators_over_years(place, report_type, years), top)
    else:
        warnings = None
    everything = store.indicator_values(indicators, place, report_type, years) if indicators else []
    raw = [r for r in everything if r["year"] is not None and r["place_key"]]
    if warnings is None:
        warnings = _unmatched(store, indicators, everything)
    left_out = store.unplaced(report_type, years)
    if left_out:
        warnings.append(f"{left_out} report{'s' if left_out > 1 else ''} with no year or no place (a placeholder "
                        "name such as X镇) left out; a batch --manifest can give their place and year")
    cells: dict = {}
    mentions: dict = {}
    for r in raw:
        key = (r["indicator"], r["place_key"], r["year"])
        mentions[key] = mentions.get(key, 0) + 1
        # The first mention in the first report, a level before a change (同比增长5% is no level).
        rank = (r["kind"] == "change", r["report_id"], r["start"])
        if key not in cells or rank < cells[key][0]:
            cells[key] = (rank, r)
    rows = []
    for (ind, pk, year), (_rank, r) in sorted(cells.items(), key=lambda kv: (_order(indicators, kv[0][0]), kv[0][1], kv[0][2])):
        prev = cells.get((ind, pk, year - 1), (None, None))[1]
        change = pct = None
        if prev is not None and _comparable(prev, r):
            change = r["value"] - prev["value"]
            pct = round(100.0 * change / prev["value"], 2) if prev["value"] else None
        rows.append({"indicator": ind, "place": r["place"], "place_key": pk, "place_code": r["place_code"],
                     "year": year, "value": r["value"], "unit": r["unit"], "qualifier": r["qualifier"],
                     "change": change, "change_pct": pct, "mentions": mentions[(ind, pk, year)],
                     "report_id": r["report_id"], "report_type": r["report_type"]})
    # Places are shown by their key: two 城关镇 in different counties must not look alike.
    uniq = [(k, k) for k in sorted({r["place_key"] for r in rows})]
    themes = theme_shares(store.theme_chars(place, report_type, years))
    return Comparison(list(indicators), sorted({r["year"] for r in rows}), rows, uniq, themes, warnings,
                      _labels(raw))


def _labels(raw) -> dict:
    names: dict = {}
    for r in raw:
        if r["is_canonical"]:
            count = names.setdefault(r["indicator"], {})
            count[r["name"]] = count.get(r["name"], 0) + 1
    return {k: max(c, key=lambda n: (c[n], n)) for k, c in names.items()}


def theme_shares(rows) -> list[dict]:
    """Each report's text per theme (rows of Store.theme_chars): `share` of all its classified
    sections' text, `work_share` of its work sections' text (problems and next steps left out;
    None for a theme with no work text), each character counted in its innermost section.

    >>> [(t["theme"], t["share"], t["work_share"]) for t in theme_shares([
    ...     {"report_id": 1, "theme": "other", "chars": 40, "work_chars": 0},
    ...     {"report_id": 1, "theme": "publicity", "chars": 120, "work_chars": 90},
    ...     {"report_id": 1, "theme": "leadership", "chars": 40, "work_chars": 30}])]
    [('publicity', 0.6, 0.75), ('leadership', 0.2, 0.25), ('other', 0.2, None)]
    """
    totals: dict = {}
    for r in rows:
        t = totals.setdefault(r["report_id"], [0, 0])
        t[0] += r["chars"] or 0
        t[1] += r["work_chars"] or 0
    out = []
    for r in rows:
        chars, work = totals[r["report_id"]]
        if not chars:
            continue
        out.append({**r, "share": round(r["chars"] / chars, 4),
                    "work_share": round(r["work_chars"] / work, 4) if work and r["work_chars"] else None})
    order = {rid: i for i, rid in enumerate(dict.fromkeys(r["report_id"] for r in rows))}
    out.sort(key=lambda t: (order[t["report_id"]], -t["share"], t["theme"]))
    return out


def _unmatched(store, keys, raw) -> list[str]:
    """A warning for each key that matched nothing, naming the canonical key to use when it is the
    name of indicators that carry one."""
    found = {r["indicator"] for r in raw}
    missing = [k for k in keys if k not in found]
    hints = store.canonical_of_names(missing)
    return [f"--indicator {k}: indicators named {k} carry the canonical key {' / '.join(hints[k])}; use that"
            if k in hints else f"--indicator {k}: no indicator with this canonical key or name"
            for k in missing]


def default_indicators(rows, top: int) -> list[str]:
    """The `top` indicators that most places report in two years or more, from rows of
    Store.indicators_over_years; only canonical keys when any qualifies (names differ between
    reports, canonical keys do not).

    >>> default_indicators([{"indicator": "办理案件", "is_canonical": 0, "places": 5},
    ...                     {"indicator": "legal_aid_cases", "is_canonical": 1, "places": 2}], 8)
    ['legal_aid_cases']
    """
    if any(r["is_canonical"] for r in rows):
        rows = [r for r in rows if r["is_canonical"]]
    return [r["indicator"] for r in sorted(rows, key=lambda r: (-r["places"], r["indicator"]))[:top]]


def _comparable(a: dict, b: dict) -> bool:
    """Two values in one unit; a zero outcome without a unit (无行政诉讼案件) fits any unit.

    >>> _comparable({"value": 0, "unit": None}, {"value": 1, "unit": "件"})
    True
    >>> _comparable({"value": 3, "unit": "次"}, {"value": 5, "unit": "场"})
    False
    """
    if a["value"] is None or b["value"] is None:
        return False
    return a["unit"] == b["unit"] or (a["value"] == 0 and not a["unit"]) or (b["value"] == 0 and not b["unit"])


def _order(indicators, key):
    return (list(indicators).index(key) if key in indicators else len(indicators), key)


def pivot(cmp: Comparison, by: str = "place") -> tuple[list[str], list[list]]:
    """Header and rows of the wide table: by place, a row per indicator × place and a column per
    year; by year, a row per indicator × year and a column per place. Cells are dicts or None."""
    if by == "year":
        header = ["indicator", "year"] + [name for _k, name in cmp.places]
        rows = [[ind, y] + [cmp.value(ind, k, y) for k, _n in cmp.places]
                for ind in cmp.indicators for y in cmp.years
                if any(cmp.value(ind, k, y) for k, _n in cmp.places)]
    else:
        header = ["indicator", "place"] + [str(y) for y in cmp.years]
        rows = [[ind, name] + [cmp.value(ind, k, y) for y in cmp.years]
                for ind in cmp.indicators for k, name in cmp.places
                if any(cmp.value(ind, k, y) for y in cmp.years)]
    return header, rows
