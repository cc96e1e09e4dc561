"""OGC API - Tiles over HTTP on both stores: documents, tiles, caching headers, errors."""

from __future__ import annotations

import mapbox_vector_tile
import pytest

from tiles.matrix import tiles_over

from ..conftest import API_KEYS

MVT = "application/vnd.mapbox-vector-tile"
SENSITIVE = {"X-API-Key": next(k for k, s in API_KEYS.items() if s == ["read", "sensitive"])}
CENTRE: dict[str, tuple[float, float, float, float]] = {}


@pytest.fixture(autouse=True)
def centre(client):
    """A point inside a building of the sample (the tiles below are drawn around it)."""
    ring = client.get("/collections/buildings/items?limit=1").json()["features"][0]
    lon, lat = ring["geometry"]["coordinates"][0][0][0]
    lon, lat = lon + 0.00003, lat + 0.00003
    CENTRE["point"] = (lon, lat, lon, lat)


def tile_url(base: str, tms: str, zoom: int) -> str:
    [tile] = tiles_over(tms, zoom, CENTRE["point"])
    return f"{base}/{tms}/{tile.zoom}/{tile.row}/{tile.col}"


def test_tile_matrix_sets_are_listed_and_described(client):
    listed = client.get("/tileMatrixSets").json()["tileMatrixSets"]
    assert [t["id"] for t in listed] == ["WebMercatorQuad", "CGCS2000Quad"]
    cgcs = client.get("/tileMatrixSets/CGCS2000Quad").json()
    assert cgcs["crs"].endswith("EPSG/0/4490")
    assert cgcs["tileMatrices"][0]["matrixWidth"] == 2
    assert client.get("/tileMatrixSets/Nope").status_code == 404


def test_conformance_and_landing_and_collection_link_to_tiles(client):
    conforms = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in conforms
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset" in conforms
    landing = {link["rel"] for link in client.get("/").json()["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector" in landing
    assert "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes" in landing
    rels = {link["rel"] for link in client.get("/collections/buildings").json()["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector" in rels


@pytest.mark.parametrize("base", ["/tiles", "/collections/buildings/tiles"])
def test_tilesets_and_tilejson(client, base):
    tilesets = client.get(base).json()["tilesets"]
    assert {t["tileMatrixSetURI"].rsplit("/", 1)[-1] for t in tilesets} == {
        "WebMercatorQuad", "CGCS2000Quad"}
    tileset = client.get(f"{base}/WebMercatorQuad").json()
    assert tileset["dataType"] == "vector"
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert item["href"].endswith("/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    assert "buildings" in {layer["id"] for layer in tileset["layers"]}
    tilejson = client.get(f"{base}/WebMercatorQuad/tilejson.json").json()
    assert tilejson["tiles"][0].endswith("/WebMercatorQuad/{z}/{y}/{x}")
    assert tilejson["bounds"][0] < 113.94 < tilejson["bounds"][2]


def test_a_tile_with_etag_cache_control_and_304(client):
    url = tile_url("/collections/buildings/tiles", "WebMercatorQuad", 16)
    first = client.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == MVT
    assert "max-age" in first.headers["cache-control"]
    decoded = mapbox_vector_tile.decode(first.content)
    assert decoded["buildings"]["features"]
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url).headers["etag"] == first.headers["etag"]


def test_twin_tile_holds_many_layers_and_empty_tiles_are_204(client):
    data = client.get(tile_url("/tiles", "WebMercatorQuad", 17)).content
    layers = set(mapbox_vector_tile.decode(data))
    assert {"buildings", "addresses"} <= layers and "people" not in layers
    far = client.get("/tiles/WebMercatorQuad/17/0/0")  # the Arctic: nothing there
    assert far.status_code == 204 and far.content == b""
    cgcs = client.get(tile_url("/tiles", "CGCS2000Quad", 15))
    assert "buildings" in mapbox_vector_tile.decode(cgcs.content)


def test_people_need_the_sensitive_scope(client):
    url = tile_url("/collections/people/tiles", "WebMercatorQuad", 17)
    refused = client.get(url)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    shown = client.get(url, headers=SENSITIVE)
    assert shown.status_code in (200, 204)
    assert shown.headers["cache-control"].startswith("private")
    twin = client.get(tile_url("/tiles", "WebMercatorQuad", 17), headers=SENSITIVE)
    assert "people" in mapbox_vector_tile.decode(twin.content)


@pytest.mark.parametrize("path, status, field", [
    ("/tiles/WebMercatorQuad/25/0/0", 400, "tileMatrix"),
    ("/tiles/WebMercatorQuad/3/8/0", 400, "tileRow"),
    ("/tiles/CGCS2000Quad/0/0/2", 400, "tileCol"),
    ("/tiles/WebMercatorQuad/3/x/0", 400, "tileRow"),
    ("/tiles/Mars/3/0/0", 404, None),
    ("/collections/nothing/tiles/WebMercatorQuad/3/0/0", 404, None),
])
def test_bad_tiles_are_problems_naming_the_field(client, path, status, field):
    answer = client.get(path)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    if field:
        assert answer.json()["field"] == field

