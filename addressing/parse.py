"""Parsing a normalised address into its elements, each with its span in the original text.

Admin levels come first (`addressing.admin`), then the street part: road, door number,
compound or POI name, building, unit, floor and room. Known road and compound names (from
the address base) are read by longest match; unknown ones by their suffixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from addressing.admin import AdminGazetteer, AdminParse, default_gazetteer
from addressing.admin_names import AREA_ENDINGS
from addressing.grammar import (
    COMPOUND_SUFFIX,
    DOOR_PREFIXES,
    DOOR_SUB_WORDS,
    GROUP_WORDS,
    LANE_WORDS,
    PHASE_WORDS,
    ROAD_SEGMENTS,
    ROAD_SUFFIX,
    ROAD_SUFFIXES,
    TOWNSHIP_WORDS,
    VILLAGE_COMMITTEES,
    VILLAGE_WORDS,
    ZONE_WORDS,
)
from addressing.lexicon import NameLexicon
from addressing.normalize import NormalizedText, Span, normalize

STREET_LEVELS = ("road", "compound", "door", "building", "unit", "floor", "room")
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
_TRIPLE = re.compile(r"([0-9A-Z]+)-([0-9]+)-([0-9]+)(?:室|号)?")
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
# 华远大厦西单元: a unit named by where it stands.
_NAMED_UNIT = re.compile(r"[东西南北中]单元$")
_NUMERAL_AISLE = re.compile(r"[一二三四五六七八九十]+街")
_INSIDE = ("building", "unit", "floor")  # what a run names the place of when it precedes
_AISLE = re.compile(r"([0-9A-Z]+)街(?= ?[0-9A-Z])")
_NUMERAL_ZONE = re.compile(r"[一二三四五六七八九十]+区")
# A building named by where it stands (西座, 北楼, 裙楼), after the place it is in.
_NAMED_BUILDING = re.compile(r"(?:[东西南北中]座|[东西南北]楼|裙楼|主楼)$")
_NUMBER = re.compile(r"([0-9]+)")
KNOWN_INSIDE_MIN = 3  # a known name read inside unknown text has at least this many characters
# Words that end an area's name in the street part (茶木村民委员会: a village's committee).
_AREA_WORDS = ("社区", "村", "街道", "镇", "乡", "区", "县", "市", "省", "委员会")
_AREA_CHARS = {w for w in _AREA_WORDS if len(w) == 1}
_VILLAGERS = ("村民小组", "村民委员会")  # 村 of these ends no village's name
# Where `_Reader.read` may act inside an unknown run: a character below U+2E80 (space,
# digits, letters, dashes), just after an area word (a superset; `read` checks exactly), or
# a door's word before its number (甲12号).
_RUN_STOP = re.compile(
    f"[\\x00-\\u2e7f]|(?<=社区|街道)|(?<=委员会)|(?<=[村镇乡区县市省])|(?:{_PREFIXES})(?=[0-9])")
# An area word inside an unknown road name, with a road's worth of name after it.
_PLACE_BEFORE_ROAD = re.compile("(.+(?:村|镇|乡|区))(.{3,})$")
# A part of a zone (东区, 5区, 二期), typed after it.
_ZONE_PART = re.compile("[东西南北中新老上下前后内外0-9A-Z一二三四五六七八九十]{1,3}[区期园]")
# A zone (城东工业园, 经济开发区) with two characters or more of the street after it.
_ZONE_NOT_BEFORE = {*ROAD_SUFFIXES, *TOWNSHIP_WORDS, *VILLAGE_WORDS}  # 开发区大道, 开发区街道
_ZONE_BEFORE = re.compile(f"(.*?(?:{'|'.join(ZONE_WORDS)}))(.{{2,}})$")
# A township's name (two or three characters, none an area's, road's or a 古镇's) and its
# kind word, with two characters or more after it.
_TOWNSHIP_BEFORE = re.compile("([^省市区县镇乡村路街道古小]{2,3}(?:镇|乡))..")
_TOKEN = re.compile(f"([0-9A-Z]+)(号|栋|单元|层|楼|室|弄|{_PHASES}|组|排|街|-)?")


# One is made per element: its __init__ is written out (see addressing/native.py).
@dataclass(init=False)
class Element:
    """One parsed element: its level, its value as normalised, its key and original span."""

    level: str
    value: str
    key: str
    span: Span
    code: str | None  # admin levels: the division code, when decided

    def __init__(self, level: str, value: str, key: str, span: Span,
                 code: str | None = None) -> None:
        self.level, self.value, self.key, self.span, self.code = level, value, key, span, code

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        out: dict[str, Any] = {
            "level": self.level, "value": self.value, "start": self.span[0], "end": self.span[1]
        }
        if self.code:
            out["code"] = self.code
        return out


# One is made per address: its __init__ is written out (see addressing/native.py).
@dataclass(init=False)
class ParsedAddress:
    """A parsed address: admin readings, street elements, leftovers and notes."""

    text: NormalizedText
    admin: AdminParse
    elements: list[Element]
    leftovers: list[Element]
    notes: list[str]
    _by_level: dict[str, Element] | None = field(repr=False)

    def __init__(self, text: NormalizedText, admin: AdminParse,
                 elements: list[Element] | None = None, leftovers: list[Element] | None = None,
                 notes: list[str] | None = None) -> None:
        self.text, self.admin = text, admin
        self.elements = [] if elements is None else elements
        self.leftovers = [] if leftovers is None else leftovers
        self.notes = [] if notes is None else notes
        self._by_level = None

    def get(self, level: str) -> Element | None:
        """The element of `level`, if parsed."""
        if self._by_level is None:
            self._by_level = {e.level: e for e in reversed(self.elements)}
        return self._by_level.get(level)

    def finest_street_level(self) -> str | None:
        """The finest street level typed (road … room)."""
        typed = {e.level for e in self.elements}
        for level in reversed(STREET_LEVELS):
            if level in typed:
                return level
        return None


# One street element as read: level, value, key, and its span in the street text.
_Piece = tuple[str, str, str, int, int]
# The street part's reading: elements in STREET_LEVELS order, then the leftovers.
StreetReading = tuple[tuple[_Piece, ...], tuple[_Piece, ...]]


class _Reader:
    """Walks the street part of a normalised text, collecting elements.

    It reads only the street text (what follows the admin prefix), so the reading is a
    function of that text and the street lexicon, and `read_street` memoises it on them.
    """

    def __init__(self, text: str, streets: NameLexicon[Any] | None):
        self.t = text
        self.streets = streets
        self.found: dict[str, _Piece] = {}
        self.leftovers: list[_Piece] = []
        self.unknown_start: int | None = None
        self.zone_end: int | None = None  # where the last zone read (`zone_ends_at`) ends

    def add(self, level: str, value: str, key: str, start: int, end: int) -> None:
        if level == "compound":
            zone = self.found.get("compound")
            if zone is not None and zone[4] == self.zone_end and self.zone_ends_at(start) and (
                    self.names_a_place_in(zone[1], value)):
                # 高新区研发园, 经济开发区滨海工业园区: a place in the zone typed right after
                # it is the finer; the zone is kept as a place before the street.
                del self.found["compound"]
                self.leftovers.append(("place", *zone[1:]))
            if value.endswith(ZONE_WORDS):
                self.zone_end = end
        if level in self.found:
            self.leftovers.append(("extra", value, key, start, end))
            return
        self.found[level] = (level, value, key, start, end)

    def names_a_place_in(self, zone: str, value: str) -> bool:
        """Whether `value`, typed right after the zone `zone`, names a place of its own in
        it: not a part of the zone (工业园东区, 西屋工业园5区) nor the zone's word again; and
        the zone is one the base does not hold by name, or only a zone's word (高新区), for
        a zone the base holds (五里工业园尚城花园) may hold what follows (`match`)."""
        known = self.streets is not None and bool(self.streets.get(zone))
        return value not in ZONE_WORDS and not _ZONE_PART.fullmatch(value) and (
            not known or zone in ZONE_WORDS)

    def zone_ends_at(self, start: int) -> bool:
        """Whether the compound read is a zone (工业园区, 经济开发区) ending right before
        `start`, with no road read: a road or place typed there lies in it (经济开发区华夏路,
        高新区研发园), and the match weighs the two (`match._zone_before`)."""
        return self.zone_end is not None and "road" not in self.found and not (
            self.t[self.zone_end:start].strip())

    def flush_unknown(self, end: int, before: str | None) -> None:
        """Classify an unknown run ending at `end` by its suffix and what follows it."""
        if self.unknown_start is None:
            return
        start, self.unknown_start = self.unknown_start, None
        run = self.t[start:end]
        if not run.strip():
            return
        if "compound" in self.found and _NUMERAL_ZONE.fullmatch(run) and "building" not in (
                self.found) and before != "building":
            self.leftovers.append(("zone", run, run, start, end))  # 国际商贸城四区六楼
            return
        if "unit" not in self.found and _NUMERAL_AISLE.fullmatch(run) and (
                "floor" in self.found or self.after_zone(start)):
            self.add("unit", run, run, start, end)  # 国际商贸城四区六楼四街36041
            return
        named_unit = _NAMED_UNIT.search(run)
        if named_unit is not None and "unit" not in self.found and (
                "compound" in self.found or "building" in self.found or len(run) > 3):
            at = start + named_unit.start()  # 华远大厦西单元1041
            if at > start:
                self.unknown_start = start
                self.flush_unknown(at, "unit")
            self.add("unit", named_unit.group(0), named_unit.group(0), at, end)
            return
        named = _NAMED_BUILDING.search(run)
        if named is not None and "building" not in self.found and before != "building" and (
                "compound" in self.found or "door" in self.found or len(run) > 2):
            # 文华大厦西座三楼: the place, then its building named by where it stands.
            at = start + named.start()
            if at > start:
                self.unknown_start = start
                self.flush_unknown(at, "building")
            self.add("building", named.group(0), named.group(0), at, end)
            return
        inside = self.known_inside(start, end) if len(run) >= 4 else None
        if inside is not None:
            # 临平五洲路, 拱北义福新村: a place the base does not hold (a village, an old
            # area's name) glued before a road or compound it holds; the known name is read,
            # the place before it kept apart, and the rest read on its own.
            at, stop, name = inside
            if at > start and self.t.endswith(ZONE_WORDS, start, at) and (
                    "compound" not in self.found):
                # 城东工业园玉盘路: a zone before the road, read as a compound
                self.add("compound", self.t[start:at], self.t[start:at], start, at)
            elif at > start:
                self.leftovers.append(("place", self.t[start:at], self.t[start:at], start, at))
            kinds = self.streets.get(name) if self.streets is not None else []
            level = "road" if "road" in kinds and "road" not in self.found else "compound"
            self.add(level, name, name, at, stop)
            if stop < end:
                self.unknown_start = stop
                self.flush_unknown(end, before)
            return
        township = run.find("街道", 2, len(run) - 3) + 2
        if township <= 1:
            glued = _TOWNSHIP_BEFORE.match(run)
            township = 0 if glued is None else glued.end(1)
        if township > 0 and "road" not in self.found and "compound" not in self.found:
            # 江丽街道芸海北路, 草塔镇横畈塘, 北厝镇北洋村: a township the division table
            # does not hold (merged away, renamed, or typed wrong) before the street or
            # village, not a road named …街道 or a village named …镇…村.
            self.leftovers.append(("place", run[:township], run[:township], start,
                                   start + township))
            self.unknown_start = start + township
            self.flush_unknown(end, before)
            return
        zone = _ZONE_BEFORE.match(run)
        if zone is not None and zone.group(2) not in _ZONE_NOT_BEFORE and (
                "road" not in self.found) and (
                "compound" not in self.found or self.zone_ends_at(start)):
            # 城东工业园玉盘路, 开发区湾里西街: a zone the base does not hold, and the street in
            # it: the zone is read as a compound, and the street after it on its own.
            at = start + zone.end(1)
            self.add("compound", zone.group(1), zone.group(1), start, at)
            self.unknown_start = at
            self.flush_unknown(end, before)
            return
        if run.endswith(ZONE_WORDS) and "compound" not in self.found and len(run) >= 3:
            self.add("compound", run, run, start, end)  # 大隐镇工业园区36号: the zone's number
        elif end < len(self.t) and run.endswith(TOWNSHIP_WORDS) and len(run) >= 3 and (
                "road" not in self.found and "compound" not in self.found):
            self.leftovers.append(("place", run, run, start, end))
        elif (end < len(self.t) and run.endswith(VILLAGE_WORDS) or run.endswith(
                VILLAGE_COMMITTEES)) and len(run) >= 3:
            # 花塘村西店陆186号: a village (or community) the division table lacks, before
            # the place in it; kept apart, never taken for the place itself. Named by its
            # committee it is the village, at the end too (王潘流村委会门口).
            self.leftovers.append(("village", run, run, start, end))
        elif "road" not in self.found and (
            ("compound" not in self.found and (
                ROAD_SUFFIX.search(run) or (before == "door" and len(run) >= 2)))
            # 经济开发区华夏路: a road in the zone just read (剑山工业区河南210号: no road)
            or (self.zone_ends_at(start) and ROAD_SUFFIX.search(run))
        ):
            glued = _PLACE_BEFORE_ROAD.match(run) if ROAD_SUFFIX.search(run) else None
            if glued is not None:
                # 西朱村九龙北路, 定山湖镇双马路: a village, town or area the division table
                # lacks, glued before a road the base does not hold: the road is the rest.
                at = start + glued.end(1)
                self.leftovers.append(("place", glued.group(1), glued.group(1), start, at))
                start, run = at, glued.group(2)
            self.add("road", run, run, start, end)
        elif ("compound" not in self.found or self.zone_ends_at(start)) and (
                COMPOUND_SUFFIX.search(run) and len(run) >= 2):
            self.add("compound", run, run, start, end)
        elif before == "known":  # text before a known street: a place it lies in
            self.leftovers.append(("place", run, run, start, end))
        elif (before in _INSIDE or (before in ("room", "number") and "door" in self.found)) and (
                "compound" not in self.found and len(run) >= 2 and not found_below(self.found)):
            # 先科大院7栋, 西湖银泰12楼: a name right before a building, unit or floor
            # number is the place they are in, whatever it ends with; so is one between a
            # door and a room (延安路945号嘉里中心写字楼1511).
            self.add("compound", run, run, start, end)
        else:
            self.leftovers.append(("unknown", run, run, start, end))

    def known_inside(self, start: int, end: int) -> tuple[int, int, str] | None:
        """The first known road or compound name (of three characters or more) that begins
        inside the unknown run [start, end) and ends within it, with its span. A place
        before it has two characters at least: 乌山西路 is no 山西路 after a place 乌."""
        streets = self.streets
        if streets is None or streets.get(self.t[start:end]):
            return None
        run = self.t[:end]
        for at in range(start + 1, end - 2):
            hit = streets.longest_at(run, at)
            # A bare area word (村民委员会) a base holds as a name names no place here, and
            # no name starts inside 村民小组 (上屋村民小组 is no 民小组).
            if hit is not None and hit[0] - at >= KNOWN_INSIDE_MIN and (
                    streets.get(hit[1]) != ["door"]) and hit[1] not in VILLAGE_WORDS and (
                    hit[1] not in ZONE_WORDS) and (
                    not run.startswith(_VILLAGERS, at - 1)):
                return at, hit[0], hit[1]
        return None

    def read(self, pos: int) -> None:
        t = self.t
        size = len(t)
        streets = self.streets
        while pos < size:
            ch = t[pos]
            if ch == " ":
                self.flush_unknown(pos, None)
                pos += 1
                continue
            road = self.found.get("road")
            if road is not None and road[4] == pos and self.unknown_start is None and (
                    t.startswith(ROAD_SEGMENTS, pos)):
                # 世纪大道北段989号 where the base holds 世纪大道 (else the name read had it)
                self.leftovers.append(("segment", t[pos:pos + 2], t[pos:pos + 2], pos, pos + 2))
                pos += 2
                continue
            after_area = self.unknown_start is not None and t.endswith(
                _AREA_WORDS, self.unknown_start, pos) and not t.startswith(_VILLAGERS, pos - 1)
            if streets is not None and (
                self.unknown_start is None or after_area
                or ("0" <= ch <= "9" and "road" not in self.found
                    and "compound" not in self.found)
            ):
                hit = streets.longest_at(t, pos)
                if after_area and self.unknown_start is not None and (
                        pos - 1 - self.unknown_start >= 2 and t[pos - 1] in _AREA_CHARS):
                    # 犀牛角村南街: a road the base holds that begins with the area's word
                    # (村南街) is that road, not a shorter one after the area (南街).
                    longer = streets.longest_at(t, pos - 1)
                    if longer is not None and (hit is None or longer[0] >= hit[0]) and (
                            "road" in streets.get(longer[1])):
                        hit, pos = longer, pos - 1
                kinds = streets.get(hit[1]) if hit is not None else []
                if hit is not None and kinds == ["door"]:
                    # A door the base names (a natural village, 下庄) counts only right
                    # after its village, where a door may follow; a village not known
                    # (typed wrong) before it is kept apart all the same.
                    after_village = False
                    if self.unknown_start is not None and t.endswith("村", self.unknown_start,
                                                                     pos):
                        self.flush_unknown(pos, "door")
                        left = self.leftovers[-1] if self.leftovers else None
                        after_village = left is not None and left[0] == "village" and (
                            left[4] == pos)
                    if "door" not in self.found and self.unknown_start is None and (
                            after_village or "road" in self.found or "compound" in self.found):
                        self.add("door", hit[1], hit[1], pos, hit[0])
                        pos = hit[0]
                        continue
                    hit = None
                if hit is not None:
                    # An unknown run that ends like an area (旧名社区) stops before a known
                    # street, and so does a place before a numbered one (段桥7组: a village
                    # group the base holds as a road).
                    self.flush_unknown(pos, "known")
                    end, name = hit
                    level = "road" if "road" in kinds and "road" not in self.found else "compound"
                    self.add(level, name, name, pos, end)
                    pos = end
                    continue
            if ch < "\u2e80" or (ch in DOOR_PREFIXES and t[pos + 1:pos + 2].isdigit()):
                # digits, letters, dashes, a door's word before its number (甲12号)
                step = self.numbers_at(pos)
                if step is not None:
                    pos = step
                    continue
            if self.unknown_start is None:
                self.unknown_start = pos
            # Inside an unknown run nothing happens until a space, a digit or letter, or the
            # end of an area word: skip to the next such place.
            m = _RUN_STOP.search(t, pos + 1)
            pos = size if m is None else m.start()
        self.flush_unknown(size, None)

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
        """Whether a market's zone (4区) was read just before `pos`."""
        if self.unknown_start is not None:  # 四区, not yet classified
            return "compound" in self.found and bool(
                _NUMERAL_ZONE.fullmatch(self.t, self.unknown_start, pos))
        last = self.leftovers[-1] if self.leftovers else None  # (a gate after it: 四区79号门97街)
        return last is not None and last[0] in ("zone", "gate") and last[4] == pos

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
        m = _DOOR.match(t, pos) if any_form or marker in ("号", "-", "弄", "组") else None
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
        after_road = "road" in found or (self.unknown_start is not None and bool(
            ROAD_SUFFIX.search(t, self.unknown_start, pos)))
        # 江滨西路东明锦园7-2225: a compound named (not yet read) between the road and the
        # numbers makes them the compound's building and room.
        if m and after_road and not self.compound_pending(pos) and not found.keys() & {
                "door", "compound", "building", "unit", "floor"} and m.group(1).isdigit():
            # 纽扣路344-110: the first number after a road is its door, the second what lies
            # behind it (the match reads it as the base holds it).
            self.flush_unknown(pos, "door")
            self.add("door", m.group(1), m.group(1), pos, m.end(1))
            self.add("room", m.group(2), m.group(2), m.start(2), m.end())
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
            self.flush_unknown(pos, "building")
            self.add("building", m.group(1) + "栋", m.group(1), pos, pos + 1)
            self.add("room", m.group(2), m.group(2), pos + 1, m.end())
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


