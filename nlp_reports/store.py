"""The embedded store: one SQLite file (WAL). The only module that speaks SQL.

Each report is written in one transaction (a crash never leaves half a report); reports are keyed
by the sha256 of their file's bytes, so a rerun skips what is stored. Schema changes are migrations
recorded in the `migrations` table of the database itself; README "The store's tables" describes
every column.

Workers build a report's rows with `record()` (plain tuples in column order: cheap to pickle, ready
for executemany); the one writer stores them with `Store.add_report`.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import operator
import os
import re
import sqlite3

import numpy as np

from . import shingles
from .errors import StoreError

# reports columns a worker fills (record()); the writer adds run_id and added_at.
_REPORT_COLUMNS = ["sha256", "path", "format", "encoding", "chars", "title", "place", "place_key", "place_code",
                   "province", "city", "county", "town", "village", "unit", "place_level", "year", "report_type", "attrs",
                   "schema_version", "text"]
SECTION_COLUMNS = ["id", "parent", "level", "number", "heading", "role", "start", "end", "body_start", "theme",
                   "theme_confidence", "theme_second"]
INDICATOR_COLUMNS = ["name", "canonical", "value", "value_max", "unit", "qualifier", "kind", "scope", "scope_text",
                     "direction", "text", "start", "end", "sentence", "section", "rule"]
ITEM_COLUMNS = ["text", "start", "end", "section"]
_PLACE_LEVELS = ("province", "city", "county", "town", "village", "unit")
# What every exported row carries so that a table stands alone.
REPORT_KEY_COLUMNS = ["report_id", "path", "place", "place_key", "place_code", "year", "report_type"]
TABLES = ("reports", "sections", "indicators", "problems", "measures", "scores")
EXPORT_TABLES = TABLES + ("failures",)

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
    # Every index costs the writer a page per row it files at a random place (the two indicator
    # indexes doubled the pages each report writes); compare scans indicators instead.
    (2, "own characters of sections, sentence matches, store state, no indicator indexes, deferred band keys", """
ALTER TABLE sections ADD COLUMN own_chars INTEGER;
UPDATE sections SET own_chars = ("end" - start) - coalesce((SELECT sum(c."end" - c.start) FROM sections c
  WHERE c.report_id = sections.report_id AND c.parent = sections.id), 0);
