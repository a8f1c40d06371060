"""Quantified indicators and explicit zero outcomes, found on the normalised text.

Numbers are matched on the text with one pattern (number, multiplier, 余/多, range, unit,
qualifier); rules then reject what is not an indicator (slogans, titles, ordinals, rules of
frequency, the article 一) and name what is counted from the words around the number.
"""
from __future__ import annotations

import bisect
import re

from ..matching import Tail, after_last, next_starts
from ..results import Indicator
from .lexicon import Lexicon, lexicon
from .numbers import parse_number, scale
from .tables import table_indicators

_BOUNDARY = re.compile(r"[，。；！？、：|\n]")
_QUOTED = re.compile(r"“[^“”\n]{1,12}”|‘[^‘’\n]{1,12}’")
_BLOCKED_SPANS = re.compile(r"《[^《》\n]{1,60}》|〔[^〔〕\n]{1,20}〕|\[[^\[\]\n]{1,20}\]")
# Times of day (9时30分, 8:30-17:30) and ages (18周岁), found from the mark after the first number
# (a pattern starting with a digit or a look-behind is tried at every offset, ten times slower).
_CLOCK = re.compile(r"[时点:周](?<=\d[时点:周])(?:(?<=[时点])\d{1,2}分|(?<=:)\d{2}|(?<=周)岁)")
_DIGITS_BEFORE = re.compile(r"\d{1,3}$")
_COMPARATOR = r"(?:同比|环比|(?:较|比|与)(?:上年度|上年|去年|上一年|\d{4}年|年初)(?:同期)?(?:相比)?)"
_CHANGE = re.compile(rf"(?:{_COMPARATOR}(?:再|又|分别|均|都)?(?P<dir1>增长|增加|上升|提高|提升|下降|减少|降低|回落|缩短|压缩|压减|净增|净减|前移|后移|多出|多了|少了|多|少|增|减)"
                     r"|(?P<dir2>增长|增加|上升|提高|提升|增幅|下降|减少|降低|回落|降幅|压降|缩减|净增|净减))(?:了|为|达|约|近)?$")
_COMPARATOR_END = re.compile(rf"{_COMPARATOR}$")
_DOWN = {"下降", "减少", "降低", "回落", "降幅", "压降", "缩减", "缩短", "压缩", "压减", "净减", "后移", "少了", "少", "减"}
_THRESHOLD_NEXT = re.compile(r"的|[\u4e00-\u9fff]")
_RATE_WORD = Tail(["率", "度", "比例", "比重", "占比", "覆盖面", "指数", "权重", "分值"])
# The date is kept whole (截至10月底 → 10月底): longer endings are tried first at each length.
_AS_OF = re.compile(r"(?:截至到|截止到|截至|截止)(?P<date>[^，。；]{1,14}?(?:月底|月末|年底|年末|为止|底|末|止|前|日|月|年))")
_BOUNDARY_AFTER = re.compile(r"[，。；！？：|\n]")
_PREPOSITION = re.compile(r"^(?:对|用于|用|为|把|将|向|于|给|在|从|由|与|和|及|等|的|被|，)")
def _is_rule(text: str, clause: int, start: int) -> bool:
    """A rule of frequency before the number in its clause (每月巡河3次), unless the frequency was
    named and closed before it (以每两月1次的频次开展学习5次: the 5次 were held)."""
    m = _RULE.search(text, clause, start)
    return m is not None and _FREQUENCY_NAMED.search(text, m.end(), start) is None


_FREQUENCY_NAMED = re.compile(r"频次|频率")
_RULE = re.compile(r"每[\u4e00-\u9fff\d]|每$|按(?:照)?$")  # 每月巡河3次, 每10天巡河2次
_ARTICLE_BLOCK = set("统唯之同划归合专逐单初周礼星整不第万千百另某任")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGIT = re.compile(r"\d")
_COMPARISON_ONLY = re.compile(r"(?:较|比|与)[^，。；]{0,12}\d[^，。；]{0,6}$")
_NEXT_FIGURE = re.compile(r"(?:达到|达|为|超过|突破)?\d")  # right after the noun: 总收入达1050万元, 死亡4人
# 2020年同期为42起: the year is the scope; 1.因公出国费…, （二）…: a paragraph's number is no part of a name
_LEADING_YEAR = re.compile(r"^(?:(?:\d{4}|20[xX]{2})年(?:度)?|\d{1,2}[.、](?!\d)|（[一二三四五六七八九十\d]{1,3}）)")
_NOUN_SUFFIX = set("员者率站室点队费金款书量额")
_MAX_NAME = 18


