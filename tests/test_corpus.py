"""The annotated corpus: the gold file follows the guide, and the corpus has the size and spread
the corpus issue asks for."""
import collections
import importlib.util
import json

import pytest

from conftest import ROOT

CORPORA = ROOT / "corpora"
GOLD = CORPORA / "gold"


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, CORPORA / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gold():
    from nlp_reports.evaluate import read_gold

    return read_gold(GOLD)


def test_gold_follows_the_annotation_guide(gold):
    check = _tool("check_gold")
    problems = [p for i, rec in enumerate(gold, 1) for p in check.check_record(rec, f"line {i}")]
    assert problems == []


def test_corpus_size_and_spread(gold):
    assert len(gold) >= 80
    assert len({r["meta"]["report_type"] for r in gold}) >= 12
    places = {r["meta"]["place"] for r in gold}
    assert len(places) >= 20
    assert {"镇", "乡", "街道", "部门"} <= {r["meta"]["place_level"] for r in gold}
    assert len(_tool("stats").three_year_places(gold)) >= 8
    assert any(r["file"].endswith("000_51954c0da616a2a1.txt") for r in gold)


def test_splits_are_fixed_by_place(gold):
    splits = collections.defaultdict(set)
    for r in gold:
        splits[r["meta"]["place"]].add(r["split"])
    assert all(len(s) == 1 for s in splits.values())
    assert {r["split"] for r in gold} == {"train", "dev", "test"}


def test_reports_are_realistic_in_length_and_include_gbk_and_docx(gold):
    from nlp_reports.loading import load_file

    encodings = collections.Counter()
    for r in gold:
        src = load_file(CORPORA / r["file"])
        assert 1500 <= len(src.text) <= 8000, r["file"]
        encodings[src.format if src.format == "docx" else src.encoding] += 1
    assert encodings["docx"] >= 3 and encodings["gb18030"] >= 3


def test_every_report_file_has_a_gold_line(gold):
    files = {r["file"] for r in gold}
    on_disk = {f"reports/{p.name}" for p in (CORPORA / "reports").iterdir()}
    assert files == on_disk
