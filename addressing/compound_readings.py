"""Readings that go by a compound where the grammar's reading went by a road.

A compound's name may end in a road word (比胜庙巷, 十五奎巷: an old lane built over, the
estate keeping its name), so the parser reads it as the road; where the base holds both a
road and a compound of the name, a text with no door but a building below names the
compound. A compound the base keeps straight under its road (no door of its own, its
buildings filed under the road) is found by those buildings where the typed door is not
on the road. A road and a compound typed together, the compound found elsewhere, are
told apart by where the base files the compound; a bare number after a place may be its
door; a compound typed with a part after its name (青口南区) may be the compound of the
name alone; a known name inside a longer one typed (温州大学 in 温州大学区) is not read.

And the readings of what is typed twice or run together: of two places typed one after
the other the later (滨海工业区风华园小区), of two roads the later where the first is not
held in the areas (王家埭横丰路), of two buildings the later (隽维中心A座4号楼), a room typed
with its building's letter (B844). The `Geocoder` (addressing/match.py) decides whether a
reading is taken.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from addressing.admin_names import AdminName
from addressing.descend import Found
from addressing.grammar import COMPOUND_SUFFIXES, PART_AFTER, USE_BUILDINGS, is_numbered_only
from addressing.index import AddressIndex, name_key
from addressing.parse import STREET_LEVELS, Element, ParsedAddress
from twin.divisions import LEVEL_DIGITS

_BELOW_DOOR = ("building", "unit", "floor", "room")
OUTER_BUILDING = "outer building"  # a building typed before the one the base holds
# B844 typed with no building: a room numbered with its letter, or building B, room 844.
_LETTERED_ROOM = re.compile("([A-Z])([0-9]{3,4})")
# One character that ends a place's name: typed right after a known name, it makes another.
_PLACE_ENDS = frozenset(["区", *(s for s in COMPOUND_SUFFIXES if len(s) == 1)])


def road_as_compound(parsed: ParsedAddress, index: AddressIndex) -> ParsedAddress | None:
    """The reading of `parsed` with its road as the compound of that name: where no door and
    no compound is typed, something below the door is, and the base holds a compound so
    named (somewhere: the areas are checked by the match); None otherwise."""
    road = parsed.get("road")
    if road is None or parsed.get("compound") is not None or parsed.get("door") is not None:
        return None
    if all(parsed.get(level) is None for level in _BELOW_DOOR):
        return None
    if not index.compounds.get(name_key(road.value)):
        return None
    compound = Element("compound", road.value, road.key, road.span)
    return ParsedAddress(parsed.text, parsed.admin,
                         [compound if e is road else e for e in parsed.elements],
                         list(parsed.leftovers), list(parsed.notes))


def compound_without_part(parsed: ParsedAddress, index: AddressIndex
                          ) -> tuple[ParsedAddress, str] | None:
    """青口南区39栋 where the base holds 青口 (with its building 39栋) as well as 青口南区: the
    reading with the compound named without the part typed after its name (南区, 二区, A区:
    grammar.PART_AFTER), the part not checked, and what to say; None where the base holds no
    compound of the shorter name."""
    compound = parsed.get("compound")
    part = PART_AFTER.search(compound.value) if compound is not None else None
    if compound is None or part is None or part.start() < 2:
        return None
    name = compound.value[:part.start()]
    if not index.compounds.get(name_key(name)):
        return None
    reading = _named_within(parsed, compound, 0, part.start(), "zone")
    if reading is None:
        return None
    return reading, f"{compound.value} read as {name} and its part {part.group(0)}"


def _named_within(parsed: ParsedAddress, compound: Element, start: int, end: int,
                  rest: str | None) -> ParsedAddress | None:
    """`parsed` with the compound named by its characters [start, end) alone, and what
    was typed after them kept as a `rest` leftover (the part of a place); None where the
    typed text does not hold the compound's value as read."""
    text = parsed.text
    at = text.position(compound.span[0])
    if not text.text.startswith(compound.value, at):
        return None
    name = compound.value[start:end]
    shorter = Element("compound", name, name, text.span(at + start, at + end))
    leftovers = list(parsed.leftovers)
    if rest is not None and end < len(compound.value):
        part = compound.value[end:]
        leftovers.append(Element(rest, part, part, text.span(at + end,
                                                              at + len(compound.value))))
    return ParsedAddress(text, parsed.admin,
                         [shorter if e is compound else e for e in parsed.elements],
                         leftovers, list(parsed.notes))


