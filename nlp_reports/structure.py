"""Sections, roles and sentences of a normalised report (one paragraph per line)."""
from __future__ import annotations

import bisect
import functools
import re

from .resources import load
from .results import Section

CN = "一二三四五六七八九十"
# (style, pattern): the style names a numbering habit. A style's level is how deep it is nested
# under the headings still open when it appears (see _Levels).
_MARKERS = [
    ("part", re.compile(rf"^第([{CN}]{{1,3}})(?:部分|章|篇)[、：:\s]*")),
    ("cn", re.compile(rf"^([{CN}]{{1,3}})[、.。]\s*")),  # 一。 is an ASCII 一. after punctuation folding
    ("paren_cn", re.compile(rf"^（([{CN}]{{1,3}})）[、.]?\s*")),
    ("num", re.compile(r"^(\d{1,2})(?:[、]|\.(?!\d)|）)\s*")),
    ("paren_num", re.compile(r"^（(\d{1,2})）\s*")),
    ("circled", re.compile(r"^([①②③④⑤⑥⑦⑧⑨⑩])\s*")),
    ("enum", re.compile(rf"^([{CN}])是")),
]
_TOP_STYLES = ("cn", "part", "plain")  # whole parts of a report, never one item of a list
_PARAGRAPH_STYLES = ("enum", "plain")  # headings that sit under the innermost numbered heading
# A full stop: Chinese, or an ASCII point that is no decimal point (预算收入情况.2023年…).
_STOP = r"(?:[。！？]|(?<![\d.])\.)"
_SENTENCE_END = re.compile(r"[。！？]")
_INNER_STOP = re.compile(_STOP)
_LEAD = re.compile(rf"^[^。！？：；]{{2,45}}?(?:{_STOP}|：)")
_CLAUSE = re.compile(r"[，。；：]")
# The next item of the same numbering style later in the same line.
_REPEATS = {
    "enum": re.compile(rf"[；，。：.][{CN}]是"),
    "paren_num": re.compile(r"（\d{1,2}）"),
    "paren_cn": re.compile(rf"[；，。：]（[{CN}]{{1,3}}）"),
    "num": re.compile(r"[；。]\d{1,2}[、.](?!\d)"),
    "circled": re.compile(r"[①②③④⑤⑥⑦⑧⑨⑩]"),
}
_TERMINAL = "。；，、！？"
_DATE = (r"(?:(?:\d{4}|20[xX]{2}|二〇[一二三四五六七八九〇○零]{2}|二[〇○零][一二三四五六七八九〇○零]{2})\s*年\s*"
         r"(?:\d{1,2}|[xX]{1,2}|[一二三四五六七八九十]{1,2})?\s*月?\s*(?:\d{1,2}|[xX]{1,2}|[一二三四五六七八九十]{1,3})?\s*日?"
         r"|\d{4}[.\-/]\d{1,2}(?:[.\-/]\d{1,2})?)")  # 2023年12月28日, 二〇二三年十二月, 2023.12.28
_DATE_LINE = re.compile(rf"^[（(]?{_DATE}[）)]?(?:\s*\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?$")
_TRAILING_DATE = re.compile(rf"\s*{_DATE}$")  # X镇人民政府 2022年12月28日 on one line
_MAX_HEADING = 45
_TITLE_WITHOUT_UNIT = re.compile(r"关于|(?:\d{4}|20[xX]{2})\s*年")  # its unit may stand on the line above
_TITLE_TAIL = re.compile(r"(?:的|之|情况|工作|自查|总结|报告|汇报)")  # …法治建设工作 / 情况的自查报告
_LABEL = re.compile(r"^\W?[^\W\d_]{2,8}：$")  # a header table's label on a line of its own (•发布日期：)
# A line of a table of contents: 一、基本情况……1
_TOC_LINE = re.compile(r"^目\s*录$|(?:…{2,}|\.{4,}|·{4,}|-{4,}|_{4,})\s*\d{1,3}$")
_MAX_PLAIN = 30
_TITLE_WINDOW = 20  # lines at the top where the site's header and the title stand
_TAIL_WINDOW = 15   # lines at the end where the signature, date and site footer stand
_MAX_HEADER = 120   # a header or footer line of a site is never longer


