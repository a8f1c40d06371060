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


def test_add_report_stores_every_part_once_and_replaces_on_readd(store):
    rec = extract_record(str(QUANXI[0]))
    assert rec["ok"]
    doc = rec["report"]
    rid = store.add_report(rec, None)
    assert store.count("indicators") == len(doc["indicators"])
    assert store.count("sections") == len(doc["sections"])
    assert store.count("problems") == len(doc["problems"])
    rid2 = store.add_report(rec, None)  # same content again (as with --force): replaced, not doubled
    assert rid2 != rid
    assert store.count("reports") == 1
    assert store.count("indicators") == len(doc["indicators"])
    row = next(store.query("SELECT * FROM reports"))
    assert row["sha256"] == doc["source"]["sha256"] and row["year"] == 2021
    assert json.loads(row["attrs"]) == {}


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
    rec["report"]["problems"] = [{"text": "x", "start": 0, "end": 1, "section": None}, None]  # breaks mid-way
    with pytest.raises(AttributeError):
        store.add_report(rec, None)
    for table in ("reports", "sections", "indicators", "problems", "sentences"):
        assert store.count(table) == 0, table


def test_text_reuse_marks_copied_sentences_in_both_reports(store, tmp_path):
    src = QUANXI[0].read_text(encoding="utf-8")
    copy = tmp_path / "copy.txt"
    # A different report that copies the first one's body with other numbers.
    copy.write_text(src.replace("1", "7").replace("2", "9") + "\n另有新内容一段，不与其他报告雷同的句子写在这里。", encoding="utf-8")
    store.add_report(extract_record(str(QUANXI[0])), None)
    first = dict(store.conn.execute("SELECT report_id, sum(reused) FROM sentences GROUP BY report_id").fetchall())
    assert sum(first.values()) == 0  # alone in the store: nothing is reused
    store.add_report(extract_record(str(copy)), None)
    shares = {r["report_id"]: r["reused"] / r["n"] for r in store.query(
        "SELECT report_id, sum(reused) AS reused, count(*) AS n FROM sentences GROUP BY report_id")}
    assert len(shares) == 2
    assert all(s > 0.8 for s in shares.values()), shares  # the original is now marked too
    assert shares[max(shares)] < 1.0  # the copy's own new sentence is not reuse


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


# Place identity. Cases: the corpus's titles (development set) and the 城关镇 example.
PLACES = [
    ("town-alone", "城关镇", {}, "城关镇", None),
    ("town-with-county-from-manifest", "城关镇", {"province": "甘肃省", "county": "榆中县"}, "甘肃省/榆中县/城关镇", "620123"),
    ("same-town-other-county", "城关镇", {"province": "陕西省", "county": "勉县"}, "陕西省/勉县/城关镇", "610725"),
    ("county-in-text", "安平县城关镇", {}, "安平县/城关镇", "131125"),
    ("department", "四川省成都市青羊区司法局", {}, "四川省/成都市/青羊区/司法局", "510105"),
    ("village-not-banner", "红旗村", {}, "红旗村", None),
    ("banner", "正蓝旗某镇", {}, "正蓝旗/某镇", "152530"),
    ("ambiguous-district", "朝阳区", {}, "朝阳区", None),
    ("district-disambiguated", "朝阳区", {"province": "北京市"}, "北京市/朝阳区", "110105"),
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
