"""`nlp-reports compare`, `export` and `score` through the CLI, on a store of the corpus's 3-year places."""
import csv
import io
import json
import os
import re
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
    data = json.loads(result.stdout)
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
    data = json.loads(cli("compare", "--db", db, "--format", "json").stdout)
    ind = data["indicators"][0]
    places = {r["place_key"] for r in data["rows"] if r["indicator"] == ind}
    present = {(r["place_key"], r["year"]) for r in data["rows"] if r["indicator"] == ind}
    missing = [(p, y) for p in places for y in data["years"] if (p, y) not in present]
    table = cli("compare", "--db", db, "--indicator", ind).output
    assert "—" in table or not missing
    assert all(r["value"] is not None for r in data["rows"])
    rows = list(csv.DictReader(io.StringIO(cli("compare", "--db", db, "--indicator", ind, "--format", "csv").stdout)))
    assert {(r["place_key"], int(r["year"])) for r in rows} == present  # no invented 0 rows


def key_of(db, name):
    """The key compare takes for the indicators named `name`: their canonical key, if they have one."""
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT coalesce(canonical, name) FROM indicators WHERE name = ? LIMIT 1", (name,)).fetchone()[0]
    finally:
        con.close()


def test_compare_table_by_place_and_by_year(db):
    disputes = key_of(db, "矛盾纠纷")
    by_place = cli("compare", "--db", db, "--indicator", disputes, "--years", "2021-2023")
    assert by_place.exit_code == 0
    lines = by_place.output.splitlines()
    assert lines[0].split()[:5] == ["indicator", "place", "2021", "2022", "2023"]
    assert any("泉溪镇" in line and "%" in line for line in lines)
    assert "Theme shares" in by_place.output
    by_year = cli("compare", "--db", db, "--indicator", disputes, "--by", "year")
    assert by_year.output.splitlines()[0].split()[:2] == ["indicator", "year"]
    assert "泉溪镇" in by_year.output.splitlines()[0]


def test_compare_filters(db):
    one = json.loads(cli("compare", "--db", db, "--place", "泉溪镇", "--years", "2022", "--format", "json").stdout)
    assert {r["place_key"] for r in one["rows"]} <= {"泉溪镇"} and set(one["years"]) <= {2022}
    bad = cli("compare", "--db", db, "--years", "last year")
    assert bad.exit_code == 2 and "expected a year or a range" in bad.output


def test_compare_plot_writes_a_png(db, tmp_path):
    out = tmp_path / "plot.png"
    result = cli("compare", "--db", db, "--indicator", key_of(db, "矛盾纠纷"), "--plot", out)
    assert result.exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    from nlp_reports.plot import cjk_font

    assert cjk_font() is not None  # the packaged Noto Sans CJK is found, so the labels are legible


def test_compare_on_a_missing_store_is_one_line(tmp_path):
    result = cli("compare", "--db", tmp_path / "none.db")
    assert result.exit_code == 4 and result.output.count("\n") == 1 and "no such store" in result.output


def crafted_store(path, reports):
    """A store of texts written for a test: (text, section themes or None, {indicator name:
    canonical key}, manifest levels) each; canonical keys are set exactly as given."""
    from dataclasses import replace

    from nlp_reports.analyse import analyse_text
    from nlp_reports.places import identify
    from nlp_reports.store import Store, record

    with Store(path) as store:
        for i, (text, themes, canonical, levels) in enumerate(reports):
            rep = analyse_text(text, {"path": f"/crafted/{i}.txt", "sha256": f"{i:064x}", "format": "txt"})
            if themes:
                assert len(themes) == len(rep.sections), [s.heading for s in rep.sections]
                rep = replace(rep, sections=tuple(replace(sec, theme=t) for sec, t in zip(rep.sections, themes)))
            rep = replace(rep, indicators=tuple(replace(ind, canonical=canonical.get(ind.name))
                                                for ind in rep.indicators))
            store.add_report(record(rep, path=f"/crafted/{i}.txt", place=identify(rep.meta.place, **levels).to_dict()),
                             None)
    return path


# A report whose top sections are parts (第一部分…, theme other) with themed items inside.
PREAMBLE = "泉溪镇2023年法治建设工作报告\n今年以来，我镇扎实推进法治建设，现将有关情况报告如下。\n"
PART = "第一部分主要工作及成效\n全年法治建设工作总体平稳有序。\n"
ITEM1 = "一是加强组织领导。\n党委会专题研究法治工作4次。\n"
ITEM2 = "二是深化普法宣传。\n开展法治宣传活动11次，发放宣传资料3000份。\n"
PROBLEMS = "第二部分存在的问题\n普法形式比较单一，群众参与度不高。\n"
NEXT = "第三部分下一步打算\n继续加强普法宣传，创新宣传形式。"


