"""A theme model on disk and in use. Numpy only: no scikit-learn, no pickle.

A model is a folder with two files:
  model.json   the manifest: format name and version, labels, feature settings, vocabulary,
               the codebook keywords counted, the confidence threshold, how it was trained,
               the sha256 of arrays.npz and the sha256 of its own content
  arrays.npz   idf (V), coef (K × V) and intercept (K), float64, loaded with allow_pickle=False
Loading checks the format, the version and both sha256 before trusting anything, so a tampered,
hand-edited, truncated or foreign model gives one clear ModelError.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import pathlib
import sys

import numpy as np

from ..errors import ModelError
from .features import check_settings, section_parts, terms, text_parts, tfidf_rows
from .vectors import Vectorizer, row_scores, weigh

FORMAT = "nlp-reports-theme-model"
FORMAT_VERSION = 2
MANIFEST, ARRAYS = "model.json", "arrays.npz"
OTHER = "other"
# Where the default model is looked for: the checkout's models/default (the package's parent
# folder, also right for an editable install), then the copy an installed wheel puts in
# <prefix>/share/nlp-reports/models/default. NLP_REPORTS_MODEL overrides both.
_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_PLACES = (_PACKAGE_ROOT / "models" / "default",
                  pathlib.Path(sys.prefix) / "share" / "nlp-reports" / "models" / "default")


def content_digest(manifest: dict) -> str:
    """sha256 of what a manifest says about the model (all but the digest itself), so that an
    edited or damaged model.json is noticed as surely as a changed arrays.npz."""
    content = {k: v for k, v in manifest.items() if k != "content_sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


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
        self.keywords: dict = manifest.get("keywords") or {}
        self.threshold = float(manifest.get("threshold", 0.0))
        self.idf_, self.coef_, self.intercept_ = idf, coef, intercept
        self.vectorizer = Vectorizer(manifest["vocabulary"], self.settings, self.keywords)
        self._weights = np.ascontiguousarray(coef.T)   # (V, K): one row gathered per term

    @functools.cached_property
    def vocabulary(self) -> dict[str, int]:
        """term → column; only the reference path needs it, so it is built on first use."""
        return {t: i for i, t in enumerate(self.manifest["vocabulary"])}

    # -- applying ------------------------------------------------------------------------------
    def predict_proba(self, sections, tokenizer=None):
        """A (n, K) array of probabilities over `labels` for sections given as texts (heading on
        line one) or as parts dicts (features.section_parts). The plain-Python reference path."""
        parts = [text_parts(s) if isinstance(s, str) else s for s in sections]
        rows = tfidf_rows((terms(p, self.settings, self.keywords, tokenizer) for p in parts), self.vocabulary,
                          self.idf_, self.vectorizer.kinds, self.settings["sublinear_tf"])
        n = len(rows)
        row = np.repeat(np.arange(n), [len(idx) for idx, _ in rows])
        col = np.concatenate([idx for idx, _ in rows]) if rows else np.zeros(0, np.int64)
        val = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return self._softmax(row, col, val, n)

    def _softmax(self, row, col, val, n, shared=None):
        """Softmax of the rows' scores; with `shared` (see vectors.Vectorizer.rows), row r adds the
        scores of the rows shared[r] to its own."""
        if shared is None:
            scores = row_scores(row, col, val, self._weights, n)
        else:
            scores = row_scores(row, col, val, self._weights, int(shared.max(initial=n)) + 1)
            scores = scores[:n] + scores[shared].sum(axis=1)
        scores += self.intercept_
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        return p / p.sum(axis=1, keepdims=True)

    def decide(self, probs) -> list[tuple[str, float, str | None]]:
        """(theme, confidence, second) per row: the best label and its probability, and the
        runner-up; below the threshold the theme is `other` and the best guess is the second."""
        out = []
        order = np.argsort(-probs, axis=1, kind="stable")
        for row, rank in zip(probs.tolist(), order.tolist()):
            best, conf = self.labels[rank[0]], row[rank[0]]
            second = self.labels[rank[1]] if len(rank) > 1 else None
            if conf < self.threshold and best != OTHER and OTHER in self.labels:
                best, second = OTHER, best
            out.append((best, round(conf, 4), second))
        return out

    def predict(self, sections) -> list[str]:
        return [theme for theme, _, _ in self.decide(self.predict_proba(sections))]

    def section_proba(self, text: str, sections) -> np.ndarray:
        """Probabilities for the sections of a normalised report: the numpy fast path
        (vectors.py) when the model's terms allow it, else the reference path."""
        from ..structure import title_span

        if not self.vectorizer.supports or any(not text.startswith(s.heading, s.start) for s in sections):
            return self.predict_proba(section_parts(text, sections))
        row, col, counts, shared = self.vectorizer.rows(text, sections, title_span(text))
        val = weigh(row, col, counts, self.idf_, self.vectorizer.kinds, self.settings["sublinear_tf"],
                    len(self.vectorizer.kind_index))
        return self._softmax(row, col, val, len(sections), shared)

    def classify_sections(self, text: str, sections) -> list:
        """The sections of a normalised report with theme, theme_confidence and theme_second set."""
        sections = list(sections)
        if not sections:
            return sections
        decided = self.decide(self.section_proba(text, sections))
        return [_with_theme(s, t, c, second) for s, (t, c, second) in zip(sections, decided)]

    # -- saving --------------------------------------------------------------------------------
    def save(self, folder) -> pathlib.Path:
        """Write model.json and arrays.npz into `folder` (created); returns the folder."""
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = folder / ARRAYS
        np.savez(arrays, idf=self.idf_, coef=self.coef_, intercept=self.intercept_)  # uncompressed: loads faster
        manifest = {**self.manifest, "format": FORMAT, "format_version": FORMAT_VERSION,
                    "arrays": {"file": ARRAYS, "sha256": sha256_file(arrays)}}
        manifest["content_sha256"] = content_digest(manifest)
        tmp = folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, folder / MANIFEST)
        self.manifest = manifest
        return folder


