"""The numbers of the street part: door, building, unit, floor and room, read by their forms.

A number's level is decided by the word after it (12号, 3栋, 2单元, 6楼, 1201室), by the
dash chains real texts write instead (3-2-1201: building, unit, room; 纽扣路344-110: a road's
door and what lies behind it; 将军路1326-11-6-434), and by what was read before it (三楼819号
is a room, not a door). `NumberReader` holds what the street reader has found so far and
reads the numbers at a position; `addressing.parse` walks the text and names the places
between them.
"""

from __future__ import annotations

import re

from addressing.grammar import (
    COMPOUND_SUFFIX,
    DOOR_PREFIXES,
    DOOR_SUB_WORDS,
    GROUP_WORDS,
    LANE_CHAIN_WORDS,
    LANE_NAME_WORDS,
    LANE_WORDS,
    PHASE_WORDS,
    ROAD_SUFFIX,
    ROAD_SUFFIXES,
    is_room_run,
)

# One street element as read: level, value, key, and its span in the street text.
Piece = tuple[str, str, str, int, int]

# A door number, or a lane's or a village group's (朝晖路416弄, 永西村6组: the lane is a
# door of the road, the group of the village; their own doors follow as buildings, as bases
# that hold lanes and groups write them). A word before the number is part of the door
# (甲12号, 附1号), and so is a sub-door after it (12号之1, 12号附3; not 12号附1栋).
_PREFIXES = "|".join(DOOR_PREFIXES)
_DOOR = re.compile(
    f"((?:{_PREFIXES})?[0-9]+(?:-[0-9]+)?)(?:号(?:({'|'.join(DOOR_SUB_WORDS)})([0-9]+)号?"
    r"(?![0-9]|栋|单元|层|楼|室))?(?:院)?"
    f"|({'|'.join(LANE_WORDS + GROUP_WORDS)})(?!团))")
# 3栋, and the phase, cluster or zone before it that bases keep in the building's value
# (3期12栋, 6组团7栋, A区3栋): the key is the whole of it.
_PHASES = "|".join(PHASE_WORDS)
_BUILDING_MARKERS = ("栋", *PHASE_WORDS)
_ROW_MARKERS = ("排", *PHASE_WORDS)
_BUILDING = re.compile(f"((?:[0-9A-Z]+(?:{_PHASES}))?[0-9A-Z]+)栋")
_UNIT = re.compile(r"([0-9A-Z]+)单元")
_FLOOR = re.compile(r"(-?[0-9]+)(层|楼|F(?![0-9A-Z]))")
# 4楼01, 4F01: room 401 (not 3楼97号门, a gate on the floor)
_FLOOR_ROOM = re.compile(r"([0-9]+)(?:层|楼|F)([0-9]{2})(?![0-9A-Z]|街|号门)")
_ROOM = re.compile(r"([0-9]+)(?:室|号)")
# (Not 58-130-7单元: its last number is the unit.)
_TRIPLE = re.compile(r"([0-9A-Z]+)-([0-9]+)-([0-9]+)(?:室|号|(?![0-9]|单元))")
_PAIR = re.compile(r"([0-9A-Z]+)-([0-9]+)(?:室|号)?")
_QUADRUPLE = re.compile(r"([0-9]+)-([0-9A-Z]+)-([0-9A-Z]+)-([0-9]+)(?:室|号)?(?![0-9A-Z-])")
_SUB_BUILDING = re.compile(r"([0-9A-Z]+-[0-9A-Z]+)栋")
_LETTER_ROOM = re.compile(r"([A-Z])([0-9]{3,4})(?:室|号)?(?![0-9])")
_LETTERED_ROOM = re.compile(r"([A-Z]?[0-9]{2,}[A-Z]?)(?:室|号)?(?![0-9A-Z])")
# 12排: a row of houses, numbered as buildings are (its houses follow: 12排59号).
_ROW = re.compile(f"(?:[0-9A-Z]+(?:{_PHASES}))?[0-9A-Z]+排")
# 6栋1号496室, 7幢9号13楼: a number with 号 between a building and its floor or room is a
# unit (rooms come last).
_UNIT_BY_NUMBER = re.compile(
    r"([0-9A-Z]+)号(?= ?(?:-?[0-9]+(?:层|楼|F)|[0-9A-Z]*[0-9][0-9A-Z]*室"
    r"|[0-9]{3,}(?![0-9]*(?:层|楼))))")