@functools.cache
def _cues():
    data = load("cues.yaml")
    roles = {k: re.compile(v) for k, v in data["roles"].items()}
    openers = {k: re.compile(v) for k, v in data["part_openers"].items()}
    lines = {k: re.compile(v) for k, v in data["lines"].items()}
    return roles, openers, lines


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


def is_table_row(line: str) -> bool:
    """A row of a table flattened to text (| 项目 | 数量 |, 项目 | 数量 | 备注)."""
    return line.startswith(("|", "｜")) or line.count("|") + line.count("｜") >= 2


def _marker(line: str) -> tuple[str | None, str | None]:
    for name, pattern in _MARKERS:
        m = pattern.match(line)
        if m:
            return name, m.group(1)
    return None, None


def _titleish(line: str) -> bool:
    """Could stand as a title or a short heading: short, no closing punctuation, not a table row."""
    return len(line) <= 60 and line[-1] not in "。；，：:、" and not is_table_row(line)


def _header_line(line: str) -> bool:
    """A line of the site's header or footer or of the document's frame (date, site name, document
    number, 打印本页): never a title, a heading or a place."""
    _, _, kinds = _cues()
    return bool(_DATE_LINE.match(line) or kinds["furniture"].search(line) or kinds["site"].search(line)
                or kinds["code"].match(line))


def title_span(text: str) -> tuple[int, int] | None:
    """The report's title: the first line at the top that names a report (…自查报告, …工作总结),
    passing over the site's header (site name, dates, header tables, document numbers); else the
    first title-like line there. A unit name on the line above a title that opens with 关于 or the
    year belongs to it (X区人民政府 / 关于2022年度法治政府建设情况的报告): the span covers both lines."""
    _, _, kinds = _cues()
    previous = candidate = None
    for start, end in lines(text)[:_TITLE_WINDOW]:
        line = text[start:end]
        if len(line) <= _MAX_HEADER and (_header_line(line) or is_table_row(line)) or _LABEL.match(line):
            previous = None
            continue
        if not _titleish(line) or _marker(line)[0]:
            break  # the body has begun
        if kinds["title"].search(line):
            above = text[previous[0]:previous[1]] if previous else ""
            if above and (_TITLE_WITHOUT_UNIT.match(line) and kinds["unit"].search(above)
                          or _TITLE_TAIL.match(line) and len(above) + len(line) <= 60):
                return previous[0], end  # a title set on two lines
            return start, end
        previous = (start, end)
        candidate = candidate or previous
    return candidate


def role_of(heading: str) -> str | None:
    """The role a heading's words announce, or None (problems and next steps before overview)."""
    roles, _, _ = _cues()
    found = [(m.start(), role) for role in ("problems", "next_steps", "overview")
             if (m := roles[role].search(heading))]
    return min(found)[1] if found else None


def _heading_of(line: str, style: str | None) -> int | None:
    """Length of the heading at the start of `line`, or None if the line is body text."""
    if len(line) <= _MAX_HEADING and line[-1] not in _TERMINAL and line[-1] != "：":
        return len(line)
    m = _LEAD.match(line)
    if m:
        return m.end()
    if style in ("cn", "part", "paren_cn"):  # a top marker is a heading even before a long lead
        cut = _CLAUSE.search(line)
        return cut.start() if cut else len(line)
    return None


def _unheaded_part(line: str, depth_role: str | None) -> str | None:
    """Role of a paragraph that opens a new part without a heading (下一步，… / 清醒地认识到…)."""
    _, openers, _ = _cues()
    stop = _SENTENCE_END.search(line)
    first = line[:stop.start()] if stop else line
    if openers["next_steps"].search(first) and depth_role != "next_steps":
        return "next_steps"
    if openers["problems"].search(first) and depth_role not in ("problems", "next_steps"):
        return "problems"
    return None


def _first_clause(line: str) -> int:
    end = 0
    for m in _CLAUSE.finditer(line):
        end = m.start()
        if end >= 8:
            return end
    return end or min(len(line), _MAX_HEADING)


