"""OGC API - Tiles (vector): tile matrix sets, tilesets per collection and for the twin.

Each route translates a request for `tiles.TileService` and adds HTTP: entity tags,
304 on If-None-Match, cache headers, 204 for an empty tile. The people layer (and any
sensitive one) is tiled only for callers with the `sensitive` scope.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request, Response

from api.auth import Principal, PrincipalDep
from api.conformance import declare
from api.dependencies import EngineDep, MediaType
from api.links import link, url_for
from tiles.cache import TileCache
from tiles.matrix import TILE_MATRIX_SETS, TileAddress, get_tile_matrix_set
from tiles.rules import is_sensitive, tile_layers
from tiles.service import Tile, TileService
from twin.catalog import layer_stats
from twin.crs import display_offsets, to_gcj02
from twin.features.lookup import FeatureLookup
from twin.layers import Layer, get_layer

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
    if is_sensitive(layer):
        principal.require("sensitive")
    return layer


def _tile_response(request: Request, tile: Tile, sensitive: bool) -> Response:
    headers = {
        "ETag": tile.etag,
        "Cache-Control": f"{'private' if sensitive else 'public'}, max-age=60",
        "Vary": "Authorization, X-API-Key",
        "X-Tile-Cache": "hit" if tile.cached else "miss",
    }
    if tile.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if not tile.data:
        return Response(status_code=204, headers=headers)
    return Response(tile.data, media_type=MVT, headers=headers)


def layer_tile_answer(
    request: Request, collection_id: str, address: TileAddress, principal: Principal
) -> Response:
    """One layer's tile as HTTP: the route's answer and the lean path's (api.fast_reads)."""
    layer = _visible_layer(collection_id, principal)
    sensitive = principal.can("sensitive")
    tile = tile_service(request).layer_tile(layer, address, may_see_sensitive=sensitive)
    return _tile_response(request, tile, sensitive)


async def kept_tile_answer(
    request: Request,
    lookup: FeatureLookup,
    collection_id: str | None,
    address: TileAddress,
    principal: Principal,
) -> Response | None:
    """A kept tile answered on the event loop (its layers' versions read there, no thread);
    None when it must be drawn (`layer_tile_answer`, `twin_tile_answer`)."""
    sensitive = principal.can("sensitive")
    layers = (
        tile_layers(sensitive) if collection_id is None
        else [_visible_layer(collection_id, principal)]
    )
    versions = await lookup.layer_versions([layer.table.name for layer in layers])
    tile = tile_service(request).kept(
        layers, address, versions, may_see_sensitive=sensitive, stacked=collection_id is None
    )
    return None if tile is None else _tile_response(request, tile, sensitive)


def twin_tile_answer(
    request: Request, address: TileAddress, principal: Principal, display: str = "CGCS2000"
) -> Response:
    """The whole twin's tile as HTTP: the route's answer and the lean path's."""
    sensitive = principal.can("sensitive")
    tile = tile_service(request).twin_tile(address, may_see_sensitive=sensitive, display=display)
    return _tile_response(request, tile, sensitive)


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


@router.get("/tiles", operation_id="getTwinTileSetsList", summary="Tilesets of the whole twin")
def twin_tilesets(request: Request) -> dict[str, Any]:
    """One multi-layer tileset per tile matrix set."""
    return _tilesets(request, "/tiles")


