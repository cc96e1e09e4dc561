import pytest
from hypothesis import given
from hypothesis import strategies as st

from addressing.display_crs import (
    bd09_to_gcj02,
    crs_name,
    from_cgcs2000,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_cgcs2000,
    wgs84_to_gcj02,
)
from addressing.errors import AddressInputError


def test_published_vectors():
    # Reference values of the widely used coordTransform implementations.
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41036949371029, abs=1e-9)
    assert lat == pytest.approx(39.92133699351022, abs=1e-9)


def test_no_offset_outside_china():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


@given(st.floats(73.7, 135.0), st.floats(18.0, 53.5))
def test_round_trips(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert back == pytest.approx((lon, lat), abs=1e-7)
    back = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert back == pytest.approx((lon, lat), abs=1e-5)
    for crs in ("GCJ-02", "BD-09", "WGS84"):
        assert to_cgcs2000(*from_cgcs2000(lon, lat, crs), crs) == pytest.approx((lon, lat),
                                                                                abs=1e-5)


def test_offset_size_in_shenzhen_is_hundreds_of_metres():
    lon, lat = wgs84_to_gcj02(113.93, 22.53)
    assert 0.003 < abs(lon - 113.93) + abs(lat - 22.53) < 0.01


def test_crs_names():
    assert crs_name(None) == "CGCS2000"
    assert crs_name("EPSG:4326") == "WGS84"
    assert crs_name("http://www.opengis.net/def/crs/EPSG/0/4490") == "CGCS2000"
    assert crs_name("gcj02") == "GCJ-02"
    with pytest.raises(AddressInputError) as err:
        crs_name("EPSG:3857")
    assert err.value.field == "crs"
