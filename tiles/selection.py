"""Which features a tile holds: the boxes that meet it, big enough, within the budget.

Both stores choose a tile's features by the same rule from the same boxes, so a tile
holds the same features whichever store serves it: the boxes come from the kept boxes
(`twin.boxes`, PostGIS layers large enough to keep), from PostGIS's spatial index, or
from SpatiaLite's R*Tree beside the table; the choice below is plain numpy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tiles.matrix import TileAddress, lonlat_bounds, shifted
from tiles.rules import BUFFER, EXTENT, TILE_PIXELS, TileRules

BUFFER_SHARE = BUFFER / EXTENT


class Reach(NamedTuple):
    """Where a tile looks for features and how small a feature it keeps (lon/lat degrees)."""

    bbox: tuple[float, float, float, float]
    min_width: float
    min_height: float


def reach(tile: TileAddress, rules: TileRules, offset: tuple[float, float] = (0.0, 0.0)
          ) -> Reach:
    """The tile's lon/lat box widened by the drawing buffer (moved back by a display
    offset: `tiles.matrix.display_offset`), and its smallest feature."""
    x0, y0, x1, y1 = lonlat_bounds(tile)
    pixels = rules.min_pixels / TILE_PIXELS
    return Reach(shifted(lonlat_bounds(tile, BUFFER_SHARE), offset), (x1 - x0) * pixels,
                 (y1 - y0) * pixels)


def choose(ids: np.ndarray, boxes: np.ndarray, where: Reach, budget: int) -> np.ndarray:
    """Ids of the features to draw, sorted: big enough, then the largest `budget` of them.

    `boxes` is (n, 4) xmin, ymin, xmax, ymax in lon/lat. A feature is kept when its box
    reaches the smallest size on either side; the budget keeps the largest boxes (ties by
    id, so both stores agree).
    """
    if len(ids) == 0:
        return ids
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    # float32 R*Tree boxes and float64 boxes differ in the last bits: compare with slack.
    slack = 1e-6
    big = (widths >= where.min_width * (1 - slack) - 1e-9) | (
        heights >= where.min_height * (1 - slack) - 1e-9
    )
    ids, widths, heights = ids[big], widths[big], heights[big]
    if len(ids) > budget:
        size = np.round(widths * heights, 14)
        order = np.lexsort((ids, -size))[:budget]
        ids = ids[order]
    return np.sort(ids)