CREATE TABLE sentence_matches (
  report_id INTEGER NOT NULL, no INTEGER NOT NULL, other_report_id INTEGER NOT NULL, other_no INTEGER NOT NULL,
  PRIMARY KEY (report_id, no, other_report_id, other_no)
) WITHOUT ROWID;
DROP INDEX indicators_name;
DROP INDEX indicators_canonical;
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
ALTER TABLE reports ADD COLUMN keyed INTEGER NOT NULL DEFAULT 1;
INSERT INTO state SELECT 'reuse_rebuild', 'schema 2 keeps every signature and match' WHERE EXISTS (SELECT 1 FROM sentences)
"""),
]
SCHEMA_VERSION = _MIGRATIONS[-1][0]
# Band keys of distinct sentences land at random places of sentence_bands: written one report at
# a time, each report rewrites hundreds of its pages. Kept pending and written in key order every
# PENDING_KEYS keys (about 300 reports of text that repeats nothing; a few MB), each page is
# written once per flush. Each report's own rows still go in one transaction; a batch killed
# before a flush leaves reports with keyed = 0, whose keys recover_keys() derives again.
PENDING_KEYS = 100_000

_SECTION_ROW = operator.attrgetter(*SECTION_COLUMNS)
_INDICATOR_ROW = operator.attrgetter(*INDICATOR_COLUMNS)
_ITEM_ROW = operator.attrgetter(*ITEM_COLUMNS)


def record(report, *, path: str, report_type: str | None = None, place: dict | None = None,
           attrs: dict | None = None) -> dict:
    """What the writer stores of one analysed report (a results.Report): {"ok": True, "path",
    "report": the reports row, "sections", "indicators", "problems", "measures": row tuples in
    the column orders above, "sentences": (no, start, end, signature, band keys)}. Built in the
    worker, so that the writer only runs SQL and the record pickles as plain tuples."""
    from .structure import sentences

    src, meta, place = report.source, report.meta, place or {}
    row = (src.get("sha256"), path, src.get("format"), src.get("encoding"), src.get("chars"), meta.title,
           meta.place, place.get("key"), place.get("code"), *(place.get(k) for k in _PLACE_LEVELS),
           meta.place_level, meta.year, report_type or meta.report_type,
           json.dumps(attrs or {}, ensure_ascii=False), report.schema_version, report.text)
    inner: dict = {}
    for s in report.sections:  # sections nest: a parent's span holds its children's
        if s.parent is not None:
            inner[s.parent] = inner.get(s.parent, 0) + (s.end - s.start)
    sections = [(*_SECTION_ROW(s), (s.end - s.start) - inner.get(s.id, 0)) for s in report.sections]
    return {"ok": True, "path": path, "report": row, "sections": sections,
            "indicators": [_INDICATOR_ROW(i) for i in report.indicators],
            "problems": [_ITEM_ROW(p) for p in report.problems],
            "measures": [_ITEM_ROW(m) for m in report.measures],
            "sentences": shingles.sentence_records(report.text, sentences(report.text))}


def _quote(name: str) -> str:
    return f'"{name}"' if name in ("end", "no") else name


def _insert_sql(table: str, columns: list[str], verb: str = "INSERT") -> str:
    return f"{verb} INTO {table} ({', '.join(map(_quote, columns))}) VALUES ({', '.join('?' * len(columns))})"


_WRITER_COLUMNS = _REPORT_COLUMNS + ["run_id", "added_at"]
_SQL_REPORT = _insert_sql("reports", _WRITER_COLUMNS)
_SQL_UPDATE_REPORT = f"UPDATE reports SET {', '.join(f'{_quote(c)} = ?' for c in _WRITER_COLUMNS)} WHERE id = ?"
_SQL_SECTIONS = _insert_sql("sections", ["report_id"] + SECTION_COLUMNS + ["own_chars"])
_SQL_INDICATORS = _insert_sql("indicators", ["report_id", "no"] + INDICATOR_COLUMNS)
_SQL_ITEMS = {t: _insert_sql(t, ["report_id", "no"] + ITEM_COLUMNS) for t in ("problems", "measures")}
_SQL_SENTENCES = _insert_sql("sentences", ["report_id", "no", "start", "end", "reused", "minhash"])
_SQL_BANDS = _insert_sql("sentence_bands", ["key", "report_id", "no"], "INSERT OR IGNORE")
_SQL_MATCHES = _insert_sql("sentence_matches", ["report_id", "no", "other_report_id", "other_no"], "INSERT OR IGNORE")


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


# SQLite's primary result codes for a write the machine refused: busy, locked, read-only, I/O
# error, full disk, cannot open.
_WRITE_FAULTS = {5: "the store is busy", 6: "the store is locked", 8: "the store is read-only",
                 10: "disk I/O error: is the disk full?", 13: "the disk is full", 14: "cannot open the store's files"}


def _sqlite_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if code is not None else None


def _write_failed(exc: sqlite3.Error) -> str:
    """One line for a write SQLite could not make; every report committed before it is whole."""
    why = _WRITE_FAULTS.get(_sqlite_code(exc), str(exc))
    return f"cannot write to the store ({why}); the reports stored before are complete"


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class Store:
    """An open store. `Store(path)` creates the file and brings its schema up to date."""

    def __init__(self, path, create: bool = True, timeout: float = 30.0):
        self.path = os.fspath(path)
        # Band keys taken by the sentences of reports stored since the last flush_keys():
        # {key: (report id, no, signature)}, and the rows to insert, in one sorted pass later.
        self._pending: dict = {}
        self._pending_reports: list = []
        if not create and not os.path.exists(self.path):
            raise StoreError("no such store (run `nlp-reports batch` first)", self.path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
            # Checkpoints copy each page once however often it changed since the last: rarer (a
            # WAL of up to 64 MiB) is a third less writing per report than every 16 MiB.
            self.conn.execute("PRAGMA wal_autocheckpoint=16384")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store ({exc})", self.path) from None

    def close(self) -> None:
        try:
            self.flush_keys()
        except (StoreError, sqlite3.Error):
            pass  # the reports say keyed = 0: the next batch or score derives their keys again
        finally:
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
                for statement in sql.split(";\n"):
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
        except sqlite3.OperationalError as exc:
            self._rollback()
            if _sqlite_code(exc) not in _WRITE_FAULTS:
                raise  # a bug, not the disk
            raise StoreError(_write_failed(exc), self.path) from None
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback()
                raise StoreError(_write_failed(exc), self.path) from None

    def _rollback(self) -> None:
        # After a full disk or an I/O error SQLite may have rolled back already.
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def integrity(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    def state(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str | None) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM state WHERE key = ?", (key,))
            if value is not None:
                c.execute("INSERT INTO state VALUES (?, ?)", (key, value))

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
    def known_hashes(self) -> dict[str, str]:
        """{sha256: path} of every stored report."""
        return dict(self.conn.execute("SELECT sha256, path FROM reports"))

    def move(self, sha256: str, path: str) -> None:
        """Record that the stored content `sha256` now lives at `path` (its file was moved)."""
        with self.transaction() as c:
            c.execute("DELETE FROM failures WHERE path = ?", (path,))
            c.execute("UPDATE reports SET path = ? WHERE sha256 = ?", (path, sha256))

    def update_meta(self, sha256: str, over: dict, identify) -> bool:
        """Apply manifest overrides `over` (see batch.read_manifest) to the stored report `sha256`
        without re-extracting it; `identify(place name, over)` gives the place's columns. Returns
        whether anything changed."""
        cols = ["place", "place_key", "place_code", *_PLACE_LEVELS, "year", "report_type", "attrs"]
        row = self.conn.execute(f"SELECT id, {', '.join(cols)} FROM reports WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            return False
        rid, old = row[0], dict(zip(cols, row[1:]))
        name = over.get("place") or old["place"]
        place = identify(name, over)
        attrs = {**json.loads(old["attrs"] or "{}"), **(over.get("attrs") or {})}
        new = {"place": name, "place_key": place.get("key"), "place_code": place.get("code"),
               **{k: place.get(k) for k in _PLACE_LEVELS}, "year": over.get("year") or old["year"],
               "report_type": over.get("report_type") or old["report_type"],
               "attrs": json.dumps(attrs, ensure_ascii=False)}
        if new == old:
            return False
        with self.transaction() as c:
            c.execute(f"UPDATE reports SET {', '.join(f'{k} = ?' for k in cols)} WHERE id = ?",
                      [new[k] for k in cols] + [rid])
        return True

    def count(self, table: str) -> int:
        _check_table(table)
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def add_report(self, rec: dict, run_id: int | None) -> int:
        """Store one record (see record()) in one transaction; returns the report's id.

        The same content again (--force) keeps its id and is re-extracted in place, its text-reuse
        marks kept when its text and sentences are unchanged. A new version of a stored path
        replaces the old report (see _drop_sentences for what happens to reuse)."""
        row = rec["report"]
        sha, path, text = row[0], row[1], row[-1]
        values = (*row, run_id, now())
        if self._pending and self.conn.execute("SELECT 1 FROM reports WHERE sha256 = ? OR path = ?",
                                               (sha, path)).fetchone():
            self.flush_keys()  # replacing re-examines band keys: they must all be in the table
        new_keys: list = []
        with self.transaction() as c:
            c.execute("DELETE FROM failures WHERE path = ?", (path,))
            for (old,) in c.execute("SELECT id FROM reports WHERE path = ? AND sha256 != ?", (path, sha)).fetchall():
                _delete_report(c, old)
            same = c.execute("SELECT id, text FROM reports WHERE sha256 = ?", (sha,)).fetchone()
            keep_sentences = False
            if same is None:
                rid = c.execute(_SQL_REPORT, values).lastrowid
            else:
                rid = same[0]
                c.execute(_SQL_UPDATE_REPORT, (*values, rid))
                for table in ("sections", "indicators", "problems", "measures"):
                    c.execute(f"DELETE FROM {table} WHERE report_id = ?", (rid,))
                old = c.execute('SELECT no, start, "end" FROM sentences WHERE report_id = ? ORDER BY no', (rid,))
                keep_sentences = same[1] == text and old.fetchall() == [tuple(s[:3]) for s in rec["sentences"]]
                if not keep_sentences:
                    _drop_sentences(c, rid)
            c.executemany(_SQL_SECTIONS, [(rid, *s) for s in rec["sections"]])
            c.executemany(_SQL_INDICATORS, [(rid, n, *i) for n, i in enumerate(rec["indicators"])])
            for table in ("problems", "measures"):
                c.executemany(_SQL_ITEMS[table], [(rid, n, *i) for n, i in enumerate(rec[table])])
            if not keep_sentences:
                new_keys = _add_sentences(c, rid, rec["sentences"], self._pending)
                if new_keys:
                    c.execute("UPDATE reports SET keyed = 0 WHERE id = ?", (rid,))
        if new_keys:
            sigs = {no: sig for no, _s, _e, sig, _ks in rec["sentences"]}
            for key, _rid, no in new_keys:
                self._pending.setdefault(key, (rid, no, sigs[no]))
            self._pending_reports.append(rid)
            if len(self._pending) >= PENDING_KEYS:
                self.flush_keys()
        return rid

    def flush_keys(self) -> None:
        """Write the pending band keys (see add_report) in key order, in one transaction."""
        if not self._pending:
            return
        with self.transaction() as c:
            c.executemany(_SQL_BANDS, sorted((k, rid, no) for k, (rid, no, _sig) in self._pending.items()))
            for chunk in _chunks(self._pending_reports):
                c.execute(f"UPDATE reports SET keyed = 1 WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
        self._pending, self._pending_reports = {}, []

    def recover_keys(self) -> int:
        """Insert the band keys of reports whose keys were pending when a batch was killed (their
        rows and signatures are stored: the keys follow from them); returns how many reports."""
        rids = [rid for (rid,) in self.conn.execute("SELECT id FROM reports WHERE keyed = 0 ORDER BY id")]
        if not rids:
            return 0
        with self.transaction() as c:
            rows = []
            for rid in rids:
                for no, sig in c.execute("SELECT no, minhash FROM sentences WHERE report_id = ?", (rid,)):
                    rows += [(k, rid, no) for k in shingles.band_keys(np.frombuffer(sig, dtype=np.uint32))]
            c.executemany(_SQL_BANDS, sorted(rows))  # the earliest sentence holds a key, as it did
            c.execute("UPDATE reports SET keyed = 1 WHERE keyed = 0")
        return len(rids)

    # -- text reuse -----------------------------------------------------------------------------
    def reset_reuse(self) -> None:
        self._pending, self._pending_reports = {}, []
        with self.transaction() as c:
            c.execute("UPDATE reports SET keyed = 1 WHERE keyed = 0")
            for table in ("sentence_matches", "sentence_bands", "sentences"):
                c.execute(f"DELETE FROM {table}")

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
        """Per report what the rubric scores: characters, indicators, themes (other than `other`),
        classified sections, problems (and how many are specific), measures, sentences and reused
        sentences."""
        # One pass over each table (GROUP BY), not a subquery per report: rescoring is the serial
        # tail of every batch.
        return list(self.query("""
