"""Training theme models with scikit-learn (imported here only): compare configurations by
cross-validation grouped by place, fit the best, export it as a numpy-only ThemeModel.

Training rows are {parts, label, group}: `parts` as features.section_parts gives them (gold
sections) or features.text_parts (a text with the heading on its first line). Where the labels
are all codebook themes, each theme's codebook entry (its name, examples and keywords) is added to
every training fold as two more rows: prior knowledge that lets a fold learn a theme none of its
places has (grouped CV showed the gain: models/MODEL_CARD.md).
"""
from __future__ import annotations

import csv
import datetime
import json
import pathlib
from collections import Counter

from ..errors import InputError
from .features import DEFAULT_FEATURES, check_settings, kind_of, section_parts, terms, text_parts
from .model import OTHER, ThemeModel

# The configurations compared by grouped cross-validation (the first is the fallback).
_CHARS = {"chars": [1, 2], "heading_chars": [1, 3], "context": "chars"}
CONFIGS = [
    {"name": "chars 1-2 + heading chars 1-3 + context chars + codebook keywords + codebook rows",
     "features": DEFAULT_FEATURES, "C": 30.0, "balanced": True, "prior": True},
    {"name": "the same without codebook rows", "features": DEFAULT_FEATURES, "C": 30.0, "balanced": True,
     "prior": False},
    {"name": "chars + heading chars + context chars, no keywords, no codebook rows", "features": _CHARS,
     "C": 30.0, "balanced": True, "prior": False},
    {"name": "jieba words + heading words + chars + context words + keywords + codebook rows",
     "features": {**DEFAULT_FEATURES, "words": True, "heading_words": True, "context": "words"},
     "C": 30.0, "balanced": True, "prior": True},
    {"name": "chars 1-3 only (no heading, context or keywords)", "features": {"chars": [1, 3]},
     "C": 30.0, "balanced": True, "prior": False},
]
MIN_DF = 2
CV_TIE = 0.005  # macro-F1 gap under which the earlier configuration is kept (see choose)
THRESHOLDS = [0.0, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]


# -- data -------------------------------------------------------------------------------------
def read_table(path) -> list[dict]:
    """Rows {parts, label, group} from a CSV (header text,label[,group]) or a JSONL file; a
    text's first line is its heading."""
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
        if not isinstance(row, dict):
            raise InputError(f"row {n} is not an object with text and label", str(path))
        text, label = str(row.get("text") or "").strip(), str(row.get("label") or "").strip()
        if not text or not label:
            raise InputError(f"row {n} needs non-empty text and label (columns: text,label[,group])", str(path))
        out.append({"parts": text_parts(text), "label": label, "group": str(row.get("group") or f"row{n}")})
    if len({r["label"] for r in out}) < 2:
        raise InputError("training data need at least two labels", str(path))
    return out


def gold_rows(gold_path, split: str | None = None) -> tuple[list[dict], int]:
    """Training rows from gold annotations: each gold section matched by heading to a parsed
    section (as `evaluate` matches them); group = the place. Returns (rows, number of gold
    sections that matched no parsed section)."""
    from ..analyse import analyse_file
    from ..evaluate import _fold, _match, read_gold

    def same(g, p):
        a, b = _fold(g["heading"]), _fold(p.heading)
        return bool(a) and bool(b) and (a.startswith(b) or b.startswith(a))

    rows, unmatched = [], 0
    for rec in read_gold(gold_path, split):
        report = analyse_file(pathlib.Path(rec["_base"]) / rec["file"])
        parsed = list(report.sections)
        parts = section_parts(report.text, parsed)
        gold = [g for g in rec["sections"] if g.get("theme")]
        pairs = _match(gold, parsed, same)
        unmatched += len(gold) - len(pairs)
        for gi, pi in pairs:
            rows.append({"parts": parts[pi], "label": gold[gi]["theme"], "group": rec["meta"].get("place") or rec["file"],
                         "file": rec["file"], "heading": gold[gi]["heading"], "role": parsed[pi].role})
    return rows, unmatched


