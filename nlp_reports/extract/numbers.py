"""Numeral text → value. Pure functions, no lexicons.

>>> parse_number("1,200")
1200.0
>>> parse_number("三十")
30.0
>>> parse_number("一万二千")
12000.0
>>> parse_number("二〇二三")
2023.0
>>> scale("1.2", "万")
12000.0
>>> parse_number("九十九点五"), parse_number("千")
(99.5, 1000.0)
"""
from __future__ import annotations

import re

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_BIG = {"万": 10_000, "亿": 100_000_000}
MULTIPLIERS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000,
               "千万": 10_000_000, "百万": 1_000_000, "十万": 100_000, "万亿": 1e12}

# A numeral starts only where a run of its characters starts, and is bounded in length: a match
# tried at every position of a long run (an ID, a row of digits) would be quadratic.
# The first character is matched before the look-behind (\d(?<!\d\d): the one before it is no
# digit), which lets the engine skip quickly to where a numeral may start.
_ARABIC_FIRST, _CHINESE_FIRST, _BARE_FIRST = r"\d", "[零〇一二两三四五六七八九十]", "[百千万]"
ARABIC = _ARABIC_FIRST + r"(?<!\d\d)\d{0,15}(?:,\d{3}){0,5}(?:\.\d{1,8})?"
CHINESE = (_CHINESE_FIRST + r"(?<![零〇一二两三四五六七八九十百千万亿][零〇一二两三四五六七八九十])"
           r"[零〇一二两三四五六七八九十百千万亿]{0,15}(?:点[零〇一二三四五六七八九]{1,6})?")
# A multiplier standing for its own value, only where a qualifier says it is a number: 千余名,
# 百余人, 近百名, 逾万人次, 上千份, 数百人 (never 百姓, 千家万户, 万一).
# The multiplier is matched first and looked behind from there, which keeps the scan fast.
BARE = (_BARE_FIRST + r"(?:(?<![零〇一二两三四五六七八九十百千万亿\d][百千万])(?=[余多])"
        r"|(?<=[近逾约超上数][百千万])(?![余多]|分之))")


def _one_of(*numerals: tuple[str, str]) -> str:
    """(first class, pattern) numerals as one pattern opening with the union of their first classes,
    each branch looking behind at the character matched: the same matches as first|second|…, which
    the engine would try at every offset of a text."""
    classes = "".join(first[1:-1] if first.startswith("[") else first for first, _ in numerals)
    return f"[{classes}](?:" + "|".join(f"(?<={first}){pattern[len(first):]}" for first, pattern in numerals) + ")"


# ARABIC|CHINESE|BARE
NUMERAL = _one_of((_ARABIC_FIRST, ARABIC), (_CHINESE_FIRST, CHINESE), (_BARE_FIRST, BARE))
_ARABIC_RE = re.compile(rf"^{ARABIC}$")


def parse_chinese(text: str) -> float:
    """Value of a Chinese numeral: 十一, 二十三, 一百二十, 三千, 一万二千, 两, 二〇二三 (digit by digit),
    九十九点五 (decimals after 点), and a bare multiplier 千 or 万 (千余名, 逾万人次)."""
    whole, dot, decimals = text.partition("点")
    if dot:
        if not decimals or not all(ch in CN_DIGITS for ch in decimals):
            raise ValueError(f"not a Chinese numeral: {text!r}")
        return parse_chinese(whole) + float("0." + "".join(str(CN_DIGITS[ch]) for ch in decimals))
    if text in CN_UNITS or text in CN_BIG:
        return float(CN_UNITS.get(text) or CN_BIG[text])
    if all(ch in CN_DIGITS for ch in text) and len(text) > 1:
        return float("".join(str(CN_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            section += (1 if digit is None else digit) * CN_UNITS[ch]
            digit = None
        elif ch in CN_BIG:
            section += digit or 0
            total = (total + section) * CN_BIG[ch] if ch == "亿" else total + section * CN_BIG[ch]
            section, digit = 0, None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    section += digit or 0
    # 一万二 means 12000: a bare final digit after a big unit counts in the next lower place.
    if digit and len(text) >= 3 and text[-2] in CN_BIG:
        section = digit * CN_BIG[text[-2]] // 10
    elif digit and len(text) >= 3 and text[-2] in CN_UNITS and text[-2] != "十":
        section = section - digit + digit * CN_UNITS[text[-2]] // 10
    return float(total + section)


def parse_number(text: str) -> float:
    """Value of an Arabic (with thousands separators) or Chinese numeral."""
    if text.isdecimal() and len(text) <= 16:  # plain digits (most figures): what _ARABIC_RE matches without it
        return float(text)
    if _ARABIC_RE.match(text):
        return float(text.replace(",", ""))
    return parse_chinese(text)


def scale(number: str, multiplier: str | None) -> float:
    """`number` times a written multiplier (万, 亿, 千, 百万 …), rounded to remove float noise."""
    value = parse_number(number)
    if multiplier:
        value *= MULTIPLIERS[multiplier]
    return round(value, 6)
