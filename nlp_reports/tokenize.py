"""One tokenizer object with two interchangeable backends that give the same words:
jieba-rs through `rjieba` (fast, the default when installed) and `jieba` (the reference).
Both load the package's domain user dictionary; neither touches jieba's module-level global."""
from __future__ import annotations

import functools
import logging
import re

from .errors import DataError
from .resources import data_path, load

BACKENDS = ("rjieba", "jieba")
# jieba-rs keeps "1-11" whole where jieba splits it into 1 / - / 11; split such tokens the way
# jieba does so that both backends give the same words.
_JOINERS = re.compile(r"[-+#&_]")
_PIECES = re.compile(r"[A-Za-z0-9]+(?:\.\d+)?%?|.", re.S)


class Tokenizer:
    """`Tokenizer(backend).cut(text)` → list of words, HMM on, user dictionary loaded."""

    def __init__(self, backend: str | None = None):
        self.backend = backend or default_backend()
        if self.backend not in BACKENDS:
            raise DataError(f"unknown tokenizer backend {self.backend!r}; expected one of {', '.join(BACKENDS)}")
        self._impl = None

    def _load(self):
        entries = [line.split() for line in load("userdict.txt")]
        if self.backend == "rjieba":
            import rjieba

            impl = rjieba.Jieba()
            for word, freq, *tag in entries:
                impl.add_word(word, int(freq), tag[0] if tag else None)
            self._cut = lambda text: impl.cut(text, True)
        else:
            import jieba

            logging.getLogger("jieba").setLevel(logging.WARNING)
            impl = jieba.Tokenizer()
            with data_path("userdict.txt").open("rb") as fh:
                impl.load_userdict(fh)
            self._cut = lambda text: list(impl.cut(text, HMM=True))
        self._impl = impl

    def cut(self, text: str) -> list[str]:
        if self._impl is None:
            self._load()
        words = self._cut(text)
        if not _JOINERS.search(text):
            return words
        out = []
        for w in words:
            if len(w) > 1 and w[0].isascii() and _JOINERS.search(w):
                out.extend(_PIECES.findall(w))
            else:
                out.append(w)
        return out


def default_backend() -> str:
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return "jieba"
    return "rjieba"


@functools.cache
def get_tokenizer(backend: str | None = None) -> Tokenizer:
    """The shared tokenizer of a backend (built once per process)."""
    return Tokenizer(backend)