def extract_indicators(text: str, sentence_spans, section_of, sections=(), year: int | None = None,
                       measures=()) -> list[Indicator]:
    """All indicators and zeros in `text`, in order. `sentence_spans` are (start, end) pairs;
    `section_of(pos)` gives the section id at an offset; `sections` (with their roles) and the
    next-step `measures` (items with start and end, in text order; also those standing in a
    problems section) make a figure in them a target (力争…, or plainly 开展活动不少于10场 under
    下一步打算); `year`, the report's, makes a sentence opening with it (2022年，…) a period."""
    planned = {s.id for s in sections if s.role == "next_steps"}
    measures = sorted(measures, key=lambda m: m.start)
    measure_starts = [m.start for m in measures]
    lex = lexicon()
    blocked = _blocked_mask(text, lex)
    starts = [s for s, _ in sentence_spans]
    found, cells = table_indicators(text, lex.units) if "|" in text else ([], [])
    for a, b in cells:  # a cell read as a table figure is not read again as running text
        blocked[a:b] = b"\x01" * (b - a)
    for m in lex.quantity.finditer(text):
        ind = _from_quantity(text, m, lex, blocked)
        if ind:
            found.append(ind)
            found.extend(_shared_list(text, ind, lex))
    for m in lex.percent_words.finditer(text):
        ind = _from_fraction(text, m, lex, blocked)
        if ind:
            found.append(ind)
            found.extend(_shared_list(text, ind, lex))
    found.extend(_zeros(text, lex, blocked))
    found.sort(key=lambda f: (f["num_start"], f["start"]))
    _respectively(text, found, lex)
    _reach(text, found, lex, blocked, year)
    out = []
    previous = {}  # sentence index → last name given in it
    for f in found:
        i = bisect.bisect_right(starts, f["num_start"]) - 1
        s_start, s_end = sentence_spans[i] if i >= 0 else (0, len(text))
        if not f["name"] and i in previous:
            # 培育法律明白人56名，较上年增加15名: a change or a bare count names the thing just named.
            f["name"] = previous[i]
        elif f["name"]:
            previous[i] = f["name"]
        f.pop("num_start")
        section = section_of(f["start"])
        if f["scope"] in (None, "period") and f["value"] and (section in planned or _inside(measures, measure_starts, f["start"])):
            f["scope"] = "target"
        out.append(Indicator(sentence=_sentence_around(text, s_start, s_end, f["start"], f["end"]),
                             section=section, text=text[f["start"]:f["end"]], **f))
    return out


_MAX_SENTENCE, _CONTEXT = 400, 150


def _inside(items, starts: list[int], pos: int) -> bool:
    """Whether `pos` lies inside one of `items` (in text order, `starts` their starts)."""
    i = bisect.bisect_right(starts, pos) - 1
    return i >= 0 and pos < items[i].end


def _sentence_around(text: str, s_start: int, s_end: int, start: int, end: int) -> str:
    """The sentence holding text[start:end]; of a run-on one (no stop for pages) only the _CONTEXT
    characters either side, since every indicator in it would otherwise carry a copy of it all."""
    if s_end - s_start > _MAX_SENTENCE:
        s_start, s_end = max(s_start, start - _CONTEXT), min(s_end, end + _CONTEXT)
    return text[s_start:s_end]


def _blocked_mask(text: str, lex: Lexicon) -> bytearray:
    """1 at every offset inside a slogan, a document title or number, a time of day or an age; 2
    inside a short quotation (no count, but a zero such as “零事故” may stand there)."""
    mask = bytearray(len(text))
    for pattern, mark in ((_QUOTED, b"\x02"), (lex.slogans, b"\x01"), (_BLOCKED_SPANS, b"\x01")):
        for m in pattern.finditer(text):
            mask[m.start():m.end()] = mark * (m.end() - m.start())
    for m in _CLOCK.finditer(text):
        start = _DIGITS_BEFORE.search(text, max(0, m.start() - 3), m.start()).start()
        mask[start:m.end()] = b"\x01" * (m.end() - start)
    return mask


_LAST_BOUNDARY = re.compile("[，。；！？、：|\n]")  # | : the cells of a table flattened to text
_LAST_COMMA = re.compile("[，。；！？：|\n]")
_LAST_BREAK = re.compile("[。；！？\n]")


def _start_after(mark: re.Pattern, text: str, pos: int, limit: int) -> int:
    return after_last(mark, text, max(0, pos - limit), pos)


def _clause_start(text: str, pos: int, limit: int = 60) -> int:
    return _start_after(_LAST_BOUNDARY, text, pos, limit)


def _comma_clause_start(text: str, pos: int, limit: int = 60) -> int:
    return _start_after(_LAST_COMMA, text, pos, limit)


def _clause_starts(text: str, pos: int) -> tuple[int, int]:
    """(_clause_start, _comma_clause_start) at `pos`. They differ only when the clause's own mark
    is a 、: else the last boundary is also the last comma, and one search gives both."""
    clause = _clause_start(text, pos)
    if clause > max(0, pos - 60) and text[clause - 1] == "、":
        return clause, _comma_clause_start(text, pos)
    return clause, clause


_LABEL_MARKS = ("：", "|")


def _label_start(text: str, pos: int, clause: int) -> int:
    """Where the name of a number standing alone after a colon or a table border starts (群众满意度：
    98.5%, |法治讲座|8场|): the label before the mark, when it is short; else `clause`."""
    if clause != pos or not text[pos - 1:pos] in _LABEL_MARKS:
        return clause
    label = _clause_start(text, pos - 1, limit=16)
    return label if 2 <= pos - 1 - label <= 16 else clause


