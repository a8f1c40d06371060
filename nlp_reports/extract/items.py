"""Admitted problems and next-step measures, one item each, from the sections that hold them."""
from __future__ import annotations

import functools
import re

from ..resources import load
from ..results import Item, Section

_CN = "一二三四五六七八九十"
_BULLETS = "•●■◆▪▶►◇□"
# Where an item begins: an enumerator after the start, a stop or a line break.
_ENUM = re.compile(rf"(?:(?<=^)|(?<=[。；，：.\n]))\s*(?:[{_CN}]是|（\d{{1,2}}）|\d{{1,2}}[.、](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩]|"
                   rf"（[{_CN}]{{1,2}}）|[{_CN}]{{1,2}}、|第[{_CN}]，|首先|其次|再次|最后|[{_BULLETS}])")
_LEAD_MARK = re.compile(rf"\s*(?:[{_CN}]是|（\d{{1,2}}）|\d{{1,2}}[.、](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩]|"
                        rf"（[{_CN}]{{1,2}}）|[{_CN}]{{1,2}}[、.。]|第[{_CN}]+部分[、：]?|[{_BULLETS}])\s*")
_TRAIL = "。；，：.\n "
_MIN_ITEM = 4


@functools.cache
def _cues():
    data = load("cues.yaml")
    return re.compile(data["list_openers"]), re.compile(data["next_in_body"]), re.compile(data["list_lead"])


def extract_items(text: str, sections: list[Section], role: str) -> list[Item]:
    """Items of every outermost section with `role` ('problems' or 'next_steps'). A problems
    section whose text turns to measures (…仍有不足：…。2024年，我们将：1、…) gives both."""
    by_id = {s.id: s for s in sections}
    kids: dict = {}
    for s in sections:
        kids.setdefault(s.parent, []).append(s)
    items: list[Item] = []
    for sec in sections:
        if sec.parent is not None and by_id[sec.parent].role == sec.role:
            continue  # reached from its parent
        if sec.role == role:
            items.extend(_items_of(text, sec, kids, role))
        elif sec.role == "problems" and role == "next_steps" and not kids.get(sec.id):
            turn = _cues()[1].search(text, _body(sec, text), sec.end)
            if turn:
                items.extend(_split_body(text, turn.end(), sec.end, sec.id))
    return [i for i in items if len(i.text) >= _MIN_ITEM]


def _body(sec: Section, text: str) -> int:
    # An unheaded part's heading is its own first clause (下一步，…：一是…): the list is read whole.
    unheaded = sec.number is None and text[sec.body_start:sec.body_start + 1] not in ("\n", "")
    return sec.start if unheaded else sec.body_start


def _items_of(text: str, sec: Section, kids: dict, role: str) -> list[Item]:
    children = kids.get(sec.id, [])
    if not children:
        turn = _cues()[1].search(text, _body(sec, text), sec.end) if role == "problems" else None
        return _split_body(text, _body(sec, text), turn.start() if turn else sec.end, sec.id)
    if all(c.role == role for c in children):
        return [item for c in children for item in _child_items(text, c)]
    # 存在的问题及下一步打算: only the children of this role hold its items
    out: list[Item] = []
    for child in children:
        if child.role == role:
            out.extend(_items_of(text, child, kids, role))
    return out


def _child_items(text: str, child: Section) -> list[Item]:
    """A sub-section is one item, unless it is one paragraph that runs on into the next items
    (一是抓好收支平衡。…。二是强化项目管理。…): then each is one."""
    if "\n" not in text[child.start:child.end].strip():
        marks = [m.start() for m in _ENUM.finditer(text, child.start, child.end)]
        if len(marks) >= 2:
            bounds = zip(marks, marks[1:] + [child.end])
            return [_item(text, a, b, child.id) for a, b in bounds]
    return [_item(text, child.start, child.end, child.id)]


def _item(text: str, start: int, end: int, section: int) -> Item:
    m = _LEAD_MARK.match(text, start)
    if m:
        start = m.end()
    while end > start and text[end - 1] in _TRAIL:
        end -= 1
    return Item(text=text[start:end], start=start, end=end, section=section)


def _split_body(text: str, start: int, end: int, section_id: int) -> list[Item]:
    while start < end and text[start] == "\n":  # the body starts on the line after its heading
        start += 1
    body = text[start:end]
    marks = [m.start() for m in _ENUM.finditer(body)]
    if len(marks) >= 2:
        return [_item(text, start + a, start + b, section_id) for a, b in _enumerated(body, marks)]
    opener_re, _, lead_re = _cues()
    first_end = body.find("\n")
    first_end = len(body) if first_end < 0 else first_end
    opener = opener_re.search(body, 0, first_end) or lead_re.search(body, 0, first_end)
    pos = opener.end() if opener and body[opener.end():].strip() else 0  # a lone sentence is the item
    pieces = []
    # Every paragraph is an item, or several when it runs them together with ；.
    while pos < len(body):
        stop = body.find("\n", pos)
        stop = len(body) if stop < 0 else stop
        pieces.extend(_split_at(body, pos, stop, "；"))
        pos = stop + 1
    return [_item(text, start + a, start + b, section_id) for a, b in pieces]


def _enumerated(body: str, marks: list[int]) -> list[tuple[int, int]]:
    """Mark to next mark. The last item ends with its paragraph when every other item is one
    paragraph at most: what follows (我们将以此次自查为契机…) closes the part, it is no measure."""
    bounds = list(zip(marks, marks[1:] + [len(body)]))
    multi = any("\n" in body[a:b].strip() for a, b in bounds[:-1])
    a, b = bounds[-1]
    stop = body.find("\n", a + 1, b)  # a may stand on the line break before the mark
    if stop >= 0 and not multi:
        bounds[-1] = (a, stop)
    return bounds


def _split_at(body: str, lo: int, hi: int, sep: str) -> list[tuple[int, int]]:
    out, pos = [], lo
    for part in body[lo:hi].split(sep):
        out.append((pos, pos + len(part)))
        pos += len(part) + 1
    return out
