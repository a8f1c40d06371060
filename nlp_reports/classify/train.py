"""Training theme models with scikit-learn (imported here only): compare configurations by
cross-validation grouped by place, fit the best, export it as a numpy-only ThemeModel.

Training data are rows {text, label, group}: `text` has the heading on its first line.
"""
from __future__ import annotations

import csv
import datetime
import json
import pathlib
from collections import Counter

from ..errors import InputError
from .features import DEFAULT_FEATURES, check_settings, own_text, section_context, terms
from .model import OTHER, ThemeModel

# The configurations compared by grouped cross-validation (the first is the fallback).
WORDS = {"words": True, "heading_words": True, "chars": [1, 2], "heading_chars": [1, 3], "context": True}
CONFIGS = [
    {"name": "chars1-2 + heading chars1-3 + context chars, C=30, balanced", "features": DEFAULT_FEATURES,
     "C": 30.0, "balanced": True},
    {"name": "jieba words + chars1-2 + heading chars1-3 + context words, C=30, balanced", "features": WORDS,
     "C": 30.0, "balanced": True},
    {"name": "jieba words + heading words + context words, C=30, balanced",
     "features": {**WORDS, "chars": None, "heading_chars": None}, "C": 30.0, "balanced": True},
    {"name": "chars1-3 only (no heading or context terms), C=30, balanced",
     "features": {"words": False, "heading_words": False, "chars": [1, 3]}, "C": 30.0, "balanced": True},
]
MIN_DF = 2
THRESHOLDS = [0.0, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]