def _window_start(text: str, pos: int, limit: int = 120) -> int:
    return _start_after(_LAST_BREAK, text, pos, limit)


def _from_quantity(text: str, m: re.Match, lex: Lexicon, blocked: bytearray) -> dict | None:
    num, start = m.group("num"), m.start()
    if blocked[start] or blocked[m.end() - 1]:
        return None
    before = text[start - 1] if start else ""
    if before and (before.isascii() and before.isalnum() or before in ".第"):
        return None
    chinese = not num[0].isdigit()
    if chinese and before in _ARTICLE_BLOCK:
        return None
    after = text[m.end()] if m.end() < len(text) else ""
    if chinese and num == "一" and not m.group("mult") and not (m.group("q1") or m.group("q3")) \
            and after and not _BOUNDARY.match(after):
        return None  # 一名分管领导, 一个平台: the article, not a count
    if chinese and len(num) == 1 and m.group("unit") in _ABSTRACT_UNITS \
            and _summarises(text, start, m.end(), parse_number(num)):
        return None
    clause, comma = _clause_starts(text, start)
    clause = _label_start(text, start, clause)
    if _is_rule(text, comma, start):
        return None  # 每月巡河3次: a rule of frequency, not an achievement
    unit, kind, arabic_only = lex.units[m.group("unit")]
    if arabic_only and chinese:
        return None
    if unit == "个" and "." in num and _POINTS_AFTER.match(text, m.end()):
        unit, kind = "个百分点", "change"  # 提高0.2个和1.1个百分点: the first shares the second's unit
    if m.group("q3") in ("以上", "以下", "以内") and _THRESHOLD_NEXT.match(after):
        return None  # 50万元以上的项目, 较大以上事故: a threshold, not a quantity
    try:
        # 2-3万元: a multiplier written once, after the upper end, applies to both ends.
        value = scale(num, m.group("mult") or m.group("mult2"))
        if m.group("rest"):
            value += scale(m.group("rest"), m.group("rmult"))
        value_max = scale(m.group("num2"), m.group("mult2") or m.group("mult")) if m.group("num2") else None
    except (ValueError, KeyError):
        return None
    if unit in ("%", "‰") and m.group("mult"):
        return None
    suffix_q = m.group("q3") or m.group("q2") or m.group("q1") or m.group("q0")
    qualifier = lex.suffix_qualifiers[suffix_q] if suffix_q else "exact"
    if text[clause:start].endswith(_LABEL_MARKS):
        start_of_number = start - 1  # the label's own colon or cell border is not part of the name
    else:
        start_of_number = start
    am = _AS_OF.search(text, clause, start) if text.find("截", clause, start) >= 0 else None
    if am and start - am.end() >= 2:
        clause = am.end()  # 截至11月底已完成52项: the date is the scope, not part of the name
    prefix = text[clause:start_of_number]
    if prefix[-1:] in ("数", "上") and num[0] in "十百千万" and not suffix_q:
        prefix, qualifier = prefix[:-1], "more_than"  # 数十次, 上千份: more than the round number
    pm = lex.prefix_qualifier_re.search(prefix)
    if pm:
        prefix = prefix[:pm.start()]
        if not suffix_q:
            qualifier = lex.prefix_qualifiers[pm.group(0)]
        if after == "的" and pm.group(0) in ("低于", "高于", "超过", "不足", "不到"):
            return None  # 支出进度低于40%的项目: a threshold
    direction = None
    cm = _CHANGE.search(prefix)
    if cm:
        kind = "change"
        direction = "down" if (cm.group("dir1") or cm.group("dir2")) in _DOWN else "up"
        prefix = prefix[:cm.start()]
    elif unit == "个百分点":
        kind = "change"
    name, name_start, name_end = _name(text, clause, len(prefix), m.end(), kind, lex)
    ev_start = min(clause + name_start, start) if name else start
    ev_end = max(m.end(), name_end)
    scope, scope_text = _scope(text, start, lex, kind == "change", comma)
    return dict(name=name, value=value, value_max=value_max, unit=unit, qualifier=qualifier, kind=kind,
                start=ev_start, end=ev_end, scope=scope, scope_text=scope_text, direction=direction,
                num_start=start, rule="quantity")


_LIST_ITEM = re.compile(r"、|和|及|与")
_POINTS_AFTER = re.compile(r"(?:和|、|与|及)\d{1,3}(?:\.\d{1,3})?个?百分点")
# Measure words of abstract things: 南塘、后湾两处池塘 counts ponds, 氨氮、总磷两项指标 only names a list.
_ABSTRACT_UNITS = {"个", "项", "类", "种", "批"}
_HEADER_AFTER = re.compile(r"[\u4e00-\u9fff]{0,6}[：:]")


def _summarises(text: str, start: int, end: int, value: float) -> bool:
    """True when a small Chinese count of abstract things restates a list just written (立法、司法、
    守法普法三个协调小组; 氨氮、总磷两项指标) or announces one after a colon (抓好四项工作：一是…)."""
    if _HEADER_AFTER.match(text, end):
        return True
    clause = _comma_clause_start(text, start)
    head = text[clause:start]
    return "、" in head and len(_LIST_ITEM.split(head)) == value


