"""File → text: every encoding and format a report arrives in, and every file that is not a report,
through the loader, through `nlp-reports extract` and inside `nlp-reports batch`."""
import gzip
import json
import os
import pathlib
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
import zipfile

import pytest
import yaml
from click.testing import CliRunner

from conftest import SEED, make_docx
from nlp_reports.cli import main
from nlp_reports.errors import InputError
from nlp_reports.loading import MAX_DOCX_XML_BYTES, load_bytes, load_file
from nlp_reports.normalise import normalise

TEXT = "X镇2023年法治建设工作自查报告\n全年开展法治宣传活动11次，投资10万余元。"
CASES = yaml.safe_load((pathlib.Path(__file__).parent / "cases" / "bad_inputs.yaml").read_text(encoding="utf-8"))
CLI = [sys.executable, "-c", "from nlp_reports.cli import main; main()"]


# -- encodings ---------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030"),
    ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"), ("utf-32", "utf-32")])
def test_text_encodings_are_detected(tmp_path, encoding, expected):
    path = tmp_path / "r.txt"
    path.write_bytes(TEXT.encode(encoding))
    src = load_file(path)
    assert src.text.lstrip("\ufeff") == TEXT
    assert src.encoding == expected
    assert src.format == "txt"
    assert len(src.sha256) == 64


def _sloppy_1252(raw: bytes) -> str:
    """What a tool that takes UTF-8 for Windows-1252 shows (unassigned bytes kept as Latin-1)."""
    return "".join(bytes([b]).decode("cp1252") if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else chr(b) for b in raw)


def _seed_variants(seed: str) -> dict:
    """The seed report as the odd files researchers get: {id: (file name, bytes, encoding read,
    the text they hold: the seed's, except Big5's traditional one)}."""
    from opencc import OpenCC

    lines, traditional = seed.split("\n"), OpenCC("s2tw").convert(seed)
    half = len(lines) // 2
    return {
        "big5-traditional": ("r.txt", traditional.encode("cp950"), "big5", traditional),
        "utf8-and-gbk-lines": ("r.txt", "\n".join(lines[:half]).encode() + b"\n" + "\n".join(lines[half:]).encode("gbk"),
                               "utf-8+gb18030", seed),
        "utf8-mark-on-gbk": ("r.txt", b"\xef\xbb\xbf" + seed.encode("gbk"), "gb18030", seed),
        "windows-1252-mojibake": ("r.txt", _sloppy_1252(seed.encode()).encode(), "utf-8 (repaired windows-1252 mojibake)",
                                  seed),
        "crlf": ("r.txt", seed.replace("\n", "\r\n").encode(), "utf-8", seed),
        "cr-only": ("r.txt", seed.replace("\n", "\r").encode(), "utf-8", seed),
        "utf16-no-mark": ("r.txt", seed.encode("utf-16-le"), "utf-16-le", seed),
        "spaces-and-chinese-name": ("泉溪镇 2021年 自查报告.txt", seed.encode(), "utf-8", seed),
        "upper-case-suffix": ("REPORT.TXT", seed.encode("gbk"), "gb18030", seed),
    }


