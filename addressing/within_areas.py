"""Which address nodes and names lie within the admin areas a text names.

A typed road or compound is looked up within the areas the text's admin part decided
(its township, its community, its county); a misspelt one is compared with the names of
those areas (`edit_scan`). Both are asked again and again in a batch, so what they find is
kept: by what decides it (two communities of one township ask the same question of a
node), not by the areas as typed.
"""

from __future__ import annotations

from typing import Any

from addressing.edit_scan import NameScan
from addressing.index import AddressIndex, AdminCodes
from twin.divisions import LEVEL_DIGITS, Division, Level

AreaTests = tuple[tuple[tuple[str, bool], ...], frozenset[str]]


def area_tests(areas: list[Division]) -> AreaTests:
    """What being within `areas` tests of a node: per area, the code prefix its finest code
    must have and whether its county code may have it instead (areas of county level and
    above); and the counties whose nodes without a township are within."""
    tests = set()
    for area in areas:
        if area.level is Level.village:
            tests.add((area.code[: LEVEL_DIGITS[Level.township]], False))  # roads cross
        else:                                                                # communities
            tests.add((area.short_code, LEVEL_DIGITS[area.level] <= 6))
    counties = frozenset(a.code[:6] for a in areas if LEVEL_DIGITS[a.level] > 6)
    return tuple(sorted(tests)), counties


def _within(admin: AdminCodes, tests: AreaTests) -> bool:
    prefixes, counties = tests
    if admin.township is None and admin.county[:6] in counties:
        return True
    finest, county = admin.community or admin.township or admin.county, admin.county
    for prefix, county_too in prefixes:
        if finest.startswith(prefix) or (county_too and county.startswith(prefix)):
            return True
    return False


class WithinAreas:
    """The nodes and names of one index within admin areas, with what was found kept."""

    def __init__(self, index: AddressIndex) -> None:
        self.index = index
        self._names: dict[tuple[int, AreaTests | None], NameScan] = {}
        self._named: dict[tuple[int, str, tuple[str, ...]], list[int]] = {}
        self._tests: dict[tuple[str, ...], AreaTests] = {}  # by the areas' codes
        self._shared: dict[tuple[int, str], int] = {}  # `_shared_admin`, -1 for none
        self._by_admin: dict[int, tuple[dict[int, list[str]], dict[str, int]]] = {}

    def names(self, lexicon: Any, areas: list[Division]) -> NameScan:
        """Names in `lexicon` with a node in the areas, laid out for the edit scan.

        At city scale each new question read every name of the lexicon (43 ms in Python);
        kept by the areas as typed, texts naming communities asked a new one nearly every
        time.
        """
        tests = area_tests(areas)
        key = (id(lexicon), tests if areas else None)
        found = self._names.get(key)
        if found is None:
            if areas:
                # By the admin codes a name's nodes carry (a few thousand in a city), not
                # name by name: a new question read every node of the lexicon.
                by_admin, rank = self._names_by_admin(lexicon)
                admins = self.index.admins
                held = {n for a, names in by_admin.items()
                        if _within(admins[a], tests) for n in names}
                names = sorted(held, key=rank.__getitem__)
            else:
                names = [n for n in lexicon.names() if lexicon.get(n)]
            if len(self._names) > 1000:
                self._names.clear()
            found = self._names[key] = NameScan(names)
        return found

    def _names_by_admin(self, lexicon: Any) -> tuple[dict[int, list[str]], dict[str, int]]:
        """The lexicon's names by the admin codes of their nodes, and each name's place in
        the lexicon (a scan lists names in that order: it breaks ties)."""
        found = self._by_admin.get(id(lexicon))
        if found is None:
            by_admin: dict[int, list[str]] = {}
            rank: dict[str, int] = {}
            admin_id = self.index.admin_id
            for n in lexicon.names():
                rank[n] = len(rank)
                for a in {admin_id(node) for node in lexicon.get(n)}:
                    by_admin.setdefault(a, []).append(n)
            found = self._by_admin[id(lexicon)] = (by_admin, rank)
        return found

    def named(self, lexicon: Any, name: str, areas: list[Division], area_key: tuple[str, ...]
              ) -> list[int]:
        """The nodes filed under `name` in `lexicon` (one of the index's) within the areas."""
        if not areas:
            return list(lexicon.get(name))
        key = (id(lexicon), name, area_key)  # the index, and so its lexicons, outlive these
        hit = self._named.get(key)
        if hit is None:
            if len(self._named) > 200_000:
                self._named.clear()
                self._tests.clear()
            tests = self._tests.get(area_key)
            if tests is None:
                tests = self._tests[area_key] = area_tests(areas)
            nodes = lexicon.get(name)
            shared = self._shared_admin(lexicon, name, nodes)
            if shared is not None:  # one answer for all the nodes
                hit = list(nodes) if _within(self.index.admins[shared], tests) else []
            else:
                hit = self.nodes_in(nodes, tests)
            self._named[key] = hit
        return list(hit)

    def _shared_admin(self, lexicon: Any, name: str, nodes: list[int]) -> int | None:
        """The admin codes (their id) every node under `name` lies in, if they share them:
        most names do, and one name is asked of in many areas (typed with a district, a
        township or a community)."""
        key = (id(lexicon), name)
        found = self._shared.get(key)
        if found is None:
            if len(self._shared) > 200_000:
                self._shared.clear()
            admin_id = self.index.admin_id
            ids = {admin_id(node) for node in nodes}
            found = self._shared[key] = ids.pop() if len(ids) == 1 else -1
        return None if found < 0 else found

    def nodes_in(self, nodes: list[int], tests: AreaTests) -> list[int]:
        """The nodes within the areas `area_tests` made these tests of. A node the base
        left without a township (a road row with none) lies within a township or village
        of its county: the base cannot say otherwise."""
        admin_id, admins = self.index.admin_id, self.index.admins
        verdicts: dict[int, bool] = {}  # a name's nodes share a few admin codes
        out = []
        for node in nodes:
            a = admin_id(node)
            within = verdicts.get(a)
            if within is None:
                within = verdicts[a] = _within(admins[a], tests)
            if within:
                out.append(node)
        return out

    def in_townships(self, nodes: list[int], townships: set[str]) -> tuple[list[int], set[str]]:
        """The nodes that may lie in one of `townships` (12-digit codes), and the townships
        that hold one for certain. A node the base left without a township may lie in any
        township of its county, so it is kept where one of them is in its county."""
        counties = {code[:6] for code in townships}
        admin_of = self.index.admin
        fit: list[int] = []
        held: set[str] = set()
        for node in nodes:
            admin = admin_of(node)
            if admin.township is not None and admin.township in townships:
                fit.append(node)
                held.add(admin.township)
            elif admin.township is None and admin.county[:6] in counties:
                fit.append(node)
        return fit, held
