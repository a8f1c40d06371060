"""The store (schema, migrations, one transaction per report, text reuse, the writer lock) and place identity."""
import json
import sqlite3

import pytest

from conftest import ROOT
from nlp_reports.batch import extract_record
from nlp_reports.errors import StoreError
from nlp_reports.places import identify
from nlp_reports.store import SCHEMA_VERSION, Store, exclusive

REPORTS = ROOT / "corpora" / "reports"
QUANXI = sorted(REPORTS.glob("b1_0[123]_quanxi_*.txt"))


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "r.db") as s:
        yield s


def test_new_store_records_its_migrations_and_uses_wal(store):
    rows = list(store.query("SELECT version, name FROM migrations"))
    assert [r["version"] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.integrity() == "ok"


def test_reopening_does_not_migrate_again(tmp_path):
    Store(tmp_path / "r.db").close()
    with Store(tmp_path / "r.db") as s:
        assert s.count("migrations") == SCHEMA_VERSION


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    Store(tmp_path / "r.db").close()
    con = sqlite3.connect(tmp_path / "r.db")
    con.execute("INSERT INTO migrations VALUES (999, 'future', 'now')")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer than this nlp-reports"):
        Store(tmp_path / "r.db")


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path):
    bad = tmp_path / "r.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(bad)


def test_add_report_stores_every_part_once_and_keeps_its_id_on_readd(store):
    rec = extract_record(str(QUANXI[0]))
    assert rec["ok"]
    rid = store.add_report(rec, None)
    assert store.count("indicators") == len(rec["indicators"]) > 0
    assert store.count("sections") == len(rec["sections"]) > 0
    assert store.count("problems") == len(rec["problems"])
    reused_before = list(store.query("SELECT no, reused FROM sentences ORDER BY no"))
    rid2 = store.add_report(rec, None)  # same content again (as with --force): in place, not doubled
    assert rid2 == rid
    assert store.count("reports") == 1
    assert store.count("indicators") == len(rec["indicators"])
    assert list(store.query("SELECT no, reused FROM sentences ORDER BY no")) == reused_before
    row = next(store.query("SELECT * FROM reports"))
    assert row["sha256"] == rec["report"][0] and row["year"] == 2021
    assert json.loads(row["attrs"]) == {}


def test_sections_know_their_own_characters(store):
    rec = extract_record(str(QUANXI[2]))
    store.add_report(rec, None)
    text = next(store.query("SELECT text FROM reports"))["text"]
    rows = list(store.query('SELECT id, parent, start, "end", own_chars FROM sections ORDER BY id'))
    owner = [None] * len(text)  # the innermost section of each character, by brute force
    for r in rows:  # parents come before their children
        for i in range(r["start"], r["end"]):
            owner[i] = r["id"]
    assert [r["own_chars"] for r in rows] == [owner.count(r["id"]) for r in rows]
    assert any(r["parent"] is not None for r in rows)  # the case that matters is there


def test_indicator_rows_keep_evidence_that_matches_the_stored_text(store):
    store.add_report(extract_record(str(QUANXI[1])), None)
    text = next(store.query("SELECT text FROM reports"))["text"]
    rows = list(store.query('SELECT text, start, "end", sentence FROM indicators'))
    assert rows
    for r in rows:
        assert text[r["start"]:r["end"]] == r["text"]
        assert r["text"] in r["sentence"]


def test_a_failed_write_leaves_no_half_report(store):
    rec = extract_record(str(QUANXI[0]))
    rec["problems"] = [("x", 0, 1, None), None]  # breaks mid-way
    with pytest.raises(TypeError):
        store.add_report(rec, None)
    for table in ("reports", "sections", "indicators", "problems", "sentences", "sentence_bands"):
        assert store.count(table) == 0, table


def _copy_of(src_path, tmp_path, name, extra):
    """A different report that repeats `src_path`'s body with other numbers, plus its own sentence."""
    src = src_path.read_text(encoding="utf-8")
    copy = tmp_path / name
    copy.write_text(src.replace("1", "7").replace("2", "9") + "\n" + extra, encoding="utf-8")
    return copy


def _shares(store):
    return {r["path"]: round(r["reused"] / r["n"], 4) for r in store.query(
        "SELECT r.path, sum(s.reused) AS reused, count(*) AS n FROM sentences s JOIN reports r ON r.id = s.report_id"
        " GROUP BY r.id")}


