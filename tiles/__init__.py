"""Vector tiles of the twin: tile matrix sets (morecantile), generalisation, MVT, cache."""

from tiles.matrix import TILE_MATRIX_SETS, TileAddress, get_tile_matrix_set
from tiles.service import Tile, TileService

__all__ = ["TILE_MATRIX_SETS", "Tile", "TileAddress", "TileService", "get_tile_matrix_set"]
