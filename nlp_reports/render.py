"""Reports → text for people (aligned tables) and for tools (JSON, JSONL, CSV rows)."""
from __future__ import annotations

import csv
import io
import json
import unicodedata

from .results import Report

CSV_FIELDS = ["path", "place", "year", "report_type", "name", "canonical", "value", "value_max", "unit",
              "qualifier", "scope", "kind", "direction", "text", "start", "end", "section", "sentence"]


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def pad(s: str, n: int) -> str:
    return s + " " * max(0, n - width(s))


def table(headers: list[str], rows: list[list[str]], max_width: int = 28) -> str:
    rows = [[_clip(str(c), max_width) for c in row] for row in rows]
    widths = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(pad(h, w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(pad(c, w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _clip(s: str, n: int) -> str:
    if width(s) <= n:
        return s
    out = ""
    for ch in s:
        if width(out + ch) > n - 1:
            return out + "…"
        out += ch
    return out


def number(v) -> str:
    if v is None:
        return ""
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")


def as_text(report: Report) -> str:
    """The readable terminal view of one report."""
    m, src = report.meta, report.source
    out = [f"{src.get('path', '')}  ({src.get('format', '')}, {src.get('encoding', '')}, {src.get('chars', 0)} chars)",
           f"title:       {m.title or '-'}",
           f"place:       {m.place or '-'} ({m.place_level or '-'})",
           f"year:        {m.year if m.year is not None else '-'}",
           f"report type: {m.report_type or '-'}", ""]
    out.append(f"Sections ({len(report.sections)})")
    out.append(table(["#", "level", "role", "theme", "heading"],
                     [[s.id, s.level, s.role, s.theme or "-", "  " * (s.level - 1) + s.heading] for s in report.sections],
                     max_width=40))
    out += ["", f"Indicators ({len(report.indicators)})"]
    out.append(table(["name", "value", "max", "unit", "qualifier", "scope", "kind", "section"],
                     [[i.name or "?", number(i.value), number(i.value_max), i.unit or "", i.qualifier,
                       i.scope or "", i.kind, "" if i.section is None else i.section] for i in report.indicators]))
    for label, items in (("Problems", report.problems), ("Measures", report.measures)):
        out += ["", f"{label} ({len(items)})"]
        out += [f"{n}. {item.text}" for n, item in enumerate(items, 1)]
    return "\n".join(out)


def as_json(report: Report, with_text: bool = True) -> str:
    return json.dumps(report.to_dict(with_text), ensure_ascii=False, indent=2)


def as_jsonl(report: Report, with_text: bool = True) -> str:
    return json.dumps(report.to_dict(with_text), ensure_ascii=False)


def csv_rows(report: Report) -> list[dict]:
    """One row per indicator, standing alone (the report's path, place and year on each)."""
    base = {"path": report.source.get("path"), "place": report.meta.place, "year": report.meta.year,
            "report_type": report.meta.report_type}
    rows = []
    for ind in report.to_dict(with_text=False)["indicators"]:
        rows.append({**base, **{k: ind.get(k) for k in CSV_FIELDS if k not in base}})
    return rows


def csv_text(rows: list[dict], fields: list[str], header: bool = True) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
