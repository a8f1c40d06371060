"""Sections, roles and sentences of a normalised report (one paragraph per line)."""
from __future__ import annotations

import functools
import re

from .resources import load
from .results import Section

CN = "一二三四五六七八九十"
# (style, pattern): the style names a numbering habit; levels are given by the order styles appear.
_MARKERS = [
    ("part", re.compile(rf"^第([{CN}]{{1,3}})(?:部分|章|篇)[、：:\s]*")),
    ("cn", re.compile(rf"^([{CN}]{{1,3}})[、.]\s*")),
    ("paren_cn", re.compile(rf"^（([{CN}]{{1,3}})）[、.]?\s*")),
    ("num", re.compile(r"^(\d{1,2})(?:[、]|\.(?!\d)|）)\s*")),
    ("paren_num", re.compile(r"^（(\d{1,2})）\s*")),
    ("enum", re.compile(rf"^([{CN}])是")),
]
_SENTENCE_END = re.compile(r"[。！？]")
_LEAD = re.compile(r"^[^。！？：；]{2,45}?[。！？：]")
# The next item of the same numbering style later in the same line.
_REPEATS = {
    "enum": re.compile(rf"[；，。：][{CN}]是"),
    "paren_num": re.compile(r"（\d{1,2}）"),
    "paren_cn": re.compile(rf"[；，。：]（[{CN}]{{1,3}}）"),
    "num": re.compile(r"[；。]\d{1,2}[、.](?!\d)"),
}
_TERMINAL = "。；，、！？"
_DATE_LINE = re.compile(r"^(?:\d{4}|20[xX]{2}|二〇[一二三四五六七八九〇]{2})年(?:\d{1,2}|[xX]{1,2}|[一二三四五六七八九十]{1,2})?月?(?:\d{1,2}|[xX]{1,2}|[一二三四五六七八九十]{1,3})?日?$")
_UNIT_LINE = re.compile(r"(?:人民政府|委员会|党委|党组|办事处|党工委|局|办公室|管委会|中心|政府|领导小组)$")
_MAX_HEADING = 45


@functools.cache
def _cues():
    data = load("cues.yaml")
    roles = {k: re.compile(v) for k, v in data["roles"].items()}
    openers = {k: re.compile(v) for k, v in data["part_openers"].items()}
    return roles, openers


def lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty line."""
    spans, pos = [], 0
    for line in text.split("\n"):
        if line:
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: split at 。！？ and line ends; the end includes the stop."""
    spans = []
    for start, end in lines(text):
        s = start
        for m in _SENTENCE_END.finditer(text, start, end):
            if m.end() > s:
                spans.append((s, m.end()))
            s = m.end()
        if s < end:
            spans.append((s, end))
    return spans


def title_span(text: str) -> tuple[int, int] | None:
    spans = lines(text)
    if not spans:
        return None
    start, end = spans[0]
    line = text[start:end]
    if len(line) <= 60 and line[-1] not in "。；，" and not any(p.match(line) for _, p in _MARKERS):
        return start, end
    return None


def role_of(heading: str) -> str | None:
    """The role a heading's words announce, or None (problems and next steps before overview)."""
    roles, _ = _cues()
    found = [(m.start(), role) for role in ("problems", "next_steps", "overview")
             if (m := roles[role].search(heading))]
    return min(found)[1] if found else None


def _heading_of(line: str, style: str | None) -> int | None:
    """Length of the heading at the start of `line`, or None if the line is body text."""
    if len(line) <= _MAX_HEADING and line[-1] not in _TERMINAL:
        return len(line)
    m = _LEAD.match(line)
    if m:
        return m.end()
    if style in ("cn", "part", "paren_cn"):  # a top marker is a heading even before a long lead
        cut = re.search(r"[，。；：]", line)
        return cut.start() if cut else len(line)
    return None


def _unheaded_part(line: str, depth_role: str | None) -> str | None:
    """Role of a paragraph that opens a new part without a heading (下一步，… / 清醒地认识到…)."""
    _, openers = _cues()
    first = re.split(r"[。！？]", line, maxsplit=1)[0]
    if openers["next_steps"].search(first) and depth_role != "next_steps":
        return "next_steps"
    if openers["problems"].search(first) and depth_role not in ("problems", "next_steps"):
        return "problems"
    return None


def _first_clause(line: str) -> int:
    end = 0
    for m in re.finditer(r"[，：。；]", line):
        end = m.start()
        if end >= 8:
            return end
    return end or min(len(line), _MAX_HEADING)


