"""Down from a road, compound or door node by the typed door, building, unit, floor and
room: the walk that turns an anchor the matcher found into the finest node the base holds
for the text, with what it cost and what it noted (`Found`).

`Descent.descend` reads the text by the parser's grammar; `Descent.read_below` reads what
is left below the node by the base's own names (`addressing.below`). The `Geocoder`
(addressing/match.py) chooses among the anchors and the readings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from addressing.below import read_below
from addressing.door_numbers import numbered_and_sub, split_sub_number
from addressing.grammar import PHASE_BEFORE, PHASE_WORDS, without_phase
from addressing.index import NO_PARENT, AddressIndex, name_key
from addressing.parse import STREET_LEVELS, Element, ParsedAddress

# A typed door number that is not the compound's: confirmed by the typed road, or not.
DOOR_DIFFERS, DOOR_DIFFERS_ALONE = 15, 40
BELOW_PENALTY = 5  # the text below a place read by the base's names, not the grammar's
# What a note says when the grammar's reading stopped (dropped when the base's names go on).
_MISSED = (" not found", "not checked", "cannot go below", "door has several", "is not known",
           "a door that differs")
NAMES_A_NUMBER = re.compile("[0-9A-Z]")
_STEPPED_OVER = "not checked (the base does not hold it there)"


# One is made per node reached: its __init__ is written out (see addressing/native.py).
@dataclass(init=False)
class Found:
    """A node reached while descending, with what it cost and what was noted."""

    node: int
    penalty: int
    notes: list[str]
    complete: bool  # every typed element below the anchor was found
    ties: tuple[int, ...]  # several nodes fit equally (node is the first of them)
    # Stopped at a door whose number differs from the one typed: any other reading is better.
    stopped: bool

    def __init__(self, node: int, penalty: int, notes: list[str], complete: bool,
                 ties: tuple[int, ...] = (), stopped: bool = False) -> None:
        self.node, self.penalty, self.notes, self.complete, self.ties = (
            node, penalty, notes, complete, ties)
        self.stopped = stopped


class Descent:
    """The walk down one index (read-only; shared by the geocoder's threads)."""

    def __init__(self, index: AddressIndex) -> None:
        self.index = index

    def descend(self, anchor: int, parsed: ParsedAddress, by_compound: bool = False) -> Found:
        """Walk from a road/compound/door node down the typed door, building, unit, floor, room.

        A typed door number that differs from the compound's door costs more when no typed
        road confirms the compound (`by_compound`): then it is a candidate, not a match."""
        index = self.index
        node = anchor
        notes: list[str] = []
        penalty = 0
        level = index.level_of(node)
        door_el = parsed.get("door")
        if level == "building":  # a compound's building kept straight under its road
            return self._inside_buildings([node], parsed.get("unit"), parsed.get("floor"),
                                          parsed.get("room"), node, notes, penalty)
        if level in ("road", "compound") and door_el is not None:
            doors = index.child(node, "door", door_el.key)
            # A number typed without 号 (保利霞飞郡8-341) may be a building or a room wherever
            # the node holds no such door; with 号 (斗南新区613号), a building a compound
            # holds so numbered next to doors of its own (a road's may be another compound's
            # kept under it).
            plain = not index.children(node, "door") or door_el.value == door_el.key
            buildings = index.child(node, "building", door_el.key) if (
                len(doors) != 1 and parsed.get("building") is None
                and (plain or level == "compound")) else []
            if len(buildings) == 1:
                # 六合小区237号: where the base numbers a compound's buildings, not its
                # doors, the number is the building's.
                notes.append(f"{door_el.value} read as a building of {index.value(node)}")
                return self._inside_buildings(buildings, parsed.get("unit"), parsed.get("floor"),
                                              parsed.get("room"), node, notes, penalty)
            if len(doors) != 1 and plain and parsed.get("building") is None:
                rooms = index.rooms_in(node, door_el.key) if parsed.get("room") is None else []
                if len(rooms) == 1:  # 文华小区3115号: rooms straight under the compound
                    notes.append(f"{door_el.value} read as a room of {index.value(node)}")
                    return Found(rooms[0], penalty, notes, True)
            if len(doors) != 1 and plain:
                shifted = self._door_as_building(node, parsed, notes, penalty)
                if shifted is not None:
                    return shifted
            split = split_sub_number(door_el.key) if not doors else None
            if split is not None and parsed.get("building") is None:
                return self._sub_numbered(node, door_el.value, *split, parsed, notes, penalty)
            if not doors and all(parsed.get(lvl) is None for lvl in STREET_LEVELS[3:]):
                # 飞霞南路置信广场2514: no such door, and the base files a room so numbered
                # straight under the road (its door and building left out).
                rooms = index.rooms_in(node, door_el.key)
                if len(rooms) == 1:
                    notes.append(f"{door_el.value} read as a room of {index.value(node)}")
                    return Found(rooms[0], penalty, notes, True)
            if len(doors) != 1:
                road = index.filed_on.get(node)  # a compound filed on its road, no door
                notes.append(
                    f"door {door_el.value} not found on {index.value(node)}" if road is None
                    else f"door {door_el.value} not checked: the base files "
                    f"{index.value(node)} on {road} with no door")
                return Found(node, penalty, notes, False)
            node = doors[0]
        differs = False
        building_el = parsed.get("building")
        split = split_sub_number(door_el.key) if (
            level == "door" and door_el is not None and building_el is None) else None
        parent = index.parent_of(node)
        if (split is not None and door_el is not None and split[0] == index.node_key(node)
                and parent != NO_PARENT):
            # 南苑东路109-10号金诚口腔, found by the compound at door 109: the typed door
            # is that door and what is numbered 10 behind it.
            return self._sub_numbered(parent, door_el.value, *split, parsed, notes, penalty)
        if level == "door" and door_el is not None and index.node_key(node) != door_el.key:
            notes.append(f"door number {door_el.value} differs from {index.value(node)}")
            penalty += DOOR_DIFFERS_ALONE if by_compound else DOOR_DIFFERS
            differs = True
        unit_el, floor_el, room_el = parsed.get("unit"), parsed.get("floor"), parsed.get("room")
        if building_el is None and unit_el is None and floor_el is None and room_el is None:
            # The compound's door, not the typed one: found only if something below confirms.
            return Found(node, penalty, notes, not differs)
        found = self._below_door(node, parsed, list(notes), penalty)
        if differs and not found.complete and found.node != node:
            # What is typed below belongs to the door typed, not to this one: only all of
            # it found here confirms this door; a part of it is a guess (55号B座15楼 at 9号
            # whose B座 has no 15楼), so the answer stops at the compound's door.
            notes.append(f"what is typed below is not all at {index.value(node)}; "
                         "not read below a door that differs")
            return Found(node, penalty, notes, False, stopped=True)
        return found

    def _below_door(self, node: int, parsed: ParsedAddress, notes: list[str], penalty: int
                    ) -> Found:
        """Down from a road, compound or door node by the typed building, unit, floor and
        room (the door, if any, already found)."""
        index = self.index
        building_el = parsed.get("building")
        unit_el, floor_el, room_el = parsed.get("unit"), parsed.get("floor"), parsed.get("room")
        # A base may skip levels (a building straight under a road, a room straight under
        # a door): what holds the typed levels is the node itself where it has no buildings.
        has_buildings = bool(index.children(node, "building"))
        kept = self._kept_below(node, parsed, notes, penalty) if (
            index.level_of(node) == "road") else None
        if kept is not None:
            return kept
        if index.level_of(node) == "road" and not (
                (has_buildings and building_el is not None)
                or (not has_buildings and any(index.level_of(c) != "door"
                                              for c in index.children(node)))):
            if (building_el is not None and room_el is not None and unit_el is None
                    and floor_el is None and building_el.key.isdigit()
                    and index.child(node, "door", building_el.key)):
                # 紫金街154-8: read as building-room, but the road numbers its doors so.
                typed = f"{building_el.key}-{room_el.key}"
                return self._sub_numbered(node, typed, building_el.key, room_el.key,
                                          None, notes, penalty)
            doors = index.child(node, "door", building_el.key) if (
                building_el is not None and unit_el is not None and building_el.key.isdigit()
                and parsed.get("door") is None) else []
            if len(doors) == 1:
                # 西山路1248-12-12: read as building-unit-room, but the road numbers its
                # doors so: the door, then what is typed below it.
                assert building_el is not None
                notes.append(f"{building_el.key} read as the door {index.value(doors[0])} "
                             f"of {index.value(node)}")
                return self._below_door(doors[0], _without(parsed, building_el), notes,
                                        penalty)
            if building_el is None and room_el is not None:
                # 飞霞南路飞霞大厦2608室: a room the base files straight under the road.
                rooms = [r for r in index.rooms_in(node, room_el.key)
                         if self._fits(r, unit_el, floor_el)]
                if len(rooms) == 1:
                    return Found(rooms[0], penalty, notes, True)
                named = index.child(node, "building", room_el.key) if (
                    unit_el is None and floor_el is None) else []
                if len(named) == 1:  # 火花路川北购物中心173: the number is a building there
                    notes.append(f"{room_el.value} read as the building {index.value(named[0])}")
                    return Found(named[0], penalty, notes, True)
            notes.append("no door number typed; cannot go below the road")
            return Found(node, penalty, notes, False)
        if building_el is not None and not has_buildings and index.children(node):
            if building_el.value.endswith("楼") and floor_el is None:
                # 14楼 names a building or a floor; where the base has no buildings, a floor.
                notes.append(f"{building_el.value} read as a floor: the base has no "
                             f"buildings at {index.full_text(node)}")
                floor_el = Element("floor", building_el.value, building_el.key, building_el.span)
            elif unit_el is None and floor_el is None and room_el is None:
                # Nothing typed below confirms a reading without the building: the number
                # is read by what the base holds here (`_read_below`), or the answer stops.
                notes.append(f"building {building_el.value} not found at "
                             f"{index.full_text(node)}")
                return Found(node, penalty, notes, False)
            else:
                # The base leaves the building out here: match by the levels it has.
                notes.append(f"building {building_el.value} not checked: the base has no "
                             f"buildings at {index.full_text(node)}")
            buildings = [node]
        elif building_el is not None:
            buildings = index.child(node, "building", building_el.key) or self._phased(
                node, building_el, notes)
            parent = index.parent_of(node)
            if (not buildings and index.level_of(node) == "door" and parsed.get("door") is None
                    and room_el is not None
                    and unit_el is None and floor_el is None and parent != NO_PARENT
                    and building_el.key == index.node_key(node)):
                # 模具城冶山路483-8, found by the compound at door 483: the door's own number
                # typed, then what is numbered 8 behind it.
                return self._sub_numbered(parent, f"{building_el.key}-{room_el.key}",
                                          building_el.key, room_el.key, None, notes, penalty)
            if not buildings:
                notes.append(f"building {building_el.value} not found at {index.full_text(node)}")
                return Found(node, penalty, notes, False)
        elif has_buildings:
            buildings = index.children(node, "building")
            if len(buildings) > 1 and room_el is None:
                notes.append("no building typed and the door has several")
                return Found(node, penalty, notes, False)
            given = [el for el in (unit_el, floor_el, room_el) if el is not None]
            named = [b for b in buildings if len(given) == 1 and (
                index.node_key(b) == given[0].key or index.value(b) == given[0].value)]
            if len(named) == 1:  # 创意产业园1444: the number read as a room is the building
                notes.append(f"{given[0].value} read as the building {index.value(named[0])}")
                return Found(named[0], penalty, notes, True)
            # No building typed: one that nothing typed below confirms is no answer.
            return self._inside_buildings(buildings, unit_el, floor_el, room_el, node, notes,
                                          penalty, inferred=True)
        else:
            buildings = [node]
        return self._inside_buildings(buildings, unit_el, floor_el, room_el, node, notes, penalty)

    def read_below(self, found: Found, parsed: ParsedAddress
                    ) -> tuple[Found, list[Element], tuple[int, int]] | None:
        """Where the grammar's reading stopped short of the text: the text after the
        elements found down to `found.node` read by what the base holds below it
        (`addressing.below`), the elements so read, and the stretch of typed text read."""
        index = self.index
        text = parsed.text
        at = text.position(self._typed_end(found.node, parsed))
        reading = read_below(index, found.node, text.text[at:])
        if reading.unsplit is not None and reading.unsplit not in found.notes:
            found.notes.append(reading.unsplit)
        if not reading.nodes:
            return None
        node = reading.nodes[-1]
        # What the descent missed is read again below; a phase it stepped over stays said.
        notes = [n for n in found.notes if not any(m in n for m in _MISSED)
                 or n.endswith(_STEPPED_OVER)]
        notes.append(f"{reading.read} read as " + ", ".join(
            f"{index.level_of(n)} {index.value(n)}" for n in reading.nodes)
            + f" (what the base holds under {index.value(found.node)})")
        notes += [f"{phase} not checked (the base does not hold it there)"
                  for phase in reading.stepped_over]
        if reading.unsplit is not None and reading.unsplit not in notes:
            notes.append(reading.unsplit)
        door_el = parsed.get("door")
        if door_el is not None and index.ancestor_at(node, "door") is None and (
                door_el.span[1] <= text.span(at, at)[0]):
            # 庆丰北路1298号光大城市花园112幢781室 where the base keeps the compound on the
            # road without a door: the door typed is not checked, and that is said.
            notes.append(f"door {door_el.value} not checked (the base holds "
                         f"{index.value(reading.nodes[0])} with no door)")
        rest = reading.rest.strip()
        if rest:
            notes.append(f"not read below {index.value(node)}: {rest}")
        # Unread text ends the match only where it may name something (a number, or
        # anything where the base holds more below); a note after a room does not.
        complete = not rest or not (NAMES_A_NUMBER.search(rest) or index.children(node))
        read = [Element(index.level_of(n), text.text[at + s:at + e], index.node_key(n),
                        text.span(at + s, at + e)) for n, (s, e) in zip(
                            reading.nodes, reading.spans, strict=True)]
        stretch = text.span(at, at + len(reading.read))
        return Found(node, found.penalty + BELOW_PENALTY, notes, complete), read, stretch

    def read_from_the_road(self, found: Found, parsed: ParsedAddress
                           ) -> tuple[Found, list[Element], tuple[int, int]] | None:
        """东环路6巷12弄7号 where the base holds the lane 6巷12弄 with nothing numbered 7号 in
        it and, beside it on the road, the door 6巷12弄7号 written whole: what is typed after
        the road, read by what the road holds (`read_below` from the road), where that
        reads all of it and reaches another door than the one found."""
        index = self.index
        road = index.parent_of(found.node)
        if found.complete or index.level_of(found.node) != "door" or road == NO_PARENT or (
                index.level_of(road) != "road"):
            return None
        below = self.read_below(Found(road, found.penalty, list(found.notes), False), parsed)
        if below is None or not below[0].complete or below[0].node == found.node or (
                index.ancestor_at(below[0].node, "door") in (None, found.node)):
            return None
        return below

    def keeps(self, road: int, compound: str) -> bool:
        """Whether `road` keeps what lies in the compound named `compound` (its buildings,
        or where the base skips them its units, floors or rooms) straight under it: the
        base gives the compound no door there."""
        key = name_key(compound)
        return any(self.index.compound_of.get(c) == key for c in self.index.children(road))

    def _kept_below(self, road: int, parsed: ParsedAddress, notes: list[str], penalty: int
                    ) -> Found | None:
        """吴桥路吴桥大厦四楼 where the base keeps what lies in the compound straight under
        the road (no door; a floor with no building): the first level typed below the
        compound, among what the road keeps for it, then the levels typed below that."""
        index = self.index
        compound_el = parsed.get("compound")
        if compound_el is None:
            return None
        key = name_key(compound_el.value)
        typed = [(level, parsed.get(level)) for level in ("building", "unit", "floor", "room")]
        below = [(level, el) for level, el in typed if el is not None]
        if not below:
            return None
        level, first = below[0]
        hits = [c for c in index.children(road, level) if index.compound_of.get(c) == key
                and index.node_key(c) == first.key]
        if len(hits) != 1:
            return None
        rest = dict(below[1:])
        if level == "building":
            return self._inside_buildings(hits, rest.get("unit"), rest.get("floor"),
                                          rest.get("room"), hits[0], notes, penalty)
        node = hits[0]
        for lvl, el in rest.items():  # a unit's floors and rooms, a floor's rooms
            found = self._below(node, lvl, el.key)
            if len(found) != 1:
                notes.append(f"{lvl} {el.value} not found in {index.full_text(node)}")
                return Found(node, penalty, notes, False)
            node = found[0]
        return Found(node, penalty, notes, True)

    def _typed_end(self, node: int, parsed: ParsedAddress) -> int:
        """Where in the typed text the elements that name `node` and its ancestors end
        (after the admin prefix at least)."""
        index = self.index
        on_path = {index.level_of(n): n for n in (node, *index.ancestors(node))}
        end = parsed.text.span(0, parsed.admin.end)[1]
        for e in parsed.elements:
            at = on_path.get(e.level)
            if e.level == "road":
                taken = at is not None
            elif e.level == "compound":
                # A compound typed after a door that names another (or none) is not the
                # door's: what it says may lie below (368号后幢).
                door = on_path.get("door")
                taken = at is not None or (door is not None and (
                    index.compound_of.get(door) == name_key(e.value) or not after_door(e, parsed)))
                if not taken and node == on_path.get("road"):
                    # 芙蓉西路航天御苑93135: a compound the road keeps its buildings for
                    # (no door): what follows its name lies below the road.
                    taken = self.keeps(node, e.value)
            else:
                taken = at is not None and index.node_key(at) in (e.key, without_phase(e.key))
            if taken:
                end = max(end, e.span[1])
        return end

    def _door_as_building(self, node: int, parsed: ParsedAddress, notes: list[str],
                          penalty: int) -> Found | None:
        """招商城48号3-296室 where the compound numbers its buildings, not its doors: the
        door typed is the building, and the building typed (3 of 3-296) its unit, when the
        base holds that building and no unit was typed; None otherwise."""
        index = self.index
        door_el, building_el = parsed.get("door"), parsed.get("building")
        if door_el is None or building_el is None or parsed.get("unit") is not None:
            return None
        buildings = index.child(node, "building", door_el.key)
        units = index.child(buildings[0], "unit", building_el.key) if len(buildings) == 1 else []
        if len(units) != 1:
            return None
        notes.append(f"{door_el.value} read as a building of {index.value(node)}, "
                     f"{building_el.key} as its unit")
        unit_el = Element("unit", building_el.value, building_el.key, building_el.span)
        return self._inside_buildings(buildings, unit_el, parsed.get("floor"),
                                      parsed.get("room"), node, notes, penalty)

    def _sub_numbered(self, road: int, typed: str, door_key: str, sub_key: str,
                      parsed: ParsedAddress | None, notes: list[str], penalty: int) -> Found:
        """柳乐路119-52号 where the road (or compound) has no door 119-52: the door (or
        building) 119 and what is numbered 52 under it; what is typed below goes on from
        there (`parsed`)."""
        index = self.index
        level = "door" if index.children(road, "door") else "building"
        door, sub = numbered_and_sub(index, road, level, door_key, sub_key)
        if door < 0 and level == "door" and index.children(road, "building"):
            # 建设二路保利霞飞郡8-341: a road with doors that keeps a compound's buildings
            # straight under it too
            door, sub = numbered_and_sub(index, road, "building", door_key, sub_key)
        if door < 0:
            notes.append(f"door {typed} not found on {index.value(road)}")
            return Found(road, penalty, notes, False)
        if sub is None:
            notes.append(f"door {typed} read as {index.value(door)}; {sub_key} not found there")
            return Found(door, penalty, notes, False)
        notes.append(f"door {typed} read as {index.value(door)} {index.value(sub)}")
        if parsed is None or index.level_of(sub) != "building":
            complete = parsed is None or all(parsed.get(lvl) is None
                                             for lvl in ("unit", "floor", "room"))
            return Found(sub, penalty, notes, complete)
        return self._inside_buildings([sub], parsed.get("unit"), parsed.get("floor"),
                                      parsed.get("room"), door, notes, penalty)

    def _phased(self, node: int, building_el: Element, notes: list[str]) -> list[int]:
        """12栋 typed where the base names the building 3期12栋 (phase, cluster or zone
        first): the one building whose value ends so; and 3期12栋 typed where it names 12栋."""
        index, key = self.index, building_el.key
        bare = without_phase(key)
        if bare != key:
            # 2期11栋 typed where the base names the building 11栋 and no building by its
            # phase: the phase not checked.
            buildings = index.children(node, "building")
            if any(PHASE_BEFORE.match(index.node_key(b)) for b in buildings):
                return []
            fits = index.child(node, "building", bare)
            if len(fits) == 1:
                notes.append(f"{key[:-len(bare)]} not checked (the base does not hold it there)")
            return fits if len(fits) == 1 else []
        if not building_el.value.endswith("栋"):
            return []  # a bare number (2 of 2组团…) may be anything
        fits = [b for b in index.children(node, "building")
                if (k := index.node_key(b)).endswith(key) and len(k) > len(key)
                and k[: -len(key)].endswith(PHASE_WORDS)]
        if len(fits) == 1:
            notes.append(f"building {building_el.value} read as {index.value(fits[0])}")
        return fits if len(fits) == 1 else []

    def _inside_buildings(
        self, buildings: list[int], unit_el: Element | None, floor_el: Element | None,
        room_el: Element | None, door: int, notes: list[str], penalty: int,
        inferred: bool = False,
    ) -> Found:
        """Down from the building(s) by the typed unit, floor and room. Where the building
        was not typed (`inferred`, the door's only one), a miss below stops at the door."""
        index = self.index
        if unit_el is not None and room_el is not None and len(buildings) == 1 and not (
                index.children(buildings[0], "unit")) and index.rooms_in(buildings[0],
                                                                         room_el.key):
            # 3栋2梯553室 where the base holds no units in the building: the unit is not
            # checked, the room (typed below it) decides.
            notes.append(f"unit {unit_el.value} not checked: the base holds no units in "
                         f"{index.full_text(buildings[0])}")
            unit_el = None
        if room_el is not None:
            rooms = [r for b in buildings for r in index.rooms_in(b, room_el.key)]
            if inferred and door not in buildings:
                # No building typed: a room the base files straight under the place (its
                # building left out) is as good a reading.
                rooms += index.rooms_in(door, room_el.key)
            rooms = [r for r in rooms if self._fits(r, unit_el, floor_el)]
            if len(rooms) == 1:
                if len(buildings) > 1:
                    notes.append("building inferred from the room number (unique)")
                return Found(rooms[0], penalty, notes, True)
            if len(rooms) > 1:
                return Found(rooms[0], penalty, notes, True, tuple(rooms))
        if len(buildings) != 1:
            notes.append("room not found and the building is not known")
            return Found(door, penalty, notes, False)
        node = buildings[0]
        for el, level in ((unit_el, "unit"), (floor_el, "floor")):
            if el is None:
                continue
            below = self._below(node, level, el.key)
            if len(below) != 1:
                notes.append(f"{level} {el.value} not found in {index.full_text(node)}")
                return Found(door if inferred else node, penalty, notes, False)
            node = below[0]
        if room_el is not None:
            notes.append(f"room {room_el.value} not found in {index.full_text(node)}")
            return Found(door if inferred else node, penalty, notes, False)
        return Found(node, penalty, notes, True)

    def _below(self, node: int, level: str, key: str) -> list[int]:
        direct = self.index.child(node, level, key)
        if direct or level != "floor":
            return direct
        units = self.index.children(node, "unit")
        return [f for u in units for f in self.index.child(u, level, key)]

    def _fits(self, room: int, unit_el: Element | None, floor_el: Element | None) -> bool:
        index = self.index
        for el, level in ((unit_el, "unit"), (floor_el, "floor")):
            if el is None:
                continue
            above = index.ancestor_at(room, level)
            if above is None or index.node_key(above) != el.key:
                return False
        return True


def _without(parsed: ParsedAddress, element: Element) -> ParsedAddress:
    """`parsed` without one of its elements."""
    return ParsedAddress(parsed.text, parsed.admin, [e for e in parsed.elements
                                                     if e is not element],
                         parsed.leftovers, parsed.notes)


def after_door(element: Element, parsed: ParsedAddress) -> bool:
    """Whether `element` was typed after the door."""
    door = parsed.get("door")
    return door is not None and element.span[0] >= door.span[1]