def _is_list_item(line: str, style: str, stack) -> bool:
    """A one-sentence item of a list of problems or measures (（一）企业主体责任落实仍有差距，…。),
    not a sub-section; once an item of a style was a section, its siblings are too."""
    if style in _TOP_STYLES or any(s == style for _, s in stack):
        return False
    return not _INNER_STOP.search(line, 0, len(line) - 1) and (line[-1] in "。；" or len(line) > _MAX_PLAIN)


def _inline_list(line: str, hlen: int, style: str) -> bool:
    """（1）…（2）… or 一是…；二是… inside one paragraph: a list, not sections. A paragraph that opens
    with 一是 and a lead sentence with body text after it is a section all the same."""
    pattern = _REPEATS.get(style)
    m = pattern.search(line, max(0, hlen - 1)) if pattern else None
    if not m:
        return False
    lead_is_sentence = line[hlen - 1] in "。！？." and m.start() > hlen
    return not (style == "enum" and lead_is_sentence)


class _Levels:
    """Levels by nesting: a heading of a style already open closes what is below it and takes its
    level; a new style goes one below the innermost open heading; a style seen before keeps its
    level unless what is open now is shallower (二、 then （1） directly: level 2)."""

    def __init__(self):
        self.stack: list[tuple[int, str]] = []  # (level, style) of open headings, outermost first
        self.known: dict[str, int] = {}

    def top(self) -> int:
        return self.stack[-1][0] if self.stack else 0

    def _pop_to(self, style: str) -> int | None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][1] == style:
                level = self.stack[i][0]
                del self.stack[i:]
                return level
        return None

    def place(self, style: str, under_part: bool = False) -> int:
        level = self._pop_to(style)
        if level is None:
            if style in _PARAGRAPH_STYLES:
                while self.stack and self.stack[-1][1] == "enum":  # 一是… items are no owners
                    self.stack.pop()
                level = self.top() + 1
            elif style in self.known:
                level = self.known[style]
                if under_part and level == 1 and self.stack and self.stack[0][1] in ("plain", "unheaded"):
                    level = 2  # 1、… under a stand-alone 存在的不足: items of that part
                while self.stack and self.stack[-1][0] >= level:
                    self.stack.pop()
                level = min(level, self.top() + 1)
            else:
                if style in _TOP_STYLES:  # 二、 after a page-cut start at （三）: a part holds those, never under them
                    while self.stack and self.stack[-1][1] not in _TOP_STYLES:
                        inner = self.stack.pop()[1]
                        self.known[inner] = max(self.known.get(inner, 0), self.top() + 2)
                level = self.top() + 1
        level = min(level, 3)
        self.known.setdefault(style, level)
        self.stack.append((level, style))
        return level

    def reset(self, style: str) -> None:
        self.stack = [(1, style)]
        self.known.setdefault(style, 1)


def parse_sections(text: str) -> list[Section]:
    """Sections in document order with levels, parents, roles and spans (text before the first
    heading is the overview and is not a section)."""
    title = title_span(text)
    title_text = text[title[0]:title[1]] if title else None
    spans = lines(text)
    tail = _signature_start(text, spans)
    levels = _Levels()
    current_role = None
    body_seen = True  # has the last heading had a body paragraph yet?
    preamble = True  # no heading or body paragraph yet
    found = []  # [start, heading_end, level, number, role_hint, style]
    for start, end in spans:
        if title and start < title[1] or start >= tail:
            continue
        line = text[start:end]
        if is_table_row(line) or line == title_text or len(line) <= _MAX_HEADER and _TOC_LINE.search(line):
            continue
        if preamble and _byline(line):
            continue  # X镇党委书记 王某某 under a 述法报告's title
        preamble = False
        style, number = _marker(line)
        if style is None and _plain_heading(line, bool(found)):
            style = "plain"
        if style is None:
            role = _unheaded_part(line, current_role)
            if role and found and not body_seen and found[-1][4] is None:
                found[-1][4] = role  # 四、工作展望 / 下一步，我镇将…: the heading's part is the next steps
                current_role = role
            elif role:
                found.append([start, start + _first_clause(line), 1, None, role, "unheaded"])
                levels.reset("unheaded")
                current_role = role
            body_seen = True
            continue
        hlen = _heading_of(line, style)
        if hlen is None or _inline_list(line, hlen, style):
            body_seen = True
            continue
        if current_role in ("problems", "next_steps") and _is_list_item(line, style, levels.stack):
            body_seen = True
            continue
        role = role_of(line[:hlen])
        if style == "plain" and role in ("problems", "next_steps") and current_role in (None, "practice", "overview", "problems"):
            level = 1  # 存在的不足 / 下一步打算 standing alone: a new part of the report
            levels.reset("plain")
        elif style == "plain" and not found:
            level = 1  # bold-looking lines are this report's top level
            levels.reset("plain")
        else:
            level = levels.place(style, under_part=role is None)
        found.append([start, start + hlen, level, number, role, style])
        body_seen = hlen < len(line)
        # The innermost open section that announced a role (a new top section closes the old one).
        current_role = role if role else (None if level == 1 else current_role)
    return _build(text, found, tail)