# -- data -------------------------------------------------------------------------------------
def read_table(path) -> list[dict]:
    """Rows {text, label, group} from a CSV (header text,label[,group]) or a JSONL file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise InputError("no such file", str(path))
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("training data must be UTF-8", str(path)) from None
    if path.suffix.lower() in (".jsonl", ".json"):
        rows = []
        for n, line in enumerate(raw.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise InputError(f"line {n} is not valid JSON ({exc.msg})", str(path)) from None
    else:
        rows = list(csv.DictReader(raw.splitlines()))
    out = []
    for n, row in enumerate(rows, 1):
        text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
        if not text or not label:
            raise InputError(f"row {n} needs non-empty text and label (columns: text,label[,group])", str(path))
        out.append({"text": text, "label": label, "group": str(row.get("group") or f"row{n}")})
    if len({r["label"] for r in out}) < 2:
        raise InputError("training data need at least two labels", str(path))
    return out


def gold_rows(gold_path, split: str | None = None) -> tuple[list[dict], int]:
    """Training rows from gold annotations: each gold section matched by heading to a parsed
    section (as `evaluate` matches them), its text = heading + own body; group = the place.
    Returns (rows, number of gold sections that matched no parsed section)."""
    from ..analyse import analyse_file
    from ..evaluate import _fold, _match, read_gold

    rows, unmatched = [], 0
    for rec in read_gold(gold_path, split):
        report = analyse_file(pathlib.Path(rec["_base"]) / rec["file"])
        parsed = list(report.sections)

        def same(g, p):
            a, b = _fold(g["heading"]), _fold(p.heading)
            return bool(a) and bool(b) and (a.startswith(b) or b.startswith(a))

        gold = [g for g in rec["sections"] if g.get("theme")]
        pairs = _match(gold, parsed, same)
        unmatched += len(gold) - len(pairs)
        for gi, pi in pairs:
            rows.append({"text": own_text(report.text, parsed, parsed[pi]), "label": gold[gi]["theme"],
                         "context": section_context(report.text, parsed, parsed[pi]),
                         "group": rec["meta"].get("place") or rec["file"], "file": rec["file"],
                         "heading": gold[gi]["heading"], "role": parsed[pi].role})
    return rows, unmatched


# -- fitting ----------------------------------------------------------------------------------
def _term_lists(rows, features, cache):
    key = json.dumps(features, sort_keys=True)
    if key not in cache:
        cache[key] = [terms(r["text"], features, context=r.get("context")) for r in rows]
    return cache[key]


def _fit(term_lists, labels, config):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    min_df = MIN_DF if len(term_lists) >= 20 else 1
    vec = TfidfVectorizer(analyzer=lambda doc: doc, min_df=min_df, sublinear_tf=True, norm="l2")
    X = vec.fit_transform(term_lists)
    clf = LogisticRegression(C=config["C"], max_iter=3000,
                             class_weight="balanced" if config.get("balanced") else None)
    clf.fit(X, labels)
    return vec, clf


def to_model(vec, clf, config, threshold: float, info: dict) -> ThemeModel:
    """The numpy-only model of a fitted vectorizer and logistic regression."""
    import numpy as np

    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    coef, intercept = clf.coef_.astype(np.float64), clf.intercept_.astype(np.float64)
    if len(clf.classes_) == 2:  # binary LR keeps one row: softmax([0, s]) is its sigmoid(s)
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    manifest = {"labels": [str(c) for c in clf.classes_], "features": check_settings(config["features"]),
                "vocabulary": vocab,
                "threshold": threshold, "training": info}
    return ThemeModel(manifest, vec.idf_.astype(np.float64), coef, intercept)


def fit_model(rows, config, threshold: float = 0.0, info: dict | None = None, cache=None) -> ThemeModel:
    """A model fitted to all `rows` ({text, label[, context]}) with one configuration."""
    tl = _term_lists(rows, config["features"], {} if cache is None else cache)
    vec, clf = _fit(tl, [r["label"] for r in rows], config)
    return to_model(vec, clf, config, threshold, info or {})


# -- measuring --------------------------------------------------------------------------------
def scores(gold, pred, labels=None) -> dict:
    """Per-class precision/recall/F1/support and macro-F1 over the gold labels."""
    labels = labels or sorted(set(gold))
    per = {}
    for lab in labels:
        tp = sum(g == p == lab for g, p in zip(gold, pred))
        fp = sum(p == lab != g for g, p in zip(gold, pred))
        fn = sum(g == lab != p for g, p in zip(gold, pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per[lab] = {"precision": prec, "recall": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
                    "support": tp + fn}
    present = [lab for lab in labels if per[lab]["support"]]
    macro = sum(per[lab]["f1"] for lab in present) / len(present) if present else 0.0
    acc = sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0
    return {"macro_f1": macro, "accuracy": acc, "per_class": per}


def _decide(probs, classes, threshold):
    out = []
    for row in probs:
        best = classes[row.argmax()]
        out.append(OTHER if row.max() < threshold and OTHER in classes and best != OTHER else best)
    return out


def cross_validate(rows, config, folds: int = 5, cache=None):
    """Out-of-fold probabilities (n, K) and the class order, folds grouped by each row's group."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    labels, groups = [r["label"] for r in rows], [r["group"] for r in rows]
    tl = _term_lists(rows, config["features"], {} if cache is None else cache)
    classes = sorted(set(labels))
    n_groups = len(set(groups))
    splitter = GroupKFold(n_splits=max(2, min(folds, n_groups)))
    probs = np.zeros((len(rows), len(classes)))
    labels_a = np.array(labels)
    for tr, te in splitter.split(tl, labels, groups):
        if len(set(labels_a[tr])) < 2:
            continue
        vec, clf = _fit([tl[i] for i in tr], labels_a[tr], config)
        p = clf.predict_proba(vec.transform([tl[i] for i in te]))
        for j, c in enumerate(clf.classes_):
            probs[te, classes.index(c)] = p[:, j]
    return probs, classes


def best_threshold(probs, classes, labels) -> float:
    """The confidence threshold (below it: `other`) with the best out-of-fold macro-F1."""
    if OTHER not in classes:
        return 0.0
    return max(THRESHOLDS, key=lambda t: (round(scores(labels, _decide(probs, classes, t))["macro_f1"], 4), -t))


