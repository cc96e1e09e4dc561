"""SQL for feature pages: filters, index-friendly bbox, keyset paging, counts.

Both stores get the same SQLAlchemy expressions except where the spatial index is
reached differently: PostGIS uses `ST_Intersects` (which brings `&&` on the GiST index),
SpatiaLite needs its R*Tree (`idx_<table>_geom`) asked explicitly through a rowid
subquery.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Integer,
    Select,
    and_,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.sql.functions import Function

from api.features.temporal import Interval, datetime_clause, parse_instant
from twin.errors import InvalidInput
from twin.layers import Layer
from twin.models import STORAGE_SRID
from twin.store import is_postgis

BBox = tuple[float, float, float, float]

# Below this many matches PostGIS is steered to the spatial/attribute index and a top-N
# sort; above it, walking the primary key in order is the cheaper plan.
SMALL_MATCH = 50_000
# How long PostGIS may spend counting numberMatched before the page goes without it.
COUNT_BUDGET_MS = 300
GEOJSON_DIGITS = 9


class SortKey(NamedTuple):
    """One `sortby` term."""

    name: str
    descending: bool


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after/before a feature id (keyset) or at an offset (sorted)."""

    after: int | str | None = None
    before: int | str | None = None
    offset: int | None = None

    def encode(self) -> str:
        """An opaque URL-safe token."""
        raw = {k: v for k, v in (("a", self.after), ("b", self.before), ("o", self.offset))
               if v is not None}
        return base64.urlsafe_b64encode(orjson.dumps(raw)).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None) -> Cursor:
        """The cursor in a token from a `next`/`prev` link."""
        if not token:
            return cls()
        try:
            raw = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            cursor = cls(after=raw.get("a"), before=raw.get("b"), offset=raw.get("o"))
            values = [v for v in (cursor.after, cursor.before, cursor.offset) if v is not None]
            if len(values) != 1 or not all(
                isinstance(v, str) or (isinstance(v, int) and v >= 0) for v in values
            ) or isinstance(cursor.offset, str):
                raise ValueError(token)
        except (ValueError, binascii.Error, orjson.JSONDecodeError, AttributeError):
            raise InvalidInput(
                "cursor is not a token this server issued; follow the next/prev links",
                field="cursor", value=token,
            ) from None
        return cursor


@dataclass
class FeatureQuery:
    """Everything that selects and orders the features of one layer."""

    layer: Layer
    limit: int
    bbox: BBox | None = None
    interval: Interval | None = None
    equals: dict[str, Any] = field(default_factory=dict)
    condition: ColumnElement[bool] | None = None
    sortby: list[SortKey] = field(default_factory=list)
    cursor: Cursor = field(default_factory=Cursor)
    properties: list[str] | None = None

    @property
    def keyset(self) -> bool:
        """True when pages follow the id order (keyset paging)."""
        return not self.sortby


class Page(NamedTuple):
    """One page of rows plus what the links need."""

    rows: list[Any]
    matched: int | None  # None: too costly to count within COUNT_BUDGET_MS
    has_next: bool
    has_prev: bool
    offset: int


def row_key(layer: Layer) -> Column:
    """The column pages are keyed on: the integer id, or the code where a table has no id."""
    t = layer.table
    return t.c.id if "id" in t.c else t.c[layer.id_column]


def envelope(engine: Engine, bbox: BBox) -> ColumnElement[Any]:
    """A CGCS2000 rectangle on either store."""
    maker = func.ST_MakeEnvelope if is_postgis(engine) else func.BuildMbr
    return maker(*bbox, STORAGE_SRID)


def rtree_prefilter(layer: Layer, bbox: BBox) -> ColumnElement[bool]:
    """SpatiaLite: the rows whose boxes overlap `bbox`, read from the layer's R*Tree."""
    rtree = table(f"idx_{layer.table.name}_geom", column("pkid"), column("xmin"),
                  column("xmax"), column("ymin"), column("ymax"))
    minx, miny, maxx, maxy = bbox
    hits = select(rtree.c.pkid).where(
        rtree.c.xmin <= maxx, rtree.c.xmax >= minx, rtree.c.ymin <= maxy, rtree.c.ymax >= miny
    )
    t = layer.table
    rowid = t.c.id if "id" in t.c else literal_column(f"{t.name}.rowid")
    return rowid.in_(hits)


