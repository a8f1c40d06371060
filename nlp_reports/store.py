"""The embedded store: one SQLite file (WAL). The only module that speaks SQL.

Each report is written in one transaction (a crash never leaves half a report); reports are keyed
by the sha256 of their file's bytes, so a rerun skips what is stored. Schema changes are migrations
recorded in the `migrations` table of the database itself. See docs_store.md for the tables.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import sqlite3

import numpy as np

from . import shingles
from .errors import StoreError

_REPORT_COLUMNS = ["sha256", "path", "format", "encoding", "chars", "title", "place", "place_key", "place_code",
                   "province", "city", "county", "town", "village", "unit", "place_level", "year", "report_type", "attrs",
                   "schema_version", "run_id", "added_at", "text"]
SECTION_COLUMNS = ["id", "parent", "level", "number", "heading", "role", "start", "end", "body_start", "theme",
                   "theme_confidence", "theme_second"]
INDICATOR_COLUMNS = ["name", "canonical", "value", "value_max", "unit", "qualifier", "kind", "scope", "scope_text",
                     "direction", "text", "start", "end", "sentence", "section", "rule"]
ITEM_COLUMNS = ["text", "start", "end", "section"]
# What every exported row carries so that a table stands alone.
REPORT_KEY_COLUMNS = ["report_id", "path", "place", "place_key", "place_code", "year", "report_type"]

_MIGRATIONS = [
    (1, "initial schema", """
