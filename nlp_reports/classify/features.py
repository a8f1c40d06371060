"""Section text → terms → tf-idf vector. Pure Python and numpy: training (scikit-learn) fits the
vocabulary and idf over the very same `terms()`, and applying a model repeats the tf-idf step here,
so a model never needs scikit-learn to be applied.

Terms carry a prefix naming their kind, so that one vocabulary holds them all:
`w:` a word of the body (our jieba tokenizer), `h:` a word of the heading (headings say the most),
`c:` a character n-gram of heading and body, `hc:` one of the heading alone; with `context`, `t:` a word of the report's title
(it names the report's domain, which settles whether hazard checks are the report's own work;
with `"context": "chars"` these are character uni- and bigrams instead, and a model without word
terms never loads the tokenizer),
`p:` a word of the parent section's heading, `k:` a word of the children's headings (a part whose
own body is empty is about what its children report) and `r:` the section's role.
"""
from __future__ import annotations

import math
import re
from collections import Counter

# The feature settings a model is trained and applied with; stored in the model's manifest.
# Character n-grams beat jieba words in grouped CV here (models/MODEL_CARD.md) and need no tokenizer,
# which keeps `extract` lean: loading the dictionary costs more than classifying.
DEFAULT_FEATURES = {"words": False, "heading_words": False, "chars": [1, 2], "heading_chars": [1, 3],
                    "context": "chars", "sublinear_tf": True}
_KNOWN = set(DEFAULT_FEATURES)
# Punctuation, digits and Latin letters say nothing about a theme and blow up the vocabulary.
_NOISE = re.compile(r"^[\W\d_a-zA-Z]+$")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
# Enumerators at the start of a heading (一、 （二） 3. 一是) are numbering, not content.
_ENUMERATOR = re.compile(r"^(?:第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+[、.]|（[一二三四五六七八九十\d]+）|\d+[、.．]|[一二三四五六七八九十]是)\s*")


def check_settings(settings: dict) -> dict:
    """The feature settings with every key present: a kind of term not named is off (so a model
    saved before a kind was added keeps its terms). ValueError names an unknown key.

    >>> check_settings({"words": True})["chars"] is None
    True
    """
    unknown = set(settings) - _KNOWN
    if unknown:
        raise ValueError(f"unknown feature setting(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(_KNOWN))}")
    off = {k: (True if k == "sublinear_tf" else None if isinstance(v, list) else False)
           for k, v in DEFAULT_FEATURES.items()}
    return {**off, **settings}


def split_heading(text: str) -> tuple[str, str]:
    """(heading, body) of a section text whose first line is the heading.

    >>> split_heading("一、强化组织领导\\n成立领导小组。")
    ('强化组织领导', '成立领导小组。')
    """
    heading, _, body = text.partition("\n")
    return _ENUMERATOR.sub("", heading.strip()), body


def terms(text: str, settings: dict, tokenizer=None, context: dict | None = None) -> list[str]:
    """The terms of one section text (heading on the first line, then its body) and, if the
    settings ask for it, of its `context` {title, parent, role} (see `section_context`).

    >>> terms("一、普法宣传\\n发放资料。", {"words": False, "heading_words": False, "chars": [2, 2]})
    ['c:普法', 'c:法宣', 'c:宣传', 'c:发放', 'c:放资', 'c:资料']
    """
    settings = check_settings(settings)
    heading, body = split_heading(text)
    out: list[str] = []
    context = context if settings["context"] else None
    if context and settings["context"] == "chars":  # context as character bigrams: no tokenizer needed
        parts = [("t:", context.get("title") or ""), ("p:", _ENUMERATOR.sub("", context.get("parent") or ""))]
        parts += [("k:", _ENUMERATOR.sub("", child)) for child in context.get("children") or ()]
        for prefix, part in parts:
            for run in _HAN.findall(part):
                out += [prefix + run[i:i + n] for n in (1, 2) for i in range(len(run) - n + 1)]
        out += ["r:" + context["role"]] if context.get("role") else []
        context = None
    if settings["words"] or settings["heading_words"] or context:
        if tokenizer is None:
            from ..tokenize import get_tokenizer

            tokenizer = get_tokenizer()
        if settings["heading_words"]:
            out += ["h:" + w for w in tokenizer.cut(heading) if not _NOISE.match(w)]
        if settings["words"]:
            out += ["w:" + w for w in tokenizer.cut(body) if not _NOISE.match(w)]
        if context:
            out += ["t:" + w for w in tokenizer.cut(context.get("title") or "") if not _NOISE.match(w)]
            parent = _ENUMERATOR.sub("", context.get("parent") or "")
            out += ["p:" + w for w in tokenizer.cut(parent) if not _NOISE.match(w)]
            for child in context.get("children") or ():
                out += ["k:" + w for w in tokenizer.cut(_ENUMERATOR.sub("", child)) if not _NOISE.match(w)]
            out += ["r:" + context["role"]] if context.get("role") else []
    lo, hi = settings["heading_chars"] or (0, -1)
    for run in _HAN.findall(heading):
        for n in range(lo, hi + 1):
            out += ["hc:" + run[i:i + n] for i in range(len(run) - n + 1)]
    lo, hi = settings["chars"] or (0, -1)
    for run in _HAN.findall(heading) + _HAN.findall(body):
        for n in range(lo, hi + 1):
            out += ["c:" + run[i:i + n] for i in range(len(run) - n + 1)]
    return out


def section_context(text: str, sections, section) -> dict:
    """What a section's neighbourhood says: the report's title, the parent's and the children's
    headings, the role."""
    from ..structure import title_span

    span = title_span(text)
    parent = next((s for s in sections if s.id == section.parent), None)
    return {"title": text[span[0]:span[1]] if span else "", "parent": parent.heading if parent else "",
            "children": [s.heading for s in sections if s.parent == section.id], "role": section.role}


def tfidf_rows(term_lists, vocabulary: dict[str, int], idf, sublinear_tf: bool):
    """Sparse l2-normalised tf-idf rows, as (indices, values) numpy pairs — the same numbers as
    scikit-learn's TfidfVectorizer(sublinear_tf, norm="l2") fitted to `vocabulary` and `idf`."""
    import numpy as np

    rows = []
    for words in term_lists:
        counts = Counter(vocabulary[t] for t in words if t in vocabulary)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if sublinear_tf:
            tf = 1.0 + np.log(tf)
        vals = tf * idf[idx]
        norm = math.sqrt(float(vals @ vals)) if len(vals) else 0.0
        rows.append((idx, vals / norm if norm else vals))
    return rows


def own_text(text: str, sections, section) -> str:
    """A section's heading and its own body (children excluded): what the classifier reads."""
    children = [s.start for s in sections if s.parent == section.id]
    end = min(children) if children else section.end
    return section.heading + "\n" + text[section.body_start:max(end, section.body_start)].strip("：:。 \n")
