"""How each layer is drawn into tiles: zooms, smallest feature, feature budget, attributes.

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

from dataclasses import dataclass, field

from twin.layers import LAYERS, Layer, Level

EXTENT = 4096  # MVT units across a tile
BUFFER = 64  # MVT units drawn beyond each edge, so strokes do not break at tile seams
TILE_PIXELS = 256


@dataclass(frozen=True)
class TileRules:
    """The generalisation of one layer (see the module docstring)."""

    min_zoom: int
    max_zoom: int = 22
    min_pixels: float = 0.0
    budget: int = 3000
    # (from zoom, properties): each entry holds from its zoom until the next one.
    attributes: tuple[tuple[int, tuple[str, ...]], ...] = field(default=((0, ("code",)),))
    simplify_pixels: float = 0.5

    def shows(self, zoom: int) -> bool:
        """True when the layer is in tiles at `zoom`."""
        return self.min_zoom <= zoom <= self.max_zoom

    def attributes_at(self, zoom: int) -> tuple[str, ...]:
        """The properties a tile at `zoom` carries."""
        kept: tuple[str, ...] = ()
        for start, names in self.attributes:
            if zoom >= start:
                kept = names
        return kept


BUILDING_DETAIL = ("code", "name", "floors", "height", "use", "status")
RULES: dict[str, TileRules] = {
    "admin_areas": TileRules(0, attributes=((0, ("code", "name", "level")),)),
    "grids": TileRules(12, attributes=((12, ()), (15, ("code", "name")))),
    "roads": TileRules(10, min_pixels=2.0, attributes=((10, ("name",)), (15, ("code", "name")))),
    "buildings": TileRules(
        12, min_pixels=0.0, budget=3000, attributes=((12, ()), (15, BUILDING_DETAIL))
    ),
    "addresses": TileRules(17, attributes=((17, ("code", "level")),)),
    "houses": TileRules(17, attributes=((17, ("code",)),)),
    "people": TileRules(17, attributes=((17, ("code",)),)),
    "organizations": TileRules(15, attributes=((15, ("code", "name", "org_type")),)),
    "city_objects": TileRules(16, attributes=((16, ("code", "object_type")),)),
}


def rules_for(layer: Layer) -> TileRules:
    """The tile rules of `layer` (a layer without its own rules shows from zoom 14)."""
    return RULES.get(layer.name, TileRules(14))


def is_sensitive(layer: Layer) -> bool:
    """True for layers only the `sensitive` scope may see in tiles: a 敏感 layer (people,
    实有人口), whose single points would place a classified person on the map."""
    return layer.level is Level.sensitive


def tile_layers(may_see_sensitive: bool) -> list[Layer]:
    """The layers a caller's tiles may hold, in drawing order."""
    return [layer for layer in LAYERS.values() if may_see_sensitive or not is_sensitive(layer)]
