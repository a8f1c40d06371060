"""`nlp-reports compare`, `export` and `score` through the CLI, on a store of the corpus's 3-year places."""
import csv
import io
import json
import os
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import ROOT
from nlp_reports.cli import main

THREE_YEAR = ["quanxi", "meilin", "changshou", "qingyangsifaju"]
FILES = sorted(p for p in (ROOT / "corpora" / "reports").glob("*.txt") if any(f"_{n}_" in p.name for n in THREE_YEAR))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("in")
    for p in FILES:
        shutil.copy(p, folder / p.name)
    path = tmp_path_factory.mktemp("db") / "r.db"
    result = CliRunner().invoke(main, ["batch", str(folder), "--db", str(path), "--workers", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    return path


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_the_fixture_has_places_with_three_years(db):
    con = sqlite3.connect(db)
    years = con.execute("SELECT place_key, count(DISTINCT year) FROM reports GROUP BY place_key").fetchall()
    con.close()
    assert len(FILES) == 12 and sum(1 for _k, n in years if n == 3) >= 3


def test_compare_json_shows_real_year_over_year_changes(db):
    result = cli("compare", "--db", db, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["years"] == [2021, 2022, 2023] and data["indicators"]
    changes = [r for r in data["rows"] if r["change"] is not None]
    assert changes, "no year-over-year change found"
    index = {(r["indicator"], r["place_key"], r["year"]): r for r in data["rows"]}
    for r in changes:
        prev = index[(r["indicator"], r["place_key"], r["year"] - 1)]
        assert r["change"] == pytest.approx(r["value"] - prev["value"])
        if prev["value"]:
            assert r["change_pct"] == pytest.approx(100 * (r["value"] - prev["value"]) / prev["value"], abs=0.01)
    shares = {}
    for t in data["themes"]:
        shares[t["report_id"]] = shares.get(t["report_id"], 0) + t["share"]
    assert len(shares) == len(FILES) and all(s == pytest.approx(1, abs=0.01) for s in shares.values())


def test_a_missing_year_is_missing_never_zero(db):
    # 问题 (problems found) is reported by 梅林街道 in some years only: the others stay empty.
    data = json.loads(cli("compare", "--db", db, "--format", "json").output)
    ind = data["indicators"][0]
    places = {r["place_key"] for r in data["rows"] if r["indicator"] == ind}
    present = {(r["place_key"], r["year"]) for r in data["rows"] if r["indicator"] == ind}
    missing = [(p, y) for p in places for y in data["years"] if (p, y) not in present]
    table = cli("compare", "--db", db, "--indicator", ind).output
    assert "—" in table or not missing
    assert all(r["value"] is not None for r in data["rows"])
    rows = list(csv.DictReader(io.StringIO(cli("compare", "--db", db, "--indicator", ind, "--format", "csv").output)))
    assert {(r["place_key"], int(r["year"])) for r in rows} == present  # no invented 0 rows


def test_compare_table_by_place_and_by_year(db):
    by_place = cli("compare", "--db", db, "--indicator", "矛盾纠纷", "--years", "2021-2023")
    assert by_place.exit_code == 0
    lines = by_place.output.splitlines()
    assert lines[0].split()[:5] == ["indicator", "place", "2021", "2022", "2023"]
    assert any("泉溪镇" in line and "%" in line for line in lines)
    assert "Theme shares" in by_place.output
    by_year = cli("compare", "--db", db, "--indicator", "矛盾纠纷", "--by", "year")
    assert by_year.output.splitlines()[0].split()[:2] == ["indicator", "year"]
    assert "泉溪镇" in by_year.output.splitlines()[0]


def test_compare_filters(db):
    one = json.loads(cli("compare", "--db", db, "--place", "泉溪镇", "--years", "2022", "--format", "json").output)
    assert {r["place_key"] for r in one["rows"]} <= {"泉溪镇"} and set(one["years"]) <= {2022}
    bad = cli("compare", "--db", db, "--years", "last year")
    assert bad.exit_code == 2 and "expected a year or a range" in bad.output


def test_compare_plot_writes_a_png(db, tmp_path):
    out = tmp_path / "plot.png"
    result = cli("compare", "--db", db, "--indicator", "矛盾纠纷", "--plot", out)
    assert result.exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    from nlp_reports.plot import cjk_font

    assert cjk_font() is not None  # the packaged Noto Sans CJK is found, so the labels are legible


def test_compare_on_a_missing_store_is_one_line(tmp_path):
    result = cli("compare", "--db", tmp_path / "none.db")
    assert result.exit_code == 4 and result.output.count("\n") == 1 and "no such store" in result.output


KEYS = ["report_id", "path", "place", "place_key", "place_code", "year", "report_type"]


@pytest.mark.parametrize("table", ["reports", "sections", "indicators", "problems", "measures", "scores"])
def test_export_csv_rows_stand_alone(db, tmp_path, table):
    out = tmp_path / f"{table}.csv"
    result = cli("export", "--db", db, "--table", table, "--out", out)
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows and list(rows[0])[:len(KEYS)] == KEYS
    assert all(r["report_id"] and r["path"] for r in rows)
    assert result.output.strip() == f"wrote {len(rows)} rows to {out}"


def test_export_indicators_carry_checkable_evidence(db, tmp_path):
    out = tmp_path / "i.jsonl"
    cli("export", "--db", db, "--table", "indicators", "--out", out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    texts = {}
    for r in rows[:200]:
        if r["path"] not in texts:
            from nlp_reports.analyse import analyse_file

            texts[r["path"]] = analyse_file(r["path"]).text
        assert texts[r["path"]][r["start"]:r["end"]] == r["text"]
        assert r["text"] in r["sentence"]


def test_export_xlsx_and_parquet(db, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    pq = pytest.importorskip("pyarrow.parquet")
    cli("export", "--db", db, "--table", "indicators", "--out", tmp_path / "i.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "i.xlsx", read_only=True)["indicators"]
    header = next(ws.iter_rows(values_only=True))
    assert list(header[:len(KEYS)]) == KEYS and "sentence" in header
    cli("export", "--db", db, "--table", "scores", "--out", tmp_path / "s.parquet")
    t = pq.read_table(tmp_path / "s.parquet")
    assert t.num_rows == len(FILES) and "total" in t.column_names and "text_reuse" in t.column_names


def test_export_refuses_an_unknown_extension_and_keeps_old_files(db, tmp_path):
    bad = cli("export", "--db", db, "--table", "reports", "--out", tmp_path / "x.pdf")
    assert bad.exit_code == 2 and "expected one of .csv" in bad.output
    nowhere = cli("export", "--db", db, "--table", "reports", "--out", tmp_path / "no" / "folder" / "r.csv")
    assert nowhere.exit_code == 4 and nowhere.output.count("\n") == 1 and "cannot write here" in nowhere.output
    out = tmp_path / "ro" / "r.csv"
    out.parent.mkdir()
    out.write_text("earlier export", encoding="utf-8")
    os.chmod(out.parent, 0o500)
    try:
        if os.access(out.parent, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        failed = cli("export", "--db", db, "--table", "reports", "--out", out)
        assert failed.exit_code == 4 and failed.output.count("\n") == 1
        assert out.read_text(encoding="utf-8") == "earlier export"
    finally:
        os.chmod(out.parent, 0o700)


def test_score_with_another_rubric_changes_the_totals(db, tmp_path):
    def totals():
        con = sqlite3.connect(db)
        try:
            return dict(con.execute("SELECT report_id, score FROM scores WHERE criterion = 'total'"))
        finally:
            con.close()

    before = totals()
    rubric = tmp_path / "r.yaml"
    rubric.write_text("name: problems-only\ncriteria:\n  problems: {measure: problems, weight: 1, low: 0, high: 100}\n",
                      encoding="utf-8")
    result = cli("score", "--db", db, "--rubric", rubric)
    assert result.exit_code == 0 and result.output == f"scored {len(FILES)} reports with rubric problems-only\n"
    assert totals() != before and all(0 <= v <= 100 for v in totals().values())
    again = cli("score", "--db", db, "--reuse")
    assert again.exit_code == 0 and totals() == before


def test_a_bad_rubric_names_every_bad_field(db, tmp_path):
    rubric = tmp_path / "r.yaml"
    rubric.write_text("criteria:\n  a: {measure: nonsense, weight: x, low: 0, high: 1}\n", encoding="utf-8")
    result = cli("score", "--db", db, "--rubric", rubric)
    assert result.exit_code == 3 and result.output.count("\n") == 1
    assert "a.measure is 'nonsense'" in result.output and "a.weight is 'x'" in result.output


@pytest.mark.parametrize("command", ["batch", "score", "compare", "export"])
def test_every_command_has_help_with_an_example_and_is_documented(command):
    result = cli(command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output
    docs = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"nlp-reports {command}" in docs