WITH ind AS (SELECT report_id, count(*) AS n FROM indicators GROUP BY report_id),
  th AS (SELECT report_id, count(DISTINCT CASE WHEN theme != 'other' THEN theme END) AS themes,
         count(theme) AS classified FROM sections GROUP BY report_id),
  pr AS (SELECT p.report_id, count(*) AS n, sum(p.text GLOB '*[0-9]*' OR EXISTS (SELECT 1 FROM indicators i
           WHERE i.report_id = p.report_id AND i.start >= p.start AND i."end" <= p."end")) AS specific
         FROM problems p GROUP BY p.report_id),
  me AS (SELECT report_id, count(*) AS n FROM measures GROUP BY report_id),
  se AS (SELECT report_id, count(*) AS n, sum(reused) AS reused FROM sentences GROUP BY report_id)
SELECT r.id AS report_id, r.chars, coalesce(ind.n, 0) AS indicators, coalesce(th.themes, 0) AS themes,
  coalesce(th.classified, 0) AS classified, coalesce(pr.n, 0) AS problems, coalesce(pr.specific, 0) AS specific,
  coalesce(me.n, 0) AS measures, coalesce(se.n, 0) AS sentences, coalesce(se.reused, 0) AS reused
FROM reports r LEFT JOIN ind ON ind.report_id = r.id LEFT JOIN th ON th.report_id = r.id
  LEFT JOIN pr ON pr.report_id = r.id LEFT JOIN me ON me.report_id = r.id LEFT JOIN se ON se.report_id = r.id