def _from_fraction(text: str, m: re.Match, lex: Lexicon, blocked: bytearray) -> dict | None:
    """百分之九十八 → 98 %, 千分之三 → 3 ‰, 三分之二 → 66.67 %, 六成 → 60 %."""
    start = m.start()
    if blocked[start]:
        return None
    groups = m.groupdict()  # the patterns of percent_words name their own groups
    den, num, tenths, unit = groups.get("den"), groups.get("num"), groups.get("tenths"), "%"
    try:
        if tenths:
            value = parse_number(tenths) * 10
        elif den == "百":
            value = parse_number(num)
        elif den == "千":
            value, unit = parse_number(num), "‰"
        else:
            value = round(parse_number(num) / parse_number(den) * 100, 2)
    except (ValueError, ZeroDivisionError):
        return None
    clause, comma = _clause_starts(text, start)
    if _is_rule(text, comma, start):
        return None
    prefix = text[clause:start]
    q = groups["q"]
    qualifier = lex.suffix_qualifiers[q] if q else "exact"
    pm = lex.prefix_qualifier_re.search(prefix)
    if pm:
        prefix = prefix[:pm.start()]
        qualifier = qualifier if q else lex.prefix_qualifiers[pm.group(0)]
    kind, direction = "rate", None
    cm = _CHANGE.search(prefix)
    if cm:
        kind, direction = "change", "down" if (cm.group("dir1") or cm.group("dir2")) in _DOWN else "up"
        prefix = prefix[:cm.start()]
    name, name_start, _ = _name(text, clause, len(prefix), m.end(), kind, lex)
    scope, scope_text = _scope(text, start, lex, kind == "change", comma)
    return dict(name=name, value=value, value_max=None, unit=unit, qualifier=qualifier, kind=kind,
                start=clause + name_start if name else start, end=m.end(), scope=scope,
                scope_text=scope_text, direction=direction, num_start=start, rule="fraction")


_RESPECTIVELY = re.compile(rf"分别(?:{_COMPARATOR})?(?:为|是|达到了?|达|占|有|增长|下降|提高|减少|增加|上升|降低|压减|缩短)?$")
_LIST_SPLIT = re.compile(r"、|和|及")


def _respectively(text: str, found: list[dict], lex: Lexicon) -> None:
    """发放宣传资料、宣传品分别为3000份、800件: the k-th number of the clause is named by the k-th item
    of the list before 分别 (changed in place)."""
    if "分别" not in text:
        return
    k = 0
    while k < len(found):
        f = found[k]
        k += 1
        if f["rule"] not in ("quantity", "fraction"):
            continue
        clause = _comma_clause_start(text, f["num_start"])
        m = _RESPECTIVELY.search(lex.prefix_qualifier_re.sub("", text[clause:f["num_start"]]))
        if not m:
            continue
        # 化学需氧量、氨氮排放量较上年分别下降…: the comparison after the list is not part of it
        head = _COMPARATOR_END.sub("", text[clause:clause + m.start()])
        clause_end = _BOUNDARY_AFTER.search(text, f["num_start"])
        limit = clause_end.start() if clause_end else len(text)
        if head:
            items = [_trim(lex.verbs.sub("", item, count=1) if lex.verbs.match(item) else item, lex)
                     for item in _LIST_SPLIT.split(head)]
        else:  # 办结率99.4%，企业满意率96.8%，分别较上年提高0.2个和1.1个百分点: the figures just named
            n = 1 + sum(1 for g in found[k:k + 4] if g["num_start"] < limit and g["rule"] == f["rule"])
            earlier = found[max(0, k - 1 - n):k - 1]
            sentence = _window_start(text, f["num_start"])
            items = [g["name"] for g in earlier if g["num_start"] >= sentence] if len(earlier) == n else []
        group = [f] + [g for g in found[k:k + len(items) - 1] if g["num_start"] < limit and g["rule"] == f["rule"]]
        if len(items) < 2 or len(group) != len(items) or not all(items):
            continue
        for g, name in zip(group, items):  # one verb for the list: the later numbers share its kind
            g.update(name=name, kind=f["kind"], direction=f["direction"])
        k += len(group) - 1


_SHARED_HINT = re.compile(r"[均都皆]|全部")
_SHARED_SPLIT = re.compile(r"、|和")  # not 及: 及时受理率
_SHARED = re.compile(r"(?:均|都|全部|皆)(?:为|达到|达|保持在|保持|在)?$")


