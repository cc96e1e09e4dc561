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
    COMPOUND_SUFFIXES,
    DOOR_PREFIXES,
    ORGANISATION_SUFFIXES,
    PART_AFTER,
    ROAD_SEGMENTS,
    ROAD_SUFFIX,
    ROAD_SUFFIXES,
    TOWNSHIP_WORDS,
    USE_BUILDINGS,
    VILLAGE_COMMITTEES,
    VILLAGE_WORDS,
    ZONE_WORDS,
    is_phase_only,
)
from addressing.lexicon import NameLexicon
from addressing.normalize import NormalizedText, Span, normalize
from addressing.street_numbers import NUMERAL_ZONE, NumberReader, Piece, found_below

STREET_LEVELS = ("road", "compound", "door", "building", "unit", "floor", "room")
# 华远大厦西单元: a unit named by where it stands.
_NAMED_UNIT = re.compile(r"[东西南北中]单元$")
_NUMERAL_AISLE = re.compile(r"[一二三四五六七八九十]+街")
_OFFICE = "办事处"  # a township's office (街道办事处, 街办事处): the township
_AISLE_NEXT = re.compile(r"[0-9A-Z]+街[0-9A-Z ]")  # 97街38087: an aisle, its stall after it
_INSIDE = ("building", "unit", "floor")  # what a run names the place of when it precedes
# A building named by where it stands (西座, 北楼, 裙楼), after the place it is in.
_NAMED_BUILDING = re.compile(r"(?:[东西南北中]座|[东西南北]楼|裙楼|主楼)$")
KNOWN_INSIDE_MIN = 3  # a known name read inside unknown text has at least this many characters
# Words that end an area's name in the street part (茶木村民委员会: a village's committee).
_AREA_WORDS = ("社区", "村", "街道", "镇", "乡", "区", "县", "市", "省", "委员会")
_AREA_CHARS = {w for w in _AREA_WORDS if len(w) == 1}
_VILLAGERS = ("村民小组", "村民委员会")  # 村 of these ends no village's name
# Where `_Reader.read` may act inside an unknown run: a character below U+2E80 (space,
# digits, letters, dashes), just after an area word (a superset; `read` checks exactly), or
# a door's word before its number (甲12号), or after a crossing's word (`_CROSSING`).
_RUN_STOP = re.compile(
    f"[\\x00-\\u2e7f]|(?<=社区|街道)|(?<=委员会)|(?<=[村镇乡区县市省口处])"
    f"|(?:{'|'.join(DOOR_PREFIXES)})(?=[0-9])")
# Names that are only a kind's word (广场, 工业区, 幼儿园): a base may hold one so named, but
# typed at the end of a longer name they are that name's kind, not the base's place.
_KIND_WORDS = frozenset((*ZONE_WORDS, *COMPOUND_SUFFIXES, *ORGANISATION_SUFFIXES))
# Kind words only (花园小区: what a place's name may end in twice)
_KIND_WORDS_ONLY = re.compile("(?:{})+".format("|".join(sorted(_KIND_WORDS, key=len,
                                                              reverse=True))))
# A village or community glued before a compound's name (雁田村水贝工业区); not a 新村, an
# estate's name as often as a village's.
_VILLAGE_BEFORE = re.compile("(.{2,}?(?<!新)(?:村|社区))(.{3,})$")
# A place's name ending in a place word, then more typed (a place inside it)
_PLACE_IN_PLACE = re.compile(
    "(.{2,}?(?:大厦|广场|市场|饭店|酒店|商城|大楼|公寓|花园|小区|新村|商场|医院|宾馆|家园))(.{2,})$")
