"""The core pipeline on plain text: normalise → segment → extract (→ classify when a model is given).
No spaCy here: the spaCy components in `pipeline.py` call these same functions."""
from __future__ import annotations

from .loading import Source, load_file
from .meta import read_meta
from .normalise import normalise
from .results import Report
from .structure import parse_sections, section_finder, sentences, title_span
from .extract.canonical import assign_canonical
from .extract.indicators import extract_indicators
from .extract.items import extract_items


def analyse_text(raw: str, source: dict | None = None, place: str | None = None, year: int | None = None,
                 classifier=None) -> Report:
    """Analyse the text of one report. `place`/`year` override what the text says; `classifier`
    (a loaded theme model) fills each section's theme."""
    text = normalise(raw)
    title = title_span(text)
    sections = parse_sections(text)
    if classifier is not None:
        sections = classifier.classify_sections(text, sections)
    sent = sentences(text)
    meta = read_meta(text, text[title[0]:title[1]] if title else None, place, year)
    measures = tuple(extract_items(text, sections, "next_steps"))
    indicators = extract_indicators(text, sent, section_finder(sections), sections, meta.year, measures)
    report = Report(
        source={**(source or {}), "chars": len(text)},
        meta=meta,
        text=text,
        sections=tuple(sections),
        indicators=tuple(assign_canonical(indicators, text)),
        problems=tuple(extract_items(text, sections, "problems")),
        measures=measures,
    )
    return report


def source_info(src: Source) -> dict:
    return {"path": src.path, "sha256": src.sha256, "encoding": src.encoding, "format": src.format}


def analyse_file(path, place: str | None = None, year: int | None = None, classifier=None) -> Report:
    """Load and analyse one file; raises InputError (one-line message) if it cannot be read."""
    src = load_file(path)
    return analyse_text(src.text, source_info(src), place, year, classifier)
