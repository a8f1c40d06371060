"""A store table → a file researchers open: .csv (UTF-8 with BOM, for Excel), .xlsx, .parquet, .jsonl.

Every row starts with the report's id, path, place, year and report type, so a table stands alone;
indicator rows keep their evidence sentence and offsets. Files are written atomically.
"""
from __future__ import annotations

import csv
import io
import json
import os

from .atomic import write_atomic
from .errors import InputError, StoreError

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".jsonl": "jsonl"}


def format_of(path) -> str:
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in FORMATS:
        raise InputError(f"cannot tell the format from {ext or 'no extension'!r}; "
                         f"expected one of {', '.join(FORMATS)}", os.fspath(path))
    return FORMATS[ext]


def export(store, table: str, out) -> int:
    """Write `table` to `out` in the format its extension names; returns the number of rows."""
    fmt = format_of(out)
    rows = list(store.export_rows(table))
    columns = list(rows[0]) if rows else _empty_columns(store, table)
    writer = {"csv": _csv, "xlsx": _xlsx, "parquet": _parquet, "jsonl": _jsonl}[fmt]
    write_atomic(out, lambda fh: writer(fh, columns, rows, table))
    return len(rows)


def _empty_columns(store, table):
    cur = store.conn.execute(f"SELECT * FROM {table} LIMIT 0") if table != "scores" else None
    names = [d[0] for d in cur.description] if cur else []
    from .store import REPORT_KEY_COLUMNS

    return REPORT_KEY_COLUMNS + [n for n in names if n not in REPORT_KEY_COLUMNS and n != "id"]


def _csv(fh, columns, rows, _table):
    text = io.StringIO(newline="")
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    fh.write(text.getvalue().encode("utf-8-sig"))


def _jsonl(fh, columns, rows, _table):
    for r in rows:
        fh.write((json.dumps({c: r.get(c) for c in columns}, ensure_ascii=False) + "\n").encode("utf-8"))


def _xlsx(fh, columns, rows, table):
    try:
        from openpyxl import Workbook
    except ImportError:
        raise StoreError("writing .xlsx needs openpyxl: pip install 'nlp-reports[store]'") from None
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table)
    ws.append(columns)
    for r in rows:
        ws.append([_cell(r.get(c)) for c in columns])
    wb.save(fh)


def _cell(v):
    # Excel rejects control characters in cells; reports scraped from the web have them.
    if isinstance(v, str):
        return "".join(ch for ch in v if ch >= " " or ch in "\t\n\r")[:32767]
    return v


def _parquet(fh, columns, rows, _table):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise StoreError("writing .parquet needs pyarrow: pip install 'nlp-reports[store]'") from None
    data = {c: [r.get(c) for r in rows] for c in columns}
    pq.write_table(pa.table(data), fh)