def bbox_clause(engine: Engine, layer: Layer, bbox: BBox) -> ColumnElement[bool]:
    """Features that intersect `bbox` (CGCS2000 lon/lat), through the spatial index.

    On PostGIS a feature whose own box lies inside the rectangle intersects it for sure:
    `@` reads that from the geometry's header, and only the features on the edge pay for
    the exact test (half the time of ST_Intersects on every candidate).
    """
    geom, box = layer.geometry_column, envelope(engine, bbox)
    if is_postgis(engine):
        return and_(geom.op("&&")(box),
                    or_(geom.op("@")(box), Function("_ST_Intersects", geom, box)))
    return and_(rtree_prefilter(layer, bbox), func.ST_Intersects(geom, box) == 1)


def coerce(col: Column, text: str) -> Any:
    """A query-parameter string as the value `col` holds, or InvalidInput naming both."""
    try:
        kind = col.type.python_type
    except NotImplementedError:
        kind = str
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        if kind is date:
            return date.fromisoformat(text)
        if kind is datetime:
            return parse_instant(text, field=col.name)
    except ValueError:
        raise InvalidInput(
            f"{col.name} takes {kind.__name__} values, not {text!r}", field=col.name, value=text
        ) from None
    return text


def filterable(col: Column) -> bool:
    """Whether a column can be compared with a literal (JSON ones cannot)."""
    return not isinstance(col.type, JSON)


def numeric(col: Column) -> bool:
    """Whether a column holds numbers."""
    return isinstance(col.type, Integer | Float)


def where_clauses(engine: Engine, q: FeatureQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms common to the count and the page."""
    t = q.layer.table
    clauses: list[ColumnElement[bool]] = []
    if q.bbox is not None:
        clauses.append(bbox_clause(engine, q.layer, q.bbox))
    if q.interval is not None:
        clauses.append(datetime_clause(q.layer, q.interval, sqlite=not is_postgis(engine)))
    clauses.extend(t.c[name] == value for name, value in q.equals.items())
    if q.condition is not None:
        clauses.append(q.condition)
    return clauses


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


def _count_statement(engine: Engine, q: FeatureQuery) -> Select[Any]:
    return select(func.count()).select_from(q.layer.table).where(*where_clauses(engine, q))


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


def budgeted_count(conn: Connection, engine: Engine, q: FeatureQuery) -> int | None:
    """numberMatched if the store can count it within COUNT_BUDGET_MS, else None.

    A filter no index serves (say `use = 'office'` over a million buildings) costs a scan
    of the whole table to count; the page itself needs only its first rows. The standard
    lets a server leave numberMatched out, which beats making every page wait.
    """
    stmt = _count_statement(engine, q)
    sql = _literal_sql(engine, stmt)
    key = (str(engine.url), q.layer.name, sql) if sql is not None else None
    known, count = _recall(key)
    if known:
        return count
    started = time.perf_counter()
    if not is_postgis(engine):
        count = int(conn.execute(stmt).scalar_one())
    else:
        count = _count_within_budget(conn, stmt)
        if count is None:
            return _remember(key, None)
    # Only costly counts are kept: a cheap one is simply counted again, always fresh.
    if (time.perf_counter() - started) * 1000 >= COUNT_MEMO_MIN_MS:
        _remember(key, count)
    return count


def _count_within_budget(conn: Connection, stmt: Select[Any]) -> int | None:
    """Run a PostGIS count under a statement timeout; None when it runs out."""
    autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    # In autocommit (api.features.items.reading) a cancelled count leaves no transaction
    # to roll back; inside a transaction a savepoint keeps the transaction usable.
    savepoint = None if autocommit else conn.begin_nested()
    scope = "" if autocommit else "LOCAL "
    conn.exec_driver_sql(f"SET {scope}statement_timeout = {COUNT_BUDGET_MS}")
    try:
        count: int | None = int(conn.execute(stmt).scalar_one())
    except OperationalError as exc:
        if "statement timeout" not in str(exc.orig):
            raise
        count = None
        if savepoint is not None:
            savepoint.rollback()
            return None
    conn.exec_driver_sql(f"SET {scope}statement_timeout = 0")
    if savepoint is not None:
        savepoint.commit()
    return count


def estimated_bbox_rows(conn: Connection, engine: Engine, q: FeatureQuery) -> float:
    """PostGIS's guess of how many rows the bbox holds, from the column's statistics.

    Cheaper and closer than the plan of the whole query; before the table's first ANALYZE
    there are no statistics, and the plan's guess is used instead.
    """
    if q.bbox is None:
        return estimated_rows(conn, engine, q)
    name = q.layer.table.name
    try:
        guess = conn.execute(
            select(func._postgis_selectivity(func.to_regclass(name), "geom",
                                             envelope(engine, q.bbox))
                   * literal_column("reltuples"))
            .select_from(table("pg_class", column("oid"), column("reltuples")))
            .where(literal_column("oid") == func.to_regclass(name))
        ).scalar()
    except DBAPIError:
        return estimated_rows(conn, engine, q)
    return float("inf") if guess is None else max(float(guess), 0.0)


def estimated_rows(conn: Connection, engine: Engine, q: FeatureQuery) -> float:
    """The PostGIS planner's guess of how many rows the filters select (no rows read)."""
    sql = _literal_sql(engine, select(literal_column("1")).select_from(q.layer.table)
                       .where(*where_clauses(engine, q)))
    if sql is None:
        return float("inf")
    plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}").scalar_one()
    return float((plan if isinstance(plan, list) else orjson.loads(plan))[0]["Plan"]["Plan Rows"])


