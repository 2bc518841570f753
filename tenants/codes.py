"""Administrative division codes (行政区划代码): validation and parent inference."""
from __future__ import annotations

import re

from tenants.models import UnitLevel

_PATTERNS = {
    UnitLevel.PROVINCE: re.compile(r"^\d{2}0000$"),
    UnitLevel.CITY: re.compile(r"^\d{4}00$"),
    UnitLevel.COUNTY: re.compile(r"^\d{6}$"),
    UnitLevel.TOWNSHIP: re.compile(r"^(\d{9}|\d{9}000)$"),
    UnitLevel.STATIONED: re.compile(r"^\d{6}P\d{2,3}$"),
}
# How many leading digits identify a unit of each level (its prefix for descendants).
SIGNIFICANT = {UnitLevel.PROVINCE: 2, UnitLevel.CITY: 4, UnitLevel.COUNTY: 6, UnitLevel.TOWNSHIP: 9}

LEVEL_FORMATS = {
    UnitLevel.PROVINCE: "6 位，后四位为 0（如 990000）",
    UnitLevel.CITY: "6 位，后两位为 0（如 990100）",
    UnitLevel.COUNTY: "6 位，后两位不为 0（如 990102）",
    UnitLevel.TOWNSHIP: "9 位或 12 位（12 位时后三位为 000）",
    UnitLevel.STATIONED: "上级 6 位代码 + P + 2~3 位序号（如 990100P01）",
}


def infer_level(code: str) -> UnitLevel | None:
    code = code.strip()
    if re.fullmatch(r"\d{6}P\d{2,3}", code):
        return UnitLevel.STATIONED
    if re.fullmatch(r"\d{9}(000)?", code):
        return UnitLevel.TOWNSHIP
    if re.fullmatch(r"\d{6}", code):
        if code.endswith("0000"):
            return UnitLevel.PROVINCE
        if code.endswith("00"):
            return UnitLevel.CITY
        return UnitLevel.COUNTY
    return None


def code_matches_level(code: str, level: UnitLevel) -> bool:
    if not _PATTERNS[level].fullmatch(code):
        return False
    if level == UnitLevel.CITY and code.endswith("0000"):
        return False
    if level == UnitLevel.COUNTY and code.endswith("00"):
        return False
    return True


def parent_code_candidates(code: str, level: UnitLevel) -> list[str]:
    """Codes of the possible parents, nearest first (a county may hang directly under a province)."""
    match level:
        case UnitLevel.CITY:
            return [code[:2] + "0000"]
        case UnitLevel.COUNTY:
            return [code[:4] + "00", code[:2] + "0000"]
        case UnitLevel.TOWNSHIP:
            return [code[:6], code[:4] + "00"]
        case UnitLevel.STATIONED:
            return [code[:6]]
    return []


def code_under_parent(code: str, parent_code: str, parent_level: UnitLevel) -> bool:
    if parent_level == UnitLevel.STATIONED or parent_level not in SIGNIFICANT:
        return False
    if code[:6] == parent_code and "P" in code:
        return True
    return code.startswith(parent_code[: SIGNIFICANT[parent_level]])