# A market's zone and aisle (国际商贸城4区6楼7街41050, 9层1区6街20427): the zone, typed
# where no building follows, is not checked; the aisle, after a floor or a zone, is held
# at the unit level.
_ZONE = re.compile(r"(?:[0-9A-Z]+(?:期|区))+(?![0-9A-Z]+(?:栋|排))")
# 国际商贸城79号门: a gate of the place, not an element of the address (门面 a shopfront).
_GATE = re.compile(r"[0-9A-Z]+号门(?![面市牌店口卫岗诊])")
_AISLE = re.compile(r"([0-9A-Z]+)街(?= ?[0-9A-Z])")
NUMERAL_ZONE = re.compile(r"[一二三四五六七八九十]+区")  # 国际商贸城四区: a market's zone
_ZONE_END = re.compile(r"(?:[0-9A-Z]+|[一二三四五六七八九十]+)区$")  # a name ending in its zone
_NUMBER = re.compile(r"([0-9]+)")
_TOKEN = re.compile(f"([0-9A-Z]+)(号|栋|单元|层|楼|室|支弄|弄|{_PHASES}|组|排|街|-)?")
_LANES = "|".join(LANE_WORDS)
# 东环路6巷12弄: a numbered lane in a numbered lane, one lane of the road.
_LANE_CHAIN = re.compile(f"[0-9]+(?:{'|'.join(LANE_CHAIN_WORDS)})[0-9]+(?:{_LANES})")
# A lane's name typed after its road (王家弄, 富兴路 of 富兴路5弄): a few characters, none
# an area's or a number's, ending like a lane (or like a road, before a numbered lane).
_LANE_NAME = re.compile(f"[^0-9A-Z 省市区县镇乡村]{{1,4}}(?:{'|'.join(LANE_NAME_WORDS)})")
_LANE_ROAD_NAME = re.compile(f"[^0-9A-Z 省市区县镇乡村]{{1,4}}(?:{'|'.join(ROAD_SUFFIXES)})")