def count_matched(conn: Connection, engine: Engine, q: FeatureQuery) -> int:
    """numberMatched, exact and unbudgeted."""
    return int(conn.execute(_count_statement(engine, q)).scalar_one())


def output_columns(q: FeatureQuery, geometry: ColumnElement[Any] | None,
                   visible: list[Column]) -> list[ColumnElement[Any]]:
    """id, the visible (or selected) properties and the geometry expression."""
    t = q.layer.table
    chosen = visible if q.properties is None else [c for c in visible if c.name in q.properties]
    names = {c.name for c in chosen}
    cols: list[ColumnElement[Any]] = [row_key(q.layer).label("_key")]
    if q.layer.id_column not in names:
        cols.append(t.c[q.layer.id_column])
    cols.extend(chosen)
    if geometry is not None:
        cols.append(geometry.label("geometry"))
    return cols


def geometry_expression(engine: Engine, layer: Layer, as_geojson: bool) -> ColumnElement[Any]:
    """GeoJSON text built by the store (stored order) or WKB for transforms in Python."""
    geom = layer.geometry_column
    if as_geojson:
        return func.ST_AsGeoJSON(geom, GEOJSON_DIGITS)
    return func.ST_AsBinary(geom)


def _order(q: FeatureQuery, ordering_steer: bool, reverse: bool) -> list[ColumnElement[Any]]:
    t = q.layer.table
    # `id + 0` hides the primary key from the PostGIS planner so a selective filter's
    # index is used with a top-N sort instead of walking every id in order.
    key = row_key(q.layer)
    id_expr: ColumnElement[Any] = key + literal_column("0") if ordering_steer else key
    terms: list[ColumnElement[Any]] = []
    for key in q.sortby:
        col = t.c[key.name]
        terms.append(col.desc() if key.descending else col.asc())
    terms.append(id_expr.desc() if reverse else id_expr.asc())
    return terms


