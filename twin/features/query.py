"""What selects features: the query of one items request and its WHERE terms.

Both stores get the same SQLAlchemy expressions except where the spatial index is
reached differently, which the store's dialect says (`twin.dialects`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Float,
    Integer,
    func,
)

from twin.errors import InvalidInput
from twin.features.temporal import Interval, datetime_clause, parse_instant
from twin.layers import LAYERS, Layer
from twin.rows import ColumnKind, from_text, kind_of
from twin.store import Store

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


def bbox_clause(store: Store, layer: Layer, bbox: BBox) -> ColumnElement[bool]:
    """Features that intersect `bbox` (CGCS2000 lon/lat), through the spatial index."""
    return store.dialect.bbox_filter(layer.table, layer.geometry_column, bbox)


def coerce(col: Column, text: str) -> Any:
    """A filter's literal (a query parameter, CQL2 text) as the value `col` holds, or
    InvalidInput naming both: the row model's reading (`twin.rows.from_text`), except that a
    date-time is an RFC 3339 instant (UTC when it names no zone) and text is compared as
    given (a filter may name a value no row holds)."""
    kind = kind_of(col)
    if kind is ColumnKind.datetime:
        return parse_instant(text, field=col.name)
    if kind in (ColumnKind.text, ColumnKind.json):
        return text
    value = from_text(col, text)
    if value is None:  # blank: a file's "no value", but a filter must name one
        raise InvalidInput(f"{col.name} takes a {kind} value, not {text!r}", field=col.name,
                           value=text)
    return value


def filterable(col: Column) -> bool:
    """Whether a column can be compared with a literal (JSON ones cannot)."""
    return not isinstance(col.type, JSON)


def numeric(col: Column) -> bool:
    """Whether a column holds numbers."""
    return isinstance(col.type, Integer | Float)


def where_clauses(store: Store, q: FeatureQuery) -> list[ColumnElement[bool]]:
    """The WHERE terms common to the count and the page."""
    t = q.layer.table
    clauses: list[ColumnElement[bool]] = []
    if q.bbox is not None:
        clauses.append(bbox_clause(store, q.layer, q.bbox))
    if q.interval is not None:
        clauses.append(datetime_clause(q.layer, q.interval,
                                       naive_utc=store.dialect.naive_times))
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
