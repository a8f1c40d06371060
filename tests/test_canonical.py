"""Canonical keys: the case table tests/cases/canonical.yaml, run by one parametrised test, and the
integrity of the taxonomy data file (nlp_reports/data/taxonomy.yaml)."""
from __future__ import annotations

import copy
import pathlib
import re

import pytest
import yaml

from conftest import case_params
from nlp_reports import analyse_text
from nlp_reports.errors import DataError
from nlp_reports.extract import taxonomy as taxonomy_mod
from nlp_reports.resources import load

CASES_FILE = pathlib.Path(__file__).parent / "cases" / "canonical.yaml"


def _load_cases(path: pathlib.Path) -> list[dict]:
    """The cases of `path`, checked: unique ids, known fields, a key (or null) for every figure."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    ids = [case.get("id") for case in cases]
    bad = [f"{i}: duplicate or missing id" for i in ids if not i or ids.count(i) > 1]
    bad += [f"{case.get('id')}: fields {sorted(case)}" for case in cases
            if set(case) - {"id", "text", "expect", "xfail"} or not isinstance(case.get("expect"), list)]
    bad += [f"{case.get('id')}: expectation {e}" for case in cases for e in case.get("expect") or []
            if not {"value", "canonical"} <= set(e) <= {"value", "unit", "name", "canonical"}]
    if bad:
        raise ValueError(f"{path.name}: " + "; ".join(bad))
    return cases


CASES = _load_cases(CASES_FILE)


def _the_figure(indicators, entry):
    found = [i for i in indicators if i.value == pytest.approx(entry["value"])
             and ("unit" not in entry or i.unit == entry["unit"])
             and ("name" not in entry or entry["name"] in i.name or i.name in entry["name"])]
    assert len(found) == 1, f"expected one figure {entry}, found {[(i.name, i.value, i.unit) for i in found]}"
    return found[0]


@pytest.mark.parametrize("text,expect", case_params(CASES, "text", "expect"))
def test_canonical_case(text, expect):
    indicators = analyse_text(text).indicators
    got = [(e["value"], _the_figure(indicators, e).canonical) for e in expect]
    assert got == [(e["value"], e["canonical"]) for e in expect]


# --- the taxonomy data file ---------------------------------------------------------------------

TAXONOMY = load("taxonomy.yaml")
ENTRIES = TAXONOMY["entries"]


def test_taxonomy_is_sound_and_large_enough():
    assert taxonomy_mod.check(TAXONOMY) == []
    assert len(ENTRIES) >= 60


def test_keys_are_unique_snake_case():
    keys = [e["key"] for e in ENTRIES]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*", k) for k in keys)


def test_every_entry_has_label_definition_kind_unit_and_phrasings():
    units = {spec.get("as", u) for u, spec in load("units.yaml").items()} | {"%", "‰", "个百分点"}
    for e in ENTRIES:
        assert e["label"].strip() and len(e["definition"]) >= 30, e["key"]
        assert e["kind"] in taxonomy_mod.KINDS, e["key"]
        assert {e["unit"], *e.get("alt_units", [])} <= units, e["key"]
        assert e["phrasings"], e["key"]


def test_rates_and_changes_are_counted_in_their_units():
    for e in ENTRIES:
        if e["kind"] == "rate":
            assert e["unit"] in ("%", "‰"), e["key"]
        if e["unit"] in ("%", "‰"):
            assert e["kind"] in ("rate", "change"), e["key"]
        if e["kind"] == "change":
            assert e["key"].endswith("_change"), e["key"]


def test_every_domain_of_the_brief_has_keys():
    keys = {e["key"] for e in ENTRIES}
    for key in ("rule_of_law_meetings", "legal_publicity_events", "petition_cases", "disputes_handled",
                "safety_hazards_found", "emergency_drills", "river_patrols", "integrity_talks",
                "disciplinary_sanctions", "ideology_meetings", "public_opinion_items", "budget_execution_rate",
                "three_public_expenses", "business_startup_time", "monitored_households"):
        assert key in keys


def test_a_broken_taxonomy_names_every_bad_entry():
    data = copy.deepcopy(TAXONOMY)
    data["entries"][0]["kind"] = "counts"
    data["entries"][1]["unit"] = "furlong"
    data["entries"][2]["phrasings"] = [{"phrase": "(unclosed"}]
    data["entries"][3]["phrasings"] = [{"phrase": "法律援助案件#", "base": ["no_such_key"]}]
    data["entries"][4]["key"] = data["entries"][5]["key"]
    problems = "; ".join(taxonomy_mod.check(data))
    for fragment in ("kind 'counts'", "unit 'furlong'", "not a valid regular expression", "base 'no_such_key'",
                     "duplicate key"):
        assert fragment in problems


def test_a_broken_taxonomy_stops_with_a_data_error(monkeypatch):
    data = copy.deepcopy(TAXONOMY)
    data["entries"][0]["phrasings"] = []
    taxonomy_mod.taxonomy.cache_clear()
    monkeypatch.setattr(taxonomy_mod, "load", lambda name: data if name == "taxonomy.yaml" else load(name))
    try:
        with pytest.raises(DataError, match=f"{ENTRIES[0]['key']}: needs phrasings"):
            taxonomy_mod.taxonomy()
    finally:
        taxonomy_mod.taxonomy.cache_clear()


def test_each_phrasing_is_compiled_once_and_indexed_by_kind_and_unit():
    tax = taxonomy_mod.taxonomy()
    assert len(tax.phrasings) == sum(len(e["phrasings"]) for e in ENTRIES)
    counts = {n for n, (key, _) in enumerate(tax.phrasings) if key == "disputes_handled"}
    assert counts <= tax.groups[("count", "件")][0] and counts <= tax.groups[("count", "起")][0]
    assert not counts & tax.groups[("rate", "%")][0]


def test_lookup_touches_only_phrasings_whose_literal_the_phrase_holds():
    tax = taxonomy_mod.taxonomy()
    found = {tax.phrasings[n][0] for n in tax.candidates("count", "件", "全年排查调处矛盾纠纷#")}
    assert "disputes_handled" in found and "legal_aid_cases" not in found
    assert len(found) < 15


@pytest.mark.parametrize("pattern,literals", [
    ("(?:排查|调处)(?:各类)?矛盾纠纷#", {"矛盾纠纷#"}),
    ("研究(?:部署)?(?:法治建设|依法治县)#", {"法治建设", "依法治县"}),
    ("(?<!协助)(?:办理|受理)?法律援助案件#", {"法律援助案件#"}),
    ("(?:辖|下辖)#(?:行政村|建制村)$", {"行政村", "建制村"}),
    ("A|B", set()),
    ("[甲乙]+", set()),
])
def test_required_literals(pattern, literals):
    assert taxonomy_mod.required_literals(pattern) == literals


def test_describe_shows_the_line_a_figure_is_matched_on():
    from nlp_reports.extract.canonical import describe

    report = analyse_text("全年排查调处矛盾纠纷156件，调解成功149件。")
    kind, unit, bases, part, cues, name, phrase = describe(report.indicators[1], report.text, {"disputes_handled"}).split("\t")
    assert (kind, unit, bases, part, phrase) == ("count", "件", ",disputes_handled,", "N", "调解成功#")


def test_a_long_list_before_figures_is_read_within_the_clause_reach():
    # Each 、-item without a number of its own extends the clause back: the walk stops at the reach
    # (a list of thousands of items once recursed past Python's limit).
    text = "、".join(["未发生行政复议"] * 3000) + "和群体性事件。" + "、".join(["宣传"] * 3000) + "等普法活动3次。"
    indicators = analyse_text(text).indicators
    assert [i.canonical for i in indicators if i.value == 3] == [None]
