"""The 街路巷 layer kept with the address base: one road a county and name.

An address-base import names roads on every row; the `road` table gets each new name
once (per county, as its unique key says), with the aliases the rows gave, and roads
already there gain the new aliases. Road codes follow the sample city's layout: the
9-digit township (or county) code, `R`, and a 4-digit sequence. The file gives no road
lines, so a new road has no geometry until one is imported for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select, update

from twin.bulk import write_rows
from twin.codes.registry import record_issued
from twin.models import Road

ROADS = cast(Table, Road.__table__)


def _road_prefix(county: str, township: str | None) -> str:
    return (township or county[:6] + "000000")[:9] + "R"


def _next_codes(conn: Connection, prefixes: set[str]) -> dict[str, int]:
    """The highest sequence in use under each road-code prefix."""
    taken: dict[str, int] = dict.fromkeys(prefixes, 0)
    for prefix in prefixes:
        codes = conn.execute(select(ROADS.c.code).where(ROADS.c.code.startswith(prefix)))
        for code in codes.scalars():
            tail = code[len(prefix):]
            if tail.isdigit():
                taken[prefix] = max(taken[prefix], int(tail))
    return taken


def write_roads(conn: Connection, road_nodes: Sequence[Mapping[str, Any]]) -> int:
    """Add the roads of new road address nodes; returns how many roads are new."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for node in road_nodes:
        groups[(node["county_code"], node["road"])].append(node)
    if not groups:
        return 0
    existing = {
        (row.county_code, row.name): row
        for row in conn.execute(select(ROADS.c.id, ROADS.c.county_code, ROADS.c.name,
                                       ROADS.c.aliases)
                                .where(ROADS.c.name.in_({name for _, name in groups})))
    }
    new: list[dict[str, Any]] = []
    for (county, name), nodes in groups.items():
        aliases = sorted({a for n in nodes for a in n.get("aliases") or []} - {name})
        known = existing.get((county, name))
        if known is not None:
            merged = sorted(set(known.aliases or []) | set(aliases))
            if merged != sorted(known.aliases or []):
                conn.execute(update(ROADS).where(ROADS.c.id == known.id).values(
                    aliases=merged, version=ROADS.c.version + 1,
                    updated_at=func.current_timestamp()))
            continue
        townships = {n.get("township_code") for n in nodes}
        township = townships.pop() if len(townships) == 1 else None
        new.append({"name": name, "aliases": aliases, "county_code": county,
                    "township_code": township, "geom": None})
    sequences = _next_codes(conn, {_road_prefix(r["county_code"], r["township_code"])
                                   for r in new})
    for road in new:
        prefix = _road_prefix(road["county_code"], road["township_code"])
        sequences[prefix] += 1
        road["code"] = f"{prefix}{sequences[prefix]:04d}"
    write_rows(conn, ROADS, new)
    record_issued(conn, [{"code": r["code"], "scheme": "road", "object_type": "road",
                          "natural_key": f"{r['county_code']}|{r['name']}",
                          "reason": "import"} for r in new])
    return len(new)