CREATE TABLE runs (
  id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, tool_version TEXT NOT NULL,
  model TEXT, command TEXT, executor TEXT, workers INTEGER,
  processed INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT, sha256 TEXT NOT NULL UNIQUE, path TEXT NOT NULL, format TEXT, encoding TEXT,
  chars INTEGER, title TEXT, place TEXT, place_key TEXT, place_code TEXT, province TEXT, city TEXT,
  county TEXT, town TEXT, village TEXT, unit TEXT, place_level TEXT, year INTEGER, report_type TEXT,
  attrs TEXT NOT NULL DEFAULT '{}', schema_version INTEGER, run_id INTEGER REFERENCES runs(id),
  added_at TEXT NOT NULL, text TEXT
);
CREATE INDEX reports_path ON reports(path);
CREATE INDEX reports_place_year ON reports(place_key, year);
CREATE TABLE sections (
  report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE, id INTEGER NOT NULL,
  parent INTEGER, level INTEGER, number TEXT, heading TEXT, role TEXT, start INTEGER, "end" INTEGER,
  body_start INTEGER, theme TEXT, theme_confidence REAL, theme_second TEXT, PRIMARY KEY (report_id, id)
) WITHOUT ROWID;
CREATE TABLE indicators (
  report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE, no INTEGER NOT NULL,
  name TEXT, canonical TEXT, value REAL, value_max REAL, unit TEXT, qualifier TEXT, kind TEXT, scope TEXT,
  scope_text TEXT, direction TEXT, text TEXT, start INTEGER, "end" INTEGER, sentence TEXT, section INTEGER,
  rule TEXT, PRIMARY KEY (report_id, no)
) WITHOUT ROWID;
CREATE INDEX indicators_canonical ON indicators(canonical);
CREATE INDEX indicators_name ON indicators(name);
CREATE TABLE problems (
  report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE, no INTEGER NOT NULL,
  text TEXT, start INTEGER, "end" INTEGER, section INTEGER, PRIMARY KEY (report_id, no)
) WITHOUT ROWID;
CREATE TABLE measures (
  report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE, no INTEGER NOT NULL,
  text TEXT, start INTEGER, "end" INTEGER, section INTEGER, PRIMARY KEY (report_id, no)
) WITHOUT ROWID;
CREATE TABLE sentences (
  report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE, no INTEGER NOT NULL,
  start INTEGER, "end" INTEGER, reused INTEGER NOT NULL DEFAULT 0, minhash BLOB,
  PRIMARY KEY (report_id, no)
) WITHOUT ROWID;
CREATE TABLE sentence_bands (
  key INTEGER PRIMARY KEY, report_id INTEGER NOT NULL, no INTEGER NOT NULL
);
CREATE TABLE scores (
  report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE, criterion TEXT NOT NULL,
  value REAL, score REAL, weight REAL, rubric TEXT, computed_at TEXT, PRIMARY KEY (report_id, criterion)
) WITHOUT ROWID;
CREATE TABLE failures (
  id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id), path TEXT NOT NULL, error TEXT NOT NULL,
  failed_at TEXT NOT NULL
);
CREATE INDEX failures_path ON failures(path);
"""),
]
SCHEMA_VERSION = _MIGRATIONS[-1][0]


@contextlib.contextmanager
def exclusive(path, wait: bool = False):
    """Hold the store's writer lock (a lock file beside it) for a batch or a rescore. Another holder
    makes this raise StoreError at once, or with `wait` block until it is done. The lock dies with
    its process, so a killed run never leaves the store locked."""
    lock_path = os.fspath(path) + ".lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file ({exc.strerror})", lock_path) from None
    try:
        try:
            import fcntl
        except ImportError:  # Windows: SQLite's own locking still keeps the file whole
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
                who = f" (pid {holder})" if holder.isdigit() else ""
                raise StoreError(f"the store is in use by another batch{who}; wait for it to "
                                 "finish or use --wait", os.fspath(path)) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class Store:
    """An open store. `Store(path)` creates the file and brings its schema up to date."""

    def __init__(self, path, create: bool = True, timeout: float = 30.0):
        self.path = os.fspath(path)
        if not create and not os.path.exists(self.path):
            raise StoreError("no such store (run `nlp-reports batch` first)", self.path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
            self.conn.execute("PRAGMA wal_autocheckpoint=4000")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store ({exc})", self.path) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- schema ---------------------------------------------------------------------------------
    def _migrate(self) -> None:
        c = self.conn
        c.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                  " applied_at TEXT NOT NULL)")
        done = {v for (v,) in c.execute("SELECT version FROM migrations")}
        if done and max(done) > SCHEMA_VERSION:
            raise StoreError(f"the store has schema version {max(done)}, newer than this nlp-reports "
                             f"understands ({SCHEMA_VERSION}); upgrade nlp-reports", self.path)
        for version, name, sql in _MIGRATIONS:
            if version in done:
                continue
            with self.transaction():
                for statement in sql.split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute("INSERT INTO migrations VALUES (?, ?, ?)", (version, name, now()))

    @contextlib.contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the store is busy ({exc})", self.path) from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self.conn.execute("ROLLBACK")
                raise StoreError(f"cannot write to the store ({exc})", self.path) from None

    def integrity(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    # -- runs and failures ----------------------------------------------------------------------
    def begin_run(self, tool_version: str, command: str, executor: str, workers: int, model=None) -> int:
        with self.transaction() as c:
            cur = c.execute("INSERT INTO runs (started_at, tool_version, model, command, executor, workers)"
                            " VALUES (?, ?, ?, ?, ?, ?)", (now(), tool_version, model, command, executor, workers))
            return cur.lastrowid

    def finish_run(self, run_id: int, processed: int, skipped: int, failed: int) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET finished_at=?, processed=?, skipped=?, failed=? WHERE id=?",
                      (now(), processed, skipped, failed, run_id))

    def add_failure(self, run_id: int, path: str, error: str) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM failures WHERE path=?", (path,))
            c.execute("INSERT INTO failures (run_id, path, error, failed_at) VALUES (?, ?, ?, ?)",
                      (run_id, path, error, now()))

    def failures(self, run_id: int | None = None) -> list[tuple[str, str]]:
        sql, args = "SELECT path, error FROM failures", ()
        if run_id is not None:
            sql, args = sql + " WHERE run_id=?", (run_id,)
        return list(self.conn.execute(sql + " ORDER BY path", args))

    # -- reports --------------------------------------------------------------------------------
    def known_hashes(self) -> set[str]:
        return {h for (h,) in self.conn.execute("SELECT sha256 FROM reports")}

    def count(self, table: str) -> int:
        _check_table(table)
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def add_report(self, record: dict, run_id: int | None) -> int:
        """Store one extracted report (see batch.extract_record) in one transaction, replacing any
        earlier version of the same content or the same path; returns its id."""
        doc, place = record["report"], record["place"]
        src, meta = doc["source"], doc["meta"]
        row = {"sha256": src["sha256"], "path": src["path"], "format": src.get("format"),
               "encoding": src.get("encoding"), "chars": src.get("chars"), "title": meta.get("title"),
               "place": meta.get("place"), "place_key": place.get("key"), "place_code": place.get("code"),
               "province": place.get("province"), "city": place.get("city"), "county": place.get("county"),
               "town": place.get("town"), "village": place.get("village"), "unit": place.get("unit"), "place_level": meta.get("place_level"),
               "year": meta.get("year"), "report_type": meta.get("report_type"),
               "attrs": json.dumps(record.get("attrs") or {}, ensure_ascii=False),
               "schema_version": doc.get("schema_version"), "run_id": run_id, "added_at": now(),
               "text": doc.get("text")}
        with self.transaction() as c:
            c.execute("DELETE FROM failures WHERE path=?", (row["path"],))
            for (old_id,) in c.execute("SELECT id FROM reports WHERE sha256=? OR path=?",
                                       (row["sha256"], row["path"])).fetchall():
                _delete_report(c, old_id)
            cols = ", ".join(_REPORT_COLUMNS)
            rid = c.execute(f"INSERT INTO reports ({cols}) VALUES ({', '.join('?' * len(_REPORT_COLUMNS))})",
                            [row[k] for k in _REPORT_COLUMNS]).lastrowid
            _insert(c, "sections", SECTION_COLUMNS, rid, doc["sections"], numbered=False)
            _insert(c, "indicators", INDICATOR_COLUMNS, rid, doc["indicators"])
            _insert(c, "problems", ITEM_COLUMNS, rid, doc["problems"])
            _insert(c, "measures", ITEM_COLUMNS, rid, doc["measures"])
            _add_sentences(c, rid, record["sentences"])
        return rid

    # -- text reuse -----------------------------------------------------------------------------
    def reset_reuse(self) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM sentence_bands")
            c.execute("DELETE FROM sentences")

    def report_texts(self):
        """(id, text) of every report, in the order they were stored."""
        yield from self.conn.execute("SELECT id, text FROM reports ORDER BY id")

    def add_sentences(self, report_id: int, sentences) -> None:
        with self.transaction() as c:
            _add_sentences(c, report_id, sentences)

    # -- reading --------------------------------------------------------------------------------
    def query(self, sql: str, args=()):
        """Rows as dicts (for compare, export and scoring; SQL stays in this module's callers' reach
        only through the named helpers below)."""
        cur = self.conn.execute(sql, args)
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row))

    def report_measures(self) -> list[dict]:
        """Per report what the rubric scores: characters, indicators, themes, problems (and how many
        are specific), measures, sentences and reused sentences."""
        return list(self.query("""
