"""The tf-idf rows of every section of a report at once, with numpy: the fast path of applying a
model, on the hot path of `extract` and `batch`.

The report's text is turned into code points once. Character unigrams are looked up in a table
over the Chinese block; bigrams (which cover the whole text) by one binary search of the model's
sorted bigram keys (a key packs the code points into an integer); trigrams only where a span asks
for them (headings). A keyword is found where its first bigram is, then checked. A section's parts
(heading, body, sub-sections, title, parent and children's headings; see `features.py`) are spans
of the text, so its terms are the n-grams inside its spans, gathered for all sections in a few
array operations. The result equals `features.terms` + `features.tfidf_rows` (tests/test_classify.py
holds them to it); models with jieba word terms are not served here (`Vectorizer.supports`) and
take that slower path instead.
"""
from __future__ import annotations

import numpy as np

from .features import CONTEXT_GRAMS, HAN_RANGE, enumerator_length

_CHAR_KINDS = ("c", "hc", "t", "p", "k")
_KEYWORD_KINDS = ("x", "xh", "xs")
_BITS = 21                      # a code point fits in 21 bits
_BMP = 0x10000
_TABLE_CHARS = 2048             # a bigram table of at most 2049² entries (8 MB as int16)


def _pack(codes: np.ndarray) -> np.ndarray:
    """Keys of (m, n) code points, n ≤ 3: one integer per n-gram, distinct for every n-gram."""
    key = np.zeros(len(codes), dtype=np.int64)
    for j in range(codes.shape[1]):
        key = (key << _BITS) | codes[:, j]
    return key


def _codes(strings: list[str], n: int) -> np.ndarray:
    return np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32).astype(np.int64).reshape(-1, n)


