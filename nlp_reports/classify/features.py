"""What the classifier reads of a section, and the reference way of turning it into terms.

A section is seen as its *parts*: `heading` (numbering such as 一、 or （二） removed), `body` (its
own text, sub-sections excluded), `sub` (the text of its sub-sections), and its context: the
report's `title`, the `parent`'s heading, the `children`'s headings and the `role`. Parts are
always spans of the normalised report, so `vectors.py` can compute the very same terms for a whole
report at once with numpy; `terms()` here is the plain-Python definition that training uses and
that tests hold the fast path to.

Terms carry a prefix naming their kind; each kind is l2-normalised on its own (so a long body
cannot drown the heading), and the kinds are:
`c:` character n-grams of heading and body, `hc:` of the heading alone, `t:` `p:` `k:` character
uni- and bigrams of title, parent heading and children's headings (or, with `"context": "words"`,
their jieba words), `r:` the role, `x:` `xh:` `xs:` per theme, the codebook keywords found in
heading and body, in the heading, and in the sub-sections; `w:` `h:` jieba words of body and heading.
"""
from __future__ import annotations

import re
from collections import Counter

# The feature settings a model is trained and applied with; stored in its manifest. Character
# n-grams, the context and the keyword counts won the grouped-CV comparison (models/MODEL_CARD.md);
# they need no tokenizer, so applying a model never loads jieba's dictionary.
DEFAULT_FEATURES = {"words": False, "heading_words": False, "chars": [1, 2], "heading_chars": [1, 3],
                    "context": "chars", "keywords": True, "sublinear_tf": True}
_KNOWN = set(DEFAULT_FEATURES)
_CONTEXTS = (None, False, "chars", "words")
# Punctuation, digits and Latin letters say nothing about a theme and blow up the vocabulary.
_NOISE = re.compile(r"^[\W\d_a-zA-Z]+$")
HAN = re.compile(r"[\u4e00-\u9fff]+")
HAN_RANGE = (0x4E00, 0x9FFF)
# Enumerators at the start of a heading (一、 （二） 3. 一是) are numbering, not content.
_ENUMERATOR = re.compile(r"^(?:第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+[、.]|（[一二三四五六七八九十\d]+）|\d+[、.．]|[一二三四五六七八九十]是)\s*")
CONTEXT_GRAMS = (1, 2)


def check_settings(settings: dict) -> dict:
    """The feature settings with every key present: a kind of term not named is off. ValueError
    names an unknown key or value.

    >>> check_settings({"words": True})["chars"] is None
    True
    """
    unknown = set(settings) - _KNOWN
    if unknown:
        raise ValueError(f"unknown feature setting(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(_KNOWN))}")
    off = {k: (True if k == "sublinear_tf" else None if isinstance(v, list) else False)
           for k, v in DEFAULT_FEATURES.items()}
    out = {**off, **settings}
    if out["context"] not in _CONTEXTS:
        raise ValueError(f"feature setting context is {out['context']!r}; expected chars, words or null")
    for key in ("chars", "heading_chars"):
        if out[key] is not None and not (isinstance(out[key], list) and len(out[key]) == 2
                                         and 1 <= out[key][0] <= out[key][1] <= 3):
            raise ValueError(f"feature setting {key} is {out[key]!r}; expected [lo, hi] with 1 <= lo <= hi <= 3")
    return out


def kind_of(term: str) -> str:
    """The kind (prefix) of a term: `kind_of("hc:普法") == "hc"`."""
    return term.partition(":")[0]


def enumerator_length(heading: str) -> int:
    """How many leading characters of a heading are numbering.

    >>> enumerator_length("（二）强化组织领导")
    3
    """
    m = _ENUMERATOR.match(heading)
    return m.end() if m else 0


def text_parts(text: str) -> dict:
    """The parts of a free-standing section text whose first line is the heading (training data,
    `predict`): heading and body only, no context.

    >>> text_parts("一、强化组织领导\\n成立领导小组。")["heading"]
    '强化组织领导'
    """
    heading, _, body = text.partition("\n")
    heading = heading.strip()
    return {"heading": heading[enumerator_length(heading):], "body": body, "sub": "", "title": "",
            "parent": "", "children": [], "role": None}


