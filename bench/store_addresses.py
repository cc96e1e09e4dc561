"""Address rows drawn from a store, for benchmarks that index the store and query it.

Rows come with the `address` table's columns and lon/lat, as the index builder and the
messy-address generator take them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

COLUMNS = """a.code, a.parent_code, a.level, a.value, a.full_text, a.county_code,
    a.township_code, a.community_code, a.road, a.door_no, a.compound, a.building, a.unit,
    a.floor, a.room, a.aliases, ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat"""

# Every n-th room (by id) with the rows above it.
ROOMS_WITH_ANCESTORS = f"""
WITH RECURSIVE picked AS (
    SELECT a.code, a.parent_code FROM address a
    WHERE a.level = 'room' AND a.status <> 'retired' AND a.id % :every = 0
  UNION
    SELECT p.code, p.parent_code FROM address p JOIN picked c ON p.code = c.parent_code
)
SELECT {COLUMNS} FROM address a JOIN picked USING (code)
"""

# Every road, compound and door, and the whole subtree of every n-th door (by id): room
# counts per building and compound counts per name are those of the store.
DOORS_WITH_SUBTREES = f"""
WITH RECURSIVE picked AS (
    SELECT a.code FROM address a
    WHERE a.level = 'door' AND a.status <> 'retired' AND a.id % :every = 0
  UNION ALL
    SELECT c.code FROM address c JOIN picked p ON c.parent_code = p.code
    WHERE c.status <> 'retired'
)
SELECT {COLUMNS} FROM address a
WHERE a.status <> 'retired' AND a.level IN ('road', 'compound', 'door')
UNION ALL
SELECT {COLUMNS} FROM address a JOIN picked USING (code)
WHERE a.level NOT IN ('road', 'compound', 'door')
"""


def _fetch(engine: Engine, sql: str, every: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(text(sql), {"every": every}).mappings()]
    for row in rows:
        if isinstance(row["aliases"], str):
            row["aliases"] = json.loads(row["aliases"])
    return rows


def rooms_with_ancestors(engine: Engine, every: int) -> list[dict[str, Any]]:
    """Every `every`-th room of the store with the rows above it."""
    return _fetch(engine, ROOMS_WITH_ANCESTORS, every)


def doors_with_subtrees(engine: Engine, every: int) -> list[dict[str, Any]]:
    """Every road, compound and door of the store, and every `every`-th door's subtree."""
    return _fetch(engine, DOORS_WITH_SUBTREES, every)