def compound_without_area(parsed: ParsedAddress, index: AddressIndex,
                          areas: Mapping[str, Sequence[AdminName]]
                          ) -> tuple[ParsedAddress, str, set[str]] | None:
    """义乌国际商贸城6街 where the base holds the market as 国际商贸城 (with its aisle 6街) as
    well as 义乌国际商贸城: the reading with the compound named without the area's name it
    begins with, what to say, and the codes of the areas so named (the answer must lie in
    one); None where no area's name begins it or the base holds no compound of the rest."""
    compound = parsed.get("compound")
    if compound is None:
        return None
    for cut in (4, 3, 2):  # the longest area's name first (温州市, 义乌)
        rest = compound.value[cut:]
        named = areas.get(compound.value[:cut], ())
        if len(rest) < 3 or not named or not index.compounds.get(name_key(rest)):
            continue
        reading = _named_within(parsed, compound, cut, len(compound.value), None)
        if reading is None:
            return None
        codes = {n.division.code[:LEVEL_DIGITS[n.division.level]] for n in named}
        return reading, f"{compound.value} read as {rest} of {compound.value[:cut]}", codes
    return None


def compound_across_part(parsed: ParsedAddress, index: AddressIndex,
                         areas: Mapping[str, Sequence[AdminName]]
                         ) -> tuple[ParsedAddress, str, set[str]] | None:
    """鄞州区鄞州商会南楼, 绍兴柯桥北一区 where the compound read (鄞州商会, 柯桥北) begins with an
    area's name and the part typed right after it (南楼, 一区) is a name the base holds
    elsewhere, not checked: the reading by the compound named from after the area's name
    across the part (商会南楼, 北一区) where the base holds one so named, what to say, and the
    codes of the areas so named (the answer must lie in one); None otherwise."""
    compound = parsed.get("compound")
    if compound is None:
        return None
    part = next((e for e in parsed.leftovers
                 if e.level == "extra" and e.span[0] == compound.span[1]), None)
    if part is None:
        return None
    text = parsed.text
    at = text.position(compound.span[0])
    typed = compound.value + part.value
    if not text.text.startswith(typed, at):
        return None
    for cut in (4, 3, 2):  # the longest area's name first
        name, named = typed[cut:], areas.get(compound.value[:cut], ())
        if len(name) < 3 or not named or not index.compounds.get(name_key(name)):
            continue
        across = Element("compound", name, name, text.span(at + cut, at + len(typed)))
        reading = ParsedAddress(text, parsed.admin,
                                [across if e is compound else e for e in parsed.elements],
                                [e for e in parsed.leftovers if e is not part],
                                list(parsed.notes))
        codes = {n.division.code[:LEVEL_DIGITS[n.division.level]] for n in named}
        return reading, f"{typed} read as {name} of {compound.value[:cut]}", codes
    return None


def kept_under_road(index: AddressIndex, roads: list[int], parsed: ParsedAddress
                    ) -> tuple[list[int], str] | None:
    """庆丰北路1298号光大城市花园112幢, where the road holds no such door and the base keeps the
    compound's buildings straight under the road: the typed building of the compound there
    (or, with no building typed, the one numbered as the typed door: 金胜花苑130号), and
    what to say; None where the base holds none or the door is on the road."""
    door, compound = parsed.get("door"), parsed.get("compound")
    if door is None or compound is None:
        return None
    if any(index.child(r, "door", door.key) for r in roads):
        return None
    building = parsed.get("building")
    key = name_key(compound.value)
    number = door if building is None else building
    found = [b for r in roads for b in index.child(r, "building", number.key)
             if index.compound_of.get(b) == key]
    if not found:
        return None
    names = "/".join(sorted({index.value(index.parent_of(b)) for b in found}))
    if building is None:
        said = (f"{door.value} read as a building of {compound.value}, which the base holds "
                f"straight under {names} (no door {door.value} there)")
    else:
        said = (f"door {door.value} not checked: {names} holds no such door, and the base "
                f"holds the buildings of {compound.value} straight under it")
    return found, said


