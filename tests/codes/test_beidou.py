import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.codes import beidou
from twin.errors import InvalidInput

LON = 116 + 18 / 60 + 45.37 / 3600
LAT = 39 + 59 / 60 + 35.38 / 3600

lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
lats = st.floats(min_value=-87.999999, max_value=87.999999, allow_nan=False)
levels = st.integers(min_value=1, max_value=10)


def test_worked_example_of_the_standard():
    assert beidou.encode(LON, LAT, 8) == "N50J47539B825534"
    cell = beidou.decode("N50J47539B825534")
    assert cell.level == 8 and cell.contains(LON, LAT)
    # 1/32″ cells
    assert math.isclose(cell.east - cell.west, 1 / 32 / 3600, rel_tol=1e-6)


def test_each_level_is_a_prefix_and_lengths_follow_the_standard():
    full = beidou.encode(LON, LAT, 10)
    assert len(full) == 20
    for level in range(1, 11):
        code = beidou.encode(LON, LAT, level)
        assert full.startswith(code)
        assert len(code) == [4, 6, 7, 9, 11, 12, 14, 16, 18, 20][level - 1]


def test_3d_code_is_32_characters_with_the_height_bits():
    code = beidou.encode_3d(120.5830508, 31.1415575, 50.0, 10)
    # same point and height as a published third-party example
    assert code == "N051H0016000480E7010366734331434"
    cell = beidou.decode_3d(code)
    assert cell.bottom <= 50.0 < cell.top
    assert cell.contains(120.5830508, 31.1415575)


@pytest.mark.parametrize(
    ("lon", "lat", "prefix"),
    [(116.3, 39.9, "N50J"), (-58.3816, -34.6037, "S21I"), (-122.3321, 47.6062, "N10L"),
     (151.2093, -33.8688, "S56I"), (0.0, 0.0, "N31A"), (-0.0001, -0.0001, "S30A"),
     (180.0, 10.0, "N60C"), (-180.0, 10.0, "N01C")],
)
def test_sheets_in_every_hemisphere(lon, lat, prefix):
    code = beidou.encode(lon, lat, 10)
    assert code.startswith(prefix)
    assert beidou.decode(code).contains(lon, lat)


def test_southern_and_western_cells_mirror_the_north_east():
    ne = beidou.encode(10.123, 20.456, 10)
    sw = beidou.encode(-10.123, -20.456, 10)
    assert ne[4:] == sw[4:]  # below level 1, codes are mirror images
    assert sw[0] == "S" and int(sw[1:3]) == 61 - int(ne[1:3])


@settings(max_examples=300, deadline=None)
@given(lons, lats, levels)
def test_decoded_cell_contains_the_point(lon, lat, level):
    cell = beidou.decode(beidou.encode(lon, lat, level))
    assert cell.contains(lon, lat)


@settings(max_examples=300, deadline=None)
@given(lons, lats, levels)
def test_round_trip_through_the_cell_centre(lon, lat, level):
    code = beidou.encode(lon, lat, level)
    assert beidou.encode(*beidou.decode(code).center, level) == code


@settings(max_examples=200, deadline=None)
@given(lons, lats, st.integers(min_value=2, max_value=10))
def test_child_cells_nest_in_their_parent(lon, lat, level):
    child = beidou.decode(beidou.encode(lon, lat, level))
    parent = beidou.decode(beidou.parent(child.code, level - 1))
    assert parent.west <= child.west and child.east <= parent.east
    assert parent.south <= child.south and child.north <= parent.north


@settings(max_examples=200, deadline=None)
@given(lons, lats, st.floats(min_value=-5000, max_value=50000, allow_nan=False), levels)
def test_3d_round_trip(lon, lat, height, level):
    code = beidou.encode_3d(lon, lat, height, level)
    cell = beidou.decode_3d(code)
    assert cell.contains(lon, lat)
    assert cell.bottom - 1e-6 <= height <= cell.top + 1e-6
    assert code[0] + code[2:5] == beidou.encode(lon, lat, 1)


def test_vectorised_encoding_agrees_with_single_points():
    rng = np.random.default_rng(7)
    lon = rng.uniform(-180, 180, 500)
    lat = rng.uniform(-87, 87, 500)
    many = beidou.encode_many(lon, lat, 9)
    assert [beidou.encode(x, y, 9) for x, y in zip(lon, lat, strict=True)] == list(many)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [("N50J47539B82553", "characters"), ("X50J47539B825534", "N or S"),
     ("N61J47539B825534", "zone"), ("N50J4753FB825534", "level-4"),
     ("N50J47739B825534", "level-3"), ("N50JC7539B825534", "level-2")],
)
def test_bad_codes_say_what_is_wrong(code, fragment):
    with pytest.raises(InvalidInput, match=fragment):
        beidou.decode(code)


def test_polar_caps_and_bad_positions_are_refused():
    with pytest.raises(InvalidInput, match="polar"):
        beidou.encode(10, 88.5)
    with pytest.raises(InvalidInput, match="longitude"):
        beidou.encode(181, 10)
    with pytest.raises(InvalidInput, match="level"):
        beidou.encode(10, 10, 11)


@given(lons, lats, st.floats(min_value=-100, max_value=10_000), levels)
def test_a_plane_code_lifted_is_the_3d_code_of_the_point(lon, lat, height, level):
    assert beidou.with_height(beidou.encode(lon, lat, level), height) == beidou.encode_3d(
        lon, lat, height, level)


@pytest.mark.parametrize("floor, number", [
    ("12", 12), ("12层", 12), ("12F", 12), ("12楼", 12), ("十二层", 12), ("十层", 10),
    ("二十一层", 21), ("B1", -1), ("b2", -2), ("负一层", -1), ("地下2层", -2), ("-1", -1),
    ("夹层", None), ("屋顶", None), ("", None), (None, None), ("0", None),
])
def test_floor_numbers_as_bases_write_them(floor, number):
    from twin.placement import floor_number

    assert floor_number(floor) == number


def test_a_house_code_lies_in_its_storey():
    """The middle of the storey: the building's height shared among its floors (3 m each
    when the building gives neither), the first basement storey below the ground."""
    from twin.placement import house_code_3d

    plane = beidou.encode(LON, LAT, 8)
    for floor, floors, height, bottom, top in [
        ("1层", 10, 35.0, 0.0, 3.5), ("10层", 10, 35.0, 31.5, 35.0), ("3", None, None, 6, 9),
        ("B1", 20, 60.0, -3.0, 0.0),
    ]:
        cell = beidou.decode_3d(house_code_3d(plane, floor, floors, height))
        middle = (cell.bottom + cell.top) / 2
        assert bottom < middle < top and cell.contains(LON, LAT)
        assert abs(middle - (bottom + top) / 2) < cell.top - cell.bottom
    assert house_code_3d(plane, "夹层", 10, 30.0) is None
    assert house_code_3d(None, "3层", 10, 30.0) is None
