"""How divisions are named: full names from the NBS table, short names and aliases.

A name is an `AdminName`: the division, the kind of name (full, short, alias) and, for a
renamed or moved area, where it used to lie (`is_within` honours that). Both the address
parse (`addressing.admin`) and the address-base import read names through here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from twin.divisions import LEVEL_DIGITS, Division, DivisionTable, Level

LEVEL_ORDER = {level: i for i, level in enumerate(LEVEL_DIGITS)}
_AUTONOMOUS = re.compile(r"^(.{2,}?)(?:[\u4e00-\u9fff]{1,4}族)+自治[州县旗区]$")
_SUFFIXES = {
    Level.province: ("特别行政区", "自治区", "省", "市"),
    Level.city: ("自治州", "地区", "盟", "市"),
    Level.county: ("自治县", "自治旗", "新区", "区", "县", "市", "旗"),
    Level.township: ("街道办事处", "街道", "镇", "乡"),
    Level.village: ("社区居委会", "居委会", "村委会", "社区", "村"),
}
AREA_ENDINGS = ("社区", "村", "街道", "镇", "乡", "区", "县", "市", "省", "旗", "盟", "州")
NOT_AREAS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass(frozen=True, slots=True)
class AdminName:
    """One way of naming a division."""

    division: Division
    kind: str  # full, short, alias
    note: str | None = None
    former_parent: str | None = None  # 12-digit code of the county it used to belong to


def short_names(d: Division) -> list[str]:
    """Short forms of a division name: 广东省 → 广东, 延边朝鲜族自治州 → 延边, 南山区 → 南山."""
    out: list[str] = []
    m = _AUTONOMOUS.match(d.name)
    if m:
        out.append(m.group(1))
        out.append(m.group(1) + d.name[-1])  # 延边州, 长阳县 as people write them
    for suffix in _SUFFIXES[d.level]:
        if d.name.endswith(suffix) and len(d.name) - len(suffix) >= 2:
            out.append(d.name[: -len(suffix)])
    if d.level is Level.village and d.name.endswith("居委会"):
        out.append(d.name[: -len("居委会")])
    if d.level is Level.village and d.name.endswith("村委会"):
        out.append(d.name[: -len("委会")])
    return [s for s in dict.fromkeys(out) if s != d.name]


# Townships change kind (东浦镇 became 东浦街道, a 乡 became a 镇) and keep their name;
# people and old records go on writing the old kind.
_TOWNSHIP_KINDS = ("街道", "镇", "乡")


def former_township_names(d: Division) -> list[str]:
    """The names a township had as another kind of township: 东浦街道 → 东浦镇, 东浦乡."""
    if d.level is not Level.township:
        return []
    for kind in _TOWNSHIP_KINDS:
        if d.name.endswith(kind) and len(d.name) - len(kind) >= 2:
            stem = d.name[: -len(kind)]
            return [stem + other for other in _TOWNSHIP_KINDS if other != kind]
    return []


def read_aliases(table: DivisionTable) -> list[tuple[str, AdminName]]:
    """Former and other names of divisions (addressing/data/division_aliases.tsv)."""
    data = resources.files("addressing.data").joinpath("division_aliases.tsv")
    out = []
    for line in data.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, code, kind, former, note = line.split("\t")
        division = table.get(code)
        former_parent = None if former == "-" else former.ljust(12, "0")
        out.append((name, AdminName(division, kind, f"{kind}: {note}", former_parent)))
    return out


def is_within(child: AdminName, parent: Division) -> bool:
    """True when `child` lies strictly inside `parent`, now or before a recorded move."""
    d = child.division
    if LEVEL_ORDER[d.level] <= LEVEL_ORDER[parent.level]:
        return False
    if d.code.startswith(parent.short_code):
        return True
    return child.former_parent is not None and child.former_parent.startswith(parent.short_code)