@router.get(
    "/tiles/{tileMatrixSetId}/tilejson.json",
    operation_id="getTwinTileJson",
    summary="TileJSON of the whole twin (MapLibre)",
)
def twin_tilejson(
    request: Request,
    tileMatrixSetId: TmsId,
    engine: EngineDep,  # noqa: N803
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Every layer the caller may see, as one vector source."""
    layers = tile_layers(principal.can("sensitive"))
    return _tilejson(request, "/tiles", tileMatrixSetId, layers, _bbox(engine, layers))


@router.get(
    "/tiles/{tileMatrixSetId}",
    operation_id="getTwinTileSet",
    summary="Tileset metadata of the whole twin",
)
def twin_tileset(
    request: Request,
    tileMatrixSetId: TmsId,
    engine: EngineDep,  # noqa: N803
    principal: PrincipalDep,
) -> dict[str, Any]:
    """The multi-layer tileset: its layers, zooms, tile template."""
    layers = tile_layers(principal.can("sensitive"))
    return _tileset(request, "/tiles", tileMatrixSetId, layers, _bbox(engine, layers))


@router.get(
    "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    operation_id="getTwinTile",
    summary="A multi-layer vector tile of the whole twin",
    response_class=Response,
    responses={
        200: {"content": {MVT: {}}},
        204: {"description": "No features"},
        304: {"description": "Not modified"},
    },
)
def twin_tile(
    request: Request,
    tileMatrixSetId: TmsId,
    tileMatrix: Zoom,  # noqa: N803
    tileRow: Row,
    tileCol: Col,
    principal: PrincipalDep,
) -> Response:  # noqa: N803
    """Every layer the caller may see, generalised for the zoom."""
    return twin_tile_answer(
        request, TileAddress(tileMatrixSetId, tileMatrix, tileRow, tileCol), principal
    )


@router.get(
    "/collections/{collectionId}/tiles",
    operation_id="getCollectionTileSetsList",
    summary="Tilesets of one layer",
)
def collection_tilesets(
    request: Request,
    collectionId: str,  # noqa: N803
    principal: PrincipalDep,
) -> dict[str, Any]:
    """One tileset per tile matrix set."""
    layer = _visible_layer(collectionId, principal)
    return _tilesets(request, f"/collections/{layer.name}/tiles")


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json",
    operation_id="getCollectionTileJson",
    summary="TileJSON of one layer (MapLibre)",
)
def collection_tilejson(
    request: Request,
    collectionId: str,
    tileMatrixSetId: TmsId,  # noqa: N803
    engine: EngineDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """The layer as one vector source."""
    layer = _visible_layer(collectionId, principal)
    return _tilejson(
        request,
        f"/collections/{layer.name}/tiles",
        tileMatrixSetId,
        [layer],
        _bbox(engine, [layer]),
    )


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    operation_id="getCollectionTileSet",
    summary="Tileset metadata of one layer",
)
def collection_tileset(
    request: Request,
    collectionId: str,
    tileMatrixSetId: TmsId,  # noqa: N803
    engine: EngineDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """The layer's tileset: zooms, tile template, bounding box."""
    layer = _visible_layer(collectionId, principal)
    return _tileset(
        request,
        f"/collections/{layer.name}/tiles",
        tileMatrixSetId,
        [layer],
        _bbox(engine, [layer]),
    )


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    operation_id="getCollectionTile",
    summary="A vector tile of one layer",
    response_class=Response,
    responses={
        200: {"content": {MVT: {}}},
        204: {"description": "No features"},
        304: {"description": "Not modified"},
    },
)
def collection_tile(
    request: Request,
    collectionId: str,
    tileMatrixSetId: TmsId,  # noqa: N803
    tileMatrix: Zoom,
    tileRow: Row,
    tileCol: Col,  # noqa: N803
    principal: PrincipalDep,
) -> Response:
    """The layer's features in one tile, generalised for the zoom."""
    return layer_tile_answer(
        request, collectionId, TileAddress(tileMatrixSetId, tileMatrix, tileRow, tileCol), principal
    )


# The map's source over a GCJ-02 web base map (TWIN_MAP_BASE_TILES): the twin's tiles drawn
# shifted into GCJ-02 so they lie on the base map; the stored data stays CGCS2000. Not an
# OGC tileset (GCJ-02 is no registered CRS), so left out of the OpenAPI document.
DISPLAY = "GCJ-02"


@router.get("/map/gcj02/tilejson.json", include_in_schema=False)
def display_tilejson(request: Request, engine: EngineDep, principal: PrincipalDep
                     ) -> dict[str, Any]:
    """TileJSON of the shifted tiles, with the grid of offsets the map shifts its own
    GeoJSON, clicks and searches by (`twin.crs.display_offsets`)."""
    layers = tile_layers(principal.can("sensitive"))
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
    return twin_tile_answer(request, address, principal, display=DISPLAY)


def register(app: FastAPI) -> None:
    """Add the tile routes and declare the Tiles conformance classes."""
    app.include_router(router)
    declare(app.state, CONFORMANCE)
