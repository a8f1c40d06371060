"""Frozen result types and their JSON form (schema v1: fields may be added, never renamed or dropped)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Meta:
    title: str | None = None
    place: str | None = None
    place_level: str | None = None
    year: int | None = None
    report_type: str | None = None


@dataclass(frozen=True)
class Section:
    id: int
    parent: int | None
    level: int
    number: str | None
    heading: str
    role: str
    start: int            # start of the heading
    end: int              # end of the section's text, sub-sections included
    body_start: int       # where the text after the heading begins
    theme: str | None = None
    theme_confidence: float | None = None
    theme_second: str | None = None


@dataclass(frozen=True)
class Indicator:
    name: str
    value: float
    unit: str | None
    qualifier: str
    kind: str
    text: str
    start: int
    end: int
    sentence: str
    section: int | None
    value_max: float | None = None
    scope: str | None = None
    scope_text: str | None = None
    direction: str | None = None
    canonical: str | None = None
    rule: str = ""


@dataclass(frozen=True)
class Item:
    """An admitted problem or a next-step measure."""

    text: str
    start: int
    end: int
    section: int | None


@dataclass(frozen=True)
class Report:
    source: dict
    meta: Meta
    text: str
    sections: tuple[Section, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    problems: tuple[Item, ...] = ()
    measures: tuple[Item, ...] = ()
    schema_version: int = SCHEMA_VERSION
    extra: dict = field(default_factory=dict)

    def to_dict(self, with_text: bool = True) -> dict:
        out = {
            "schema_version": self.schema_version,
            "source": dict(self.source),
            "meta": asdict(self.meta),
            "sections": [asdict(s) for s in self.sections],
            "indicators": [_clean_numbers(asdict(i)) for i in self.indicators],
            "problems": [asdict(p) for p in self.problems],
            "measures": [asdict(m) for m in self.measures],
        }
        out.update(self.extra)
        if with_text:
            out["text"] = self.text
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        def build(kind, rows):
            names = {f.name for f in fields(kind)}
            return tuple(kind(**{k: v for k, v in row.items() if k in names}) for row in rows)

        meta_names = {f.name for f in fields(Meta)}
        return cls(
            source=data["source"],
            meta=Meta(**{k: v for k, v in data["meta"].items() if k in meta_names}),
            text=data.get("text", ""),
            sections=build(Section, data.get("sections", [])),
            indicators=build(Indicator, data.get("indicators", [])),
            problems=build(Item, data.get("problems", [])),
            measures=build(Item, data.get("measures", [])),
        )


def _clean_numbers(row: dict) -> dict:
    """Whole numbers as int in JSON (100000, not 100000.0)."""
    for key in ("value", "value_max"):
        v = row.get(key)
        if isinstance(v, float) and v.is_integer():
            row[key] = int(v)
    return row
