"""Per-report scores from a rubric (nlp_reports/data/rubric.yaml, or a file of the same form).

Scores are computed from what the store holds, so `nlp-reports score` recomputes them after a
rubric change without re-extracting anything. Text reuse comes from the store's sentences, marked
incrementally as reports arrive (see store._add_sentences and shingles.py).
"""
from __future__ import annotations

import math
import os

from .errors import DataError

MEASURES = ("indicator_density", "theme_coverage", "problems", "problem_specificity", "measures", "text_reuse")


def load_rubric(path=None) -> dict:
    """The rubric as {name, criteria: {key: {measure, weight, low, high}}}; DataError names every bad field."""
    if path is None:
        from .resources import load

        data, where = load("rubric.yaml"), "rubric.yaml"
    else:
        import yaml

        where = os.fspath(path)
        try:
            with open(where, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except OSError as exc:
            raise DataError(f"cannot read the rubric ({exc.strerror})", where) from None
        except yaml.YAMLError as exc:
            raise DataError(f"the rubric is not valid YAML: {exc}", where) from None
    errors = []
    criteria = (data or {}).get("criteria") if isinstance(data, dict) else None
    if not isinstance(criteria, dict) or not criteria:
        raise DataError("the rubric has no `criteria` mapping", where)
    for key, c in criteria.items():
        if not isinstance(c, dict):
            errors.append(f"{key}: expected a mapping")
            continue
        if c.get("measure") not in MEASURES:
            errors.append(f"{key}.measure is {c.get('measure')!r}, expected one of {', '.join(MEASURES)}")
        for field in ("weight", "low", "high"):
            if not isinstance(c.get(field), (int, float)) or isinstance(c.get(field), bool):
                errors.append(f"{key}.{field} is {c.get(field)!r}, expected a number")
        if c.get("low") == c.get("high"):
            errors.append(f"{key}: low and high are equal")
    if errors:
        raise DataError("bad rubric: " + "; ".join(errors), where)
    return {"name": str(data.get("name") or os.path.basename(where)), "criteria": criteria}


def measure_values(m: dict) -> dict:
    """The rubric's measures for one report's stored counts (see Store.report_measures).

    >>> v = measure_values({"chars": 2000, "indicators": 10, "themes": 0, "classified": 0, "problems": 4,
    ...                     "specific": 1, "measures": 3, "sentences": 40, "reused": 10})
    >>> v["indicator_density"], v["theme_coverage"], v["problem_specificity"], v["text_reuse"]
    (5.0, None, 0.25, 0.25)
    """
    chars = m.get("chars") or 0
    return {
        "indicator_density": 1000.0 * m["indicators"] / chars if chars else None,
        "theme_coverage": m["themes"] if m["classified"] else None,  # unknown until sections carry themes
        "problems": m["problems"],
        "problem_specificity": m["specific"] / m["problems"] if m["problems"] else None,
        "measures": m["measures"],
        "text_reuse": m["reused"] / m["sentences"] if m["sentences"] else None,
    }


def scale(value: float, low: float, high: float) -> float:
    """Linear from low (0) to high (1), clipped.

    >>> scale(3, 0, 12), scale(0.3, 0.6, 0), scale(20, 0, 12)
    (0.25, 0.5, 1.0)
    """
    s = (value - low) / (high - low)
    return min(1.0, max(0.0, s))


def score_report(m: dict, rubric: dict) -> list[tuple]:
    """(criterion, value, score, weight) for each criterion, then ('total', None, 0–100, None)."""
    values = measure_values(m)
    rows, num, den = [], 0.0, 0.0
    for key, c in rubric["criteria"].items():
        value = values[c["measure"]]
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            rows.append((key, None, None, c["weight"]))
            continue
        s = scale(value, c["low"], c["high"])
        rows.append((key, round(value, 4), round(s, 4), c["weight"]))
        num, den = num + c["weight"] * s, den + c["weight"]
    rows.append(("total", None, round(100 * num / den, 2) if den else None, None))
    return rows


def rescore(store, rubric: dict | None = None) -> int:
    """Recompute every report's scores; returns the number of reports scored."""
    rubric = rubric or load_rubric()
    rows = []
    measures = store.report_measures()
    for m in measures:
        rows += [(m["report_id"], *r, rubric["name"]) for r in score_report(m, rubric)]
    store.write_scores(rows)
    return len(measures)


def recompute_reuse(store) -> int:
    """Mark text reuse from scratch, replaying the reports in the order they were stored (after a
    change of the shingling settings, or once for a store made before schema 2); returns the
    number of reports."""
    from .structure import sentences

    from .shingles import sentence_records

    store.reset_reuse()
    n = 0
    for rid, text in list(store.report_texts()):
        store.add_sentences(rid, sentence_records(text or "", sentences(text or "")))
        n += 1
    store.set_state("reuse_rebuild", None)
    return n
