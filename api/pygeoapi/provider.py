"""A pygeoapi feature provider that serves one layer of the twin, on either store.

In a pygeoapi configuration::

    providers:
      - type: feature
        name: api.pygeoapi.provider.TwinProvider
        data: postgresql+psycopg://user@host/twin    # or sqlite:///twin.db
        layer: buildings                               # a name from twin.layers.LAYERS
        storage_crs: http://www.opengis.net/def/crs/EPSG/0/4490

Geometry is stored longitude first in CGCS2000. pygeoapi hands a provider bboxes and
filter geometries in the storage CRS's *authority* axis order (latitude first for
EPSG:4490) and asks it to transform from that order; this provider reads the declared
storage CRS, swaps what comes in when it is latitude-first, and transforms from the real
longitude-first storage, so coordinates come out right whatever `storage_crs` says.
Sensitive fields are left out unless `include_sensitive: true` (pygeoapi knows no scopes);
hidden fields (keyed hashes) are never served.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pyproj
import shapely
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderConnectionError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)
from pygeofilter import values
from pygeofilter.backends.evaluator import handle
from pygeofilter.backends.sqlalchemy.evaluate import SQLAlchemyFilterEvaluator
from shapely.geometry import mapping, shape
from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.exc import DBAPIError

from twin.errors import InvalidInput, TwinError
from twin.layers import Layer, get_layer
from twin.models import STORAGE_SRID
from twin.rows import from_text, json_schema
from twin.settings import StoreSettings
from twin.store import is_postgis, open_store

LOGGER = logging.getLogger(__name__)

CGCS2000 = pyproj.CRS.from_epsg(STORAGE_SRID)
GEOMETRY_NAMES = ("geometry", "geom")


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    """One engine per store URL, shared by every collection that names it."""
    return open_store(StoreSettings(database_url=database_url))


def _lat_first(crs_uri: str | None) -> bool:
    if not crs_uri:
        return False
    crs = pyproj.CRS.from_user_input(crs_uri)
    return bool(crs.axis_info) and crs.axis_info[0].direction.lower() == "north"


def _swap_xy(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: xy[:, ::-1])


def _envelope(minx: float, miny: float, maxx: float, maxy: float) -> ColumnElement[Any]:
    wkt = shapely.box(minx, miny, maxx, maxy).wkt
    return func.ST_GeomFromText(wkt, STORAGE_SRID)


class _StorageFilterEvaluator(SQLAlchemyFilterEvaluator):
    """pygeofilter's SQLAlchemy evaluator, with geometries in the storage SRID and axis order."""

    def __init__(self, field_mapping: dict[str, Any], lat_first: bool):
        super().__init__(field_mapping, undefined_as_null=False)
        self.lat_first = lat_first

    def _storage(self, geom: shapely.Geometry) -> ColumnElement[Any]:
        if self.lat_first:
            geom = _swap_xy(geom)
        return func.ST_GeomFromText(geom.wkt, STORAGE_SRID)

    @handle(values.Geometry)
    def geometry(self, node: Any) -> ColumnElement[Any]:
        return self._storage(shape(node.__geo_interface__))

    @handle(values.Envelope)
    def envelope(self, node: Any) -> ColumnElement[Any]:
        return self._storage(shapely.box(node.x1, node.y1, node.x2, node.y2))