def test_theme_shares_count_each_character_in_its_innermost_section(tmp_path):
    db = crafted_store(tmp_path / "t.db", [(PREAMBLE + PART + ITEM1 + ITEM2 + PROBLEMS + NEXT,
                                            ["other", "leadership", "publicity", "publicity", "other"], {}, {})])
    themes = {t["theme"]: t for t in json.loads(cli("compare", "--db", db, "--format", "json").stdout)["themes"]}
    # The preamble is under no heading and is left out; the part's own text (its heading and the
    # line before its first item) is `other`; problems and next steps count in `share` only.
    total, work = len(PART + ITEM1 + ITEM2 + PROBLEMS + NEXT), len(PART + ITEM1 + ITEM2)
    assert {k: (t["chars"], t["share"], t["work_share"]) for k, t in themes.items()} == {
        "other": (len(PART + NEXT), round(len(PART + NEXT) / total, 4), round(len(PART) / work, 4)),
        "leadership": (len(ITEM1), round(len(ITEM1) / total, 4), round(len(ITEM1) / work, 4)),
        "publicity": (len(ITEM2 + PROBLEMS), round(len(ITEM2 + PROBLEMS) / total, 4), round(len(ITEM2) / work, 4)),
    }
    assert themes["publicity"]["share"] == 0.4437 and themes["other"]["work_share"] == 0.3182
    table = cli("compare", "--db", db).output.splitlines()
    assert [line.split() for line in table if "publicity" in line] == [["泉溪镇", "2023", "1", "publicity", "44.4%", "39.8%"]]


YEARS = {2021: ("开展法治宣传活动11次", 20), 2022: ("举办普法宣传活动15次", 25), 2023: ("开展法治宣传活动9次", 30)}
CANONICAL = {"法治宣传活动": "publicity_events", "普法宣传活动": "publicity_events"}


@pytest.fixture(scope="module")
def canonical_db(tmp_path_factory):
    texts = [(f"泉溪镇{y}年法治建设工作报告\n一、主要工作\n全年{events}，办理行政案件{cases}件。\n", None, CANONICAL, {})
             for y, (events, cases) in YEARS.items()]
    # Two towns of one name in two counties: never one place, so no change between them.
    texts += [("城关镇2022年法治建设工作报告\n一、主要工作\n全年办理行政案件40件。\n", None, {},
               {"province": "甘肃省", "county": "榆中县"}),
              ("城关镇2023年法治建设工作报告\n一、主要工作\n全年办理行政案件10件。\n", None, {},
               {"province": "陕西省", "county": "勉县"}),
              ("X镇2023年法治建设工作报告\n一、主要工作\n全年办理行政案件70件。\n", None, {}, {})]  # no place
    return crafted_store(tmp_path_factory.mktemp("canon") / "c.db", texts)


def test_compare_takes_a_canonical_key_across_differently_named_indicators(canonical_db):
    data = json.loads(cli("compare", "--db", canonical_db, "--indicator", "publicity_events", "--format", "json").stdout)
    assert [(r["year"], r["value"], r["change"], r["change_pct"]) for r in data["rows"]] == [
        (2021, 11, None, None), (2022, 15, 4, 36.36), (2023, 9, -6, -40.0)]
    assert {r["place_key"] for r in data["rows"]} == {"泉溪镇"}


def test_compare_defaults_to_canonical_keys_when_the_store_has_them(canonical_db):
    result = cli("compare", "--db", canonical_db, "--format", "json")
    assert json.loads(result.stdout)["indicators"] == ["publicity_events"]  # 行政案件 qualifies too, but has no key
    assert result.stderr == ("nlp-reports: warning: 1 report with no year or no place (a placeholder name such as "
                             "X镇) left out; a batch --manifest can give their place and year\n")


def test_compare_by_name_for_indicators_without_a_canonical_key(canonical_db):
    data = json.loads(cli("compare", "--db", canonical_db, "--indicator", "行政案件", "--format", "json").stdout)
    rows = {(r["place_key"], r["year"]): (r["value"], r["change"]) for r in data["rows"]}
    assert rows == {("泉溪镇", 2021): (20, None), ("泉溪镇", 2022): (25, 5), ("泉溪镇", 2023): (30, 5),
                    ("甘肃省/兰州市/榆中县/城关镇", 2022): (40, None), ("陕西省/汉中市/勉县/城关镇", 2023): (10, None)}


def test_a_name_that_has_a_canonical_key_gets_a_hint(canonical_db):
    result = cli("compare", "--db", canonical_db, "--indicator", "法治宣传活动")
    assert result.exit_code == 0
    assert ("nlp-reports: warning: --indicator 法治宣传活动: indicators named 法治宣传活动 carry the canonical key "
            "publicity_events; use that") in result.stderr
    assert "no indicator values match" in result.stdout


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


def test_export_columns_are_typed_and_named_for_stata_and_r(db, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    for table in ("indicators", "sections", "scores"):
        cli("export", "--db", db, "--table", table, "--out", tmp_path / f"{table}.parquet")
    ind = pq.read_table(tmp_path / "indicators.parquet")
    types = {f.name: str(f.type) for f in ind.schema}
    assert (types["report_id"], types["year"], types["value"], types["start"], types["section"]) == (
        "int64", "int64", "double", "int64", "int64")
    assert set(ind.column("year").to_pylist()) == {2021, 2022, 2023}
    sections = pq.read_table(tmp_path / "sections.parquet")
    assert "section" in sections.column_names and "id" not in sections.column_names  # joins indicators.section
    scores = pq.read_table(tmp_path / "scores.parquet").schema
    assert str(scores.field("text_reuse").type) == "double" and str(scores.field("total").type) == "double"
    for table in ("reports", "sections", "indicators", "problems", "measures", "scores"):
        out = tmp_path / f"{table}.csv"
        cli("export", "--db", db, "--table", table, "--out", out)
        header = out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
        assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,31}", h) for h in header), header
    csv_rows = list(csv.DictReader(io.StringIO((tmp_path / "indicators.csv").read_text(encoding="utf-8-sig"))))
    assert all(not r["value"].endswith(".0") for r in csv_rows)  # 11, not 11.0


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
