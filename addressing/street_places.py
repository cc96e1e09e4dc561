"""Places typed in the street part that name admin areas (issue 16).

The admin prefix is read by `addressing.admin`; what it could not read lies in the street
part as a place before the street: a township's short name (下沙东大街), an admin chain
typed again mid-text (六虹桥路温州鹿城仓储基地), a township typed after text that is no area
(萧山区大江东前进街道). The `Geocoder` (addressing/match.py) asks here what each says of
where the street lies; the match decides.
"""

from __future__ import annotations

from addressing.admin import AdminGazetteer
from addressing.admin_names import AdminName
from addressing.index import AddressIndex
from addressing.parse import Element, ParsedAddress
from addressing.within_areas import WithinAreas
from twin.divisions import LEVEL_DIGITS, Division, DivisionTable, Level


class StreetPlaces:
    """What places typed in the street part say of the areas (read-only; shared)."""

    def __init__(self, index: AddressIndex, gazetteer: AdminGazetteer, within: WithinAreas,
                 divisions: DivisionTable) -> None:
        self.index, self.gazetteer, self.within = index, gazetteer, within
        self.divisions = divisions

    def areas(self, parsed: ParsedAddress, areas: list[Division]
              ) -> tuple[Element, list[Division], str] | None:
        """杭行路666号杭州拱墅万达广场, 新桥街道六虹桥路温州鹿城仓储基地: a place typed in the
        street part that is wholly an admin chain of two names or more down to a county (a
        sender naming the area again mid-text): the areas the match looks in are those
        read before it that lie inside the county, else the county. The place, the areas
        and what to say; None where no place is such a chain."""
        for place, county in self._chains(parsed):
            inside = [d for d in areas if d.code.startswith(county.code[:6])]
            if inside:
                return place, inside, f"place {place.value} read as {county.name}"
            if self._elsewhere(county, areas):
                continue  # a county elsewhere than the one typed before: decides nothing
            wide = [d for d in areas if d.level in (Level.county, Level.city, Level.province)]
            return place, [county], f"place {place.value} read as {county.name}" + (
                ", where no area typed before it lies" if areas and not wide else "")
        return None

    def chain_elsewhere(self, parsed: ParsedAddress, areas: list[Division]
                        ) -> tuple[Element, Division] | None:
        """浙江省宁波市江北区浙江临海江南大道: a place in the street part that is wholly an admin
        chain down to a county elsewhere than the areas typed before (a form's chain, then
        the sender's own, typed by short names): the place and its county, where the match
        finds the street nowhere in the areas; None where no place is such a chain."""
        return next(((place, county) for place, county in self._chains(parsed)
                     if self._elsewhere(county, areas)), None)

    def _chains(self, parsed: ParsedAddress) -> list[tuple[Element, Division]]:
        """The places typed in the street part that are wholly an admin chain of two names
        or more down to one county, with the county."""
        out = []
        for place in parsed.leftovers:
            if place.level != "place" or len(place.value) < 4:  # (two names: four at least)
                continue
            admin = self.gazetteer.parse(place.value)
            if admin.end != len(place.value) or len(admin.tokens) < 2:
                continue  # (a lone short name, 滨江 or 坪山, is a place's name as often)
            counties = [d for d in admin.finest() if d.level is Level.county]
            if len(counties) == 1:
                out.append((place, counties[0]))
        return out

    @staticmethod
    def _elsewhere(county: Division, areas: list[Division]) -> bool:
        """Whether the county lies outside a county, city or province typed before."""
        wide = [d for d in areas if d.level in (Level.county, Level.city, Level.province)]
        return any(not county.code.startswith(d.code[:LEVEL_DIGITS[d.level]]) for d in wide)

    def moved_townships(self, parsed: ParsedAddress, areas: list[Division]) -> list[AdminName]:
        """The townships named in the street part (typed after text that is no area, so not
        read into the chain) that were moved out of a county read to another county."""
        counties = {d.code[:6] for d in areas if d.level is Level.county}
        if not counties:
            return []
        names = self.gazetteer.names
        return [n for e in parsed.elements if e.level == "township" and e.code is None
                for n in names.get(e.value, ()) if n.kind == "moved"
                and n.division.level is Level.township
                and (n.former_parent or "")[:6] in counties]

    def township(self, parsed: ParsedAddress, anchors: list[int]
                 ) -> tuple[list[int], Element | None, list[str], Element | None]:
        """下沙东大街16号, 濮院环城东路12号: a place typed before the street with no township
        read, that is a township's name (short, as people write it): where the road or
        compound has candidates in that township, those are kept and the place is checked;
        where it holds none, all are kept and the place is not checked. Candidates in two
        townships of the name (or one the base files in no township) stay for the rest of
        the address to decide, or tie: the place never picks between them. Returned: the
        candidates kept, the place, the notes, and the township element the place is where
        it decides one."""
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
                    f"name is known to hold {street.value})"], None
            unsure = {self.index.admin(a).county[:6] for a in fit
                      if self.index.admin(a).township is None} - {c[:6] for c in held}
            if len(held) == 1 and not unsure:
                town = towns[next(iter(held))]
                return fit, place, [f"place {place.value} read as {town.name}, "
                                    f"where {street.value} lies"], Element(
                    "township", place.value, place.key, place.span, town.code)
            shown = sorted(f"{towns[c].name} ({self._county_name(c)})" for c in held) + sorted(
                f"{d.name} ({self._county_name(c)}, where the base files it in no township)"
                for c, d in towns.items() if c[:6] in unsure)
            return fit, place, [f"place {place.value} may be any of {', '.join(shown)}, "
                                f"where {street.value} lies; not decided by the place"], None
        return anchors, None, [], None

    def _county_name(self, code: str) -> str:
        county = self.divisions.by_code.get(code[:6].ljust(12, "0"))
        return code[:6] if county is None else county.name