# 村委会, 村民, 村口: still the village
_VILLAGE_GOES_ON = ("委", "民", "口", "里", "内", "社区", "小区")
# An area word inside an unknown road name, with a road's worth of name after it.
_PLACE_BEFORE_ROAD = re.compile("(.+(?:村|镇|乡|区))(.{3,})$")
# A 新村 is an estate as often as a village: with a number of these levels after it, an
# estate (沁园新村172-9-5890).
_ESTATE_VILLAGE = "新村"
_NUMBERED_BELOW = ("building", "unit", "floor", "room")
# A part of a zone (东区, 5区, 二期), typed after it.
_ZONE_PART = re.compile("[东西南北中新老上下前后内外0-9A-Z一二三四五六七八九十]{1,3}[区期园]")
# A zone (城东工业园, 经济开发区) with two characters or more of the street after it.
_ZONE_NOT_BEFORE = {*ROAD_SUFFIXES, *TOWNSHIP_WORDS, *VILLAGE_WORDS}  # 开发区大道, 开发区街道
_ZONE_BEFORE = re.compile(f"(.*?(?:{'|'.join(ZONE_WORDS)}))(.{{2,}})$")
# A road the base does not hold glued before a place's name (南新街福泰花园, 中兴路东方名庭70号):
# two characters or more and a road's word (not 街道), then three or more.
_ROAD_THEN_NAME = re.compile("(.{2,}?(?:大道|大街|公路|路|街(?!道)))(.{3,})$")
# A crossing (盈丰路与鸿宁路交叉口): a road's name after the first road, and the words for
# where two roads meet. The address is on the first road; the second is said, not checked.
_CROSSING_ENDS = ("交叉路口", "交叉口", "交汇处", "交汇口", "交界处", "交界口", "交口", "十字路口",
                  "路口", "口")
_CROSSING = re.compile(
    f"(?:与|和|跟)(.{{2,8}}?(?:{'|'.join(ROAD_SUFFIXES)}))(?:{'|'.join(_CROSSING_ENDS)})")
# A township's name (two or three characters, none an area's, road's or a 古镇's) and its
# kind word, with two characters or more after it.
_TOWNSHIP_BEFORE = re.compile("([^省市区县镇乡村路街道古小]{2,3}(?:镇|乡))..")


def _crossing_word_in(text: str) -> bool:
    """Whether `text` holds a word `_CROSSING` begins with (与, 和, 跟): a check before it."""
    return "与" in text or "和" in text or "跟" in text


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


# The street part's reading: elements in STREET_LEVELS order, then the leftovers.
StreetReading = tuple[tuple[Piece, ...], tuple[Piece, ...]]