def _shared_list(text: str, ind: dict, lex: Lexicon) -> list[dict]:
    """参考率、合格率均达到100%: the other items of a list that share one number ('均')."""
    if not _SHARED_HINT.search(text, max(0, ind["num_start"] - 10), ind["num_start"]):
        return []
    clause = _comma_clause_start(text, ind["num_start"])
    before = text[clause:ind["num_start"]]
    before = lex.prefix_qualifier_re.sub("", before)
    if not _SHARED.search(before) or not _SHARED_SPLIT.search(before):
        return []
    head = before[:_SHARED.search(before).start()]
    *items, last = _SHARED_SPLIT.split(head)  # 医保参保率和家庭医生签约率均达到100%
    if _trim(last, lex):  # the figure's own name is the last item; the others come before it
        ind.update(name=_trim(last, lex), start=max(ind["start"], clause + len(head) - len(last)))
    out, pos = [], clause
    for item in items:
        name = _trim(lex.lead_words.sub("", item), lex)
        if name and len(name) <= _MAX_NAME:
            out.append({**ind, "name": name, "start": pos, "end": pos + len(item), "rule": "shared"})
        pos += len(item) + 1
    return out


def _scope(text: str, pos: int, lex: Lexicon, change: bool = False,
           clause: int | None = None) -> tuple[str | None, str | None]:
    """The scope cue in the number's own clause (from `clause`, its start when known); cues reaching
    it from earlier in its sentence are weighed by _reach. The comparison of a change (较上年增加5件)
    is no baseline, and a baseline cue followed by its own figure (由上年的4个减少到1个) does not
    reach the next one."""
    clause = _comma_clause_start(text, pos) if clause is None else clause
    if text[clause - 1:clause] == "：" and clause > 1:
        label = _LABEL.search(text, max(0, clause - 10), clause - 1)  # 目标：调解成功率达到98%: a short label
        if label and (label.start() == 0 or _LAST_COMMA.match(text, label.start() - 1)):
            clause = label.start()
    window = text[clause:pos]
    if not lex.scope_gate.search(window) or not lex.any_scope.search(window):
        return None, None  # no cue at all: one or two searches instead of one per scope
    for scope, pattern in lex.scopes:
        m = pattern.search(window)
        if m and scope in ("baseline", "cumulative"):
            for m in pattern.finditer(window, m.start()):
                pass  # the last cue: a figure after it shows it is taken (由上年的4个减少到1个)
            if lex.quantity.search(window, m.end()) or scope == "baseline" and (
                    change or _COMPARED.search(window, m.end()) or m.group().startswith("由") and not _FROM_TO.match(text, pos)):
                continue
        if not m:
            continue
        if scope == "as_of":
            d = _AS_OF.search(window)
            return scope, d.group("date") if d else None
        return scope, None
    return None, None


_LABEL = re.compile(r"[^，。；！？：|\n]{1,8}$")
# After an earlier period's cue, a change word makes it a comparison (较上年减少信访件9件, 在上年基础上再
# 压减5%), and a relative clause a description of what is counted (上年遗留的7个排污口): no baseline.
_COMPARED = re.compile(r"增长|增加|上升|提高|提升|下降|减少|降低|回落|压减|压降|缩减|缩短|净增|净减|[^的]的")
# 由3个整合为2个: the figure after 由 is an earlier state when the clause goes on to a later one.
_FROM_TO = re.compile(r"[^，。；！？]{1,20}?(?:为|到|至)了?(?:不足|约|近)?[\d零〇一二两三四五六七八九十百千万]")
# Where a cue stops reaching: a time cue at the end of its sentence (a colon ends it too; so does a
# full stop written '.', not a decimal point between digits), 累计 and the target verbs at the next
# ；as well.
_REACH_STOPS = {"sentence": re.compile(r"[。！？：\n.](?!(?<=\d\.)\d)"),
                "semicolon": re.compile(r"[。；！？：\n.](?!(?<=\d\.)\d)")}


def _reach(text: str, found: list[dict], lex: Lexicon, blocked: bytearray, year: int | None = None) -> None:
    """Scopes reaching a figure from a cue earlier in its sentence (corpora/ANNOTATION.md, Scope),
    changed in place: the latest time cue (全年, 截至…, a sentence opening with the report's `year`)
    reaches to the sentence end, the latest 累计 or target verb (力争, 计划, 拟, 预计) to the next ；.
    A figure with no cue of its own takes the more specific of the two; one with its own cue keeps
    it, except a running total up to a date (截至11月底，全乡累计纳入…58户 → as_of). No period cue
    reaches a stock (现有党员47名); a cue in a title or a short quotation reaches nothing; table
    cells keep what their table says."""
    cues: dict = {"sentence": [], "semicolon": []}
    groups = lex.reach_groups
    for m in lex.reach.finditer(text):
        if not blocked[m.start()]:
            scope, reach = groups[m.lastindex]
            cues[reach].append((m.end(), m.start(), scope))
    for m in lex.year_opening.finditer(text):
        start = m.start("year")
        if (start == 0 or _REACH_STOPS["sentence"].match(text, start - 1)) and \
                (not m.group("year").isdigit() or year is not None and int(m.group("year")) == year):
            cues["sentence"].append((m.end(), start, "period"))
    reaches = []  # (cues sorted by end, their ends, where each stops reaching)
    for reach, found_cues in cues.items():
        if found_cues:
            found_cues.sort()
            ends = [c[0] for c in found_cues]
            reaches.append((found_cues, ends, next_starts(_REACH_STOPS[reach], text, ends)))
    if not reaches:
        return
    rank = lex.scope_rank
    for f in found:
        own = f["scope"]
        if f["rule"] == "table" or own not in (None, "cumulative"):
            continue
        pos, best, best_text = f["num_start"], own, f["scope_text"]
        for found_cues, ends, limits in reaches:
            i = bisect.bisect_right(ends, pos) - 1
            if i < 0 or pos > limits[i]:
                continue  # no cue before the figure, or the last one stops before it
            _, cue_start, scope = found_cues[i]
            if own is not None and scope != "as_of" or best is not None and rank[scope] >= rank[best]:
                continue
            if scope == "period" and lex.stock.search(text, _comma_clause_start(text, pos), pos):
                continue
            best = scope
            date = _AS_OF.match(text, cue_start) if scope == "as_of" else None
            best_text = date.group("date") if date else None
        f["scope"], f["scope_text"] = best, best_text


