"""What selects features: the query of one items request and its WHERE terms.

Both stores get the same SQLAlchemy expressions except where the spatial index is
reached differently: PostGIS uses `&&` on the GiST index, SpatiaLite needs its R*Tree
(`idx_<table>_geom`) asked explicitly through a rowid subquery.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Engine,
    Float,
    Integer,
    and_,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.sql.functions import Function

from api.features.temporal import Interval, datetime_clause, parse_instant
from twin.errors import InvalidInput
from twin.layers import LAYERS, Layer
from twin.models import STORAGE_SRID
from twin.store import is_postgis

BBox = tuple[float, float, float, float]

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


def _rtree(layer: Layer) -> Any:
    return table(f"idx_{layer.table.name}_geom", column("pkid"), column("xmin"),
                 column("xmax"), column("ymin"), column("ymax"))


def _rowid(layer: Layer) -> ColumnElement[Any]:
    t = layer.table
    return t.c.id if "id" in t.c else literal_column(f"{t.name}.rowid")


def rtree_prefilter(layer: Layer, bbox: BBox) -> ColumnElement[bool]:
    """SpatiaLite: the rows whose boxes overlap `bbox`, read from the layer's R*Tree."""
    rtree = _rtree(layer)
    minx, miny, maxx, maxy = bbox
    hits = select(rtree.c.pkid).where(
        rtree.c.xmin <= maxx, rtree.c.xmax >= minx, rtree.c.ymin <= maxy, rtree.c.ymax >= miny
    )
    return _rowid(layer).in_(hits)


def rtree_inside(layer: Layer, bbox: BBox) -> ColumnElement[bool]:
    """SpatiaLite: the rows whose boxes lie inside `bbox` (so they surely intersect it)."""
    rtree = _rtree(layer)
    minx, miny, maxx, maxy = bbox
    inside = select(rtree.c.pkid).where(
        rtree.c.xmin >= minx, rtree.c.xmax <= maxx, rtree.c.ymin >= miny, rtree.c.ymax <= maxy
    )
    return _rowid(layer).in_(inside)


def bbox_clause(engine: Engine, layer: Layer, bbox: BBox) -> ColumnElement[bool]:
    """Features that intersect `bbox` (CGCS2000 lon/lat), through the spatial index.

    A feature whose own box lies inside the rectangle intersects it for sure, so only the
    features on the edge pay for the exact test: PostGIS reads the box from the geometry's
    header (`@`), SpatiaLite from its R*Tree (whose single-precision boxes are rounded
    outwards, so "inside" stays true). Either halves the time of testing every candidate.
    """
    geom, box = layer.geometry_column, envelope(engine, bbox)
    if is_postgis(engine):
        return and_(geom.op("&&")(box),
                    or_(geom.op("@")(box), Function("_ST_Intersects", geom, box)))
    return and_(rtree_prefilter(layer, bbox),
                or_(rtree_inside(layer, bbox), func.ST_Intersects(geom, box) == 1))


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


@lru_cache(maxsize=512)
def page_columns(layer_name: str, store_geojson: bool, properties: tuple[str, ...] | None
                 ) -> tuple[ColumnElement[Any], ...]:
    """The output columns of a layer's pages, built once per shape of answer."""
    layer = LAYERS[layer_name]
    q = FeatureQuery(layer=layer, limit=1,
                     properties=None if properties is None else list(properties))
    return tuple(output_columns(q, geometry_expression(layer, store_geojson),
                                layer.attribute_columns()))


def geometry_expression(layer: Layer, as_geojson: bool) -> ColumnElement[Any]:
    """GeoJSON text built by the store (stored order) or WKB for transforms in Python."""
    geom = layer.geometry_column
    if as_geojson:
        # Options 0: no "crs" member in the geometry (PostGIS adds one for SRIDs other than
        # 4326 by default); RFC 7946 dropped it and the response says its CRS in Content-Crs.
        return func.ST_AsGeoJSON(geom, GEOJSON_DIGITS, 0)
    return func.ST_AsBinary(geom)