SELECT r.id AS report_id, r.chars,
  (SELECT count(*) FROM indicators i WHERE i.report_id = r.id) AS indicators,
  (SELECT count(DISTINCT theme) FROM sections s WHERE s.report_id = r.id AND s.theme IS NOT NULL) AS themes,
  (SELECT count(*) FROM problems p WHERE p.report_id = r.id) AS problems,
  (SELECT count(*) FROM problems p WHERE p.report_id = r.id AND (p.text GLOB '*[0-9]*' OR EXISTS (
      SELECT 1 FROM indicators i WHERE i.report_id = r.id AND i.start >= p.start AND i."end" <= p."end"))) AS specific,
  (SELECT count(*) FROM measures m WHERE m.report_id = r.id) AS measures,
  (SELECT count(*) FROM sentences t WHERE t.report_id = r.id) AS sentences,
  (SELECT count(*) FROM sentences t WHERE t.report_id = r.id AND t.reused) AS reused
FROM reports r ORDER BY r.id"""))

    def write_scores(self, rows: list[tuple]) -> None:
        """Replace all scores by rows of (report_id, criterion, value, score, weight, rubric)."""
        stamp = now()
        with self.transaction() as c:
            c.execute("DELETE FROM scores")
            c.executemany("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?)", [(*r, stamp) for r in rows])

    def indicator_values(self, keys=(), place=None, report_type=None, years=None) -> list[dict]:
        """Indicator rows joined with their report's place and year; `keys` match `canonical`, or
        `name` where canonical is not set."""
        where, args = ["1"], []
        if keys:
            marks = ", ".join("?" * len(keys))
            where.append(f"(i.canonical IN ({marks}) OR (i.canonical IS NULL AND i.name IN ({marks})))")
            args += list(keys) * 2
        where, args = _report_filter(where, args, place, report_type, years)
        return list(self.query(f"""