def test_text_reuse_marks_copied_sentences_in_both_reports(store, tmp_path):
    copy = _copy_of(QUANXI[0], tmp_path, "copy.txt", "另有新内容一段，不与其他报告雷同的句子写在这里。")
    store.add_report(extract_record(str(QUANXI[0])), None)
    assert sum(_shares(store).values()) == 0  # alone in the store: nothing is reused
    store.add_report(extract_record(str(copy)), None)
    shares = _shares(store)
    assert len(shares) == 2
    assert all(s > 0.8 for s in shares.values()), shares  # the original is now marked too
    assert shares[str(copy)] < 1.0  # the copy's own new sentence is not reuse


def test_replacing_reports_leaves_reuse_as_a_fresh_store_would(tmp_path):
    """A is copied by B and C; B and C only matched A's sentences (A held the band keys). When A's
    file changes to unrelated text, B and C must still count as copies of each other; when B's
    changes too, C is left with nothing reused."""
    a = tmp_path / "a.txt"
    a.write_text(QUANXI[0].read_text(encoding="utf-8"), encoding="utf-8")
    b = _copy_of(QUANXI[0], tmp_path, "b.txt", "乙镇另外写了一句自己的话，与别的报告都不相同。")
    c = _copy_of(QUANXI[0], tmp_path, "c.txt", "丙镇也写了一句话，说的是本镇独有的情况和打算。")
    other = REPORTS / "b3_01_meilin_2021.txt"
    with Store(tmp_path / "inc.db") as inc:
        for p in (a, b, c):
            inc.add_report(extract_record(str(p)), None)
        a.write_text(other.read_text(encoding="utf-8"), encoding="utf-8")
        inc.add_report(extract_record(str(a)), None)
        after_a = _shares(inc)
        b.write_text((REPORTS / "b3_02_meilin_2022.txt").read_text(encoding="utf-8"), encoding="utf-8")
        inc.add_report(extract_record(str(b)), None)
        after_b = _shares(inc)
        assert inc.count("reports") == 3 and inc.integrity() == "ok"
    assert after_a[str(b)] > 0.8 and after_a[str(c)] > 0.8
    assert after_b[str(c)] == 0
    with Store(tmp_path / "fresh.db") as fresh:  # the same three files stored from scratch
        for p in (a, b, c):
            fresh.add_report(extract_record(str(p)), None)
        assert _shares(fresh) == after_b


def test_band_keys_left_pending_by_a_killed_batch_are_recovered(tmp_path):
    copy = _copy_of(QUANXI[0], tmp_path, "copy.txt", "另有新内容一段，不与其他报告雷同的句子写在这里。")
    recs = [extract_record(str(p)) for p in (QUANXI[0], copy, QUANXI[1], REPORTS / "b3_01_meilin_2021.txt")]

    def bands(s):
        return sorted(s.conn.execute("SELECT key, report_id, no FROM sentence_bands"))

    with Store(tmp_path / "flushed.db") as flushed:
        for r in recs:
            flushed.add_report(r, None)
        flushed.flush_keys()
        want, want_reused = bands(flushed), list(flushed.conn.execute("SELECT reused FROM sentences"))
    killed = Store(tmp_path / "killed.db")
    for r in recs:
        killed.add_report(r, None)
    assert killed.count("sentence_bands") == 0  # all still pending (far fewer than PENDING_KEYS)
    assert killed.conn.execute("SELECT count(*) FROM reports WHERE keyed = 0").fetchone()[0] == len(recs)
    killed.conn.close()  # as kill -9 would: the pending keys are lost, the reports are not
    with Store(tmp_path / "killed.db") as again:
        assert again.recover_keys() == len(recs)
        assert bands(again) == want and len(want) > 0
        assert list(again.conn.execute("SELECT reused FROM sentences")) == want_reused
        assert again.recover_keys() == 0


