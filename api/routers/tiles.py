"""OGC API - Tiles (vector): tile matrix sets, tilesets per collection and for the twin.

Each route translates a request for `tiles.TileService` and adds HTTP: entity tags,
304 on If-None-Match, cache headers, 204 for an empty tile. A layer is tiled only for
callers cleared to its level (people, 敏感, for the `sensitive` scope), and a 内部 field
only for callers with a key; such tiles are `private` to shared caches.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, FastAPI, Path, Request, Response

from api.auth import Principal, PrincipalDep
from api.conformance import declare
from api.dependencies import EngineDep, MediaType
from api.links import link, url_for
from tiles.cache import TileCache
from tiles.matrix import TILE_MATRIX_SETS, TileAddress, get_tile_matrix_set
from tiles.rules import drawn_for, tile_layers
from tiles.service import Tile, TileService
from twin.catalog import layer_stats
from twin.changes import LayerVersions
from twin.crs import display_offsets, to_gcj02
from twin.layers import Layer, Level, get_layer

MVT = "application/vnd.mapbox-vector-tile"
TILEJSON = "application/json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]
TILE_PATH = "{tileMatrix}/{tileRow}/{tileCol}"
CITY_BOUNDS = [113.75, 22.39, 114.06, 22.87]  # where a map opens before it knows the data

router = APIRouter(tags=["Tiles"])
_service_lock = threading.Lock()

TmsId = Annotated[str, Path(description="tile matrix set: WebMercatorQuad or CGCS2000Quad")]
Zoom = Annotated[int, Path(description="zoom level (tile matrix id)")]
Row = Annotated[int, Path(description="tile row, 0 at the top")]
Col = Annotated[int, Path(description="tile column, 0 at the left")]


def tile_service(request: Request) -> TileService:
    """The app's tile service over its store, made on first use."""
    state = request.app.state
    with _service_lock:
        service: TileService | None = getattr(state, "tiles", None)
        if service is None or service.engine is not state.engine:
            cache = TileCache(state.settings.api.tile_cache_mb * 1024 * 1024)
            service = state.tiles = TileService(state.engine, cache)
    return service


def _visible_layer(collection_id: str, principal: Principal) -> Layer:
    layer = get_layer(collection_id)
    if not drawn_for(layer, principal.clearance):
        principal.require_clearance(layer.level, f"the tiles of {layer.name}")
    return layer


def _tile_response(request: Request, tile: Tile, clearance: Level) -> Response:
    # A tile that may hold what anonymous callers are not shown is no shared cache's.
    shared = clearance is Level.public
    headers = {
        "ETag": tile.etag,
        "Cache-Control": f"{'public' if shared else 'private'}, max-age=60",
        "Vary": "Authorization, X-API-Key",
        "X-Tile-Cache": "hit" if tile.cached else "miss",
    }
    if tile.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if not tile.data:
        return Response(status_code=204, headers=headers)
    return Response(tile.data, media_type=MVT, headers=headers)


def tile_answer(
    request: Request,
    collection_id: str | None,
    address: TileAddress,
    principal: Principal,
    display: str = "CGCS2000",
) -> Response:
    """A tile of one collection, or (None) of the whole twin, as HTTP: the routes' answer
    and the lean path's (api.fast_reads). `display` GCJ-02 shifts the whole twin's tile
    for the map over a Chinese web base map (`TileService.twin_tile`)."""
    clearance = principal.clearance
    service = tile_service(request)
    if collection_id is None:
        tile = service.twin_tile(address, clearance=clearance, display=display)
    else:
        layer = _visible_layer(collection_id, principal)
        tile = service.layer_tile(layer, address, clearance=clearance)
    return _tile_response(request, tile, clearance)


