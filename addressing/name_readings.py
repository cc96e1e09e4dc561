"""How a typed road or compound name is found among the base's names within the areas.

Exactly first (a renamed road said so), then with a road's last word left out (凤凰中一
for 凤凰中一路), by sound (homophones), one typo away, and by edit distance over the names
of the areas; a reading by anything but the exact name costs, and one that two names fit
as well is never taken. The `Geocoder` (addressing/match.py) finds its anchors through here.
"""

from __future__ import annotations

from typing import Any

from addressing.edit_scan import beyond_one_typo, closest_two, similarity
from addressing.index import AddressIndex, name_key
from addressing.within_areas import WithinAreas
from twin.divisions import Division

# What ends a road's name (or a village's, which a base holds as a road: 永西 for 永西村).
ROAD_WORDS = ("路", "街", "道", "巷", "大道", "大街", "村")
FUZZY_SCAN_LIMIT = 5_000  # names in the areas beyond which no linear edit-distance scan runs


class NameReadings:
    """Reads typed names against one `AddressIndex`, within the typed areas."""

    def __init__(self, index: AddressIndex, within: WithinAreas):
        self.index = index
        self.within = within

    def find(
        self, lexicon: Any, typed: str, areas: list[Division], what: str
    ) -> tuple[list[int], int, list[str]]:
        """The nodes of `lexicon` (roads or compounds) within `areas` that the typed name
        may mean, what reading it so cost, and notes saying how it was read: exactly (or
        by its old name), with a road's last word left out, by sound, one typo away, or by
        edit distance; no nodes where none fits or two fit as well (the note says why)."""
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
        # No name of the areas is one typo away: the scan looks only for those further off,
        # which a name of three characters or fewer has none of at the cutoff.
        beyond_typo = len(key) >= 3
        if beyond_typo and not beyond_one_typo(len(key)):
            return [], 0, []
        scan = self.within.names(lexicon, areas)
        if len(scan) > FUZZY_SCAN_LIMIT:
            return [], 0, []
        best = closest_two(key, scan, beyond_typo)
        if best and (len(best) == 1 or best[0][1] - best[1][1] >= 5):
            name, ratio = best[0][0], best[0][1]
            return within(name), int(10 + (100 - ratio) / 2), [
                f"{what} {typed} read as {name} (edit distance, {ratio:.0f}% similar)"
            ]
        if best:
            return [], 0, [f"{what} {typed} is as close to {best[0][0]} as to {best[1][0]}"]
        return [], 0, []


def _one_per_place(names: list[str], within: Any) -> list[str]:
    """One of `names` per distinct set of nodes they name within the areas: a road and its
    alias (后海大道, 后海路) are one candidate, not two; names with no node there drop."""
    by_nodes: dict[tuple[int, ...], str] = {}
    for name in names:
        nodes = within(name)
        if nodes:
            by_nodes[tuple(sorted(nodes))] = name
    return list(by_nodes.values())