class NumberReader:
    """What the street reader has found so far, and the reading of the numbers in it.

    The street reader (`addressing.parse`) extends it with the reading of names; it
    decides what an unknown run before a number is (`flush_unknown`).
    """

    def __init__(self, text: str):
        self.t = text
        self.found: dict[str, Piece] = {}
        self.leftovers: list[Piece] = []
        self.unknown_start: int | None = None

    def add(self, level: str, value: str, key: str, start: int, end: int) -> None:
        """Keep an element read; a second one of a level already read is a leftover."""
        if level in self.found:
            self.leftovers.append(("extra", value, key, start, end))
            return
        self.found[level] = (level, value, key, start, end)

    def flush_unknown(self, end: int, before: str | None) -> None:
        """Classify the unknown run ending at `end`, `before` the level read next."""
        raise NotImplementedError

    def road_pending(self, pos: int) -> bool:
        """Whether the unknown run before `pos` ends like a road's name (not yet read)."""
        return self.unknown_start is not None and bool(
            ROAD_SUFFIX.search(self.t, self.unknown_start, pos))

    def compound_pending(self, pos: int) -> bool:
        """Whether the unknown run before `pos` ends like a compound's name (not yet read)."""
        return self.unknown_start is not None and bool(
            COMPOUND_SUFFIX.search(self.t, self.unknown_start, pos))

    def just_after_compound(self, pos: int) -> bool:
        """Whether a compound read after the road ends right before `pos`."""
        compound, road = self.found.get("compound"), self.found.get("road")
        return compound is not None and road is not None and road[4] <= compound[3] and (
            self.unknown_start is None and self.t[compound[4]:pos].strip() == "")

    def after_zone(self, pos: int) -> bool:
        """Whether a market's zone (4区, or a name ending in one) was read just before `pos`."""
        if self.unknown_start is not None:  # 四区, not yet classified
            return "compound" in self.found and bool(
                NUMERAL_ZONE.fullmatch(self.t, self.unknown_start, pos))
        last = self.leftovers[-1] if self.leftovers else None  # (a gate after it: 四区79号门97街)
        if last is not None and last[0] in ("zone", "gate") and last[4] == pos:
            return True
        # 福田市场H区15街: a market the base names with its zone, read just before
        compound = self.found.get("compound")
        return compound is not None and compound[4] == pos and self.unknown_start is None and (
            _ZONE_END.search(compound[1]) is not None)

    def door_of_road(self, pos: int, number: str) -> bool:
        """Whether a dash chain at `pos` starting with `number` begins with a road's door:
        a road read or pending before it, and no compound (江滨西路东明锦园7-2225: the
        compound's building and room) nor anything numbered read yet."""
        after_road = "road" in self.found or self.road_pending(pos)
        return after_road and number.isdigit() and not self.compound_pending(pos) and not (
            self.found.keys() & {"door", "compound", "building", "unit", "floor"})

    def lane_name_before(self, pos: int, numbered: bool) -> int | None:
        """Where the name of a lane typed right after the road and before `pos` begins
        (百丈东路王家弄199号; 富民街富兴路5弄, `numbered`: a numbered lane follows); None
        where no such name is pending, or something besides the road was read."""
        start = self.unknown_start
        if start is None or "road" not in self.found or self.found.keys() & {
                "door", "compound", "building", "unit", "floor", "room"}:
            return None
        road = self.found["road"]  # (a road's: not a village group's, 铺里组铺里1100号)
        if self.t[road[4]:start].strip() or self.leftovers and self.leftovers[-1][4] > road[4] or (
                not ROAD_SUFFIX.search(road[1])):
            return None
        name = _LANE_ROAD_NAME if numbered else _LANE_NAME
        return start if name.fullmatch(self.t, start, pos) else None

    def lane_at(self, pos: int, m: re.Match[str]) -> int | None:
        """Read a lane named or chained after the road: the lane a door of the road, keyed
        by all of it, and a plain door number after its name the lane's own (building
        level); the new position, or None where `m` (read at `pos`) begins no such lane."""
        lane = m.re is _LANE_CHAIN or bool(m.re is _DOOR and m.group(4))
        if m.re is _DOOR and m.group(4) == "组":
            return None
        start = self.lane_name_before(pos, lane)
        if start is None and m.re is _LANE_CHAIN and not self.found.keys() & {
                "door", "compound", "building", "unit", "floor", "room"} and (
                self.road_pending(pos) or ("road" in self.found and self.unknown_start is None)):
            self.flush_unknown(pos, "door")  # (a road the base does not hold, by its suffix)
            start = pos
        if start is None:
            return None
        self.unknown_start = None
        if lane:  # 富兴路5弄, 6巷12弄
            name = self.t[start:m.end()]
            self.add("door", name, name, start, m.end())
            return m.end()
        name = self.t[start:pos]  # 王家弄 199号
        self.add("door", name, name, start, pos)
        self.add("building", m.group(0), _door_key(m), pos, m.end())
        return m.end()

    def numbers_at(self, pos: int) -> int | None:
        """Read door/building/unit/floor/room numbers at `pos`; the new position or None."""
        t, found = self.t, self.found
        if t[pos] in DOOR_PREFIXES:  # 甲12号, 附1号: only a door starts so
            m = _DOOR.match(t, pos)
            if m is None or "door" in found or "building" in found:
                return None
            self.flush_unknown(pos, "door")
            self.add("door", m.group(0), _door_key(m), pos, m.end())
            return m.end()
        if not ("0" <= t[pos] <= "9" or "A" <= t[pos] <= "Z" or t[pos] == "-"):
            return None
        # The marker after the number decides which forms can apply (one regex, not ten).
        token = _TOKEN.match(t, pos)
        marker = token.group(2) if token else "?"
        any_form = marker == "?"
        m = _GATE.match(t, pos) if marker == "号" and (
            "compound" in found or self.compound_pending(pos)) else None
        if m and not found.keys() & {"door", "building", "room"}:  # (after a floor or aisle too)
            self.flush_unknown(pos, "gate")
            self.leftovers.append(("gate", m.group(0), m.group(0), pos, m.end()))
            return m.end()
        m = _LANE_CHAIN.match(t, pos) if marker is None else None
        if m:
            step = self.lane_at(pos, m)
            if step is not None:
                return step
        m = _DOOR.match(t, pos) if any_form or marker in ("号", "-", "弄", "支弄", "组") else None
        if m and not m.group(2) and not m.group(1).startswith(DOOR_PREFIXES):
            step = self.lane_at(pos, m)
            if step is not None:
                return step
        # A number after a floor or unit is inside it (三楼819号 is a room, not a door).
        if m and "door" not in found and "building" not in found and "floor" not in found and (
                "unit" not in found):
            self.flush_unknown(pos, "door")
            self.add("door", m.group(0), _door_key(m), pos, m.end())
            return m.end()
        m = _QUADRUPLE.match(t, pos) if marker == "-" else None
        if m and not found.keys() & {"door", "compound", "building"} and (
                "road" in found or self.road_pending(pos)):
            # 将军路1326-11-6-434: the road's door, then building, unit and room
            self.flush_unknown(pos, "door")
            self.add("door", m.group(1), m.group(1), pos, m.end(1))
            self.add("building", m.group(2) + "栋", m.group(2), m.start(2), m.end(2))
            self.add("unit", m.group(3) + "单元", m.group(3), m.start(3), m.end(3))
            self.add("room", m.group(4), m.group(4), m.start(4), m.end())
            return m.end()
        m = _SUB_BUILDING.match(t, pos) if marker == "-" else None
        if m and "building" not in found:  # 3-2幢: a building numbered with a sub-number
            self.flush_unknown(pos, "building")
            self.add("building", m.group(0), m.group(1), pos, m.end())
            return m.end()
        m = _TRIPLE.match(t, pos) if any_form or marker == "-" else None
        if m and "building" not in found:
            self.flush_unknown(pos, "building")
            self.add("building", m.group(1) + "栋", m.group(1), pos, m.start(2) - 1)
            self.add("unit", m.group(2) + "单元", m.group(2), m.start(2), m.end(2))
            self.add("room", m.group(3), m.group(3), m.start(3), m.end())
            return m.end()
        m = _AISLE.match(t, pos) if marker == "街" else None
        if m and "unit" not in found and ("floor" in found or self.after_zone(pos)):
            self.flush_unknown(pos, "unit")
            self.add("unit", m.group(0), m.group(0), pos, m.end())
            return m.end()
        m = _ZONE.match(t, pos) if marker in ("区", "期") and "compound" in found else None
        if m and "building" not in found and "unit" not in found:
            self.flush_unknown(pos, "zone")
            self.leftovers.append(("zone", m.group(0), m.group(0), pos, m.end()))
            return m.end()
        m = _ROW.match(t, pos) if marker in _ROW_MARKERS else None
        if m and "building" not in found:
            self.flush_unknown(pos, "building")
            self.add("building", m.group(0), m.group(0), pos, m.end())
            return m.end()
        m = _BUILDING.match(t, pos) if any_form or marker in _BUILDING_MARKERS else None
        if m:
            self.flush_unknown(pos, "building")
            self.add("building", m.group(0), m.group(1), pos, m.end())
            return m.end()
        m = _UNIT.match(t, pos) if any_form or marker == "单元" else None
        if m:
            self.flush_unknown(pos, "unit")
            self.add("unit", m.group(0), m.group(1), pos, m.end())
            return m.end()
        floor_form = any_form or marker in ("层", "楼") or (
            token is not None and marker is None and "F" in token[1])
        m = _FLOOR_ROOM.match(t, pos) if floor_form else None
        if m and "room" not in found:
            self.flush_unknown(pos, "floor")
            self.add("floor", m.group(1) + "层", m.group(1), pos, m.start(2))
            self.add("room", m.group(1) + m.group(2), m.group(1) + m.group(2), m.start(2),
                     m.end())
            return m.end()
        m = _FLOOR.match(t, pos) if floor_form else None
        if m and not (m.group(2) == "楼" and "building" not in found and _UNIT.match(t, m.end())):
            self.flush_unknown(pos, "floor")
            self.add("floor", m.group(0), m.group(1), pos, m.end())
            return m.end()
        if m:  # 3楼1单元: 楼 after a number and before a unit names the building
            self.flush_unknown(pos, "building")
            self.add("building", m.group(0), m.group(1), pos, m.end())
            return m.end()
        m = _PAIR.match(t, pos) if any_form or marker == "-" else None
        if m and self.door_of_road(pos, m.group(1)) and m.group(0).endswith("室"):
            # 纽扣路344-110室: the first number after a road is its door, the second a room
            self.flush_unknown(pos, "door")
            self.add("door", m.group(1), m.group(1), pos, m.end(1))
            self.add("room", m.group(2), m.group(2), m.start(2), m.end())
            return m.end()
        if m and self.door_of_road(pos, m.group(1)):
            # 纽扣路344-110, 57-1: a door with its sub-number, as 57-1号 is (the match
            # reads it as the base holds it: the door 57-1, or what 57 holds numbered 1).
            self.flush_unknown(pos, "door")
            door = m.group(0).removesuffix("号")
            self.add("door", m.group(0), door, pos, m.end())
            return m.end()
        if m and "room" not in found and is_room_run(m.group(1), m.group(2)) and (
                found.keys() & {"door", "compound", "building", "floor"}):
            # 万达广场C座1220-1221, 12楼077-079: rooms taken together (a shop of two), one
            # room as typed; not a unit 1220 and a room 1221
            self.flush_unknown(pos, "room")
            self.add("room", m.group(0), f"{m.group(1)}-{m.group(2)}", pos, m.end())
            return m.end()
        if m:
            self.flush_unknown(pos, "building")
            if "building" in found:
                self.add("unit", m.group(1) + "单元", m.group(1), pos, m.end(1))
            else:
                self.add("building", m.group(1) + "栋", m.group(1), pos, m.end(1))
            self.add("room", m.group(2), m.group(2), m.start(2), m.end())
            return m.end()
        m = _UNIT_BY_NUMBER.match(t, pos) if marker == "号" else None
        if m and "building" in found and not found.keys() & {"unit", "floor", "room"}:
            self.flush_unknown(pos, "unit")
            # keyed with its 号, as the base's unit values are (`grammar.KEY_WORDS`)
            self.add("unit", m.group(0), m.group(0), pos, m.end())
            return m.end()
        m = _ROOM.match(t, pos) if any_form or marker in ("室", "号") else None
        inside = "building" in found or "floor" in found or "unit" in found
        placed = "door" in found or "compound" in found or self.compound_pending(pos)
        if m and (inside or (placed and marker == "室")):
            self.flush_unknown(pos, "room")
            self.add("room", m.group(0), m.group(1), pos, m.end())
            return m.end()
        if m and placed:  # 1820号12号: a second number after the door is its building
            self.flush_unknown(pos, "building")
            self.add("building", m.group(0), m.group(1), pos, m.end())
            return m.end()
        m = _LETTERED_ROOM.match(t, pos) if inside and "room" not in found and (
            marker in (None, "室", "号")) else None
        glued = pos > 0 and t[pos] >= "A" and (t[pos - 1].isdigit() or "A" <= t[pos - 1] <= "Z")
        if m and not m.group(1).isdigit() and not glued:  # (3A1234: the letter is 3's)
            # 57楼2375C, 50楼A2123, 9楼1073B号: a room numbered with a letter
            self.flush_unknown(pos, "room")
            self.add("room", m.group(0), m.group(1), pos, m.end())
            return m.end()
        m = _LETTER_ROOM.match(t, pos) if "A" <= t[pos] <= "Z" else None
        if m and "building" not in found:
            self.flush_unknown(pos, "room")
            self.add("room", m.group(0), m.group(1) + m.group(2), pos, m.end())
            return m.end()
        m = _NUMBER.match(t, pos)
        if m:
            self.flush_unknown(pos, "number")
            if "building" in found or "unit" in found or "floor" in found:
                self.add("room", m.group(0), m.group(1), pos, m.end())
            elif "door" in found or ("compound" in found and (
                    "road" not in found or self.just_after_compound(pos))):
                # 华星科技大厦1567, 数码城6051: a room; 工商城7: a building; so too after
                # a road's compound (古墩路紫金港商务大厦941): the road's door is typed
                # before the compound, or with 号
                level = "room" if len(m.group(1)) >= 3 else "building"
                self.add(level, m.group(0), m.group(1), pos, m.end())
            elif "door" not in found and ("road" in found or self.unknown_start is not None):
                self.add("door", m.group(0), m.group(1), pos, m.end())
            else:
                self.leftovers.append(("unknown", m.group(0), m.group(0), pos, m.end()))
            return m.end()
        return None


def found_below(found: dict[str, Piece]) -> bool:
    """Whether a building, unit, floor or room was read already."""
    return bool(found.keys() & {"building", "unit", "floor", "room"})


def _door_key(m: re.Match[str]) -> str:
    """The key of a door read by `_DOOR`, as `element_key` keys the base's door values:
    12号 → 12, 甲12号 → 甲12, 12号之1 → 12号之1, 416弄 → 416弄, 6组 → 6组."""
    sub = "号" + m.group(2) + m.group(3) if m.group(2) else ""
    return m.group(1) + sub + (m.group(4) or "")
