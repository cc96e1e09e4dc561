"""Geocoding: match a typed address against the standard address base, top down.

Roads and compounds are found exactly, then by alias, then by sound (homophones) and edit
distance (addressing/name_readings.py); doors, buildings, units, floors and rooms by their
keys under what was found.
The result (addressing/answers.py) says `matched` (every typed element found, one answer),
`partial` (found down to a coarser level), `tie` (several answers fit equally) or
`unmatched` — with the reason.
A doubtful answer is never given as `matched`: a false match costs more than none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from addressing.admin import AdminGazetteer, AdminParse, default_gazetteer
from addressing.answers import MATCHED, PARTIAL, UNMATCHED, Answers, GeocodeResult
from addressing.compound_readings import (
    OUTER_BUILDING,
    compound_across_part,
    compound_without_area,
    compound_without_part,
    kept_under_road,
    later_building,
    later_place,
    later_road,
    lettered_room,
    number_as_door,
    road_as_compound,
    road_or_compound,
    typed_longer,
)
from addressing.descend import NAMES_A_NUMBER, Descent, Found
from addressing.grammar import USE_BUILDINGS, ZONE_WORDS
from addressing.index import LEVEL_CODE, NO_PARENT, AddressIndex, name_key
from addressing.name_readings import NameReadings
from addressing.normalize import NormalizedText
from addressing.parse import STREET_LEVELS, Element, ParsedAddress, parse
from addressing.same_place import one_place
from addressing.street_places import StreetPlaces
from addressing.within_areas import WithinAreas
from twin.crs import display_crs_name, to_display
from twin.divisions import Division, Level, load_divisions

CONFIDENT = 70  # below this score an answer is offered as a candidate, not as a match
CONFLICT = -1  # separates anchors found by road+door from those found by compound name
# A partial answer loses this much per typed street level it does not reach (road-level
# answers to a typed room score 70 or less; a room match scores up to 100).
MISSED_LEVEL_PENALTY = 10
# The street found in the county typed, not in the township typed (wrong, or an old one).
WRONG_TOWNSHIP_PENALTY = 10
# A note that a number typed was read anew (970-12号 read as 970 12号, door 57-1 read as …,
# A read as building A座) or a phase typed before a building passed (2期 not checked), not a
# name (road 萧绍东路 read as 萧邵东路): then the answer's elements are read anew too
# (`Answers.as_read`).
_NUMBER_READ_ANEW = re.compile(
    r"(?:door |building )?[0-9A-Z][^ ;]* (?:read as |not checked \(the base does not hold)")




class Geocoder:
    """Matches addresses against one `AddressIndex` (thread-safe, read-only)."""

    def __init__(self, index: AddressIndex, gazetteer: AdminGazetteer | None = None):
        self.index = index
        self.gazetteer = gazetteer or default_gazetteer()
        self.divisions = load_divisions()
        self.answers = Answers(index, self.divisions)
        self.within = WithinAreas(index)
        self.descent = Descent(index)
        self.names = NameReadings(index, self.within)
        self.places = StreetPlaces(index, self.gazetteer, self.within, self.divisions)
        self._kept: frozenset[str] | None = None
        # Build the typo and homophone tables now, not inside the first unlucky query.
        for lexicon in (index.roads, index.compounds):
            lexicon.near("")
            lexicon.by_sound("")
        self.gazetteer.sound_index()

    # -- entry points ---------------------------------------------------------------------
    def geocode(self, query: str | NormalizedText, crs: str | None = None) -> GeocodeResult:
        """Match one typed address (or its `normalize` form); coordinates in `crs` (CGCS2000)."""
        crs = display_crs_name(crs)
        typed = query.original if isinstance(query, NormalizedText) else query
        if not isinstance(typed, str) or not typed.strip():
            return GeocodeResult(str(typed or ""), UNMATCHED, reason="empty address", crs=crs)
        parsed = parse(query, streets=self.index.streets, gazetteer=self.gazetteer)
        result = self._match(parsed)
        result.crs = crs
        if result.lon is not None and result.lat is not None:
            result.lon, result.lat = _rounded(to_display(result.lon, result.lat, crs))
        for c in result.candidates:
            if c.lon is not None and c.lat is not None:
                c.lon, c.lat = _rounded(to_display(c.lon, c.lat, crs))
        return result

    def geocode_many(self, queries: Iterable[str], crs: str | None = None) -> list[GeocodeResult]:
        """Match a batch, in order."""
        return [self.geocode(q, crs) for q in queries]

    # -- matching -------------------------------------------------------------------------
    def _match(self, parsed: ParsedAddress) -> GeocodeResult:
        parsed = self._village_as_road(parsed) or parsed
        parsed = typed_longer(parsed, self.index) or parsed
        result = self._match_reading(parsed)
        if result.status != MATCHED:
            # 隽维中心A座4号楼6楼: of two buildings typed, the base may hold only the later
            # (the earlier a block or wing it does not write): read so when that matches.
            inner = later_building(parsed)
            if inner is not None:
                other = self._match_reading(inner)
                if other.status == MATCHED:
                    parsed, result = inner, other
        lettered = lettered_room(parsed) if result.status != MATCHED else None
        if lettered is not None:
            # 东部软件园A832: a room typed with a letter may be building A, room 832
            other = self._match_reading(lettered[0])
            if other.status == MATCHED:
                other.reason = "; ".join((lettered[1], other.reason))
                parsed, result = lettered[0], other
        if result.status != MATCHED:
            parsed, result = self._compound_reading(parsed, result)
        road = later_road(parsed, self.index) if result.level not in STREET_LEVELS else None
        if road is not None:
            # 王家埭横丰路75号: the first road's name is not held in the areas (a road
            # elsewhere is called 王家), the later one is: that is the road, where it
            # explains all that is typed.
            other = self._match_reading(road)
            if other.status == MATCHED:
                return other
        later = later_place(parsed, self.index)
        if later is not None and result.status != UNMATCHED:
            # Two known places typed one after the other (滨海工业区风华园小区, 望江西园5栋):
            # the later is the place in the earlier when the base finds the text there.
            other = self._match_reading(later)
            # Where nothing but the earlier place is typed (尖山新区万凯新材料有限公司), its answer
            # is that place, found by name at a door of its own: the later place is finer.
            only_place = all(parsed.get(level) is None for level in STREET_LEVELS
                             if level != "compound")
            same = result.status == MATCHED and other.code == result.code  # (said as read)
            if other.status == MATCHED and not same and (
                    result.status != MATCHED or only_place
                    or LEVEL_CODE[str(other.level)] >= LEVEL_CODE[str(result.level)]):
                return other
        return result

    def _counties_typed(self, admin: AdminParse, areas: list[Division]) -> list[Division]:
        """The counties of the townships read (and the county a township typed was moved
        out of: 萧山区 of 临江街道, now of 钱塘区), where every area read is a township;
        else none."""
        if not areas or any(d.level is not Level.township for d in areas):
            return []
        codes = {d.code[:6] for d in areas}
        codes |= {c[-1].former_parent[:6] for c in admin.chains
                  if c and c[-1].former_parent}
        return [d for code in sorted(codes)
                if (d := self.divisions.by_code.get(code.ljust(12, "0"))) is not None]

    def _kept_compounds(self) -> frozenset[str]:
        """The names of compounds the base keeps straight under a road (built once)."""
        if self._kept is None:
            self._kept = frozenset(self.index.compound_of.values())
        return self._kept

    def _compound_reading(self, parsed: ParsedAddress, result: GeocodeResult
                          ) -> tuple[ParsedAddress, GeocodeResult]:
        """比胜庙巷126幢6单元552 (the road reading stops at the road, no door typed),
        胜家塔98 (a bare number after a compound) and 青口南区39栋 (the base holds 39栋 in
        青口): the reading by the base's compound of the name, its door so numbered, or the
        compound without the part typed after its name, where that matches
        (`addressing.compound_readings`)."""
        road, building = parsed.get("road"), parsed.get("building")
        without_part = compound_without_part(parsed, self.index)
        for reading, said in (
                (road_as_compound(parsed, self.index), road and f"{road.value} read as the "
                 "compound of that name (the road holds nothing typed below it)"),
                (number_as_door(parsed, self.index), building and f"{building.value} read as "
                 "the door so numbered (no building of that number)"),
                (without_part[0] if without_part else None,
                 without_part[1] if without_part else None)):
            if reading is not None:
                other = self._match_reading(reading)
                if other.status == MATCHED:
                    other.reason = "; ".join([str(said), other.reason])
                    return reading, other
        for area_named in (compound_without_area(parsed, self.index, self.gazetteer.names),
                           compound_across_part(parsed, self.index, self.gazetteer.names)):
            if area_named is None:
                continue
            reading, said, codes = area_named
            other = self._match_reading(reading)
            if other.status == MATCHED and any(
                    str(a["code"]).startswith(tuple(codes)) for a in other.admin):
                other.reason = "; ".join([said, other.reason])
                return reading, other
        return parsed, result

    def _village_as_road(self, parsed: ParsedAddress) -> ParsedAddress | None:
        """禾平村1组2号, where no road or compound was read: the village typed right before
        the door, read as the road the base holds it as (`base_import`) by its sound or a
        typo, when the road so found has the typed door (or group); None otherwise."""
        door = parsed.get("door")
        if door is None or parsed.get("road") is not None or parsed.get("compound") is not None:
            return None
        typed = parsed.text.original
        village = next((e for e in parsed.leftovers if e.level == "village" and e.span[1]
                        <= door.span[0] and not typed[e.span[1]:door.span[0]].strip()), None)
        if village is None:
            return None
        roads = self.names.find(self.index.roads, village.value, _areas(parsed.admin), "road")[0]
        if not any(self.index.child(r, "door", door.key) for r in roads):
            return None
        road = Element("road", village.value, village.key, village.span)
        at = next(i for i, e in enumerate(parsed.elements) if e is door)
        return ParsedAddress(parsed.text, parsed.admin,
                             [*parsed.elements[:at], road, *parsed.elements[at:]],
                             [e for e in parsed.leftovers if e is not village],
                             list(parsed.notes))

    def _match_reading(self, parsed: ParsedAddress) -> GeocodeResult:
        query = parsed.text.original
        notes = list(parsed.notes)
        penalty = 0
        if notes:
            penalty = 3 * sum(1 for n in notes if "read as" in n) + 10 * sum(
                1 for n in notes if "not inside" in n)
        areas = _areas(parsed.admin)
        chain_place: Element | None = None  # a place read as the areas to look in
        read_areas = self.places.areas(parsed, areas)
        if read_areas is not None:
            chain_place, areas, said = read_areas
            notes.append(said)
        road_el, compound_el = parsed.get("road"), parsed.get("compound")
        result = GeocodeResult(query, UNMATCHED, elements=parsed.elements)
        if road_el is None and compound_el is None:
            return self.answers.admin_only(result, parsed, areas, notes, penalty)
        anchors, anchor_penalty, anchor_notes, by_compound, unheld = self._anchors(parsed, areas)
        if not anchors:
            # (not by a zone alone: it is an area too, and what follows it names the place)
            counties = self._counties_typed(parsed.admin, areas) if road_el is not None or (
                compound_el is not None and not compound_el.value.endswith(ZONE_WORDS)) else []
            again = self._anchors(parsed, counties) if counties else None
            if again is not None and again[0] and CONFLICT not in again[0]:
                # 萧山区义桥镇经八路 where the base holds 经八路 in 瓜沥镇 of 萧山区; 萧山区临江街道
                # (moved to 钱塘区 since) 经八路: the township typed is wrong or old, and the
                # street is read in its county typed.
                towns = "/".join(sorted({d.name for d in areas}))
                street = " / ".join(e.value for e in (road_el, compound_el) if e is not None)
                anchors, anchor_penalty, anchor_notes, by_compound, unheld = again
                anchor_penalty += WRONG_TOWNSHIP_PENALTY
                anchor_notes = [f"{street} is not in {towns}; read in the township's county, "
                                f"{'/'.join(sorted({d.name for d in counties}))}", *anchor_notes]
        moved_place: Element | None = None  # the place so read is checked
        if not anchors:
            moved = self.places.moved_townships(parsed, areas)
            again = self._anchors(parsed, [n.division for n in moved]) if moved else None
            if again is not None and again[0] and CONFLICT not in again[0]:
                # 萧山区大江东前进街道三丰路: a township typed after unknown text, moved out of
                # the county typed since (前进街道, now of 钱塘区): the street read there.
                anchors, anchor_penalty, anchor_notes, by_compound, unheld = again
                anchor_notes = [*sorted({str(n.note) for n in moved}), *anchor_notes]
                moved_place = next((e for e in parsed.leftovers if e.level == "place" and (
                    e.value.endswith(moved[0].division.name))), None)
        if not anchors and chain_place is None:
            elsewhere = self.places.chain_elsewhere(parsed, areas)
            again = self._anchors(parsed, [elsewhere[1]]) if elsewhere else None
            if elsewhere is not None and again is not None and again[0] and (
                    CONFLICT not in again[0]):
                # 浙江省宁波市江北区浙江临海江南大道: the street is nowhere in the areas typed
                # first (a form's), and a chain typed again mid-text names where it is.
                chain_place, county = elsewhere
                areas = [county]
                anchors, anchor_penalty, anchor_notes, by_compound, unheld = again
                anchor_notes = [f"place {chain_place.value} read as {county.name} (the areas "
                                "typed before it do not hold the street)", *anchor_notes]
        notes += anchor_notes
        penalty += anchor_penalty
        if not anchors:
            return self.answers.admin_only(result, parsed, areas, notes, penalty, missing=True)
        conflict = anchors[-1] == CONFLICT
        checked: Element | None = None
        if not conflict and any(e.level == "place" for e in parsed.leftovers):
            anchors, checked, n, township = self.places.township(parsed, anchors)
            notes += n
            if township is not None and parsed.get("township") is None:
                # the place is that township (not typed apart): an element of the answer
                parsed = ParsedAddress(parsed.text, parsed.admin, sorted(
                    [*parsed.elements, township], key=lambda e: e.span), parsed.leftovers,
                    parsed.notes)
                result.elements = parsed.elements
        if conflict:
            # Road+door and compound name two real places: the best of each side is kept,
            # and if they differ the answer is a tie, never one side silently.
            split = anchors.index(CONFLICT)
            sides = [anchors[:split], anchors[split + 1 : -1]]
            # The compound's side (the second) has no typed road behind it.
            pool = [p for i, side in enumerate(sides) if side for p in self._best(
                [self.descent.descend(a, parsed, by_compound=i == 1) for a in side])[:1]]
            pool = [f for f in pool if f.complete] or pool  # what explains every element
            pool = list({f.node: f for f in pool}.values())
            if len(pool) == 2 and road_el is not None and compound_el is not None and (
                    _zone_before(compound_el, road_el, parsed)):
                pool = pool[:1]  # the road runs through the zone typed before it: finer
            pool = road_or_compound(self.index, pool, parsed, notes, self._kept_compounds())
        else:
            pool = self._best([self.descent.descend(a, parsed, by_compound) for a in anchors])
            pool = self._under_the_road(pool, anchors, parsed, notes)
        notes += [f"village {e.value} not checked (the division table does not hold it)"
                  for e in parsed.leftovers if e.level == "village"]
        notes += [f"{e.level} {e.value} not checked" for e in parsed.leftovers
                  if e.level in ("zone", "gate")]
        # A second place's name typed after the first (星辰商贸城四区六楼) that no reading
        # took: said, not silently dropped.
        notes += [f"{e.value} not checked (the base holds a place so named elsewhere)"
                  for e in parsed.leftovers if e.level == "extra" and not _unread_extra(
                      e, parsed) and (compound_el is None or e.key != compound_el.key)
                  and self.index.streets.get(e.key)]
        notes += [f"crossing with {e.value} not checked" for e in parsed.leftovers
                  if e.level == "crossing"]
        notes += [f"segment {e.value} of the road not checked (the base holds the road "
                  "without it)" for e in parsed.leftovers if e.level == "segment"]
        notes += [f"building {e.value} not checked (the base does not hold it there); the "
                  "later building typed is read" for e in parsed.leftovers
                  if e.level == OUTER_BUILDING]
        notes += [f"place {e.value} before the street not checked" + (
            "" if self.index.streets.get(name_key(e.value)) else " (the base does not hold it)")
            for e in parsed.leftovers if e.level == "place" and e not in (
                checked, moved_place, chain_place)]
        leftovers = [e for e in parsed.leftovers if e.level == "unknown" or _unread_extra(
            e, parsed)]
        if unheld is not None:  # said wherever it was typed (before or after the door)
            leftovers.append(unheld)
        if len(pool) == 1 and not pool[0].ties and (not pool[0].complete or (
                leftovers and self.index.children(pool[0].node))):
            below = self.descent.read_below(pool[0], parsed) or (
                self.descent.read_from_the_road(pool[0], parsed))
            if below is not None:
                pool, read, (start, end) = [below[0]], below[1], below[2]
                leftovers = [e for e in leftovers if e.span[1] <= start or e.span[0] >= end]
                road = self.index.ancestor_at(below[0].node, "road")
                if unheld in leftovers and road is not None and self.descent.keeps(
                        road, unheld.value):
                    leftovers.remove(unheld)  # read below the road that keeps it
                # The elements below are as the base read them (11号 a unit, not a room).
                result.elements = [e for e in parsed.elements if e.level not in STREET_LEVELS
                                   or e.span[1] <= start or e.span[0] >= end] + read
        # A compound the base does not hold costs nothing: it keeps the answer partial
        # where something lies below, as any unread text does.
        penalty += min(20, 5 * sum(1 for e in leftovers if e is not unheld))
        if unheld in leftovers:  # (read as a place by its word: understood, not held there)
            notes.append(f"{unheld.value} not checked (the base holds no place so named here)")
        if any(e is not unheld for e in leftovers):
            notes.append("not understood: " + ", ".join(
                e.value for e in leftovers if e is not unheld))
        if len(pool) > 1:
            # The same place held twice (a road row with and without its township) is one.
            typed = tuple(name_key(e.value) for e in (road_el, compound_el) if e is not None)
            same = one_place(self.index, [f.node for f in pool], typed)
            if same is not None and len({f.complete for f in pool}) == 1:
                pool = [f for f in pool if f.node == same]
                notes.append("the base holds this place twice (with and without its "
                             "township, or its numbers written two ways); the fuller copy "
                             "is given")
        if len(pool) > 1 or pool[0].ties:
            return self.answers.tie(result, pool, notes, penalty)
        best = pool[0]
        missed = 0 if best.complete else self.answers.missed_levels(best.node, result.elements)
        score = max(0, 100 - penalty - best.penalty - MISSED_LEVEL_PENALTY * missed)
        self.answers.fill(result, best.node)
        result.score = score
        notes = notes + best.notes
        if any(_NUMBER_READ_ANEW.match(n) for n in notes):
            result.elements = self.answers.as_read(best.node, result.elements, parsed.text)
        if not best.complete:
            result.status = PARTIAL
        elif leftovers and self.index.children(best.node):
            # Text not understood may name what the base holds below: never `matched` here.
            result.status = PARTIAL
            notes.append(f"the base holds addresses below this {result.level}, and the text "
                         "not understood or not checked may name one")
        elif score < CONFIDENT:
            result.status = UNMATCHED
            result.candidates = [self.answers.candidate(best.node)]
            result.code = result.full_text = result.level = None
            result.lon = result.lat = None
            notes.append(f"best guess scored {score} < {CONFIDENT}; offered as a candidate")
        else:
            result.status = MATCHED
        result.reason = "; ".join(notes) or "every typed element found"
        return result

    def _under_the_road(self, pool: list[Found], anchors: list[int], parsed: ParsedAddress,
                        notes: list[str]) -> list[Found]:
        """东渡路华联写字楼2491 where the compound's door (typed road, no door typed) holds
        none of what is typed below it, and the base holds it straight under the road (its
        door and compound left out): that, said."""
        index = self.index
        if any(f.complete for f in pool) or parsed.get("door") is not None or (
                parsed.get("road") is None or parsed.get("compound") is None):
            return pool
        roads = {index.parent_of(a) for a in anchors if index.level_of(a) == "door"}
        if not roads or any(r == NO_PARENT or index.level_of(r) != "road" for r in roads):
            return pool
        road = parsed.get("road")
        assert road is not None
        # the typed road's every copy (one held with its township, one without)
        roads.update(self.names.find(index.roads, road.value, _areas(parsed.admin), "road")[0])
        found = [f for f in self._best([self.descent.descend(r, parsed) for r in sorted(roads)])
                 if f.complete and index.level_of(f.node) != "road"]
        if len(found) != 1:
            return pool
        compound = parsed.get("compound")
        assert compound is not None
        notes.append(f"what is typed after {compound.value} is not at its door; found "
                     "straight under the road, where the base holds it without door or compound")
        return found

    def _best(self, found: list[Found]) -> list[Found]:
        """The deepest results, complete ones first, one per node; a door that differs
        from the one typed only where nothing else was found."""
        found = [f for f in found if not f.stopped] or found
        best_depth = max(self._depth(f) for f in found)
        deepest = [f for f in found if self._depth(f) == best_depth]
        pool = [f for f in deepest if f.complete] or deepest
        return list({f.node: f for f in pool}.values())

    def _depth(self, found: Found) -> int:
        return LEVEL_CODE[self.index.level_of(found.node)]

    def _anchors(
        self, parsed: ParsedAddress, areas: list[Division]
    ) -> tuple[list[int], int, list[str], bool, Element | None]:
        """Road or compound nodes that the typed road/compound may mean, within the areas,
        whether they rest on the compound's name alone (no typed road confirms it), and the
        typed compound when the base holds none of that name there."""
        index = self.index
        road_el, compound_el = parsed.get("road"), parsed.get("compound")
        notes: list[str] = []
        penalty = 0
        roads: list[int] = []
        road_penalty = 0
        if road_el is not None:
            roads, road_penalty, n = self.names.find(index.roads, road_el.value, areas, "road")
            p = road_penalty
            if not roads and compound_el is None and index.compounds.get(name_key(road_el.value)):
                # 西店陆186号: read as a road, held by the base as a place with doors.
                compound_el, road_el = road_el, None
            else:
                penalty += p
                notes += n
        doors: list[int] = []
        guessed = 0  # what reading the compound's name by sound or typo cost
        if compound_el is not None:
            doors, guessed, n = self.names.find(index.compounds, compound_el.value, areas,
                                                "compound")
            if doors:
                penalty += guessed
                notes += n
        if roads and doors:
            assert compound_el is not None and road_el is not None
            door_el = parsed.get("door")
            road_set = set(roads)
            on_road = [d for d in doors if index.parent_of(d) in road_set]
            filed = [d for d in doors if any(index.filed_on_road(d, r) for r in roads)]
            if filed and not (door_el is not None and any(
                    index.child(r, "door", door_el.key) for r in roads)):
                # 丰足路九阳袜业, 新发村公鸡岭组: the base files the compound on the road typed
                # (no door of its own there), and no door typed says otherwise.
                notes.append(f"the base files {compound_el.value} on {road_el.value}")
                return filed, penalty, notes, False, None
            if _zone_before(compound_el, road_el, parsed) and (on_road or not guessed):
                # 星桥开发区星灵西路, 荷叶塘工业区洪界路839号: a zone typed before its road names
                # where the road runs, not one of its doors (the base may file the zone at
                # one, or at another road): the road and the door typed decide.
                at = [d for d in on_road if door_el is not None
                      and index.node_key(d) == door_el.key]
                if at:
                    return at, penalty, notes, False, None
                notes.append(f"{compound_el.value} typed before {road_el.value}: " + (
                    "the base holds it at " + "/".join(index.value(d) for d in on_road)
                    if on_road else "the base does not hold it on the road"))
                # Both are followed (the road may be misread: 6组团 is no road 6组); the
                # road wins unless only the zone explains what is typed (`_match_reading`).
                return [*roads, CONFLICT, *doors, CONFLICT], penalty, notes, False, None
            if on_road and door_el is not None:
                # Both typed: the door number decides, the compound confirms.
                by_number = [d for r in roads for d in index.child(r, "door", door_el.key)]
                agree = [d for d in by_number if d in set(on_road)]
                if agree:
                    return agree, penalty, notes, False, None
                if by_number:
                    # Door and compound point at different places: follow both, so that
                    # only what fits the rest of the address wins (or a tie is reported).
                    notes.append(f"{compound_el.value} is not at {road_el.value}{door_el.value}")
                    return ([*by_number, CONFLICT, *doors, CONFLICT], penalty + 15, notes, False,
                            None)
            building_el = parsed.get("building")
            if on_road and door_el is None and building_el is not None:
                # 香樟路泛海国际中心A座43楼 where the base files the compound at 香樟路3号 and
                # also keeps buildings of it straight under the road: both are followed, and
                # what the rest of the address fits decides (or a tie says it does not).
                key = name_key(compound_el.value)
                kept = [b for r in roads for b in index.child(r, "building", building_el.key)
                        if index.compound_of.get(b) == key]
                return [*on_road, *kept], penalty, notes, False, None
            if on_road:
                return on_road, penalty, notes, False, None
            if guessed and not road_penalty:
                # 复兴路复兴东苑 where the base has no such compound: a name read by sound or
                # typo elsewhere does not outweigh the road typed exactly; the road leads.
                notes = notes[:-len(n)] if n else notes
                notes.append(f"compound {compound_el.value} not found on {road_el.value} "
                             "(a name like it is elsewhere); not checked")
                return roads, penalty - guessed + 10, notes, False, None
            # The typed road and compound disagree: follow both; a tie says so.
            notes.append(f"{compound_el.value} is not on {road_el.value}")
            return [*roads, CONFLICT, *doors, CONFLICT], penalty + 15, notes, False, None
        if roads:
            under = kept_under_road(index, roads, parsed)
            if under is not None:
                # A door typed that the base does not hold costs a little (not checked).
                return (under[0], penalty + 5 * (parsed.get("building") is not None),
                        [*notes, under[1]], False, None)
            # A compound typed that the base does not hold in the areas: not checked, and
            # unread where it follows the door (368号后幢 may name what lies below).
            return roads, penalty, notes, False, compound_el
        if doors:
            assert compound_el is not None
            if road_el is not None and compound_el.value.endswith(ZONE_WORDS) and (
                    _zone_before(compound_el, road_el, parsed)):
                # 经济开发区新洲路1765号 where the road is not found: the zone is filed at a
                # door of another road, which says nothing of where this road's door is.
                notes.append(f"road {road_el.value} not found; the zone {compound_el.value} "
                             "typed before it does not locate it")
                return [], penalty, notes, False, None
            if road_el is not None:
                notes.append(f"road {road_el.value} not found; located by {compound_el.value}")
                penalty += 10
            return doors, penalty, notes, True, None
        missing = [e.value for e in (road_el, compound_el) if e is not None]
        notes.append(f"{' / '.join(missing)} not found in the address base")
        return [], penalty, notes, False, None


def _zone_before(compound: Element, road: Element, parsed: ParsedAddress) -> bool:
    """Whether the compound is typed right before the road, nothing of the street between
    (星桥开发区星灵西路): a zone the road runs through. 裘皮广场B座土耳其路14号 names a
    building of the place first and then the place's own address."""
    return compound.span[1] <= road.span[0] and not any(
        compound.span[1] <= e.span[0] < road.span[0] for e in parsed.elements
        if e.level in STREET_LEVELS)


def _unread_extra(extra: Element, parsed: ParsedAddress) -> bool:
    """Whether a second element of a level may name what the base holds below, so that it
    is not understood rather than dropped: a number no element read has (4幢624幢), or a
    building named by its use typed after the place (江北西范综合楼)."""
    return extra.level == "extra" and (extra.key in USE_BUILDINGS or bool(
        NAMES_A_NUMBER.search(extra.key)) and all(e.key != extra.key for e in parsed.elements))


def _areas(admin: AdminParse) -> list[Division]:
    return admin.finest()


def _rounded(point: tuple[float, float]) -> tuple[float, float]:
    return round(point[0], 7), round(point[1], 7)