async def kept_tile_answer(
    request: Request,
    source: LayerVersions,
    collection_id: str | None,
    address: TileAddress,
    principal: Principal,
) -> Response | None:
    """A kept tile answered on the event loop (its layers' versions read there, no thread);
    None when it must be drawn (`tile_answer`)."""
    clearance = principal.clearance
    layers = (
        tile_layers(clearance) if collection_id is None
        else [_visible_layer(collection_id, principal)]
    )
    versions = await source.layer_versions([layer.table.name for layer in layers])
    tile = tile_service(request).kept(
        layers, address, versions, clearance=clearance, stacked=collection_id is None
    )
    return None if tile is None else _tile_response(request, tile, clearance)


def _tms_links(request: Request, tms_id: str) -> list[dict[str, str]]:
    return [
        link(
            url_for(request, f"/tileMatrixSets/{tms_id}"),
            "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
            MediaType.json.value,
            tms_id,
        )
    ]


def _tileset(
    request: Request, base: str, tms_id: str, layers: list[Layer], bbox: list[float] | None
) -> dict[str, Any]:
    """A tileset description (OGC API - Tiles `tileSet`), with its vector layers."""
    tms = get_tile_matrix_set(tms_id)
    doc: dict[str, Any] = {
        "title": f"{tms_id} vector tiles",
        "dataType": "vector",
        "crs": tms.crs.srs if hasattr(tms.crs, "srs") else str(tms.crs),
        "tileMatrixSetURI": tms.uri or url_for(request, f"/tileMatrixSets/{tms_id}"),
        "layers": [
            {
                "id": layer.name,
                "title": layer.title,
                "dataType": "vector",
                "geometryType": layer.geometry_type.lower().removeprefix("multi"),
                "minTileMatrix": str(layer.tiles.min_zoom),
                "maxTileMatrix": str(layer.tiles.max_zoom),
            }
            for layer in layers
        ],
        "links": [
            link(url_for(request, f"{base}/{tms_id}"), "self", MediaType.json.value),
            *_tms_links(request, tms_id),
            link(
                url_for(request, f"{base}/{tms_id}/{TILE_PATH}")
                .replace("%7B", "{")
                .replace("%7D", "}"),
                "item",
                MVT,
                "Mapbox vector tiles",
            ),
            link(
                url_for(request, f"{base}/{tms_id}/tilejson.json"),
                "describedby",
                TILEJSON,
                "TileJSON",
            ),
        ],
    }
    if bbox is not None:
        doc["boundingBox"] = {
            "lowerLeft": bbox[:2],
            "upperRight": bbox[2:],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        }
    doc["links"][2]["templated"] = "true"
    return doc


def _tilesets(request: Request, base: str) -> dict[str, Any]:
    return {
        "tilesets": [
            {
                "title": f"{tms_id} vector tiles",
                "dataType": "vector",
                "tileMatrixSetURI": tms.uri or url_for(request, f"/tileMatrixSets/{tms_id}"),
                "links": [
                    link(url_for(request, f"{base}/{tms_id}"), "self", MediaType.json.value),
                    *_tms_links(request, tms_id),
                ],
            }
            for tms_id, tms in TILE_MATRIX_SETS.items()
        ]
    }


def _tilejson(
    request: Request, base: str, tms_id: str, layers: list[Layer], bbox: list[float] | None
) -> dict[str, Any]:
    """TileJSON 3.0 for MapLibre (WebMercatorQuad: the scheme MapLibre draws)."""
    get_tile_matrix_set(tms_id)
    return {
        "tilejson": "3.0.0",
        "name": base.strip("/"),
        "scheme": "xyz",
        "tiles": [url_for(request, f"{base}/{tms_id}/") + "{z}/{y}/{x}"],
        "minzoom": min((layer.tiles.min_zoom for layer in layers), default=0),
        "maxzoom": 22,
        "bounds": bbox or CITY_BOUNDS,
        "vector_layers": [
            {
                "id": layer.name,
                "description": layer.title,
                "minzoom": layer.tiles.min_zoom,
                "maxzoom": layer.tiles.max_zoom,
                "fields": {a: "" for _, names in layer.tiles.attributes for a in names},
            }
            for layer in layers
        ],
    }


