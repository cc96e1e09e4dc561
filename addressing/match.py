"""Geocoding: match a typed address against the standard address base, top down.

Roads and compounds are found exactly, then by alias, then by sound (homophones) and edit
distance; doors, buildings, units, floors and rooms by their keys under what was found.
The result says `matched` (every typed element found, one answer), `partial` (found down
to a coarser level), `tie` (several answers fit equally) or `unmatched` — with the reason.
A doubtful answer is never given as `matched`: a false match costs more than none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from addressing.admin import AdminGazetteer, AdminParse, default_gazetteer
from addressing.below import read_below
from addressing.door_numbers import numbered_and_sub, split_sub_number
from addressing.edit_scan import closest_two, similarity
from addressing.grammar import PHASE_WORDS, is_numbered_only
from addressing.index import LEVEL_CODE, NO_PARENT, AddressIndex, name_key
from addressing.normalize import NormalizedText
from addressing.parse import STREET_LEVELS, Element, ParsedAddress, parse
from addressing.same_place import one_place
from addressing.within_areas import WithinAreas
from twin.crs import display_crs_name, to_display
from twin.divisions import LEVEL_DIGITS, Division, Level, load_divisions

MATCHED, PARTIAL, TIE, UNMATCHED = "matched", "partial", "tie", "unmatched"
CONFIDENT = 70  # below this score an answer is offered as a candidate, not as a match
# A typed door number that is not the compound's: confirmed by the typed road, or not.
DOOR_DIFFERS, DOOR_DIFFERS_ALONE = 15, 40
# What ends a road's name (or a village's, which a base holds as a road: 永西 for 永西村).
ROAD_WORDS = ("路", "街", "道", "巷", "大道", "大街", "村")
MAX_CANDIDATES = 10
CONFLICT = -1  # separates anchors found by road+door from those found by compound name
FUZZY_SCAN_LIMIT = 5_000  # names in the areas beyond which no linear edit-distance scan runs
BELOW_PENALTY = 5  # the text below a place read by the base's names, not the grammar's
# A partial answer loses this much per typed street level it does not reach (road-level
# answers to a typed room score 70 or less; a room match scores up to 100).
MISSED_LEVEL_PENALTY = 10
# What a note says when the grammar's reading stopped (dropped when the base's names go on).
_MISSED = (" not found", "not checked", "cannot go below", "door has several", "is not known",
           "a door that differs")
_NAMES_A_NUMBER = re.compile("[0-9A-Z]")
_STEPPED_OVER = "not checked (the base does not hold it there)"
_OUTER_BUILDING = "outer building"  # a building typed before the one the base holds
_PHASE_BEFORE = re.compile(f"[0-9A-Z]+(?:{'|'.join(PHASE_WORDS)})(?=[0-9A-Z])")


@dataclass
class Candidate:
    """One possible answer (on a tie, or a doubtful fuzzy match)."""

    code: str
    level: str
    full_text: str
    lon: float | None
    lat: float | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"code": self.code, "level": self.level, "full_text": self.full_text,
                "lon": self.lon, "lat": self.lat}


# One is made per address: its __init__ is written out (see addressing/native.py).
@dataclass(init=False)
class GeocodeResult:
    """What matching one address gave, and why."""

    query: str
    status: str
    level: str | None
    code: str | None
    full_text: str | None
    score: int
    reason: str
    lon: float | None
    lat: float | None
    crs: str
    admin: list[dict[str, str]]
    elements: list[Element]
    candidates: list[Candidate]

    def __init__(self, query: str, status: str, level: str | None = None,
                 code: str | None = None, full_text: str | None = None, score: int = 0,
                 reason: str = "", lon: float | None = None, lat: float | None = None,
                 crs: str = "CGCS2000", admin: list[dict[str, str]] | None = None,
                 elements: list[Element] | None = None,
                 candidates: list[Candidate] | None = None) -> None:
        self.query, self.status, self.level, self.code = query, status, level, code
        self.full_text, self.score, self.reason = full_text, score, reason
        self.lon, self.lat, self.crs = lon, lat, crs
        self.admin = [] if admin is None else admin
        self.elements = [] if elements is None else elements
        self.candidates = [] if candidates is None else candidates

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "query": self.query, "status": self.status, "level": self.level, "code": self.code,
            "full_text": self.full_text, "score": self.score, "reason": self.reason,
            "lon": self.lon, "lat": self.lat, "crs": self.crs, "admin": self.admin,
            "elements": [e.as_dict() for e in self.elements],
            "candidates": [c.as_dict() for c in self.candidates],
        }


# One is made per node reached: its __init__ is written out (see addressing/native.py).
@dataclass(init=False)
class _Found:
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


class Geocoder:
    """Matches addresses against one `AddressIndex` (thread-safe, read-only)."""

    def __init__(self, index: AddressIndex, gazetteer: AdminGazetteer | None = None):
        self.index = index
        self.gazetteer = gazetteer or default_gazetteer()
        self.divisions = load_divisions()
        self._chains: dict[str, list[dict[str, str]]] = {}
        self.within = WithinAreas(index)
        # Build the typo and homophone tables now, not inside the first unlucky query.
        for lexicon in (index.roads, index.compounds):
            lexicon.near("")
            lexicon.by_sound("")

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
        result = self._match_reading(parsed)
        if result.status != MATCHED:
            # 隽维中心A座4号楼6楼: of two buildings typed, the base may hold only the later
            # (the earlier a block or wing it does not write): read so when that matches.
            inner = _later_building(parsed)
            if inner is not None:
                other = self._match_reading(inner)
                if other.status == MATCHED:
                    parsed, result = inner, other
        later = _later_place(parsed, self.index)
        if later is not None and result.status != UNMATCHED:
            # Two known places typed one after the other (滨海工业区风华园小区, 望江西园5栋):
            # the later is the place in the earlier when the base finds the text there.
            other = self._match_reading(later)
            # Where nothing but the earlier place is typed (尖山新区万凯新材料有限公司), its answer
            # is that place, found by name at a door of its own: the later place is finer.
            only_place = all(parsed.get(level) is None for level in STREET_LEVELS
                             if level != "compound")
            if other.status == MATCHED and (result.status != MATCHED or only_place or LEVEL_CODE[
                    str(other.level)] >= LEVEL_CODE[str(result.level)]):
                return other
        return result

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
        roads = self._find_name(self.index.roads, village.value, _areas(parsed.admin), "road")[0]
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
        road_el, compound_el = parsed.get("road"), parsed.get("compound")
        result = GeocodeResult(query, UNMATCHED, elements=parsed.elements)
        if road_el is None and compound_el is None:
            return self._admin_only(result, parsed, areas, notes, penalty)
        anchors, anchor_penalty, anchor_notes, by_compound, unheld = self._anchors(parsed, areas)
        notes += anchor_notes
        penalty += anchor_penalty
        if not anchors:
            return self._admin_only(result, parsed, areas, notes, penalty, missing=True)
        conflict = anchors[-1] == CONFLICT
        checked: Element | None = None
        if not conflict and any(e.level == "place" for e in parsed.leftovers):
            anchors, checked, n = self._place_township(parsed, anchors)
            notes += n
        if conflict:
            # Road+door and compound name two real places: the best of each side is kept,
            # and if they differ the answer is a tie, never one side silently.
            split = anchors.index(CONFLICT)
            sides = [anchors[:split], anchors[split + 1 : -1]]
            # The compound's side (the second) has no typed road behind it.
            pool = [p for i, side in enumerate(sides) if side for p in self._best(
                [self._descend(a, parsed, by_compound=i == 1) for a in side])[:1]]
            pool = [f for f in pool if f.complete] or pool  # what explains every element
            pool = list({f.node: f for f in pool}.values())
            if len(pool) == 2 and road_el is not None and compound_el is not None and (
                    _zone_before(compound_el, road_el, parsed)):
                pool = pool[:1]  # the road runs through the zone typed before it: finer
        else:
            pool = self._best([self._descend(a, parsed, by_compound) for a in anchors])
            pool = self._under_the_road(pool, anchors, parsed, notes)
        notes += [f"village {e.value} not checked (the division table does not hold it)"
                  for e in parsed.leftovers if e.level == "village"]
        notes += [f"{e.level} {e.value} not checked" for e in parsed.leftovers
                  if e.level in ("zone", "gate")]
        notes += [f"building {e.value} not checked (the base does not hold it there); the "
                  "later building typed is read" for e in parsed.leftovers
                  if e.level == _OUTER_BUILDING]
        notes += [f"place {e.value} before the street not checked" + (
            "" if self.index.streets.get(name_key(e.value)) else " (the base does not hold it)")
            for e in parsed.leftovers if e.level == "place" and e is not checked]
        leftovers = [e for e in parsed.leftovers if e.level == "unknown" or _unread_number(
            e, parsed)]
        if unheld is not None and _after_door(unheld, parsed):
            leftovers.append(unheld)
        if len(pool) == 1 and not pool[0].ties and (not pool[0].complete or (
                leftovers and self.index.children(pool[0].node))):
            below = self._read_below(pool[0], parsed)
            if below is not None:
                pool, read, (start, end) = [below[0]], below[1], below[2]
                leftovers = [e for e in leftovers if e.span[1] <= start or e.span[0] >= end]
                # The elements below are as the base read them (11号 a unit, not a room).
                result.elements = [e for e in parsed.elements if e.level not in STREET_LEVELS
                                   or e.span[1] <= start or e.span[0] >= end] + read
        # A compound the base does not hold costs nothing: it keeps the answer partial
        # where something lies below, as any unread text does.
        penalty += min(20, 5 * sum(1 for e in leftovers if e is not unheld))
        if leftovers:
            notes.append("not understood: " + ", ".join(e.value for e in leftovers))
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
            return self._tie(result, pool, notes, penalty)
        best = pool[0]
        missed = 0 if best.complete else self._missed_levels(best.node, result.elements)
        score = max(0, 100 - penalty - best.penalty - MISSED_LEVEL_PENALTY * missed)
        self._fill(result, best.node)
        result.score = score
        notes = notes + best.notes
        if not best.complete:
            result.status = PARTIAL
        elif leftovers and self.index.children(best.node):
            # Text not understood may name what the base holds below: never `matched` here.
            result.status = PARTIAL
            notes.append(f"the base holds addresses below this {result.level}, and the text "
                         "not understood may name one")
        elif score < CONFIDENT:
            result.status = UNMATCHED
            result.candidates = [self._candidate(best.node)]
            result.code = result.full_text = result.level = None
            result.lon = result.lat = None
            notes.append(f"best guess scored {score} < {CONFIDENT}; offered as a candidate")
        else:
            result.status = MATCHED
        result.reason = "; ".join(notes) or "every typed element found"
        return result

    def _under_the_road(self, pool: list[_Found], anchors: list[int], parsed: ParsedAddress,
                        notes: list[str]) -> list[_Found]:
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
        roads.update(self._find_name(index.roads, road.value, _areas(parsed.admin), "road")[0])
        found = [f for f in self._best([self._descend(r, parsed) for r in sorted(roads)])
                 if f.complete and index.level_of(f.node) != "road"]
        if len(found) != 1:
            return pool
        compound = parsed.get("compound")
        assert compound is not None
        notes.append(f"what is typed after {compound.value} is not at its door; found "
                     "straight under the road, where the base holds it without door or compound")
        return found

    def _best(self, found: list[_Found]) -> list[_Found]:
        """The deepest results, complete ones first, one per node; a door that differs
        from the one typed only where nothing else was found."""
        found = [f for f in found if not f.stopped] or found
        best_depth = max(self._depth(f) for f in found)
        deepest = [f for f in found if self._depth(f) == best_depth]
        pool = [f for f in deepest if f.complete] or deepest
        return list({f.node: f for f in pool}.values())

    def _depth(self, found: _Found) -> int:
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
            roads, road_penalty, n = self._find_name(index.roads, road_el.value, areas, "road")
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
            doors, guessed, n = self._find_name(index.compounds, compound_el.value, areas,
                                                "compound")
            if doors:
                penalty += guessed
                notes += n
        if roads and doors:
            assert compound_el is not None and road_el is not None
            door_el = parsed.get("door")
            road_set = set(roads)
            on_road = [d for d in doors if index.parent_of(d) in road_set]
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
            # A compound typed that the base does not hold in the areas: not checked, and
            # unread where it follows the door (368号后幢 may name what lies below).
            return roads, penalty, notes, False, compound_el
        if doors:
            assert compound_el is not None
            if road_el is not None:
                notes.append(f"road {road_el.value} not found; located by {compound_el.value}")
                penalty += 10
            return doors, penalty, notes, True, None
        missing = [e.value for e in (road_el, compound_el) if e is not None]
        notes.append(f"{' / '.join(missing)} not found in the address base")
        return [], penalty, notes, False, None

    def _place_township(self, parsed: ParsedAddress, anchors: list[int]
                        ) -> tuple[list[int], Element | None, list[str]]:
        """下沙东大街16号, 濮院环城东路12号: a place typed before the street with no township
        read, that is a township's name (short, as people write it): where the road or
        compound has candidates in that township, those are kept and the place is checked;
        where it holds none, all are kept and the place is not checked. Candidates in two
        townships of the name (or one the base files in no township) stay for the rest of
        the address to decide, or tie: the place never picks between them."""
        street = min((e for e in (parsed.get("road"), parsed.get("compound")) if e is not None),
                     key=lambda e: e.span[0])
        names = self.gazetteer.names
        for place in parsed.leftovers:
            if place.level != "place" or place.span[1] > street.span[0]:
                continue
            towns = {n.division.code: n.division for n in names.get(place.value, ())
                     if n.division.level is Level.township}
            if not towns:
                continue
            fit, held = self.within.in_townships(anchors, set(towns))
            if not held:  # the place not checked, as any other place
                return anchors, place, [
                    f"place {place.value} before the street not checked (no township of that "
                    f"name is known to hold {street.value})"]
            unsure = {self.index.admin(a).county[:6] for a in fit
                      if self.index.admin(a).township is None} - {c[:6] for c in held}
            if len(held) == 1 and not unsure:
                town = towns[next(iter(held))]
                return fit, place, [f"place {place.value} read as {town.name}, "
                                    f"where {street.value} lies"]
            shown = sorted(f"{towns[c].name} ({self._county_name(c)})" for c in held) + sorted(
                f"{d.name} ({self._county_name(c)}, where the base files it in no township)"
                for c, d in towns.items() if c[:6] in unsure)
            return fit, place, [f"place {place.value} may be any of {', '.join(shown)}, "
                                f"where {street.value} lies; not decided by the place"]
        return anchors, None, []

    def _county_name(self, code: str) -> str:
        county = self.divisions.by_code.get(code[:6].ljust(12, "0"))
        return code[:6] if county is None else county.name

    def _find_name(
        self, lexicon: Any, typed: str, areas: list[Division], what: str
    ) -> tuple[list[int], int, list[str]]:
        key = name_key(typed)
        area_key = tuple(a.code for a in areas)

        def within(name: str) -> list[int]:
            return self.within.named(lexicon, name, areas, area_key)

        nodes = within(key)
        if nodes:
            renamed = self.index.renamed.get(key)
            if renamed is not None:
                return nodes, 0, [f"{what} {typed} was renamed {renamed[0]} "
                                  f"(the old name ended {renamed[1]})"]
            return nodes, 0, []
        if lexicon.get(key):
            where = "/".join(sorted({d.name for d in areas}))
            return [], 0, [f"{what} {typed} exists, but not in {where}"]
        if self.index.streets.get(key):
            # A name the base holds exactly, but not as this (a compound on a road with no
            # door number): never read as a typo of another name.
            return [], 0, [f"{typed} is held, but not as a {what} with addresses of its own"]
        if what == "road":  # 凤凰中一 for 凤凰中一路: the road's last word left out
            completed = _one_per_place([key + s for s in ROAD_WORDS if lexicon.get(key + s)],
                                       within)
            if len(completed) == 1:
                name = completed[0]
                return within(name), 8, [f"{what} {typed} read as {name} (last word left out)"]
        for name in lexicon.by_sound(key):
            nodes = within(name)
            if nodes:
                return nodes, 8, [f"{what} {typed} read as {name} (same sound)"]
        # Two typed characters are too few to read as a typo of a longer name (二村: 杨二村).
        near = [n for n in lexicon.near(key) if within(n)] if len(key) >= 3 else []
        one_place = _one_per_place(near, within)
        if len(one_place) == 1:
            near = one_place
        if len(near) == 1:
            name = near[0]
            ratio = similarity(key, name)
            return within(name), int(10 + (100 - ratio) / 2), [
                f"{what} {typed} read as {name} (one typo, {ratio:.0f}% similar)"
            ]
        if len(near) > 1:
            return [], 0, [f"{what} {typed} is one typo away from each of {', '.join(near[:5])}"]
        scan = self.within.names(lexicon, areas)
        if len(scan) > FUZZY_SCAN_LIMIT:
            return [], 0, []
        best = closest_two(key, scan)
        if best and (len(best) == 1 or best[0][1] - best[1][1] >= 5):
            name, ratio = best[0][0], best[0][1]
            return within(name), int(10 + (100 - ratio) / 2), [
                f"{what} {typed} read as {name} (edit distance, {ratio:.0f}% similar)"
            ]
        if best:
            return [], 0, [f"{what} {typed} is as close to {best[0][0]} as to {best[1][0]}"]
        return [], 0, []

    def _descend(self, anchor: int, parsed: ParsedAddress, by_compound: bool = False) -> _Found:
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
            # A number typed without 号 (保利霞飞郡8-341) may be a building wherever the node
            # holds no such door.
            if len(doors) != 1 and (not index.children(node, "door")
                                    or door_el.value == door_el.key) and (
                    parsed.get("building") is None):
                # 六合小区237号: where the base numbers a compound's buildings, not its
                # doors, the number is the building's.
                doors = index.child(node, "building", door_el.key)
                if len(doors) == 1:
                    notes.append(f"{door_el.value} read as a building of {index.value(node)}")
                    return self._inside_buildings(doors, parsed.get("unit"), parsed.get("floor"),
                                                  parsed.get("room"), node, notes, penalty)
                rooms = index.rooms_in(node, door_el.key) if parsed.get("room") is None else []
                if len(rooms) == 1:  # 文华小区3115号: rooms straight under the compound
                    notes.append(f"{door_el.value} read as a room of {index.value(node)}")
                    return _Found(rooms[0], penalty, notes, True)
            split = split_sub_number(door_el.key) if not doors else None
            if split is not None and parsed.get("building") is None:
                return self._sub_numbered(node, door_el.value, *split, parsed, notes, penalty)
            if not doors and all(parsed.get(lvl) is None for lvl in STREET_LEVELS[3:]):
                # 飞霞南路置信广场2514: no such door, and the base files a room so numbered
                # straight under the road (its door and building left out).
                rooms = index.rooms_in(node, door_el.key)
                if len(rooms) == 1:
                    notes.append(f"{door_el.value} read as a room of {index.value(node)}")
                    return _Found(rooms[0], penalty, notes, True)
            if len(doors) != 1:
                notes.append(f"door {door_el.value} not found on {index.value(node)}")
                return _Found(node, penalty, notes, False)
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
            return _Found(node, penalty, notes, not differs)
        found = self._below_door(node, parsed, list(notes), penalty)
        if differs and not found.complete and found.node != node:
            # What is typed below belongs to the door typed, not to this one: only all of
            # it found here confirms this door; a part of it is a guess (55号B座15楼 at 9号
            # whose B座 has no 15楼), so the answer stops at the compound's door.
            notes.append(f"what is typed below is not all at {index.value(node)}; "
                         "not read below a door that differs")
            return _Found(node, penalty, notes, False, stopped=True)
        return found

    def _below_door(self, node: int, parsed: ParsedAddress, notes: list[str], penalty: int
                    ) -> _Found:
        """Down from a road, compound or door node by the typed building, unit, floor and
        room (the door, if any, already found)."""
        index = self.index
        building_el = parsed.get("building")
        unit_el, floor_el, room_el = parsed.get("unit"), parsed.get("floor"), parsed.get("room")
        # A base may skip levels (a building straight under a road, a room straight under
        # a door): what holds the typed levels is the node itself where it has no buildings.
        has_buildings = bool(index.children(node, "building"))
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
            if building_el is None and room_el is not None:
                # 飞霞南路飞霞大厦2608室: a room the base files straight under the road.
                rooms = [r for r in index.rooms_in(node, room_el.key)
                         if self._fits(r, unit_el, floor_el)]
                if len(rooms) == 1:
                    return _Found(rooms[0], penalty, notes, True)
                named = index.child(node, "building", room_el.key) if (
                    unit_el is None and floor_el is None) else []
                if len(named) == 1:  # 火花路川北购物中心173: the number is a building there
                    notes.append(f"{room_el.value} read as the building {index.value(named[0])}")
                    return _Found(named[0], penalty, notes, True)
            notes.append("no door number typed; cannot go below the road")
            return _Found(node, penalty, notes, False)
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
                return _Found(node, penalty, notes, False)
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
                return _Found(node, penalty, notes, False)
        elif has_buildings:
            buildings = index.children(node, "building")
            if len(buildings) > 1 and room_el is None:
                notes.append("no building typed and the door has several")
                return _Found(node, penalty, notes, False)
            given = [el for el in (unit_el, floor_el, room_el) if el is not None]
            named = [b for b in buildings if len(given) == 1 and (
                index.node_key(b) == given[0].key or index.value(b) == given[0].value)]
            if len(named) == 1:  # 创意产业园1444: the number read as a room is the building
                notes.append(f"{given[0].value} read as the building {index.value(named[0])}")
                return _Found(named[0], penalty, notes, True)
            # No building typed: one that nothing typed below confirms is no answer.
            return self._inside_buildings(buildings, unit_el, floor_el, room_el, node, notes,
                                          penalty, inferred=True)
        else:
            buildings = [node]
        return self._inside_buildings(buildings, unit_el, floor_el, room_el, node, notes, penalty)

    def _read_below(self, found: _Found, parsed: ParsedAddress
                    ) -> tuple[_Found, list[Element], tuple[int, int]] | None:
        """Where the grammar's reading stopped short of the text: the text after the
        elements found down to `found.node` read by what the base holds below it
        (`addressing.below`), the elements so read, and the stretch of typed text read."""
        index = self.index
        text = parsed.text
        at = _normal_position(text, self._typed_end(found.node, parsed))
        reading = read_below(index, found.node, text.text[at:])
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
        rest = reading.rest.strip()
        if rest:
            notes.append(f"not read below {index.value(node)}: {rest}")
        # Unread text ends the match only where it may name something (a number, or
        # anything where the base holds more below); a note after a room does not.
        complete = not rest or not (_NAMES_A_NUMBER.search(rest) or index.children(node))
        read = [Element(index.level_of(n), text.text[at + s:at + e], index.node_key(n),
                        text.span(at + s, at + e)) for n, (s, e) in zip(
                            reading.nodes, reading.spans, strict=True)]
        stretch = text.span(at, at + len(reading.read))
        return _Found(node, found.penalty + BELOW_PENALTY, notes, complete), read, stretch

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
                    index.compound_of.get(door) == name_key(e.value) or not _after_door(e, parsed)))
            else:
                taken = at is not None and index.node_key(at) in (e.key, _without_phase(e.key))
            if taken:
                end = max(end, e.span[1])
        return end

    def _sub_numbered(self, road: int, typed: str, door_key: str, sub_key: str,
                      parsed: ParsedAddress | None, notes: list[str], penalty: int) -> _Found:
        """柳乐路119-52号 where the road (or compound) has no door 119-52: the door (or
        building) 119 and what is numbered 52 under it; what is typed below goes on from
        there (`parsed`)."""
        index = self.index
        level = "door" if index.children(road, "door") else "building"
        door, sub = numbered_and_sub(index, road, level, door_key, sub_key)
        if door < 0:
            notes.append(f"door {typed} not found on {index.value(road)}")
            return _Found(road, penalty, notes, False)
        if sub is None:
            notes.append(f"door {typed} read as {index.value(door)}; {sub_key} not found there")
            return _Found(door, penalty, notes, False)
        notes.append(f"door {typed} read as {index.value(door)} {index.value(sub)}")
        if parsed is None or index.level_of(sub) != "building":
            complete = parsed is None or all(parsed.get(lvl) is None
                                             for lvl in ("unit", "floor", "room"))
            return _Found(sub, penalty, notes, complete)
        return self._inside_buildings([sub], parsed.get("unit"), parsed.get("floor"),
                                      parsed.get("room"), door, notes, penalty)

    def _phased(self, node: int, building_el: Element, notes: list[str]) -> list[int]:
        """12栋 typed where the base names the building 3期12栋 (phase, cluster or zone
        first): the one building whose value ends so; and 3期12栋 typed where it names 12栋."""
        index, key = self.index, building_el.key
        bare = _without_phase(key)
        if bare != key:
            # 2期11栋 typed where the base names the building 11栋 and no building by its
            # phase: the phase not checked.
            buildings = index.children(node, "building")
            if any(_PHASE_BEFORE.match(index.node_key(b)) for b in buildings):
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
    ) -> _Found:
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
                return _Found(rooms[0], penalty, notes, True)
            if len(rooms) > 1:
                return _Found(rooms[0], penalty, notes, True, tuple(rooms))
        if len(buildings) != 1:
            notes.append("room not found and the building is not known")
            return _Found(door, penalty, notes, False)
        node = buildings[0]
        for el, level in ((unit_el, "unit"), (floor_el, "floor")):
            if el is None:
                continue
            below = self._below(node, level, el.key)
            if len(below) != 1:
                notes.append(f"{level} {el.value} not found in {index.full_text(node)}")
                return _Found(door if inferred else node, penalty, notes, False)
            node = below[0]
        if room_el is not None:
            notes.append(f"room {room_el.value} not found in {index.full_text(node)}")
            return _Found(door if inferred else node, penalty, notes, False)
        return _Found(node, penalty, notes, True)

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

    # -- results --------------------------------------------------------------------------
    def _missed_levels(self, node: int, elements: list[Element]) -> int:
        """How many street levels typed are not on the answer's path (at least one for a
        partial answer): a road-level fallback for a typed room never scores like the room."""
        index = self.index
        path = {index.level_of(n) for n in (node, *index.ancestors(node))}
        typed = {e.level for e in elements if e.level in STREET_LEVELS}
        return max(1, len(typed - path))

    def _fill(self, result: GeocodeResult, node: int) -> None:
        index = self.index
        result.code = index.code(node)
        result.level = index.level_of(node)
        result.full_text = index.full_text(node)
        point = index.point(node)
        if point is not None:
            result.lon, result.lat = point
        result.admin = self._admin_chain(index.admin(node).finest)

    def _links(self, code: str) -> list[dict[str, str]]:
        """The division chain of `code`, province first (kept: the table's walk is slow)."""
        chain = self._chains.get(code)
        if chain is None:
            chain = self._chains[code] = [
                {"code": d.code, "name": d.name, "level": str(d.level)}
                for d in self.divisions.chain(code)
            ]
        return chain

    def _admin_chain(self, code: str) -> list[dict[str, str]]:
        return [dict(link) for link in self._links(code)]

    def _area_text(self, code: str) -> str:
        return "".join(link["name"] for link in self._links(code) if link["name"] != "市辖区")

    def _candidate(self, node: int) -> Candidate:
        point = self.index.point(node)
        return Candidate(self.index.code(node), self.index.level_of(node),
                         self.index.full_text(node), *(point or (None, None)))

    def _tie(self, result: GeocodeResult, pool: list[_Found], notes: list[str],
             penalty: int) -> GeocodeResult:
        nodes = list(dict.fromkeys(n for f in pool for n in (f.ties or (f.node,))))
        result.status = TIE
        result.candidates = [self._candidate(n) for n in nodes[:MAX_CANDIDATES]]
        result.score = max(0, 100 - penalty - 30)
        result.reason = "; ".join([*notes, f"{len(nodes)} addresses fit equally"])
        return result

    def _admin_only(self, result: GeocodeResult, parsed: ParsedAddress, areas: list[Division],
                    notes: list[str], penalty: int, missing: bool = False) -> GeocodeResult:
        decided = _decided_area(parsed.admin, self.divisions)
        if decided is None:
            if len(areas) > 1:
                result.status = TIE
                shown = ", ".join(f"{d.name} ({d.short_code})" for d in areas[:MAX_CANDIDATES])
                result.reason = "; ".join([*notes, f"the area name is ambiguous: {shown}"])
                result.candidates = [Candidate(d.code, str(d.level), self._area_text(d.code),
                                               None, None) for d in areas[:MAX_CANDIDATES]]
                return result
            result.reason = "; ".join([*notes, "no area, road or compound recognised"])
            return result
        unread = [e.value for e in parsed.leftovers if e.level == "unknown"]
        conflicts = any("not inside" in n for n in notes)  # an area typed that does not fit
        result.status = (PARTIAL if missing or unread or conflicts or parsed.finest_street_level()
                         else MATCHED)
        if unread and not missing:
            notes = [*notes, f"not understood: {', '.join(unread)}"]
        result.level = str(decided.level)
        result.code = decided.code
        result.full_text = self._area_text(decided.code)
        result.admin = self._admin_chain(decided.code)
        result.score = max(0, 100 - penalty - (30 if result.status == PARTIAL else 0))
        result.reason = "; ".join(notes) or "only administrative areas typed"
        return result


def _later_place(parsed: ParsedAddress, index: AddressIndex) -> ParsedAddress | None:
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
                and not is_numbered_only(extra.value)):  # 二号楼 is a building, not a place
            compound = Element("compound", extra.value, extra.key, extra.span)
            place = Element("place", first.value, first.key, first.span)
            elements = [compound if e is first else e for e in parsed.elements]
            leftovers = [place, *(e for e in parsed.leftovers if e is not extra)]
            return ParsedAddress(parsed.text, parsed.admin, elements, leftovers,
                                 list(parsed.notes))
    return None


