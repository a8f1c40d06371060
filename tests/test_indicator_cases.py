"""The indicator case table, tests/cases/indicators.yaml, run by one parametrised test.

Each case gives a short phrase and the indicators expected from it; only the fields a case gives
are compared. Cases marked `xfail` in the table are known failures, run strictly so that a fix
shows up as XPASS (then drop the mark from the table).
"""
from __future__ import annotations

import pathlib

import pytest
import yaml

from nlp_reports import analyse_text

CASES_FILE = pathlib.Path(__file__).parent / "cases" / "indicators.yaml"
REQUIRED = ("name", "value", "unit", "qualifier")
OPTIONAL = ("value_max", "kind", "scope", "scope_text", "direction")
NUMERIC = ("value", "value_max")


def _load_cases(path: pathlib.Path) -> list[dict]:
    """The cases of `path`, checked: unique ids, known fields, every expectation complete."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    bad, seen = [], set()
    for i, case in enumerate(cases):
        cid = case.get("id", f"#{i}")
        if cid in seen:
            bad.append(f"{cid}: duplicate id")
        seen.add(cid)
        if set(case) - {"id", "text", "expect", "xfail"} or not isinstance(case.get("text"), str) \
                or not isinstance(case.get("expect"), list):
            bad.append(f"{cid}: needs id, text, expect (and optional xfail); got {sorted(case)}")
        for entry in case.get("expect") or []:
            missing = [f for f in REQUIRED if f not in entry]
            unknown = set(entry) - set(REQUIRED) - set(OPTIONAL)
            if missing or unknown:
                bad.append(f"{cid}: expectation {entry} lacks {missing} or has unknown {sorted(unknown)}")
    if bad:
        raise ValueError(f"{path.name}: " + "; ".join(bad))
    return cases


def _approx(entry: dict) -> dict:
    return {k: pytest.approx(v) if k in NUMERIC and v is not None else v for k, v in entry.items()}


CASES = _load_cases(CASES_FILE)


@pytest.mark.parametrize(
    "text,expect",
    [pytest.param(c["text"], c["expect"],
                  marks=[pytest.mark.xfail(reason=c["xfail"], strict=True)] if "xfail" in c else [])
     for c in CASES],
    ids=[c["id"] for c in CASES],
)
def test_indicator_case(text, expect):
    found = analyse_text(text).indicators
    # Each found indicator is seen through the fields of the expectation at its position (extra ones
    # through the required fields), so a failure shows the whole difference at once.
    fields = [list(e) for e in expect] + [list(REQUIRED)] * max(0, len(found) - len(expect))
    got = [{f: getattr(ind, f) for f in keys} for ind, keys in zip(found, fields)]
    assert got == [_approx(e) for e in expect]


def test_trap_place_parser_reads_chengguan_zhen_as_a_town():
    # A place parser of another tool takes 城关镇 for a county seat; the report's unit is the town.
    meta = analyse_text("城关镇2023年法治建设工作自查报告\n今年以来，城关镇开展法治宣传活动6次。").meta
    assert (meta.place, meta.place_level) == ("城关镇", "镇")