def found_below(found: dict[str, _Piece]) -> bool:
    """Whether a building, unit, floor or room was read already."""
    return bool(found.keys() & {"building", "unit", "floor", "room"})


def _door_key(m: re.Match[str]) -> str:
    """The key of a door read by `_DOOR`, as `element_key` keys the base's door values:
    12号 → 12, 甲12号 → 甲12, 12号之1 → 12号之1, 416弄 → 416弄, 6组 → 6组."""
    sub = "号" + m.group(2) + m.group(3) if m.group(2) else ""
    return m.group(1) + sub + (m.group(4) or "")


STREET_MEMO_LIMIT = 100_000  # street readings held per street lexicon; then it starts again

# Street readings by street text: those made with a street lexicon are kept in its memos
# under this key, those made without one here; see `read_street`.
_STREET_MEMO = "street readings"
_plain_street_memo: dict[str, StreetReading] = {}


def street_memo(streets: NameLexicon[Any] | None) -> dict[str, StreetReading]:
    """The street readings memoised for `streets` (or for none)."""
    return _plain_street_memo if streets is None else streets.memo(_STREET_MEMO)


def clear_street_memos(streets: NameLexicon[Any] | None = None) -> None:
    """Forget the street readings of `streets` and those made without a lexicon.

    They never change a result; tests check that.
    """
    _plain_street_memo.clear()
    if streets is not None:
        streets.memos.pop(_STREET_MEMO, None)


