"""How layers are drawn into tiles: the tile's geometry, and which layers a caller sees.

Each layer's own drawing limits are facts of the layer (`Layer.tiles`, a
`twin.layers.TileRules`): zooms, smallest feature, feature budget, attributes.

Generalisation keeps every tile small and fast to make. A city holds a million buildings;
at zoom 12 one tile covers a tenth of them, and a tile that held them all would be about a
megabyte that no eye can read. So per layer:

- `min_zoom`/`max_zoom`: the zooms at which the layer is in tiles at all (overzoomed by
  the client above `max_zoom`);
- `min_pixels`: a feature whose box is smaller than this many pixels on both sides is left
  out (it would draw as less than a dot);
- `budget`: at most this many features per tile, the largest first (a dense old town at
  zoom 14 keeps its largest buildings rather than a tile of 1 MB);
- `attributes`: the properties kept from a zoom on (a popup asks the Features API for all
  of a feature's attributes; a tile carries only what styling needs);
- simplification: lines and polygons lose detail finer than `simplify_pixels`.
"""

from __future__ import annotations

from twin.layers import LAYERS, Layer, Level, TileRules

EXTENT = 4096  # MVT units across a tile
BUFFER = 64  # MVT units drawn beyond each edge, so strokes do not break at tile seams
TILE_PIXELS = 256

__all__ = ["BUFFER", "EXTENT", "TILE_PIXELS", "TileRules", "drawn_for", "tile_layers",
           "tile_variant"]


def drawn_for(layer: Layer, clearance: Level) -> bool:
    """Whether a caller cleared to `clearance` sees `layer` in tiles: a layer classified
    above it is left out whole (the points of 敏感 people, 实有人口, would place a classified
    person on the map); a withheld field is left out of the layers drawn."""
    return clearance.covers(layer.level)


def tile_variant(layer: Layer, clearance: Level) -> str:
    """Which cached tiles of `layer` a caller cleared to `clearance` gets: callers shown the
    same fields share them ("-": the layer is left out)."""
    if not drawn_for(layer, clearance):
        return "-"
    return ",".join(layer.withheld_fields(clearance))


def tile_layers(clearance: Level) -> list[Layer]:
    """The layers a caller's tiles may hold, in drawing order."""
    return [layer for layer in LAYERS.values() if drawn_for(layer, clearance)]
