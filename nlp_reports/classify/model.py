"""A theme model on disk and in use. Numpy only: no scikit-learn, no pickle.

A model is a folder with two files:
  model.json   the manifest: format name and version, labels, feature settings, vocabulary,
               the confidence threshold, the sha256 of arrays.npz, and how it was trained
  arrays.npz   idf (V), coef (K × V) and intercept (K), float64, loaded with allow_pickle=False
Loading checks the format, the version and the arrays' sha256 before trusting anything, so a
tampered, truncated or foreign model gives one clear ModelError.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import pathlib
import sys

from ..errors import ModelError
from .features import check_settings, own_text, section_context, terms, tfidf_rows

FORMAT = "nlp-reports-theme-model"
FORMAT_VERSION = 1
MANIFEST, ARRAYS = "model.json", "arrays.npz"
OTHER = "other"
# Where the default model is looked for: the checkout's models/default (the package's parent
# folder, also right for an editable install), then the copy an installed wheel puts in
# <prefix>/share/nlp-reports/models/default. NLP_REPORTS_MODEL overrides both.
_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_PLACES = (_PACKAGE_ROOT / "models" / "default",
                  pathlib.Path(sys.prefix) / "share" / "nlp-reports" / "models" / "default")


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ThemeModel:
    """A loaded model: `predict_proba(texts)`, `predict(texts)` and `classify_sections(text, sections)`.

    Probabilities are the softmax of a multinomial logistic regression. A section whose best
    probability is below `threshold` gets theme `other`, its best guess kept in `theme_second`.
    """

    def __init__(self, manifest: dict, idf, coef, intercept, path=None):
        self.manifest, self.path = manifest, path
        self.labels: list[str] = manifest["labels"]
        self.settings = check_settings(manifest["features"])
        self.threshold = float(manifest.get("threshold", 0.0))
        self.vocabulary = {t: i for i, t in enumerate(manifest["vocabulary"])}
        self.idf_, self.coef_, self.intercept_ = idf, coef, intercept

    # -- applying ------------------------------------------------------------------------------
    def predict_proba(self, texts, contexts=None, tokenizer=None):
        """A (n, K) array of probabilities over `labels` for section texts (heading on line one),
        each with its context dict (see features.section_context) or None."""
        import numpy as np

        contexts = contexts or [None] * len(texts)
        rows = tfidf_rows((terms(t, self.settings, tokenizer, c) for t, c in zip(texts, contexts)),
                          self.vocabulary, self.idf_,
                          self.settings["sublinear_tf"])
        scores = np.array([self.coef_[:, idx] @ vals for idx, vals in rows]).reshape(len(rows), len(self.labels))
        scores += self.intercept_
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        return p / p.sum(axis=1, keepdims=True)

    def decide(self, probs) -> list[tuple[str, float, str | None]]:
        """(theme, confidence, second) per row: the best label and its probability, and the
        runner-up; below the threshold the theme is `other` and the best guess is the second."""
        out = []
        for row in probs:
            order = row.argsort()[::-1]
            best, conf = self.labels[order[0]], float(row[order[0]])
            second = self.labels[order[1]] if len(order) > 1 else None
            if conf < self.threshold and best != OTHER and OTHER in self.labels:
                best, second = OTHER, best
            out.append((best, round(conf, 4), second))
        return out

    def predict(self, texts, contexts=None) -> list[str]:
        return [theme for theme, _, _ in self.decide(self.predict_proba(texts, contexts))]

    def classify_sections(self, text: str, sections) -> list:
        """The sections of a normalised report with theme, theme_confidence and theme_second set."""
        sections = list(sections)
        if not sections:
            return sections
        decided = self.decide(self.predict_proba([own_text(text, sections, s) for s in sections],
                                                 [section_context(text, sections, s) for s in sections]))
        return [dataclasses.replace(s, theme=t, theme_confidence=c, theme_second=second)
                for s, (t, c, second) in zip(sections, decided)]

    # -- saving --------------------------------------------------------------------------------
    def save(self, folder) -> pathlib.Path:
        """Write model.json and arrays.npz into `folder` (created); returns the folder."""
        import numpy as np

        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = folder / ARRAYS
        np.savez_compressed(arrays, idf=self.idf_, coef=self.coef_, intercept=self.intercept_)
        manifest = {**self.manifest, "format": FORMAT, "format_version": FORMAT_VERSION,
                    "arrays": {"file": ARRAYS, "sha256": sha256_file(arrays)}}
        tmp = folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, folder / MANIFEST)
        self.manifest = manifest
        return folder


def load_model(path) -> ThemeModel:
    """Load and check a model folder (or its model.json). Raises ModelError saying what is wrong."""
    path = pathlib.Path(path)
    folder = path.parent if path.name == MANIFEST else path
    where = str(folder)
    if not (folder / MANIFEST).is_file():
        raise ModelError(f"no {MANIFEST} here: not a theme model folder", where)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{MANIFEST} is not valid JSON ({exc})", where) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(f"{MANIFEST} is not a {FORMAT} manifest", where)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"model format version {manifest.get('format_version')!r} is not supported "
                         f"(this nlp-reports reads version {FORMAT_VERSION}); retrain it with `nlp-reports train`", where)
    missing = [k for k in ("labels", "features", "vocabulary", "arrays") if k not in manifest]
    if missing:
        raise ModelError(f"{MANIFEST} lacks {', '.join(missing)}", where)
    arrays = folder / manifest["arrays"].get("file", ARRAYS)
    if not arrays.is_file():
        raise ModelError(f"{arrays.name} is missing", where)
    if sha256_file(arrays) != manifest["arrays"].get("sha256"):
        raise ModelError(f"{arrays.name} does not match the sha256 in {MANIFEST}: the file is damaged or was changed", where)
    import numpy as np

    try:
        with np.load(arrays, allow_pickle=False) as npz:
            idf, coef, intercept = npz["idf"], npz["coef"], npz["intercept"]
    except Exception as exc:  # zip, header or dtype trouble: all mean a broken file
        raise ModelError(f"{arrays.name} cannot be read ({type(exc).__name__}: {exc})", where) from None
    k, v = len(manifest["labels"]), len(manifest["vocabulary"])
    if idf.shape != (v,) or coef.shape != (k, v) or intercept.shape != (k,):
        raise ModelError(f"array shapes idf {idf.shape}, coef {coef.shape}, intercept {intercept.shape} "
                         f"do not fit {k} labels and {v} terms", where)
    try:
        return ThemeModel(manifest, idf, coef, intercept, folder)
    except ValueError as exc:
        raise ModelError(str(exc), where) from None


def default_model_path() -> pathlib.Path | None:
    """The default model's folder, or None if none is installed."""
    env = os.environ.get("NLP_REPORTS_MODEL")
    if env:
        return pathlib.Path(env)
    return next((p for p in DEFAULT_PLACES if (p / MANIFEST).is_file()), None)


@functools.cache
def get_model(path: str | None = None) -> ThemeModel | None:
    """The model at `path` (or the default one), loaded once per process; None when no path is
    given and no default model is installed (the caller says so and goes on unclassified)."""
    if path is None:
        path = default_model_path()
        if path is None:
            return None
    return load_model(path)
