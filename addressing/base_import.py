"""Importing a standard address base: one row per finest address, the tree built from it.

Columns: `county_code` (6 or 12 digits), `township`, `community` (name or code), `road`,
`door_no`, `compound`, `building`, `unit`, `floor`, `room`, `lon`, `lat` (CGCS2000) and
optionally `address_code` and `aliases` (separated by ; or |; a former name with the day
its use ended, `朝阳路~2019-05-01`, is kept so: an old-name query finds the address and the
answer says the current name). Any level below the road or
compound may be empty: real bases skip levels (a room straight under a door). A row with a
road and a compound and nothing below (`丰足路 | 九阳袜业`: a shop or a works on its road,
with no door number) places both: the road, and the compound, a root as every compound is,
filed on the road (its row and full text name the road).

Villages (rural bases have no road at all). A village (an administrative village, written
as 永西村, 永西村委会 or 永西村民委员会) goes in `road`: it is what a rural row's doors and
groups are numbered in, as a road numbers its doors and lanes, and it is named within its
township as a road is (two townships may each have a 新村). Its groups (6组) and natural
villages (下庄) go in `door_no`, and their doors in `building`, as a lane's (朝晖路 416弄
173号): `永西村 | 6组 | 197号`, `永西村 | 下庄 | 12号`; doors numbered on the village itself
are plain doors (`永西村 | 12号`). So `永西村6组197号`, `永西村委会6组197号` and
`永西村12号` are read and found with no level the tree lacks. Why not a new level: the tree's
levels are the address element classes the codes, the index and every face share; a village
row needs one level above the door and one between, which the road and the lane's door
already are. Why not `community`: that column names a division of the NBS table, which
ships villages for few cities, and a group numbered 6组 in every village of a township
would be one road there. A village the table does hold stays in `community` as before.

Every node on a row's path (road → door → building → unit → floor → room) is created once;
a code given in the file is kept, a missing one is issued by the code registry under the
`address` scheme (12-digit area + 4-digit road + 4-digit door/building + 6-digit
unit/floor/room), one scheme level at a time, children counted under their parent's code.
Importing the same file again changes nothing: nodes are found by their natural key.
Every new node's code is entered in the code registry, a given code that another address
holds (or the registry ever issued) is refused with its row, and each new road name gets a
row in the `road` table (addressing.roads). One transaction writes it all.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from shapely.geometry import Point
from sqlalchemy import Connection, Engine, Table, select

from addressing.admin_names import (
    NOT_AREAS,
    former_areas,
    former_township_names,
    other_township_kinds,
    read_aliases,
    short_names,
)
from addressing.grammar import split_alias
from addressing.index import is_numbered_name, name_key
from addressing.normalize import element_key
from addressing.roads import write_roads
from twin.bulk import write_rows
from twin.codes.registry import REGISTRY, CodeRequest, issue_many, record_issued, registered
from twin.divisions import Division, DivisionTable, Level, load_divisions
from twin.errors import Conflict, RowProblem
from twin.models import Address
from twin.transfer import read_source

Progress = Callable[[int, int], None]
ELEMENTS = ("road", "door_no", "compound", "building", "unit", "floor", "room")
CODE_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,40}$")
BATCH = 20_000
ISSUE_BATCH = 100_000  # codes a registry call issues: each new counter looks the store over
REGISTERED = ("registry",)
NATURAL_KEY_LENGTH = 256  # code_registry.natural_key


@dataclass
class AddressBaseReport:
    """What an address-base import read, created and refused."""

    path: str
    read: int = 0
    created: int = 0
    existing: int = 0
    issued_codes: int = 0
    roads_created: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people."""
        return (f"addresses: read {self.read} rows from {self.path}; created {self.created} "
                f"nodes ({self.issued_codes} codes issued, {self.roads_created} new roads), "
                f"{self.existing} already there, "
                f"refused {len(self.problems)} rows")


