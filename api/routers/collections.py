"""OGC API - Common Part 2: the collections (one per layer of the twin).

Every client asks for these documents first, so they are answered from memory: the
counts and extents come from `twin.catalog` (recomputed only when a layer's change
version moves), and the JSON bytes of each document are kept per base URL and versions,
with an ETag so a client that has them gets a 304.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from sqlalchemy import Engine

from api.auth import Principal, PrincipalDep
from api.dependencies import EngineDep, MediaType, MediaTypeDep
from api.html import render
from api.links import TILESETS_VECTOR, base_url, link
from twin.catalog import Catalog, LayerStats, catalog
from twin.crs import CRS84_URI, EPSG_URI, supported_crs_uris
from twin.layers import LAYERS, Layer, get_layer
from twin.models import STORAGE_SRID

router = APIRouter(tags=["Collections"])

QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SCHEMA_JSON = "application/schema+json"
DOCUMENTS_KEPT = 256
CACHE_HEADERS = {"Cache-Control": "no-cache", "Vary": "Accept"}
ETAG_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"headers": {"ETag": {"description": "changes when a layer's data does",
                               "schema": {"type": "string"}}}},
    304: {"description": "Not modified: the If-None-Match ETag is still current"},
}


class DocumentCache:
    """JSON documents as bytes with their ETags, by what they were built from."""

    def __init__(self, size: int = DOCUMENTS_KEPT) -> None:
        self._kept: OrderedDict[tuple[object, ...], tuple[bytes, str]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...] | None, build: Any) -> tuple[bytes, str]:
        """The document for `key`, built by `build()` when not kept (None: never kept)."""
        found = self._kept.get(key) if key is not None else None
        if found is not None:
            return found
        content = orjson.dumps(build())
        made = (content, f'"{hashlib.blake2b(content, digest_size=12).hexdigest()}"')
        if key is not None:
            with self._lock:
                self._kept[key] = made
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
        return made


def collection_document(base: str, layer: Layer, stats: LayerStats) -> dict[str, Any]:
    """The description of one collection, with its extent and links."""
    path = f"{base}/collections/{layer.name}"
    doc: dict[str, Any] = {
        "id": layer.name,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "x-classification": layer.level.value,
        "numberOfFeatures": stats.count,
        "storageCrs": EPSG_URI.format(code=STORAGE_SRID),
        "crs": supported_crs_uris(),
        "links": [
            link(path, "self", MediaType.json.value, layer.title),
            link(f"{path}?f=html", "alternate", "text/html", layer.title),
            link(f"{path}/items", "items", MediaType.geojson.value, "Features"),
            link(f"{path}/items?f=html", "items", "text/html", "Features"),
            link(f"{path}/queryables", QUERYABLES_REL, SCHEMA_JSON, "Queryables"),
            link(f"{path}/tiles", TILESETS_VECTOR, MediaType.json.value, "Vector tiles"),
        ],
    }
    if layer.geometry_column.nullable:
        # Features without a geometry come as "geometry": null (GeoJSON allows it); a
        # client that needs one for every feature learns it here before reading them.
        doc["geometryRequired"] = False
        doc["description"] += " Some features may have no geometry."
    if stats.bbox is not None:
        doc["extent"] = {"spatial": {"bbox": [list(stats.bbox)], "crs": CRS84_URI}}
    return doc


def _answer(request: Request, content: bytes, etag: str) -> Response:
    if etag in request.headers.get("if-none-match", "").replace("W/", "").split(", "):
        return Response(status_code=304, headers={"ETag": etag, **CACHE_HEADERS})
    return Response(content, media_type=MediaType.json.value,
                    headers={"ETag": etag, **CACHE_HEADERS})


def _cache(request: Request) -> DocumentCache:
    state = request.app.state
    cache: DocumentCache | None = getattr(state, "collection_documents", None)
    if cache is None:
        cache = state.collection_documents = DocumentCache()
    return cache


def collections_json(request: Request, engine: Engine, principal: Principal,
                     layer: Layer | None) -> Response:
    """`/collections` (layer None) or one collection as JSON: kept bytes, ETag, 304.

    Called by the routes below and by the lean read path (api/fast_reads.py) alike.
    """
    principal.require("read")
    kept = catalog(engine)
    versions = kept.versions()
    base = base_url(request)
    if layer is None:
        key = ("all", base, *versions.values())
    else:
        key = (layer.name, base, versions[layer.name])
    known = None not in key
    return _answer(request, *_cache(request).get(
        key if known else None, lambda: _document(base, kept, versions, layer)))


def _document(base: str, kept: Catalog, versions: dict[str, int | None],
              layer: Layer | None) -> dict[str, Any]:
    if layer is not None:
        return collection_document(base, layer, kept.stats(layer, versions[layer.name]))
    return {
        "links": [link(f"{base}/collections", "self", MediaType.json.value),
                  link(f"{base}/collections?f=html", "alternate", "text/html")],
        "collections": [collection_document(base, one, kept.stats(one, versions[name]))
                        for name, one in LAYERS.items()],
    }


@router.get("/collections", operation_id="getCollections", summary="The layers of the twin",
            responses=ETAG_RESPONSE)
def collections(request: Request, engine: EngineDep, media: MediaTypeDep,
                principal: PrincipalDep) -> Response:
    """Every layer, with its feature count (exact) and extent."""
    if media is MediaType.html:
        principal.require("read")
        kept = catalog(engine)
        body = _document(base_url(request), kept, kept.versions(), None)
        return render(request, "collections.html", "Collections", body)
    return collections_json(request, engine, principal, None)


@router.get("/collections/{collectionId}", operation_id="describeCollection", summary="One layer",
            responses=ETAG_RESPONSE)
def collection(
    request: Request,
    collectionId: str,  # noqa: N803
    engine: EngineDep,
    media: MediaTypeDep,
    principal: PrincipalDep,
) -> Response:
    """One layer's description, with its feature count (exact) and extent."""
    layer = get_layer(collectionId)
    if media is MediaType.html:
        principal.require("read")
        kept = catalog(engine)
        body = _document(base_url(request), kept, kept.versions(), layer)
        return render(request, "collection.html", layer.title, body)
    return collections_json(request, engine, principal, layer)
