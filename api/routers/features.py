"""OGC API - Features Parts 1–4: items and item of every layer, queryables, editing.

Each layer gets its own items route so its property filters are declared in the OpenAPI
document; unknown collection names fall through to generic routes that answer 404.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.auth import Principal, PrincipalDep
from api.conformance import declare
from api.dependencies import MediaType, MediaTypeDep, SettingsDep, StoreDep
from api.features.edit import if_match_versions, parse_body
from api.features.items import read_item, read_items
from api.html import render
from api.links import base_url
from twin import editing
from twin.crs import CrsRef, supported_crs_uris
from twin.features.counting import forget_counts
from twin.features.params import ItemParams, ItemsParams, crs_or_default
from twin.features.query import filterable
from twin.features.queryables import queryables_document
from twin.layers import LAYERS, Layer, Level, get_layer
from twin.store import Store

router = APIRouter(tags=["Features"])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/sortables",
    "http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-features-6/1.0/conf/properties",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
]

ParamsDep = Annotated[ItemsParams, Query()]
ItemParamsDep = Annotated[ItemParams, Query()]
FEATURE_BODY = {"requestBody": {"required": True, "content": {
    media: {"schema": {"$ref": "https://geojson.org/schema/Feature.json"}}
    for media in ("application/geo+json", "application/json")}}}
PATCH_BODY = {"requestBody": {"required": True, "content": {
    media: {"schema": {"type": "object", "description": "A partial Feature: the properties "
                       "to change and, if it changes, the geometry"}}
    for media in ("application/merge-patch+json", "application/geo+json", "application/json")}}}
WRITE_HEADERS = ("Send X-API-Key (or Authorization: Bearer) with the write scope; If-Match "
                 "with the ETag of the last read; Content-Crs when the geometry is not CRS84.")
CREATE_NOTES = (" A building posted without properties.code gets a code issued (township, "
                "year built, next building number). Buildings and city objects are placed "
                "by their geometry: township, community, grid and BeiDou code are filled in, "
                "and a given one the geometry does not touch is refused.")
FILTER_PREFIX = "p_"
# What a filter parameter on a classified field says it needs.
CLASSIFIED_NOTE = {Level.internal: " (needs an API key: the field is 内部)",
                   Level.sensitive: " (needs the sensitive scope)"}
FEATURE_SCHEMA = {"$ref": "https://geojson.org/schema/Feature.json"}
CREATED = {"description": "Created: Location names the new feature, ETag its version",
           "headers": {"Location": {"schema": {"type": "string"}},
                       "ETag": {"schema": {"type": "string"}}},
           "content": {"application/geo+json": {"schema": FEATURE_SCHEMA}}}
# OpenAPI 3.0 lists scopes only for OAuth; the scope a key needs is said in the schemes'
# descriptions and in `x-scopes`.
WRITE_AUTH = {"security": [{"apiKey": []}, {"bearer": []}], "x-scopes": ["write"]}
PROBLEMS = {
    400: "A body or header the layer refuses: each bad field with its value (`errors`)",
    401: "No API key (anonymous callers cannot write)",
    403: "The key lacks the write scope",
    404: "No such feature",
    409: "A code already taken, or a feature already retired",
    412: "If-Match names a version that is no longer current",
    413: "The body is larger than the server takes",
}


def write_problems(*statuses: int) -> dict[int | str, Any]:
    """The problem+json answers of a write, by status."""
    return {status: {"description": PROBLEMS[status], "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}} for status in statuses}


class HotRoute(NamedTuple):
    """A layer's items route, which the lean read path (`api.fast_reads`) may answer: its
    layer and the property filters it declares. Its item route is the same path + /{id}."""

    layer: Layer
    filters: frozenset[str]


_hot: dict[str, HotRoute] = {}


def hot_routes() -> dict[str, HotRoute]:
    """The items routes by path, as declared below."""
    return dict(_hot)


def _items_endpoint(layer: Layer) -> Callable[..., Response]:
    """GET items of one layer, with a query parameter per filterable property."""
    columns = [c for c in layer.attribute_columns() if filterable(c)]

    def endpoint(request: Request, store: StoreDep, settings: SettingsDep,
                 media: MediaTypeDep, principal: PrincipalDep, params: ParamsDep,
                 **filters: str | None) -> Response:
        values = {k[len(FILTER_PREFIX):]: v for k, v in filters.items() if v is not None}
        return read_items(request, store, settings, layer, params, values, principal, media)

    base = [p for p in inspect.signature(endpoint).parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD]
    extra = [
        inspect.Parameter(
            FILTER_PREFIX + c.name, inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[str | None, Query(
                alias=c.name, description=f"Features whose {c.name} equals this value"
                + CLASSIFIED_NOTE.get(layer.level_of(c.name), ""),
            )],
        )
        for c in columns
    ]
    endpoint.__signature__ = inspect.Signature(base + extra)  # type: ignore[attr-defined]
    endpoint.__name__ = f"items_{layer.name}"
    return endpoint


def _item_endpoint(layer: Layer) -> Callable[..., Response]:
    def endpoint(request: Request, featureId: str, store: StoreDep,  # noqa: N803
                 media: MediaTypeDep, principal: PrincipalDep, params: ItemParamsDep
                 ) -> Response:
        return read_item(request, store, layer, featureId, params, principal, media)

    endpoint.__name__ = f"item_{layer.name}"
    return endpoint


for _layer in LAYERS.values():
    _hot[f"/collections/{_layer.name}/items"] = HotRoute(_layer, frozenset(
        c.name for c in _layer.attribute_columns() if filterable(c)))
    router.add_api_route(
        f"/collections/{_layer.name}/items", _items_endpoint(_layer), methods=["GET"],
        operation_id=f"getFeatures_{_layer.name}", summary=f"Features of {_layer.title}",
        response_class=Response,
        responses={200: {"content": {"application/geo+json": {}, "text/html": {}}}},
    )
    router.add_api_route(
        f"/collections/{_layer.name}/items/{{featureId}}", _item_endpoint(_layer),
        methods=["GET"], operation_id=f"getFeature_{_layer.name}",
        summary=f"One feature of {_layer.title} by its code", response_class=Response,
        responses={200: {"content": {"application/geo+json": {}, "text/html": {}}}},
    )


@router.get("/collections/{collectionId}/items", operation_id="getFeaturesUnknown",
            include_in_schema=False)
def unknown_items(collectionId: str) -> None:  # noqa: N803
    """A collection that does not exist: say which do."""
    get_layer(collectionId)


@router.get("/collections/{collectionId}/queryables", operation_id="getQueryables",
            summary="What a filter may name (JSON Schema)")
def queryables(request: Request, collectionId: str, media: MediaTypeDep,  # noqa: N803
               principal: PrincipalDep) -> Any:
    """The queryable properties of a layer."""
    principal.require("read")
    layer = get_layer(collectionId)
    url = f"{base_url(request)}/collections/{layer.name}/queryables"
    body = queryables_document(layer, url, principal.clearance)
    if media is MediaType.html:
        return render(request, "queryables.html", f"{layer.title} · queryables", body)
    return JSONResponse(body, media_type="application/schema+json")


def _content_crs(request: Request) -> CrsRef:
    """The CRS of a request body (Content-Crs header, CRS84 by default)."""
    header = request.headers.get("content-crs")
    return crs_or_default(header.strip().strip("<>") if header else None, "Content-Crs")


def _edited(request: Request, store: Store, layer: Layer) -> None:
    """After a write: counts are taken again, and the geocoder looks at the address base
    again on its next query."""
    forget_counts(store.engine, layer)
    base = getattr(request.app.state, "address_base", None)
    if layer.name == "addresses" and base is not None:
        base.forget()


def _item_url(request: Request, layer: Layer, code: str) -> str:
    return f"{base_url(request)}/collections/{layer.name}/items/{code}"


async def _create(request: Request, layer: Layer, store: Store, principal: Principal
                  ) -> Response:
    principal.require("write")
    editing.editable(layer)
    edit = parse_body(await request.body(), _content_crs(request))
    code = await run_in_threadpool(editing.create, store.engine, layer, edit, principal.actor)
    _edited(request, store, layer)
    response = await run_in_threadpool(read_item, request, store, layer, code, ItemParams(),
                                       principal, MediaType.geojson)
    response.status_code = 201
    response.headers["Location"] = _item_url(request, layer, code)
    return response


async def _change(request: Request, layer: Layer, feature_id: str, store: Store,
                  principal: Principal, *, partial: bool) -> Response:
    principal.require("write")
    editing.editable(layer)
    edit = parse_body(await request.body(), _content_crs(request), patch=partial)
    await run_in_threadpool(editing.change, store.engine, layer, feature_id, edit,
                            principal.actor, partial=partial,
                            versions=if_match_versions(request.headers.get("if-match")))
    _edited(request, store, layer)
    return await run_in_threadpool(read_item, request, store, layer, feature_id, ItemParams(),
                                   principal, MediaType.geojson)


def _retire(request: Request, layer: Layer, feature_id: str, store: Store,
            principal: Principal) -> Response:
    principal.require("write")
    editing.editable(layer)
    editing.retire(store.engine, layer, feature_id, principal.actor,
                   versions=if_match_versions(request.headers.get("if-match")))
    _edited(request, store, layer)
    return Response(status_code=204)


def _write_endpoints(layer: Layer) -> dict[str, Callable[..., Any]]:
    """The create, replace, update and retire endpoints of one editable layer."""

    async def create(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
        return await _create(request, layer, store, principal)

    async def replace(request: Request, featureId: str, store: StoreDep,  # noqa: N803
                      principal: PrincipalDep) -> Response:
        return await _change(request, layer, featureId, store, principal, partial=False)

    async def update(request: Request, featureId: str, store: StoreDep,  # noqa: N803
                     principal: PrincipalDep) -> Response:
        return await _change(request, layer, featureId, store, principal, partial=True)

    def retire(request: Request, featureId: str, store: StoreDep,  # noqa: N803
               principal: PrincipalDep) -> Response:
        return _retire(request, layer, featureId, store, principal)

    endpoints: dict[str, Callable[..., Any]] = {
        "createFeature": create, "replaceFeature": replace, "updateFeature": update,
        "deleteFeature": retire}
    for name, endpoint in endpoints.items():
        endpoint.__name__ = f"{name}_{layer.name}"
    return endpoints


def _add_write_routes(layer: Layer) -> None:
    """Document and serve a layer's writes on its own paths (Part 4), as the generic route
    would: so its paths list every method they take (the Allow header says the same)."""
    endpoints = _write_endpoints(layer)
    items = f"/collections/{layer.name}/items"
    router.add_api_route(
        items, endpoints["createFeature"], methods=["POST"], status_code=201,
        operation_id=f"createFeature_{layer.name}", response_class=Response,
        summary=f"Add a feature to {layer.title} (write scope)",
        description=WRITE_HEADERS + (CREATE_NOTES if layer.issued_on_create or layer.placed
                                     else ""),
        responses={201: CREATED, **write_problems(400, 401, 403, 409, 413)},
        openapi_extra={**FEATURE_BODY, **WRITE_AUTH})
    item = items + "/{featureId}"
    for method, name, summary, status, body, extra in (
        ("PUT", "replaceFeature", "Replace a feature", 200, FEATURE_BODY, (400, 412, 413)),
        ("PATCH", "updateFeature", "Update part of a feature", 200, PATCH_BODY,
         (400, 412, 413)),
        ("DELETE", "deleteFeature", "Retire a feature", 204, {}, (412,)),
    ):
        answer = {"description": "The feature as stored now", "content": {
            "application/geo+json": {"schema": FEATURE_SCHEMA}}} if status == 200 else {
            "description": "Retired (it is kept as history, never erased)"}
        router.add_api_route(
            item, endpoints[name], methods=[method], status_code=status,
            operation_id=f"{name}_{layer.name}", response_class=Response,
            summary=f"{summary} of {layer.title} (write scope, If-Match)",
            description=WRITE_HEADERS,
            responses={status: answer, **write_problems(401, 403, 404, 409, *extra)},
            openapi_extra={**body, **WRITE_AUTH})


for _layer in LAYERS.values():
    if _layer.editable:
        _add_write_routes(_layer)


# The generic write routes serve what no layer's own route does: an unknown collection
# (404 naming the layers) and a read-only layer (405 with the methods its paths take).
@router.post("/collections/{collectionId}/items", operation_id="createFeature",
             include_in_schema=False)
async def create_feature(request: Request, collectionId: str, store: StoreDep,  # noqa: N803
                         principal: PrincipalDep) -> Response:
    """Create a feature in a layer with no route of its own: refused."""
    return await _create(request, get_layer(collectionId), store, principal)


@router.put("/collections/{collectionId}/items/{featureId}", operation_id="replaceFeature",
            include_in_schema=False)
async def replace_feature(request: Request, collectionId: str, featureId: str,  # noqa: N803
                          store: StoreDep, principal: PrincipalDep) -> Response:
    """Replace a feature of a layer with no route of its own: refused."""
    return await _change(request, get_layer(collectionId), featureId, store, principal,
                         partial=False)


@router.patch("/collections/{collectionId}/items/{featureId}", operation_id="updateFeature",
              include_in_schema=False)
async def update_feature(request: Request, collectionId: str, featureId: str,  # noqa: N803
                         store: StoreDep, principal: PrincipalDep) -> Response:
    """Update a feature of a layer with no route of its own: refused."""
    return await _change(request, get_layer(collectionId), featureId, store, principal,
                         partial=True)


@router.delete("/collections/{collectionId}/items/{featureId}", operation_id="deleteFeature",
               include_in_schema=False)
def delete_feature(request: Request, collectionId: str, featureId: str,  # noqa: N803
                   store: StoreDep, principal: PrincipalDep) -> Response:
    """Retire a feature of a layer with no route of its own: refused."""
    return _retire(request, get_layer(collectionId), featureId, store, principal)


def register(app: FastAPI) -> None:
    """Mount the features routes, declare their conformance and every CRS they serve."""
    app.include_router(router)
    declare(app.state, CONFORMANCE)
    app.state.supported_crs = supported_crs_uris()