ORDER BY r.id"""))

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
  coalesce(i.canonical, i.name) AS indicator, i.canonical IS NOT NULL AS is_canonical, i.name, i.value,
  i.unit, i.qualifier, i.kind, i.start
FROM indicators i JOIN reports r ON r.id = i.report_id WHERE {' AND '.join(where)}
ORDER BY r.place_key, r.year, r.id, i.start""", args))

    def indicators_over_years(self, place=None, report_type=None, years=None) -> list[dict]:
        """Each indicator key (canonical, else name) with the number of places that report it in
        two years or more."""
        where, args = _report_filter(["r.year IS NOT NULL", "r.place_key IS NOT NULL"], [], place, report_type, years)
        return list(self.query(f"""
SELECT indicator, is_canonical, count(*) AS places FROM (
  SELECT coalesce(i.canonical, i.name) AS indicator, i.canonical IS NOT NULL AS is_canonical, r.place_key
  FROM indicators i JOIN reports r ON r.id = i.report_id WHERE {' AND '.join(where)}
  GROUP BY 1, 2, r.place_key HAVING count(DISTINCT r.year) >= 2)
GROUP BY indicator, is_canonical""", args))

    def unplaced(self, report_type=None, years=None) -> int:
        """The reports (of `report_type`, and in `years` where they have one) that compare leaves
        out for want of a year or a place key."""
        where, args = _report_filter(["(r.year IS NULL OR r.place_key IS NULL)"], [], None, report_type, None)
        if years:
            where.append("(r.year IS NULL OR r.year BETWEEN ? AND ?)")
            args += list(years)
        return self.conn.execute(f"SELECT count(*) FROM reports r WHERE {' AND '.join(where)}", args).fetchone()[0]

    def canonical_of_names(self, names) -> dict[str, list[str]]:
        """{name: [canonical keys]} for those `names` whose indicators carry a canonical key."""
        names = list(names)
        if not names:
            return {}
        out: dict = {}
        for name, key in self.conn.execute(
                f"SELECT DISTINCT name, canonical FROM indicators WHERE name IN ({', '.join('?' * len(names))})"
                " AND canonical IS NOT NULL ORDER BY name, canonical", names):
            out.setdefault(name, []).append(key)
        return out

    def theme_chars(self, place=None, report_type=None, years=None) -> list[dict]:
        """Per report and theme, the characters of classified sections' own text (each character
        in its innermost section): in all sections, and in the work sections (role other than
        problems and next_steps)."""
        where, args = _report_filter(["s.theme IS NOT NULL"], [], place, report_type, years)
        return list(self.query(f"""
SELECT r.id AS report_id, r.place, r.place_key, r.year, r.report_type, s.theme, sum(s.own_chars) AS chars,
  sum(CASE WHEN s.role IN ('problems', 'next_steps') THEN 0 ELSE s.own_chars END) AS work_chars
FROM sections s JOIN reports r ON r.id = s.report_id WHERE {' AND '.join(where)}
GROUP BY r.id, s.theme ORDER BY r.place_key, r.year, r.id, s.theme""", args))

    # -- export ---------------------------------------------------------------------------------
    def export_table(self, table: str):
        """(columns as (name, type) with type int, float or text; a cursor of row tuples) of
        `table` for export.

        Rows of the report tables start with REPORT_KEY_COLUMNS, then the manifest's extra columns
        (kept in attrs), so a table stands alone and groups by them. A section's id is called
        `section` in sections as in indicators, problems and measures."""
        if table not in EXPORT_TABLES:
            raise StoreError(f"unknown table {table!r}; expected one of {', '.join(EXPORT_TABLES)}")
        if table == "failures":
            cur = self.conn.execute("SELECT path, error, run_id, failed_at FROM failures ORDER BY path")
            return _typed(cur), cur
        attrs = [k for (k,) in self.conn.execute(
            "SELECT DISTINCT j.key FROM reports r, json_each(r.attrs) j ORDER BY j.key")]
        cols = ["r.id AS report_id", "r.path", "r.place", "r.place_key", "r.place_code", "r.year", "r.report_type"]
        cols += [f"json_extract(r.attrs, '$.' || json_quote(?)) AS {name}" for name in _idents(attrs)]
        args = list(attrs)
        if table == "reports":
            body = ["r.sha256", "r.format", "r.encoding", "r.chars", "r.title", "r.province", "r.city",
                    "r.county", "r.town", "r.village", "r.unit", "r.place_level", "r.run_id", "r.added_at"]
            sql = f"SELECT {', '.join(cols + body)} FROM reports r ORDER BY r.id"
        elif table == "scores":
            criteria = [c for (c,) in self.conn.execute("SELECT DISTINCT criterion FROM scores ORDER BY criterion")
                        if c != "total"]
            body = []
            names = _idents(criteria)
            floats = {n.strip('"') for n in names}
            for c, name in zip(criteria, names):
                body += [f"max(CASE WHEN s.criterion = ? THEN s.value END) AS {name}",
                         f"max(CASE WHEN s.criterion = ? THEN s.score END) AS {name[:-1]}_score\""]
                args += [c, c]
            body += ["max(CASE WHEN s.criterion = 'total' THEN s.score END) AS total", "max(s.rubric) AS rubric"]
            sql = (f"SELECT {', '.join(cols + body)} FROM scores s JOIN reports r ON r.id = s.report_id"
                   " GROUP BY r.id ORDER BY r.id")
            cur = self.conn.execute(sql, args)
            return _typed(cur, floats), cur
        else:
            body = ["t.id AS section" if c == "id" else f"t.{_quote(c)}" for c in _EXPORT_BODY[table]]
            order = "t.id" if table == "sections" else "t.no"
            sql = (f"SELECT {', '.join(cols + body)} FROM {table} t JOIN reports r ON r.id = t.report_id"
                   f" ORDER BY r.id, {order}")
        cur = self.conn.execute(sql, args)
        return _typed(cur), cur


