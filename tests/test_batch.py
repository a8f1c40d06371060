"""`nlp-reports batch` through the CLI: discovery, resuming, bad files, manifest, kill -9, concurrent
runs and the Dask executor."""
import csv
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from conftest import ROOT, make_docx
from nlp_reports.batch import discover
from nlp_reports.cli import main
from nlp_reports.loading import load_file
from nlp_reports.store import Store, exclusive

REPORTS = sorted((ROOT / "corpora" / "reports").glob("*.txt"))


def copy_reports(folder, n=12):
    folder.mkdir(parents=True, exist_ok=True)
    for path in REPORTS[:n]:
        shutil.copy(path, folder / path.name)
    return folder


def many_reports(folder, n):
    """n distinct reports (a corpus text plus a line that makes its content unique)."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = [load_file(p).text for p in REPORTS]
    for i in range(n):
        (folder / f"r{i:04d}.txt").write_text(texts[i % len(texts)] + f"\n编号{i}。", encoding="utf-8")
    return folder


def run(*args):
    result = CliRunner().invoke(main, ["batch", *map(str, args), "--no-progress"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def counts(db):
    con = sqlite3.connect(db)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("reports", "failures", "runs", "scores")}, con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def test_batch_stores_a_folder_and_a_rerun_skips_it(tmp_path):
    folder = copy_reports(tmp_path / "in", 12)
    db = tmp_path / "r.db"
    first = run(folder, "--db", db, "--workers", "2")
    assert first.exit_code == 0, first.output
    assert first.output.startswith("processed 12, skipped 0 (unchanged), failed 0, ")
    second = run(folder, "--db", db)
    assert second.exit_code == 0
    assert second.output.startswith("processed 0, skipped 12 (unchanged), failed 0, ")
    forced = run(folder / REPORTS[0].name, "--db", db, "--force", "--workers", "1")
    assert forced.output.startswith("processed 1, skipped 0 (unchanged), failed 0, ")
    (n, integrity) = counts(db)
    assert n["reports"] == 12 and n["runs"] == 3 and integrity == "ok"
    with Store(db) as s:
        run_row = next(s.query("SELECT * FROM runs ORDER BY id LIMIT 1"))
        assert run_row["tool_version"] and run_row["finished_at"] and run_row["processed"] == 12
        assert {r["criterion"] for r in s.query("SELECT DISTINCT criterion FROM scores")} >= {"total", "text_reuse"}


def test_a_changed_file_replaces_its_old_version(tmp_path):
    folder = copy_reports(tmp_path / "in", 2)
    db = tmp_path / "r.db"
    run(folder, "--db", db, "--workers", "1")
    target = folder / REPORTS[0].name
    target.write_text(target.read_text(encoding="utf-8") + "\n补充一句。", encoding="utf-8")
    result = run(folder, "--db", db, "--workers", "1")
    assert result.output.startswith("processed 1, skipped 1 (unchanged)")
    assert counts(db)[0]["reports"] == 2


def test_bad_files_are_recorded_and_the_batch_goes_on(tmp_path):
    folder = copy_reports(tmp_path / "in", 3)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 this is no zip")
    make_docx(folder / "good.docx", ["某某镇2022年法治建设工作自查报告", "全年共办理案件12件，同比增长5%。"])
    db = tmp_path / "r.db"
    result = run(folder, tmp_path / "missing.txt", "--db", db, "--workers", "2")
    assert result.exit_code == 1
    assert result.output.startswith("processed 4, skipped 0 (unchanged), failed 4, ")
    n, integrity = counts(db)
    assert n["reports"] == 4 and n["failures"] == 4 and integrity == "ok"
    with Store(db) as s:
        errors = dict(s.failures())
    assert "file is empty" in errors[str(folder / "empty.txt")]
    assert "PNG" in errors[str(folder / "image.txt")]
    assert "docx" in errors[str(folder / "broken.docx")]
    assert "no such file" in errors[str(tmp_path / "missing.txt")]
    assert all("\n" not in e and "Traceback" not in e for e in errors.values())
    # Fixed files are stored on the rerun and leave the failures table.
    (folder / "empty.txt").write_text("某某镇2023年工作报告\n一、主要工作\n全年调解纠纷30起。", encoding="utf-8")
    rerun = run(folder, "--db", db)
    assert rerun.output.startswith("processed 1, skipped 4 (unchanged), failed 2, ")
    with Store(db) as s:
        assert sorted(os.path.basename(p) for p, _e in s.failures()) == ["broken.docx", "image.txt", "missing.txt"]


def test_discovery_follows_folders_and_globs_but_not_symlink_loops(tmp_path):
    folder = copy_reports(tmp_path / "in", 3)
    (folder / "sub").mkdir()
    shutil.copy(REPORTS[5], folder / "sub" / "深层 报告.txt")
    (folder / "sub" / "notes.pdf").write_bytes(b"%PDF-1.4")
    os.symlink(folder, folder / "sub" / "loop")
    files, missing, ignored = discover([folder])
    assert len(files) == 4 and not missing and ignored == {".pdf": 1}
    files, missing, _ = discover([str(folder / "**" / "*.txt"), str(folder / "*.none")])
    assert len(files) == 4
    assert missing == [(str(folder / "*.none"), "no .txt or .docx file matches this pattern")]


def test_files_of_other_kinds_in_a_folder_are_counted_not_silently_dropped(tmp_path):
    folder = copy_reports(tmp_path / "in", 2)
    (folder / "2021年报告.pdf").write_bytes(b"%PDF-1.4")
    (folder / "2020年报告.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "扫描件.PDF").write_bytes(b"%PDF-1.4")
    (folder / ".DS_Store").write_bytes(b"\x00")  # hidden files and Word's lock files are no reports
    (folder / "~$草稿.docx").write_bytes(b"\x00")
    result = run(folder, "--db", tmp_path / "r.db")
    assert result.exit_code == 0
    assert result.output.startswith("processed 2, skipped 0 (unchanged), failed 0, ")
    assert result.stderr.endswith("ignored 3 files (2 .pdf, 1 .doc) in the folders: only .txt and .docx are read "
                                  "(save .doc, .wps or .pdf reports as .docx or .txt to include them)\n")
    only = tmp_path / "pdfs"
    only.mkdir()
    (only / "a.pdf").write_bytes(b"%PDF-1.4")
    result = run(only, "--db", tmp_path / "r.db")
    assert result.exit_code == 2
    assert result.stderr == f"nlp-reports: error: no .txt or .docx files found in {only}; it holds 1 file (1 .pdf) of other kinds\n"


def test_manifest_overrides_metadata_and_keeps_extra_columns(tmp_path):
    folder = copy_reports(tmp_path / "in", 2)
    names = [p.name for p in sorted(folder.iterdir())]
    manifest = tmp_path / "meta.csv"
    manifest.write_text("path,place,year,report_type,province,county,batch_note\n"
                        f"in/{names[0]},城关镇,2020,年度报告,甘肃省,榆中县,第一批\n"
                        f"in/{names[1]},,,,,,\n", encoding="utf-8")
    db = tmp_path / "r.db"
    result = run("--manifest", manifest, "--db", db, "--workers", "1")  # the manifest lists the files
    assert result.exit_code == 0, result.output
    with Store(db) as s:
        rows = {os.path.basename(r["path"]): r for r in s.query("SELECT * FROM reports")}
    first = rows[names[0]]
    assert (first["place"], first["year"], first["report_type"]) == ("城关镇", 2020, "年度报告")
    assert first["place_key"] == "甘肃省/兰州市/榆中县/城关镇" and first["place_code"] == "620123"
    assert first["attrs"] == '{"batch_note": "第一批"}'
    assert rows[names[1]]["year"] is not None  # empty cells override nothing
    # A corrected manifest later: the stored reports take it without being extracted again.
    manifest.write_text("path,place,year,report_type,province,county,batch_note\n"
                        f"in/{names[0]},城关镇,2021,年度报告,陕西省,勉县,第二批\n", encoding="utf-8")
    again = run("--manifest", manifest, "--db", db, "--workers", "1")
    assert again.output.startswith("processed 0, skipped 1 (unchanged), failed 0, ")
    assert again.output.rstrip().endswith("; manifest metadata updated for 1 stored reports")
    with Store(db) as s:
        row = next(s.query("SELECT * FROM reports WHERE id = ?", (first["id"],)))
    assert (row["year"], row["place_key"], row["place_code"], row["attrs"]) == (
        2021, "陕西省/汉中市/勉县/城关镇", "610725", '{"batch_note": "第二批"}')


def test_manifest_columns_are_exported_with_every_row(tmp_path):
    folder = copy_reports(tmp_path / "in", 2)
    names = [p.name for p in sorted(folder.iterdir())]
    manifest = tmp_path / "meta.csv"
    # As Excel saves a CSV on Chinese Windows: GB18030, header names in any case.
    manifest.write_bytes(("Path, Year ,批次,district type\n"
                          f"in/{names[0]},2020,第一批,rural\nin/{names[1]},,第二批,\n").encode("gb18030"))
    db = tmp_path / "r.db"
    assert run("--manifest", manifest, "--db", db, "--workers", "1", "--no-classify").exit_code == 0
    out = tmp_path / "i.csv"
    assert CliRunner().invoke(main, ["export", "--db", str(db), "--table", "indicators", "--out", str(out)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert list(rows[0])[:9] == ["report_id", "path", "place", "place_key", "place_code", "year", "report_type",
                                 "district_type", "批次"]
    by_file = {os.path.basename(r["path"]): (r["year"], r["批次"], r["district_type"]) for r in rows}
    assert by_file[names[0]] == ("2020", "第一批", "rural")
    assert by_file[names[1]][1:] == ("第二批", "")


def test_a_manifest_listing_a_file_twice_is_refused(tmp_path):
    manifest = tmp_path / "meta.csv"
    manifest.write_text("path,year\na.txt,2021\n./a.txt,2022\n", encoding="utf-8")
    result = run("--manifest", manifest, "--db", tmp_path / "r.db", "--no-classify")
    assert result.exit_code == 2
    assert result.output.strip().endswith("line 3: ./a.txt is listed already on line 2")


def test_force_re_extracts_in_place_and_a_moved_folder_keeps_its_reports(tmp_path):
    folder = copy_reports(tmp_path / "in", 3)
    db = tmp_path / "r.db"
    run(folder, "--db", db, "--workers", "1", "--no-classify")
    with Store(db) as s:
        before = {r["id"]: r["sha256"] for r in s.query("SELECT id, sha256 FROM reports")}
    forced = run(folder, "--db", db, "--workers", "1", "--force", "--no-classify")
    assert forced.output.startswith("processed 3, skipped 0 (unchanged), failed 0, ")
    moved = tmp_path / "moved"
    os.rename(folder, moved)
    again = run(moved, "--db", db, "--workers", "1", "--no-classify")
    assert again.output.startswith("processed 0, skipped 3 (unchanged), failed 0, ")
    with Store(db) as s:
        after = {r["id"]: (r["sha256"], r["path"]) for r in s.query("SELECT id, sha256, path FROM reports")}
        runs = [r["processed"] for r in s.query("SELECT processed FROM runs ORDER BY id")]
    assert {k: v[0] for k, v in after.items()} == before  # the same ids: analyses that cite them stay right
    assert all(p.startswith(str(moved)) for _sha, p in after.values())
    assert runs == [3, 3, 0]


def test_a_bad_manifest_is_one_line_and_exit_2(tmp_path):
    manifest = tmp_path / "meta.csv"
    manifest.write_text("file,place\nx.txt,某镇\n", encoding="utf-8")
    result = run("--manifest", manifest, "--db", tmp_path / "r.db")
    assert result.exit_code == 2
    assert result.output.strip().endswith("the manifest needs a header row with a `path` column")


def test_a_second_batch_on_a_locked_store_stops_with_one_line(tmp_path):
    folder = copy_reports(tmp_path / "in", 2)
    db = tmp_path / "r.db"
    with exclusive(db):
        result = run(folder, "--db", db)
    assert result.exit_code == 4
    assert result.output.count("\n") == 1 and "in use by another batch" in result.output
    assert not os.path.exists(db) or counts(db)[0]["reports"] == 0


def _batch_process(folder, db, *extra):
    # A session of its own, as a command typed in a terminal is a process group of its own.
    return subprocess.Popen([sys.executable, "-c", "from nlp_reports.cli import main; main()", "batch", str(folder), "--db", str(db),
                             "--no-progress", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, start_new_session=True)


def test_two_concurrent_batches_corrupt_nothing(tmp_path):
    folder = many_reports(tmp_path / "in", 60)
    db = tmp_path / "r.db"
    a = _batch_process(folder, db, "--workers", "1")
    b = _batch_process(folder, db, "--workers", "1")
    outs = [p.communicate(timeout=120) for p in (a, b)]
    codes = sorted([a.returncode, b.returncode])
    assert codes in ([0, 0], [0, 4]), outs
    if codes == [0, 4]:
        err = [e for (o, e), p in zip(outs, (a, b)) if p.returncode == 4][0]
        assert err.strip().count("\n") == 0 and "in use by another batch" in err
    n, integrity = counts(db)
    assert n["reports"] == 60 and integrity == "ok"


@pytest.mark.parametrize("how", ["kill -9", "Ctrl-C"])
def test_killed_mid_batch_then_rerun_stores_every_report_exactly_once(tmp_path, how):
    folder = many_reports(tmp_path / "in", 240)
    db = tmp_path / "r.db"
    proc = _batch_process(folder, db, "--workers", "2")
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            con = sqlite3.connect(db, timeout=1)
            stored = con.execute("SELECT count(*) FROM reports").fetchone()[0]
            con.close()
        except sqlite3.Error:
            stored = 0
        if stored >= 20:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the batch finished before it could be killed"
    if how == "kill -9":
        os.kill(proc.pid, signal.SIGKILL)  # the writer alone: its workers are orphaned mid-report
        proc.wait(timeout=10)
    else:
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends to the writer and its workers
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert err.strip().splitlines() == ["nlp-reports: interrupted; every report stored so far is complete: "
                                            "run the same command again to finish"]
    n, integrity = counts(db)
    assert integrity == "ok" and 20 <= n["reports"] < 240
    rerun = _batch_process(folder, db, "--workers", "2")
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert out.startswith(f"processed {240 - n['reports']}, skipped {n['reports']} (unchanged), failed 0")
    n, integrity = counts(db)
    assert n["reports"] == 240 and integrity == "ok"
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(DISTINCT sha256), count(DISTINCT path) FROM reports").fetchone() == (240, 240)
    # Every band key of every stored sentence is held, those left pending by the kill included.
    from nlp_reports.shingles import band_keys
    import numpy as np

    keys = {k for (sig,) in con.execute("SELECT minhash FROM sentences") for k in band_keys(np.frombuffer(sig, np.uint32))}
    assert {k for (k,) in con.execute("SELECT key FROM sentence_bands")} == keys
    assert con.execute("SELECT count(*) FROM reports WHERE keyed = 0").fetchone()[0] == 0
    # No orphaned rows from a half-written report.
    assert con.execute("SELECT count(*) FROM indicators WHERE report_id NOT IN (SELECT id FROM reports)").fetchone()[0] == 0
    con.close()


def test_dask_executor_on_a_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    folder = copy_reports(tmp_path / "in", 6)
    db = tmp_path / "r.db"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  scheduler_port=0) as cluster:
        result = run(folder, "--db", db, "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("processed 6, skipped 0 (unchanged), failed 0, ")
    n, integrity = counts(db)
    assert n["reports"] == 6 and integrity == "ok"
    with Store(db) as s:
        assert next(s.query("SELECT executor FROM runs"))["executor"] == "dask"


def test_dask_without_scheduler_is_a_usage_error(tmp_path):
    result = run(tmp_path, "--db", tmp_path / "r.db", "--executor", "dask")
    assert result.exit_code == 2 and "--scheduler" in result.output