SELECT r.id AS report_id, r.place, r.place_key, r.place_code, r.year, r.report_type,
  coalesce(i.canonical, i.name) AS indicator, i.value, i.unit, i.start
FROM indicators i JOIN reports r ON r.id = i.report_id WHERE {' AND '.join(where)}
ORDER BY r.place_key, r.year, i.start""", args))

    def theme_shares(self, place=None, report_type=None, years=None) -> list[dict]:
        """Share of each report's sectioned text per theme, for reports with classified sections."""
        where, args = _report_filter(["s.theme IS NOT NULL", "s.parent IS NULL"], [], place, report_type, years)
        return list(self.query(f"""
SELECT r.id AS report_id, r.place, r.place_key, r.year, s.theme,
  round(1.0 * sum(s."end" - s.start) / (SELECT sum(t."end" - t.start) FROM sections t
     WHERE t.report_id = r.id AND t.parent IS NULL), 4) AS share
FROM sections s JOIN reports r ON r.id = s.report_id WHERE {' AND '.join(where)}
GROUP BY r.id, s.theme ORDER BY r.place_key, r.year, share DESC""", args))

    def export_rows(self, table: str):
        """Rows of `table`, each with the report's key columns first; indicator rows keep their
        evidence sentence and offsets. Scores come one row per report, a column per criterion."""
        _check_table(table)
        head = ("r.id AS report_id, r.path, r.place, r.place_key, r.place_code, r.year, r.report_type")
        if table == "reports":
            return self.query(f"SELECT {head}, r.sha256, r.format, r.encoding, r.chars, r.title, r.province,"
                              " r.city, r.county, r.town, r.village, r.unit, r.place_level, r.attrs, r.run_id, r.added_at"
                              " FROM reports r ORDER BY r.id")
        if table == "scores":
            return self._scores_wide(head)
        return self.query(f"SELECT {head}, t.* FROM {table} t JOIN reports r ON r.id = t.report_id"
                          " ORDER BY r.id, 1")

    def _scores_wide(self, head: str):
        criteria = [c for (c,) in self.conn.execute("SELECT DISTINCT criterion FROM scores ORDER BY criterion")
                    if c != "total"]
        cols = [f"max(CASE WHEN s.criterion = '{c}' THEN s.value END) AS \"{c}\", "
                f"max(CASE WHEN s.criterion = '{c}' THEN s.score END) AS \"{c}_score\"" for c in criteria]
        cols.append("max(CASE WHEN s.criterion = 'total' THEN s.score END) AS total, max(s.rubric) AS rubric")
        return self.query(f"SELECT {head}, {', '.join(cols)} FROM scores s JOIN reports r ON r.id = s.report_id"
                          " GROUP BY r.id ORDER BY r.id")


TABLES = ("reports", "sections", "indicators", "problems", "measures", "scores")


