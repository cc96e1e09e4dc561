import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

from tiles.errors import TileError, UnknownTileMatrixSet
from tiles.matrix import (
    TileAddress,
    check_tile,
    get_tile_matrix_set,
    lonlat_bounds,
    matrix_size,
    tile_bounds,
    tiles_over,
)


def test_web_mercator_zoom_0_is_the_world():
    lon0, lat0, lon1, lat1 = lonlat_bounds(TileAddress("WebMercatorQuad", 0, 0, 0))
    assert lon0 == pytest.approx(-180) and lon1 == pytest.approx(180)
    assert lat1 == pytest.approx(85.0511, abs=1e-4) and lat0 == pytest.approx(-85.0511, abs=1e-4)


@pytest.mark.parametrize(
    "lon, lat, zoom", [(113.95, 22.52, 14), (116.39, 39.9, 10), (-74.0, 40.7, 7)]
)
def test_web_mercator_tiles_agree_with_the_slippy_map_formula(lon, lat, zoom):
    n = 2**zoom
    col = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    [tile] = tiles_over("WebMercatorQuad", zoom, (lon, lat, lon, lat))
    assert (tile.row, tile.col) == (row, col)
    x, y = Transformer.from_crs(4490, 3857, always_xy=True).transform(lon, lat)
    minx, miny, maxx, maxy = tile_bounds(tile)
    assert minx <= x <= maxx and miny <= y <= maxy


def test_cgcs2000_quad_has_two_tiles_at_zoom_0_in_degrees():
    assert matrix_size("CGCS2000Quad", 0) == (2, 1)
    assert get_tile_matrix_set("CGCS2000Quad").crs.srs.endswith("EPSG/0/4490")
    assert tile_bounds(TileAddress("CGCS2000Quad", 0, 0, 1)) == pytest.approx((0, -90, 180, 90))


@given(st.floats(73, 135), st.floats(4, 53), st.integers(0, 20))
def test_cgcs2000_quad_tile_holds_its_point(lon, lat, zoom):
    found = tiles_over("CGCS2000Quad", zoom, (lon, lat, lon, lat))
    assert 1 <= len(found) <= 4  # more than one only on a tile edge
    cols, rows = matrix_size("CGCS2000Quad", zoom)
    for tile in found:
        minx, miny, maxx, maxy = lonlat_bounds(tile)
        assert minx - 1e-9 <= lon <= maxx + 1e-9 and miny - 1e-9 <= lat <= maxy + 1e-9
        assert maxx - minx == pytest.approx(360 / cols) and maxy - miny == pytest.approx(180 / rows)


@pytest.mark.parametrize(
    "tile, field",
    [
        (TileAddress("WebMercatorQuad", 25, 0, 0), "tileMatrix"),
        (TileAddress("WebMercatorQuad", 2, 4, 0), "tileRow"),
        (TileAddress("CGCS2000Quad", 1, 0, 4), "tileCol"),
        (TileAddress("CGCS2000Quad", 0, -1, 0), "tileRow"),
    ],
)
def test_a_tile_outside_the_matrix_is_refused_by_name(tile, field):
    with pytest.raises(TileError) as caught:
        check_tile(tile)
    assert caught.value.field == field


def test_unknown_set_lists_the_known_ones():
    with pytest.raises(UnknownTileMatrixSet, match="WebMercatorQuad, CGCS2000Quad"):
        get_tile_matrix_set("WorldCRS84Quad")
