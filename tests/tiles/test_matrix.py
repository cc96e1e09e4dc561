import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

from tiles.errors import TileError, UnknownTileMatrixSet
from tiles.matrix import CGCS2000_QUAD, WEB_MERCATOR_QUAD, get_tile_matrix_set


def test_web_mercator_zoom_0_is_the_world():
    lon0, lat0, lon1, lat1 = WEB_MERCATOR_QUAD.lonlat_bounds(0, 0, 0)
    assert lon0 == pytest.approx(-180) and lon1 == pytest.approx(180)
    assert lat1 == pytest.approx(85.0511, abs=1e-4) and lat0 == pytest.approx(-85.0511, abs=1e-4)


@pytest.mark.parametrize(
    "lon, lat, zoom", [(113.95, 22.52, 14), (116.39, 39.9, 10), (-74.0, 40.7, 7)]
)
def test_web_mercator_tiles_agree_with_the_slippy_map_formula(lon, lat, zoom):
    n = 2**zoom
    col = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    x, y = Transformer.from_crs(4490, 3857, always_xy=True).transform(lon, lat)
    assert WEB_MERCATOR_QUAD.tile_at(zoom, x, y) == (row, col)


def test_cgcs2000_quad_has_two_tiles_at_zoom_0():
    assert CGCS2000_QUAD.matrix_size(0) == (2, 1)
    assert CGCS2000_QUAD.bounds(0, 0, 1) == (0.0, -90.0, 180.0, 90.0)


@given(st.integers(0, 18), st.floats(-179.9, 179.9), st.floats(-89.9, 89.9))
def test_the_tile_at_a_point_contains_it(zoom, lon, lat):
    row, col = CGCS2000_QUAD.tile_at(zoom, lon, lat)
    minx, miny, maxx, maxy = CGCS2000_QUAD.bounds(zoom, row, col)
    eps = 1e-9  # a point on a tile edge may round to either neighbour
    assert minx - eps <= lon <= maxx + eps and miny - eps <= lat <= maxy + eps


def test_out_of_range_tiles_and_unknown_sets_are_clear_errors():
    with pytest.raises(TileError, match="outside"):
        WEB_MERCATOR_QUAD.bounds(2, 4, 0)
    with pytest.raises(TileError, match="zoom 25"):
        WEB_MERCATOR_QUAD.matrix_size(25)
    with pytest.raises(UnknownTileMatrixSet, match="WebMercatorQuad"):
        get_tile_matrix_set("GoogleCRS84Quad")
