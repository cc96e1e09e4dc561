"""twin.crs: CRS names, axis order, transforms and GK zones (no store needed)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from twin.crs import (
    CRS84_URI,
    bbox_to_storage,
    from_bd09,
    from_gcj02,
    from_storage,
    gk_zone_epsg,
    parse_crs,
    supported_crs_uris,
    to_bd09,
    to_gcj02,
    to_storage,
)
from twin.errors import InvalidInput

SHENZHEN = shapely.Point(113.93, 22.52)


@pytest.mark.parametrize("text", [
    CRS84_URI, "http://www.opengis.net/def/crs/OGC/0/CRS84", "OGC:CRS84", "[OGC:CRS84]",
    "urn:ogc:def:crs:OGC:1.3:CRS84",
])
def test_crs84_forms(text):
    ref = parse_crs(text)
    assert ref.uri == CRS84_URI and ref.epsg is None and not ref.northing_first


@pytest.mark.parametrize(("text", "code", "north_first"), [
    ("http://www.opengis.net/def/crs/EPSG/0/4490", 4490, True),
    ("EPSG:4326", 4326, True),
    ("[EPSG:3857]", 3857, False),
    ("urn:ogc:def:crs:EPSG::4547", 4547, True),
    ("https://www.opengis.net/def/crs/EPSG/0/4534", 4534, True),
])
def test_epsg_forms_and_axis_order(text, code, north_first):
    ref = parse_crs(text)
    assert ref.epsg == code
    assert ref.northing_first is north_first


@pytest.mark.parametrize("text", ["EPSG:2000", "EPSG:4533", "EPSG:4555", "WGS84", ""])
def test_unsupported_crs_is_refused_with_the_value(text):
    with pytest.raises(InvalidInput) as err:
        parse_crs(text)
    assert err.value.field == "crs" and err.value.value == text


def test_supported_list_has_every_gk_zone():
    uris = supported_crs_uris()
    assert uris[0] == CRS84_URI
    assert {f"http://www.opengis.net/def/crs/EPSG/0/{n}" for n in range(4534, 4555)} <= set(uris)


def test_cgcs2000_by_uri_is_latitude_first():
    out = from_storage(np.array([SHENZHEN]), parse_crs("EPSG:4490"))[0]
    assert (out.x, out.y) == pytest.approx((22.52, 113.93))
    back = to_storage(np.array([out]), parse_crs("EPSG:4490"))[0]
    assert (back.x, back.y) == pytest.approx((113.93, 22.52))


def test_gk_zone_matches_pyproj_with_northing_first():
    out = from_storage(np.array([SHENZHEN]), parse_crs("EPSG:4547"))[0]
    east, north = Transformer.from_crs(4490, 4547, always_xy=True).transform(113.93, 22.52)
    assert (out.x, out.y) == pytest.approx((north, east), abs=1e-3)
    back = to_storage(np.array([out]), parse_crs("EPSG:4547"))[0]
    assert (back.x, back.y) == pytest.approx((113.93, 22.52), abs=1e-9)


def test_web_mercator_is_easting_first():
    out = from_storage(np.array([SHENZHEN]), parse_crs("EPSG:3857"))[0]
    assert out.x == pytest.approx(12682630.0, rel=1e-4)
    assert 2_500_000 < out.y < 2_600_000


def test_bbox_in_lat_lon_order_becomes_lon_lat():
    box = bbox_to_storage((22.5, 113.9, 22.55, 113.95), parse_crs("EPSG:4326"))
    assert box == pytest.approx((113.9, 22.5, 113.95, 22.55))


def test_projected_bbox_covers_its_corners():
    ref = parse_crs("EPSG:3857")
    box = bbox_to_storage((12680000, 2570000, 12690000, 2580000), ref)
    to_lonlat = Transformer.from_crs(3857, 4490, always_xy=True)
    for x, y in [(12680000, 2570000), (12690000, 2580000)]:
        lon, lat = to_lonlat.transform(x, y)
        assert box[0] - 1e-9 <= lon <= box[2] + 1e-9 and box[1] - 1e-9 <= lat <= box[3] + 1e-9


@pytest.mark.parametrize(("lon", "code"), [
    (75.0, 4534), (113.93, 4547), (114.6, 4547), (116.6, 4548), (135.0, 4554), (120.0, 4549),
])
def test_gk_zone_of_a_longitude(lon, code):
    assert gk_zone_epsg(lon) == code


def test_gk_zone_outside_china_is_refused():
    with pytest.raises(InvalidInput):
        gk_zone_epsg(10.0)


def test_gcj02_matches_the_reference_implementation():
    # wandergis/coordtransform's published example: wgs84togcj02(116.404, 39.915)
    assert to_gcj02(116.404, 39.915) == pytest.approx((116.41024449916938, 39.91640428150164),
                                                      abs=1e-12)


def test_gcj02_and_bd09_round_trip_in_china_and_leave_the_world_alone():
    lon = np.array([113.93, 116.404, 87.6, 126.6])
    lat = np.array([22.52, 39.915, 43.8, 45.75])
    g_lon, g_lat = to_gcj02(lon, lat)
    shift = np.hypot(g_lon - lon, g_lat - lat) * 111_000
    assert ((shift > 50) & (shift < 1_000)).all()  # a few hundred metres, as the maps show
    back = from_gcj02(g_lon, g_lat)
    assert np.allclose(back, (lon, lat), atol=1e-8)  # ~1 mm
    assert np.allclose(from_bd09(*to_bd09(lon, lat)), (lon, lat), atol=1e-6)  # ~10 cm
    assert to_gcj02(2.35, 48.85) == (2.35, 48.85)  # Paris is not offset