def page_statement(engine: Engine, q: FeatureQuery, cols: list[ColumnElement[Any]],
                   matched: int | None) -> tuple[Select[Any], int, bool]:
    """The page query, its offset and whether rows come back reversed (prev pages)."""
    clauses = where_clauses(engine, q)
    steer = (is_postgis(engine) and bool(clauses) and matched is not None
             and matched < SMALL_MATCH and "id" in q.layer.table.c)
    reverse = False
    offset = 0
    if q.keyset and q.cursor.after is not None:
        clauses.append(row_key(q.layer) > q.cursor.after)
    elif q.keyset and q.cursor.before is not None:
        clauses.append(row_key(q.layer) < q.cursor.before)
        reverse = True
    elif q.cursor.offset:
        offset = q.cursor.offset
    stmt = (select(*cols).where(*clauses).order_by(*_order(q, steer, reverse))
            .limit(q.limit + 1).offset(offset or None))
    return stmt, offset, reverse


def single_scan_statement(engine: Engine, q: FeatureQuery, cols: list[ColumnElement[Any]]
                          ) -> tuple[Select[Any], int, bool]:
    """Count and page from one pass over the spatial index.

    The matching ids (and sort keys) are gathered once; the count reads them, the page
    takes its top N from them, and only the page's rows are read whole, by primary key.
    """
    t = q.layer.table
    sort_cols = [t.c[k.name] for k in q.sortby]
    key = row_key(q.layer)
    hits = (select(key.label("_key"), *sort_cols).where(*where_clauses(engine, q))
            .cte("hits").prefix_with("MATERIALIZED"))
    h = hits.c
    reverse = q.keyset and q.cursor.before is not None
    offset = 0 if q.keyset else (q.cursor.offset or 0)
    inner = select(h._key)
    if q.keyset and q.cursor.after is not None:
        inner = inner.where(h._key > q.cursor.after)
    elif reverse:
        inner = inner.where(h._key < q.cursor.before)

    def ordering(source: Any, last: Any) -> list[ColumnElement[Any]]:
        terms = [source[k.name].desc() if k.descending else source[k.name].asc()
                 for k in q.sortby]
        return [*terms, last.desc() if reverse else last.asc()]

    page = (inner.order_by(*ordering(h, h._key)).limit(q.limit + 1).offset(offset or None)
            .subquery("page"))
    matched = select(func.count()).select_from(hits).scalar_subquery().label("_matched")
    stmt = (select(matched, *cols).select_from(t.join(page, key == page.c._key))
            .order_by(*ordering(t.c, key)))
    return stmt, offset, reverse


def fetch_page(conn: Connection, engine: Engine, q: FeatureQuery,
               cols: list[ColumnElement[Any]]) -> Page:
    """One page of rows (limit + 1 read to know whether a next page exists).

    A bbox query counts and pages in one pass over the spatial index; other queries
    count first, and the count picks the plan of the page on PostGIS.
    """
    single = q.bbox is not None and (
        not is_postgis(engine) or estimated_bbox_rows(conn, engine, q) <= SMALL_MATCH)
    if single:
        stmt, offset, reverse = single_scan_statement(engine, q, cols)
        rows = conn.execute(stmt).all()
        matched = rows[0]._matched if rows else count_matched(conn, engine, q)
    else:
        matched = budgeted_count(conn, engine, q)
        stmt, offset, reverse = page_statement(engine, q, cols, matched)
        rows = conn.execute(stmt).all()
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    if reverse:
        rows.reverse()
        return Page(rows, matched, has_next=True, has_prev=more, offset=0)
    has_prev = q.cursor.after is not None or offset > 0
    return Page(rows, matched, has_next=more, has_prev=has_prev, offset=offset)


def next_cursor(q: FeatureQuery, page: Page) -> Cursor | None:
    """Token of the page after `page`."""
    if not page.has_next or not page.rows:
        return None
    if q.keyset:
        return Cursor(after=page.rows[-1]._key)
    return Cursor(offset=page.offset + q.limit)


def prev_cursor(q: FeatureQuery, page: Page) -> Cursor | None:
    """Token of the page before `page`."""
    if not page.has_prev:
        return None
    if q.keyset:
        return Cursor(before=page.rows[0]._key) if page.rows else None
    return Cursor(offset=max(page.offset - q.limit, 0))
