import csv
import io
import json
import pathlib
import re

import pytest
from click.testing import CliRunner

from nlp_reports.cli import main

from conftest import ROOT, SEED, make_docx


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    return invoke


def test_table_view_shows_metadata_indicators_and_lists(run):
    res = run("extract", SEED)
    assert res.exit_code == 0
    out = res.output
    assert "place:       X镇 (镇)" in out
    assert "year:        2023" in out
    assert "report type: 法治建设工作自查报告" in out
    assert re.search(r"宣传资料\s+50,000\s+份\s+more_than", out)
    assert re.search(r"问题解决率\s+98\.1\s+%\s+exact", out)
    assert "Problems (4)\n1. 法治议事协调机构运行机制有待进一步完善" in out
    assert "Measures (3)" in out


def test_json_follows_the_schema(run):
    res = run("extract", "--format", "json", SEED)
    doc = json.loads(res.output)
    assert doc["schema_version"] == 1
    assert set(doc) >= {"source", "meta", "sections", "indicators", "problems", "measures", "text"}
    assert doc["source"]["encoding"] == "utf-8" and doc["source"]["format"] == "txt"
    assert doc["source"]["chars"] == len(doc["text"])
    ind = next(i for i in doc["indicators"] if i["name"] == "来访群众")
    assert (ind["value"], ind["unit"], ind["qualifier"], ind["kind"]) == (600, "人次", "more_than", "people")
    assert doc["text"][ind["start"]:ind["end"]] == ind["text"]
    for key in ("name", "canonical", "value", "value_max", "unit", "qualifier", "scope", "kind", "text",
                "start", "end", "sentence", "section"):
        assert key in ind
    for key in ("id", "parent", "level", "number", "heading", "role", "theme", "theme_confidence", "start", "end"):
        assert key in doc["sections"][0]


def test_jsonl_one_line_per_input_and_overrides(run, tmp_path):
    gbk = tmp_path / "泉溪镇 报告.txt"
    gbk.write_bytes("泉溪镇2021年法治建设工作自查报告\n全年开展法治讲座4次，发放宣传资料3千余份。".encode("gbk"))
    res = run("extract", "--format", "jsonl", "--no-text", SEED, gbk)
    lines = res.output.strip().split("\n")
    assert len(lines) == 2
    second = json.loads(lines[1])
    assert "text" not in second
    assert second["source"]["encoding"] == "gb18030"
    assert second["meta"]["place"] == "泉溪镇" and second["meta"]["year"] == 2021
    assert [(i["name"], i["value"], i["qualifier"]) for i in second["indicators"]] == [
        ("法治讲座", 4, "exact"), ("宣传资料", 3000, "more_than")]
    res = run("extract", "--format", "jsonl", "--place", "长寿镇", "--year", "2020", gbk)
    meta = json.loads(res.output)["meta"]
    assert (meta["place"], meta["year"]) == ("长寿镇", 2020)


def test_csv_one_row_per_indicator_to_a_file(run, tmp_path):
    out = tmp_path / "ind.csv"
    res = run("extract", "--format", "csv", "-o", out, SEED)
    assert res.exit_code == 0 and res.output == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 18
    assert rows[0]["path"].endswith("000_51954c0da616a2a1.txt")
    assert {r["place"] for r in rows} == {"X镇"} and {r["year"] for r in rows} == {"2023"}
    assert rows[3]["name"] == "宣传资料" and rows[3]["value"] == "50000"


def test_docx_through_the_cli(run, tmp_path):
    path = make_docx(tmp_path / "r.docx", ["红星镇2022年安全生产自查报告", "一、主要工作", "全年排查隐患86处，整改率100%。"])
    doc = json.loads(run("extract", "--format", "json", path).output)
    assert doc["source"]["format"] == "docx"
    assert [(i["name"], i["value"], i["unit"]) for i in doc["indicators"]] == [("隐患", 86, "处"), ("整改率", 100, "%")]


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "file is empty"),
    ("pic.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "unsupported format: a PNG image"),
    ("scan.pdf", b"%PDF-1.4", "unsupported format: a PDF file"),
])
def test_bad_input_is_one_line_and_exit_2(run, tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    res = CliRunner().invoke(main, ["extract", str(path)])
    assert res.exit_code == 2
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert res.output.strip() == f"nlp-reports: error: {path}: {reason}"


def test_one_bad_path_does_not_stop_the_others(tmp_path):
    res = CliRunner().invoke(main, ["extract", "--format", "jsonl", str(tmp_path / "missing.txt"), str(SEED)])
    assert res.exit_code == 2
    lines = res.output.strip().split("\n")
    assert lines[0] == f"nlp-reports: error: {tmp_path / 'missing.txt'}: no such file"
    assert json.loads(lines[1])["meta"]["place"] == "X镇"


def test_every_command_has_help_and_is_in_the_readme(run):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        res = run(name, "--help")
        assert res.exit_code == 0 and "Example" in res.output, name
        assert f"nlp-reports {name}" in readme, name