def parse_sections(text: str) -> list[Section]:
    """Sections in document order with levels, parents, roles and spans (text before the first
    heading is the overview and is not a section)."""
    title = title_span(text)
    spans = lines(text)
    tail = _signature_start(text, spans)
    styles: list[str] = []
    parts = False  # once a stand-alone part heading appears, top-level numbered items go under it
    current_role = None
    owner_level = 0  # level of the last numbered heading: 一是 and bold lines go one below it
    found = []  # (start, heading_end, level, number, role_hint)
    for start, end in spans:
        if title and start == title[0] or start >= tail:
            continue
        line = text[start:end]
        style, number = None, None
        for name, pattern in _MARKERS:
            m = pattern.match(line)
            if m:
                style, number = name, m.group(1)
                break
        if style is None and len(line) <= 30 and line[-1] not in _TERMINAL and "：" not in line \
                and not _DATE_LINE.match(line):
            style = "plain"
        if style is None:
            role = _unheaded_part(line, current_role)
            if role:
                found.append((start, start + _first_clause(line), 1, None, role, "unheaded"))
                current_role = role
            continue
        hlen = _heading_of(line, style)
        if hlen is None:
            continue
        if current_role in ("problems", "next_steps") and style not in ("cn", "part", "plain") \
                and len(_SENTENCE_END.findall(line[:-1])) == 0 and (line[-1] in "。；" or len(line) > 30):
            continue  # a one-sentence (or cut-off) item of a list of problems or measures, not a sub-section
        if style in _REPEATS and _REPEATS[style].search(line, max(0, hlen - 1)):
            continue  # （1）…（2）… or 一是…二是… inside one paragraph: an inline list, not sections
        if style == "plain" and role_of(line) in ("problems", "next_steps") and current_role in (None, "practice", "overview", "problems"):
            level = 1  # 存在的不足 / 下一步打算 standing alone: a new part of the report
            parts = True
        elif style in ("enum", "plain"):
            level = min(owner_level + 1, 3)
        else:
            if style not in styles:
                styles.append(style)
            level = min(styles.index(style) + 1 + (parts and styles.index(style) == 0), 3)
        role = role_of(line[:hlen])
        found.append((start, start + hlen, level, number, role, style))
        # The innermost open section that announced a role (a new top section closes the old one).
        current_role = role if role else (None if level == 1 else current_role)
        if style not in ("enum", "plain"):
            owner_level = level
    return _build(text, found, tail)


def _signature_start(text: str, spans) -> int:
    """Start of the closing unit-name / date lines, which are not headings."""
    cut = len(text)
    for start, end in reversed(spans[-3:]):
        line = text[start:end]
        if _DATE_LINE.match(line) or (len(line) <= 25 and _UNIT_LINE.search(line) and line[-1] not in _TERMINAL):
            cut = start
        else:
            break
    return cut


def _build(text: str, found, tail: int) -> list[Section]:
    sections: list[Section] = []
    roles: list[str] = []
    ends, parents = _ends_and_parents(found, tail)
    def _mixed(item):  # 存在的问题及下一步打算: its children say which part they are
        return _mixed_heading(text[item[0]:item[1]])

    for i, (start, hend, level, number, role_hint, _style) in enumerate(found):
        parent = parents[i]
        heading = text[start:hend].rstrip("。：:")
        role = role_hint
        parent_role = roles[parent] if parent is not None else None
        if parent_role in ("problems", "next_steps") and not _mixed(found[parent]):
            role = parent_role  # 三是补齐应急短板 under 下一步打算 is a measure, whatever its words
        elif role is None:
            role = parent_role if parent_role in ("problems", "next_steps") else "practice"
        roles.append(role)
        sections.append(Section(id=i, parent=parent, level=level, number=number, heading=heading, role=role,
                                start=start, end=ends[i], body_start=hend))
    return sections


def _mixed_heading(heading: str) -> bool:
    roles, _ = _cues()
    return bool(roles["problems"].search(heading) and roles["next_steps"].search(heading))


def _ends_and_parents(found, tail: int) -> tuple[list[int], list[int | None]]:
    """Each section ends where the next one of its level or above starts, or at the signature;
    its parent is the nearest earlier section of a lower level (one stack, linear time)."""
    ends = [tail] * len(found)
    parents: list[int | None] = [None] * len(found)
    open_ = []  # indices of sections still open, outermost first
    for i, item in enumerate(found):
        while open_ and found[open_[-1]][2] >= item[2]:
            ends[open_.pop()] = item[0]
        parents[i] = open_[-1] if open_ else None
        open_.append(i)
    return ends, parents


def section_finder(sections: list[Section]):
    """A function pos → id of the innermost section containing pos (None before the first)."""
    import bisect

    starts = [sec.start for sec in sections]
    by_id = {sec.id: sec for sec in sections}

    def find(pos: int) -> int | None:
        i = bisect.bisect_right(starts, pos) - 1
        sec = sections[i] if i >= 0 else None
        while sec is not None and sec.end <= pos:  # pos is after this one: try its parent
            sec = by_id.get(sec.parent)
        return sec.id if sec else None
    return find