def _plain_heading(line: str, after_heading: bool) -> bool:
    """A short bold-looking line standing alone; an addressee or unit name above the first heading
    (县安委会办公室) is not one."""
    if len(line) > _MAX_PLAIN or line[-1] in _TERMINAL or "：" in line or _header_line(line):
        return False
    _, _, kinds = _cues()
    return after_heading or not kinds["unit"].search(line)


def _signature_start(text: str, spans) -> int:
    """Start of the closing unit-name / date lines and the site's footer, which are not headings.
    Short lines after the signature's date (related links, contact lines) are the footer too."""
    tail = spans[-_TAIL_WINDOW:]
    end = len(tail)
    for i in range(len(tail) - 1, -1, -1):
        line = text[tail[i][0]:tail[i][1]]
        if _DATE_LINE.match(line) or _signature_line(line) and _TRAILING_DATE.search(line):
            end = i
            break
        if len(line) > _MAX_PLAIN * 2 or line[-1] in _TERMINAL:
            break  # the body reaches the end: no dated signature after it
    cut = tail[end][0] if end < len(tail) else len(text)
    for start, stop in reversed(tail[:end]):
        if not _signature_line(text[start:stop]):
            break
        cut = start
    return cut


def _signature_line(line: str) -> bool:
    """A unit's name (with its date), a date or a line of the site's frame, at a report's end."""
    _, _, kinds = _cues()
    if len(line) > 40 or line[-1] in _TERMINAL:
        return False
    unit = _TRAILING_DATE.sub("", line)
    return _header_line(line) or bool(kinds["unit"].search(unit)) or _byline(unit)


def _byline(line: str) -> bool:
    """Who reports, by post and name (X镇党委书记 王某某): under the title or as the signature."""
    _, _, kinds = _cues()
    return len(line) <= _MAX_PLAIN and bool(kinds["byline"].search(line))


def _build(text: str, found, tail: int) -> list[Section]:
    sections: list[Section] = []
    roles: list[str] = []
    ends, parents = _ends_and_parents(found, tail)

    def _mixed(item):  # 存在的问题及下一步打算: its children say which part they are
        return _mixed_heading(text[item[0]:item[1]])

    for i, (start, hend, level, number, role_hint, _style) in enumerate(found):
        parent = parents[i]
        heading = text[start:hend].rstrip("。：:.")
        role = role_hint
        parent_role = roles[parent] if parent is not None else None
        if parent_role in ("problems", "next_steps") and not _mixed(found[parent]):
            role = parent_role  # 三是补齐应急短板 under 下一步打算 is a measure, whatever its words
        elif role is None:
            role = parent_role if parent_role in ("problems", "next_steps", "overview") else "practice"
        roles.append(role)
        sections.append(Section(id=i, parent=parent, level=level, number=number, heading=heading, role=role,
                                start=start, end=ends[i], body_start=hend))
    return sections


def _mixed_heading(heading: str) -> bool:
    roles, _, _ = _cues()
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
    starts = [sec.start for sec in sections]
    by_id = {sec.id: sec for sec in sections}

    def find(pos: int) -> int | None:
        i = bisect.bisect_right(starts, pos) - 1
        sec = sections[i] if i >= 0 else None
        while sec is not None and sec.end <= pos:  # pos is after this one: try its parent
            sec = by_id.get(sec.parent)
        return sec.id if sec else None
    return find