def _bbox(engine: Any, layers: list[Layer]) -> list[float] | None:
    boxes = [b for b in (layer_stats(engine, layer).bbox for layer in layers) if b]
    if not boxes:
        return None
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


@router.get(
    "/tileMatrixSets",
    operation_id="getTileMatrixSetsList",
    summary="The tile matrix sets tiles are offered in",
)
def tile_matrix_sets(request: Request) -> dict[str, Any]:
    """WebMercatorQuad and CGCS2000Quad."""
    return {
        "tileMatrixSets": [
            {
                "id": tms_id,
                "title": tms.title,
                "uri": tms.uri,
                "links": [
                    link(
                        url_for(request, f"/tileMatrixSets/{tms_id}"),
                        "self",
                        MediaType.json.value,
                        tms.title,
                    )
                ],
            }
            for tms_id, tms in TILE_MATRIX_SETS.items()
        ]
    }


@router.get(
    "/tileMatrixSets/{tileMatrixSetId}",
    operation_id="getTileMatrixSet",
    summary="One tile matrix set (OGC 2D TMS JSON)",
)
def tile_matrix_set(tileMatrixSetId: TmsId) -> dict[str, Any]:  # noqa: N803
    """The set's definition as OGC Two Dimensional Tile Matrix Set 2.0 JSON."""
    return get_tile_matrix_set(tileMatrixSetId).model_dump(mode="json", exclude_none=True)


class TileScope(NamedTuple):
    """What a family of tile routes serves: the whole twin, or one collection."""

    base: str  # the path its tilesets are under
    layers: list[Layer]
    collection_id: str | None  # None: the whole twin


def twin_scope(principal: PrincipalDep) -> TileScope:
    """Every layer the caller may see."""
    return TileScope("/tiles", tile_layers(principal.clearance), None)


def collection_scope(collectionId: str, principal: PrincipalDep) -> TileScope:  # noqa: N803
    """The collection's layer, where the caller may see it."""
    layer = _visible_layer(collectionId, principal)
    return TileScope(f"/collections/{layer.name}/tiles", [layer], collectionId)


class _Doc(NamedTuple):
    operation_id: str
    summary: str
    description: str


