"""A pygeoapi feature provider that serves one layer of the twin, on either store.

In a pygeoapi configuration::

    providers:
      - type: feature
        name: api.pygeoapi.provider.TwinProvider
        data: postgresql+psycopg://user@host/twin    # or sqlite:///twin.db
        layer: buildings                               # a name from twin.layers.LAYERS
        storage_crs: http://www.opengis.net/def/crs/EPSG/0/4490

The provider only translates: pygeoapi's arguments into the feature service's parameters
(`twin.features.service`, the one the twin's own routes call), and its answer into the
dicts pygeoapi wants. So filters, bbox, datetime, sorting, counting, the column schema and
the property values are the twin's, whichever face serves them.

Geometry is stored longitude first in CGCS2000. pygeoapi hands a provider bboxes and
filter geometries in the storage CRS's *authority* axis order (latitude first for
EPSG:4490) and asks it to transform from that order; the declared storage CRS is what the
service reads them in, and output is transformed from the real longitude-first storage, so
coordinates come out right whatever `storage_crs` says. pygeoapi knows no scopes, so its
callers are served as anonymous ones are (内部 fields withheld, 敏感 ones masked) unless the
resource says `clearance: 内部` or `clearance: 敏感`; hidden fields (keyed hashes) are never
served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import orjson
import shapely
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderConnectionError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)
from shapely.geometry import mapping
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from twin.crs import from_storage_to
from twin.errors import NotFound, TwinError
from twin.features.counting import count_matched
from twin.features.geojson import geometry_texts
from twin.features.params import ItemsParams, crs_or_default
from twin.features.query import Cursor, FeatureQuery
from twin.features.queryables import column_schema
from twin.features.service import ItemShape, build_query, features_of, read_item_row, read_page
from twin.layers import Layer, Level, get_layer
from twin.settings import StoreSettings
from twin.store import Store, open_store

LOGGER = logging.getLogger(__name__)

# Geometry as the twin serves it (CGCS2000 lon/lat, the routes' precision), then
# transformed here when pygeoapi asks (`crs_transform_spec`).
AS_STORED = crs_or_default(None, "crs")


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    """One engine per store URL, shared by every collection that names it."""
    return open_store(StoreSettings(database_url=database_url))


@lru_cache(maxsize=8)
def store_for(database_url: str) -> Store:
    """The Store of that engine, made once."""
    return Store.of(engine_for(database_url))


def _invalid(exc: TwinError) -> ProviderInvalidQueryError:
    return ProviderInvalidQueryError(user_msg=str(exc))


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
        try:
            self._clearance = Level(provider_def.get("clearance", Level.public.value))
        except ValueError:
            raise ProviderConnectionError(
                f"clearance {provider_def['clearance']!r}: one of "
                f"{', '.join(level.value for level in Level)}") from None
        self._columns = {c.name: c for c in self.layer.attribute_columns(self._clearance)}
        if self.id_field != self.layer.id_column:
            raise ProviderConnectionError(
                f"id_field {self.id_field!r}: layer {self.layer.name!r} is identified by "
                f"{self.layer.id_column!r}"
            )
        self._store = store_for(self.data)
        self.get_fields()

    # -- description -------------------------------------------------------------------

    def get_fields(self) -> dict[str, dict[str, Any]]:
        """JSON-schema type (and format) of every served property, as the twin's
        queryables describe them."""
        if not self._fields:
            for name, column in self._columns.items():
                self._fields[name] = column_schema(column)
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
        try:
            query = self._query(offset, limit, bbox, datetime_, properties, sortby,
                                select_properties, filterq)
            collection: dict[str, Any] = {"type": "FeatureCollection", "features": []}
            if resulttype == "hits":
                with self._store.reading() as conn:
                    collection["numberMatched"] = count_matched(conn, self._store, query)
                collection["numberReturned"] = 0
                return collection
            page, geometries = read_page(self._store, query, AS_STORED)
        except TwinError as exc:
            raise _invalid(exc) from exc
        except DBAPIError as exc:
            raise ProviderConnectionError(f"cannot read the twin store: {exc.orig}") from exc
        out = self._output_transform(crs_transform_spec)
        collection["features"] = self._features(page.rows, geometries, query.properties, out,
                                                skip_geometry)
        if page.matched is not None:
            collection["numberMatched"] = page.matched
        collection["numberReturned"] = len(page.rows)
        return collection

    def get(self, identifier: str, crs_transform_spec: Any = None, **kwargs: Any) -> dict:
        """One feature by its id (the layer's code)."""
        shape = ItemShape(self.layer, AS_STORED, tuple(self._columns))
        try:
            row = read_item_row(self._store, shape, identifier)
        except DBAPIError as exc:
            raise ProviderConnectionError(f"cannot read the twin store: {exc.orig}") from exc
        if row is None:
            raise ProviderItemNotFoundError(user_msg=str(NotFound(
                f"no {self.layer.name} feature with {self.id_field} {identifier!r}")))
        geometries = geometry_texts([row], AS_STORED, True)
        return self._features([row], geometries, shape.properties,
                              self._output_transform(crs_transform_spec), False)[0]

    # -- pygeoapi's arguments as the service's parameters -------------------------------

    def _query(self, offset: int, limit: int, bbox: Sequence[float] | None,
               datetime_: str | None, properties: Sequence[tuple[str, Any]] | None,
               sortby: Sequence[dict[str, str]] | None,
               select_properties: Sequence[str] | None, filterq: Any) -> FeatureQuery:
        chosen = list(select_properties or self._columns)
        unknown = [name for name in chosen if name not in self._columns]
        if unknown:
            raise ProviderInvalidQueryError(
                user_msg=f"properties: {self.layer.name} serves no property {unknown[0]!r}")
        params = ItemsParams.of_query({
            "bbox": ",".join(map(str, bbox)) if bbox else None,
            "bbox-crs": self.storage_crs if bbox else None,
            "datetime": None if datetime_ in (None, "", "../..") else str(datetime_),
            "filter-crs": self.storage_crs,
            "sortby": ",".join(("-" if s.get("order") == "-" else "") + s["property"]
                               for s in sortby or []) or None,
            "properties": ",".join(chosen),
        })
        query = build_query(self._store, self.layer, params,
                            {name: str(value) for name, value in properties or []},
                            limit=max(int(limit), 1),
                            clearance=self._clearance, filter_node=filterq)
        if offset:
            query.cursor = Cursor(offset=int(offset))
        return query

    # -- output ------------------------------------------------------------------------

    def _features(self, rows: list[Any], geometries: list[bytes],
                  properties: Sequence[str] | None,
                  out: Callable[[shapely.Geometry], shapely.Geometry] | None,
                  skip_geometry: bool) -> list[dict[str, Any]]:
        """The service's own Features, geometry transformed as pygeoapi asks."""
        features = [orjson.loads(text) for text in features_of(
            rows, geometries, self.layer, properties, self._clearance)]
        for feature in features:
            if skip_geometry:
                feature["geometry"] = None
            elif out is not None and feature["geometry"] is not None:
                geom = shapely.from_geojson(orjson.dumps(feature["geometry"]))
                feature["geometry"] = mapping(out(geom))
        return features

    def _output_transform(self, spec: Any
                          ) -> Callable[[shapely.Geometry], shapely.Geometry] | None:
        if spec is None:
            return None
        target = spec.target_crs_wkt
        return lambda geom: from_storage_to(geom, target)
