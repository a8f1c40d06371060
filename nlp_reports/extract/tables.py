"""Indicators in tables flattened to text, one row a line between pipes (|领域|检查单位（家次）|…|).

A cell holding a bare number is a figure of its row and column: the unit is written in the column
header (检查单位（家次）, 调整后预算(万元)) or the row label (新增市场主体（户）) or the cell itself (92.4%);
the name is the row label, followed by the column label when that column names the measure
(道路交通 + 检查单位). A 合计 row gives the column's total (scope cumulative); a 目标 column a target.
"""
from __future__ import annotations

import re

from .numbers import ARABIC, MULTIPLIERS, scale

_ROW = re.compile(r"^\|[^\n]*\|$", re.M)
_SEPARATOR = re.compile(r"^[-:|\s]*$")
_UNIT_IN_LABEL = re.compile(r"[（(](?P<unit>[^（）()]{1,6})[）)]$")
_COUNT_HEADER = re.compile(r"(?P<unit>[次人户件个家起条项])数$")  # 巡河次数 → 次
_CELL = re.compile(rf"(?P<num>{ARABIC})(?:(?:-|~|至)(?P<num2>{ARABIC}))?(?P<pct>%)?")
_TOTAL = re.compile(r"^(?:合计|总计|小计|累计|共计)$")
_TARGET = re.compile(r"目标|计划|预期")
_MEASURE_LABEL = re.compile(r"(?:率|度|比例|占比|比重)$")


def table_indicators(text: str, units: dict) -> tuple[list[dict], list[tuple[int, int]]]:
    """(indicators, spans of the cells read) for every pipe table in `text`; `units` maps a written
    unit to (unit, kind, arabic_only) as in the indicator lexicon."""
    found, spans = [], []
    header = None
    previous_end = -2
    for row in _ROW.finditer(text):
        cells = _cells(row)
        if row.start() != previous_end + 1:
            header = None  # a new table starts: its first row is the header
        previous_end = row.end()
        if all(_SEPARATOR.fullmatch(c) for _, c in cells):
            continue
        if header is None:
            header = [c for _, c in cells]
            continue
        if len(cells) < 2:
            continue
        label_start, label = cells[0]
        row_unit = _unit_of(label, units)
        row_name = _UNIT_IN_LABEL.sub("", label)
        total = bool(_TOTAL.match(row_name))
        for j, (start, cell) in enumerate(cells[1:], 1):
            m = _CELL.fullmatch(cell)
            column = header[j] if j < len(header) else ""
            if not m or not row_name:
                continue
            col_unit = _unit_of(column, units)
            unit_spec = ("%", 1, "rate") if m.group("pct") else col_unit or row_unit
            if not unit_spec:
                continue
            unit, factor, kind = unit_spec
            col_name = _UNIT_IN_LABEL.sub("", column)
            # The column names the measure unless the row label does (its own unit, or a rate).
            measure_in_row = row_unit is not None or bool(_MEASURE_LABEL.search(row_name))
            name = col_name if total else row_name if measure_in_row or _TARGET.search(col_name) \
                else row_name + col_name
            value = scale(m.group("num"), None) * factor
            value_max = scale(m.group("num2"), None) * factor if m.group("num2") else None
            scope = "cumulative" if total else "target" if _TARGET.search(col_name) else None
            found.append(dict(name=name, value=round(value, 6), value_max=value_max and round(value_max, 6),
                              unit=unit, qualifier="exact", kind=kind, start=label_start,
                              end=start + len(cell), scope=scope, scope_text=None, direction=None,
                              num_start=start, rule="table"))
            spans.append((start, start + len(cell)))
    return found, spans


def _cells(row: re.Match) -> list[tuple[int, str]]:
    """(offset, text) of each cell between the pipes of a row."""
    out, pos = [], row.start() + 1
    for cell in row.group(0)[1:-1].split("|"):
        out.append((pos, cell))
        pos += len(cell) + 1
    return out


def _unit_of(label: str, units: dict) -> tuple[str, float, str] | None:
    """(unit, multiplier, kind) written in a label: 调整后预算(万元) → (元, 10000, money)."""
    m = _UNIT_IN_LABEL.search(label)
    written = m.group("unit") if m else None
    if written is None:
        c = _COUNT_HEADER.search(label)
        written = c.group("unit") if c else None
    if not written:
        return None
    factor = 1
    for mult in sorted(MULTIPLIERS, key=len, reverse=True):
        if written.startswith(mult) and written[len(mult):] in units:
            factor, written = MULTIPLIERS[mult], written[len(mult):]
            break
    if written == "%":
        return "%", 1, "rate"
    if written not in units:
        return None
    unit, kind, _ = units[written]
    return unit, factor, kind