def _name(text: str, clause: int, prefix_len: int, unit_end: int, kind: str, lex: Lexicon):
    """(name, start, end): start relative to `clause` when the name precedes the number, or the
    absolute end of a name that follows the unit (发放2000余份宣传资料)."""
    prefix = text[clause:clause + prefix_len]
    bracket = prefix.rfind("（")
    if bracket >= 0 and "）" not in prefix[bracket:] and prefix_len - bracket > 2:
        # 机组2台（总装机容量7200千瓦: a bracket still open before the number starts its name
        return _name_from(bracket + 1, text, clause, prefix_len, unit_end, kind, lex)
    if _DIGIT.search(prefix):  # 贫困户832户总收入达1050万元: the name starts after the figure before it
        last = None
        for last in lex.quantity.finditer(prefix):
            pass
        # …unless it is a threshold inside the name (收入超过50万元的村, 10亿元以上项目)
        if last is not None and last.end() < len(prefix) and not last.group("q3") and prefix[last.end()] != "的":
            return _name_from(last.end(), text, clause, prefix_len, unit_end, kind, lex)
    stripped = lex.lead_end.sub("", prefix)
    if kind == "change" and _COMPARISON_ONLY.match(stripped):
        return "", clause + prefix_len, unit_end  # 较去年同期的10件下降20%: the change of the thing just named
    if kind in ("rate", "change") and _RATE_WORD.search(stripped) or kind == "change":
        # 实现调解成功率100%, 办理行政复议案件较上年增加5件: a leading verb is not part of the name.
        # …but 调解纠纷数量 is one noun phrase: a verb before a head noun at the end stays.
        light = lex.light_verbs.match(stripped) or kind == "change" and not _RATE_WORD.search(stripped) \
            and not lex.head_end.search(stripped) and lex.verbs.match(stripped)
        head = light.end() if light and len(stripped) - light.end() >= 2 else 0
        return _span_of(stripped, head, len(stripped), lex, unit_end)
    if stripped[-1:] in lex.unit_last and lex.quantity_end.search(stripped):
        return "", clause + prefix_len, unit_end  # 监测户26户87人: the second figure counts the same thing
    following = _following_object(text, unit_end, lex)
    if following:  # 覆盖12个行政村, 发放2000余份宣传资料: the counted noun follows the unit
        return following, clause + prefix_len, unit_end + len(following)
    runs = _verb_runs(stripped, lex)
    last_end = runs[-1][1] if runs else 0
    rest = stripped[last_end:]
    name = "" if lex.lead_words.fullmatch(rest) else _trim(rest, lex)
    if name:
        return _span_of(stripped, last_end, len(stripped), lex, unit_end, name)
    if runs:
        # 开展专项督导11次, 调解成功28件: no object, so the action is what is counted, with the words
        # after it (成功); in a run of verbs (组织专题学习, 完成植树造林) governing verbs are dropped.
        start, end, last = runs[-1]
        action = runs[-2][1] if len(runs) > 1 else 0
        if last > start:  # a run of verbs: its leading governing verbs (组织, 开展) only introduce it
            action = next((v.start() for v in lex.verbs.finditer(stripped, start, end)
                           if v.group(0) not in lex.governing_verbs), last)
        return _span_of(stripped, action, len(stripped), lex, unit_end)
    return "", clause + prefix_len, unit_end


def _name_from(k: int, text: str, clause: int, prefix_len: int, unit_end: int, kind: str, lex: Lexicon):
    """_name of the prefix from its k-th character on, its start still relative to `clause`."""
    name, start, end = _name(text, clause + k, prefix_len - k, unit_end, kind, lex)
    return name, start + k, end


def _span_of(prefix: str, lo: int, hi: int, lex: Lexicon, unit_end: int, name: str | None = None):
    """(name, start, end) of prefix[lo:hi] trimmed (`name`: its trimmed form, when known)."""
    piece = prefix[lo:hi]
    name = _trim(piece, lex) if name is None else name
    if len(name) < 2:
        return "", lo, unit_end  # 较上年的115件, 调整后为3046万元: a lone character names nothing
    offset = lo + piece.find(name)
    if len(name) > _MAX_NAME:  # too long: what stands before its last 的 goes first, else its start
        cut = name.rfind("的") + 1
        cut = cut if 0 < cut and len(name) - cut >= 2 else len(name) - _MAX_NAME
        cut = max(cut, len(name) - _MAX_NAME)
        offset += cut
        name = name[cut:]
    return name, offset, unit_end