_EXPORT_BODY = {
    "sections": SECTION_COLUMNS + ["own_chars"],
    "indicators": ["no"] + INDICATOR_COLUMNS,
    "problems": ["no"] + ITEM_COLUMNS,
    "measures": ["no"] + ITEM_COLUMNS,
}
# Column types of exports: SQLite types each value, a parquet or Stata column needs one type.
_INT = {"report_id", "year", "chars", "run_id", "section", "parent", "level", "start", "end", "body_start",
        "own_chars", "no"}
_FLOAT = {"value", "value_max", "theme_confidence", "total"}
_RESERVED = {"id", "sha256", "format", "encoding", "chars", "title", "province", "city", "county", "town",
             "village", "unit", "place_level", "run_id", "added_at", "total", "rubric", "section", "text", "start",
             "end", "no", *REPORT_KEY_COLUMNS}


def _typed(cur, floats=()) -> list[tuple[str, str]]:
    return [(n, "int" if n in _INT else "float" if n in _FLOAT or n in floats or n.endswith("_score") else "text")
            for n in (d[0] for d in cur.description)]


def _idents(names) -> list[str]:
    """Quoted column names for user-given names (manifest columns, rubric criteria) that Stata, R
    and SQL take as they are: word characters only, starting with a letter, at most 26 characters
    (Stata allows 32; `_score` is added to criteria), unique, and never one of our own columns."""
    out, seen = [], set()
    for name in names:
        clean = re.sub(r"\W+", "_", str(name)).strip("_") or "x"
        if not clean[0].isalpha():
            clean = "x_" + clean
        if clean.lower() in _RESERVED:
            clean = "attr_" + clean
        clean, n = clean[:26], 2
        base = clean
        while clean.lower() in seen:
            clean, n = f"{base[:23]}_{n}", n + 1
        seen.add(clean.lower())
        out.append(f'"{clean}"')
    return out


