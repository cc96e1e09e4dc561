"""The tile matrix sets the twin serves, from morecantile: WebMercatorQuad and CGCS2000Quad.

WebMercatorQuad is the OGC 2D TMS registry's set (EPSG:3857). CGCS2000Quad is a custom
set on EPSG:4490 covering the world with two 256-pixel tiles at zoom 0 (the layout of
WorldCRS84Quad), so Chinese web maps that work in CGCS2000 degrees can tile the twin
without a projection step. This module only checks addresses and turns them into bounds;
the grids themselves are morecantile's.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import morecantile
from pyproj import CRS, Transformer

from tiles.errors import TileError, UnknownTileMatrixSet
from twin.crs import from_display

Bounds = tuple[float, float, float, float]
STORAGE_EPSG = 4490
WEB_MERCATOR_EPSG = 3857
EARTH_RADIUS = 6378137.0  # the sphere of EPSG:3857


def _cgcs2000_quad() -> morecantile.TileMatrixSet:
    cgcs2000 = CRS.from_epsg(STORAGE_EPSG)
    return morecantile.TileMatrixSet.custom(
        [-180.0, -90.0, 180.0, 90.0],
        cgcs2000,
        matrix_scale=[2, 1],
        id="CGCS2000Quad",
        title="CGCS2000 geographic quad (EPSG:4490, two tiles at zoom 0)",
        geographic_crs=cgcs2000,
        maxzoom=22,
    )


TILE_MATRIX_SETS: dict[str, morecantile.TileMatrixSet] = {
    "WebMercatorQuad": morecantile.tms.get("WebMercatorQuad"),
    "CGCS2000Quad": _cgcs2000_quad(),
}


class TileAddress(NamedTuple):
    """One tile of one tile matrix set: zoom (tileMatrix), row and column."""

    tms: str
    zoom: int
    row: int
    col: int

    @property
    def path(self) -> str:
        """The tile's address as OGC API - Tiles writes it: {tms}/{z}/{row}/{col}."""
        return f"{self.tms}/{self.zoom}/{self.row}/{self.col}"


def get_tile_matrix_set(tms_id: str) -> morecantile.TileMatrixSet:
    """The tile matrix set called `tms_id`."""
    try:
        return TILE_MATRIX_SETS[tms_id]
    except KeyError:
        raise UnknownTileMatrixSet(
            f"no tile matrix set {tms_id!r}; sets are {', '.join(TILE_MATRIX_SETS)}"
        ) from None


def tms_epsg(tms_id: str) -> int:
    """The EPSG code of a set's CRS (3857 or 4490)."""
    epsg = get_tile_matrix_set(tms_id).crs._pyproj_crs.to_epsg()
    if epsg is None:  # pragma: no cover - both sets are EPSG CRSs
        raise UnknownTileMatrixSet(f"{tms_id} has no EPSG code")
    return int(epsg)


def matrix_size(tms_id: str, zoom: int) -> tuple[int, int]:
    """Columns and rows of a set at `zoom`; TileError outside its zooms."""
    tms = get_tile_matrix_set(tms_id)
    if not tms.minzoom <= zoom <= tms.maxzoom:
        raise TileError(
            f"zoom {zoom} is outside {tms.minzoom}–{tms.maxzoom} of {tms_id}",
            field="tileMatrix",
            value=zoom,
        )
    matrix = tms.matrix(zoom)
    return matrix.matrixWidth, matrix.matrixHeight


def check_tile(tile: TileAddress) -> TileAddress:
    """The tile itself, or TileError naming the row or column outside the matrix."""
    cols, rows = matrix_size(tile.tms, tile.zoom)
    if not 0 <= tile.row < rows:
        raise TileError(
            f"tileRow {tile.row} is outside 0–{rows - 1} at zoom {tile.zoom} of {tile.tms}",
            field="tileRow",
            value=tile.row,
        )
    if not 0 <= tile.col < cols:
        raise TileError(
            f"tileCol {tile.col} is outside 0–{cols - 1} at zoom {tile.zoom} of {tile.tms}",
            field="tileCol",
            value=tile.col,
        )
    return tile


def tile_bounds(tile: TileAddress) -> Bounds:
    """A tile's bounds in its set's CRS (x = easting or longitude)."""
    b = get_tile_matrix_set(tile.tms).xy_bounds(morecantile.Tile(tile.col, tile.row, tile.zoom))
    return b.left, b.bottom, b.right, b.top