def section_parts(text: str, sections) -> list[dict]:
    """The parts of every section of a normalised report, in order (see the module docstring)."""
    from ..structure import title_span

    span = title_span(text)
    title = text[span[0]:span[1]] if span else ""
    heads = {s.id: s.heading[enumerator_length(s.heading):] for s in sections}
    children: dict = {}
    for s in sections:
        children.setdefault(s.parent, []).append(s)
    out = []
    for s in sections:
        kids = children.get(s.id, [])
        own_end = min(c.start for c in kids) if kids else s.end
        out.append({"heading": heads[s.id], "body": text[s.body_start:max(own_end, s.body_start)],
                    "sub": text[own_end:s.end] if kids else "", "title": title,
                    "parent": heads.get(s.parent, ""), "children": [heads[c.id] for c in kids], "role": s.role})
    return out


def char_grams(s: str, lo: int, hi: int) -> list[str]:
    """Character n-grams (lo ≤ n ≤ hi) inside runs of Chinese characters.

    >>> char_grams("普法，宣传", 1, 2)
    ['普', '法', '普法', '宣', '传', '宣传']
    """
    out = []
    for run in HAN.findall(s):
        for n in range(lo, hi + 1):
            out += [run[i:i + n] for i in range(len(run) - n + 1)]
    return out


def keyword_hits(s: str, keywords: dict) -> list[str]:
    """The theme of every occurrence (overlaps counted) of a keyword of `keywords` {theme: [word]} in `s`.

    >>> keyword_hits("开展普法宣传和普法讲座", {"publicity": ["普法", "讲座"], "leadership": ["部署"]})
    ['publicity', 'publicity', 'publicity']
    """
    out = []
    for theme, words in keywords.items():
        for word in words:
            i = s.find(word)
            while i >= 0:
                out.append(theme)
                i = s.find(word, i + 1)
    return out


def terms(parts: dict, settings: dict, keywords: dict | None = None, tokenizer=None) -> list[str]:
    """The terms of one section's `parts` (see `section_parts`, `text_parts`).

    >>> terms(text_parts("一、普法宣传\\n发放资料。"), {"chars": [2, 2]})
    ['c:普法', 'c:法宣', 'c:宣传', 'c:发放', 'c:放资', 'c:资料']
    """
    settings = check_settings(settings)
    heading, body = parts["heading"], parts["body"]
    out: list[str] = []
    if settings["chars"]:
        lo, hi = settings["chars"]
        out += ["c:" + g for g in char_grams(heading, lo, hi) + char_grams(body, lo, hi)]
    if settings["heading_chars"]:
        out += ["hc:" + g for g in char_grams(heading, *settings["heading_chars"])]
    context = settings["context"]
    if context:
        pieces = [("t:", parts["title"]), ("p:", parts["parent"])] + [("k:", c) for c in parts["children"]]
        if context == "chars":
            for prefix, piece in pieces:
                out += [prefix + g for g in char_grams(piece, *CONTEXT_GRAMS)]
        else:
            tokenizer = tokenizer or _tokenizer()
            for prefix, piece in pieces:
                out += [prefix + w for w in tokenizer.cut(piece) if not _NOISE.match(w)]
        out += ["r:" + parts["role"]] if parts.get("role") else []
    if settings["keywords"] and keywords:
        head = keyword_hits(heading, keywords)
        out += ["x:" + t for t in head + keyword_hits(body, keywords)]
        out += ["xh:" + t for t in head]
        out += ["xs:" + t for t in keyword_hits(parts["sub"], keywords)]
    if settings["heading_words"] or settings["words"]:
        tokenizer = tokenizer or _tokenizer()
        if settings["heading_words"]:
            out += ["h:" + w for w in tokenizer.cut(heading) if not _NOISE.match(w)]
        if settings["words"]:
            out += ["w:" + w for w in tokenizer.cut(body) if not _NOISE.match(w)]
    return out


def _tokenizer():
    from ..tokenize import get_tokenizer

    return get_tokenizer()


def tfidf_rows(term_lists, vocabulary: dict[str, int], idf, kinds, sublinear_tf: bool):
    """Sparse tf-idf rows as (indices, values) numpy pairs, each kind of term l2-normalised on its
    own; `kinds[j]` is the kind number of column j. The same numbers as training's `vectorize`."""
    import numpy as np

    rows = []
    for words in term_lists:
        counts = Counter(vocabulary[t] for t in words if t in vocabulary)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if sublinear_tf:
            tf = 1.0 + np.log(tf)
        vals = tf * idf[idx]
        kind = kinds[idx]
        norms = np.bincount(kind, weights=vals * vals)
        rows.append((idx, vals / np.sqrt(norms[kind]) if len(vals) else vals))
    return rows