def _check_table(table: str) -> None:
    if table not in TABLES + ("sentences", "sentence_bands", "sentence_matches", "failures", "runs", "migrations",
                              "state"):
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


def _chunks(items: list, n: int = 900):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _delete_report(c, rid: int) -> None:
    """Delete a report: its rows go by cascade, its sentences through _drop_sentences."""
    _drop_sentences(c, rid)
    c.execute("DELETE FROM reports WHERE id = ?", (rid,))


def _drop_sentences(c, rid: int) -> None:
    """Remove a report's sentences, the band keys they hold and their matches, then match again the
    sentences of other reports that had matched them: they may now match each other or hold the
    freed keys. So reuse marks stay what a fresh store would say when a report is replaced."""
    affected = c.execute("SELECT report_id, no FROM sentence_matches WHERE other_report_id = ? UNION "
                         "SELECT other_report_id, other_no FROM sentence_matches WHERE report_id = ?",
                         (rid, rid)).fetchall()
    c.execute("DELETE FROM sentence_matches WHERE report_id = ?", (rid,))
    c.execute("DELETE FROM sentence_matches WHERE other_report_id = ?", (rid,))
    # sentence_bands has no index on report_id (it would slow every insert): the report's keys are
    # found again from its signatures.
    keys = [k for (sig,) in c.execute("SELECT minhash FROM sentences WHERE report_id = ?", (rid,))
            for k in shingles.band_keys(np.frombuffer(sig, dtype=np.uint32))]
    for chunk in _chunks(keys):
        c.execute(f"DELETE FROM sentence_bands WHERE report_id = ? AND key IN ({', '.join('?' * len(chunk))})",
                  [rid, *chunk])
    c.execute("DELETE FROM sentences WHERE report_id = ?", (rid,))
    by_report: dict = {}
    for orid, no in sorted(affected):
        by_report.setdefault(orid, []).append(no)
    for orid, nos in by_report.items():
        marks = ", ".join("?" * len(nos))
        items = [(no, sig, shingles.band_keys(np.frombuffer(sig, dtype=np.uint32))) for no, sig in c.execute(
            f"SELECT no, minhash FROM sentences WHERE report_id = ? AND no IN ({marks})", [orid, *nos])]
        _record_matches(c, _link(c, orid, items)[0])
    matched = set()
    for chunk in _chunks(list(by_report)):
        marks = ", ".join("?" * len(chunk))
        matched.update(c.execute(f"SELECT report_id, no FROM sentence_matches WHERE report_id IN ({marks}) UNION "
                                 f"SELECT other_report_id, other_no FROM sentence_matches WHERE other_report_id IN ({marks})",
                                 chunk * 2))
    c.executemany("UPDATE sentences SET reused = ? WHERE report_id = ? AND no = ?",
                  [(int((orid, no) in matched), orid, no) for orid, nos in by_report.items() for no in nos])