@dataclass(slots=True)  # one per address node: a city holds millions
class _Node:
    code: str  # "" until the registry issues it
    level: str
    row: dict[str, Any]
    points: list[tuple[float, float]] = field(default_factory=list)
    new: bool = True
    key: tuple[str, ...] = ()
    parent: _Node | None = None
    pending: str | None = None  # while its code is being issued: the code, sequence unknown


class _Admin:
    """Resolves county, township and community cells against the NBS table.

    Old values resolve to the current division (addressing/data/division_changes.tsv): a
    county code of an older table (330104, 江干区) to the county it is now, the township
    deciding where the old county was split; a township now in another county (余杭区 with
    乔司街道, in 临平区 since 2021) to that township, and the row to its county.
    """

    def __init__(self, table: DivisionTable):
        self.table = table
        self.former = former_areas(table)
        self.moved: dict[tuple[str, str], list[Division]] = defaultdict(list)
        for name, alias in read_aliases(table):
            if alias.former_parent is not None and alias.division.level in (
                    Level.township, Level.county):
                for typed in (name, *other_township_kinds(name)):
                    self.moved[(alias.former_parent, typed)].append(alias.division)

    def county(self, value: str | None, township: str | None = None) -> Division:
        text = (value or "").strip()
        if not re.fullmatch(r"\d{6}(\d{6})?", text):
            raise ValueError("county_code must be 6 or 12 digits")
        d = self.table.by_code.get(text.ljust(12, "0"))
        former = self.former.get(text.ljust(12, "0")) if d is None else None
        if former is not None and all(c.level is Level.county for c in former.now):
            if len(former.now) == 1:
                return former.now[0]
            for county in former.now:
                if township and self._township(county, township.strip()) is not None:
                    return county
            now = ", ".join(f"{c.name} ({c.code[:6]})" for c in former.now)
            raise ValueError(f"{former.name} of an older NBS table is now parted between "
                             f"{now}; name the township to say which")
        if d is None or d.level is not Level.county:
            raise ValueError("no county with this code in the NBS 2023 table")
        return d

    def below(self, parent: Division, value: str | None, what: str) -> Division | None:
        text = (value or "").strip()
        if not text:
            return None
        if text.isdigit():
            d = self.table.by_code.get(text.ljust(12, "0"))
            if d is None or d.parent_code != parent.code:
                raise ValueError(f"{what} code is not under {parent.name} ({parent.code})")
            return d
        found = self._township(parent, text) if parent.level is Level.county else None
        if found is not None:
            return found
        for child in self.table.children(parent.code):
            if text == child.name or text in short_names(child):
                return child
        raise ValueError(f"no {what} of this name under {parent.name}")

    def _township(self, county: Division, text: str) -> Division | None:
        """The township of `county` so named, now or in an older table (a moved one, or the
        county a township became)."""
        for child in self.table.children(county.code):
            if text == child.name or text in short_names(child) or (
                    text in former_township_names(child)):
                return child
        moved = self.moved.get((county.code, text), [])
        return moved[0] if len(moved) == 1 else None


