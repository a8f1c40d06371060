"""A store table → a file researchers open: .csv (UTF-8 with BOM, for Excel), .xlsx, .parquet, .jsonl.

Every row of a report table starts with the report's id, path, place, place key and code, year and
report type, then the manifest's extra columns, so a table stands alone; indicator rows keep
their evidence sentence and offsets. Columns have one type each (int, float or text: year is an
integer everywhere, a missing value is empty / null, never 0). Rows are streamed, so memory does
not grow with the table, and the file is written atomically.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os

from .atomic import write_atomic
from .errors import InputError, StoreError

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".jsonl": "jsonl"}
_BATCH = 5000  # rows per parquet row group and per write


def format_of(path) -> str:
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in FORMATS:
        raise InputError(f"cannot tell the format from {ext or 'no extension'!r}; "
                         f"expected one of {', '.join(FORMATS)}", os.fspath(path))
    return FORMATS[ext]


def export(store, table: str, out) -> int:
    """Write `table` to `out` in the format its extension names; returns the number of rows."""
    fmt = format_of(out)
    writer = {"csv": _csv, "xlsx": _xlsx, "parquet": _parquet, "jsonl": _jsonl}[fmt]
    columns, rows = store.export_table(table)
    count = [0]

    def counted():
        for row in rows:
            count[0] += 1
            yield row

    write_atomic(out, lambda fh: writer(fh, columns, counted(), table))
    return count[0]


def _csv(fh, columns, rows, _table):
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow([name for name, _t in columns])
    for row in rows:
        w.writerow(["" if v is None else _plain(v) for v in row])
    text.flush()
    text.detach()


def _jsonl(fh, columns, rows, _table):
    names = [name for name, _t in columns]
    for row in rows:
        fh.write((json.dumps(dict(zip(names, map(_plain, row))), ensure_ascii=False) + "\n").encode("utf-8"))


def _plain(v):
    """Whole numbers without `.0` (11, not 11.0): SQLite gives REAL columns back as floats."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _xlsx(fh, columns, rows, table):
    try:
        from openpyxl import Workbook
    except ImportError:
        raise StoreError("writing .xlsx needs openpyxl: pip install 'nlp-reports[store]'") from None
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(table)
    try:
        ws.append([name for name, _t in columns])
        for row in rows:
            ws.append([_cell(v) for v in row])
        wb.save(fh)
    except OSError:
        # A full disk: close openpyxl's half-written sheet now, or it prints a traceback when collected.
        with contextlib.suppress(Exception):
            ws._writer.xf.close()
        raise


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
    types = {"int": pa.int64(), "float": pa.float64(), "text": pa.string()}
    cast = {"int": int, "float": float, "text": str}
    schema = pa.schema([(name, types[t]) for name, t in columns])
    casts = [cast[t] for _name, t in columns]
    with pq.ParquetWriter(fh, schema) as writer:
        while chunk := [row for _i, row in zip(range(_BATCH), rows)]:
            arrays = [pa.array([None if v is None else f(v) for v in col], type=field.type)
                      for col, f, field in zip(zip(*chunk), casts, schema)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
