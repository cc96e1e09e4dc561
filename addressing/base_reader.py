"""Reading the standard address base out of the store into the geocoder's index.

Rows come level by level (parents before children), ordered by code within a level so
that siblings arrive together, streamed the store's fastest way (`StoreDialect.stream_rows`:
on PostGIS a COPY, about 14 times faster than a cursor, so a city of 16.7M address nodes is
read in well under a minute instead of about ten).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select

from addressing.index import AddressIndex, index_from_rows
from twin.models import ADDRESS_LEVELS, Address
from twin.store import Store

INDEX_COLUMNS = ("code", "parent_code", "level", "value", "full_text", "county_code",
                 "township_code", "community_code", "road", "door_no", "compound", "building",
                 "unit", "floor", "room", "aliases")
ROW_COLUMNS = (*INDEX_COLUMNS, "lon", "lat")
PROGRESS_EVERY = 1024
YIELD_EVERY = 128


def _level_query(level: str) -> Select[Any]:
    table = Address.__table__
    return (
        select(*[table.c[name] for name in INDEX_COLUMNS],
               func.ST_X(table.c.geom).label("lon"), func.ST_Y(table.c.geom).label("lat"))
        .where(table.c.level == level, table.c.status != "retired")
        .order_by(table.c.code)
    )


def _level_rows(conn: Connection, level: str, batch: int) -> Iterator[dict[str, Any]]:
    # A store may stream every value as text: the aliases are then JSON text (almost always
    # an empty list) and lon/lat numbers in text.
    for values in Store.of(conn.engine).dialect.stream_rows(conn, _level_query(level), batch):
        row = dict(zip(ROW_COLUMNS, values, strict=True))
        aliases = row["aliases"]
        if aliases is None or aliases == "[]":
            row["aliases"] = []
        elif isinstance(aliases, str):
            row["aliases"] = json.loads(aliases)
        if isinstance(row["lon"], str):
            row["lon"], row["lat"] = float(row["lon"]), float(row["lat"])
        yield row


def address_rows(engine: Engine, batch: int = 50_000) -> Iterator[dict[str, Any]]:
    """Current (not retired) address rows of the store, level by level, with lon/lat."""
    with engine.connect() as conn:
        for level in ADDRESS_LEVELS:
            yield from _level_rows(conn, level, batch)


def build_index(engine: Engine, progress: Callable[[int, int], None] | None = None
                ) -> AddressIndex:
    """The index of the store's current standard addresses.

    `progress(read, total)` is called at the start, every PROGRESS_EVERY rows and at the end
    (total is counted first, so it is approximate while others write); it may raise to stop.
    """
    if progress is None:
        return index_from_rows(address_rows(engine))
    table = Address.__table__
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(table)
                             .where(table.c.status != "retired")).scalar_one()

    def counted(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        read = 0
        progress(read, total)
        for read, row in enumerate(rows, start=1):
            if read % PROGRESS_EVERY == 0:
                progress(read, total)
            if read % YIELD_EVERY == 0:
                # The build runs in a thread of the server. Reading and filing rows is
                # compiled code that seldom lets the GIL go, so requests waited seconds for
                # it; handing the GIL over every few hundred rows keeps them at milliseconds
                # (bench/serve_while_indexing.py) for about a tenth more build time.
                time.sleep(0)
            yield row
        progress(read, total)

    return index_from_rows(counted(address_rows(engine)))