def number_as_door(parsed: ParsedAddress, index: AddressIndex) -> ParsedAddress | None:
    """胡家塔98: a bare number after a compound (no 号, no 栋), read as a building by the
    grammar, as the door of that number, where the base holds a door so numbered under a
    compound of the name and nothing else is typed below; None otherwise."""
    compound, building = parsed.get("compound"), parsed.get("building")
    if (compound is None or building is None or parsed.get("door") is not None
            or parsed.get("road") is not None or building.value != building.key
            or not building.key.isdigit()
            or any(parsed.get(level) is not None for level in _BELOW_DOOR[1:])):
        return None
    places = index.compounds.get(name_key(compound.value)) or []
    if not any(index.child(p, "door", building.key) for p in places
               if index.level_of(p) == "compound"):
        return None
    door = Element("door", building.value, building.key, building.span)
    return ParsedAddress(parsed.text, parsed.admin,
                         [door if e is building else e for e in parsed.elements],
                         list(parsed.leftovers), list(parsed.notes))


def on_no_road(index: AddressIndex, node: int, kept: frozenset[str]) -> bool:
    """Whether `node` is a compound the base files on no road: a root compound whose row
    names no road, whose name no door of a road carries and no road keeps things of
    (`kept`: the names of compounds kept straight under roads)."""
    if index.level_of(node) != "compound" or index.parent_of(node) >= 0 or (
            node in index.filed_on):
        return False
    key = name_key(index.value(node))
    if key in kept:
        return False
    return all(index.level_of(n) == "compound" or index.parent_of(n) < 0
               or index.level_of(index.parent_of(n)) != "road"
               for n in index.compounds.get(key) or [])


def typed_longer(parsed: ParsedAddress, index: AddressIndex) -> ParsedAddress | None:
    """大学城温州大学区: a known compound name (温州大学) read inside a longer one typed (its
    last character a place word left unread): the longer name is another place, which the
    base does not hold, so the name is not read (it is text not understood); where it was
    the compound, a known place typed before it (大学城) is the compound instead. None where
    no name is so typed."""
    compound = parsed.get("compound")
    named = [e for e in (compound, *parsed.leftovers) if e is not None and (
        e is compound or e.level == "extra")]
    for tail in parsed.leftovers:
        if tail.level != "unknown" or tail.value not in _PLACE_ENDS:
            continue
        name = next((e for e in named if e.span[1] == tail.span[0]), None)
        if name is not None:
            break
    else:
        return None
    longer = Element("unknown", name.value + tail.value, name.key + tail.key,
                     (name.span[0], tail.span[1]))
    place = None if name is not compound else next(
        (e for e in reversed(parsed.leftovers) if e.level == "place"
         and e.span[1] <= name.span[0] and index.compounds.get(name_key(e.value))), None)
    elements = [e for e in parsed.elements if e is not name]
    if place is not None:
        elements.append(Element("compound", place.value, place.key, place.span))
        elements.sort(key=lambda e: e.span[0])
    leftovers = [e for e in parsed.leftovers if e not in (tail, place, name)]
    return ParsedAddress(parsed.text, parsed.admin, elements, [*leftovers, longer],
                         list(parsed.notes))


def road_or_compound(index: AddressIndex, pool: list[Found], parsed: ParsedAddress,
                     notes: list[str], kept: frozenset[str]) -> list[Found]:
    """迎春路湘云雅苑 where the road leads to itself alone (no door typed) and the compound
    elsewhere: the road where the base keeps the compound's addresses straight under it;
    the compound where the base files it on no road (the road does not contradict it, and
    the compound is finer); both otherwise (a tie), the reason says (`notes`, changed in
    place). `kept`: the names of compounds kept straight under roads. (A compound filed on
    the road typed never gets here: `Geocoder._anchors` answers it.)"""
    if len(pool) != 2 or parsed.get("door") is not None:
        return pool
    roads = [f for f in pool if index.level_of(f.node) == "road"]
    compound, road = parsed.get("compound"), parsed.get("road")
    if len(roads) != 1 or compound is None or road is None:
        return pool
    others = [f for f in pool if f is not roads[0]]
    notes[:] = [n for n in notes if n != f"{compound.value} is not on {road.value}"]
    key = name_key(compound.value)
    if any(index.compound_of.get(c) == key for c in index.children(roads[0].node)):
        # 新塘路浙江汽配城: the base keeps what is in the compound straight under the
        # road typed; the road is where both typed names meet.
        notes.append(f"the base keeps {compound.value} straight under {road.value} (no "
                     "address of its own there)")
        return roads
    if roads[0].complete == others[0].complete and on_no_road(
            index, ([*index.ancestors(others[0].node)] or [others[0].node])[-1], kept):
        notes.append(f"the base files {compound.value} on no road; {road.value} not checked")
        return others
    notes.append(f"{compound.value} is not on {road.value}")
    return pool