class Vectorizer:
    """Built once per model from its vocabulary, feature settings and keywords."""

    def __init__(self, vocabulary: list[str], settings: dict, keywords: dict | None):
        self.settings = settings
        self.supports = not (settings["words"] or settings["heading_words"] or settings["context"] == "words")
        split = [t.partition(":") for t in vocabulary]
        self.kind_index = {k: i for i, k in enumerate(sorted({k for k, _, _ in split}))}
        self.kinds = np.array([self.kind_index[k] for k, _, _ in split], dtype=np.int64)
        self.size = len(vocabulary)
        if not self.supports:
            return
        keywords = keywords if settings["keywords"] else {}
        if any(len(w) < 2 or not all(HAN_RANGE[0] <= ord(c) <= HAN_RANGE[1] for c in w)
               for words in keywords.values() for w in words):
            raise ValueError("keywords must be words of at least two Chinese characters")
        self.roles = {g: i for i, (k, _, g) in enumerate(split) if k == "r"}
        index = {vocabulary[i]: i for i, (k, _, _) in enumerate(split) if k in _KEYWORD_KINDS}
        # per n: every (gram, kind, column) of the character kinds, packed into keys at once
        by_n: dict = {1: ([], [], []), 2: ([], [], []), 3: ([], [], [])}
        for i, (kind, _, gram) in enumerate(split):
            if kind in _CHAR_KINDS:
                grams, kinds, cols = by_n[len(gram)]
                grams.append(gram)
                kinds.append(_CHAR_KINDS.index(kind))
                cols.append(i)
        by_n[2][0].extend({w[:2] for words in keywords.values() for w in words})  # where keywords are looked for
        self.keys, found = {}, {}
        for n, (grams, _, _) in by_n.items():
            packed = _pack(_codes(grams, n)) if grams else np.zeros(0, np.int64)
            self.keys[n], found[n] = np.unique(packed, return_inverse=True)
        # one id space: the unigram keys, then the bigram keys, then the trigram keys; `absent`, past
        # them all, has no column anywhere. Small tables (int32) stay in the cache between reports.
        self.offset = {1: 0, 2: len(self.keys[1]), 3: len(self.keys[1]) + len(self.keys[2])}
        self.absent = self.offset[3] + len(self.keys[3])
        self.columns = np.full((len(_CHAR_KINDS), self.absent + 1), -1, dtype=np.int32)  # [kind, id]
        for n, (_, kinds, cols) in by_n.items():
            if cols:
                self.columns[np.array(kinds), self.offset[n] + found[n][:len(cols)]] = cols
        # unigrams: a direct table over the Basic Multilingual Plane instead of a search
        self.unigram_ids = np.full(_BMP, self.absent, dtype=np.int32)
        self.unigram_ids[self.keys[1]] = np.arange(len(self.keys[1]))
        self._bigram_table()
        self._keywords(keywords, index)

    def _bigram_table(self):
        """Bigrams, which are looked up at every offset, by a table instead of a search: each
        Chinese character of a bigram key gets a number (`bigram_chars`, over the Basic
        Multilingual Plane; any other character the last number), and `bigram_ids` holds the id
        at first × width + second: a million entries for the thousand characters of a model
        trained on our corpus; a model with more than _TABLE_CHARS of them keeps the search."""
        keys = self.keys[2]
        first, second = np.minimum(keys >> _BITS, _BMP - 1), np.minimum(keys & ((1 << _BITS) - 1), _BMP - 1)
        both = np.concatenate([first, second])
        chars = np.unique(both[(both >= HAN_RANGE[0]) & (both <= HAN_RANGE[1])])
        self.bigram_ids = None
        if len(chars) > _TABLE_CHARS:
            return
        self.bigram_chars = np.full(_BMP, len(chars), dtype=np.int32)
        self.bigram_chars[chars] = np.arange(len(chars))
        self.bigram_width = width = len(chars) + 1
        first, second = self.bigram_chars[first], self.bigram_chars[second]
        han = (first < len(chars)) & (second < len(chars))  # a key with another character is never looked up
        small = np.int16 if self.absent < 2 ** 15 else np.int32  # half the memory for most models
        self.bigram_ids = np.full(width * width, self.absent, dtype=small)
        self.bigram_ids[first[han] * width + second[han]] = np.flatnonzero(han) + self.offset[2]

    def _keywords(self, keywords: dict, index: dict):
        """The keywords grouped by their first bigram (an index into the bigram keys): per group
        a range of the keyword arrays (length, theme, code points that check a candidate); the
        column of each theme per keyword kind."""
        themes = sorted(keywords)
        self.keyword_columns = np.array([[index.get(f"{k}:{t}", -1) for t in themes] for k in _KEYWORD_KINDS],
                                        dtype=np.int64).reshape(len(_KEYWORD_KINDS), len(themes))
        words = sorted((w[:2], w, ti) for ti, t in enumerate(themes) for w in keywords[t])
        keys2 = self.keys[2]
        # per bigram id: the first of its keywords and how many there are (0: none start so)
        self.keyword_first = np.zeros(self.absent + 1, dtype=np.int32)
        self.keyword_count = np.zeros(self.absent + 1, dtype=np.int32)
        for j, (first, _, _) in enumerate(words):
            at = self.offset[2] + int(np.searchsorted(keys2, _pack(_codes([first], 2))[0]))
            if not self.keyword_count[at]:
                self.keyword_first[at] = j
            self.keyword_count[at] += 1
        self.keyword_length = np.array([len(w) for _, w, _ in words], dtype=np.int64)
        self.keyword_theme = np.array([ti for _, _, ti in words], dtype=np.int64)
        width = int(self.keyword_length.max(initial=1))
        self.keyword_codes = np.full((len(words), width), -1, dtype=np.int64)   # -1: past the word's end
        for j, (_, w, _) in enumerate(words):
            self.keyword_codes[j, :len(w)] = _codes([w], len(w))[0]

    # -- one report ------------------------------------------------------------------------------
    def rows(self, text: str, sections, title: tuple[int, int] | None):
        """(row, column, count) of the sections' terms, sorted by row then column, and `shared`:
        per section, the two extra rows whose scores it adds to its own. The title's terms (the
        same for every section) and a parent's heading (the same for all its children) each form
        one row of their own, computed once; row `len(sections) + extra` is empty."""
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        han = (codes >= HAN_RANGE[0]) & (codes <= HAN_RANGE[1])
        grams, keyword_spans, shared = self._spans(sections, title)
        ids = np.full((3, len(codes)), self.absent, dtype=np.int32)   # the n-gram starting at each offset
        ids[0] = self.unigram_ids[np.minimum(codes, _BMP - 1)]    # U+FFFF is no Chinese character
        ids[1, :len(codes) - 1] = self._bigrams(codes, han)
        parts = [self._gram_terms(codes, han, grams, ids)]
        if len(self.keyword_length) and keyword_spans:
            parts.append(self._keyword_terms(codes, ids[1], keyword_spans))
        role_rows = [r for r, s in enumerate(sections) if s.role in self.roles]
        parts.append((np.array(role_rows, dtype=np.int64),
                      np.array([self.roles[sections[r].role] for r in role_rows], dtype=np.int64)))
        rows = np.concatenate([p[0] for p in parts])
        cols = np.concatenate([p[1] for p in parts])
        keep = cols >= 0
        unique, counts = np.unique(rows[keep] * self.size + cols[keep], return_counts=True)
        return unique // self.size, unique % self.size, counts.astype(np.float64), shared

    def _spans(self, sections, title):
        """(row, kind, n, start, end) of the character n-gram spans and (row, kind, start, end) of
        the keyword spans, in text offsets; and the (sections × 2) shared rows (see `rows`)."""
        s = self.settings
        head, kids = {}, {}
        for sec in sections:
            head[sec.id] = (sec.start + enumerator_length(sec.heading), sec.start + len(sec.heading))
            kids.setdefault(sec.parent, []).append(sec)
        c_range = range(s["chars"][0], s["chars"][1] + 1) if s["chars"] else ()
        h_range = range(s["heading_chars"][0], s["heading_chars"][1] + 1) if s["heading_chars"] else ()
        x_range = range(CONTEXT_GRAMS[0], CONTEXT_GRAMS[1] + 1) if s["context"] == "chars" else ()
        grams, keywords = [], []
        extra = len(sections)                        # the next shared row
        title_row = parent_row = None
        if x_range and title:
            title_row, extra = extra, extra + 1
            grams += [(title_row, 2, n, title[0], title[1]) for n in x_range]
        if x_range:
            parent_row = {}
            for sec in sections:
                if sec.id in kids:
                    parent_row[sec.id], extra = extra, extra + 1
                    grams += [(parent_row[sec.id], 3, n, *head[sec.id]) for n in x_range]
        empty = extra
        shared = np.full((len(sections), 2), empty, dtype=np.int64)
        for row, sec in enumerate(sections):
            h0, h1 = head[sec.id]
            children = kids.get(sec.id, ())
            own_end = min(c.start for c in children) if children else sec.end
            b0, b1 = sec.body_start, max(own_end, sec.body_start)
            grams += [(row, 0, n, a, b) for n in c_range for a, b in ((h0, h1), (b0, b1))]
            grams += [(row, 1, n, h0, h1) for n in h_range]
            if x_range:
                grams += [(row, 4, n, *head[c.id]) for c in children for n in x_range]
                shared[row] = (empty if title_row is None else title_row, parent_row.get(sec.parent, empty))
            keywords += [(row, 0, h0, h1), (row, 0, b0, b1), (row, 1, h0, h1)]
            if children:
                keywords.append((row, 2, own_end, sec.end))
        return grams, keywords, shared

    def _bigrams(self, codes, han):
        """The id of the bigram at every offset but the last (see _bigram_table)."""
        if self.bigram_ids is None:
            return self._lookup(codes, han, 2, None)
        chars = self.bigram_chars[np.minimum(codes, _BMP - 1)]
        return self.bigram_ids[chars[:-1] * self.bigram_width + chars[1:]]

    def _lookup(self, codes, han, n, at):
        """The id of the n-gram (n = 2, 3) starting at each offset of `at` (None: every offset
        with n characters after it); `absent` if none."""
        keys = self.keys[n]
        if at is None:  # slices, not gathers, for the whole text
            m = len(codes) - n + 1
            valid, key = han[:m].copy(), codes[:m]
            for j in range(1, n):
                valid &= han[j:j + m]
                key = (key << _BITS) | codes[j:j + m]
        else:
            valid, key = han[at], codes[at]
            for j in range(1, n):
                valid = valid & han[at + j]
                key = (key << _BITS) | codes[at + j]
        if not len(keys):
            return np.full(len(key), self.absent, dtype=np.int32)
        found = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        return np.where(valid & (keys[found] == key), found + self.offset[n], self.absent)

    def _gram_terms(self, codes, han, spans, ids):
        """(row, column) of every n-gram inside the spans; trigrams are looked up only where a
        span asks for them (headings), the rest was looked up once for the whole text."""
        if not spans:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        row, kind, n, a, b = np.array(spans, dtype=np.int64).T
        lengths = np.maximum(b - a - n + 1, 0)
        pos, n_at = _expand(a, lengths), np.repeat(n, lengths)
        tri = pos[n_at == 3]
        if len(tri):
            ids[2, tri] = self._lookup(codes, han, 3, tri)
        return np.repeat(row, lengths), self.columns[np.repeat(kind, lengths), ids[n_at - 1, pos]]

    def _keyword_terms(self, codes, bigrams, spans):
        starts, ends, themes = self._keyword_hits(codes, bigrams)
        row, kind, a, b = np.array(spans, dtype=np.int64).T
        # the hits starting inside each span (a search, not all pairs: a long report has thousands
        # of both), kept if they end inside it too
        lo, hi = np.searchsorted(starts, a), np.searchsorted(starts, b)
        hit, span = _expand(lo, hi - lo), np.repeat(np.arange(len(a)), hi - lo)
        inside = ends[hit] <= b[span]
        return row[span[inside]], self.keyword_columns[kind[span[inside]], themes[hit[inside]]]

    def _keyword_hits(self, codes, bigrams):
        """(start, end, theme) of every keyword occurrence, sorted by start: candidates where a
        keyword's first bigram is, each checked against the keyword's code points."""
        at = np.flatnonzero(self.keyword_count[bigrams])
        bigram = bigrams[at]
        count = self.keyword_count[bigram]
        pos, word = np.repeat(at, count), _expand(self.keyword_first[bigram], count)
        width = self.keyword_codes.shape[1]
        window = codes[np.minimum(pos[:, None] + np.arange(width), len(codes) - 1)]
        expected = self.keyword_codes[word]
        ok = ((window == expected) | (expected < 0)).all(axis=1) & (pos + self.keyword_length[word] <= len(codes))
        return pos[ok], (pos + self.keyword_length[word])[ok], self.keyword_theme[word[ok]]


