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
_SHORT_KINDS = {Level.village: ("村", "社区")}  # kind words short village names keep
AREA_ENDINGS = ("社区", "村", "街道", "镇", "乡", "区", "县", "市", "省", "旗", "盟", "州")
NOT_AREAS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
# What forms put where an admin level is missing (a drop-down left empty or at its catch-all):
# never a name. The first are never anything else; the last only where an area follows.
PLACEHOLDERS = ("NULL", "市辖区", "其它地区", "其他地区", "其它区", "其他区")
PLACEHOLDERS_BEFORE_AREA = ("其它", "其他", "县")


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


def typed_with_kind(name: str, d: Division) -> bool:
    """Whether `name`, a short name of `d`, ends in a kind word of d's level after a name of
    two characters or more (麻勘社区 of 麻勘社区居委会), or in d's own last character (延边州
    of 延边朝鲜族自治州): 西乡 of 西乡街道 does not (西 is no name)."""
    if name[-1] == d.name[-1]:
        return True
    return any(name.endswith(kind) and len(name) - len(kind) >= 2
               for kind in (*_SUFFIXES[d.level], *_SHORT_KINDS.get(d.level, ())))


# Townships change kind (东浦镇 became 东浦街道, a 乡 became a 镇) and keep their name;
# people and old records go on writing the old kind.
TOWNSHIP_KINDS = ("街道", "镇", "乡")


def former_township_names(d: Division) -> list[str]:
    """The names a township had as another kind of township: 东浦街道 → 东浦镇, 东浦乡."""
    if d.level is not Level.township:
        return []
    return other_township_kinds(d.name)


def office_names(d: Division) -> list[str]:
    """The names forms give a subdistrict by its office or its older word: 水果湖街道 →
    水果湖街道办事处, 水果湖街办事处, 水果湖办事处, 水果湖街街道 (街 was the subdistrict's word)."""
    if d.level is not Level.township or not d.name.endswith("街道") or len(d.name) < 4:
        return []
    stem = d.name[:-2]
    names = [d.name + "办事处", stem + "街办事处", stem + "办事处"]
    return names if stem.endswith("街") else [*names, stem + "街街道"]


def former_county_names(d: Division) -> list[str]:
    """The names a county had before it became a district or a city: 富阳区 → 富阳市,
    富阳县; 玉环市 → 玉环县 (撤县设区, 撤市设区, 撤县设市)."""
    if d.level is not Level.county or len(d.name) < 3:
        return []
    stem = d.name[:-1]
    if d.name.endswith("区") and not d.name.endswith("新区"):
        return [stem + "市", stem + "县"]
    if d.name.endswith("市"):
        return [stem + "县"]
    return []


def other_township_kinds(name: str) -> list[str]:
    """A township name with each other kind: 乔司街道 → 乔司镇, 乔司乡."""
    for kind in TOWNSHIP_KINDS:
        if name.endswith(kind) and len(name) - len(kind) >= 2:
            stem = name[: -len(kind)]
            return [stem + other for other in TOWNSHIP_KINDS if other != kind]
    return []


def read_aliases(table: DivisionTable) -> list[tuple[str, AdminName]]:
    """Former and other names of divisions, once each.

    `division_changes.tsv` holds what older NBS tables say (extracted by
    scripts/extract_division_changes.py: 江干区 now 上城区 or 钱塘区, 乔司街道 once of 余杭区);
    `division_aliases.tsv` what they cannot (changes before 2015, informal names).
    """
    out: dict[tuple[str, str, str | None], AdminName] = {}
    for row in _alias_rows("division_changes.tsv") + _alias_rows("division_aliases.tsv"):
        name, code, kind, former, note = row[0], row[1], row[2], row[3], row[-1]
        division = table.get(code)
        former_parent = None if former == "-" else former.ljust(12, "0")
        out.setdefault((name, division.code, former_parent),
                       AdminName(division, kind, f"{kind}: {note}", former_parent))
    return [(name, alias) for (name, _, _), alias in out.items()]


@dataclass(frozen=True, slots=True)
class FormerArea:
    """An area of an older NBS table that no longer is: its name, and what it is now."""

    code: str  # 12 digits, as the old table had it
    name: str
    now: tuple[Division, ...]  # the current areas that took its parts
    note: str


def former_areas(table: DivisionTable) -> dict[str, FormerArea]:
    """Old county and city codes that the current table lacks → what they are now
    (division_changes.tsv: 330104, 江干区 → 上城区, 钱塘区)."""
    found: dict[str, tuple[str, list[Division], str]] = {}
    for row in _alias_rows("division_changes.tsv"):
        name, code, kind, old, note = row[0], row[1], row[2], row[4], row[5]
        old = old.ljust(12, "0")
        if kind == "moved" or old in table.by_code:
            continue  # a township's move is read by name; a code still in use means that
        entry = found.setdefault(old, (name, [], note))
        d = table.get(code)
        if d not in entry[1]:
            entry[1].append(d)
    return {code: FormerArea(code, name, tuple(now), note)
            for code, (name, now, note) in found.items()}


def _alias_rows(file: str) -> list[list[str]]:
    data = resources.files("addressing.data").joinpath(file).read_text(encoding="utf-8")
    return [line.split("\t") for line in data.splitlines() if line and not line.startswith("#")]


def is_within(child: AdminName, parent: Division) -> bool:
    """True when `child` lies strictly inside `parent`, now or before a recorded move (a
    township that became a county lay in its old county: 龙港镇 of 苍南县, now 龙港市)."""
    if child.former_parent is not None and child.former_parent.startswith(parent.short_code):
        return True
    d = child.division
    return LEVEL_ORDER[d.level] > LEVEL_ORDER[parent.level] and d.code.startswith(
        parent.short_code)