def lettered_room(parsed: ParsedAddress) -> tuple[ParsedAddress, str] | None:
    """The reading of a room typed with a letter and no building (B844) as building B and
    room 844, and what says so; None for any other text."""
    room = parsed.get("room")
    m = _LETTERED_ROOM.fullmatch(room.key) if room is not None else None
    if m is None or room is None or parsed.get("building") is not None:
        return None
    at = room.span[0]
    building = Element("building", room.value[:1], m.group(1), (at, at + 1))
    number = Element("room", room.value[1:], m.group(2), (at + 1, room.span[1]))
    at_room = parsed.elements.index(room)
    elements = [*parsed.elements[:at_room], building, number, *parsed.elements[at_room + 1:]]
    return (ParsedAddress(parsed.text, parsed.admin, elements, parsed.leftovers,
                          parsed.notes),
            f"{room.value} read as building {m.group(1)}, room {m.group(2)}")


def later_place(parsed: ParsedAddress, index: AddressIndex) -> ParsedAddress | None:
    """The reading of `parsed` with the last other known compound name typed (before
    anything below the first) as the compound, the first as a place it lies in; None if
    none."""
    first = parsed.get("compound")
    if first is None:
        return None
    below = [e.span[0] for e in parsed.elements if e.level in STREET_LEVELS[2:]]
    for extra in reversed(parsed.leftovers):  # the last of several is the finest place
        if (extra.level == "extra" and extra.span[0] >= first.span[1]
                and all(extra.span[1] <= at for at in below)
                and index.compounds.get(name_key(extra.value))
                # 二号楼 is a building, not a place; so is a building named by its use
                and not is_numbered_only(extra.value) and extra.key not in USE_BUILDINGS):
            compound = Element("compound", extra.value, extra.key, extra.span)
            place = Element("place", first.value, first.key, first.span)
            elements = [compound if e is first else e for e in parsed.elements]
            leftovers = [place, *(e for e in parsed.leftovers if e is not extra)]
            return ParsedAddress(parsed.text, parsed.admin, elements, leftovers,
                                 list(parsed.notes))
    return None


def later_road(parsed: ParsedAddress, index: AddressIndex) -> ParsedAddress | None:
    """The reading of `parsed` with the road name the base holds typed after the road read
    (as a compound, or a crossing: 王家埭横丰路, 三路口更新街, 大道宋丁路118弄) as the road,
    before anything below it, and the first road a place before it; None if none."""
    road = parsed.get("road")
    if road is None:
        return None
    below = [e.span[0] for e in parsed.elements if e.level in STREET_LEVELS[2:]]
    for later in (*parsed.elements, *parsed.leftovers):
        if (later.level in ("compound", "crossing") and later.span[0] >= road.span[1]
                and all(later.span[1] <= at for at in below)
                and index.roads.get(name_key(later.value))):
            elements = sorted([*(e for e in parsed.elements if e is not road and e is not later),
                               Element("road", later.value, later.key, later.span)],
                              key=lambda e: e.span)
            # (王家 and 埭 are one place: 王家埭)
            glued = next((e for e in parsed.leftovers if e.level == "place"
                          and e.span[0] == road.span[1] and e.span[1] <= later.span[0]), None)
            place = road if glued is None else Element(
                "place", road.value + glued.value, road.key + glued.key,
                (road.span[0], glued.span[1]))
            leftovers = [Element("place", place.value, place.key, place.span),
                         *(e for e in parsed.leftovers if e is not later and e is not glued)]
            return ParsedAddress(parsed.text, parsed.admin, elements, leftovers,
                                 list(parsed.notes))
    return None


def later_building(parsed: ParsedAddress) -> ParsedAddress | None:
    """The reading of `parsed` with the last other building typed after the first (and
    before anything below) as the building, the first kept as one not checked; None if
    none."""
    first = parsed.get("building")
    if first is None:
        return None
    below = [e.span[0] for e in parsed.elements if e.level in ("unit", "floor", "room")]
    for extra in reversed(parsed.leftovers):
        if (extra.level == "extra" and extra.value.endswith("栋")
                and extra.span[0] >= first.span[1] and all(extra.span[1] <= at for at in below)):
            building = Element("building", extra.value, extra.key, extra.span)
            outer = Element(OUTER_BUILDING, first.value, first.key, first.span)
            elements = [building if e is first else e for e in parsed.elements]
            leftovers = [outer, *(e for e in parsed.leftovers if e is not extra)]
            return ParsedAddress(parsed.text, parsed.admin, elements, leftovers,
                                 list(parsed.notes))
    return None