def _verb_runs(prefix: str, lex: Lexicon) -> list[tuple[int, int, int]]:
    """(start, end, start of the last verb) of runs of adjacent verbs that govern what follows them.
    A verb inside a noun phrase is skipped: before 的 or a noun suffix (反映的问题, 人民调解员), before a
    last single character (公示牌, 督办单) or a head noun it modifies (培训班, 整治资金, 审批时间), or a
    modifier verb before people (受益群众)."""
    verbs = [v for v in lex.verbs.finditer(prefix)
             if not prefix.startswith("的", v.end()) and prefix[v.end():v.end() + 1] not in _NOUN_SUFFIX]
    # From the right: a verb before a head noun, or before a verb already found inside the noun,
    # belongs to the noun (不动产登记办理时限, 河长公示牌); a governing verb never does (投入资金).
    compound = len(prefix)
    inside = set()
    for v in reversed(verbs):
        if v.group(0) in lex.governing_verbs:
            break
        if v.end() == compound and compound < len(prefix) or len(prefix) - v.end() == 1 \
                or lex.head_nouns.fullmatch(prefix, v.end()):
            inside.add(v.start())
            compound = v.start()
        elif v.end() < compound:
            break
    runs: list[list[int]] = []
    for v in verbs:
        if v.start() in inside:
            continue
        if v.group(0) in lex.modifier_verbs and lex.people_end.search(prefix, v.end()):
            continue
        if runs and runs[-1][1] == v.start():
            runs[-1][1:] = [v.end(), v.start()]
        else:
            runs.append([v.start(), v.end(), v.start()])
    return [tuple(r) for r in runs]


def _trim(name: str, lex: Lexicon) -> str:
    """`name` without determiners and lead words at either end; a strip that would leave less than
    two characters is not made (对象 keeps its 对)."""
    if name and name[0] not in lex.trim_first and not name[0].isdecimal() and name[-1] not in lex.lead_end.last:
        return name if _CJK.search(name) else ""  # nothing to strip at either end (the common case)
    previous = None
    while name and name != previous:
        previous = name = _LEADING_YEAR.sub("", name)
        for pattern in (lex.determiners, lex.lead_words, lex.lead_end):
            if pattern is lex.lead_words and name.startswith(lex.kept_at_start):
                continue
            cut = pattern.sub("", name)
            if len(cut) >= 2 or len(name) < 2:
                name = cut
    return name if _CJK.search(name or "") else ""


def _following_object(text: str, pos: int, lex: Lexicon) -> str:
    """The noun after a unit (2000余份 宣传资料), cut at punctuation, a verb or a tail word."""
    limit = min(len(text), pos + _MAX_NAME)
    stop = _BOUNDARY.search(text, pos, limit)
    piece = text[pos:stop.start() if stop else limit]
    # Words that hold a verb or a tail word (便民服务中心, 公共) are masked for the search of stops.
    masked = lex.whole_words.sub(lambda w: "〇" * len(w.group()), piece) if lex.whole_words.search(piece) else piece
    verb = lex.verbs.match(masked)
    if verb and masked[verb.end():verb.end() + 1] in _NOUN_SUFFIX | {"组", "班"} and _CJK.match(masked, verb.end() + 1) is None:
        verb = None  # 4个督查组, 2期培训班: a noun made from a verb
    if not piece or not _CJK.match(piece) or _PREPOSITION.match(masked) or verb \
            or lex.lead_words.match(masked) or _FOLLOW_STOP.match(masked):
        # 3个工作日压缩至1个, 12万元完成…, 64户全部…, 2天内…: the clause goes on, no noun follows
        return ""
    cut = len(piece)
    for pattern in (lex.verbs, lex.tail_words, _DIGIT):
        m = pattern.search(masked, 1)
        if m:
            cut = min(cut, m.start())
    if cut <= 4 and _NEXT_FIGURE.match(piece, cut):
        return ""  # 贫困户832户总收入达1050万元, 4起死亡4人: a short noun after the unit names the next figure
    name = _trim(piece[:cut], lex)
    # 6名集中办公: a lone character cut off before 中/内/里 is half a word (8个村的… keeps 村)
    return "" if len(name) < 2 and piece[cut:cut + 1] in ("中", "内", "里") else name


_FOLLOW_STOP = re.compile(r"(?:全部|均|都|每|分别|逐|已|正|内|为|是|共|等)")
_ZERO_STOP = re.compile("[，。；！？：\n]")
_ZERO_REACH = 40  # characters of a zero's object after its opener
_ONE = re.compile(r"^(?:一起|一例|一件|一宗|一个|一名|一条|一次|一)")
_ZERO_NOT = ("无论", "无法", "无需", "无缝", "无偿", "无私", "无人", "无纸", "无害", "无证", "没有发生", "没有出现")
_ZERO_LIST = re.compile(r"、|以及|和|(?<![涉以危普波顾来])及(?!以上|以下)|或(?!者)")
_QUOTE_MARKS = "“”‘’"


