"""Small str → str steps that turn scraped report text into the canonical text all offsets refer to.

Digits, Latin letters and the signs that matter for numbers (% + . / -) are folded to ASCII;
clause punctuation is folded to the Chinese full-width forms, so later patterns need one form only.
"""
from __future__ import annotations

import functools
import re
import unicodedata

from .matching import anchored_at_start, gates
from .resources import load

_CJK = "\u4e00-\u9fff\u3400-\u4dbf"
# Full-width forms folded to ASCII (digits, letters and number signs).
_TO_ASCII = {chr(0xFF10 + i): str(i) for i in range(10)}
_TO_ASCII.update({chr(0xFF21 + i): chr(0x41 + i) for i in range(26)})
_TO_ASCII.update({chr(0xFF41 + i): chr(0x61 + i) for i in range(26)})
_TO_ASCII.update({"％": "%", "＋": "+", "．": ".", "／": "/", "－": "-", "～": "~", "＝": "=", "＜": "<",
                  "＞": ">", "＃": "#", "＆": "&", "＊": "*", "＠": "@", "﹪": "%", "٪": "%",
                  "\u3000": " ", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ",
                  "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u2060": "",
                  "﹐": "，", "﹔": "；", "﹕": "：", "﹙": "（", "﹚": "）", "〔": "〔",
                  "(": "（", ")": "）", ";": "；", "!": "！", "?": "？", "\t": " "})


@functools.cache
def _table() -> tuple[dict, re.Pattern]:
    """(translate table, pattern of runs of the characters it changes): str.translate looks every
    character up in the dict, so only the few runs that need it are translated."""
    table = {ord(k): v for k, v in _TO_ASCII.items()}
    for ch in map(chr, range(0x2F00, 0x2FD6)):  # Kangxi radicals: NFKC knows their ordinary forms
        table[ord(ch)] = unicodedata.normalize("NFKC", ch)
    for pair in load("normalise.yaml")["radicals"].split():
        table[ord(pair[0])] = pair[1]
    return table, re.compile(f"[{_char_class(table)}]+")


def _char_class(codes) -> str:
    """The body of a [...] class holding the code points `codes`, as ranges."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


@functools.cache
def _patterns():
    data = load("normalise.yaml")
    return (re.compile("|".join(data["markers"]), re.I),
            _Boiler(data["boiler_lines"]),
            re.compile(data["page_fragments"]),
            re.compile(data["line_breaks"]))


class _Boiler:
    """Which lines are site furniture. The patterns anchored at the start are matched there only
    (in one alternation with the others they would be tried at every offset); the others only on a
    line that holds one of the literals they require."""

    def __init__(self, patterns: list[str]):
        anchored = [p[1:] for p in patterns if anchored_at_start(p)]
        floating = [p for p in patterns if not anchored_at_start(p)]
        self.at_start = re.compile("|".join(f"(?:{p})" for p in anchored) or "(?!)", re.I).match
        self.anywhere = re.compile("|".join(f"(?:{p})" for p in floating) or "(?!)", re.I).search
        self.gates = gates(floating, re.I) if floating else ()

    def dropped(self, lines: list[str]) -> list[bool]:
        whole = "\n".join(lines)
        gates = [g for g in self.gates if g.search(whole)]  # most texts hold none of the literals
        return [bool(self.at_start(line) or gates and any(g.search(line) for g in gates) and self.anywhere(line))
                for line in lines]


# Patterns start with the character they are about, so that the engine skips to it (a pattern
# opening with a look-behind is tried at every offset).
_THOUSANDS = re.compile(r"[，,](?<=\d[，,])(?=\d{3}(?!\d))")
_COMMA = re.compile(r",(?:(?!\d{3}(?!\d))|(?<!\d,))")
_COLON = re.compile(r":(?:(?<!\d:)|(?!\d))")
_FULLSTOP = re.compile(rf"\.(?<=[{_CJK}”）]\.)(?=[{_CJK}“（\s]|$)", re.M)
_SPACES = re.compile(r"[ ]+")
_INNER_SPACE = re.compile(r" (?:(?<![A-Za-z] ) *| *(?![A-Za-z]))")  # spaces not between two letters
_LINE_END = "。！？；：”」』…"
_HEADING_START = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|（[一二三四五六七八九十\d]+）|\d+[.、]|第[一二三四五六七八九十]+[部章节]|[一二三四五六七八九十]是)")


@functools.cache
def _traditional():
    """(translate table, set of the characters used only in traditional script), from OpenCC's
    maintained TSCharacters dictionary (first candidate of each one-character mapping)."""
    from importlib import resources

    lines = resources.files("opencc").joinpath("dictionary/TSCharacters.txt").read_text(encoding="utf-8")
    table = {}
    for line in lines.splitlines():
        trad, _, simple = line.partition("\t")
        first = simple.split(" ")[0] if simple else ""
        if len(trad) == 1 and len(first) == 1 and trad != first:
            table[ord(trad)] = first
    simplified = {ord(ch) for ch in table.values()}
    return table, frozenset(chr(k) for k in table if k not in simplified)


_TRADITIONAL_SHARE = 0.01  # of CJK characters; simplified text has next to none
_CJK_RUN = re.compile(rf"[{_CJK}]")


def fold_traditional(text: str) -> str:
    """Traditional script → simplified, character by character (offsets unchanged), only when the
    text is written in traditional script: simplified text is left exactly as it is."""
    table, only_traditional = _traditional()
    sample = text[:20000]
    present = only_traditional.intersection(sample)  # set operations run in C; a regex class is slow
    hits = sum(map(sample.count, present))
    # A short text (a table cell, one sentence) has few characters to tell by: two traditional-only
    # ones that make a tenth of it are enough; one stray 乾 in a simplified sentence is not.
    short = hits >= 2 and hits >= 0.1 * len(_CJK_RUN.findall(sample[:200]))
    if not short and (hits < 3 or hits < _TRADITIONAL_SHARE * len(sample) / 2):
        return text
    return text.translate(table)


def fold_characters(text: str) -> str:
    """Full-width digits/letters/signs to ASCII, look-alike radicals to ordinary characters."""
    table, runs = _table()
    text = runs.sub(lambda m: m.group().translate(table), text)
    return _THOUSANDS.sub(",", text)


def fold_punctuation(text: str) -> str:
    """ASCII clause punctuation written in Chinese text → the full-width forms (keeps 1,200 and 8:30)."""
    text = _COMMA.sub("，", text)
    text = _COLON.sub("：", text)
    return _FULLSTOP.sub("。", text)


def strip_markers(text: str) -> str:
    """Scrape markers such as ##paidbegin## removed wherever they stand, even inside a word."""
    return _patterns()[0].sub("", text)


