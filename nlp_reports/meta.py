"""Title, place, place level, year and report type, read from the text."""
from __future__ import annotations

import functools
import re

from .resources import load
from .results import Meta

_HAN = "\u4e00-\u9fff"
_AREA = "省|自治区|市|州|盟|县|旗|区|乡|镇|街道|社区|村|嘎查"
_ORG = ("人民政府|政府|党委|党工委|街道办事处|办事处|管理委员会|管委会|委员会|委|局|办公室|办|中心|所|站|院|"
        "公司|队|处|厅")
_PLACE = re.compile(
    rf"((?:[{_HAN}XＸx某]{{1,10}}(?:{_AREA}))+(?:[{_HAN}]{{0,10}}?(?:{_ORG}))?|[{_HAN}]{{2,12}}?(?:{_ORG}))")
_YEAR = re.compile(r"(20\d{2}|19\d{2}|20[xX]{2}|20××)\s*年")
_MONTH_AFTER = re.compile(r"\s*\d{1,2}\s*月")
_YEAR_CUT = re.compile(r"(?:20\d{2}|19\d{2}|20[xX]{2}|20××)\s*年度?")  # where a title's place ends
_JOINT = re.compile(r"(.{2,12}?)(?:委员会|党委|党工委)(?:\1)")
_DROP_SUFFIX = re.compile(r"(?:人民政府|政府|党委|党工委|办事处|(?<=[镇乡县区市省道])委员会)$")
_DEPARTMENT = re.compile(rf"(?:{_ORG})$")
_LEVEL_BY_SUFFIX = [("街道", "街道"), ("社区", "社区"), ("村", "村"), ("嘎查", "村"), ("镇", "镇"), ("乡", "乡"),
                    ("区", "区"), ("县", "县"), ("旗", "县"), ("市", "市"), ("州", "市"), ("省", "省"),
                    ("自治区", "省")]
_TYPE_WORDS = re.compile(r"(?:关于|开展|推进|落实|20\d{2}|20[xX]{2}|年度|年|上半年|全年|法治|安全|意识形态|党风|"
                         r"河长|生态|信访|优化|财务|预算|乡村|普法|述法|工作)")
# A clause that opens with a place doing something (今年以来，X镇坚持…); a clause that opens with a
# preposition (按照县委全面…) names who asked, not who reports.
_OPENING = re.compile(rf"(?:^|[，。\n])(?:今年以来|[0-9]{{4}}年(?:以来|度)?|近年来|一年来)?[，]?(?!按照|根据|依据|依照|遵照|对照|为了|为|围绕|结合|通过|经过|在|我)((?:[{_HAN}XＸx某]{{1,10}}?(?:{_AREA}))(?:[{_HAN}]{{0,8}}?(?:{_ORG}))?)(?:坚持|始终|深入|认真|紧紧|全面|以|在|按照|严格|持续|积极|扎实|不断|切实|着力|大力|高度)")
# A signature line: the unit that signs is the unit that reports. The first of several units
# (中共X镇委员会X镇人民政府), else a department's whole name (白河县水利局).
_SIGNATURE = re.compile(rf"^(?:中共)?([{_HAN}XＸx某]{{1,10}}?(?:{_AREA}))(?:委员会|党委|党工委|人民政府|政府|办事处|居民委员会|村民委员会)")
_PARTY_BODY = re.compile(r"(?:党组|党委|党工委|党总支|党支部)$")  # 中共X局党组 signs for X局
_TAIL_LINES = 6


@functools.cache
def _byline() -> re.Pattern:
    """A post and a name ending a line (cues.yaml, lines.byline: 党委书记 王某某)."""
    return re.compile(load("cues.yaml")["lines"]["byline"])


@functools.cache
def _types():
    return [(t["label"], [re.compile(p) for p in t["patterns"]]) for t in load("report_types.yaml")]


def report_type(title: str | None, head: str) -> str | None:
    for text in (title or "", head):
        for label, patterns in _types():
            if any(p.search(text) for p in patterns):
                return label
    return None


def place_of(title: str | None, head: str, tail: str = "") -> str | None:
    """The reporting unit: from the title's words before the year or the report's subject, else
    from the opening paragraph (今年以来，X镇坚持…), else from the signature at the end."""
    if title:
        t = re.sub(r"^关于", "", title)
        t = _YEAR_CUT.sub("|", t, count=1)
        for part in t.split("|"):
            m = _PLACE.match(part.strip())
            if m and not _TYPE_WORDS.match(m.group(1)):
                return _clean_place(m.group(1))
    for line in head.strip().split("\n")[:2]:  # a byline under the title: 青溪镇党委书记 王某某
        line = line.strip()
        post = _byline().search(line)
        unit = _PARTY_BODY.sub("", line[:post.start()].removeprefix("中共").removesuffix("副")) if post else ""
        p = len(unit) >= 2 and _PLACE.fullmatch(unit)
        if p and not _TYPE_WORDS.match(p.group(1)):
            return _clean_place(p.group(1))
    m = _OPENING.search(head)
    if m:
        return _clean_place(m.group(1))
    for line in reversed(tail.strip().split("\n")[-_TAIL_LINES:]):
        line = line.strip()
        m = _SIGNATURE.match(line) or _PLACE.fullmatch(_PARTY_BODY.sub("", line.removeprefix("中共")))
        if m and not _TYPE_WORDS.match(m.group(1)):
            return _clean_place(m.group(1))
    return None


def _clean_place(place: str) -> str:
    place = place.replace("Ｘ", "X").replace("x", "X").removeprefix("中共")  # x镇, xx县: placeholders
    joint = _JOINT.match(place)  # 中共青石镇委员会 青石镇人民政府: the party committee and the government
    place = joint.group(1) if joint else place
    stripped = _DROP_SUFFIX.sub("", place)
    return stripped if len(stripped) >= 2 else place


def level_of(place: str | None) -> str | None:
    if not place:
        return None
    if _DEPARTMENT.search(place):
        return "部门"
    for suffix, level in _LEVEL_BY_SUFFIX:
        if place.endswith(suffix):
            return level
    return None


def year_of(title: str | None, head: str) -> int | None:
    """The year covered: the title's, else the first written in the opening that is no date of
    writing (2023年2月 under a title, before 2022年，我…), else the first; 20xx gives None."""
    m = _YEAR.search(title or "")
    if not m:
        found = list(_YEAR.finditer(head[:300]))
        m = next((y for y in found if not _MONTH_AFTER.match(head, y.end())), found[0] if found else None)
    if m:
        return int(m.group(1)) if m.group(1).isdigit() else None
    return None


def read_meta(text: str, title: str | None, place: str | None = None, year: int | None = None) -> Meta:
    """`title` as it stands in `text` (a title set on two lines keeps its line break); the opening
    read for place and year is what follows it, never the site's header above it."""
    at = text.find(title) if title else -1
    head = text[at + len(title):at + len(title) + 600] if at >= 0 else text[:600]
    title = title.replace("\n", "") if title else title
    found_place = place or place_of(title, head, text[-300:])
    return Meta(title=title, place=found_place, place_level=level_of(found_place),
                year=year if year is not None else year_of(title, head),
                report_type=report_type(title, head))