def lonlat_bounds(tile: TileAddress, buffer: float = 0.0) -> Bounds:
    """A tile's bounds in CGCS2000 lon/lat, widened by `buffer` (a share of its width)."""
    minx, miny, maxx, maxy = tile_bounds(tile)
    dx, dy = (maxx - minx) * buffer, (maxy - miny) * buffer
    minx, miny, maxx, maxy = minx - dx, miny - dy, maxx + dx, maxy + dy
    epsg = tms_epsg(tile.tms)
    if epsg == STORAGE_EPSG:
        return minx, max(miny, -90.0), maxx, min(maxy, 90.0)
    if epsg == WEB_MERCATOR_EPSG:
        # Spherical Mercator inverts in closed form: no pyproj call per request (a pyproj
        # Transformer builds one PROJ object per thread, costly under a thread pool).
        return (*_mercator_to_lonlat(minx, miny), *_mercator_to_lonlat(maxx, maxy))
    (lon0, lon1), (lat0, lat1) = to_lonlat(epsg).transform([minx, maxx], [miny, maxy])
    return lon0, lat0, lon1, lat1


def _mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    return (math.degrees(x / EARTH_RADIUS),
            math.degrees(math.atan(math.sinh(y / EARTH_RADIUS))))


# From this zoom on a Web Mercator tile is drawn from lon/lat by a linear map: the
# Mercator stretch varies so little across one tile (under 0.6 of 4096 units at z12, even
# at 45°N, less at higher zooms) that projecting every vertex buys nothing visible, and
# skipping it makes a dense tile about three times cheaper to draw.
LINEAR_FROM_ZOOM = 12


def drawing_frame(tile: TileAddress, offset: tuple[float, float] = (0.0, 0.0)
                  ) -> tuple[Bounds, int]:
    """The bounds and EPSG code a tile's features are drawn in (see LINEAR_FROM_ZOOM);
    with a display `offset` (`display_offset`), the bounds of the stored ground it shows."""
    epsg = tms_epsg(tile.tms)
    if epsg != STORAGE_EPSG and tile.zoom >= LINEAR_FROM_ZOOM:
        return shifted(lonlat_bounds(tile), offset), STORAGE_EPSG
    bounds = tile_bounds(tile)
    if offset == (0.0, 0.0) or epsg == STORAGE_EPSG:
        return shifted(bounds, offset), epsg
    lon0, lat0, lon1, lat1 = lonlat_bounds(tile)
    middle = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    x, y = from_lonlat(epsg).transform(*middle)
    gx, gy = from_lonlat(epsg).transform(middle[0] - offset[0], middle[1] - offset[1])
    return shifted(bounds, (x - gx, y - gy)), epsg


def shifted(bounds: Bounds, offset: tuple[float, float]) -> Bounds:
    """`bounds` moved back by `offset`: where the ground a display shifts there lies."""
    dx, dy = offset
    return bounds[0] - dx, bounds[1] - dy, bounds[2] - dx, bounds[3] - dy


def display_offset(tile: TileAddress, display: str) -> tuple[float, float]:
    """How far (lon, lat degrees) the display CRS (`twin.crs.display_crs_name`: GCJ-02 for
    a Chinese web base map) moves the ground under the tile's middle. The shift changes by
    under 3 mm a metre, so across one tile it moves by less than a pixel of that tile: a
    tile is drawn shifted as one piece, by the same rule on both stores."""
    lon0, lat0, lon1, lat1 = lonlat_bounds(tile)
    lon, lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    ground = from_display(lon, lat, display)
    return lon - ground[0], lat - ground[1]


def tiles_over(tms_id: str, zoom: int, lonlat: Bounds) -> list[TileAddress]:
    """Every tile of `tms_id` at `zoom` that meets a CGCS2000 lon/lat box."""
    tms = get_tile_matrix_set(tms_id)
    return [TileAddress(tms_id, t.z, t.y, t.x) for t in tms.tiles(*lonlat, [zoom])]


@lru_cache(maxsize=8)
def to_lonlat(epsg: int) -> Transformer:
    """A cached transformer from `epsg` to CGCS2000 lon/lat."""
    return Transformer.from_crs(epsg, STORAGE_EPSG, always_xy=True)


@lru_cache(maxsize=8)
def from_lonlat(epsg: int) -> Transformer:
    """A cached transformer from CGCS2000 lon/lat to `epsg`."""
    return Transformer.from_crs(STORAGE_EPSG, epsg, always_xy=True)