def _zeros(text: str, lex: Lexicon, blocked: bytearray) -> list[dict]:
    """全年无行政复议、行政诉讼案件 → two zeros; 未发生较大以上事故 → one; 再犯罪率为零 → one;
    实现“零事故、零伤亡” → two (zeros are read inside short quotations, slogans are not)."""
    out, covered = [], 0
    for m in lex.zero.finditer(text):
        start = m.start()
        if start < covered or blocked[start] == 1 or text.startswith(_ZERO_NOT, start) and m.group(0) in ("无", "没有"):
            continue  # 没有无预算、超预算支出: a 无 inside an earlier zero's object is no new zero
        limit = min(len(text), m.end() + _ZERO_REACH)
        stop = _ZERO_STOP.search(text, m.end(), limit)
        end = stop.start() if stop else limit
        body = text[m.end():end]
        if m.group(0) == "零" and text.startswith(_HAPPENED, m.end()):  # 命案零发生, 重大舆情“零发生”
            out += _zero_before(text, lex, start, m.end())
            continue
        if m.group(0) == "零":  # 零事故、零伤亡: each 零 gives the outcome word written after it
            out += _zero_items(text, lex, start, m.end(), lex.zero_word.match(text, m.end()).group(0))
            continue
        body = lex.zero_tail.sub("", body.rstrip(_QUOTE_MARKS))
        strong = lex.zero_strong.fullmatch(m.group(0))
        if not strong and blocked[start]:
            continue  # “有物无账”: a weak 无 inside a quotation is a label
        if not strong:
            lead = text[_clause_start(text, start, limit=12):start]
            # 适龄儿童无失学辍学，: a short outcome closing its clause needs no opening context
            closing = len(body) <= 8 and end - m.end() == len(body) and end < len(text)
            if lead and not lex.zero_context.search(lead) and not closing:
                continue
        if lex.zero_suffix.search(body):
            continue  # handled below as 'X为零'
        if not strong and (not lex.zero_outcome.search(body) or len(body) > 24):
            continue
        out += _zero_items(text, lex, start, m.end(), body)
        covered = m.end() + len(body)
    for m in lex.zero_suffix.finditer(text):
        clause = _comma_clause_start(text, m.start())
        body = text[clause:m.start()]
        body = lex.lead_words.sub("", body)
        if body and not blocked[m.start()]:
            out += _zero_items(text, lex, m.start() - len(body), m.start() - len(body), body)
    return out


def _zero_parts(body: str, lex: Lexicon) -> list[tuple[int, str]]:
    """(offset, item) of a list of zeros: split at 、, and at 和/及/或 after an outcome word
    (越级上访和群体性事件, but not 民营企业和中小企业账款问题)."""
    parts, last = [], 0
    for m in _ZERO_LIST.finditer(body):
        if m.start() - last >= 2 and (m.group(0) == "、" or lex.zero_outcome.search(body, last, m.start())):
            parts.append((last, body[last:m.start()]))
            last = m.end()
    return parts + [(last, body[last:])]


_HAPPENED = ("发生", "发案", "出现")
def _zero_before(text: str, lex: Lexicon, start: int, end: int) -> list[dict]:
    """The zero of 命案零发生 / 重大舆情实现“零发生”: the outcome is named before 零, not after it,
    without the lead words and light verbs around it (全年实现命案零发生 → 命案)."""
    clause = _clause_start(text, start, limit=24)
    name, offset = lex.light_end.sub("", text[clause:start].rstrip(_QUOTE_MARKS)), 0
    while (lead := lex.lead_words.match(name) or lex.light_verbs.match(name)) is not None and lead.end():
        offset, name = offset + lead.end(), name[lead.end():]
    if not (2 <= len(name) <= 16) or not lex.zero_outcome.search(name):
        return []
    scope, scope_text = _scope(text, start, lex)
    return [dict(name=name, value=0.0, value_max=None, unit=None, qualifier="exact", kind="count",
                 start=clause + offset, end=end + 2, scope=scope, scope_text=scope_text, direction=None,
                 num_start=start, rule="zero")]


def _zero_items(text: str, lex: Lexicon, ev_start: int, body_start: int, body: str) -> list[dict]:
    scope, scope_text = _scope(text, ev_start, lex)
    items = []
    for k, (offset, item) in enumerate(_zero_parts(body, lex)):
        item_start, item_end = body_start + offset, body_start + offset + len(item)
        name = _ONE.sub("", lex.zero_again.sub("", item) if k else item).removesuffix("发生").strip().strip(_QUOTE_MARKS)
        if not name or len(name) > 30 or not _CJK.search(name):
            continue
        items.append(dict(name=name, value=0.0, value_max=None, unit=None, qualifier="exact", kind="count",
                          start=ev_start if k == 0 else item_start, end=item_end, scope=scope,
                          scope_text=scope_text, direction=None, num_start=item_start, rule="zero"))
    return items
