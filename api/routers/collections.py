"""OGC API - Common Part 2: the collections (one per layer of the twin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.dependencies import EngineDep, MediaType, MediaTypeDep
from api.html import render
from api.links import TILESETS_VECTOR, link, url_for
from twin.catalog import LayerStats, layer_stats
from twin.crs import CRS84_URI, EPSG_URI, supported_crs_uris
from twin.layers import LAYERS, Layer, get_layer
from twin.models import STORAGE_SRID

router = APIRouter(tags=["Collections"])



def collection_document(request: Request, layer: Layer, stats: LayerStats) -> dict[str, Any]:
    """The description of one collection, with its extent and links."""
    path = f"/collections/{layer.name}"
    doc: dict[str, Any] = {
        "id": layer.name,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "numberOfFeatures": stats.count,
        "storageCrs": EPSG_URI.format(code=STORAGE_SRID),
        "crs": supported_crs_uris(),
        "links": [
            link(url_for(request, path), "self", MediaType.json.value, layer.title),
            link(url_for(request, f"{path}/items"), "items", MediaType.geojson.value, "Features"),
            link(url_for(request, f"{path}/items", f="html"), "items", "text/html", "Features"),
            link(url_for(request, f"{path}/tiles"), TILESETS_VECTOR, MediaType.json.value,
                 "Vector tiles"),
        ],
    }
    if stats.bbox is not None:
        doc["extent"] = {"spatial": {"bbox": [list(stats.bbox)], "crs": CRS84_URI}}
    return doc


@router.get("/collections", operation_id="getCollections", summary="The layers of the twin")
def collections(request: Request, engine: EngineDep, media: MediaTypeDep) -> object:
    """Every layer, with its feature count and extent."""
    body = {
        "links": [link(url_for(request, "/collections"), "self", MediaType.json.value)],
        "collections": [
            collection_document(request, layer, layer_stats(engine, layer))
            for layer in LAYERS.values()
        ],
    }
    if media is MediaType.html:
        return render(request, "collections.html", "Collections", body)
    return body


@router.get("/collections/{collectionId}", operation_id="describeCollection", summary="One layer")
def collection(
    request: Request,
    collectionId: str,
    engine: EngineDep,
    media: MediaTypeDep,  # noqa: N803
) -> object:
    """One layer's description."""
    layer = get_layer(collectionId)
    body = collection_document(request, layer, layer_stats(engine, layer))
    if media is MediaType.html:
        return render(request, "collection.html", layer.title, body)
    return body
