"""Faults, in real processes: batch killed with SIGKILL at several moments, two batches on one store,
a full disk or an unwritable output during batch, export and extract, and damaged model files."""
import contextlib
import json
import os
import pathlib
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import ROOT, SEED

CLI = [sys.executable, "-c", "from nlp_reports.cli import main; main()"]
FAST = ["--no-classify", "--no-progress"]


def reports(folder: pathlib.Path, n: int) -> pathlib.Path:
    """n distinct reports: the corpus texts, each made unique by a closing line."""
    from nlp_reports.loading import load_file

    folder.mkdir(parents=True, exist_ok=True)
    texts = [load_file(p).text for p in sorted((ROOT / "corpora" / "reports").glob("*.txt"))[:20]]
    for i in range(n):
        (folder / f"r{i:04d}.txt").write_text(texts[i % len(texts)] + f"\n编号{i}。", encoding="utf-8")
    return folder


def batch(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen(CLI + ["batch", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, **kw)


def query(db, sql):
    con = sqlite3.connect(db, timeout=5)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def check_store(db) -> int:
    """Assert the store is whole (integrity, no row without its report); returns the report count."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    if not has_tables(db):
        return 0  # killed before its tables were made: the migration is one transaction
    for table in ("sections", "indicators", "problems", "measures", "sentences", "scores"):
        orphans = query(db, f"SELECT count(*) FROM {table} WHERE report_id NOT IN (SELECT id FROM reports)")
        assert orphans == [(0,)], table
    (n, distinct), = query(db, "SELECT count(*), count(DISTINCT sha256) FROM reports")
    assert n == distinct
    return n


def kill_when(proc, db, ready, timeout=60) -> bool:
    """SIGKILL `proc` as soon as ready(db) holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if ready(db):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
                return True
        except sqlite3.Error:
            pass  # not created yet, or busy for a moment
        time.sleep(0.005)
    proc.communicate(timeout=60)
    return False


def has_tables(db) -> bool:
    return os.path.exists(db) and bool(query(db, "SELECT name FROM sqlite_master WHERE name = 'reports'"))


def stored(db) -> int:
    return query(db, "SELECT count(*) FROM reports")[0][0] if has_tables(db) else 0


def _last_run_finished(db) -> bool:
    last = query(db, "SELECT finished_at FROM runs ORDER BY id DESC LIMIT 1")
    return bool(last) and last[0][0] is not None


def test_sigkill_at_several_moments_then_rerun_stores_each_report_once(tmp_path):
    """Six batches on one store are killed: as the store file appears (creating its tables),
    while starting, after the first reports, twice at random points mid-batch and while scoring;
    a seventh finishes the work."""
    n = 160
    folder, db = reports(tmp_path / "in", n), tmp_path / "r.db"
    rng = random.Random(8)
    args = (folder, "--db", db, "--workers", "2", *FAST)
    killed = []
    for moment in ("creating the store", "starting up", "first reports", "mid-batch", "mid-batch again", "scoring"):
        before = stored(db)
        target = before + (3 if moment == "first reports" else rng.randint(10, 40))
        ready = {"creating the store": lambda d: os.path.exists(d), "starting up": lambda d: True,
                 "scoring": _last_run_finished}.get(moment, lambda d: stored(d) >= target)
        proc = batch(*args)
        if moment == "starting up":
            time.sleep(0.05 + 0.4 * rng.random())
        if kill_when(proc, db, ready):
            killed.append(moment)
        if os.path.exists(db):
            assert check_store(db) >= before, moment  # nothing stored earlier is lost
    assert {"creating the store", "starting up", "first reports", "mid-batch", "mid-batch again"} <= set(killed), killed
    done = stored(db)
    final = batch(*args)
    out, err = final.communicate(timeout=180)
    assert final.returncode == 0, err
    assert out.startswith(f"processed {n - done}, skipped {done} (unchanged), failed 0, ")
    assert check_store(db) == n
    assert query(db, "SELECT count(DISTINCT path) FROM reports") == [(n,)]
    assert query(db, "SELECT count(DISTINCT report_id) FROM scores") == [(n,)]
    runs = [f for (f,) in query(db, "SELECT finished_at FROM runs ORDER BY id")]
    assert runs[-1] is not None
    assert runs.count(None) >= len(set(killed) & {"first reports", "mid-batch", "mid-batch again"})


def _wait_for_lock(proc, db, timeout=60):
    """Until `proc` holds the store's writer lock and has stored a report."""
    lock = pathlib.Path(f"{db}.lock")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        with contextlib.suppress(OSError, sqlite3.Error):
            if lock.read_text().strip() == str(proc.pid) and stored(db) >= 1:
                return
        time.sleep(0.01)
    raise AssertionError("the first batch never took the lock")


def test_a_second_batch_stops_with_one_line_and_a_third_waits(tmp_path):
    n = 400  # enough work that the first still holds the store when the second has started (~3 s)
    folder, db = reports(tmp_path / "in", n), tmp_path / "r.db"
    first = batch(folder, "--db", db, "--workers", "1", *FAST)
    _wait_for_lock(first, db)
    second = batch(folder, "--db", db, "--workers", "1", *FAST)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 4 and out == ""
    assert err == (f"nlp-reports: error: {db}: the store is in use by another batch (pid {first.pid}); "
                   "wait for it to finish or use --wait\n")
    third = batch(folder, "--db", db, "--workers", "1", "--wait", *FAST)
    out1, err1 = first.communicate(timeout=180)
    out3, err3 = third.communicate(timeout=180)
    assert first.returncode == 0, err1
    assert out1.startswith(f"processed {n}, skipped 0 (unchanged), failed 0, ")
    assert third.returncode == 0, err3
    assert out3.startswith(f"processed 0, skipped {n} (unchanged), failed 0, ")
    assert check_store(db) == n
    assert len(query(db, "SELECT id FROM runs")) == 2  # the one stopped never began a run


# -- a full disk -------------------------------------------------------------------------------
def _file_size_limit(nbytes):
    """preexec_fn: the kernel refuses to grow any file past `nbytes` (EFBIG), as a full disk does."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))


def _db_bytes(db) -> int:
    return max(os.path.getsize(p) for p in (db, f"{db}-wal") if os.path.exists(p))


def test_a_full_disk_during_batch_keeps_every_stored_report(tmp_path):
    folder, db = reports(tmp_path / "in", 20), tmp_path / "r.db"
    out, err = batch(folder, "--db", db, "--workers", "2", *FAST).communicate(timeout=120)
    assert check_store(db) == 20
    reports(folder, 80)  # 60 more
    full = batch(folder, "--db", db, "--workers", "2", *FAST, preexec_fn=_file_size_limit(_db_bytes(db) + 150_000))
    out, err = full.communicate(timeout=120)
    assert full.returncode == 4, err
    assert "Traceback" not in err and err.count("\n") == 1
    assert err.startswith(f"nlp-reports: error: {db}: cannot write to the store (")
    assert err.endswith("); the reports stored before are complete\n")
    kept = check_store(db)
    assert 20 <= kept < 80
    rerun = batch(folder, "--db", db, "--workers", "2", *FAST)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert out.startswith(f"processed {80 - kept}, skipped {kept} (unchanged), failed 0, ")
    assert check_store(db) == 80


def _export(db, out, **kw):
    return subprocess.run(CLI + ["export", "--db", str(db), "--table", "indicators", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("store")
    db = folder / "r.db"
    out, err = batch(reports(folder / "in", 30), "--db", db, "--workers", "2", *FAST).communicate(timeout=120)
    assert check_store(db) == 30, err
    return db


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet", "jsonl"])
def test_a_failed_export_leaves_the_earlier_file_whole(small_store, tmp_path, ext):
    out = tmp_path / f"indicators.{ext}"
    assert _export(small_store, out).returncode == 0
    before = out.read_bytes()
    assert len(before) > 80_000  # so that half of it leaves room for the store's 32 KB index (-shm)
    res = _export(small_store, out, preexec_fn=_file_size_limit(len(before) // 2))
    assert res.returncode == 4 and "Traceback" not in res.stderr
    assert res.stderr == f"nlp-reports: error: {out}: cannot write (File too large)\n"
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary file left
    assert check_store(small_store) == 30


@pytest.mark.parametrize("where, reason", [
    ("missing-folder/x.csv", "cannot write here (No such file or directory)"),
    ("a-file/x.csv", "cannot write here (Not a directory)"),
    ("a-folder.csv", "is a folder, not a file"),
])
def test_an_unwritable_output_is_one_line_and_exit_4(small_store, tmp_path, where, reason):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-folder.csv").mkdir()
    out = tmp_path / where
    res = _export(small_store, out)
    assert (res.returncode, res.stderr) == (4, f"nlp-reports: error: {out}: {reason}\n")
    res = subprocess.run(CLI + ["extract", "--no-classify", "-o", str(out), str(SEED)], capture_output=True,
                         text=True, timeout=60)
    assert (res.returncode, res.stderr) == (4, f"nlp-reports: error: {out}: {reason}\n")


def test_extract_output_on_a_full_disk_keeps_the_earlier_file(tmp_path):
    out = tmp_path / "report.json"
    out.write_text('{"earlier": true}\n', encoding="utf-8")
    res = subprocess.run(CLI + ["extract", "--no-classify", "--format", "json", "-o", str(out), str(SEED)],
                         capture_output=True, text=True, timeout=60, preexec_fn=_file_size_limit(4096))
    assert (res.returncode, res.stderr) == (4, f"nlp-reports: error: {out}: cannot write (File too large)\n")
    assert json.loads(out.read_text(encoding="utf-8")) == {"earlier": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


@pytest.fixture
def tmpfs():
    """A 1 MB tmpfs: a disk that really fills up (needs root and mount; skipped elsewhere)."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="nlp-reports-tmpfs-"))
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True)
    if res.returncode != 0:
        folder.rmdir()
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def test_a_really_full_disk_during_batch_and_export(tmp_path, tmpfs):
    folder, db = reports(tmp_path / "in", 60), tmpfs / "r.db"
    earlier = tmpfs / "earlier.csv"
    earlier.write_bytes(b"report_id,name\r\n1,x\r\n")
    full = batch(folder, "--db", db, "--workers", "2", *FAST)
    out, err = full.communicate(timeout=120)
    assert full.returncode == 4, err
    assert err == f"nlp-reports: error: {db}: cannot write to the store (the disk is full); the reports stored before are complete\n"
    kept = check_store(db)
    assert 0 < kept < 60
    res = _export(db, earlier)
    assert res.returncode == 4 and res.stderr.startswith(f"nlp-reports: error: {earlier}: cannot write")
    assert earlier.read_bytes() == b"report_id,name\r\n1,x\r\n"
    assert not [p for p in tmpfs.iterdir() if p.name.startswith(".tmp-")]


# -- damaged model files -----------------------------------------------------------------------
PWNED = "nlp-reports-model-ran-code"


class _Payload:
    """Unpickling this runs a shell command; a model file must never get that far."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _rehash(folder: pathlib.Path) -> None:
    """What an attacker would do: make the manifest's sha256s agree with the changed files."""
    from nlp_reports.classify.model import content_digest, sha256_file

    manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    manifest["arrays"]["sha256"] = sha256_file(folder / "arrays.npz")
    manifest["content_sha256"] = content_digest(manifest)
    (folder / "model.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def _flip_byte(folder, _marker):
    data = bytearray((folder / "arrays.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "arrays.npz").write_bytes(bytes(data))


def _truncate_arrays(folder, _marker):
    (folder / "arrays.npz").write_bytes((folder / "arrays.npz").read_bytes()[:1000])


def _truncate_manifest(folder, _marker):
    (folder / "model.json").write_bytes((folder / "model.json").read_bytes()[:500])


def _other_version(folder, _marker):
    manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 99
    (folder / "model.json").write_text(json.dumps(manifest), encoding="utf-8")


def _pickled_arrays(folder, marker):
    import numpy as np

    with np.load(folder / "arrays.npz") as npz:
        arrays = dict(npz)
    arrays["coef"] = np.array([_Payload(marker)], dtype=object)
    np.savez(folder / "arrays.npz", **arrays)
    _rehash(folder)


def _not_finite(folder, _marker):
    import numpy as np

    with np.load(folder / "arrays.npz") as npz:
        arrays = dict(npz)
    arrays["coef"][0, 0] = np.nan
    np.savez(folder / "arrays.npz", **arrays)
    _rehash(folder)


def _arrays_elsewhere(folder, _marker):
    manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    manifest["arrays"]["file"] = "../../../etc/passwd"
    (folder / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    _rehash_manifest_only(folder)


def _rehash_manifest_only(folder):
    from nlp_reports.classify.model import content_digest

    manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    manifest["content_sha256"] = content_digest(manifest)
    (folder / "model.json").write_text(json.dumps(manifest), encoding="utf-8")


# A model trained here (not the default one, which another change may be retraining): three
# themes, sections from four places each.
TINY = [(f"{head}\n{body}", label, place) for place in "abcd" for head, body, label in [
    ("安全隐患排查", f"{place}村排查安全隐患，督促整改，组织消防演练。", "safety"),
    ("普法宣传", f"{place}村发放普法资料，举办法治讲座。", "publicity"),
    ("矛盾纠纷调解", f"{place}村调解矛盾纠纷，接待群众来访。", "disputes")]]


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    import csv

    folder = tmp_path_factory.mktemp("model")
    with (folder / "tiny.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([("text", "label", "group"), *TINY])
    res = subprocess.run(CLI + ["train", str(folder / "tiny.csv"), "--out", str(folder / "model")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    ok = subprocess.run(CLI + ["extract", "--model", str(folder / "model"), str(SEED)], capture_output=True, timeout=120)
    assert ok.returncode == 0, ok.stderr  # whole, the model works: what the tests below refuse is the damage
    return folder / "model"


@pytest.mark.parametrize("damage, reason", [
    (_flip_byte, "arrays.npz does not match the sha256 in model.json: the file is damaged or was changed"),
    (_truncate_arrays, "arrays.npz does not match the sha256 in model.json: the file is damaged or was changed"),
    (_truncate_manifest, "model.json is not valid JSON ("),
    (_other_version, "model format version 99 is not supported"),
    (_pickled_arrays, "arrays.npz cannot be read (ValueError: Object arrays cannot be loaded when allow_pickle=False)"),
    (_arrays_elsewhere, "model.json: arrays must name a file beside it, with its sha256"),
    (_not_finite, "arrays.npz holds values that are not finite floating-point numbers"),
], ids=["changed-byte", "truncated-arrays", "truncated-manifest", "other-version", "pickle-inside", "path-outside",
        "nan-inside"])
def test_a_damaged_model_is_refused_by_extract_and_batch(tmp_path, trained_model, damage, reason):
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    marker = tmp_path / PWNED
    damage(model, marker)
    runs = {
        "extract --model": CLI + ["extract", "--model", str(model), str(SEED)],
        "extract, default model": CLI + ["extract", str(SEED)],
        "batch --model": CLI + ["batch", str(SEED), "--db", str(tmp_path / "r.db"), "--model", str(model), "--no-progress"],
    }
    for name, cmd in runs.items():
        env = {**os.environ, "NLP_REPORTS_MODEL": str(model)} if "default" in name else None
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        assert res.returncode == 3, (name, res.stderr)
        assert res.stdout == "" and res.stderr.count("\n") == 1, name
        assert res.stderr.startswith(f"nlp-reports: error: {model}: {reason}"), (name, res.stderr)
    assert not marker.exists()
    assert not (tmp_path / "r.db").exists()  # refused before the store was touched


# -- a worker process that dies ----------------------------------------------------------------
def _workers(proc) -> list:
    """The worker processes of the batch `proc` (the forkserver's children)."""
    import psutil

    found = []
    for p in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):  # gone, or a zombie, meanwhile
            if p.ppid() != proc.pid and "forkserver" in " ".join(p.cmdline()):
                found.append(p)
    return found


def _kill(processes) -> None:
    import psutil

    for p in processes:
        with contextlib.suppress(psutil.Error):
            p.kill()


def _until(condition, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(sqlite3.Error):  # the store not made yet, or busy for a moment
            if condition():
                return
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_killed_worker_neither_hangs_the_batch_nor_loses_a_file(tmp_path):
    """The kernel's out-of-memory killer takes the workers mid-batch: their files are analysed again."""
    pytest.importorskip("psutil")
    n = 120
    folder, db = reports(tmp_path / "in", n), tmp_path / "r.db"
    proc = batch(folder, "--db", db, "--workers", "2", *FAST)
    _until(lambda: stored(db) >= 20, proc)
    _kill(_workers(proc))
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert out.startswith(f"processed {n}, skipped 0 (unchanged), failed 0, ")
    assert check_store(db) == n


def test_a_file_that_kills_its_worker_twice_is_recorded_and_the_rest_stored(tmp_path):
    """A file whose analysis takes a worker down every time (here: the test kills whichever worker
    is still busy once every other file is stored) fails alone, with the reason."""
    pytest.importorskip("psutil")
    n = 30
    folder, db = reports(tmp_path / "in", n), tmp_path / "r.db"
    slow = folder / "a_slow.txt"  # sorted first: in flight from the start; a minute of dense figures
    slow.write_text("3次5件7人9个" * 60_000, encoding="utf-8")
    proc = batch(folder, "--db", db, "--workers", "2", *FAST)
    # A worker holds the next file while it analyses one (WorkerPool.DEPTH): the file queued
    # behind the slow one waits for it, and is lost with it (then tried again, and stored).
    _until(lambda: stored(db) >= n - 1, proc)
    first = _workers(proc)
    _kill(first)
    _until(lambda: stored(db) >= n, proc)  # the queued file, tried again alone, is stored
    _until(lambda: {p.pid for p in _workers(proc)} - {p.pid for p in first}, proc)
    time.sleep(0.5)  # the slow file is being tried again, alone in a fresh worker
    _kill(_workers(proc))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert out.startswith(f"processed {n}, skipped 0 (unchanged), failed 1, ")
    assert err == f"failed: {slow}: the worker process died analysing it (out of memory?)\n"
    assert check_store(db) == n
    assert query(db, "SELECT path, error FROM failures") == [
        (str(slow), f"{slow}: the worker process died analysing it (out of memory?)")]