def _zone_before(compound: Element, road: Element, parsed: ParsedAddress) -> bool:
    """Whether the compound is typed right before the road, nothing of the street between
    (星桥开发区星灵西路): a zone the road runs through. 裘皮广场B座土耳其路14号 names a
    building of the place first and then the place's own address."""
    return compound.span[1] <= road.span[0] and not any(
        compound.span[1] <= e.span[0] < road.span[0] for e in parsed.elements
        if e.level in STREET_LEVELS)


def _later_building(parsed: ParsedAddress) -> ParsedAddress | None:
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
            outer = Element(_OUTER_BUILDING, first.value, first.key, first.span)
            elements = [building if e is first else e for e in parsed.elements]
            leftovers = [outer, *(e for e in parsed.leftovers if e is not extra)]
            return ParsedAddress(parsed.text, parsed.admin, elements, leftovers,
                                 list(parsed.notes))
    return None


def _after_door(element: Element, parsed: ParsedAddress) -> bool:
    door = parsed.get("door")
    return door is not None and element.span[0] >= door.span[1]


def _without_phase(key: str) -> str:
    """A building's key without the phase, cluster or zone typed before it (2期11 → 11)."""
    phase = _PHASE_BEFORE.match(key)
    return key if phase is None else key[phase.end():]