def train(rows, configs=None, folds: int = 5, progress=None) -> tuple[ThemeModel, dict]:
    """Compare `configs` by grouped CV on `rows`, fit the best on all rows. Returns the model and
    a summary {comparison: [...], best, threshold, cv: scores of the best}."""
    configs = configs or CONFIGS
    labels = [r["label"] for r in rows]
    groups = [r["group"] for r in rows]
    cache, comparison = {}, []
    for config in configs:
        probs, classes = cross_validate(rows, config, folds, cache)
        threshold = best_threshold(probs, classes, labels)
        s = scores(labels, _decide(probs, classes, threshold))
        comparison.append({"config": config, "threshold": threshold, "macro_f1": s["macro_f1"],
                           "accuracy": s["accuracy"], "scores": s})
        if progress:
            progress(config, s, threshold)
    best = max(comparison, key=lambda c: c["macro_f1"])
    from .. import __version__

    info = {"date": datetime.date.today().isoformat(), "package_version": __version__, "rows": len(rows),
            "groups": len(set(groups)), "label_counts": dict(Counter(labels)), "config": best["config"]["name"],
            "C": best["config"]["C"], "class_weight": "balanced" if best["config"].get("balanced") else None,
            "cv_macro_f1": round(best["macro_f1"], 4), "min_df": MIN_DF if len(rows) >= 20 else 1}
    model = fit_model(rows, best["config"], best["threshold"], info, cache)
    return model, {"comparison": comparison, "best": best, "threshold": best["threshold"], "folds": folds}


# -- the card ---------------------------------------------------------------------------------
def confusion(gold, pred, labels) -> list[list[int]]:
    index = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        if g in index and p in index:
            m[index[g]][index[p]] += 1
    return m


def per_class_table(s: dict) -> str:
    lines = ["| theme | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
    for lab, v in s["per_class"].items():
        if v["support"] or v["precision"]:
            lines.append(f"| {lab} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f} | {v['support']} |")
    lines.append(f"| **macro** | | | **{s['macro_f1']:.3f}** | {sum(v['support'] for v in s['per_class'].values())} |")
    return "\n".join(lines)


def confusion_table(gold, pred, labels) -> str:
    lines = ["| gold \\ predicted | " + " | ".join(labels) + " |", "| --- |" + " --- |" * len(labels)]
    for lab, row in zip(labels, confusion(gold, pred, labels)):
        lines.append(f"| {lab} | " + " | ".join(str(x) if x else "·" for x in row) + " |")
    return "\n".join(lines)


def comparison_table(summary: dict) -> str:
    lines = ["| configuration | grouped-CV macro-F1 | accuracy | threshold |", "| --- | --- | --- | --- |"]
    for c in summary["comparison"]:
        mark = " **(chosen)**" if c is summary["best"] else ""
        lines.append(f"| {c['config']['name']}{mark} | {c['macro_f1']:.3f} | {c['accuracy']:.3f} | {c['threshold']} |")
    return "\n".join(lines)


def model_card(model: ThemeModel, summary: dict, data_name: str, evaluations=()) -> str:
    """Markdown card: data, date, version, the CV comparison, per-class figures of the best
    configuration and of each (name, gold, pred) evaluation, with confusion matrices."""
    info = model.manifest["training"]
    best = summary["best"]
    out = [f"# Theme model card: {data_name}", "",
           f"- Trained: {info['date']} with nlp-reports {info['package_version']}",
           f"- Data: {info['rows']} sections from {info['groups']} groups; labels: "
           + ", ".join(f"{k} {v}" for k, v in sorted(info["label_counts"].items())),
           f"- Model: tf-idf ({info['config']}; min_df {info['min_df']}, sublinear tf, l2) → multinomial "
           f"logistic regression; softmax probabilities",
           f"- Confidence threshold: {model.threshold} (chosen by out-of-fold macro-F1): a section whose best "
           "probability is lower is tagged `other`, its best guess kept in `theme_second`" if OTHER in model.labels
           else "- No `other` label: every section gets its best label",
           "", f"## Grouped cross-validation ({summary['folds']} folds, grouped by place)", "",
           comparison_table(summary), "", "### Per class, chosen configuration (out-of-fold)", "",
           per_class_table(best["scores"])]
    for name, gold, pred in evaluations:
        labels = sorted(set(gold) | set(pred))
        out += ["", f"## {name}", "", per_class_table(scores(gold, pred, labels)), "", "Confusion matrix:", "",
                confusion_table(gold, pred, labels)]
    return "\n".join(out) + "\n"
