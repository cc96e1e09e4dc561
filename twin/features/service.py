"""The feature-query service: what every face (routes, lean reads, pygeoapi) calls to read.

A face turns its request into `ItemsParams`/`ItemParams` and property filters; here they
are checked against the layer and turned into a `FeatureQuery` (`build_query`), a page is
read (`read_page`) and serialised (`page_features`), or one feature's row is read
(`ItemShape`, `read_item_row`). Links, status codes, HTML and audit lines are the faces'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from pygeofilter import ast
from sqlalchemy import Select, bindparam, select

from twin.crs import CrsRef
from twin.errors import InvalidInput
from twin.features.cql import FilterCompiler, parse_filter
from twin.features.geojson import geometry_texts, rows_to_features
from twin.features.masking import masker
from twin.features.paging import fetch_page
from twin.features.params import (
    COMMON,
    ITEM_PARAMS,
    ItemParams,
    ItemsParams,
    crs_or_default,
    parse_bbox,
    parse_properties,
    parse_sortby,
    queryable_columns,
    reject_unknown,
)
from twin.features.query import Cursor, FeatureQuery, Page, coerce, page_columns
from twin.features.temporal import parse_datetime
from twin.layers import LAYERS, Layer, Level
from twin.settings import ApiSettings
from twin.store import Store

# Row keys that are never properties.
SKIP = frozenset({"_key", "geometry", "_matched", "_version", "_stamp", "_edge"})


def page_size(asked: int | None, settings: ApiSettings) -> int:
    """Features per page: as asked, the default when not, never above the server maximum."""
    return min(asked or settings.default_limit, settings.max_limit)


def check_names(layer: Layer, names: Iterable[str]) -> None:
    """Refuse a parameter that is neither standard nor a property of `layer`."""
    reject_unknown(list(names), COMMON | {c.name for c in layer.attribute_columns()})


def build_query(store: Store, layer: Layer, params: ItemsParams, filters: dict[str, str], *,
                limit: int, clearance: Level, filter_node: ast.Node | None = None
                ) -> FeatureQuery:
    """Check every parameter and turn them into a FeatureQuery.

    `filters` are property = value filters (text, converted by the column's type);
    `filter_node` is a filter a face has parsed already (pygeoapi does), in filter-crs.
    """
    queryables = queryable_columns(layer, clearance)
    for name in filters:
        if name not in queryables:
            raise InvalidInput(f"cannot filter on {name!r} with a parameter; queryables are: "
                               f"{', '.join(sorted(queryables))}", field=name)
    query = FeatureQuery(
        layer=layer, limit=limit,
        equals={name: coerce(queryables[name], v) for name, v in filters.items()},
        cursor=Cursor.decode(params.cursor),
    )
    if params.bbox is not None:
        query.bbox = parse_bbox(params.bbox, crs_or_default(params.bbox_crs, "bbox-crs"))
    elif params.bbox_crs is not None:
        crs_or_default(params.bbox_crs, "bbox-crs")
    if params.datetime is not None:
        query.interval = parse_datetime(params.datetime)
    filter_crs = crs_or_default(params.filter_crs, "filter-crs")
    if params.filter is not None:
        filter_node = parse_filter(params.filter, params.filter_lang)
    elif params.filter_lang is not None:
        raise InvalidInput("filter-lang given without a filter", field="filter-lang",
                           value=params.filter_lang)
    if filter_node is not None:
        query.condition = FilterCompiler(layer, queryables, filter_crs,
                                         store.dialect).compile(filter_node)
    if params.sortby:
        query.sortby = parse_sortby(params.sortby, queryables)
    if not query.keyset and (query.cursor.after is not None or query.cursor.before is not None):
        raise InvalidInput("this cursor belongs to an unsorted listing; follow the links of "
                           "the sorted one", field="cursor", value=params.cursor)
    if params.properties is not None:
        query.properties = parse_properties(params.properties, layer.attribute_columns())
    return query


class PageRead(NamedTuple):
    """A page read for a query: its rows and each row's geometry as GeoJSON bytes."""

    page: Page
    geometries: list[bytes]


def read_page(store: Store, q: FeatureQuery, crs: CrsRef, *,
              boxes_min_rows: int | None = None) -> PageRead:
    """One page of `q` with geometries in `crs` (kept boxes used for layers of at least
    `boxes_min_rows` features, where the store keeps them; None: never)."""
    store_geojson = crs.is_storage_order
    cols = page_columns(q.layer.name, store_geojson,
                        None if q.properties is None else tuple(q.properties))
    kept = None if boxes_min_rows is None else store.box_keeper(boxes_min_rows)
    with store.reading() as conn:
        page = fetch_page(conn, store, q, cols, kept)
    return PageRead(page, geometry_texts(page.rows, crs, store_geojson))


def skipped(layer: Layer, properties: Iterable[str] | None) -> frozenset[str]:
    """Row keys that are not properties (the id column too when `properties` leaves it out)."""
    if properties is not None and layer.id_column not in properties:
        return SKIP | {layer.id_column}
    return SKIP


def features_of(rows: list[Any], geometries: list[bytes], layer: Layer,
                properties: Iterable[str] | None, clearance: Level) -> list[bytes]:
    """GeoJSON Feature bytes of rows, classified fields masked or withheld as `clearance`
    says (`twin.features.masking`)."""
    mask: Callable[[dict[str, Any]], dict[str, Any]] | None = masker(layer, clearance)
    return rows_to_features(rows, geometries, layer.id_column, skipped(layer, properties), mask)


class ItemShape(NamedTuple):
    """What one item request asks for, checked: its layer, CRS and chosen properties."""

    layer: Layer
    crs: CrsRef
    properties: tuple[str, ...] | None

    @property
    def statement(self) -> Select[Any]:
        """The lookup that answers this shape (kept per shape)."""
        return item_statement(self.layer.name, self.crs.is_storage_order, self.properties)


def item_shape(layer: Layer, params: ItemParams, names: Iterable[str] | None = None
               ) -> ItemShape:
    """Check an item request's parameters (and, given `names`, that it carries no others)."""
    if names is not None:
        reject_unknown(list(names), ITEM_PARAMS)
    crs = crs_or_default(params.crs, "crs")
    chosen = None if params.properties is None else tuple(
        parse_properties(params.properties, layer.attribute_columns()))
    return ItemShape(layer, crs, chosen)


def read_item_row(store: Store, shape: ItemShape, feature_id: str) -> Any:
    """The row of one feature in the shape asked for, or None."""
    with store.reading() as conn:
        return conn.execute(shape.statement, {"feature_id": feature_id}).first()


def audits_reads(layer: Layer, clearance: Level) -> bool:
    """Whether a read of `layer` shows sensitive fields unmasked (an audited read)."""
    return bool(layer.sensitive_fields) and clearance is Level.sensitive


@lru_cache(maxsize=256)
def item_statement(layer_name: str, store_geojson: bool,
                   properties: tuple[str, ...] | None) -> Select[Any]:
    """The one-feature query of a layer, built once: building it per request costs more
    than the store's primary-key lookup."""
    layer = LAYERS[layer_name]
    cols = list(page_columns(layer_name, store_geojson, properties))
    t = layer.table
    if "version" in t.c:
        cols.append(t.c.version.label("_version"))
    return select(*cols).where(t.c[layer.id_column] == bindparam("feature_id"))