class _Reader(NumberReader):
    """Walks the street part of a normalised text, collecting elements.

    It reads only the street text (what follows the admin prefix), so the reading is a
    function of that text and the street lexicon, and `read_street` memoises it on them.
    """

    def __init__(self, text: str, streets: NameLexicon[Any] | None):
        super().__init__(text)
        self.streets = streets
        self.zone_end: int | None = None  # where the last zone read (`zone_ends_at`) ends
        self.unknown_compound: tuple[int, int] | None = None  # a compound read from unknown text

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
        super().add(level, value, key, start, end)

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
        if end >= 2 and self.t.startswith("第第", end - 2) and self.t[end:end + 1].isdigit():
            # 至尊门第第10栋: the second 第 is the number's ordinal (normalize keeps it),
            # the first ends the name.
            end -= 1
        # A dash between elements separates them (文三路-12号, 3栋-2单元-501): no part of
        # a name, nothing left unread.
        while start < end and self.t[end - 1] == "-":
            end -= 1
        while start < end and self.t[start] == "-":
            start += 1
        run = self.t[start:end]
        if not run.strip():
            return
        crossing = _CROSSING.search(run) if _crossing_word_in(run) else None
        if crossing is not None and crossing.end() == len(run) and self.read_crossing(
                crossing, start):
            return
        if "compound" in self.found and NUMERAL_ZONE.fullmatch(run) and "building" not in (
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
        office = run.find(_OFFICE, 2) + len(_OFFICE)
        if len(_OFFICE) < office <= len(run) - 2 and not self.found.keys() & {"road", "compound"}:
            # 湛家机街办事处天兴花园: a township's office the division table does not name as
            # typed (a slip, an old name), and the place after it, read on its own
            self.leftovers.append(("place", run[:office], run[:office], start, start + office))
            self.unknown_start = start + office
            self.flush_unknown(end, before)
            return
        inside = self.known_inside(start, end, before) if len(run) >= 4 else None
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
        if self.road_then_place(run, start, end, before):
            return
        if run.endswith(ZONE_WORDS) and "compound" not in self.found and len(run) >= 3:
            self.add_compound(run, start, end)  # 大隐镇工业园区36号: the zone's number
        elif end < len(self.t) and run.endswith(TOWNSHIP_WORDS) and len(run) >= 3 and (
                "road" not in self.found and "compound" not in self.found):
            self.leftovers.append(("place", run, run, start, end))
        elif (run.endswith(VILLAGE_WORDS) and (end < len(self.t) or not (
                self.found.keys() & {"road", "compound"})) and not (
                run.endswith(_ESTATE_VILLAGE) and before in _NUMBERED_BELOW) or run.endswith(
                VILLAGE_COMMITTEES)) and len(run) >= 3:
            # 花塘村西店陆186号: a village (or community) the division table lacks, before
            # the place in it; kept apart, never taken for the place itself. Named by its
            # committee it is the village, at the end too (王潘流村委会门口), and so is one
            # typed last with no street before it (长街镇五福村: a village the base lacks,
            # not a compound; one it holds is a name read as known). A 新村 with a building
            # number after it is an estate (沁园新村172-9-5890).
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
            self.add_compound(run, start, end)
        elif before == "known":  # text before a known street: a place it lies in
            self.leftovers.append(("place", run, run, start, end))
        elif self.place_before_number(run, before):
            # 先科大院7栋, 西湖银泰12楼: a name right before a building, unit or floor
            # number is the place they are in, whatever it ends with; so is one between a
            # door and a room (延安路945号嘉里中心写字楼1511).
            part = PART_AFTER.search(run)
            if part is not None and COMPOUND_SUFFIX.search(run, 0, part.start()) and (
                    part.start() >= 3):
                # 汇嘉新园南区106-229: the place, then a part of it (not checked)
                at = start + part.start()
                self.add("compound", run[:part.start()], run[:part.start()], start, at)
                self.leftovers.append(("zone", part.group(0), part.group(0), at, end))
            else:
                self.add_compound(run, start, end)
        elif "compound" not in self.found and run.endswith(ORGANISATION_SUFFIXES) and (
                len(run) >= 4):
            self.add_compound(run, start, end)  # 天河路643号杭州富阳水务有限公司
        else:
            self.leftovers.append(("unknown", run, run, start, end))

    def add_compound(self, run: str, start: int, end: int) -> None:
        """Add the compound `run` names; a village or community the division table lacks,
        glued before a name of three characters or more (雁田村水贝工业区, 杨家部社区卫生服务中心),
        is kept apart as the place it lies in, as one typed before a road is."""
        glued = _VILLAGE_BEFORE.match(run)
        if glued is not None and not glued.group(2).startswith(_VILLAGE_GOES_ON) and (
                glued.group(2) not in ZONE_WORDS):  # (凤亭村工业园区: the village's zone)
            at = start + glued.end(1)
            self.leftovers.append(("village", glued.group(1), glued.group(1), start, at))
            run, start = glued.group(2), at
        self.add("compound", run, run, start, end)
        self.unknown_compound = start, end

    def part_inner_place(self) -> None:
        """Once all is read: a compound read from unknown text that names a place and then
        a place inside it (华浙广场国税大厦, 第一医院门诊楼) is the first, the rest not
        understood (石化新村小区, 沁园新村花园小区: one place, its kind named twice). Only
        now, so that what is read after the compound reads as after it."""
        compound = self.found.get("compound")
        if compound is None or self.unknown_compound != compound[3:]:
            return
        inner = _PLACE_IN_PLACE.match(compound[1])
        if inner is not None and not _KIND_WORDS_ONLY.fullmatch(inner.group(2)):
            start, end = compound[3:]
            at = start + inner.end(1)
            self.found["compound"] = ("compound", inner.group(1), inner.group(1), start, at)
            self.leftovers.append(("unknown", inner.group(2), inner.group(2), at, end))

    def read_crossing(self, crossing: re.Match[str], start: int) -> bool:
        """Read a crossing that ends the unknown run from `start`: the road before it (read
        just before the run, or the run's text before the crossing, ending like a road) is
        the road, and the other a crossing, not checked. Where the base holds only the
        other road, that is the road read (the place is on both). False where no road
        stands before the crossing."""
        at = start + crossing.start()
        other = (start + crossing.start(1), start + crossing.end(1))
        road = self.found.get("road")
        if at == start:
            if road is None or self.t[road[4]:start].strip():
                return False
        elif road is not None or not ROAD_SUFFIX.search(self.t, start, at):
            return False
        else:
            first = self.t[start:at]
            second = self.t[other[0]:other[1]]
            streets = self.streets
            if streets is not None and not streets.get(first) and (
                    "road" in streets.get(second)):
                self.add("road", second, second, *other)
                other = (start, at)
            else:
                self.unknown_start = start
                self.flush_unknown(at, "crossing")
        name = self.t[other[0]:other[1]]
        self.leftovers.append(("crossing", name, name, *other))
        return True

    def crossing_ends(self, pos: int) -> bool:
        """Whether the unknown run before `pos` ends with a crossing (与鸿宁路交叉口)."""
        start = self.unknown_start
        if start is None or not _crossing_word_in(self.t[start:pos]):
            return False
        m = _CROSSING.search(self.t, start, pos)
        return m is not None and m.end() == pos

    def place_before_number(self, run: str, before: str | None) -> bool:
        """Whether `run`, read next to the number `before` names, is the place it is in."""
        return (before in _INSIDE or (before in ("room", "number") and "door" in self.found)) and (
            "compound" not in self.found and len(run) >= 2 and not found_below(self.found))

    def road_then_place(self, run: str, start: int, end: int, before: str | None) -> bool:
        """南新街福泰花园, 八卦四路先科大院7栋, 中兴路东方名庭70号: a road and a place in it,
        neither held by the base, typed together. Read as the two where what follows the
        road's word is a place's name of its own (two characters or more before its word,
        an organisation's name: 延安路联华超市, or any name right before a building's
        number), not a road's. (东方大道小区 and
        新丝路花园 have no name after the road's word: they stay one compound.)"""
        if "road" in self.found or "compound" in self.found:
            return False
        m = _ROAD_THEN_NAME.match(run)
        if m is None or ROAD_SUFFIX.search(m.group(2)):
            return False
        suffix = COMPOUND_SUFFIX.search(m.group(2))
        if not ((suffix is not None and suffix.start() >= 2)
                or (m.group(2).endswith(ORGANISATION_SUFFIXES) and len(m.group(2)) >= 4)
                or self.place_before_number(m.group(2), before)):
            return False
        at = start + m.end(1)
        found, left, zone_end = dict(self.found), len(self.leftovers), self.zone_end
        self.unknown_start = start
        self.flush_unknown(at, None)
        if "road" not in self.found:  # the first part was read as something else: undo
            self.found, self.zone_end = found, zone_end
            del self.leftovers[left:]
            return False
        self.unknown_start = at
        self.flush_unknown(end, before)
        return True

    def known_inside(self, start: int, end: int, before: str | None
                     ) -> tuple[int, int, str] | None:
        """The first known road or compound name (of three characters or more; of two at
        the end, before a door number, below) that begins inside the unknown run
        [start, end) and ends within it, with its span. A road's has a place of two
        characters at least before it (乌山西路 is no 山西路 after a place 乌), or one
        character left after a name read just before the run (鲁家峙鲁川路). A building
        named by its use (综合楼) is found so only with a number typed after it
        (陈庄综合楼四楼), which the base's reading below it confirms or not: alone,
        江北西范综合楼 is some other place's."""
        streets = self.streets
        if streets is None or streets.get(self.t[start:end]):
            return None
        run = self.t[:end]
        glued = any(piece[4] == start for piece in self.found.values())
        for at in range(start + 1, end - 1):
            hit = streets.longest_at(run, at)
            # A bare area word (村民委员会) or zone a base holds as a name names no place
            # here, and no name starts inside 村民小组 (上屋村民小组 is no 民小组). A place's
            # name of two characters is read so only at the end, with a door number after
            # it, after a place of two characters or more (雅庄后山104号: a part of a
            # village; never a road: 春秋北路 is no 北路).
            if hit is not None and (hit[0] - at >= KNOWN_INSIDE_MIN and (
                    at - start >= 2 or "road" not in streets.get(hit[1]) or glued) or (
                    hit[0] == end and before in ("door", "number") and at - start >= 2
                    and "road" not in streets.get(hit[1]))) and (
                    streets.get(hit[1]) != ["door"]) and hit[1] not in VILLAGE_WORDS and (
                    hit[1] not in _KIND_WORDS) and (
                    before is not None or hit[1] not in USE_BUILDINGS) and (
                    not run.startswith(_VILLAGERS, at - 1)):
                return at, hit[0], hit[1]
        return None

    def known_across(self, pos: int, reach: int) -> tuple[tuple[int, str], int] | None:
        """A known name of three characters or more that begins inside the unknown run
        before `pos` (after two characters of it at least, not with an area's word: 楼山村1区
        is no 村1区) and ends at `reach` or after, with where it begins; the first such."""
        streets, start = self.streets, self.unknown_start
        if streets is None or start is None:
            return None
        for at in range(start + 2, pos):
            if self.t[at] in _AREA_CHARS:
                continue
            hit = streets.longest_at(self.t, at)
            if hit is not None and hit[0] >= reach and hit[0] - at >= KNOWN_INSIDE_MIN:
                return hit, at
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
            if self.unknown_start is not None and t[pos - 1] in "口处" and self.crossing_ends(pos):
                # 盈丰路与鸿宁路交叉口望京空间艺术中心: what follows a crossing is read afresh
                self.flush_unknown(pos, None)
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
                if hit is not None and is_phase_only(hit[1]) and (
                        "road" in self.found or "compound" in self.found):
                    hit = None  # 龚大堂1期101栋: the phase of the place read, not a place
                if hit is not None and "0" <= ch <= "9" and self.unknown_start is not None:
                    # 荷叶塘下西陶5区1081号: a known name that begins inside the unknown run
                    # and reaches as far (下西陶5区) is the name typed, not the part (5区)
                    across = self.known_across(pos, hit[0])
                    if across is not None:
                        hit, pos = across
                compound = self.found.get("compound")
                if hit is not None and compound is not None and compound[4] == pos and (
                        self.unknown_start is None and PART_AFTER.fullmatch(hit[1])
                        and _AISLE_NEXT.match(t, hit[0])):
                    # 国际商贸城四区97街: a market's zone before its aisle, though a base holds
                    # a place so named elsewhere: not checked, as a zone the base lacks is
                    self.leftovers.append(("zone", hit[1], hit[1], pos, hit[0]))
                    pos = hit[0]
                    continue
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
                    if kinds == ["road"] and "road" in self.found and not (
                            self.found.keys() & {"compound", "door"}):
                        # 文一西路荆长路以东八方城: a second road, only a road, typed after the
                        # first: where it crosses it, not a place on it
                        at = next((end + len(w) for w in _CROSSING_ENDS if t.startswith(w, end)),
                                  end)  # (古墩路口: the crossing's word with it)
                        self.leftovers.append(("crossing", name, name, pos, at))
                        pos = at
                        continue
                    level = "road" if "road" in kinds and "road" not in self.found else "compound"
                    self.add(level, name, name, pos, end)
                    pos = end
                    continue
            if self.unknown_start is not None and streets is not None and (
                    "0" <= ch <= "9" or "A" <= ch <= "Z"):
                # 毛家桥路中天MCC10座, 出口半山1号: a known name that begins inside the unknown
                # run and goes on into the letters or digits (中天MCC, 半山1号) is that name.
                across = self.known_across(pos, pos + 1)
                if across is not None:
                    (end, name), at = across
                    self.flush_unknown(at, "known")
                    kinds = streets.get(name)
                    self.add("road" if "road" in kinds and "road" not in self.found
                             else "compound", name, name, at, end)
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
        reader.part_inner_place()
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


def _glued_to_last_area(admin: AdminParse, found: tuple[Piece, ...],
                        left: tuple[Piece, ...], text: str,
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
