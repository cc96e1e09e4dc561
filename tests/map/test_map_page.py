"""The map page and the API documentation (Swagger UI, ReDoc) work offline: every asset is
the app's own."""

from __future__ import annotations

import re

import pytest

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](https?:)?//(?!testserver)""")


@pytest.mark.parametrize("path", ["/map", "/api.html", "/redoc"])
def test_pages_load_nothing_from_another_host(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assert not EXTERNAL.findall(page.text), EXTERNAL.findall(page.text)
    assets = re.findall(r"""(?:src|href)=["'](http://testserver/static/[^"']+)""", page.text)
    assets += re.findall(r"""(?:_url|url)\s*:\s*['"](http://testserver/static/[^"']+)""", page.text)
    assert assets, page.text
    for asset in assets:
        got = client.get(asset)
        assert got.status_code == 200 and len(got.content) > 100, asset


def test_map_script_names_no_other_host(client):
    script = client.get("/static/map.js").text
    assert not re.findall(r"https?://", script)


def test_landing_page_links_the_map(client):
    links = client.get("/").json()["links"]
    assert any(link["href"].endswith("/map") for link in links)


def test_beidou_code_of_a_point_is_the_standard_example(client):
    # GB/T 39409-2020's worked example: 39°59′35.38″N, 116°18′45.37″E at level 8.
    lon, lat = 116 + 18 / 60 + 45.37 / 3600, 39 + 59 / 60 + 35.38 / 3600
    body = client.get(f"/map/beidou?lon={lon}&lat={lat}&level=8").json()
    assert body["code"] == "N50J47539B825534"
    assert client.get("/map/beidou?lon=500&lat=0").status_code == 400


def test_html_items_page_has_a_map_a_query_form_paging_and_geojson(client):
    page = client.get("/collections/buildings/items?f=html&limit=2").text
    assert 'id="geometry-map"' in page and "/static/geometry-map.js" in page
    assert 'name="bbox"' in page and 'name="filter"' in page
    next_link = re.search(r'href="([^"]+cursor=[^"]+)"', page)
    assert next_link is not None
    assert client.get(next_link.group(1).replace("&amp;", "&")).status_code == 200
    geojson = re.search(r'href="([^"]+f=json)"', page)
    assert geojson is not None
    answer = client.get(geojson.group(1).replace("&amp;", "&"))
    assert answer.headers["content-type"] == "application/geo+json"


def test_html_item_page_has_its_geometry_on_a_map_and_a_working_geojson_link(client):
    code = client.get("/collections/buildings/items?limit=1").json()["features"][0]["id"]
    page = client.get(f"/collections/buildings/items/{code}?f=html").text
    shown = re.search(r'<script id="geometry" type="application/json">(.*?)</script>', page, re.S)
    assert shown is not None and '"MultiPolygon"' in shown.group(1)
    link = re.search(r'href="([^"]+)">GeoJSON', page)
    assert link is not None
    answer = client.get(link.group(1))
    assert answer.status_code == 200 and answer.json()["id"] == code


def test_over_a_gcj02_base_map_the_tiles_lie_where_gcj02_puts_the_twin(client):
    """The map's source over a GCJ-02 web base map: the twin's tile drawn shifted by
    twin.crs.to_gcj02 (to a few centimetres, a tile's unit), with a TileJSON that points at
    it, lies where GCJ-02 puts the twin, and carries the offsets the page moves its own
    GeoJSON by. Without the setting the page loads the plain OGC tileset and no base map."""
    import mapbox_vector_tile
    from shapely import affinity
    from shapely.geometry import MultiPoint, shape

    from tiles.matrix import lonlat_bounds, tiles_over
    from twin.crs import to_gcj02

    page = client.get("/map").text
    assert "/tiles/WebMercatorQuad/tilejson.json" in page and "gcj02" not in page
    assert '"baseMap": null' in page
    feature = client.get("/collections/buildings/items?limit=1").json()["features"][0]
    stored = shape(feature["geometry"])
    middle = stored.representative_point()
    gx, gy = (float(v) for v in to_gcj02(middle.x, middle.y))
    tilejson = client.get("/map/gcj02/tilejson.json").json()
    [tile] = tiles_over("WebMercatorQuad", 17, (gx, gy, gx, gy))
    url = tilejson["tiles"][0].format(z=17, y=tile.row, x=tile.col)
    assert url.startswith("http://testserver/map/gcj02/tiles/")
    drawn = mapbox_vector_tile.decode(client.get(url).content)["buildings"]["features"]
    [ours] = [f for f in drawn if f["properties"].get("code") == feature["id"]]
    x0, y0, x1, y1 = lonlat_bounds(tile)
    rings = ours["geometry"]["coordinates"]
    while isinstance(rings[0][0], list):
        rings = [p for ring in rings for p in ring]
    vertices = MultiPoint([(x0 + x / 4096 * (x1 - x0), y0 + y / 4096 * (y1 - y0))
                           for x, y in rings])
    shifted = affinity.translate(stored, gx - middle.x, gy - middle.y)
    assert shifted.buffer(2e-6).contains(vertices)
    assert not stored.buffer(1e-3).intersects(vertices)  # GCJ-02 moves Shenzhen ~500 m
    grid = tilejson["display_offsets"]
    assert grid["crs"] == "GCJ-02" and len(grid["dlon"]) == grid["rows"] * grid["cols"]
    west, south, east, north = tilejson["bounds"]
    assert west < gx < east and south < gy < north