def read_street(street: str, streets: NameLexicon[Any] | None) -> StreetReading:
    """The elements and leftovers of a street text (spans within it), memoised.

    Most addresses of a batch differ from one another only in how their admin prefix is
    typed (or not at all), so their street texts repeat far more often than whole texts.
    """
    memo = street_memo(streets)
    reading = memo.get(street)
    if reading is None:
        reader = _Reader(street, streets)
        reader.read(0)
        found = reader.found
        reading = (tuple([found[level] for level in STREET_LEVELS if level in found]),
                   tuple(reader.leftovers))
        if len(memo) >= STREET_MEMO_LIMIT:
            memo.clear()
        memo[street] = reading
    return reading


def parse(
    text: str | NormalizedText,
    *,
    streets: NameLexicon[Any] | None = None,
    gazetteer: AdminGazetteer | None = None,
) -> ParsedAddress:
    """Parse an address: admin chains, then road, door, compound, building, unit, floor, room."""
    normalized = text if isinstance(text, NormalizedText) else normalize(text)
    gazetteer = gazetteer or default_gazetteer()
    t = normalized.text
    admin = gazetteer.parse(t, 0, streets)
    at = admin.end
    found, left = read_street(t[at:], streets)
    if _glued_to_last_area(admin, found, left, t, streets):
        # 沙河西5号: a road typed without 路 that begins like an area (沙河市) is that road.
        start = admin.tokens[-1].start
        refound, releft = read_street(t[start:], streets)
        if refound and refound[0][0] == "road":
            admin, at, found, left = gazetteer.parse(t[:start], 0, streets), start, refound, releft
    elements = _admin_elements(normalized, admin)
    for kind, _, _, s, e in left:
        begins = gazetteer.township_ending(t, at + s, at + e) if kind == "place" else None
        if begins is not None:
            # A township the division table lacks here, typed before the street: named, not
            # decided (the place stays a leftover, which the match notes as not checked).
            name = t[begins:at + e]
            elements.append(Element("township", name, name, normalized.span(begins, at + e)))
    if normalized.sources is None:
        # Character i came from character i: a span is its positions (an empty one too,
        # since read elements are never empty and never end past the text).
        elements.extend([Element(level, value, key, (at + s, at + e))
                         for level, value, key, s, e in found])
        leftovers = [Element(level, value, key, (at + s, at + e))
                     for level, value, key, s, e in left]
    else:
        span = normalized.span
        elements.extend([Element(level, value, key, span(at + s, at + e))
                         for level, value, key, s, e in found])
        leftovers = [Element(level, value, key, span(at + s, at + e))
                     for level, value, key, s, e in left]
    return ParsedAddress(normalized, admin, elements, leftovers, list(admin.notes))


