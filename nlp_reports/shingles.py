"""Near-verbatim sentences across reports: character shingles, MinHash signatures, LSH band keys.

A sentence is cut into overlapping character 4-grams after dropping punctuation and spaces and
writing every digit as 0 (copied boilerplate with this year's numbers is still copied). Its MinHash
signature has NUM_PERM values; BANDS bands of ROWS values each are hashed to one 64-bit key. Two
sentences that share a band key are candidates; they count as the same sentence when the share of
equal signature values (an estimate of the Jaccard similarity of their shingle sets) is at least
THRESHOLD. With 10 bands of 6 rows a pair with Jaccard 0.8 becomes a candidate with probability
0.95, one with Jaccard 0.5 with probability 0.15 (and is then rejected by the signature check). Everything here is deterministic across
processes and machines (no Python `hash`, no random seed), so signatures made by any worker can be compared.
"""
from __future__ import annotations

import re

import numpy as np

NUM_PERM = 60
BANDS, ROWS = 10, 6
THRESHOLD = 0.8
SHINGLE = 4
MIN_CHARS = 12  # shorter sentences (headings, "一、基本情况") are not evidence of copying
_BLOCK = 1 << 15  # windows hashed per matrix (15 MB)

_rng = np.random.RandomState(20240601)  # fixed: signatures must match across processes and runs
_A = _rng.randint(1, 2**63 - 1, size=NUM_PERM, dtype=np.int64).astype(np.uint64) | np.uint64(1)
_B = _rng.randint(0, 2**63 - 1, size=NUM_PERM, dtype=np.int64).astype(np.uint64)
_BAND_MIX = _rng.randint(1, 2**62, size=(BANDS, ROWS), dtype=np.int64).astype(np.uint64) | np.uint64(1)
_DROP = re.compile(r"[\s\W_]+")
_DIGIT = re.compile(r"\d")


def canonical(sentence: str) -> str:
    """The form that is shingled.

    >>> canonical("全年共办理案件123件，同比增长5.2%。")
    '全年共办理案件000件同比增长00'
    """
    return _DIGIT.sub("0", _DROP.sub("", sentence))


_K = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F], dtype=np.uint64)
_MIX = np.uint64(0xFF51AFD7ED558CCD)


def _window_hashes(cps: np.ndarray) -> np.ndarray:
    """32-bit hashes of every SHINGLE-character window of the code points `cps` (vectorised)."""
    n = len(cps) - SHINGLE + 1
    with np.errstate(over="ignore"):
        h = sum(cps[i:i + n] * _K[i] for i in range(SHINGLE))
        h ^= h >> np.uint64(29)
        h *= _MIX
        h ^= h >> np.uint64(32)
    return h & np.uint64(0xFFFFFFFF)


def signatures(text: str, spans) -> list[tuple[int, int, int, np.ndarray]]:
    """(number, start, end, signature uint32[NUM_PERM]) of each sentence long enough to compare;
    `number` is the sentence's index in `spans`."""
    kept, canon = [], []
    for no, (start, end) in enumerate(spans):
        s = canonical(text[start:end])
        if len(s) >= MIN_CHARS:
            kept.append((no, start, end))
            canon.append(s)
    if not kept:
        return []
    # All sentences in one array, hashed at once; the windows that cross from one sentence into
    # the next are then left out.
    cps = np.frombuffer("".join(canon).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter(map(len, canon), dtype=np.int64, count=len(canon))
    counts = lengths - SHINGLE + 1
    bounds = np.cumsum(counts) - counts
    first = np.cumsum(lengths) - lengths
    windows = np.repeat(first - bounds, counts) + np.arange(int(counts.sum()))
    hv = _window_hashes(cps)[windows]
    owner = np.repeat(np.arange(len(kept)), counts)  # the sentence of each window
    sigs = np.full((len(kept), NUM_PERM), np.iinfo(np.uint64).max, dtype=np.uint64)
    # The matrix (shingles × NUM_PERM, 480 bytes a character) is made a block of rows at a time,
    # so memory stays bounded for a report of millions of characters or one endless sentence.
    for lo in range(0, len(hv), _BLOCK):
        own = owner[lo:lo + _BLOCK]
        # Multiply-shift hashing (Dietzfelbinger): the high 32 bits of a·x + b mod 2^64, a odd.
        with np.errstate(over="ignore"):
            perm = hv[lo:lo + _BLOCK, None] * _A[None, :]
            perm += _B[None, :]  # in place: this matrix is most of the work
            perm >>= np.uint64(32)
        firsts = np.flatnonzero(np.r_[True, own[1:] != own[:-1]])
        ids = own[firsts]
        sigs[ids] = np.minimum(sigs[ids], np.minimum.reduceat(perm, firsts, axis=0))
    sigs = sigs.astype(np.uint32)
    return [(no, start, end, sigs[i]) for i, (no, start, end) in enumerate(kept)]


def sentence_records(text: str, spans) -> list[tuple[int, int, int, bytes, list[int]]]:
    """What the store keeps of each comparable sentence: (number, start, end, signature bytes, band keys)."""
    sigs = signatures(text, spans)
    if not sigs:
        return []
    matrix = np.stack([sig for *_rest, sig in sigs]).astype(np.uint64).reshape(len(sigs), BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = (matrix * _BAND_MIX[None]).sum(axis=2) + np.arange(BANDS, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    keys = keys.view(np.int64).tolist()
    return [(no, start, end, sig.tobytes(), keys[i]) for i, (no, start, end, sig) in enumerate(sigs)]


def band_keys(signature: np.ndarray) -> list[int]:
    """BANDS signed 64-bit keys (SQLite INTEGER), the band number mixed in so bands never collide."""
    sig = signature.astype(np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        mixed = (sig * _BAND_MIX).sum(axis=1) + np.arange(BANDS, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return mixed.view(np.int64).tolist()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two stored signatures (uint32 bytes)."""
    return int(np.count_nonzero(np.frombuffer(a, dtype=np.uint32) == np.frombuffer(b, dtype=np.uint32))) / NUM_PERM
