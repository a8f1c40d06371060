"""Searching with Python's regex engine without paying for what it does not optimise.

The engine skips ahead to where a pattern can start only when the pattern opens with a literal or a
character class; anything else (an alternation of groups, a look-behind first, an anchor at the
end) is tried at every offset. These helpers give the same matches at a fraction of the cost."""
from __future__ import annotations

import re
import re._parser as sre_parse  # the parser of `re`, to read the literals a pattern requires

import _sre  # its unicode_iscased: the characters re.IGNORECASE folds

from .resources import alternation


_SHORT = 500  # characters


class FirstOf:
    """Patterns searched as if they were one alternation (p1|p2|…): the same matches, leftmost
    first and the earlier pattern at a tie, but each pattern scanned on its own, and not at all
    where none of the literals it requires (周年 for \\d{1,3}周年) occurs. The patterns must not
    match the empty string; `gate`, when given, must match inside every match of every pattern (a
    sharper test than their literals: 分之|[一二三四五六七八九]成 where 成 alone is in 完成)."""

    def __init__(self, patterns, gate: str | None = None):
        self.patterns = tuple(re.compile(p) if isinstance(p, str) else p for p in patterns)
        self.literals = tuple(() if p.flags & re.IGNORECASE else tuple(sorted(required_literals(p.pattern)))
                              for p in self.patterns)
        # When every pattern requires a literal, one search for any of them rules a text out.
        if gate is None and all(self.literals):
            gate = alternation(set().union(*self.literals))
        self.gate = re.compile(gate) if gate is not None else None

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None):
        endpos = len(text) if endpos is None else endpos
        if self.gate is not None and not self.gate.search(text, pos, endpos):
            return
        patterns = self.patterns
        if endpos - pos > _SHORT:  # in a short window the finds would cost more than the searches they save
            patterns = [p for p, literals in zip(patterns, self.literals)
                        if not literals or any(text.find(lit, pos, endpos) >= 0 for lit in literals)]
        ahead = [p.search(text, pos, endpos) for p in patterns]  # each pattern's next match
        while True:
            best = None
            for i, m in enumerate(ahead):
                if m is not None and m.start() < pos:  # overlapped by the match just given
                    m = ahead[i] = patterns[i].search(text, pos, endpos)
                if m is not None and (best is None or m.start() < best.start()):
                    best = m
            if best is None:
                return
            yield best
            pos = best.end()

    def search(self, text: str, pos: int = 0, endpos: int | None = None):
        return next(self.finditer(text, pos, endpos), None)


class Tail:
    """A pattern of words anchored at the end (w1|w2|…$, or (…)+$ with `repeat`) that knows the
    characters its matches end with: a string ending otherwise is answered at once, where the
    engine would try the pattern at every offset of it."""

    def __init__(self, words, repeat: bool = False):
        words = [str(w) for w in words]
        self.pattern = re.compile(rf"(?:{alternation(words)}){'+' if repeat else ''}$")
        self.last = frozenset(w[-1] for w in words if w) | {"\n"}  # $ also matches before a final \n

    def search(self, text: str, pos: int = 0, endpos: int | None = None):
        end = len(text) if endpos is None else endpos
        if text[end - 1:end] not in self.last or end <= pos:
            return None
        return self.pattern.search(text, pos, end)

    def sub(self, repl: str, text: str) -> str:
        return self.pattern.sub(repl, text) if text[-1:] in self.last else text


def after_last(mark: re.Pattern, text: str, lo: int, hi: int) -> int:
    """The offset after the last `mark` (a one-character class) in text[lo:hi], else `lo`. Searched
    in the reversed window, where the first hit is the last mark: a forward search for the last one
    would look ahead from every mark."""
    m = mark.search(text[lo:hi][::-1])
    return hi - m.start() if m else lo


def next_starts(mark: re.Pattern, text: str, offsets: list[int]) -> list[int]:
    """Per offset (ascending), where the first match of `mark` at or after it starts, else
    len(text). A search is made only from an offset past the last match found, so no stretch of
    text is searched twice (a search from every offset would be quadratic in a text without marks).

    >>> next_starts(re.compile("。"), "一。二三。四", [0, 1, 2, 3, 5])
    [1, 1, 4, 4, 6]
    """
    starts, found = [], -1
    for pos in offsets:
        if pos > found:
            m = mark.search(text, pos)
            found = m.start() if m else len(text)
        starts.append(found)
    return starts


def gate(patterns, flags: int = 0) -> re.Pattern:
    """A pattern for the literals one of which a match of any of `patterns` (compiled with `flags`)
    holds; it matches everywhere when one of them requires none."""
    literals = [required_literals(p) for p in patterns]
    return re.compile(alternation(set().union(*literals)) if all(literals) else "", flags)


def gates(patterns, flags: int = 0) -> tuple[re.Pattern, ...]:
    """Like `gate`, as patterns one of which finds a literal wherever a match may be; under
    re.IGNORECASE the literals without a cased letter (下载, 版权所有) are searched in a pattern of
    their own without the flag, which they do not need and which keeps the engine from skipping
    ahead to where a literal can start (ten times slower on a Chinese text).

    >>> [(g.pattern, bool(g.flags & re.I)) for g in gates(["下载", "copyright"], re.I)]
    [('下载', False), ('copyright', True)]
    """
    literals = [required_literals(p) for p in patterns]
    if not all(literals):
        return (re.compile("", flags),)
    every = set().union(*literals)
    cased = {lit for lit in every if flags & re.IGNORECASE and any(map(_sre.unicode_iscased, map(ord, lit)))}
    return tuple(re.compile(alternation(part), f) for part, f in ((every - cased, flags & ~re.IGNORECASE),
                                                                   (cased, flags)) if part)


def anchored_at_start(pattern: str) -> bool:
    """Whether every match of `pattern` starts at the start of the text (it opens with ^ outside
    any alternation).

    >>> anchored_at_start("^第[一二三]页"), anchored_at_start("^a|b"), anchored_at_start("(?:^a)")
    (True, False, False)
    """
    parsed = sre_parse.parse(pattern)
    return len(parsed) > 0 and parsed[0] == (sre_parse.AT, sre_parse.AT_BEGINNING) and pattern.startswith("^")


def required_literals(pattern: str) -> set[str]:
    """Literals one of which every match of `pattern` contains (the best such set found), or an
    empty set when nothing is known.

    >>> sorted(required_literals("(?:排查|调处)(?:各类)?矛盾纠纷#"))
    ['矛盾纠纷#']
    >>> sorted(required_literals("(?:发放|派发)(?:了)?#")), required_literals("A?")
    (['发放', '派发'], set())
    """
    try:
        return _required(sre_parse.parse(pattern)) or set()
    except re.error:
        return set()


def _required(items) -> set[str] | None:
    """The best literal set of a parsed sequence: its plain runs, and its mandatory groups,
    branches and repeats; the set whose shortest literal is longest wins."""
    options, run = [], ""
    for op, av in items:
        if op is sre_parse.LITERAL:
            run += chr(av)
            continue
        if run:
            options.append({run})
        run = ""
        if op is sre_parse.SUBPATTERN:
            options.append(None if av[1] & re.IGNORECASE else _required(av[-1]))  # (?i:…) holds no exact literal
        elif op is sre_parse.BRANCH:
            branches = [_required(b) for b in av[1]]
            options.append(set().union(*branches) if all(branches) else None)
        elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT) and av[0] >= 1:
            options.append(_required(av[2]))
    if run:
        options.append({run})
    options = [o for o in options if o]
    return max(options, key=lambda o: (min(map(len, o)), -len(o)), default=None)