def test_a_schema_1_store_is_migrated_and_its_reuse_rebuilt(tmp_path):
    from nlp_reports.scoring import recompute_reuse
    from nlp_reports.store import _MIGRATIONS

    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript(_MIGRATIONS[0][2])
    con.execute("CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    con.execute("INSERT INTO migrations VALUES (1, 'initial schema', '2024-01-01')")
    con.execute("INSERT INTO reports (id, sha256, path, added_at, text, chars) VALUES (1, 'x', '/r.txt', 'now', ?, 40)",
                ("第一部分主要工作\n一是加强领导。\n" + "二是抓好宣传工作，全年开展法治宣传活动十一次。",))
    con.executemany("INSERT INTO sections (report_id, id, parent, level, heading, role, start, \"end\", body_start, theme)"
                    " VALUES (1, ?, ?, ?, ?, 'practice', ?, ?, ?, ?)",
                    [(0, None, 1, "第一部分主要工作", 0, 40, 9, "other"), (1, 0, 2, "一是加强领导", 9, 17, 16, "leadership"),
                     (2, 0, 2, "二是抓好宣传工作", 17, 40, 25, "publicity")])
    con.execute("INSERT INTO sentences (report_id, no, start, \"end\", reused) VALUES (1, 0, 17, 40, 1)")
    con.commit()
    con.close()
    with Store(db) as s:
        assert [r["version"] for r in s.query("SELECT version FROM migrations ORDER BY version")] == [1, 2]
        assert [r["own_chars"] for r in s.query("SELECT own_chars FROM sections ORDER BY id")] == [9, 8, 23]
        assert s.state("reuse_rebuild")  # its sentences lack the signatures and matches of schema 2
        assert recompute_reuse(s) == 1
        assert s.state("reuse_rebuild") is None
        assert s.conn.execute("SELECT sum(reused), count(minhash) FROM sentences").fetchone() == (0, s.count("sentences"))
        assert s.integrity() == "ok"


def test_unrelated_reports_share_little_text(store):
    for path in (QUANXI[0], REPORTS / "b3_01_meilin_2021.txt"):
        store.add_report(extract_record(str(path)), None)
    reused, total = store.conn.execute("SELECT sum(reused), count(*) FROM sentences").fetchone()
    assert reused / total < 0.1


def test_the_writer_lock_stops_a_second_writer_with_one_line(tmp_path):
    db = tmp_path / "r.db"
    with exclusive(db):
        with pytest.raises(StoreError) as err:
            with exclusive(db):
                pass
    assert "in use by another batch" in str(err.value) and "--wait" in str(err.value)
    assert "\n" not in str(err.value)
    with exclusive(db):  # released
        pass


# Place identity. Cases: the corpus's titles (development set), the 城关镇 example, and
# the bugs caught in review (a department cut at 村, placeholders, a county-level 市).
PLACES = [
    ("town-alone", "城关镇", {}, "城关镇", None),
    ("town-with-county-from-manifest", "城关镇", {"province": "甘肃省", "county": "榆中县"},
     "甘肃省/兰州市/榆中县/城关镇", "620123"),
    ("same-town-county-in-text", "榆中县城关镇", {}, "甘肃省/兰州市/榆中县/城关镇", "620123"),
    ("same-town-other-county", "城关镇", {"province": "陕西省", "county": "勉县"}, "陕西省/汉中市/勉县/城关镇", "610725"),
    ("county-in-text", "安平县城关镇", {}, "河北省/衡水市/安平县/城关镇", "131125"),
    ("department", "四川省成都市青羊区司法局", {}, "四川省/成都市/青羊区/司法局", "510105"),
    ("department-ending-in-village-word", "安平县农业农村局", {}, "河北省/衡水市/安平县/农业农村局", "131125"),
    ("county-level-city", "临江市司法局", {}, "吉林省/白山市/临江市/司法局", "220681"),
    ("village-not-banner", "红旗村", {}, "红旗村", None),
    ("banner", "正蓝旗桑根达来镇", {}, "内蒙古自治区/锡林郭勒盟/正蓝旗/桑根达来镇", "152530"),
    ("ambiguous-district", "朝阳区", {}, "朝阳区", None),
    ("district-disambiguated", "朝阳区", {"province": "北京市"}, "北京市/朝阳区", "110105"),
    ("placeholder-town", "X镇", {}, None, None),
    ("placeholder-county", "XX县交通运输局", {}, None, None),
    ("placeholder-with-manifest-county", "某某镇", {"province": "甘肃省", "county": "榆中县"}, None, None),
    ("nothing", None, {}, None, None),
]


@pytest.mark.parametrize("name, levels, key, code", [p[1:] for p in PLACES], ids=[p[0] for p in PLACES])
def test_place_identity(name, levels, key, code):
    place = identify(name, **levels)
    assert place.key == key
    assert place.code == code


def test_two_chengguan_towns_are_different_places():
    a = identify("城关镇", province="甘肃省", county="榆中县")
    b = identify("城关镇", province="陕西省", county="勉县")
    assert a.key != b.key and a.town == b.town == "城关镇"