def codebook_keywords() -> dict:
    """{theme: [keyword]} from the codebook (nlp_reports/data/codebook.yaml)."""
    from ..resources import load

    return {k: list(v.get("keywords") or []) for k, v in load("codebook.yaml")["themes"].items() if v.get("keywords")}


def codebook_rows(labels) -> list[dict]:
    """Two rows per codebook theme among `labels` (the prior rows added to every training fold):
    its Chinese name as heading over its examples and keywords, and its first example as heading
    over its second. None unless every label is a codebook theme: data with labels of their own
    are not the codebook's."""
    from ..resources import load

    themes = load("codebook.yaml")["themes"]
    labels = set(labels)
    if not labels <= set(themes):
        return []
    out = []
    for label in sorted(labels):
        entry = themes.get(label)
        if entry and entry.get("keywords"):
            first, second = entry["examples"]
            for heading, body in ((entry["label"], f"{first}。{second}。" + "，".join(entry["keywords"])), (first, second)):
                out.append({"parts": {**text_parts(heading), "body": body, "role": "practice"}, "label": label,
                            "group": "codebook"})
    return out


# -- fitting ----------------------------------------------------------------------------------
def _term_lists(rows, features, keywords, cache):
    key = json.dumps(features, sort_keys=True)
    if key not in cache:
        cache[key] = {}
    memo = cache[key]  # by row identity; the row is kept beside its terms, so an id is never reused
    for r in rows:
        if memo.get(id(r), (None,))[0] is not r:
            memo[id(r)] = (r, terms(r["parts"], features, keywords))
    return [memo[id(r)][1] for r in rows]


def vectorize(vec, kinds, term_lists):
    """tf-idf rows of a fitted TfidfVectorizer (norm None), each kind l2-normalised on its own."""
    import numpy as np

    X = vec.transform(term_lists).tocsr()
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    block = rows * (int(kinds.max()) + 1) + kinds[X.indices]
    norms = np.bincount(block, weights=X.data ** 2)
    X.data = X.data / np.sqrt(norms[block])
    return X


def _fit(term_lists, labels, config):
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    min_df = MIN_DF if len(term_lists) >= 20 else 1
    vec = TfidfVectorizer(analyzer=lambda doc: doc, min_df=min_df, sublinear_tf=True, norm=None, lowercase=False)
    vec.fit(term_lists)
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    names = {k: i for i, k in enumerate(sorted({kind_of(t) for t in vocab}))}
    kinds = np.array([names[kind_of(t)] for t in vocab], dtype=np.int64)
    clf = LogisticRegression(C=config["C"], max_iter=3000,
                             class_weight="balanced" if config.get("balanced") else None)
    clf.fit(vectorize(vec, kinds, term_lists), labels)
    return vec, kinds, clf


def to_model(vec, clf, config, threshold: float, info: dict, keywords: dict) -> ThemeModel:
    """The numpy-only model of a fitted vectorizer and logistic regression."""
    import numpy as np

    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    coef, intercept = clf.coef_.astype(np.float64), clf.intercept_.astype(np.float64)
    if len(clf.classes_) == 2:  # binary LR keeps one row: softmax([0, s]) is its sigmoid(s)
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    features = check_settings(config["features"])
    manifest = {"labels": [str(c) for c in clf.classes_], "features": features, "vocabulary": vocab,
                "keywords": keywords if features["keywords"] else {}, "threshold": threshold, "training": info}
    return ThemeModel(manifest, vec.idf_.astype(np.float64), coef, intercept)


def _prior(rows, config):
    return codebook_rows(r["label"] for r in rows) if config.get("prior") else []


def fit_model(rows, config, threshold: float = 0.0, info: dict | None = None, cache=None,
              keywords: dict | None = None) -> ThemeModel:
    """A model fitted to all `rows` ({parts, label}) (and the codebook rows, if the config says so)."""
    keywords = codebook_keywords() if keywords is None else keywords
    fit_rows = rows + _prior(rows, config)
    tl = _term_lists(fit_rows, config["features"], keywords, {} if cache is None else cache)
    vec, _, clf = _fit(tl, [r["label"] for r in fit_rows], config)
    return to_model(vec, clf, config, threshold, info or {}, keywords)


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


