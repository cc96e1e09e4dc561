"""Reading features: one page of a layer, or one feature, as GeoJSON or HTML."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlencode

import orjson
from fastapi import Request, Response
from sqlalchemy import Connection, Engine, Select, bindparam, select

from api.auth import Principal
from api.dependencies import MediaType
from api.errors import Forbidden
from api.features.audit import record_read
from api.features.cql import compile_filter
from api.features.geojson import collection_bytes, geometry_texts, rows_to_features
from api.features.masking import masker
from api.features.paging import fetch_page, next_cursor, prev_cursor
from api.features.params import (
    COMMON,
    ITEM_PARAMS,
    ItemsParams,
    crs_or_default,
    parse_bbox,
    parse_properties,
    parse_sortby,
    queryable_columns,
    reject_unknown,
)
from api.features.query import (
    Cursor,
    FeatureQuery,
    coerce,
    page_columns,
)
from api.features.temporal import parse_datetime
from api.html import render
from api.links import base_url, link
from twin.boxes import keeper
from twin.crs import CrsRef
from twin.errors import InvalidInput, NotFound
from twin.layers import LAYERS, Layer
from twin.settings import Settings
from twin.store import is_postgis

GEOJSON = MediaType.geojson.value
SKIP = frozenset({"_key", "geometry", "_matched", "_version", "_stamp", "_edge"})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def skipped(layer: Layer, q: FeatureQuery) -> frozenset[str]:
    """Row keys that are not properties (the id column too when `properties` leaves it out)."""
    skip = SKIP
    if q.properties is not None and layer.id_column not in q.properties:
        skip |= {layer.id_column}
    return skip


def page_url(request: Request, replace: dict[str, str | None], base: str | None = None) -> str:
    """This request's URL (absolute, proxy-aware) with some parameters replaced or removed.

    `base` is the request's `base_url` when the caller has it already.
    """
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in replace]
    kept += [(k, v) for k, v in replace.items() if v is not None]
    query = f"?{urlencode(kept)}" if kept else ""
    return f"{base_url(request) if base is None else base}{request.url.path}{query}"


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads: no BEGIN/ROLLBACK round trips on PostGIS, settings applied."""
    conn = engine.connect()
    try:
        if is_postgis(engine):
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        prepare(conn, engine)
        yield conn
    finally:
        conn.close()


def prepare(conn: Connection, engine: Engine) -> None:
    """Session settings the feature queries rely on, set once per pooled connection."""
    if conn.info.get("features_ready"):
        return
    if is_postgis(engine):
        # Page queries are short: JIT compilation and parallel workers cost more than
        # they save (tens of ms of start-up on a 2-core box) and starve other requests.
        conn.exec_driver_sql("SET jit = off")
        conn.exec_driver_sql("SET max_parallel_workers_per_gather = 0")
    else:
        # SQLite's LIKE ignores ASCII case by default; CQL2 LIKE is case-sensitive.
        conn.exec_driver_sql("PRAGMA case_sensitive_like = ON")
    if conn.in_transaction():
        conn.commit()
    conn.info["features_ready"] = True


def build_query(request: Request, engine: Engine, settings: Settings, layer: Layer,
                params: ItemsParams, filters: dict[str, str], principal: Principal
                ) -> FeatureQuery:
    """Check every parameter and turn them into a FeatureQuery."""
    allowed = COMMON | {c.name for c in layer.attribute_columns()}
    reject_unknown(list(request.query_params.keys()), allowed)
    may_see = principal.can("sensitive")
    queryables = queryable_columns(layer, may_see)
    for name in filters:
        if name not in queryables:
            if name in layer.sensitive_fields:
                raise Forbidden(f"filtering on {name!r} needs the 'sensitive' scope")
            raise InvalidInput(f"cannot filter on {name!r} with a parameter", field=name)
    limit = min(params.limit or settings.api.default_limit, settings.api.max_limit)
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
        query.condition = compile_filter(layer, queryables, params.filter, params.filter_lang,
                                         filter_crs, is_postgis(engine))
    elif params.filter_lang is not None:
        raise InvalidInput("filter-lang given without a filter", field="filter-lang",
                           value=params.filter_lang)
    if params.sortby:
        query.sortby = parse_sortby(params.sortby, queryables)
    if not query.keyset and (query.cursor.after is not None or query.cursor.before is not None):
        raise InvalidInput("this cursor belongs to an unsorted listing; follow the links of "
                           "the sorted one", field="cursor", value=params.cursor)
    if params.properties is not None:
        query.properties = parse_properties(params.properties, layer.attribute_columns())
    return query


def _collection_links(request: Request, layer: Layer, q: FeatureQuery, page: Any,
                      media: MediaType) -> list[dict[str, str]]:
    base = base_url(request)
    links = [
        link(page_url(request, {}, base), "self", GEOJSON if media is not MediaType.html
             else "text/html", "This page"),
        link(page_url(request, {"f": "html"}, base), "alternate", "text/html",
             "This page as HTML"),
        link(page_url(request, {"f": "json"}, base), "alternate", GEOJSON,
             "This page as GeoJSON"),
        link(f"{base}/collections/{layer.name}", "collection",
             MediaType.json.value, layer.title),
    ]
    after, before = next_cursor(q, page), prev_cursor(q, page)
    if after is not None:
        links.append(link(page_url(request, {"cursor": after.encode()}, base), "next", GEOJSON,
                          "Next page"))
    if before is not None:
        links.append(link(page_url(request, {"cursor": before.encode()}, base), "prev",
                          GEOJSON, "Previous page"))
    return links


