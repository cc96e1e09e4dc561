"""OGC API - Features Part 2 on both stores: crs, bbox-crs, Content-Crs, axis order."""

from __future__ import annotations

import pytest
from pyproj import Transformer

EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def first_point(client, crs=None):
    params = {"limit": 1, "sortby": "code"}
    if crs:
        params["crs"] = crs
    response = client.get("/collections/houses/items", params=params)
    assert response.status_code == 200, response.text
    return response, response.json()["features"][0]


def test_default_is_crs84_lon_lat(client):
    response, feature = first_point(client)
    assert response.headers["content-crs"] == f"<{CRS84}>"
    lon, lat = feature["geometry"]["coordinates"]
    assert 113 < lon < 115 and 22 < lat < 23


@pytest.mark.parametrize("code", [4490, 4326])
def test_geographic_epsg_uris_are_latitude_first(client, code):
    _, plain = first_point(client)
    response, feature = first_point(client, EPSG.format(code))
    assert response.headers["content-crs"] == f"<{EPSG.format(code)}>"
    lon, lat = plain["geometry"]["coordinates"]
    assert feature["geometry"]["coordinates"] == pytest.approx([lat, lon], abs=1e-9)


@pytest.mark.parametrize("code", [3857, 4547, 4548])
def test_projected_outputs_match_pyproj(client, code):
    _, plain = first_point(client)
    lon, lat = plain["geometry"]["coordinates"]
    x, y = Transformer.from_crs(4490, code, always_xy=True).transform(lon, lat)
    response, feature = first_point(client, f"EPSG:{code}")
    assert response.headers["content-crs"] == f"<{EPSG.format(code)}>"
    expected = [x, y] if code == 3857 else [y, x]  # GK zones are northing first
    assert feature["geometry"]["coordinates"] == pytest.approx(expected, abs=0.01)


def test_item_in_a_gk_zone_and_polygons_keep_their_rings(client):
    code = client.get("/collections/buildings/items?limit=1").json()["features"][0]["id"]
    plain = client.get(f"/collections/buildings/items/{code}").json()
    gk = client.get(f"/collections/buildings/items/{code}", params={"crs": EPSG.format(4547)})
    assert gk.headers["content-crs"] == f"<{EPSG.format(4547)}>"
    to_gk = Transformer.from_crs(4490, 4547, always_xy=True)
    ring = plain["geometry"]["coordinates"][0][0]
    gk_ring = gk.json()["geometry"]["coordinates"][0][0]
    assert len(ring) == len(gk_ring)
    for (lon, lat), (north, east) in zip(ring, gk_ring, strict=True):
        e, n = to_gk.transform(lon, lat)
        assert (east, north) == pytest.approx((e, n), abs=0.01)


def test_bbox_in_a_gk_zone_selects_the_same_as_in_degrees(client):
    to_gk = Transformer.from_crs(4490, 4547, always_xy=True)
    e1, n1 = to_gk.transform(113.90, 22.50)
    e2, n2 = to_gk.transform(113.95, 22.55)
    degrees = client.get("/collections/houses/items",
                         params={"bbox": "113.90,22.50,113.95,22.55", "limit": 10000}).json()
    # GK zones take northing first: the box is minN,minE,maxN,maxE; a box drawn in metres
    # is a little larger than the one in degrees, so it holds at least the same features.
    metres = client.get("/collections/houses/items", params={
        "bbox": f"{min(n1, n2)},{min(e1, e2)},{max(n1, n2)},{max(e1, e2)}",
        "bbox-crs": EPSG.format(4547), "limit": 10000}).json()
    assert degrees["numberMatched"] > 0
    inner = {f["id"] for f in degrees["features"]}
    outer = {f["id"] for f in metres["features"]}
    assert inner <= outer and len(outer) <= len(inner) * 1.2


def test_unsupported_crs_names_the_parameter(client):
    for name in ("crs", "bbox-crs", "filter-crs"):
        response = client.get("/collections/houses/items",
                              params={name: "EPSG:32650", "bbox": "113.9,22.5,114,22.6"})
        assert response.status_code == 400
        assert response.json()["field"] == name


def test_next_link_keeps_crs(client):
    body = client.get("/collections/houses/items",
                      params={"crs": EPSG.format(4490), "limit": 2}).json()
    following = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert "crs=http" in following
    response = client.get(following)
    assert response.headers["content-crs"] == f"<{EPSG.format(4490)}>"
    lat, lon = response.json()["features"][0]["geometry"]["coordinates"]
    assert 22 < lat < 23 and 113 < lon < 115
