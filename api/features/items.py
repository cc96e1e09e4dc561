"""Reading features over HTTP: the request into the feature service's terms, its answer
into GeoJSON or HTML with links, ETags and audit lines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request, Response

from api.auth import Principal
from api.dependencies import MediaType
from api.features.audit import record_read
from api.html import render
from api.links import base_url, link
from twin.crs import CrsRef
from twin.errors import NotFound
from twin.features.geojson import collection_bytes, geometry_texts
from twin.features.lookup import FeatureLookup
from twin.features.paging import next_cursor, prev_cursor
from twin.features.params import ItemParams, ItemsParams, crs_or_default
from twin.features.query import FeatureQuery
from twin.features.service import (
    ItemShape,
    audits_reads,
    build_query,
    check_names,
    features_of,
    item_shape,
    page_size,
    read_item_row,
    read_page,
)
from twin.layers import Layer
from twin.settings import Settings
from twin.store import Store

GEOJSON = MediaType.geojson.value


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_url(request: Request, replace: dict[str, str | None], base: str | None = None) -> str:
    """This request's URL (absolute, proxy-aware) with some parameters replaced or removed.

    `base` is the request's `base_url` when the caller has it already.
    """
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in replace]
    kept += [(k, v) for k, v in replace.items() if v is not None]
    query = f"?{urlencode(kept)}" if kept else ""
    return f"{base_url(request) if base is None else base}{request.url.path}{query}"


def items_query(request: Request, store: Store, settings: Settings, layer: Layer,
                params: ItemsParams, filters: dict[str, str], principal: Principal
                ) -> FeatureQuery:
    """The feature query of an items request, for this caller."""
    check_names(layer, request.query_params.keys())
    clearance = principal.clearance
    for name in filters:
        principal.require_clearance(layer.level_of(name), f"filtering on {name!r}")
    return build_query(store, layer, params, filters, limit=page_size(params.limit, settings.api),
                       clearance=clearance)


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


def read_items(request: Request, store: Store, settings: Settings, layer: Layer,
               params: ItemsParams, filters: dict[str, str], principal: Principal,
               media: MediaType) -> Response:
    """GET /collections/{id}/items."""
    principal.require("read")
    q = items_query(request, store, settings, layer, params, filters, principal)
    crs = crs_or_default(params.crs, "crs")
    boxes = settings.api.boxes_min_rows if settings.api.fast_reads else None
    page, geometries = read_page(store, q, crs, boxes_min_rows=boxes)
    clearance = principal.clearance
    features = features_of(page.rows, geometries, layer, q.properties, clearance)
    members: dict[str, Any] = {"numberReturned": len(features), "timeStamp": _now(),
                               "links": _collection_links(request, layer, q, page, media)}
    if page.matched is not None:
        members = {"numberMatched": page.matched, **members}
    content = collection_bytes(features, members)
    if audits_reads(layer, clearance):
        record_read(store.engine, principal, layer.name, None, {
            "query": str(request.url.query), "returned": len(features)})
    if media is MediaType.html:
        body = orjson.loads(content)
        body["title"] = layer.title
        return render(request, "items.html", layer.title, body)
    return geojson_response(content, crs)


def checked_shape(request: Request, layer: Layer, params: ItemParams, principal: Principal
                  ) -> ItemShape:
    """An item request's caller and parameters, checked."""
    principal.require("read")
    return item_shape(layer, params, request.query_params.keys())


def read_item(request: Request, store: Store, layer: Layer, feature_id: str,
              params: ItemParams, principal: Principal, media: MediaType) -> Response:
    """GET /collections/{id}/items/{featureId}."""
    shape = checked_shape(request, layer, params, principal)
    row = read_item_row(store, shape, feature_id)
    return item_answer(request, store, shape, feature_id, row, principal, media)


async def read_item_on_loop(request: Request, lookup: FeatureLookup, store: Store,
                            layer: Layer, feature_id: str, params: ItemParams,
                            principal: Principal, media: MediaType) -> Response:
    """GET /collections/{id}/items/{featureId} as `read_item` answers it, read on the event
    loop (`twin.features.lookup`). Not for audited reads (`audits_reads`)."""
    shape = checked_shape(request, layer, params, principal)
    row = await lookup.row(shape, feature_id)
    return item_answer(request, store, shape, feature_id, row, principal, media)


def item_answer(request: Request, store: Store, shape: ItemShape, feature_id: str,
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
    clearance = principal.clearance
    feature = features_of([row], [geometry], layer, shape.properties, clearance)[0]
    content = feature[:-1] + b"," + orjson.dumps(extra)[1:-1] + b"}"
    if audits_reads(layer, clearance):
        record_read(store.engine, principal, layer.name, feature_id, {"url": here})
    headers = {"ETag": etag(row._version)} if versioned else {}
    if media is MediaType.html:
        body = orjson.loads(content)
        body["title"] = f"{layer.title} · {feature_id}"
        response = render(request, "item.html", body["title"], body)
        response.headers.update(headers)
        return response
    return geojson_response(content, crs, headers)


def etag(version: int) -> str:
    """The entity tag of a feature at `version`."""
    return f'"{version}"'