def mark_line_breaks(text: str) -> str:
    """Characters that stand for a line break (U+2028, Word bullets, a stray Р) become one."""
    return _patterns()[3].sub("\n", text)


def tidy_lines(text: str) -> str:
    """One paragraph per line: boiler lines dropped, wrapped lines joined, spaces tidied."""
    _, boiler, fragment, _ = _patterns()
    lines = [fragment.sub("", _tidy_spaces(line.strip())) for line in re.split(r"\r\n|\r|\n", text)]
    paragraphs: list[list[str]] = []  # pieces joined once at the end: += on long lines is quadratic
    for line, dropped in zip(lines, boiler.dropped(lines)):
        if not line or dropped:
            continue
        if paragraphs and _continues(paragraphs[-1], line):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return "\n".join("".join(p) for p in paragraphs)


def _tidy_spaces(line: str) -> str:
    return _INNER_SPACE.sub("", _SPACES.sub(" ", line)) if " " in line else line


_BARE_NUMBER = re.compile(r"\d{1,12}(?:[.,]\d{1,6})*%?")


def _continues(pieces: list[str], line: str) -> bool:
    """True when `line` is the rest of a sentence that a line break cut (not a new paragraph)."""
    previous = pieces[-1]
    if previous[-1] in _LINE_END:
        return False
    # A page that sets its figures apart (…主动公开政府信息 / 5928 / 条，全文电子化率达 / 90.3% / ，其中…):
    # a number alone on a line, the line after it, and a line opening with a comma go on the sentence.
    if line[0] in "，、；：）%" or _BARE_NUMBER.fullmatch(line) or _BARE_NUMBER.fullmatch(previous):
        return True
    if _HEADING_START.match(line):
        return False
    if previous[-1] in "，、（“《" or previous[-1].isdigit() and line[0].isdigit():
        return True
    # A long line that stops without punctuation was wrapped; a short one is a heading or title.
    return (len(previous) >= 36 or len(pieces) > 1) and line[0] not in "一二三四五六七八九十（第"


def normalise(text: str) -> str:
    """The canonical text: every offset the toolkit reports refers to this string."""
    text = tidy_lines(fold_punctuation(mark_line_breaks(strip_markers(fold_traditional(fold_characters(text))))))
    # A stop that tidying brought next to a Chinese character (“） .” → “）.”) is folded too, so
    # that normalising the result again changes nothing.
    return _FULLSTOP.sub("。", text)
