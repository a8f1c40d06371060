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
FIELDS = ["indicator", "place", "place_key", "place_code", "year", "value", "unit", "change", "change_pct",
          "report_id"]


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
    themes: list[dict] = field(default_factory=list)

    def value(self, indicator, place_key, year) -> dict | None:
        return self._index.get((indicator, place_key, year))

    def __post_init__(self):
        self._index = {(r["indicator"], r["place_key"], r["year"]): r for r in self.rows}

    def to_dict(self) -> dict:
        return {"indicators": self.indicators, "years": self.years,
                "places": [{"place_key": k, "place": n} for k, n in self.places],
                "rows": self.rows, "themes": self.themes}


def compare(store, indicators=(), place=None, report_type=None, years=None, top: int = 8) -> Comparison:
    """The comparison of `indicators` (all those reported in two years or more by one place, the
    `top` most widespread, when none is given) over the places and years that report them."""
    raw = [r for r in store.indicator_values(indicators, place, report_type, years)
           if r["year"] is not None and r["place_key"]]
    if not indicators:
        indicators = default_indicators(raw, top)
        raw = [r for r in raw if r["indicator"] in set(indicators)]
    cells: dict = {}
    for r in raw:  # the first mention in a report, and the first report, for each cell
        key = (r["indicator"], r["place_key"], r["year"])
        if key not in cells or (r["report_id"], r["start"]) < (cells[key]["report_id"], cells[key]["start"]):
            cells[key] = r
    rows = []
    for (ind, pk, year), r in sorted(cells.items(), key=lambda kv: (_order(indicators, kv[0][0]), kv[0][1], kv[0][2])):
        prev = cells.get((ind, pk, year - 1))
        change = pct = None
        if prev is not None and prev["unit"] == r["unit"] and r["value"] is not None and prev["value"] is not None:
            change = r["value"] - prev["value"]
            pct = round(100.0 * change / prev["value"], 2) if prev["value"] else None
        rows.append({"indicator": ind, "place": r["place"], "place_key": pk, "place_code": r["place_code"],
                     "year": year, "value": r["value"], "unit": r["unit"], "change": change,
                     "change_pct": pct, "report_id": r["report_id"]})
    # Places are shown by their key: two 城关镇 in different counties must not look alike.
    uniq = [(k, k) for k in sorted({r["place_key"] for r in rows})]
    themes = store.theme_shares(place, report_type, years)
    return Comparison(list(indicators), sorted({r["year"] for r in rows}), rows, uniq, themes)


def default_indicators(rows, top: int) -> list[str]:
    """The indicators that some place reports in at least two years, most places first."""
    years: dict = {}
    for r in rows:
        years.setdefault((r["indicator"], r["place_key"]), set()).add(r["year"])
    places: dict = {}
    for (ind, _pk), ys in years.items():
        if len(ys) >= 2:
            places[ind] = places.get(ind, 0) + 1
    return [k for k, _ in sorted(places.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]


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
