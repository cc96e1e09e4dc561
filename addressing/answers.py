"""What matching one address answers, and how what was found fills it.

A `GeocodeResult` says the status, the answer (code, level, full text, point, division
chain), the score and the reason; `Candidate`s are the answers offered on a tie or a
doubtful match. `Answers` fills one from a node of the base, from several that fit equally
(a tie), or from the areas read alone. The `Geocoder` (addressing/match.py) decides which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from addressing.admin import AdminParse
from addressing.admin_names import NOT_AREAS
from addressing.descend import Found
from addressing.door_numbers import split_sub_number
from addressing.grammar import PHASE_BEFORE, without_phase
from addressing.index import AddressIndex
from addressing.normalize import NormalizedText, element_key
from addressing.parse import STREET_LEVELS, Element, ParsedAddress
from twin.divisions import LEVEL_DIGITS, Division, DivisionTable

MATCHED, PARTIAL, TIE, UNMATCHED = "matched", "partial", "tie", "unmatched"
MAX_CANDIDATES = 10
TIE_SHOWN = 3  # candidates a tie's reason names
NUMBERED_LEVELS = STREET_LEVELS[2:]  # door … room: what a number names


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


class Answers:
    """Fills results from the base's nodes and the division table."""

    def __init__(self, index: AddressIndex, divisions: DivisionTable):
        self.index = index
        self.divisions = divisions
        self._chains: dict[str, list[dict[str, str]]] = {}

    def missed_levels(self, node: int, elements: list[Element]) -> int:
        """How many street levels typed are not on the answer's path (at least one for a
        partial answer): a road-level fallback for a typed room never scores like the room."""
        index = self.index
        path = {index.level_of(n) for n in (node, *index.ancestors(node))}
        typed = {e.level for e in elements if e.level in STREET_LEVELS}
        return max(1, len(typed - path))

    def fill(self, result: GeocodeResult, node: int) -> None:
        """Give `result` the node's code, level, full text, point and division chain."""
        index = self.index
        result.code = index.code(node)
        result.level = index.level_of(node)
        result.full_text = index.full_text(node)
        point = index.point(node)
        if point is not None:
            result.lon, result.lat = point
        result.admin = self._admin_chain(index.admin(node).finest)

    def as_read(self, node: int, elements: list[Element], text: NormalizedText
                ) -> list[Element]:
        """The typed elements as the answer `node` reads them, where the base holds a typed
        number at another level than the grammar read it: 六合小区237号 where the compound
        numbers its buildings is building 237; 舜水北路970-12号 where the road holds door 970
        and building 12 under it is door 970 and building 12号. The rest as typed."""
        index = self.index
        path: dict[str, int] = {}  # the numbered levels of the answer's path, and their nodes
        for n in (node, *index.ancestors(node)):
            level = index.level_of(n)
            if level in NUMBERED_LEVELS:
                path[level] = n
        if not path:
            return elements
        # A typed number the path holds at its own level keeps it; another takes the one
        # level of the path that holds its key and no typed number keeps.
        kept = [e.level not in NUMBERED_LEVELS or (
            e.level in path and index.keyed(path[e.level], e.key)) for e in elements]
        claimed = {e.level for e, keep in zip(elements, kept, strict=True) if keep}
        out: list[Element] = []
        for e, keep in zip(elements, kept, strict=True):
            if keep:
                out.append(e)
                continue
            levels = [lvl for lvl, n in path.items()
                      if lvl not in claimed and index.keyed(n, e.key)]
            if len(levels) == 1:
                claimed.add(levels[0])
                at = text.position(e.span[0])
                value = text.text[at:text.position(e.span[1])] or e.value
                out.append(Element(levels[0], value, e.key, e.span))
            else:
                out.extend(self._split_phase(e, path, claimed, text)
                           or self._split_door(e, path, claimed, text) or (e,))
        return out

    def _split_phase(self, e: Element, path: dict[str, int], claimed: set[str],
                     text: NormalizedText) -> list[Element] | None:
        """A building typed with a phase before it (格兰云天二期171幢) where the base holds
        the building by its number alone (the phase not checked): the phase, as a zone, and
        the building, each with its span."""
        bare = without_phase(e.key) if e.level == "building" else e.key
        if bare == e.key or "building" in claimed or "building" not in path or (
                not self.index.keyed(path["building"], bare)):
            return None
        at, end = text.position(e.span[0]), text.position(e.span[1])
        phase = PHASE_BEFORE.match(text.text, at, end)
        if phase is None:
            return None
        claimed.add("building")
        return [Element("zone", phase.group(0), phase.group(0), text.span(at, phase.end())),
                Element("building", text.text[phase.end():end], bare,
                        text.span(phase.end(), end))]

    def _split_door(self, e: Element, path: dict[str, int], claimed: set[str],
                    text: NormalizedText) -> list[Element] | None:
        """A door typed with a sub-number (970-12号; 时代广场7-3号) whose two numbers are
        both on the answer's path at two levels no other typed number has taken (`claimed`,
        which gains the two): the two elements, each with its span. The first is the door
        where the path holds one, else the building or unit the base numbers so."""
        split = split_sub_number(e.key) if e.level == "door" else None
        if split is None:
            return None
        free = [lvl for lvl in NUMBERED_LEVELS if lvl in path and lvl not in claimed]
        heads = [lvl for lvl in free if self.index.keyed(path[lvl], split[0])]
        if len(heads) != 1:
            return None
        at = text.position(e.span[0])
        sub = at + len(split[0]) + 1
        typed = e.value[sub - at:]  # 3号 of 7-3号: keyed as the level it may be keys it
        below = [lvl for lvl in free[free.index(heads[0]) + 1:]
                 if self.index.keyed(path[lvl], element_key(lvl, typed) or split[1])]
        if len(below) != 1 or not text.text.startswith(e.value, at) or not e.value.startswith(
                f"{split[0]}-"):
            return None
        claimed.update((heads[0], below[0]))
        return [Element(heads[0], split[0], split[0], text.span(at, sub - 1)),
                Element(below[0], typed, element_key(below[0], typed),
                        text.span(sub, at + len(e.value)))]

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
        return "".join(link["name"] for link in self._links(code)
                       if link["name"] not in NOT_AREAS)

    def candidate(self, node: int) -> Candidate:
        """The node as a candidate answer."""
        point = self.index.point(node)
        return Candidate(self.index.code(node), self.index.level_of(node),
                         self.index.full_text(node), *(point or (None, None)))

    def tie(self, result: GeocodeResult, pool: list[Found], notes: list[str],
            penalty: int) -> GeocodeResult:
        """`result` as a tie between the nodes found (and the ties each holds)."""
        nodes = list(dict.fromkeys(n for f in pool for n in (f.ties or (f.node,))))
        result.status = TIE
        result.candidates = [self.candidate(n) for n in nodes[:MAX_CANDIDATES]]
        result.score = max(0, 100 - penalty - 30)
        # The reason names them (the first few), so that a reader sees what to type.
        shown = ", ".join(self.index.full_text(n) for n in nodes[:TIE_SHOWN]) + (
            ", …" if len(nodes) > TIE_SHOWN else "")
        result.reason = "; ".join([*notes, f"{len(nodes)} addresses fit equally: {shown}"])
        return result

    def admin_only(self, result: GeocodeResult, parsed: ParsedAddress, areas: list[Division],
                   notes: list[str], penalty: int, missing: bool = False) -> GeocodeResult:
        """`result` answered by the areas read alone (no road or compound typed, or
        `missing`: none found), or a tie where the area name is ambiguous."""
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
        villages = [e.value for e in parsed.leftovers if e.level == "village"]
        notes = [*notes, *(f"village {v} not checked (the division table does not hold it)"
                           for v in villages)]
        result.status = (PARTIAL if missing or unread or conflicts or villages
                         or parsed.finest_street_level() else MATCHED)
        if unread and not missing:
            notes = [*notes, f"not understood: {', '.join(unread)}"]
        result.level = str(decided.level)
        result.code = decided.code
        result.full_text = self._area_text(decided.code)
        result.admin = self._admin_chain(decided.code)
        result.score = max(0, 100 - penalty - (30 if result.status == PARTIAL else 0))
        result.reason = "; ".join(notes) or "only administrative areas typed"
        return result


def _decided_area(admin: AdminParse, table: Any) -> Division | None:
    finest = admin.finest()
    if len(finest) == 1:
        return finest[0]
    for level in reversed(list(LEVEL_DIGITS)):
        d = admin.decided(level, table)
        if d is not None:
            return d
    return None