def decide(probs, classes, threshold):
    """The label of each row of probabilities: the best, or `other` below the threshold."""
    out = []
    for row in probs:
        best = classes[row.argmax()]
        out.append(OTHER if row.max() < threshold and OTHER in classes and best != OTHER else best)
    return out


def cross_validate(rows, config, folds: int = 5, cache=None, keywords=None):
    """Out-of-fold probabilities (n, K) and the class order, folds grouped by each row's group;
    the codebook rows (if the config has them) join every training fold."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    keywords = codebook_keywords() if keywords is None else keywords
    cache = {} if cache is None else cache
    labels, groups = [r["label"] for r in rows], [r["group"] for r in rows]
    prior = _prior(rows, config)
    tl = _term_lists(rows, config["features"], keywords, cache)
    tl_prior = _term_lists(prior, config["features"], keywords, cache)
    classes = sorted(set(labels))
    splitter = GroupKFold(n_splits=max(2, min(folds, len(set(groups)))))
    probs = np.zeros((len(rows), len(classes)))
    labels_a = np.array(labels)
    for tr, te in splitter.split(tl, labels, groups):
        fold_labels = list(labels_a[tr]) + [r["label"] for r in prior]
        if len(set(fold_labels)) < 2:
            continue
        vec, kinds, clf = _fit([tl[i] for i in tr] + tl_prior, fold_labels, config)
        p = clf.predict_proba(vectorize(vec, kinds, [tl[i] for i in te]))
        for j, c in enumerate(clf.classes_):
            probs[te, classes.index(c)] = p[:, j]
    return probs, classes


def best_threshold(probs, classes, labels) -> float:
    """The confidence threshold (below it: `other`) with the best out-of-fold macro-F1."""
    if OTHER not in classes:
        return 0.0
    return max(THRESHOLDS, key=lambda t: (round(scores(labels, decide(probs, classes, t))["macro_f1"], 4), -t))


def choose(comparison: list[dict]) -> dict:
    """The configuration to fit: the first whose CV macro-F1 is within CV_TIE of the best. A smaller
    gap is noise for grouped CV on a few hundred sections, and the earlier configurations are the
    fallback and the faster character models."""
    top = max(c["macro_f1"] for c in comparison)
    return next(c for c in comparison if c["macro_f1"] >= top - CV_TIE)


def train(rows, configs=None, folds: int = 5, progress=None) -> tuple[ThemeModel, dict]:
    """Compare `configs` by grouped CV on `rows`, fit the best on all rows. Returns the model and
    a summary {comparison: [...], best, threshold, folds, labels, predicted (out-of-fold)}."""
    configs = configs or CONFIGS
    keywords = codebook_keywords()
    labels = [r["label"] for r in rows]
    groups = [r["group"] for r in rows]
    cache, comparison = {}, []
    for config in configs:
        probs, classes = cross_validate(rows, config, folds, cache, keywords)
        threshold = best_threshold(probs, classes, labels)
        predicted = decide(probs, classes, threshold)
        s = scores(labels, predicted)
        comparison.append({"config": config, "threshold": threshold, "macro_f1": s["macro_f1"],
                           "accuracy": s["accuracy"], "scores": s, "predicted": predicted})
        if progress:
            progress(config, s, threshold)
    best = choose(comparison)
    from .. import __version__

    prior = _prior(rows, best["config"])
    info = {"date": datetime.date.today().isoformat(), "package_version": __version__, "rows": len(rows),
            "groups": len(set(groups)), "label_counts": dict(Counter(labels)), "config": best["config"]["name"],
            "C": best["config"]["C"], "class_weight": "balanced" if best["config"].get("balanced") else None,
            "codebook_rows": len(prior), "cv_macro_f1": round(best["macro_f1"], 4),
            "min_df": MIN_DF if len(rows) + len(prior) >= 20 else 1}
    model = fit_model(rows, best["config"], best["threshold"], info, cache, keywords)
    return model, {"comparison": comparison, "best": best, "threshold": best["threshold"], "folds": folds,
                   "labels": labels, "groups": groups}
