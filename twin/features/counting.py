"""numberMatched: exact when affordable, left out (never guessed) when too costly.

Costly counts are kept briefly, and the planner's guesses pick the page plan on PostGIS.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from sqlalchemy import Connection, Engine, Select, column, func, literal_column, select, table
from sqlalchemy.exc import DBAPIError

from twin.dialects import PostGIS
from twin.features.query import BBox, FeatureQuery, where_clauses
from twin.layers import Layer
from twin.store import Store

# How long PostGIS may spend counting numberMatched before the page goes without it.
COUNT_BUDGET_MS = 300
# Costly counts kept briefly, by store, layer and the exact WHERE: paging through one
# query counts it once, and a count found too costly is not tried again on every page.
# Writes through the API forget a layer's counts at once; rows written behind the
# server's back show after COUNT_TTL seconds at most (cheap counts are never kept).
COUNT_TTL = 10.0
COUNT_MEMO_SIZE = 2048
COUNT_MEMO_MIN_MS = 20.0
_counts: OrderedDict[tuple[str, str, str], tuple[float, int | None]] = OrderedDict()
_counts_lock = threading.Lock()


def forget_counts(engine: Engine, layer: Layer) -> None:
    """Drop the kept counts of `layer` (after a write)."""
    url = str(engine.url)
    with _counts_lock:
        for key in [k for k in _counts if k[0] == url and k[1] == layer.name]:
            _counts.pop(key, None)


def _literal_sql(engine: Engine, stmt: Select[Any]) -> str | None:
    try:
        return str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    except Exception:  # noqa: BLE001 - a value SQLAlchemy cannot inline: no memo, no estimate
        return None


def _count_statement(store: Store, q: FeatureQuery) -> Select[Any]:
    return select(func.count()).select_from(q.layer.table).where(*where_clauses(store, q))


def _remember(key: tuple[str, str, str] | None, count: int | None) -> int | None:
    if key is not None:
        with _counts_lock:
            _counts[key] = (time.monotonic(), count)
            _counts.move_to_end(key)
            while len(_counts) > COUNT_MEMO_SIZE:
                _counts.popitem(last=False)
    return count


def _recall(key: tuple[str, str, str] | None) -> tuple[bool, int | None]:
    kept = _counts.get(key) if key is not None else None
    if kept is not None and time.monotonic() - kept[0] < COUNT_TTL:
        return True, kept[1]
    return False, None


def budgeted_count(conn: Connection, store: Store, q: FeatureQuery) -> int | None:
    """numberMatched if the store can count it within COUNT_BUDGET_MS, else None.

    A filter no index serves (say `use = 'office'` over a million buildings) costs a scan
    of the whole table to count; the page itself needs only its first rows. The standard
    lets a server leave numberMatched out, which beats making every page wait.
    """
    engine = store.engine
    stmt = _count_statement(store, q)
    sql = _literal_sql(engine, stmt)
    key = (str(engine.url), q.layer.name, sql) if sql is not None else None
    known, count = _recall(key)
    if known:
        return count
    started = time.perf_counter()
    count = store.dialect.budgeted_count(conn, stmt, COUNT_BUDGET_MS)
    if count is None:
        return _remember(key, None)
    # Only costly counts are kept: a cheap one is simply counted again, always fresh.
    if (time.perf_counter() - started) * 1000 >= COUNT_MEMO_MIN_MS:
        _remember(key, count)
    return count


# How long a layer's row count and extent are trusted for bbox guesses made in-process.
SHAPE_TTL = 60.0
_shapes: dict[tuple[str, str], tuple[float, float, BBox | None]] = {}


def _layer_shape(conn: Connection, store: Store, layer: Layer) -> tuple[float, BBox | None]:
    """The layer's row count and extent as PostGIS's statistics know them (kept a while)."""
    key = (str(store.engine.url), layer.name)
    kept = _shapes.get(key)
    if kept is not None and time.monotonic() - kept[0] < SHAPE_TTL:
        return kept[1], kept[2]
    name, column_name = layer.table.name, layer.geometry_column.name
    row = conn.execute(
        select(literal_column("reltuples"),
               func.ST_XMin(func.ST_EstimatedExtent(name, column_name)),
               func.ST_YMin(func.ST_EstimatedExtent(name, column_name)),
               func.ST_XMax(func.ST_EstimatedExtent(name, column_name)),
               func.ST_YMax(func.ST_EstimatedExtent(name, column_name)))
        .select_from(table("pg_class", column("oid"), column("reltuples")))
        .where(literal_column("oid") == func.to_regclass(name))
    ).first()
    rows = float(row[0]) if row is not None else -1.0
    extent = (None if row is None or row[1] is None
              else (float(row[1]), float(row[2]), float(row[3]), float(row[4])))
    _shapes[key] = (time.monotonic(), rows, extent)
    return rows, extent


def guessed_bbox_rows(conn: Connection, store: Store, q: FeatureQuery) -> float | None:
    """Rows in the bbox if the layer's rows were spread evenly over its extent; None
    before the table's first ANALYZE. No round trip while the layer's shape is kept."""
    assert q.bbox is not None
    rows, extent = _layer_shape(conn, store, q.layer)
    if rows < 0 or extent is None:
        return None
    x0, y0, x1, y1 = extent
    a, b, c, d = q.bbox
    area = (x1 - x0) * (y1 - y0)
    if area <= 0:
        return rows
    overlap = max(0.0, min(c, x1) - max(a, x0)) * max(0.0, min(d, y1) - max(b, y0))
    return rows * overlap / area


def estimated_bbox_rows(conn: Connection, store: Store, q: FeatureQuery) -> float:
    """PostGIS's guess of how many rows the bbox holds, from the column's statistics.

    Cheaper and closer than the plan of the whole query; before the table's first ANALYZE
    there are no statistics, and the plan's guess is used instead.
    """
    if q.bbox is None:
        return estimated_rows(conn, store, q)
    name = q.layer.table.name
    try:
        guess = conn.execute(
            select(func._postgis_selectivity(func.to_regclass(name), "geom",
                                             store.dialect.envelope(q.bbox))
                   * literal_column("reltuples"))
            .select_from(table("pg_class", column("oid"), column("reltuples")))
            .where(literal_column("oid") == func.to_regclass(name))
        ).scalar()
    except DBAPIError:
        return estimated_rows(conn, store, q)
    return float("inf") if guess is None else max(float(guess), 0.0)


def estimated_rows(conn: Connection, store: Store, q: FeatureQuery) -> float:
    """The PostGIS planner's guess of how many rows the filters select (no rows read)."""
    dialect = store.dialect
    assert isinstance(dialect, PostGIS), "only PostGIS plans pages by estimates"
    return dialect.planned_rows(conn, select(literal_column("1")).select_from(q.layer.table)
                                .where(*where_clauses(store, q)))


def count_matched(conn: Connection, store: Store, q: FeatureQuery) -> int:
    """numberMatched, exact and unbudgeted."""
    return int(conn.execute(_count_statement(store, q)).scalar_one())
