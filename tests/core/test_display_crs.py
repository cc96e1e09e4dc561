import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.crs import display_crs_name, from_display, to_bd09, to_display, to_gcj02
from twin.errors import InvalidInput


def test_published_vectors():
    # Reference values of the widely used coordTransform implementations.
    lon, lat = to_gcj02(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41024449916938, abs=1e-9)
    assert float(lat) == pytest.approx(39.91640428150164, abs=1e-9)
    lon, lat = to_bd09(116.404, 39.915)
    gcj = to_gcj02(116.404, 39.915)
    assert (float(lon), float(lat)) != (float(gcj[0]), float(gcj[1]))


def test_no_offset_outside_china():
    lon, lat = to_gcj02(2.35, 48.85)
    assert (float(lon), float(lat)) == (2.35, 48.85)


@given(st.floats(73.7, 135.0), st.floats(18.0, 53.5))
def test_round_trips(lon, lat):
    for crs in ("GCJ-02", "BD-09", "WGS84", "CGCS2000"):
        assert from_display(*to_display(lon, lat, crs), crs) == pytest.approx((lon, lat),
                                                                               abs=1e-5)


def test_offset_size_in_shenzhen_is_hundreds_of_metres():
    lon, lat = to_gcj02(113.93, 22.53)
    assert 0.003 < abs(float(lon) - 113.93) + abs(float(lat) - 22.53) < 0.01
    assert isinstance(to_display(113.93, 22.53, "BD-09")[0], float)
    assert not np.isnan(to_display(113.93, 22.53, "BD-09")).any()


def test_crs_names():
    assert display_crs_name(None) == "CGCS2000"
    assert display_crs_name("EPSG:4326") == "WGS84"
    assert display_crs_name("http://www.opengis.net/def/crs/EPSG/0/4490") == "CGCS2000"
    assert display_crs_name("gcj02") == "GCJ-02"
    with pytest.raises(InvalidInput) as err:
        display_crs_name("EPSG:3857")
    assert err.value.field == "crs"