def _link(c, rid: int, items, pending=None) -> tuple[list, list]:
    """Match the sentences `items` (no, signature bytes, band keys) of report `rid` with the
    sentences of other reports that hold their band keys (in the table or `pending`), and let
    them hold the keys nobody holds. Returns the matches as (rid, no, other_rid, other_no,
    other_reused) and the keys taken as (key, rid, no): inserted now without `pending`, else left
    to the caller (see Store.add_report).

    Each band key is held by the first sentence that had it, so a sentence is compared with at most
    BANDS others, and sentence_bands grows with distinct text, not with copies."""
    found: dict = {}
    for chunk in _chunks([k for _no, _sig, ks in items for k in ks]):
        for row in c.execute(
                "SELECT b.key, b.report_id, b.no, s.minhash, s.reused FROM sentence_bands b JOIN sentences s"
                f" ON s.report_id = b.report_id AND s.no = b.no WHERE b.key IN ({', '.join('?' * len(chunk))})",
                chunk):
            found[row[0]] = row[1:]
    matches, new_keys = [], []
    for no, sig, ks in items:
        holders = {}
        for k in ks:
            h = found.get(k)
            if h is None and pending:
                h = pending.get(k)
                h = h and (*h, 0)  # not known to be reused: flagged again, which is harmless
            if h is None:
                new_keys.append((k, rid, no))
            elif h[0] != rid:  # reuse is text found in OTHER reports
                holders[h[:2]] = h
        for orid, ono, osig, oreused in holders.values():
            if osig == sig or shingles.similarity(sig, osig) >= shingles.THRESHOLD:
                matches.append((rid, no, orid, ono, oreused))
    if pending is None:
        c.executemany(_SQL_BANDS, new_keys)
    return matches, new_keys


def _record_matches(c, matches) -> None:
    c.executemany(_SQL_MATCHES, [m[:4] for m in matches])
    flag = sorted({(orid, ono) for _r, _n, orid, ono, oreused in matches if not oreused})
    c.executemany("UPDATE sentences SET reused = 1 WHERE report_id = ? AND no = ?", flag)


def _add_sentences(c, rid: int, sentences, pending=None) -> list:
    """Store a new report's sentences, (no, start, end, signature, band keys) each, marking
    near-verbatim repeats in it and in the reports it repeats, incrementally. Returns the band
    keys its sentences take that are left pending (see _link)."""
    matches, new_keys = _link(c, rid, [(no, sig, ks) for no, _start, _end, sig, ks in sentences], pending)
    reused = {m[1] for m in matches}
    c.executemany(_SQL_SENTENCES, [(rid, no, start, end, int(no in reused), sig)
                                   for no, start, end, sig, _ks in sentences])
    _record_matches(c, matches)
    return new_keys if pending is not None else []
