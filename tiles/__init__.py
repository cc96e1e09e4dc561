"""Tile matrix sets (OGC 2D TMS) for the twin's maps: WebMercatorQuad and a CGCS2000 quad."""

from tiles.matrix import CGCS2000_QUAD, TILE_MATRIX_SETS, WEB_MERCATOR_QUAD, TileMatrixSet

__all__ = ["CGCS2000_QUAD", "TILE_MATRIX_SETS", "WEB_MERCATOR_QUAD", "TileMatrixSet"]