def _cell(record: dict[str, str | None], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


# A base repeats the same few door, building, unit and room labels millions of times.
_element_key = lru_cache(maxsize=1 << 16)(element_key)


@lru_cache(maxsize=1 << 12)
def _full_prefix(table: DivisionTable, d: Division) -> str:
    return "".join(x.name for x in table.chain(d.code) if x.name not in NOT_AREAS)


class _TreeWriter:
    """Builds nodes for rows, reusing stored ones, issuing codes where none is given."""

    def __init__(self, engine: Engine, table: DivisionTable):
        self.table = table
        self.by_key: dict[tuple[str, ...], _Node] = {}
        self.used: set[str] = set()
        # Who holds a code given in the file (or made in this import): an address's key, or
        # REGISTERED for a code the registry issued to something that is not here.
        self.code_owner: dict[str, tuple[str, ...]] = {}
        self.issued = 0
        self.reached: set[tuple[str, ...]] = set()  # stored nodes this file's rows name
        self._load_existing(engine)

    def _load_existing(self, engine: Engine) -> None:
        t = Address.__table__
        cols = [t.c.code, t.c.level, t.c.county_code, t.c.township_code, t.c.community_code,
                *(t.c[c] for c in ELEMENTS)]
        with engine.connect() as conn:
            for row in conn.execute(select(*cols)).mappings():
                self.used.add(row["code"])
                key = self._key(row["county_code"], row["township_code"], dict(row), row["level"])
                # A stored node is only found and pointed at, never written: no row kept.
                self.by_key[key] = _Node(row["code"], row["level"], {}, new=False, key=key)
            # Codes the registry ever issued for addresses are never issued again.
            self.used.update(conn.execute(select(REGISTRY.c.code).where(
                REGISTRY.c.object_type == "address")).scalars())

    def claim(self, engine: Engine, given: set[str]) -> None:
        """Note who holds each code given in the file: a stored address, or the registry."""
        for key, node in self.by_key.items():
            if node.code in given:
                self.code_owner[node.code] = key
        with engine.connect() as conn:
            for code in registered(conn, sorted(given - self.code_owner.keys())):
                self.code_owner[code] = REGISTERED

    @staticmethod
    def _key(county: str, township: str | None, row: dict[str, Any], level: str
             ) -> tuple[str, ...]:
        # Roads are named within a township; below that the path of element keys.
        # A compound (a root) is known by its name in its county, filed on a road or not.
        road = row.get("road") if level != "compound" else None
        parts = [county, township or "" if road else "", level,
                 name_key(road) if road else "",
                 # A door on a road is known by its number there; one in a place with no
                 # road (a compound, a village written as one) by the place and its number.
                 # A compound at a door of its road is the door's, not in the identity of
                 # what lies behind it; one on its road with no door is: two compounds'
                 # floors 4楼 straight under the road are two places.
                 name_key(row["compound"]) if row.get("compound") and not (
                     road and row.get("door_no")) else ""]
        for column, lvl in (("door_no", "door"), ("building", "building"), ("unit", "unit"),
                            ("floor", "floor"), ("room", "room")):
            parts.append(_element_key(lvl, row.get(column)) if row.get(column) else "")
        return tuple(parts)


def import_address_base(
    engine: Engine, path: Path | str, progress: Progress | None = None
) -> AddressBaseReport:
    """Import a standard address base file into the store's address tree."""
    path = Path(path)
    source = read_source(path)
    report = AddressBaseReport(str(path), read=len(source.records))
    report.problems.extend(source.problems)
    bad_rows = {p.row for p in source.problems}
    table = load_divisions()
    admin = _Admin(table)
    writer = _TreeWriter(engine, table)
    given = _given_codes(source.records, source.first_row, report, writer.used)
    writer.claim(engine, set(given.values()))
    bad_rows |= {p.row for p in report.problems}
    total = len(source.records)
    for i, record in enumerate(source.records):
        number = source.first_row + i
        if number in bad_rows:
            continue
        try:
            _add_row(writer, admin, record, source.geometries[i], given.get(number))
        except ValueError as exc:
            field_name, value = getattr(exc, "field", None), getattr(exc, "value", None)
            report.problems.append(RowProblem(number, field_name, value, str(exc)))
        if progress and (i % 1000 == 0 or i + 1 == total):
            progress(i + 1, total)
    del source  # the file's rows are in the tree now: free them before writing
    new = [n for n in writer.by_key.values() if n.new]
    report.created = len(new)
    report.existing = len(writer.reached)
    _write(engine, writer, new, report)
    report.issued_codes = writer.issued
    report.problems.sort(key=lambda p: p.row)
    return report


class _RowError(ValueError):
    def __init__(self, message: str, field: str, value: object):
        super().__init__(message)
        self.field = field
        self.value = value


def _given_codes(records: list[dict[str, str | None]], first_row: int,
                 report: AddressBaseReport, used: set[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i, record in enumerate(records):
        code = _cell(record, "address_code")
        if code is None:
            continue
        number = first_row + i
        if not CODE_PATTERN.match(code):
            report.problems.append(RowProblem(number, "address_code", code,
                                              "a code is 1–40 letters, digits, _ or -"))
        elif code in seen:
            report.problems.append(RowProblem(number, "address_code", code,
                                              f"the same code is on row {seen[code]}"))
        else:
            seen[code] = number
            out[number] = code
    used.update(out.values())
    return out


def _add_row(writer: _TreeWriter, admin: _Admin, record: dict[str, str | None],
             geom: Any, given_code: str | None) -> None:
    try:
        county = admin.county(_cell(record, "county_code"), _cell(record, "township"))
    except ValueError as exc:
        raise _RowError(str(exc), "county_code", record.get("county_code")) from None
    try:
        township = admin.below(county, _cell(record, "township"), "township")
    except ValueError as exc:
        raise _RowError(str(exc), "township", record.get("township")) from None
    if township is not None and township.level is Level.county:
        county, township = township, None  # a township that became a county (龙港镇)
    elif township is not None and township.parent_code != county.code:
        county = writer.table.get(township.parent_code or "")  # moved since (乔司街道)
    community = None
    if township is not None:
        try:
            community = admin.below(township, _cell(record, "community"), "community")
        except ValueError as exc:
            raise _RowError(str(exc), "community", record.get("community")) from None
    values = {c: _cell(record, c) for c in ELEMENTS}
    for column in ("road", "compound"):
        if values[column] and is_numbered_name(values[column] or ""):
            raise _RowError(f"{column} {values[column]} is a number, not a name: put a door "
                            "number in door_no, a building in building", column, values[column])
    path = _path_levels(values)
    if not path:
        raise _RowError("a row needs at least a road or a compound", "road", None)
    point = None
    if isinstance(geom, Point):
        point = (geom.x, geom.y)
    elif geom is not None:
        raise _RowError("lon/lat must give a point", "lon", None)
    aliases = [a.strip() for a in re.split(r"[;|；]", _cell(record, "aliases") or "") if a.strip()]
    for alias in aliases:
        ended = split_alias(alias)[1]
        try:
            if ended is not None:
                date.fromisoformat(ended)
        except ValueError:
            raise _RowError(f"alias {alias}: {ended} is not a date (YYYY-MM-DD)", "aliases",
                            alias) from None
    if path == ["road"] and values["compound"]:
        # 丰足路九阳袜业 and nothing below it: the road, and the compound (a root, as every
        # compound is) filed on it; the row names the compound.
        _place(writer, county, township, community, {**values, "compound": None}, path,
               point, None, [])
        path = ["compound"]
    _place(writer, county, township, community, values, path, point, given_code, aliases)


def _path_levels(values: dict[str, str | None]) -> list[str]:
    levels = []
    if values["road"]:
        levels.append("road")
    elif values["compound"]:
        levels.append("compound")
    if values["door_no"]:
        levels.append("door")
    for column in ("building", "unit", "floor", "room"):
        if values[column]:
            levels.append(column)
    # Real bases skip levels (a room straight under a door, a building straight under a
    # compound or a road): the path is the levels the row has. It needs a road or compound.
    if levels and levels[0] not in ("road", "compound"):
        raise _RowError(f"a {levels[0]} needs its road or compound", "road", None)
    return levels


@dataclass
class _Step:
    """One node on a row's path, before it is found or created."""

    level: str
    value: str
    row: dict[str, Any]
    text: str
    key: tuple[str, ...]


def _joined(text: str, value: str) -> str:
    """`value` written after `text`; two numbers written bare (缤纷北苑, building 47, unit 6,
    room 746) are kept apart by a dash, as people write them (缤纷北苑47-6-746), not run
    together into one number (476746)."""
    if text and value and text[-1].isascii() and text[-1].isalnum() and (
            value[0].isascii() and value[0].isalnum()):
        return f"{text}-{value}"
    return text + value


def _steps(writer: _TreeWriter, county: Division, township: Division | None,
           community: Division | None, values: dict[str, str | None], path: list[str]
           ) -> list[_Step]:
    """The nodes of a row's path, root first, with their texts and natural keys."""
    area_text = _full_prefix(writer.table, township or county)
    community_text = ""
    if community is not None:
        community_text = next(iter(s for s in short_names(community) if s.endswith("社区")),
                              community.name)
    row: dict[str, Any] = dict.fromkeys(ELEMENTS)
    text = area_text
    unit_text = ""
    steps = []
    for level in path:
        column = {"door": "door_no"}.get(level, level)
        value = values[column]
        assert value is not None
        row = {**row, column: value}
        if level == "compound" and values["road"]:
            text = area_text + values["road"] + value  # a compound filed on its road
            row["road"] = values["road"]
        elif level in ("road", "compound"):
            text = area_text + value
        elif level == "door":
            text = (area_text + community_text + (values["road"] or "") + value
                    + (values["compound"] or "") if values["road"] else text + value)
            row["compound"] = values["compound"]
        elif level == "room":
            text = _joined(unit_text or text, value)
        else:
            text = _joined(text, value)
        if level != "road" and values["road"] and not values["door_no"]:
            # A compound on a road with no door number (复兴路复兴东苑144幢): not a level of
            # the tree (roads and compounds are its roots), but kept on what lies in it, so
            # its name is known, and part of its identity (`_TreeWriter._key`).
            row["compound"] = values["compound"]
        if level in ("building", "unit"):
            unit_text = text
        key = writer._key(county.code, township.code if township else None, row, level)
        steps.append(_Step(level, value, row, text, key))
        if level == "road" and values["compound"] and not values["door_no"]:
            text += values["compound"]  # (what lies in it is written with its name)
    return steps


def _check_given(writer: _TreeWriter, finest: _Step, given_code: str) -> None:
    """Refuse a given code that another address holds, or an address that has another code."""
    node = writer.by_key.get(finest.key)
    if node is not None and node.code != given_code:
        raise _RowError(f"this address already has the code {node.code}", "address_code",
                        given_code)
    owner = writer.code_owner.get(given_code)
    if owner is not None and owner != finest.key:
        raise _RowError("another address holds this code (codes are never reused)",
                        "address_code", given_code)


def _place(writer: _TreeWriter, county: Division, township: Division | None,
           community: Division | None, values: dict[str, str | None], path: list[str],
           point: tuple[float, float] | None, given_code: str | None,
           aliases: list[str]) -> None:
    steps = _steps(writer, county, township, community, values, path)
    if given_code:
        _check_given(writer, steps[-1], given_code)
    parent: _Node | None = None
    for depth, step in enumerate(steps):
        finest = depth == len(steps) - 1
        node = writer.by_key.get(step.key)
        if node is None:
            code = given_code if finest and given_code else ""
            node = _Node(code, step.level, {
                "level": step.level, "value": step.value, "full_text": step.text,
                "county_code": county.code,
                "township_code": township.code if township else None,
                "community_code": community.code if community and step.level not in (
                    "road", "compound") else None,
                **step.row, "aliases": list(aliases) if finest else [], "status": "active",
            }, key=step.key, parent=parent)
            writer.by_key[step.key] = node
            if code:
                writer.code_owner[code] = step.key
        elif not node.new:
            writer.reached.add(step.key)
        elif finest and aliases:
            node.row["aliases"] = sorted(set(node.row["aliases"]) | set(aliases))
        if point is not None and node.new:
            node.points.append(point)
        parent = node


# The address scheme's sequence each level counts in, and the values after it.
_SEQUENCE = {"road": "road", "compound": "road", "door": "door", "building": "door",
             "unit": "room", "floor": "room", "room": "room"}
_AFTER: dict[str, dict[str, int]] = {"road": {"door": 0, "room": 0}, "door": {"room": 0},
                                     "room": {}}
_WIDTH = {"road": (4, 10), "door": (4, 6), "room": (6, 0)}  # sequence, zeros after it
_UNKNOWN = "\0"  # a sequence character not yet issued


def _code_prefix(node: _Node) -> str | None:
    """The code text before a new node's sequence: read from its parent's code (or from what
    is known of it while the parent's own sequence is issued); None until that is known."""
    row = node.row
    if node.parent is None:  # a road or compound counts within its township (or county)
        return str(row["township_code"] or row["county_code"])
    code = node.parent.code or node.parent.pending
    if code is None:
        return None
    if node.level in ("door", "building"):
        area = row["community_code"] or row["township_code"] or row["county_code"]
        road = code[12:16] if len(code) >= 16 else "0000"
        prefix = code[:16] if node.level == "building" and len(code) >= 16 else area + road
    else:  # units, floors and rooms count within their building's 20 characters
        prefix = code[:20] if len(code) >= 20 else code
    return None if _UNKNOWN in prefix else prefix


def _issue_codes(conn: Connection, writer: _TreeWriter, nodes: list[_Node]) -> None:
    """Issue the new nodes' codes through the registry, a scheme level per round.

    A round takes every node whose parent's code is known up to its own sequence, in the
    order the file gave them (the file's first door under a road is door 1); a code the
    store or the file holds is stepped over.
    """
    waiting = [n for n in nodes if not n.code]
    while waiting:
        ready: list[tuple[_Node, str]] = []
        later: list[_Node] = []
        for node in waiting:  # parents come before their children
            prefix = _code_prefix(node)
            if prefix is None:
                later.append(node)
                continue
            width, zeros = _WIDTH[_SEQUENCE[node.level]]
            node.pending = prefix + _UNKNOWN * width + "0" * zeros
            ready.append((node, prefix))
        for start in range(0, len(ready), ISSUE_BATCH):
            part = ready[start : start + ISSUE_BATCH]
            answers = issue_many(conn, [
                CodeRequest("address", _natural_key(n.key), _AFTER[_SEQUENCE[n.level]],
                            object_type="address", sequence=_SEQUENCE[n.level], prefix=prefix)
                for n, prefix in part], reason="import", taken=writer.used, in_order=True,
                named_by_code=True)
            for (node, _), answer in zip(part, answers, strict=True):
                if not answer.created and answer.code in writer.used:
                    raise Conflict(f"the registry gives {answer.code} to the address "
                                   f"{node.row['full_text']}, but another address holds it")
                node.code, node.pending = answer.code, None
                writer.used.add(answer.code)
        writer.issued += len(ready)
        waiting = later


def _natural_key(key: tuple[str, ...]) -> str:
    """The registry's natural key of an address node: its path key, hashed if too long."""
    text = "|".join(key)
    if len(text) <= NATURAL_KEY_LENGTH:
        return text
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _write(engine: Engine, writer: _TreeWriter, nodes: list[_Node],
           report: AddressBaseReport) -> None:
    """Issue the new nodes' codes; store them, their roads and their codes, all in one
    transaction."""
    order = {level: i for i, level in enumerate(
        ("road", "compound", "door", "building", "unit", "floor", "room"))}
    table = cast(Table, Address.__table__)
    with engine.begin() as conn:
        _issue_codes(conn, writer, nodes)  # in the file's order
        nodes.sort(key=lambda n: order[n.level])
        for start in range(0, len(nodes), BATCH):  # rows made a batch at a time
            write_rows(conn, table, [_stored_row(n) for n in nodes[start : start + BATCH]])
        report.roads_created = write_roads(conn, [n.row for n in nodes if n.level == "road"])
        given = [n for n in nodes if n.code in writer.code_owner]  # issued ones are entered
        for start in range(0, len(given), BATCH):
            record_issued(conn, [
                {"code": n.code, "scheme": "address", "object_type": "address",
                 "natural_key": _natural_key(n.key), "reason": "import"}
                for n in given[start : start + BATCH]])


def _stored_row(node: _Node) -> dict[str, Any]:
    """A new node's row as stored: its point is the mean of the points given for it."""
    row = dict(node.row)
    row["code"], row["parent_code"] = node.code, node.parent.code if node.parent else None
    row["geom"] = None
    if node.points:
        row["geom"] = Point(sum(p[0] for p in node.points) / len(node.points),
                            sum(p[1] for p in node.points) / len(node.points))
    return row