def _check_table(table: str) -> None:
    if table not in TABLES + ("sentences", "sentence_bands", "failures", "runs", "migrations"):
        raise StoreError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")


def _report_filter(where, args, place, report_type, years):
    if place:
        where.append("(r.place = ? OR r.place_key = ? OR r.place_key LIKE ?)")
        args += [place, place, f"%/{place}"]
    if report_type:
        where.append("r.report_type = ?")
        args.append(report_type)
    if years:
        where.append("r.year BETWEEN ? AND ?")
        args += [years[0], years[1]]
    return where, args


def _insert(c, table, columns, rid, rows, numbered=True) -> None:
    if not rows:
        return
    names = (["report_id", "no"] if numbered else ["report_id"]) + columns
    sql = f"INSERT INTO {table} ({', '.join(map(_quote, names))}) VALUES ({', '.join('?' * len(names))})"
    if numbered:
        c.executemany(sql, [[rid, n] + [r.get(k) for k in columns] for n, r in enumerate(rows)])
    else:
        c.executemany(sql, [[rid] + [r.get(k) for k in columns] for r in rows])


def _quote(name: str) -> str:
    return f'"{name}"' if name == "end" else name


def _delete_report(c, rid: int) -> None:
    """Delete a report; its rows go by cascade, except its band keys (sentence_bands has no index
    on report_id, which would slow every insert): those are found again from the signatures its
    key-holding sentences keep."""
    keys = []
    for (sig,) in c.execute("SELECT minhash FROM sentences WHERE report_id = ? AND minhash IS NOT NULL", (rid,)):
        keys += shingles.band_keys(np.frombuffer(sig, dtype=np.uint32))
    for i in range(0, len(keys), 900):
        chunk = keys[i:i + 900]
        c.execute(f"DELETE FROM sentence_bands WHERE report_id = ? AND key IN ({', '.join('?' * len(chunk))})",
                  [rid, *chunk])
    c.execute("DELETE FROM reports WHERE id = ?", (rid,))


def _add_sentences(c, rid: int, sentences) -> None:
    """Store a report's sentences and mark near-verbatim repeats, incrementally.

    `sentences` are (no, start, end, signature bytes, band keys). Each band key is held by the
    first sentence that had it; a new sentence is compared with the holders of its keys (at most
    BANDS candidates), and when one is similar enough both count as reused. A sentence that holds
    no key needs no signature stored, so the store grows with distinct text, not with copies.
    """
    all_keys = [k for *_rest, ks in sentences for k in ks]
    found: dict = {}
    for i in range(0, len(all_keys), 900):
        chunk = all_keys[i:i + 900]
        for key, orid, ono, sig, reused in c.execute(
                "SELECT b.key, b.report_id, b.no, s.minhash, s.reused FROM sentence_bands b JOIN sentences s"
                f" ON s.report_id = b.report_id AND s.no = b.no WHERE b.key IN ({', '.join('?' * len(chunk))})",
                chunk):
            found[key] = (orid, ono, sig, reused)
    rows, new_keys, flag_old = [], [], set()
    for no, start, end, sig, ks in sentences:
        hits = found.keys() & ks
        reused = 0
        for orid, ono, osig, oreused in {found[k][:2]: found[k] for k in hits}.values():
            if shingles.similarity(sig, osig) >= shingles.THRESHOLD:
                reused = 1
                if not oreused:
                    flag_old.add((orid, ono))
        holds = len(hits) < len(ks)
        if holds:
            new_keys += [(k, rid, no) for k in ks if k not in hits]
        rows.append((rid, no, start, end, reused, sig if holds else None))
    c.executemany('INSERT INTO sentences (report_id, no, start, "end", reused, minhash) VALUES (?, ?, ?, ?, ?, ?)', rows)
    c.executemany("INSERT OR IGNORE INTO sentence_bands (key, report_id, no) VALUES (?, ?, ?)", new_keys)
    if flag_old:
        c.executemany("UPDATE sentences SET reused = 1 WHERE report_id = ? AND no = ?", sorted(flag_old))