def _with_theme(section, theme, confidence, second):
    """A copy of a (frozen) Section with its theme fields set: dataclasses.replace costs more than
    classifying the section does, and this runs for every section of every report."""
    new = object.__new__(type(section))
    new.__dict__.update(vars(section), theme=theme, theme_confidence=confidence, theme_second=second)
    return new


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
    missing = [k for k in ("labels", "features", "vocabulary", "arrays", "content_sha256") if k not in manifest]
    if missing:
        raise ModelError(f"{MANIFEST} lacks {', '.join(missing)}", where)
    if content_digest(manifest) != manifest["content_sha256"]:
        raise ModelError(f"{MANIFEST} was changed after training (its content does not match its content_sha256)", where)
    info = manifest["arrays"]
    if not isinstance(info, dict) or not isinstance(info.get("file", ARRAYS), str) \
            or pathlib.Path(info.get("file", ARRAYS)).name != info.get("file", ARRAYS):
        raise ModelError(f"{MANIFEST}: arrays must name a file beside it, with its sha256", where)
    arrays = folder / info.get("file", ARRAYS)
    if not arrays.is_file():
        raise ModelError(f"{arrays.name} is missing", where)
    if sha256_file(arrays) != info.get("sha256"):
        raise ModelError(f"{arrays.name} does not match the sha256 in {MANIFEST}: the file is damaged or was changed", where)
    try:
        with np.load(arrays, allow_pickle=False) as npz:
            idf, coef, intercept = npz["idf"], npz["coef"], npz["intercept"]
    except Exception as exc:  # zip, header or dtype trouble: all mean a broken file
        raise ModelError(f"{arrays.name} cannot be read ({type(exc).__name__}: {exc})", where) from None
    k, v = len(manifest["labels"]), len(manifest["vocabulary"])
    if idf.shape != (v,) or coef.shape != (k, v) or intercept.shape != (k,):
        raise ModelError(f"array shapes idf {idf.shape}, coef {coef.shape}, intercept {intercept.shape} "
                         f"do not fit {k} labels and {v} terms", where)
    # A NaN would pass as a confidence into the JSON output and the store.
    if any(a.dtype.kind != "f" or not np.isfinite(a).all() for a in (idf, coef, intercept)):
        raise ModelError(f"{arrays.name} holds values that are not finite floating-point numbers", where)
    try:
        return ThemeModel(manifest, idf, coef, intercept, folder)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:  # a well-hashed but odd manifest
        raise ModelError(f"{MANIFEST} is malformed ({type(exc).__name__}: {exc})", where) from None


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