@pytest.mark.parametrize("case", sorted(_seed_variants("")))
def test_odd_encodings_give_the_same_report_through_the_cli(tmp_path, seed_text, case):
    from nlp_reports import analyse_text

    name, raw, encoding, text = _seed_variants(seed_text)[case]
    path = tmp_path / name
    path.write_bytes(raw)
    res = CliRunner().invoke(main, ["extract", "--format", "json", "--no-classify", str(path)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    expected = analyse_text(text)
    assert doc["source"]["encoding"] == encoding
    assert doc["text"] == expected.text
    assert [(i["name"], i["value"], i["unit"]) for i in doc["indicators"]] == \
        [(i.name, i.value, i.unit) for i in expected.indicators] != []


def test_lossy_gbk_mojibake_is_repaired_as_far_as_it_goes(tmp_path, seed_text):
    # A tool read the UTF-8 file as GBK, replacing what GBK cannot hold, and saved it as UTF-8:
    # each byte it dropped costs one character (one U+FFFD), the rest comes back.
    import difflib

    path = tmp_path / "r.txt"
    path.write_text(seed_text.encode().decode("gbk", errors="replace"), encoding="utf-8")
    src = load_file(path)
    assert src.encoding == "utf-8 (repaired gbk mojibake)"
    same = sum(b.size for b in difflib.SequenceMatcher(None, seed_text, src.text, autojunk=False).get_matching_blocks())
    assert same >= 0.85 * len(seed_text)
    assert set(src.text) - set(seed_text) == {"\ufffd"}  # nothing invented


def test_real_chinese_is_never_taken_for_mojibake(seed_text):
    for encoding in ("utf-8", "gb18030", "utf-16"):
        assert load_bytes(seed_text.encode(encoding), "r.txt").text.lstrip("\ufeff") == seed_text


def test_docx_paragraphs_in_order_with_headings(tmp_path):
    path = make_docx(tmp_path / "r.docx", ["X镇2023年自查报告", "一、工作开展情况", "开展活动3次。"],
                     headings=["一、工作开展情况"])
    src = load_file(path)
    assert src.format == "docx"
    assert src.text.split("\n") == ["X镇2023年自查报告", "一、工作开展情况", "开展活动3次。"]


# -- builders of the bad files (tests/cases/bad_inputs.yaml) ------------------------------------
def _docx(tmp_path) -> bytes:
    return make_docx(tmp_path / "good.docx.tmp", ["某某镇2022年法治建设工作自查报告", "一、主要工作"]
                     + ["全年共办理案件12件，同比增长5%。"] * 40).read_bytes()


def _zip(members: dict, method=zipfile.ZIP_DEFLATED) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


_WORD = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
BUILD = {
    "empty": lambda t: b"",
    "whitespace": lambda t: "  \n\t\r\n\u3000\u00a0\n".encode(),
    "invisible": lambda t: "\u200b\ufeff\u200d\n\u2060".encode(),
    "png_as_txt": lambda t: b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(2000),
    "jpeg_as_txt": lambda t: b"\xff\xd8\xff\xe0" + random.Random(2).randbytes(2000),
    "zip_as_txt": lambda t: _zip({"a.txt": "开展活动3次"}),
    "docx_as_txt": _docx,
    "elf_as_txt": lambda t: pathlib.Path(os.path.realpath(shutil.which("true"))).read_bytes(),
    "exe_as_txt": lambda t: b"MZ\x90\x00\x03" + bytes(59) + b"PE\x00\x00" + random.Random(3).randbytes(500),
    "sqlite_as_txt": None,  # built with sqlite3 below
    "gzip_as_txt": lambda t: gzip.compress("全年开展活动11次。".encode() * 50),
    "rtf_as_txt": lambda t: b"{\\rtf1\\ansi\\ansicpg936 {\\fonttbl}\\f0 \\'c8\\'ab\\'c4\\'ea}",
    "control_characters": lambda t: bytes(range(32)) * 50,
    "random_bytes": lambda t: random.Random(7).randbytes(4096),
    "shift_jis": lambda t: "今年度の報告書です。住民との対話を行いました。".encode("shift_jis") * 20,
    "pdf": lambda t: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    "odt": lambda t: _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<office/>"}),
    "doc": lambda t: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    "html": lambda t: "<html><body><p>全年开展活动11次。</p></body></html>".encode(),
    "docx_truncated_head": lambda t: _docx(t)[:100],
    "docx_truncated_tail": lambda t: _docx(t)[:-30],
    "docx_corrupt_deflate": None,
    "docx_not_zip": lambda t: "不是zip".encode(),
    "docx_encrypted": lambda t: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(4).randbytes(504),
    "docx_no_document": lambda t: _zip({"word/styles.xml": "<w:styles/>"}),
    "docx_not_xml": lambda t: _zip({"word/document.xml": "not xml <<<"}),
    "docx_no_text": lambda t: _zip({"word/document.xml": _WORD + b"<w:body><w:p/></w:body></w:document>"}),
    "docx_zip_bomb": lambda t: _zip({"word/document.xml": _WORD + b" " * (64 * 2**20)}),
    "docx_zip_bomb_lying_header": None,
    "docx_too_many_parts": lambda t: _zip({"word/document.xml": _WORD + b"<w:body/></w:document>",
                                           **{f"m/{i}": b"" for i in range(10_001)}}, zipfile.ZIP_STORED),
    "docx_entity_expansion": lambda t: _zip({"word/document.xml": b'<?xml version="1.0"?><!--' + b"x" * 70000
                                             + b'--><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY a%d "%s">' % (i, b"&a%d;" % (i - 1) * 10 if i > 1 else b"&a;" * 10) for i in range(1, 9))
        + b"]>" + _WORD + b"<w:body><w:p><w:r><w:t>&a8;</w:t></w:r></w:p></w:body></w:document>"}),
}


def _build(case, folder: pathlib.Path) -> pathlib.Path:
    """Create the file of `case` in `folder` (as the case's builder says) and return its path."""
    path = folder / case["file"]
    key = case["id"].replace("-", "_")
    if key == "sqlite_as_txt":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
    elif key == "docx_corrupt_deflate":
        raw = bytearray(_docx(folder))
        with zipfile.ZipFile(folder / "good.docx.tmp") as zf:
            info = zf.getinfo("word/document.xml")
        name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
        data = info.header_offset + 30 + name_len + extra_len
        raw[data] = 0x07  # a final deflate block of the reserved type 3
        path.write_bytes(bytes(raw))
    elif key == "docx_zip_bomb_lying_header":
        raw = bytearray(BUILD["docx_zip_bomb"](folder))
        struct.pack_into("<I", raw, 22, 1000)  # the uncompressed size, in the local and the central header
        struct.pack_into("<I", raw, raw.rfind(b"PK\x01\x02") + 24, 1000)
        path.write_bytes(bytes(raw))
    elif key == "text_50mb":
        with open(path, "wb") as fh:
            fh.truncate(50 * 2**20)  # sparse: refused by its size before a byte is read
    elif key == "missing":
        pass
    elif key == "folder":
        path.mkdir()
        (path / "a.txt").write_text(TEXT, encoding="utf-8")
    elif key == "fifo":
        os.mkfifo(path)
    elif key == "dangling_symlink":
        os.symlink(folder / "was-here.txt", path)
    elif key == "symlink_loop":
        os.symlink(folder / "loop2.txt", path)
        os.symlink(path, folder / "loop2.txt")
    else:
        path.write_bytes(BUILD[key](folder))
    return path


def test_every_case_has_a_builder():
    keys = {c["id"].replace("-", "_") for c in CASES}
    special = {"text_50mb", "missing", "folder", "fifo", "dangling_symlink", "symlink_loop"}
    assert keys - special == set(BUILD) and len(keys) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_a_bad_file_is_one_line_and_exit_2(tmp_path, case):
    path = _build(case, tmp_path)
    with pytest.raises(InputError) as err:
        load_file(path)
    assert str(err.value) == f"{path}: {case['reason']}"
    res = CliRunner().invoke(main, ["extract", "--no-classify", str(path)])
    assert res.exit_code == 2
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert res.output == f"nlp-reports: error: {path}: {case['reason']}\n"


def test_bad_files_in_one_real_extract_and_one_batch(tmp_path):
    """All the bad files with three good ones, in real processes: extract reports each bad file on
    one line and the good ones in full; batch records each failure with its reason and stores the
    good ones. The good ones: a name with a space and Chinese, a .docx, and a 1 MB line without a
    stop holding 1,400 figures; the folder also holds a symlink to itself."""
    folder = tmp_path / "in"
    folder.mkdir()
    paths = [_build(case, folder) for case in CASES]
    good = [folder / "好 报告.txt", folder / "good.docx", folder / "one_line.txt"]
    shutil.copy(SEED, good[0])
    shutil.copy(make_docx(tmp_path / "g.docx", TEXT.split("\n")), good[1])
    good[2].write_text(("开展法治宣传活动" * 30 + "发放资料11份") * 1_400, encoding="utf-8")  # 1 MB
    looped = tmp_path / "循环 目录"  # a folder holding a report and a link to itself
    looped.mkdir()
    (looped / "r.txt").write_text(SEED.read_text(encoding="utf-8") + "\n另一份。", encoding="utf-8")
    os.symlink(looped, looped / "loop")
    args = [str(p) for p in paths + good]
    ex = subprocess.run(CLI + ["extract", "--no-classify", "--format", "jsonl", *args],
                        capture_output=True, text=True, timeout=120)
    assert ex.returncode == 2
    assert "Traceback" not in ex.stderr
    assert ex.stderr.splitlines() == [f"nlp-reports: error: {p}: {c['reason']}" for p, c in zip(paths, CASES)]
    docs = [json.loads(line) for line in ex.stdout.splitlines()]
    assert [d["source"]["path"] for d in docs] == [str(p) for p in good]
    assert len(docs[2]["indicators"]) == 1_400
    assert max(len(i["sentence"]) for i in docs[2]["indicators"]) <= 400  # not the whole line each

    db = tmp_path / "r.db"
    b = subprocess.run(CLI + ["batch", *args, str(looped), "--db", str(db), "--workers", "2", "--no-classify",
                              "--no-progress"],
                       capture_output=True, text=True, timeout=300)
    assert "Traceback" not in b.stderr
    assert b.returncode == 1, b.stderr
    expected = {os.path.abspath(p): c.get("batch_reason", c["reason"]) for p, c in zip(paths, CASES)}
    expected = {p: r for p, r in expected.items() if r is not None}
    folder_report = os.path.join(os.path.abspath(folder / "报告 目录"), "a.txt")  # the folder's file
    con = sqlite3.connect(db)
    failures = dict(con.execute("SELECT path, error FROM failures"))
    stored = sorted(p for (p,) in con.execute("SELECT path FROM reports"))
    con.close()
    assert failures == {p: f"{p}: {r}" for p, r in expected.items()}
    assert b.stdout.startswith(f"processed 5, skipped 0 (unchanged), failed {len(expected)}, ")
    assert stored == sorted([*map(os.path.abspath, good), folder_report, str(looped / "r.txt")])  # the loop once


@pytest.fixture
def open_folder():
    """A fresh folder that another user may enter (pytest's own are private to their owner)."""
    import tempfile

    folder = pathlib.Path(tempfile.mkdtemp(prefix="nlp-reports-perm-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_without_permission_to_read_or_to_write(open_folder):
    """chmod stops no root process, so extract and batch run as the unprivileged uid 65534: a file
    it may not read, a folder it may not list, a folder it may not write the store in, and a
    store it may not write."""
    if os.geteuid() != 0:
        drop = []  # not root: chmod 000 works on our own files already
    elif shutil.which("setpriv"):
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    else:
        pytest.skip("running as root without setpriv: no way to lose the right to read")
    folder = open_folder
    secret, ok, out = folder / "secret.txt", folder / "ok.txt", folder / "out"
    shutil.copy(SEED, secret)
    shutil.copy(SEED, ok)
    os.chmod(secret, 0)
    (folder / "locked").mkdir(mode=0o700)
    shutil.copy(SEED, folder / "locked" / "in.txt")
    out.mkdir()
    os.chmod(out, 0o777)
    probe = subprocess.run(drop + ["cat", str(secret)], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("the unprivileged user can still read a mode-000 file here")
    if drop and subprocess.run(drop + CLI + ["--help"], capture_output=True).returncode != 0:
        pytest.skip("the unprivileged user cannot read the checkout here (a clone inside a mode-700 folder)")
    ex = subprocess.run(drop + CLI + ["extract", "--no-classify", str(secret)], capture_output=True, text=True,
                        timeout=60)
    assert (ex.returncode, ex.stderr) == (2, f"nlp-reports: error: {secret}: permission denied\n")
    b = subprocess.run(drop + CLI + ["batch", str(folder), "--db", str(out / "r.db"), "--workers", "1",
                                     "--no-classify", "--no-progress"], capture_output=True, text=True, timeout=120)
    assert b.returncode == 1, b.stderr
    assert b.stdout.startswith("processed 1, skipped 0 (unchanged), failed 2, ")
    assert sorted(b.stderr.splitlines()) == [f"failed: {folder / 'locked'}: cannot read the folder (Permission denied)",
                                             f"failed: {secret}: permission denied"]
    nowhere = subprocess.run(drop + CLI + ["batch", str(ok), "--db", str(folder / "r.db"), "--workers", "1",
                                           "--no-classify", "--no-progress"], capture_output=True, text=True, timeout=60)
    assert (nowhere.returncode, nowhere.stderr) == (
        4, f"nlp-reports: error: {folder / 'r.db.lock'}: cannot create the lock file (Permission denied)\n")
    os.chmod(out / "r.db", 0o444)
    (out / "new.txt").write_text(TEXT, encoding="utf-8")
    read_only = subprocess.run(drop + CLI + ["batch", str(out / "new.txt"), "--db", str(out / "r.db"), "--workers",
                                             "1", "--no-classify", "--no-progress"], capture_output=True, text=True,
                               timeout=60)
    assert (read_only.returncode, read_only.stderr) == (
        4, f"nlp-reports: error: {out / 'r.db'}: cannot write to the store (the store is read-only); "
           "the reports stored before are complete\n")


def test_the_size_limit_can_be_raised(tmp_path, monkeypatch, seed_text):
    path = tmp_path / "two.txt"
    path.write_text(seed_text * 2, encoding="utf-8")
    monkeypatch.setenv("NLP_REPORTS_MAX_MB", "0.01")
    with pytest.raises(InputError, match=r"file is 0.0 MB, over the 0.0 MB limit for one report"):
        load_file(path)
    monkeypatch.setenv("NLP_REPORTS_MAX_MB", "1")
    assert load_file(path).text == seed_text * 2
    monkeypatch.setenv("NLP_REPORTS_MAX_MB", "lots")
    with pytest.raises(InputError, match="NLP_REPORTS_MAX_MB='lots' is not a number of megabytes"):
        load_file(path)


def test_docx_bomb_is_refused_before_expanding(tmp_path):
    path = tmp_path / "bomb.docx"
    path.write_bytes(_zip({"word/document.xml": b"<" + b"a" * (MAX_DOCX_XML_BYTES + 10)}))
    assert path.stat().st_size < 200_000
    with pytest.raises(InputError, match="zip bomb"):
        load_file(path)


def test_an_empty_path_is_named():
    res = CliRunner().invoke(main, ["extract", "--no-classify", ""])
    assert (res.exit_code, res.output) == (2, "nlp-reports: error: '': no such file\n")


def test_a_name_with_a_line_break_or_bytes_that_are_not_utf8_stays_on_one_line(tmp_path):
    odd = [os.fsdecode(bytes(tmp_path) + b"/new\nline.txt"), os.fsdecode(bytes(tmp_path) + b"/\xff\xfe.txt")]
    for name in odd:
        pathlib.Path(name).write_bytes(b"")
    res = subprocess.run(CLI + ["extract", "--no-classify", *odd], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [f"nlp-reports: error: {name!r}: file is empty" for name in odd]