def weigh(rows, cols, counts, idf, kinds, sublinear_tf: bool, n_kinds: int | None = None):
    """tf-idf values of (row, column, count) triples, each row's kinds l2-normalised on their own
    (`kinds[c]` < `n_kinds` is column c's kind)."""
    tf = 1.0 + np.log(counts) if sublinear_tf else counts
    vals = tf * idf[cols]
    n_kinds = n_kinds or (int(kinds.max()) + 1 if len(kinds) else 1)
    block = rows * n_kinds + kinds[cols]
    norms = np.bincount(block, weights=vals * vals)
    return vals / np.sqrt(norms[block])


def row_scores(rows, cols, vals, weights, n: int, chunk: int = 1 << 17):
    """Per row r < n: the sum of vals[i] * weights[cols[i]] over the entries i of that row (`rows`
    sorted; rows without entries get 0). Long reports go in chunks of whole rows, so the (entries ×
    labels) products never take more than `chunk` rows of memory at once."""
    out = np.zeros((n, weights.shape[1]))
    edges = [0]
    while edges[-1] < len(rows):  # chunk ends moved forward to the next row boundary
        end = min(edges[-1] + chunk, len(rows))
        edges.append(int(np.searchsorted(rows, rows[end - 1], "right")) if end < len(rows) else end)
    for lo, hi in zip(edges, edges[1:]):
        r = rows[lo:hi]
        starts = np.concatenate(([0], np.flatnonzero(r[1:] != r[:-1]) + 1))
        out[r[starts]] = np.add.reduceat(weights[cols[lo:hi]] * vals[lo:hi, None], starts, axis=0)
    return out


def _expand(starts, lengths):
    """Concatenated ranges start..start+length-1, as one array."""
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets
