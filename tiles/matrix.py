"""Quad-tree tile matrix sets as data: tile ↔ bounds in the set's CRS and in CGCS2000.

WebMercatorQuad is the OGC 2D TMS one (EPSG:3857). CGCS2000Quad covers the world in
EPSG:4490 with two 256-pixel tiles at zoom 0 (like WorldCRS84Quad), so Chinese web maps
that work in CGCS2000 degrees can tile the twin without a projection step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from pyproj import Transformer

from tiles.errors import TileError, UnknownTileMatrixSet

Bounds = tuple[float, float, float, float]
MERCATOR_HALF = 20037508.342789244


@dataclass(frozen=True)
class TileMatrixSet:
    """A quad tree over `extent`: `columns0` × `rows0` tiles at zoom 0, halving per zoom."""

    id: str
    crs_epsg: int
    extent: Bounds  # minx, miny, maxx, maxy in the set's CRS, x = easting/longitude
    columns0: int
    rows0: int
    max_zoom: int = 24
    tile_size: int = 256

    def matrix_size(self, zoom: int) -> tuple[int, int]:
        """Columns and rows at `zoom`."""
        self._check_zoom(zoom)
        return self.columns0 << zoom, self.rows0 << zoom

    def _check_zoom(self, zoom: int) -> None:
        if not 0 <= zoom <= self.max_zoom:
            raise TileError(f"zoom {zoom} is outside 0–{self.max_zoom} of {self.id}",
                            field="tileMatrix", value=zoom)

    def bounds(self, zoom: int, row: int, col: int) -> Bounds:
        """A tile's bounds in the set's CRS (row 0 at the top)."""
        cols, rows = self.matrix_size(zoom)
        if not (0 <= row < rows and 0 <= col < cols):
            raise TileError(f"tile {zoom}/{row}/{col} is outside the {cols}×{rows} matrix of "
                            f"{self.id}", field="tileRow/tileCol", value=f"{row}/{col}")
        minx, miny, maxx, maxy = self.extent
        w, h = (maxx - minx) / cols, (maxy - miny) / rows
        return (minx + col * w, maxy - (row + 1) * h, minx + (col + 1) * w, maxy - row * h)

    def tile_at(self, zoom: int, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the tile holding the point (in the set's CRS)."""
        cols, rows = self.matrix_size(zoom)
        minx, miny, maxx, maxy = self.extent
        col = math.floor((x - minx) / (maxx - minx) * cols)
        row = math.floor((maxy - y) / (maxy - miny) * rows)
        return min(max(row, 0), rows - 1), min(max(col, 0), cols - 1)

    def lonlat_bounds(self, zoom: int, row: int, col: int) -> Bounds:
        """A tile's bounds in CGCS2000 longitude/latitude."""
        minx, miny, maxx, maxy = self.bounds(zoom, row, col)
        if self.crs_epsg == 4490:
            return minx, miny, maxx, maxy
        to_lonlat = _transformer(self.crs_epsg, 4490)
        (lon0, lon1), (lat0, lat1) = to_lonlat.transform([minx, maxx], [miny, maxy])
        return lon0, lat0, lon1, lat1


@lru_cache(maxsize=8)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


WEB_MERCATOR_QUAD = TileMatrixSet(
    "WebMercatorQuad", 3857, (-MERCATOR_HALF, -MERCATOR_HALF, MERCATOR_HALF, MERCATOR_HALF), 1, 1
)
CGCS2000_QUAD = TileMatrixSet("CGCS2000Quad", 4490, (-180.0, -90.0, 180.0, 90.0), 2, 1)
TILE_MATRIX_SETS = {t.id: t for t in (WEB_MERCATOR_QUAD, CGCS2000_QUAD)}


def get_tile_matrix_set(tms_id: str) -> TileMatrixSet:
    """The tile matrix set called `tms_id`."""
    try:
        return TILE_MATRIX_SETS[tms_id]
    except KeyError:
        raise UnknownTileMatrixSet(
            f"no tile matrix set {tms_id!r}; sets are {', '.join(TILE_MATRIX_SETS)}"
        ) from None
