"""Generalisation: which features a tile keeps, whatever store the boxes came from."""

import numpy as np

from tiles.matrix import TileAddress
from tiles.selection import Reach, choose, reach
from twin.layers import LAYERS, TileRules


def test_small_features_are_left_out_and_the_budget_keeps_the_largest():
    where = Reach((0.0, 0.0, 1.0, 1.0), min_width=0.01, min_height=0.01)
    ids = np.array([5, 3, 9, 7, 1])
    boxes = np.array(
        [
            [0.1, 0.1, 0.105, 0.105],  # smaller than the minimum both ways: out
            [0.1, 0.1, 0.2, 0.2],
            [0.1, 0.1, 0.3, 0.3],  # the largest
            [0.1, 0.1, 0.111, 0.105],  # wide enough one way: kept before the budget
            [0.1, 0.1, 0.2, 0.2],  # same size as 3: the lower id wins a tie
        ]
    )
    assert choose(ids, boxes, where, budget=10).tolist() == [1, 3, 7, 9]
    assert choose(ids, boxes, where, budget=2).tolist() == [1, 9]


def test_the_smallest_feature_is_a_share_of_the_tile():
    tile = TileAddress("CGCS2000Quad", 10, 100, 1600)
    where = reach(tile, TileRules(10, min_pixels=2.0))
    assert where.min_width == (180 / 2**10) * 2 / 256
    assert where.bbox[0] < 1600 * 180 / 2**10 - 180  # widened by the drawing buffer


def test_attributes_follow_the_zoom():
    buildings = LAYERS["buildings"].tiles
    assert buildings.attributes_at(12) == ()
    assert "height" in buildings.attributes_at(15) and "code" in buildings.attributes_at(18)
    assert not buildings.shows(11) and buildings.shows(12)
