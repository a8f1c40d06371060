"""One tokenizer object with two interchangeable backends that give the same words:
jieba-rs through `rjieba` (fast, the default when installed) and `jieba` (the reference).
Both load the package's domain user dictionary; neither touches jieba's module-level global."""
from __future__ import annotations

import functools
import logging

from .errors import DataError
from .resources import data_path, load

BACKENDS = ("rjieba", "jieba")


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
        return self._cut(text)


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