def geojson_response(content: bytes, crs: CrsRef, headers: dict[str, str] | None = None
                     ) -> Response:
    """A GeoJSON response that says its CRS."""
    return Response(content, media_type=GEOJSON,
                    headers={"Content-Crs": f"<{crs.uri}>", **(headers or {})})


def read_items(request: Request, engine: Engine, settings: Settings, layer: Layer,
               params: ItemsParams, filters: dict[str, str], principal: Principal,
               media: MediaType) -> Response:
    """GET /collections/{id}/items."""
    principal.require("read")
    q = build_query(request, engine, settings, layer, params, filters, principal)
    crs = crs_or_default(params.crs, "crs")
    store_geojson = crs.is_storage_order
    cols = page_columns(layer.name, store_geojson,
                        None if q.properties is None else tuple(q.properties))
    kept = keeper(engine, settings.api.boxes_min_rows) if settings.api.fast_reads else None
    with reading(engine) as conn:
        page = fetch_page(conn, engine, q, cols, kept)
    geometries = geometry_texts(page.rows, crs, store_geojson)
    features = rows_to_features(page.rows, geometries, layer.id_column, skipped(layer, q),
                                masker(layer, principal.can("sensitive")))
    members: dict[str, Any] = {"numberReturned": len(features), "timeStamp": _now(),
                               "links": _collection_links(request, layer, q, page, media)}
    if page.matched is not None:
        members = {"numberMatched": page.matched, **members}
    content = collection_bytes(features, members)
    if layer.sensitive_fields and principal.can("sensitive"):
        record_read(engine, principal, layer.name, None, {
            "query": str(request.url.query), "returned": len(features)})
    if media is MediaType.html:
        body = orjson.loads(content)
        body["title"] = layer.title
        return render(request, "items.html", layer.title, body)
    return geojson_response(content, crs)


class ItemShape(NamedTuple):
    """What one item request asks for, checked: its layer, CRS and chosen properties."""

    layer: Layer
    crs: CrsRef
    properties: tuple[str, ...] | None

    @property
    def statement(self) -> Select[Any]:
        """The lookup that answers this shape (kept per shape)."""
        return item_statement(self.layer.name, self.crs.is_storage_order, self.properties)


def item_shape(request: Request, layer: Layer, crs_text: str | None, properties: str | None,
               principal: Principal) -> ItemShape:
    """Check an item request's caller and parameters."""
    principal.require("read")
    reject_unknown(list(request.query_params.keys()), ITEM_PARAMS)
    crs = crs_or_default(crs_text, "crs")
    chosen = None if properties is None else tuple(
        parse_properties(properties, layer.attribute_columns()))
    return ItemShape(layer, crs, chosen)


def audits_reads(layer: Layer, principal: Principal) -> bool:
    """Whether reading `layer` as `principal` goes into the audit log (unmasked fields)."""
    return bool(layer.sensitive_fields) and principal.can("sensitive")


def read_item(request: Request, engine: Engine, layer: Layer, feature_id: str,
              crs_text: str | None, properties: str | None, principal: Principal,
              media: MediaType) -> Response:
    """GET /collections/{id}/items/{featureId}."""
    shape = item_shape(request, layer, crs_text, properties, principal)
    with reading(engine) as conn:
        row = conn.execute(shape.statement, {"feature_id": feature_id}).first()
    return item_answer(request, engine, shape, feature_id, row, principal, media)


def item_answer(request: Request, engine: Engine, shape: ItemShape, feature_id: str,
                row: Any, principal: Principal, media: MediaType) -> Response:
    """The answer to an item request once its row is read (None: no such feature).

    Blocks on the store only to write the audit log, when `audits_reads`.
    """
    layer, crs = shape.layer, shape.crs
    if row is None:
        raise NotFound(f"no feature {feature_id!r} in {layer.name}")
    versioned = "version" in layer.table.c
    if versioned and request.headers.get("if-none-match") == etag(row._version):
        return Response(status_code=304, headers={"ETag": etag(row._version)})
    geometry = geometry_texts([row], crs, crs.is_storage_order)[0]
    base = base_url(request)
    here = f"{base}/collections/{layer.name}/items/{feature_id}"
    # After a write the request URL is the collection's or carries no query; link the item.
    is_get = request.method == "GET"
    extra = {"links": [
        link(page_url(request, {}, base) if is_get else here, "self", GEOJSON, "This feature"),
        link(page_url(request, {"f": "html"}, base) if is_get else f"{here}?f=html",
             "alternate",
             "text/html", "This feature as HTML"),
        link(f"{base}/collections/{layer.name}", "collection", MediaType.json.value,
             layer.title),
    ]}
    q = FeatureQuery(layer=layer, limit=1, properties=None if shape.properties is None
                     else list(shape.properties))
    feature = rows_to_features([row], [geometry], layer.id_column, skipped(layer, q),
                               masker(layer, principal.can("sensitive")))[0]
    content = feature[:-1] + b"," + orjson.dumps(extra)[1:-1] + b"}"
    if audits_reads(layer, principal):
        record_read(engine, principal, layer.name, feature_id, {"url": here})
    headers = {"ETag": etag(row._version)} if versioned else {}
    if media is MediaType.html:
        body = orjson.loads(content)
        body["title"] = f"{layer.title} · {feature_id}"
        response = render(request, "item.html", body["title"], body)
        response.headers.update(headers)
        return response
    return geojson_response(content, crs, headers)


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


def etag(version: int) -> str:
    """The entity tag of a feature at `version`."""
    return f'"{version}"'
