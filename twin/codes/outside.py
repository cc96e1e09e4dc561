"""Validation of codes issued by others: 统一社会信用代码 (GB 32100), 公民身份号码 (GB 11643),
and 12-digit division codes (统计用区划代码).

Each check returns an `OutsideCode` saying whether the code holds and, if not, every reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from twin.codes.check import USCC_ALPHABET, mod11_2, uscc_check
from twin.divisions import Level, level_of, load_divisions

# GB 32100-2015 Table 1: 登记管理部门码 → its 机构类别码 values.
USCC_DEPARTMENTS: dict[str, tuple[str, str]] = {
    "1": ("机构编制", "129"), "2": ("外交", "19"), "3": ("司法行政", "123459"),
    "4": ("文化", "19"), "5": ("民政", "1239"), "6": ("旅游", "19"), "7": ("宗教", "129"),
    "8": ("工会", "139"), "9": ("工商", "123"), "A": ("中央军委改革和编制办公室", "19"),
    "N": ("农业", "129"), "Y": ("其他", "1"),
}
GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # 组织机构代码 (the 9-character body part)


@dataclass(frozen=True)
class OutsideCode:
    """The verdict on one outside code."""

    kind: str
    code: str
    valid: bool
    reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"kind": self.kind, "code": self.code, "valid": self.valid,
                "reasons": list(self.reasons), "details": dict(self.details)}


def _gb11714_check(body8: str) -> str | None:
    """Check character of an organisation code body (8 characters), or None if unreadable."""
    try:
        total = sum(int(ch, 36) * w for ch, w in zip(body8, GB11714_WEIGHTS, strict=True))
    except ValueError:
        return None
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def check_uscc(code: str) -> OutsideCode:
    """A unified social credit code: 18 characters of GB 32100's alphabet, departments,
    region and the check character."""
    code = str(code).strip().upper()
    reasons: list[str] = []
    details: dict[str, Any] = {}
    if len(code) != 18:
        return OutsideCode("uscc", code, False, [f"has {len(code)} characters, not 18"])
    outside = sorted({ch for ch in code if ch not in USCC_ALPHABET})
    if outside:
        return OutsideCode("uscc", code, False,
                           [f"characters outside GB 32100's alphabet: {''.join(outside)}"])
    department = USCC_DEPARTMENTS.get(code[0])
    if department is None:
        reasons.append(f"registration department {code[0]!r} is not in GB 32100 Table 1")
    else:
        details["department"] = department[0]
        if code[1] not in department[1]:
            reasons.append(f"organisation type {code[1]!r} is not used by {department[0]}")
    region = code[2:8]
    if not region.isdigit():
        reasons.append(f"region {region!r} is not 6 digits")
    else:
        details["region"] = region
        table = load_divisions()
        if region.ljust(12, "0") in table.by_code:
            details["region_name"] = " ".join(d.name for d in table.chain(region))
        elif region[:2].ljust(12, "0") not in table.by_code:
            reasons.append(f"region {region!r} names no province in the NBS 2023 table")
    org_check = _gb11714_check(code[8:16])
    if org_check is not None and org_check != code[16]:
        details["organization_code_check"] = f"expected {org_check!r}, found {code[16]!r}"
    expected = uscc_check(code[:17])
    if code[17] != expected:
        reasons.append(f"check character is {code[17]!r}, expected {expected!r}")
    return OutsideCode("uscc", code, not reasons, reasons, details)


def check_id_number(code: str, *, today: date | None = None) -> OutsideCode:
    """A citizen ID number (18 characters, GB 11643): region, birth date and check character.

    The region must be a county in the shipped table or, for counties renamed or merged
    since the number was issued, at least a known city; the verdict says which.
    """
    code = str(code).strip().upper()
    today = today or date.today()
    if len(code) != 18 or not code[:17].isdigit() or not (code[17].isdigit() or code[17] == "X"):
        return OutsideCode("id_number", _mask(code), False,
                           ["must be 17 digits and a digit or X (18 characters)"])
    reasons: list[str] = []
    details: dict[str, Any] = {}
    region = code[:6]
    table = load_divisions()
    if region.ljust(12, "0") in table.by_code:
        details["region_level"] = str(level_of(region))
    elif region[:4].ljust(12, "0") in table.by_code:
        details["region_level"] = "city (county code not in the NBS 2023 table; may be retired)"
    else:
        reasons.append(f"region {region!r} is not in the NBS 2023 division table")
    try:
        born = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        reasons.append(f"birth date {code[6:14]!r} is not a calendar date")
    else:
        if born > today or born.year < 1850:
            reasons.append(f"birth date {born.isoformat()} is not plausible")
    expected = mod11_2(code[:17])
    if code[17] != expected:
        reasons.append(f"check character is {code[17]!r}, expected {expected!r}")
    details["gender"] = "male" if int(code[16]) % 2 else "female"
    return OutsideCode("id_number", _mask(code), not reasons, reasons, details)


def _mask(code: str) -> str:
    """ID numbers are never echoed whole: region and check stay, the rest is starred."""
    return code[:6] + "*" * max(len(code) - 7, 0) + code[-1:] if len(code) > 7 else "*" * len(code)


def check_division_code(code: str, *, level: Level | str | None = None) -> OutsideCode:
    """A 12-digit division code: digits, present in the NBS 2023 table, and of `level`."""
    code = str(code).strip()
    if len(code) != 12 or not code.isdigit():
        return OutsideCode("division", code, False, ["must be 12 digits"])
    table = load_divisions()
    division = table.by_code.get(code)
    if division is None:
        nearest = next((d for d in reversed(table.chain(code))), None)
        hint = f"; nearest known: {nearest.code} {nearest.name}" if nearest else ""
        return OutsideCode("division", code, False,
                           [f"{code} is not in the NBS 2023 table{hint}"],
                           {"level": str(level_of(code))})
    details = {"level": str(division.level), "name": division.name,
               "chain": [f"{d.code} {d.name}" for d in table.chain(code)]}
    reasons = []
    if level is not None and division.level != Level(level):
        reasons.append(f"{code} is a {division.level}, not a {Level(level)}")
    return OutsideCode("division", code, not reasons, reasons, details)
