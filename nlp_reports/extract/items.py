"""Admitted problems and next-step measures, one item each, from the sections that hold them."""
from __future__ import annotations

import functools
import re

from ..resources import load
from ..results import Item, Section

_ENUM = re.compile(r"(?:(?<=^)|(?<=[。；，：\n]))\s*(?:[一二三四五六七八九十]是|（\d{1,2}）|\d{1,2}[.、](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩]|"
                   r"（[一二三四五六七八九十]{1,2}）|[一二三四五六七八九十]{1,2}、|第[一二三四五六七八九十]，|首先|其次|再次|最后)")
_LEAD_MARK = re.compile(r"\s*(?:[一二三四五六七八九十]是|（\d{1,2}）|\d{1,2}[.、](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩]|"
                        r"（[一二三四五六七八九十]{1,2}）|[一二三四五六七八九十]{1,2}[、.]|第[一二三四五六七八九十]+部分[、：]?)\s*")
_TRAIL = "。；，：\n "
_MIN_ITEM = 4


@functools.cache
def _cues():
    data = load("cues.yaml")
    return re.compile(data["list_openers"]), re.compile(data["next_in_body"]), re.compile(data["list_lead"])


def extract_items(text: str, sections: list[Section], role: str) -> list[Item]:
    """Items of every outermost section with `role` ('problems' or 'next_steps'). A problems
    section whose text turns to measures (…仍有不足：…。2024年，我们将：1、…) gives both."""
    items: list[Item] = []
    by_id = {s.id: s for s in sections}
    kids: dict = {}
    for s in sections:
        kids.setdefault(s.parent, []).append(s)
    next_in_body = _cues()[1]
    for sec in sections:
        if sec.parent is not None and by_id[sec.parent].role == sec.role:
            continue
        children = kids.get(sec.id, [])
        if sec.role == role and children:
            for child in children:
                items.append(_item(text, child.start, child.end, child.id))
            continue
        if children or sec.role not in ("problems", "next_steps"):
            continue
        lo = sec.start if sec.number is None else sec.body_start
        turn = next_in_body.search(text, lo, sec.end) if sec.role == "problems" else None
        if sec.role == role:
            items.extend(_split_body(text, lo, turn.start() if turn else sec.end, sec.id))
        elif turn and role == "next_steps":
            items.extend(_split_body(text, turn.end(), sec.end, sec.id))
    return [i for i in items if len(i.text) >= _MIN_ITEM]


def _item(text: str, start: int, end: int, section: int) -> Item:
    m = _LEAD_MARK.match(text, start)
    if m:
        start = m.end()
    while end > start and text[end - 1] in _TRAIL:
        end -= 1
    return Item(text=text[start:end], start=start, end=end, section=section)


def _split_body(text: str, start: int, end: int, section_id: int) -> list[Item]:
    body = text[start:end]
    opener_re, _, lead_re = _cues()
    marks = [m.start() for m in _ENUM.finditer(body)]
    if len(marks) >= 2:
        bounds = marks + [len(body)]
        return [_item(text, start + a, start + b, section_id) for a, b in zip(bounds, bounds[1:])]
    opener = opener_re.search(body) or lead_re.search(body)
    list_start = opener.end() if opener else 0
    # The list runs to the end of its paragraph; later paragraphs are items of their own.
    paragraph_end = body.find("\n", list_start)
    paragraph_end = len(body) if paragraph_end < 0 else paragraph_end
    pieces = [(list_start, paragraph_end)]
    if ";" in body or "；" in body[list_start:paragraph_end]:
        pieces = _split_at(body, list_start, paragraph_end, "；")
    lines = body[paragraph_end:].split("\n")
    pos = paragraph_end
    for line in lines:
        if line.strip():
            pieces.append((pos, pos + len(line)))
        pos += len(line) + 1
    return [_item(text, start + a, start + b, section_id) for a, b in pieces]


def _split_at(body: str, lo: int, hi: int, sep: str) -> list[tuple[int, int]]:
    out, pos = [], lo
    for part in body[lo:hi].split(sep):
        out.append((pos, pos + len(part)))
        pos += len(part) + 1
    return out