class TwinProvider(BaseProvider):
    """Serves one layer of the twin (`layer:` in the provider definition) to pygeoapi."""

    def __init__(self, provider_def: dict[str, Any]):
        """Bind to the store named by `data` and the layer named by `layer`."""
        super().__init__(provider_def)
        try:
            self.layer: Layer = get_layer(provider_def.get("layer") or self.name)
        except TwinError as exc:
            raise ProviderConnectionError(str(exc)) from exc
        self.id_field: str = provider_def.get("id_field") or self.layer.id_column
        self.storage_crs = provider_def.get("storage_crs")
        self._lat_first = _lat_first(self.storage_crs)
        include_sensitive = bool(provider_def.get("include_sensitive", False))
        self._columns = {
            c.name: c for c in self.layer.attribute_columns(include_sensitive=include_sensitive)
        }
        if self.id_field not in self._columns:
            raise ProviderConnectionError(
                f"id_field {self.id_field!r} is not a served column of layer {self.layer.name!r}"
            )
        self._engine = engine_for(self.data)
        self._postgis = is_postgis(self._engine)
        self.get_fields()

    # -- description -------------------------------------------------------------------

    def get_fields(self) -> dict[str, dict[str, str]]:
        """JSON-schema type (and format) of every served property."""
        if not self._fields:
            for name, column in self._columns.items():
                self._fields[name] = json_schema(column)
        return self._fields

    # -- reading -----------------------------------------------------------------------

    def query(
        self,
        offset: int = 0,
        limit: int = 10,
        resulttype: str = "results",
        bbox: Sequence[float] | None = None,
        datetime_: str | None = None,
        properties: Sequence[tuple[str, Any]] | None = None,
        sortby: Sequence[dict[str, str]] | None = None,
        select_properties: Sequence[str] | None = None,
        skip_geometry: bool = False,
        q: str | None = None,
        filterq: Any = None,
        crs_transform_spec: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A page of features matching bbox, datetime, property and CQL2 filters."""
        where = and_(
            true(),
            *self._property_clauses(properties or []),
            *self._bbox_clauses(bbox or []),
            *self._datetime_clauses(datetime_),
            *self._filter_clauses(filterq),
        )
        count = select(func.count()).select_from(self.layer.table).where(where)
        with self._connect() as conn:
            matched = conn.execute(count).scalar_one()
            collection: dict[str, Any] = {
                "type": "FeatureCollection",
                "features": [],
                "numberMatched": matched,
                "numberReturned": 0,
            }
            if resulttype == "hits":
                return collection
            names = self._selected(select_properties)
            stmt = (
                self._select(names, skip_geometry)
                .where(where)
                .order_by(*self._order_by(sortby or []))
                .offset(int(offset))
                .limit(int(limit))
            )
            rows = conn.execute(stmt).all()
        out = self._output_transform(crs_transform_spec)
        collection["features"] = [self._feature(row, names, out) for row in rows]
        collection["numberReturned"] = len(rows)
        return collection

    def get(self, identifier: str, crs_transform_spec: Any = None, **kwargs: Any) -> dict:
        """One feature by its id (the layer's code)."""
        names = list(self._columns)
        stmt = self._select(names, False).where(self._columns[self.id_field] == identifier)
        with self._connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise ProviderItemNotFoundError(
                user_msg=f"no {self.layer.name} feature with {self.id_field} {identifier!r}"
            )
        return self._feature(row, names, self._output_transform(crs_transform_spec))

    # -- SQL pieces --------------------------------------------------------------------

    def _connect(self) -> Any:
        try:
            return self._engine.connect()
        except DBAPIError as exc:
            raise ProviderConnectionError(f"cannot reach the twin store: {exc.orig}") from exc

    def _column(self, name: str, what: str) -> Any:
        if name in GEOMETRY_NAMES:
            return self.layer.geometry_column
        try:
            return self._columns[name]
        except KeyError:
            raise ProviderInvalidQueryError(
                user_msg=f"{what}: {self.layer.name} has no property {name!r}; "
                f"properties are {', '.join(self._columns)}"
            ) from None

    def _selected(self, select_properties: Sequence[str] | None) -> list[str]:
        names = list(select_properties or self._columns)
        for name in names:
            self._column(name, "properties")
        if self.id_field not in names:
            names.insert(0, self.id_field)
        return names

    def _select(self, names: list[str], skip_geometry: bool) -> Any:
        columns: list[Any] = [self._columns[n] for n in names]
        if not skip_geometry:
            columns.append(func.ST_AsBinary(self.layer.geometry_column).label("__wkb"))
        return select(*columns)

    def _property_clauses(self, properties: Sequence[tuple[str, Any]]) -> list[Any]:
        clauses = []
        for name, value in properties:
            column = self._column(name, "property filter")
            try:
                clauses.append(column == from_text(column, str(value)))
            except InvalidInput as exc:
                raise ProviderInvalidQueryError(user_msg=str(exc)) from None
        return clauses

    def _bbox_clauses(self, bbox: Sequence[float]) -> list[Any]:
        if not bbox:
            return []
        if len(bbox) not in (4, 6):
            raise ProviderInvalidQueryError(user_msg=f"bbox needs 4 or 6 numbers, got {bbox!r}")
        half = len(bbox) // 2
        x0, y0, x1, y1 = (*bbox[:2], *bbox[half:half + 2])
        if self._lat_first:  # pygeoapi gives the bbox in EPSG:4490's lat/lon order
            x0, y0, x1, y1 = y0, x0, y1, x1
        geom = self.layer.geometry_column
        env = _envelope(x0, y0, x1, y1)
        clauses: list[Any] = [func.ST_Intersects(geom, env)]
        if not self._postgis:
            # SpatiaLite does not use its R*Tree by itself: ask the index for candidate rows.
            index = f"idx_{self.layer.table.name}_geom"
            clauses.insert(0, literal_column(f"{self.layer.table.name}.rowid").in_(
                select(literal_column("pkid")).select_from(text(index)).where(
                    text("xmin <= :x1 AND xmax >= :x0 AND ymin <= :y1 AND ymax >= :y0")
                    .bindparams(x0=x0, y0=y0, x1=x1, y1=y1)
                )
            ))
        return clauses

    def _datetime_clauses(self, datetime_: str | None) -> list[Any]:
        if datetime_ in (None, "", "../.."):
            return []
        if self.layer.temporal is None:
            raise ProviderInvalidQueryError(
                user_msg=f"{self.layer.name} has no time; datetime does not apply"
            )
        start_name, end_name = self.layer.temporal
        start_col = self.layer.table.c[start_name]
        end_col = self.layer.table.c[end_name] if end_name else start_col
        begin, _, end = str(datetime_).partition("/")
        if not _:
            end = begin
        clauses = []
        if end not in ("", ".."):
            clauses.append(start_col <= _parse_date(end))
        if begin not in ("", ".."):
            clauses.append(or_(end_col.is_(None), end_col >= _parse_date(begin)))
        return clauses

    def _filter_clauses(self, filterq: Any) -> list[Any]:
        if filterq is None:
            return []
        mapping_ = dict(self._columns)
        for name in GEOMETRY_NAMES:
            mapping_[name] = self.layer.geometry_column
        try:
            return [_StorageFilterEvaluator(mapping_, self._lat_first).evaluate(filterq)]
        except KeyError as exc:
            raise ProviderInvalidQueryError(
                user_msg=f"filter names {exc.args[0]!r}, neither a property of {self.layer.name} "
                f"nor a supported function; queryables are {', '.join(self._columns)}"
            ) from None

    def _order_by(self, sortby: Sequence[dict[str, str]]) -> list[Any]:
        keys = []
        for item in sortby:
            column = self._column(item["property"], "sortby")
            keys.append(column.desc() if item.get("order") == "-" else column.asc())
        primary = list(self.layer.table.primary_key.columns)
        return keys + [c.asc() for c in primary]

    # -- output ------------------------------------------------------------------------

    def _output_transform(self, spec: Any) -> Callable[[shapely.Geometry], shapely.Geometry]:
        if spec is None:
            return lambda g: g
        target = pyproj.CRS.from_wkt(spec.target_crs_wkt)
        transformer = _transformer(target.to_wkt())

        def to_target(geom: shapely.Geometry) -> shapely.Geometry:
            # Stored x is longitude; EPSG:4490's authority order wants latitude first.
            return shapely.transform(geom, lambda xy: _apply(transformer, xy[:, ::-1]))

        return to_target

    def _feature(
        self, row: Any, names: list[str], out: Callable[[shapely.Geometry], shapely.Geometry]
    ) -> dict[str, Any]:
        values_ = row._mapping
        props = {n: _jsonable(values_[n]) for n in names if n != self.id_field}
        wkb = values_.get("__wkb")
        geometry = None
        if wkb is not None:
            geometry = mapping(out(shapely.from_wkb(bytes(wkb))))
        return {
            "type": "Feature",
            "id": values_[self.id_field],
            "geometry": geometry,
            "properties": props,
        }


@lru_cache(maxsize=32)
def _transformer(target_wkt: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(CGCS2000, pyproj.CRS.from_wkt(target_wkt))


def _apply(transformer: pyproj.Transformer, xy: Any) -> Any:
    a, b = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([a, b])


def _parse_date(value: str) -> dt.date | dt.datetime:
    try:
        if "T" in value:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ProviderInvalidQueryError(
            user_msg=f"datetime {value!r} is not an RFC 3339 date or date-time"
        ) from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