def _unread_number(extra: Element, parsed: ParsedAddress) -> bool:
    """Whether a second element of a level (4幢624幢) names a number no element read has: it
    may name what the base holds below, so it is not understood rather than dropped."""
    return extra.level == "extra" and bool(_NAMES_A_NUMBER.search(extra.key)) and all(
        e.key != extra.key for e in parsed.elements)


def _normal_position(text: NormalizedText, typed: int) -> int:
    """The first character of the normalised text that comes from typed position `typed`
    or later."""
    if text.sources is None:
        return min(typed, len(text.text))
    for i, (start, _) in enumerate(text.sources):
        if start >= typed:
            return i
    return len(text.text)


def _one_per_place(names: list[str], within: Any) -> list[str]:
    """One of `names` per distinct set of nodes they name within the areas: a road and its
    alias (后海大道, 后海路) are one candidate, not two; names with no node there drop."""
    by_nodes: dict[tuple[int, ...], str] = {}
    for name in names:
        nodes = within(name)
        if nodes:
            by_nodes[tuple(sorted(nodes))] = name
    return list(by_nodes.values())


def _areas(admin: AdminParse) -> list[Division]:
    return admin.finest()


def _decided_area(admin: AdminParse, table: Any) -> Division | None:
    finest = admin.finest()
    if len(finest) == 1:
        return finest[0]
    for level in reversed(list(LEVEL_DIGITS)):
        d = admin.decided(level, table)
        if d is not None:
            return d
    return None


def _rounded(point: tuple[float, float]) -> tuple[float, float]:
    return round(point[0], 7), round(point[1], 7)