def _scoped_routes(base: str, scope: Callable[..., TileScope], docs: dict[str, _Doc]) -> None:
    """The tileset list, TileJSON, tileset and tile routes under `base` of one scope
    (`twin_scope`, `collection_scope`), under `docs`' names and words."""
    in_scope = Depends(scope)

    def tilesets(request: Request, scoped: TileScope = in_scope) -> dict[str, Any]:
        return _tilesets(request, scoped.base)

    def described(build: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def describe(
            request: Request,
            tileMatrixSetId: TmsId,  # noqa: N803
            engine: EngineDep,
            scoped: TileScope = in_scope,
        ) -> dict[str, Any]:
            bbox = _bbox(engine, scoped.layers)
            return build(request, scoped.base, tileMatrixSetId, scoped.layers, bbox)

        return describe

    def tile(
        request: Request,
        tileMatrixSetId: TmsId,  # noqa: N803
        tileMatrix: Zoom,  # noqa: N803
        tileRow: Row,  # noqa: N803
        tileCol: Col,  # noqa: N803
        principal: PrincipalDep,
        scoped: TileScope = in_scope,
    ) -> Response:
        address = TileAddress(tileMatrixSetId, tileMatrix, tileRow, tileCol)
        return tile_answer(request, scoped.collection_id, address, principal)

    routes: list[tuple[str, str, Callable[..., Any]]] = [
        ("tilesets", "", tilesets),
        ("tilejson", "/{tileMatrixSetId}/tilejson.json", described(_tilejson)),
        ("tileset", "/{tileMatrixSetId}", described(_tileset)),
        ("tile", f"/{{tileMatrixSetId}}/{TILE_PATH}", tile),
    ]
    for name, path, endpoint in routes:
        doc = docs[name]
        binary: dict[str, Any] = (
            {"response_class": Response, "responses": TILE_RESPONSES} if endpoint is tile else {}
        )
        router.add_api_route(
            base + path,
            endpoint,
            methods=["GET"],
            operation_id=doc.operation_id,
            summary=doc.summary,
            description=doc.description,
            **binary,
        )


TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MVT: {}}},
    204: {"description": "No features"},
    304: {"description": "Not modified"},
}
_scoped_routes("/tiles", twin_scope, {
    "tilesets": _Doc("getTwinTileSetsList", "Tilesets of the whole twin",
                     "One multi-layer tileset per tile matrix set."),
    "tilejson": _Doc("getTwinTileJson", "TileJSON of the whole twin (MapLibre)",
                     "Every layer the caller may see, as one vector source."),
    "tileset": _Doc("getTwinTileSet", "Tileset metadata of the whole twin",
                    "The multi-layer tileset: its layers, zooms, tile template."),
    "tile": _Doc("getTwinTile", "A multi-layer vector tile of the whole twin",
                 "Every layer the caller may see, generalised for the zoom."),
})
_scoped_routes("/collections/{collectionId}/tiles", collection_scope, {
    "tilesets": _Doc("getCollectionTileSetsList", "Tilesets of one layer",
                     "One tileset per tile matrix set."),
    "tilejson": _Doc("getCollectionTileJson", "TileJSON of one layer (MapLibre)",
                     "The layer as one vector source."),
    "tileset": _Doc("getCollectionTileSet", "Tileset metadata of one layer",
                    "The layer's tileset: zooms, tile template, bounding box."),
    "tile": _Doc("getCollectionTile", "A vector tile of one layer",
                 "The layer's features in one tile, generalised for the zoom."),
})


# The map's source over a GCJ-02 web base map (TWIN_MAP_BASE_TILES): the twin's tiles drawn
# shifted into GCJ-02 so they lie on the base map; the stored data stays CGCS2000. Not an
# OGC tileset (GCJ-02 is no registered CRS), so left out of the OpenAPI document.
DISPLAY = "GCJ-02"


@router.get("/map/gcj02/tilejson.json", include_in_schema=False)
def display_tilejson(request: Request, engine: EngineDep, principal: PrincipalDep
                     ) -> dict[str, Any]:
    """TileJSON of the shifted tiles, with the grid of offsets the map shifts its own
    GeoJSON, clicks and searches by (`twin.crs.display_offsets`)."""
    layers = tile_layers(principal.clearance)
    bbox = _bbox(engine, layers) or CITY_BOUNDS
    doc = _tilejson(request, "/tiles", "WebMercatorQuad", layers, bbox)
    doc["tiles"] = [url_for(request, "/map/gcj02/tiles/") + "{z}/{y}/{x}"]
    (west, east), (south, north) = to_gcj02([bbox[0], bbox[2]], [bbox[1], bbox[3]])
    doc["bounds"] = [float(west), float(south), float(east), float(north)]
    doc["display_offsets"] = display_offsets(bbox, DISPLAY)
    return doc


@router.get("/map/gcj02/tiles/{tileMatrix}/{tileRow}/{tileCol}", include_in_schema=False,
            response_class=Response)
def display_tile(
    request: Request,
    tileMatrix: Zoom,  # noqa: N803
    tileRow: Row,  # noqa: N803
    tileCol: Col,  # noqa: N803
    principal: PrincipalDep,
) -> Response:
    """A WebMercatorQuad tile of the whole twin drawn shifted into GCJ-02."""
    address = TileAddress("WebMercatorQuad", tileMatrix, tileRow, tileCol)
    return tile_answer(request, None, address, principal, display=DISPLAY)


def register(app: FastAPI) -> None:
    """Add the tile routes and declare the Tiles conformance classes."""
    app.include_router(router)
    declare(app.state, CONFORMANCE)