def _glued_to_last_area(admin: AdminParse, found: tuple[_Piece, ...],
                        left: tuple[_Piece, ...], text: str,
                        streets: NameLexicon[Any] | None) -> bool:
    """Whether the admin prefix ends in a bare short name that begins the road: a door
    number follows it, at once or after unread characters, with no road or compound read
    (areas are not numbered: 龙珠3号 is 龙珠路 missing 路, not 龙珠社区); or the road read
    after it is no known name while the two together begin one (文昌 + 中一 of 文昌中一路)."""
    if not admin.tokens or not found:
        return False
    last = admin.tokens[-1]
    if last.end != admin.end or last.text.endswith(AREA_ENDINGS):
        return False
    first = found[0]
    if first[0] == "road":
        if streets is None or first[3] != 0 or streets.get(first[2]):
            return False
        return streets.begins(text[last.start:admin.end + first[4]].replace(" ", ""))
    door = next((piece for piece in found if piece[0] == "door"), None)
    if door is None:
        return False
    return door[3] == 0 or bool(left and left[0][3] == 0 and left[0][4] == door[3])


def _admin_elements(normalized: NormalizedText, admin: AdminParse) -> list[Element]:
    out = [
        Element(level, token.text, token.text, normalized.span(token.start, token.end), code)
        for token, (level, code) in zip(admin.tokens, admin.readings, strict=True)
    ] if admin.tokens else []
    if admin.unplaced:  # townships typed outside the areas read: named, not decided
        out.extend(Element("township", token.text, token.text,
                           normalized.span(token.start, token.end)) for token in admin.unplaced)
        out.sort(key=lambda e: e.span)
    return out
